/**
 * Replay, pure: a dry run compares any saga with another machine version; a real replay moves
 * a running or stuck saga onto it (new command ids from the divergence on), and never re-opens
 * a finished one (completed, cancelled, failed): refused with the reason, nothing written.
 */
import { describe, expect, it } from 'vitest';
import { ORDER_SAGA_V1, ORDER_SAGA_V2, type SagaEvent } from '../../machines/index.ts';
import { applyEvent, startSaga, type SagaEntry } from '../../orchestrator/saga/entry.ts';
import { rebaseOnto, replayDryRun } from '../../orchestrator/saga/replay.ts';

const settings = { stepTimeoutMs: 1000, stepMaxAttempts: 2, sagaMachineVersion: ORDER_SAGA_V1 };
const order = { orderId: 'ord_r', customerId: 'cust-1', currency: 'USD', items: [{ sku: 'NOSHIP-1', quantity: 1, unitPriceCents: 700 }], totalCents: 700 };
const submission = { order, traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01', requestHash: 'h' };
const operator = { actor: 'ops-cara', reason: 'adopt v2' };

/** Apply each event in turn on the saga's own version, as the runtime would. */
function run(events: SagaEvent[]): SagaEntry {
  let entry = startSaga(submission, 1000, settings);
  events.forEach((event, index) => {
    const result = applyEvent(entry, event, `e${index}`, 2000 + index, settings);
    if (result.kind !== 'applied') throw new Error(`${event.type}: ${result.kind}`);
    entry = result.entry;
  });
  return entry;
}

const upToRejected: SagaEvent[] = [
  { type: 'INVENTORY_RESERVED', commandId: 'ord_r:reserveInventory:1', reference: 'rsv' },
  { type: 'PAYMENT_CHARGED', commandId: 'ord_r:chargePayment:1', reference: 'chg' },
  { type: 'SHIPMENT_REJECTED', commandId: 'ord_r:createShipment:1', message: 'NOSHIP-1 cannot be shipped' },
];

describe('replay onto another machine version', () => {
  // On @1 a rejected shipment refunds first; @2 releases the stock first.
  const cancelled = run([
    ...upToRejected,
    { type: 'PAYMENT_REFUNDED', commandId: 'ord_r:refundPayment:1', reference: 'rfd' },
    { type: 'INVENTORY_RELEASED', commandId: 'ord_r:releaseInventory:1', reference: 'rel' },
  ]);

  it('dry-runs a finished saga: the comparison, first divergence included', () => {
    expect(cancelled).toMatchObject({ status: 'cancelled', machineVersion: ORDER_SAGA_V1 });
    const plan = replayDryRun(cancelled, ORDER_SAGA_V2);
    expect(plan.steps[plan.firstDivergence!]).toMatchObject({
      event: 'SHIPMENT_REJECTED',
      recorded: { to: 'refundingPayment' },
      replayed: { to: 'releasingInventory' },
    });
  });

  it('never re-opens a finished saga: refused with the reason and the comparison, nothing to write or send', () => {
    const result = rebaseOnto(cancelled, operator, 9000, settings, ORDER_SAGA_V2);
    expect(result).toMatchObject({ kind: 'refused', plan: replayDryRun(cancelled, ORDER_SAGA_V2) });
    expect(result.kind === 'refused' && result.detail).toMatch(/the order is cancelled: replay never re-opens a finished saga/);
    expect('entry' in result).toBe(false);
  });

  it('refuses a completed saga too, even when only the version would change', () => {
    const completed = run([
      { type: 'INVENTORY_RESERVED', commandId: 'ord_r:reserveInventory:1', reference: 'rsv' },
      { type: 'PAYMENT_CHARGED', commandId: 'ord_r:chargePayment:1', reference: 'chg' },
      { type: 'SHIPMENT_CREATED', commandId: 'ord_r:createShipment:1', reference: 'shp' },
    ]);
    expect(completed.status).toBe('completed');
    const result = rebaseOnto(completed, operator, 9000, settings, ORDER_SAGA_V2);
    expect(result.kind).toBe('refused');
    expect(result.plan.firstDivergence).toBeNull();
  });

  it('moves a saga still undoing from the divergence on, with a command id past every recorded one', () => {
    // Refund timed out once on @1: the saga is still running.
    const refunding = run([...upToRejected, { type: 'STEP_TIMED_OUT', commandId: 'ord_r:refundPayment:1' }]);
    expect(refunding).toMatchObject({ status: 'running', state: 'refundingPayment' });
    const result = rebaseOnto(refunding, operator, 9000, settings, ORDER_SAGA_V2);
    if (result.kind !== 'rebased') throw new Error(`expected rebased, got ${result.kind}`);
    expect(result.entry).toMatchObject({ machineVersion: ORDER_SAGA_V2, state: 'releasingInventory', status: 'running' });
    expect(result.entry.outbox.map((command) => command.commandId)).toEqual(['ord_r:releaseInventory:1']);
    expect(result.entry.history.at(-1)).toMatchObject({ event: 'REPLAY', from: 'refundingPayment', to: 'releasingInventory', actor: 'ops-cara' });
  });

  it('moves a stuck saga that agrees with the new version without sending anything', () => {
    const stuck = run([
      { type: 'INVENTORY_RESERVED', commandId: 'ord_r:reserveInventory:1', reference: 'rsv' },
      { type: 'PAYMENT_CHARGED', commandId: 'ord_r:chargePayment:1', reference: 'chg' },
      { type: 'STEP_TIMED_OUT', commandId: 'ord_r:createShipment:1' },
      { type: 'STEP_TIMED_OUT', commandId: 'ord_r:createShipment:2' },
    ]);
    expect(stuck.status).toBe('stuck');
    const result = rebaseOnto(stuck, operator, 9000, settings, ORDER_SAGA_V2);
    if (result.kind !== 'rebased') throw new Error(`expected rebased, got ${result.kind}`);
    expect(result.entry).toMatchObject({ machineVersion: ORDER_SAGA_V2, state: 'stuck', outbox: [] });
    // On its new version now: replaying again has nothing to do.
    expect(rebaseOnto(result.entry, operator, 9500, settings, ORDER_SAGA_V2).kind).toBe('unchanged');
  });
});
