/** Real saga entries for tests, moved by real events through the pure core, as the runtime stores them. */
import { applyEvent, applyHold, startSaga, type HoldEvent, type SagaEntry } from '../../orchestrator/saga/entry.ts';
import type { SagaEvent } from '../../machines/index.ts';

export const ENTRY_SETTINGS = { stepTimeoutMs: 1000, stepMaxAttempts: 2, sagaMachineVersion: 'order-saga@2' };

export function started(orderId: string, createdAt: number, customerId = `cust-${orderId}`): SagaEntry {
  return startSaga(
    {
      order: { orderId, customerId, currency: 'EUR', items: [{ sku: 'A', quantity: 2, unitPriceCents: 150 }], totalCents: 300 },
      traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01',
      requestHash: 'h',
    },
    createdAt,
    ENTRY_SETTINGS,
  );
}

/** Answers the pending command of `entry` with an event of `type`. */
export function answer(entry: SagaEntry, type: string, at: number): SagaEntry {
  const commandId = entry.snapshot.context.pending!.commandId;
  const event = { type, commandId, reference: 'ref', message: 'declined by the bank' } as SagaEvent;
  const result = applyEvent(entry, event, `${commandId}:${type}:${at}`, at, ENTRY_SETTINGS);
  if (result.kind !== 'applied') throw new Error(`${type} did not apply: ${result.kind}`);
  return result.entry;
}

const answered = (types: string[]) => (orderId: string, createdAt: number, customerId?: string) =>
  types.reduce((entry, type) => answer(entry, type, createdAt + 10), started(orderId, createdAt, customerId));

export const completed = answered(['INVENTORY_RESERVED', 'PAYMENT_CHARGED', 'SHIPMENT_CREATED']);
export const declined = answered(['INVENTORY_RESERVED', 'PAYMENT_DECLINED', 'INVENTORY_RELEASED']);
/** Reserved, waiting for the charge. */
export const charging = answered(['INVENTORY_RESERVED']);

/** Paused (or resumed) by an operator at `at`. */
export function held(entry: SagaEntry, type: HoldEvent['type'], at: number): SagaEntry {
  const result = applyHold(entry, { type, actor: 'ops-test', reason: `${type.toLowerCase()} for the test` }, `operator:${type}:${at}`, at);
  if (result.kind !== 'applied') throw new Error(`${type} did not apply: ${result.kind}`);
  return result.entry;
}
