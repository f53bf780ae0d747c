/**
 * Time travel: the saga as it was after each row of its history, computed by replaying the
 * recorded events through the same machine in the browser (pure, no I/O, no clock).
 */
import { initialTransition, transition } from 'xstate';
import type { OrderSagaMachine, SagaContext } from '../../../machines/index.ts';
import { HOLD_EVENTS, type OrderDetail } from '../api/types.ts';

export interface ReplayedStep {
  state: string;
  context: SagaContext;
  /** The replayed state differs from what the history recorded (or the row cannot be replayed). */
  problem: string | null;
}

/**
 * One step per history row, as far as the rows can be replayed (rows without a payload stop it,
 * but a pause or a resume, which the machine never sees, is passed over).
 */
export type Replay = ReplayedStep[];

export function replayHistory(machine: OrderSagaMachine, order: OrderDetail): Replay {
  const maxAttempts = order.context?.maxAttempts ?? 1;
  const input = {
    order: {
      orderId: order.orderId,
      customerId: order.customerId,
      currency: order.currency,
      items: order.items,
      totalCents: order.totalCents,
    },
    maxAttempts,
  };
  const steps: ReplayedStep[] = [];
  let [snapshot] = initialTransition(machine, input);
  const first = order.history[0];
  const initialState = String(snapshot.value);
  steps.push({
    state: initialState,
    context: snapshot.context,
    problem: first && first.to !== initialState ? `recorded ${first.to}, replay starts in ${initialState}` : null,
  });
  for (let index = 1; index < order.history.length; index++) {
    const row = order.history[index]!;
    // A pause or a resume holds the saga beside the machine: the state and context stay as they were.
    if (HOLD_EVENTS.has(row.event) && row.from === row.to) {
      const state = String(snapshot.value);
      steps.push({ state, context: snapshot.context, problem: state !== row.to ? `recorded ${row.to}, replay is in ${state}` : null });
      continue;
    }
    if (!row.payload) break;
    let next;
    try {
      [next] = transition(machine, snapshot, row.payload);
    } catch (error) {
      steps.push({ state: String(snapshot.value), context: snapshot.context, problem: `replay failed: ${String(error)}` });
      break;
    }
    const state = String(next.value);
    const problem =
      next === snapshot
        ? `the machine did not accept ${row.event} in ${String(snapshot.value)}`
        : state !== row.to
          ? `recorded ${row.to}, replay reaches ${state}`
          : null;
    snapshot = next;
    steps.push({ state, context: snapshot.context, problem });
  }
  return steps;
}
