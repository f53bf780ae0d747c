/**
 * What a saga waits for now, and what each operator action it allows would set off: read from
 * the machine itself by stepping a copy forward, never written by hand, so it cannot drift from
 * the rules. Pure.
 */
import { nextSnapshot } from '../pure-steps.ts';
import type { OrderSagaMachine } from '../index.ts';
import { statusOf, type OrderSagaSnapshot } from './status.ts';
import { isForwardStep, STEPS } from './steps.ts';
import { OPERATOR_ACTIONS, type OperatorAction, type SagaEvent, type SagaStatus, type Service, type StepName } from './types.ts';

/** The event an action sends; `resolve` carries the outside world's reference. */
export function eventOfAction(action: OperatorAction, who: { actor: string; reason: string; reference?: string }): SagaEvent {
  const { actor, reason } = who;
  switch (action) {
    case 'retry':
      return { type: 'RETRY', actor, reason };
    case 'compensate':
      return { type: 'COMPENSATE', actor, reason };
    case 'cancel':
      return { type: 'CANCEL', actor, reason };
    case 'resolve':
      return { type: 'RESOLVE', actor, reason, reference: who.reference ?? '' };
    case 'fail':
      return { type: 'FAIL', actor, reason };
  }
}

export interface PlannedCommand {
  step: StepName;
  service: Service;
  attempt: number;
  /** Undoes an earlier step. */
  undo: boolean;
}

export interface ActionPlan {
  action: OperatorAction;
  /** The commands it sends, in order, if each of them succeeds. */
  commands: PlannedCommand[];
  /** Where the saga ends then. */
  ends: SagaStatus;
  /** The same in words, for the console and the CLI. */
  says: string;
}

export interface NextSteps {
  /** The command the saga waits on, or null when it rests (stuck or finished). */
  waitingFor: (PlannedCommand & { maxAttempts: number }) | null;
  /** What the saga waits for, in words. */
  says: string;
  plans: ActionPlan[];
}

/** More steps than any path of the machine has: a bound, so a bug cannot loop here. */
const MAX_PLANNED = 16;

const commandOf = (step: StepName, attempt: number): PlannedCommand => ({ step, service: STEPS[step].service, attempt, undo: !isForwardStep(step) });

/** Step a copy forward as if every command succeeded, from `snapshot` on. */
function followSuccesses(machine: OrderSagaMachine, snapshot: OrderSagaSnapshot): { commands: PlannedCommand[]; ends: SagaStatus } {
  const commands: PlannedCommand[] = [];
  let current = snapshot;
  while (current.context.pending && commands.length < MAX_PLANNED) {
    const { step, attempt, commandId } = current.context.pending;
    commands.push(commandOf(step, attempt));
    current = nextSnapshot(machine, current, { type: STEPS[step].succeeded, commandId, reference: '' } as SagaEvent);
  }
  return { commands, ends: statusOf(String(current.value)) };
}

const listOf = (commands: PlannedCommand[]) => commands.map((command) => `${command.service} to ${STEPS[command.step].does}`).join(', then ');

function planSays(action: OperatorAction, commands: PlannedCommand[], ends: SagaStatus, stuckStep: StepName | null): string {
  const first =
    action === 'resolve' && stuckStep ? `records "${STEPS[stuckStep].does}" as done by hand` :
    action === 'fail' && stuckStep ? `records "${STEPS[stuckStep].does}" as failed for good` :
    action === 'retry' ? 'tries again' :
    action === 'cancel' ? 'cancels the order for the customer' :
    'undoes what was done';
  if (commands.length === 0) return `${first}; the order ends ${ends}, with no further command`;
  return `${first}: asks ${listOf(commands)}; if each succeeds, the order ends ${ends}`;
}

export function nextSteps(machine: OrderSagaMachine, snapshot: OrderSagaSnapshot): NextSteps {
  const { pending, stuckStep, attemptLimits, maxAttempts, lastError } = snapshot.context;
  const waitingFor = pending ? { ...commandOf(pending.step, pending.attempt), maxAttempts: attemptLimits[pending.step] ?? maxAttempts } : null;
  const state = String(snapshot.value);
  const says = waitingFor
    ? `waits for ${waitingFor.service} to ${STEPS[waitingFor.step].does} (attempt ${waitingFor.attempt} of ${waitingFor.maxAttempts})`
    : stuckStep
      ? `is parked: ${STEPS[stuckStep].does} did not succeed${lastError ? ` (${lastError.message})` : ''}; it waits for an operator`
      : `has ended ${statusOf(state)}; nothing will move it`;
  const plans: ActionPlan[] = [];
  for (const action of OPERATOR_ACTIONS) {
    const event = eventOfAction(action, { actor: 'preview', reason: 'preview', reference: 'preview' });
    if (!snapshot.can(event)) continue;
    const { commands, ends } = followSuccesses(machine, nextSnapshot(machine, snapshot, event));
    plans.push({ action, commands, ends, says: planSays(action, commands, ends, stuckStep) });
  }
  return { waitingFor, says, plans };
}
