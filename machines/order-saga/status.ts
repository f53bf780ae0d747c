import type { SnapshotFrom } from 'xstate';
import type { buildOrderSaga } from './definition.ts';
import { isSagaStatus, OPERATOR_ACTIONS, type OperatorAction, type SagaEvent, type SagaStatus } from './types.ts';

export type OrderSagaSnapshot = SnapshotFrom<ReturnType<typeof buildOrderSaga>>;

/** The order's status as users see it: the final states and `stuck` are named after theirs, every other state is running. */
export function statusOf(state: string): SagaStatus {
  return isSagaStatus(state) ? state : 'running';
}

const OPERATOR_EVENTS: Record<OperatorAction, SagaEvent> = {
  retry: { type: 'RETRY', actor: '', reason: '' },
  compensate: { type: 'COMPENSATE', actor: '', reason: '' },
  cancel: { type: 'CANCEL', actor: '', reason: '' },
  resolve: { type: 'RESOLVE', actor: '', reason: '', reference: '' },
  fail: { type: 'FAIL', actor: '', reason: '' },
};

/** The operator actions the machine accepts in this snapshot (its guards decide, not a copy). */
export function allowedActions(snapshot: OrderSagaSnapshot): OperatorAction[] {
  return OPERATOR_ACTIONS.filter((action) => snapshot.can(OPERATOR_EVENTS[action]));
}
