import type { SnapshotFrom } from 'xstate';
import type { buildOrderSaga } from './definition.ts';
import type { OperatorAction, SagaEvent, SagaStatus } from './types.ts';

export type OrderSagaSnapshot = SnapshotFrom<ReturnType<typeof buildOrderSaga>>;

const FINAL_STATUS: Record<string, SagaStatus> = {
  completed: 'completed',
  cancelled: 'cancelled',
  failed: 'failed',
  stuck: 'stuck',
};

/** The order's status as users see it, derived from the machine state. */
export function statusOf(state: string): SagaStatus {
  return FINAL_STATUS[state] ?? 'running';
}

const OPERATOR_EVENTS: Record<OperatorAction, SagaEvent> = {
  retry: { type: 'RETRY', actor: '', reason: '' },
  compensate: { type: 'COMPENSATE', actor: '', reason: '' },
  cancel: { type: 'CANCEL', actor: '', reason: '' },
};

/** The operator actions the machine accepts in this snapshot (its guards decide, not a copy). */
export function allowedActions(snapshot: OrderSagaSnapshot): OperatorAction[] {
  return (Object.keys(OPERATOR_EVENTS) as OperatorAction[]).filter((action) =>
    snapshot.can(OPERATOR_EVENTS[action]),
  );
}
