/**
 * "What happens next": what the saga waits for, and what each action it allows would set off
 * (the commands, in order, and where the order ends), in the machine's own words. The API
 * computes `next` from the saga's own machine version (machines/order-saga/next.ts), so none
 * of this is written by hand here.
 */
import { isFinished } from '../../../machines/index.ts';
import type { OrderDetail, SagaAction } from '../api/types.ts';
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

/** What pausing and resuming do: they hold the saga beside the statechart, so no plan of the machine says it. */
const HOLD_SAYS = {
  pause: 'Holds the saga where it is: no new command goes out and no deadline runs until it is resumed; answers from workers still count.',
  resume: 'Lifts the hold: the commands held meanwhile go out, and the pending step gets a whole deadline afresh.',
} as const;

export function NextStepsCard({ order, onAct }: { order: OrderDetail; onAct: (action: SagaAction) => void }) {
  const next = order.next;
  if (!next || isFinished(order.status)) return null;
  // One row per action the saga allows now, in the API's order: the machine's plans, then the hold.
  const rows = order.allowedActions.flatMap((action): { action: SagaAction; plan: ActionPlan | undefined }[] => {
    if (action === 'pause' || action === 'resume') return [{ action, plan: undefined }];
    const plan = next.plans.find((candidate) => candidate.action === action);
    return plan ? [{ action, plan }] : [];
  });
  return (
    <section className="card next-card" aria-labelledby="next-title" data-testid="next-card">
      <h2 id="next-title" className="card__title">
        What happens next
      </h2>
      <p className="next-card__says" data-testid="next-says">
        This order {next.says.replace(/[.]$/, '')}.
      </p>
      {rows.length === 0 ? (
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
              {rows.map(({ action, plan }) => {
                const says = plan ? sentence(plan.says) : HOLD_SAYS[action as keyof typeof HOLD_SAYS];
                return (
                  <tr key={action} data-action={action}>
                    <td className="nowrap">
                      <button type="button" className={`btn btn--small ${actionButtonClass(action)}`} onClick={() => onAct(action)} title={says}>
                        {ACTION_LABEL[action]}…
                      </button>
                    </td>
                    <td>
                      {plan ? (
                        <PlanCommands commands={plan.commands} />
                      ) : action === 'pause' ? (
                        <span className="muted plan-commands--none">no command; holds what would go out</span>
                      ) : (
                        <span className="muted plan-commands--none">what was held, if anything</span>
                      )}
                    </td>
                    <td className="nowrap">
                      {plan ? (
                        <StatusBadge status={plan.ends} />
                      ) : (
                        <span className="muted small">{action === 'pause' ? `stays ${order.status}, held` : 'as the saga goes on'}</span>
                      )}
                    </td>
                    <td className="next-card__plan-says small">{says}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
