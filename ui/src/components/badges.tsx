/** Status and retrying badges: color and text, never color alone. */
import type { SagaStatus } from '../api/types.ts';

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
