/**
 * "What happens next": what the saga waits for, and what each action it allows would set off
 * (the commands, in order, and where the order ends), in the machine's own words. The API
 * computes `next` from the saga's own machine version (machines/order-saga/next.ts), so none
 * of this is written by hand here.
 */
import { isFinished } from '../../../machines/index.ts';
import type { OperatorAction, OrderDetail } from '../api/types.ts';
import { ACTION_LABEL, actionButtonClass } from './action-labels.ts';
import { StatusBadge } from './badges.tsx';
import './next-steps.css';

export type NextSteps = NonNullable<OrderDetail['next']>;
export type ActionPlan = NextSteps['plans'][number];
type PlannedCommand = ActionPlan['commands'][number];

/** `It waits for …` from the machine's `waits for …`: one sentence, capitalised, with its stop. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  return `${trimmed[0]!.toUpperCase()}${trimmed.slice(1)}${/[.!?]$/.test(trimmed) ? '' : '.'}`;
}

/** The plan of `action` in the order's `next`, where the API sent one and the saga allows the action now. */
export function planOf(order: OrderDetail, action: string): ActionPlan | undefined {
  if (!(order.allowedActions as string[]).includes(action)) return undefined;
  return order.next?.plans.find((plan) => plan.action === action);
}

/** The commands a plan sends, in order: `service → step`, undo steps marked. */
export function PlanCommands({ commands }: { commands: PlannedCommand[] }) {
  if (commands.length === 0) return <span className="muted plan-commands--none">no command</span>;
  return (
    <ol className="plan-commands" data-testid="plan-commands">
      {commands.map((command, index) => (
        <li key={index} className={command.undo ? 'plan-command plan-command--undo' : 'plan-command'} data-step={command.step}>
          <span className="mono">{command.service}</span> → <span className="mono">{command.step}</span>
          {command.undo && <> <span className="plan-command__tag">undo</span></>}
          {command.attempt > 1 && <span className="muted small"> (attempt {command.attempt})</span>}
        </li>
      ))}
    </ol>
  );
}

/** One plan in full, as the action dialog shows it. */
export function PlanDetails({ plan }: { plan: ActionPlan }) {
  return (
    <div className="plan" data-testid="action-plan" data-action={plan.action}>
      <p className="plan__says">{sentence(plan.says)}</p>
      <dl className="facts plan__facts">
        <dt>sends, in order</dt>
        <dd>
          <PlanCommands commands={plan.commands} />
        </dd>
        <dt>{plan.commands.length ? 'then ends' : 'ends'}</dt>
        <dd>
          <StatusBadge status={plan.ends} />
          {plan.commands.length > 0 && <span className="muted small"> if each command succeeds</span>}
        </dd>
      </dl>
    </div>
  );
}

export function NextStepsCard({ order, onAct }: { order: OrderDetail; onAct: (action: OperatorAction) => void }) {
  const next = order.next;
  if (!next || isFinished(order.status)) return null;
  const plans = next.plans.filter((plan) => order.allowedActions.includes(plan.action));
  return (
    <section className="card next-card" aria-labelledby="next-title" data-testid="next-card">
      <h2 id="next-title" className="card__title">
        What happens next
      </h2>
      <p className="next-card__says" data-testid="next-says">
        This order {next.says.replace(/[.]$/, '')}.
      </p>
      {plans.length === 0 ? (
        <p className="muted">No operator action is possible now: the saga moves on by itself.</p>
      ) : (
        <div className="table-scroll">
          <table className="table next-card__plans">
            <caption className="next-card__caption">
              {order.status === 'stuck' ? 'What an operator can do' : 'What an operator can do meanwhile'}, and what each would set off
            </caption>
            <thead>
              <tr>
                <th scope="col">action</th>
                <th scope="col">sends, in order</th>
                <th scope="col">ends</th>
                <th scope="col">in the statechart&apos;s words</th>
              </tr>
            </thead>
            <tbody>
              {plans.map((plan) => (
                <tr key={plan.action} data-action={plan.action}>
                  <td className="nowrap">
                    <button
                      type="button"
                      className={`btn btn--small ${actionButtonClass(plan.action)}`}
                      onClick={() => onAct(plan.action)}
                      title={sentence(plan.says)}
                    >
                      {ACTION_LABEL[plan.action]}…
                    </button>
                  </td>
                  <td>
                    <PlanCommands commands={plan.commands} />
                  </td>
                  <td className="nowrap">
                    <StatusBadge status={plan.ends} />
                  </td>
                  <td className="next-card__plan-says small">{sentence(plan.says)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
