/** The saga's context as the machine holds it: items, amounts, effects, references, attempts. */
import { FORWARD_STEPS, STEP_NAMES, type SagaContext } from '../../../machines/index.ts';
import { formatMoney, formatRelative, formatTime } from '../format.ts';
import { Reference } from './Reference.tsx';

/** `held`: the saga is paused, so its pending step's deadline does not run (the API sends none). */
export function ContextView({ context, deadline, held = false, now }: { context: SagaContext; deadline?: string | null; held?: boolean; now: number }) {
  const money = (cents: number) => formatMoney(cents, context.currency);
  const steps = STEP_NAMES.filter((step) => context.attempts[step] !== undefined || context.references[step] !== undefined);
  return (
    <div className="context" data-testid="context">
      <section className="context__table">
        <h3>Items</h3>
        <table className="table table--compact context-items">
          <thead>
            <tr>
              <th scope="col">sku</th>
              <th scope="col" className="num">qty</th>
              <th scope="col" className="num">unit</th>
              <th scope="col" className="num">line</th>
            </tr>
          </thead>
          <tbody>
            {context.items.map((item, index) => (
              <tr key={index}>
                <td className="mono cell-text">
                  <span className="truncate" title={item.sku}>
                    {item.sku}
                  </span>
                </td>
                <td className="num">{item.quantity}</td>
                <td className="num">{money(item.unitPriceCents)}</td>
                <td className="num">{money(item.quantity * item.unitPriceCents)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={3}>
                total ({context.currency})
              </th>
              <td className="num strong">{money(context.totalCents)}</td>
            </tr>
          </tfoot>
        </table>
      </section>

      <section>
        <h3>Effects</h3>
        <dl className="facts">
          {FORWARD_STEPS.map((step) => (
            <div key={step} className="facts__row">
              <dt className="mono">{step}</dt>
              <dd>
                <span className={`effect effect--${context.effects[step]}`}>{context.effects[step]}</span>
              </dd>
            </div>
          ))}
        </dl>
      </section>

      <section className="context__table">
        <h3>Steps</h3>
        {steps.length === 0 ? (
          <p className="muted">No step has started.</p>
        ) : (
          <table className="table table--compact context-steps">
            <thead>
              <tr>
                <th scope="col">step</th>
                <th scope="col" className="num">attempts</th>
                <th scope="col">reference</th>
              </tr>
            </thead>
            <tbody>
              {steps.map((step) => (
                <tr key={step}>
                  <td className="mono">{step}</td>
                  <td className="num">
                    {context.attempts[step] ?? 0} of {context.attemptLimits[step] ?? context.maxAttempts}
                  </td>
                  <td className="cell-text">
                    <Reference value={context.references[step]} what={`${step} reference`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section>
        <h3>Now</h3>
        <dl className="facts">
          <div className="facts__row">
            <dt>pending</dt>
            <dd className="mono">
              {context.pending ? `${context.pending.step} attempt ${context.pending.attempt}` : 'nothing'}
            </dd>
          </div>
          {deadline !== undefined && (
            <div className="facts__row">
              <dt>deadline</dt>
              <dd>{deadline ? `${formatTime(deadline)} (${formatRelative(deadline, now)})` : held && context.pending ? 'held (paused)' : 'none'}</dd>
            </div>
          )}
          <div className="facts__row">
            <dt>stuck at</dt>
            <dd className="mono">{context.stuckStep ?? '—'}</dd>
          </div>
          <div className="facts__row">
            <dt>last error</dt>
            <dd>
              {context.lastError ? (
                <>
                  <span className={`kind kind--${context.lastError.kind}`}>{context.lastError.kind}</span>{' '}
                  <span className="mono">
                    {context.lastError.step} #{context.lastError.attempt}
                  </span>
                  : <span className="error-text">{context.lastError.message}</span>
                </>
              ) : (
                '—'
              )}
            </dd>
          </div>
          <div className="facts__row">
            <dt>cancellation</dt>
            <dd>
              {context.cancellation
                ? `by ${context.cancellation.by}${context.cancellation.actor ? ` (${context.cancellation.actor})` : ''}: ${context.cancellation.reason}`
                : '—'}
            </dd>
          </div>
          <div className="facts__row">
            <dt>max attempts</dt>
            <dd>{context.maxAttempts}</dd>
          </div>
        </dl>
      </section>
    </div>
  );
}
