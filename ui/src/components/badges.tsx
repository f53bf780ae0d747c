/** Status, retrying and paused badges: color and text, never color alone. */
import type { Hold, SagaStatus } from '../api/types.ts';
import { formatTime } from '../format.ts';

const STATUS_ICON: Record<SagaStatus, string> = {
  running: '●',
  completed: '✓',
  cancelled: '⊘',
  failed: '✕',
  stuck: '⚠',
};

export function StatusBadge({ status }: { status: SagaStatus }) {
  return (
    <span className={`badge badge--${status}`} data-status={status}>
      <span aria-hidden="true">{STATUS_ICON[status] ?? '•'}</span> {status}
    </span>
  );
}

export function RetryingBadge({ attempt, maxAttempts }: { attempt: number; maxAttempts?: number | undefined }) {
  const text = maxAttempts ? `retrying · attempt ${attempt} of ${maxAttempts}` : `retrying · attempt ${attempt}`;
  return (
    <span className="badge badge--retrying" data-retrying="true">
      <span aria-hidden="true">↻</span> {text}
    </span>
  );
}

/** Two bars, drawn in CSS: the pause sign is missing from many fonts. */
export function PauseIcon() {
  return <span className="pause-icon" aria-hidden="true" />;
}

/** An operator holds the saga: no new command goes out, no deadline runs until it is resumed. */
export function PausedBadge({ hold }: { hold: Hold }) {
  return (
    <span className="badge badge--paused" data-paused="true" title={`paused by ${hold.actor} at ${formatTime(hold.at)}: ${hold.reason}`}>
      <PauseIcon /> paused
    </span>
  );
}
