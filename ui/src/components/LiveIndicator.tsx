import { useLive } from '../api/live-context.ts';

const TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' } as const;
const HINT = {
  connecting: 'Opening the live feed',
  live: 'Changes arrive as they happen',
  reconnecting: 'The live feed dropped; reconnecting. The page polls meanwhile.',
  offline: 'No live feed; the page polls every few seconds and retries the feed.',
} as const;

export function LiveIndicator() {
  const status = useLive();
  return (
    <span className={`live live--${status}`} role="status" aria-live="polite" title={HINT[status]} data-live={status}>
      <span className="live__dot" aria-hidden="true" />
      {TEXT[status]}
    </span>
  );
}
