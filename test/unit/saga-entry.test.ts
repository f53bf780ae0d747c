/**
 * The orchestrator's pure core: what one event does to a saga entry. These are the inner
 * rules in miniature: one value per step (snapshot + outbox + deadline + history), commands
 * only for new attempts, redelivery is a no-op, and the history replays to the same state.
 */
import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { machineFor } from '../../machines/index.ts';
import { applyEvent, startSaga, type SagaEntry } from '../../orchestrator/saga/entry.ts';

const settings = { stepTimeoutMs: 1000, stepMaxAttempts: 2, sagaMachineVersion: 'order-saga@1' };
const order = { orderId: 'ord_a', customerId: 'cust-1', currency: 'USD', items: [{ sku: 'A', quantity: 2, unitPriceCents: 150 }], totalCents: 300 };
const submission = { order, traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01', requestHash: 'h' };

function applied(entry: SagaEntry, event: Parameters<typeof applyEvent>[1], eventId: string, now: number): SagaEntry {
  const result = applyEvent(entry, event, eventId, now, settings);
  if (result.kind !== 'applied') throw new Error(`expected applied, got ${result.kind}`);
  return result.entry;
}

describe('a saga entry', () => {
  const started = startSaga(submission, 1000, settings);

  it('starts waiting for the reservation, with its command in the outbox and a deadline', () => {
    expect(started).toMatchObject({ state: 'reservingInventory', status: 'running', createdAt: 1000 });
    expect(started.outbox).toEqual([
      { service: 'inventory', step: 'reserveInventory', attempt: 1, commandId: 'ord_a:reserveInventory:1', effectKey: 'ord_a:reserveInventory', issuedAt: 1000 },
    ]);
    expect(started.deadline).toEqual({ at: 2000, commandId: 'ord_a:reserveInventory:1', timeoutMs: 1000 });
    expect(started.history).toEqual([{ eventId: 'submitted:ord_a', event: 'ORDER_SUBMITTED', from: null, to: 'reservingInventory', at: 1000 }]);
  });

  it('moves on a reply: next command, new deadline, one more history row', () => {
    const next = applied(started, { type: 'INVENTORY_RESERVED', commandId: 'ord_a:reserveInventory:1', reference: 'rsv_1' }, 'reply:1', 1500);
    expect(next.state).toBe('chargingPayment');
    expect(next.outbox.map((c) => c.commandId)).toEqual(['ord_a:chargePayment:1']);
    expect(next.deadline).toEqual({ at: 2500, commandId: 'ord_a:chargePayment:1', timeoutMs: 1000 });
    expect(next.history.at(-1)).toMatchObject({ event: 'INVENTORY_RESERVED', from: 'reservingInventory', to: 'chargingPayment', detail: 'rsv_1', at: 1500 });
    expect(next.updatedAt).toBe(1500);
  });

  it('treats a redelivered event as a duplicate, whatever state the saga is in now', () => {
    const next = applied(started, { type: 'INVENTORY_RESERVED', commandId: 'ord_a:reserveInventory:1', reference: 'r' }, 'reply:1', 1500);
    expect(applyEvent(next, { type: 'INVENTORY_RESERVED', commandId: 'ord_a:reserveInventory:1', reference: 'r' }, 'reply:1', 1600, settings)).toEqual({ kind: 'duplicate' });
  });

  it('ignores a late reply to an old attempt, changing nothing', () => {
    const retried = applied(started, { type: 'STEP_TIMED_OUT', commandId: 'ord_a:reserveInventory:1' }, 'timeout:1', 2000);
    const late = applyEvent(retried, { type: 'INVENTORY_RESERVED', commandId: 'ord_a:reserveInventory:1', reference: 'r' }, 'reply:late', 2100, settings);
    expect(late.kind).toBe('ignored');
  });

  it('retries a timed-out step as a new attempt with a new command and deadline', () => {
    const retried = applied(started, { type: 'STEP_TIMED_OUT', commandId: 'ord_a:reserveInventory:1' }, 'timeout:1', 2000);
    expect(retried.state).toBe('reservingInventory');
    expect(retried.outbox.map((c) => c.commandId)).toEqual(['ord_a:reserveInventory:2']);
    expect(retried.deadline).toEqual({ at: 3000, commandId: 'ord_a:reserveInventory:2', timeoutMs: 1000 });
  });

  it('parks in stuck with no command and no deadline when attempts are used up', () => {
    const once = applied(started, { type: 'STEP_TIMED_OUT', commandId: 'ord_a:reserveInventory:1' }, 't1', 2000);
    const stuck = applied(once, { type: 'STEP_TIMED_OUT', commandId: 'ord_a:reserveInventory:2' }, 't2', 3000);
    expect(stuck).toMatchObject({ state: 'stuck', status: 'stuck', outbox: [], deadline: null });
  });

  it('keeps the outbox and deadline when an event changes the saga but starts no new command', () => {
    // Operator cancel while charging: the refund is a new command; while refunding, nothing else moves it.
    const charging = applied(started, { type: 'INVENTORY_RESERVED', commandId: 'ord_a:reserveInventory:1', reference: 'r' }, 'r1', 1500);
    const cancelled = applied(charging, { type: 'CANCEL', actor: 'ops', reason: 'customer called' }, 'op1', 1600);
    expect(cancelled.state).toBe('refundingPayment');
    expect(cancelled.history.at(-1)).toMatchObject({ actor: 'ops', detail: 'customer called' });
    expect(cancelled.outbox.map((c) => c.commandId)).toEqual(['ord_a:refundPayment:1']);
  });

  it('records each event exactly as applied, so replaying the history rebuilds the same saga', () => {
    let entry = started;
    const events = [
      { type: 'STEP_FAILED_TRANSIENTLY', commandId: 'ord_a:reserveInventory:1', message: 'flaky' },
      { type: 'INVENTORY_RESERVED', commandId: 'ord_a:reserveInventory:2', reference: 'rsv' },
      { type: 'PAYMENT_DECLINED', commandId: 'ord_a:chargePayment:1', message: 'DECLINED: no funds' },
      { type: 'INVENTORY_RELEASED', commandId: 'ord_a:releaseInventory:1', reference: 'rel' },
    ] as const;
    events.forEach((event, i) => (entry = applied(entry, event, `e${i}`, 2000 + i)));
    expect(entry.state).toBe('cancelled');

    const machine = machineFor(entry.machineVersion);
    let [snapshot] = initialTransition(machine, { order, maxAttempts: settings.stepMaxAttempts });
    for (const row of entry.history.slice(1)) [snapshot] = transition(machine, snapshot, row.payload!);
    expect(snapshot.value).toBe(entry.state);
    expect(snapshot.context).toEqual(entry.snapshot.context);
  });
});
