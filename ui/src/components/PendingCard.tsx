/**
 * "Running" is not the whole truth: the step the saga waits on, which attempt this is, when
 * it times out, what failed last and which worker answered; or, when stuck, where it stopped.
 */
import { STEPS, type StepName } from '../../../machines/index.ts';
import type { HistoryRow, OrderDetail } from '../api/types.ts';
import { formatRelative, formatTime } from '../format.ts';
import { PauseIcon, RetryingBadge } from './badges.tsx';

function lastWorkerRow(history: HistoryRow[]): HistoryRow | undefined {
  for (let index = history.length - 1; index >= 0; index--) if (history[index]!.worker) return history[index];
  return undefined;
}

function serviceOf(step: string): string | undefined {
  return (STEPS as Record<string, { service: string } | undefined>)[step]?.service;
}

export function PendingCard({ order, now }: { order: OrderDetail; now: number }) {
  const { pending, lastError, context } = order;
  const stuckStep = order.status === 'stuck' ? (context?.stuckStep ?? lastError?.step ?? null) : null;
  if (!pending && !stuckStep) return null;
  const workerRow = lastWorkerRow(order.history);
  const stuck = !pending;
  const step = pending?.step ?? stuckStep!;
  const attempts = context?.attempts[step as StepName];
  const limit = context ? (context.attemptLimits[step as StepName] ?? context.maxAttempts) : undefined;
  const paused = order.paused;
  const modifier = stuck ? ' pending-card--stuck' : paused ? ' pending-card--paused' : pending?.retrying ? ' pending-card--retrying' : '';

  return (
    <section className={`card pending-card${modifier}`} aria-labelledby="pending-title" data-testid="pending-card" data-paused={paused ? 'true' : undefined}>
      <h2 id="pending-title" className="card__title">
        {stuck ? (
          '⚠ Stuck: waiting for an operator'
        ) : paused ? (
          <>
            <PauseIcon /> Pending step, paused
          </>
        ) : (
          'Pending step'
        )}
      </h2>
      <dl className="facts">
        <dt>step</dt>
        <dd className="mono">
          {step}
          {serviceOf(step) ? ` · ${serviceOf(step)}` : ''}
        </dd>
        {pending ? (
          <>
            <dt>attempt</dt>
            <dd>
              {pending.retrying ? (
                <RetryingBadge attempt={pending.attempt} maxAttempts={pending.maxAttempts} />
              ) : (
                `attempt ${pending.attempt} of ${pending.maxAttempts}`
              )}
            </dd>
            <dt>deadline</dt>
            <dd data-testid="pending-deadline">
              {paused ? (
                <>
                  held (paused)
                  <div className="muted small">no deadline runs while paused; resumed, the step gets a whole deadline afresh</div>
                </>
              ) : pending.deadline ? (
                <>
                  {formatTime(pending.deadline)} <span className="muted">({formatRelative(pending.deadline, now)})</span>
                  <div className="muted small">
                    {pending.attempt < pending.maxAttempts
                      ? `no reply by then: attempt ${pending.attempt + 1} of ${pending.maxAttempts} starts (next retry)`
                      : 'no reply by then: the saga parks in stuck'}
                  </div>
                </>
              ) : (
                '—'
              )}
            </dd>
            <dt>command</dt>
            <dd className="mono small">{pending.commandId}</dd>
          </>
        ) : (
          <>
            <dt>attempts used</dt>
            <dd>
              {attempts ?? '?'} of {limit ?? '?'}
            </dd>
            <dt>since</dt>
            <dd>
              {formatTime(order.stateEnteredAt ?? order.updatedAt)}{' '}
              <span className="muted">({formatRelative(order.stateEnteredAt ?? order.updatedAt, now)})</span>
            </dd>
            <dt>operator can</dt>
            <dd>{order.allowedActions.length ? order.allowedActions.join(', ') : 'nothing (see the history)'}</dd>
          </>
        )}
        <dt>last failure</dt>
        <dd>
          {lastError ? (
            <>
              <span className={`kind kind--${lastError.kind}`}>{lastError.kind}</span>{' '}
              <span className="mono">
                {lastError.step} attempt {lastError.attempt}
              </span>
              <div className="error-text">{lastError.message}</div>
            </>
          ) : (
            <span className="muted">none</span>
          )}
        </dd>
        <dt>last worker</dt>
        <dd>
          {workerRow ? (
            <>
              <span className="mono">{workerRow.worker}</span>{' '}
              <span className="muted small">
                ({workerRow.event}, {formatRelative(workerRow.at, now)})
              </span>
            </>
          ) : (
            <span className="muted">no worker has answered yet</span>
          )}
        </dd>
      </dl>
    </section>
  );
}
