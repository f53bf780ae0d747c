/**
 * Machine versions: sagas started on order-saga@1 keep running on it after the orchestrator
 * moves to @2 (which releases stock before refunding). Replay dry-run shows where @2 would
 * differ; a real replay moves a saga onto @2 from that point with new command ids, and the
 * books still balance (no second refund or release).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkBooks } from '../support/books.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

let system: TestSystem;
const noShip = { customerId: 'cust-v', items: [{ sku: 'NOSHIP-1', quantity: 2, unitPriceCents: 700 }] };
const happy = { customerId: 'cust-v', items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 700 }] };
const slow = { customerId: 'cust-v', items: [{ sku: 'SLOW-1', quantity: 1, unitPriceCents: 700 }] };
const states = (order: any) => order.history.map((row: any) => row.to);
const submit = async (body: unknown) => (await system.api('/api/orders', { body })).body.orderId as string;

let v1NoShip: string;
let v1Happy: string;
let v1Stuck: string;

beforeAll(async () => {
  system = await startSystem({ env: { SAGA_MACHINE_VERSION: 'order-saga@1', STEP_TIMEOUT_MS: '400', STEP_MAX_ATTEMPTS: '2', SLOW_SHIPPING_MS: '800' } });
  v1NoShip = await submit(noShip);
  v1Happy = await submit(happy);
  v1Stuck = await submit(slow);
  await waitUntilSettled(system, [v1NoShip, v1Happy, v1Stuck]);
  // Roll the orchestrator forward to the current version.
  await system.services.orchestrator.stop();
  await system.services.orchestrator.start({ SAGA_MACHINE_VERSION: '' });
});
afterAll(async () => system?.stop());

it('runs old sagas on their version and new ones on the current version', async () => {
  const old = (await system.api(`/api/orders/${v1NoShip}`)).body;
  expect(old.machineVersion).toBe('order-saga@1');
  expect(states(old).slice(-3)).toEqual(['refundingPayment', 'releasingInventory', 'cancelled']);

  const fresh = await submit(noShip);
  const [current] = [...(await waitUntilSettled(system, [fresh])).values()];
  expect(current.machineVersion).toBe('order-saga@2');
  expect(states(current).slice(-3)).toEqual(['releasingInventory', 'refundingPayment', 'cancelled']);

  // An operator compensating the stuck @1 saga gets @1's order of undo.
  const compensated = await system.api(`/api/orders/${v1Stuck}/compensate`, { body: { reason: 'give up' } });
  expect(compensated.status).toBe(200);
  await until('the stuck saga to be compensated', async () => (await system.api(`/api/orders/${v1Stuck}`)).body.status === 'cancelled');
  const undone = (await system.api(`/api/orders/${v1Stuck}`)).body;
  expect(undone.machineVersion).toBe('order-saga@1');
  expect(states(undone).slice(-4)).toEqual(['cancellingShipment', 'refundingPayment', 'releasingInventory', 'cancelled']);
});

it('reports no divergence for a completed order and the divergence for an older rule', async () => {
  const agrees = await system.api(`/api/orders/${v1Happy}/replay?dryRun=true`, { body: { reason: 'check' } });
  expect(agrees.body).toMatchObject({ machineVersion: 'order-saga@2', recordedVersion: 'order-saga@1', firstDivergence: null });

  const differs = (await system.api(`/api/orders/${v1NoShip}/replay?dryRun=true`, { body: { reason: 'check' } })).body;
  const step = differs.steps[differs.firstDivergence];
  expect(step).toMatchObject({
    event: 'SHIPMENT_REJECTED',
    recorded: { from: 'creatingShipment', to: 'refundingPayment' },
    replayed: { from: 'creatingShipment', to: 'releasingInventory' },
    differs: true,
  });
  // A dry run changes nothing.
  expect((await system.api(`/api/orders/${v1NoShip}`)).body.machineVersion).toBe('order-saga@1');
});

it('moves a saga onto the current version from the divergence, without a second refund or release', async () => {
  const before = (await system.api(`/api/orders/${v1NoShip}`)).body;
  const replay = await system.api(`/api/orders/${v1NoShip}/replay`, { body: { reason: 'adopt v2' }, headers: { 'X-Actor': 'ops-cara' } });
  expect(replay.status).toBe(200);
  expect(replay.body.order).toMatchObject({ machineVersion: 'order-saga@2', state: 'releasingInventory' });
  expect(replay.body.order.pending.commandId).toBe(`${v1NoShip}:releaseInventory:2`);

  await until('the replayed saga to finish', async () => (await system.api(`/api/orders/${v1NoShip}`)).body.status === 'cancelled');
  const after = (await system.api(`/api/orders/${v1NoShip}`)).body;
  expect(after.history.slice(0, before.history.length)).toEqual(before.history);
  expect(after.history[before.history.length]).toMatchObject({ event: 'REPLAY', actor: 'ops-cara', from: 'cancelled', to: 'releasingInventory' });
  expect(states(after).slice(-3)).toEqual(['releasingInventory', 'refundingPayment', 'cancelled']);

  const books = await checkBooks(await system.connection(), [{ orderId: v1NoShip, status: 'cancelled', totalCents: 1400 }]);
  expect(books.problems).toEqual([]);
  expect(books.totals).toMatchObject({ charged: 1400, refunded: 1400, reserved: 2, released: 2 });

  // Replaying again: the current version agrees, nothing to do.
  const again = await system.api(`/api/orders/${v1NoShip}/replay`, { body: { reason: 'again' } });
  expect(again.status).toBe(409);
  expect(again.body.detail).toMatch(/agrees with the recorded history/);
});

it('moves a completed saga with no divergence onto the current version without sending anything', async () => {
  const replay = await system.api(`/api/orders/${v1Happy}/replay`, { body: { reason: 'adopt v2' } });
  expect(replay.status).toBe(200);
  expect(replay.body.order).toMatchObject({ machineVersion: 'order-saga@2', state: 'completed', status: 'completed', pending: null });
});
