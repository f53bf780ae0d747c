/** How a finished saga ended, and why, in one glance: the counterpart of the pending card. */
import { isFinished } from '../../../machines/index.ts';
import type { OrderDetail } from '../api/types.ts';
import { formatDuration, formatTime } from '../format.ts';
import { Reference } from './Reference.tsx';

const HEADLINE = {
  completed: '✓ Completed',
  cancelled: '⊘ Cancelled',
  failed: '✕ Failed: needs a human',
} as const;

export function OutcomeCard({ order }: { order: OrderDetail }) {
  if (!isFinished(order.status)) return null;
  const context = order.context;
  const first = order.history[0];
  const last = order.history.at(-1);
  const took = first && last ? Date.parse(last.at) - Date.parse(first.at) : null;
  // The shipment was booked outside the system and recorded with RESOLVE: say so, and who.
  const shipment = context?.references.createShipment;
  const byHand = shipment
    ? order.history.findLast((row) => row.event === 'RESOLVE' && (row.payload as { reference?: unknown } | undefined)?.reference === shipment)
    : undefined;
  const undone = context
    ? Object.entries(context.effects)
        .filter(([, effect]) => effect === 'compensated')
        .map(([step]) => step)
    : [];

  return (
    <section className={`card outcome-card outcome-card--${order.status}`} aria-labelledby="outcome-title" data-testid="outcome-card">
      <h2 id="outcome-title" className="card__title">
        {HEADLINE[order.status]}
      </h2>
      <dl className="facts">
        <dt>ended</dt>
        <dd>
          {formatTime(last?.at)} {took !== null && <span className="muted">(took {formatDuration(took)})</span>}
        </dd>
        {order.status === 'completed' && (
          <>
            <dt>shipment</dt>
            <dd>
              <Reference value={context?.references.createShipment} what="shipment reference" />
              {byHand && (
                <div className="muted small" data-testid="resolved-by-hand">
                  recorded by hand{byHand.actor ? ` by ${byHand.actor}` : ''}: {byHand.detail}
                </div>
              )}
            </dd>
          </>
        )}
        {context?.cancellation && (
          <>
            <dt>why</dt>
            <dd>
              by {context.cancellation.by}
              {context.cancellation.actor ? ` (${context.cancellation.actor})` : ''}: {context.cancellation.reason}
            </dd>
          </>
        )}
        {order.status !== 'completed' && (
          <>
            <dt>undone</dt>
            <dd className="mono">{undone.length ? undone.join(', ') : 'nothing needed undoing'}</dd>
          </>
        )}
        {order.status === 'failed' && order.lastError && (
          <>
            <dt>refused</dt>
            <dd>
              <span className="mono">{order.lastError.step}</span>: <span className="error-text">{order.lastError.message}</span>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}
