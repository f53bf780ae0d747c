/**
 * An operator's hold, said at the top of the order's page: who paused the saga, why, since
 * when, and what that means (nothing goes out, no deadline runs; answers still count).
 */
import type { Hold } from '../api/types.ts';
import { formatRelative, formatTime } from '../format.ts';
import { PauseIcon } from './badges.tsx';

export function PausedBanner({ hold, now }: { hold: Hold; now: number }) {
  return (
    <section className="paused-banner" aria-label="Paused" data-testid="paused-banner">
      <p className="paused-banner__title">
        <PauseIcon /> <strong>Paused</strong> by <strong data-testid="paused-actor">{hold.actor}</strong>{' '}
        <span title={formatTime(hold.at)}>{formatRelative(hold.at, now)}</span> <span className="muted small">(since {formatTime(hold.at)})</span>
      </p>
      <p className="paused-banner__reason" data-testid="paused-reason">
        {hold.reason}
      </p>
      <p className="paused-banner__means small">
        No new command goes out and no deadline runs until it is resumed; a command sent before the pause may still be carried out, and answers from workers still count.
      </p>
    </section>
  );
}
