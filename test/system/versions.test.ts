/**
 * Machine versions: sagas started on order-saga@1 keep running on it after the orchestrator
 * moves to the current version, @3 (which releases stock before refunding, as @2 does). Replay
 * dry-run shows where @3 would differ, on any saga; a real replay moves a stuck saga onto @3, so
 * what the operator does next follows @3's rules, and never re-opens a finished one (409: nothing
 * sent, not counted again).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codec } from '../../lib/codec.ts';
import { STREAMS } from '../../lib/topology.ts';
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
let v1StuckToMove: string;

beforeAll(async () => {
  // SLOW_SHIPPING_MS left at its default: longer than every attempt, so SLOW- orders park.
  system = await startSystem({ env: { SAGA_MACHINE_VERSION: 'order-saga@1', STEP_TIMEOUT_MS: '400', STEP_MAX_ATTEMPTS: '2' } });
  v1NoShip = await submit(noShip);
  v1Happy = await submit(happy);
  v1Stuck = await submit(slow);
  v1StuckToMove = await submit(slow);
  await waitUntilSettled(system, [v1NoShip, v1Happy, v1Stuck, v1StuckToMove]);
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
  expect(current.machineVersion).toBe('order-saga@3');
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
  expect(agrees.body).toMatchObject({ machineVersion: 'order-saga@3', recordedVersion: 'order-saga@1', firstDivergence: null });

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

/** Every saga_finished_total sample of the orchestrator, summed. */
async function finishedTotal(): Promise<number> {
  const text = await (await fetch(`${system.baseUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('saga_finished_total'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

/** The commands stream's messages after `seq` that belong to `orderId`. */
async function commandsFor(orderId: string, afterSeq: number): Promise<number> {
  const jsm = await jetstreamManager(await system.connection());
  const last = (await jsm.streams.info(STREAMS.commands)).state.last_seq;
  let found = 0;
  for (let seq = afterSeq + 1; seq <= last; seq++) {
    const msg = await jsm.streams.getMessage(STREAMS.commands, { seq }).catch(() => null);
    if (msg && codec.command.decode(msg.data).meta?.orderId === orderId) found++;
  }
  return found;
}

it('never re-opens a finished saga: 409 with the reason, nothing re-sent, not counted finished again', async () => {
  const jsm = await jetstreamManager(await system.connection());
  for (const orderId of [v1NoShip, v1Happy]) {
    const before = (await system.api(`/api/orders/${orderId}`)).body;
    const finishedBefore = await finishedTotal();
    const seqBefore = (await jsm.streams.info(STREAMS.commands)).state.last_seq;

    const replay = await system.api(`/api/orders/${orderId}/replay`, { body: { reason: 'adopt v3' }, headers: { 'X-Actor': 'ops-cara' } });
    expect(replay.status).toBe(409);
    expect(replay.body.detail).toMatch(new RegExp(`the order is ${before.status}: replay never re-opens a finished saga`));
    // The comparison is still there, divergence and all.
    expect(replay.body.plan).toMatchObject({ machineVersion: 'order-saga@3', recordedVersion: 'order-saga@1' });

    // Commands are published before the answer: had any gone out, the stream would hold them now.
    expect(await commandsFor(orderId, seqBefore)).toBe(0);
    expect(await finishedTotal()).toBe(finishedBefore);
    const after = (await system.api(`/api/orders/${orderId}`)).body;
    expect(after).toMatchObject({ status: before.status, state: before.state, machineVersion: 'order-saga@1' });
    expect(after.history).toEqual(before.history);
  }
  const noShipPlan = (await system.api(`/api/orders/${v1NoShip}/replay`, { body: { reason: 'adopt v3' } })).body.plan;
  expect(noShipPlan.steps[noShipPlan.firstDivergence].event).toBe('SHIPMENT_REJECTED');
});

it('moves a stuck saga onto the current version, so its compensation follows the new rules, without a second refund or release', async () => {
  const before = (await system.api(`/api/orders/${v1StuckToMove}`)).body;
  expect(before).toMatchObject({ status: 'stuck', machineVersion: 'order-saga@1' });
  const replay = await system.api(`/api/orders/${v1StuckToMove}/replay`, { body: { reason: 'adopt v3' }, headers: { 'X-Actor': 'ops-cara' } });
  expect(replay.status).toBe(200);
  expect(replay.body.order).toMatchObject({ machineVersion: 'order-saga@3', state: 'stuck', status: 'stuck', pending: null });
  expect(replay.body.order.history.at(-1)).toMatchObject({ event: 'REPLAY', actor: 'ops-cara', from: 'stuck', to: 'stuck' });
  // Replaying again: the current version agrees, nothing to do.
  const again = await system.api(`/api/orders/${v1StuckToMove}/replay`, { body: { reason: 'again' } });
  expect(again.status).toBe(409);
  expect(again.body.detail).toMatch(/agrees with the recorded history/);

  const compensated = await system.api(`/api/orders/${v1StuckToMove}/compensate`, { body: { reason: 'give up' } });
  expect(compensated.status).toBe(200);
  await until('the moved saga to be compensated', async () => (await system.api(`/api/orders/${v1StuckToMove}`)).body.status === 'cancelled');
  const after = (await system.api(`/api/orders/${v1StuckToMove}`)).body;
  expect(after.history.slice(0, before.history.length)).toEqual(before.history);
  // @3's order of undo (@2's): release before refund (@1 refunds first, as the saga compensated on @1 shows).
  expect(states(after).slice(-4)).toEqual(['cancellingShipment', 'releasingInventory', 'refundingPayment', 'cancelled']);

  const books = await checkBooks(await system.connection(), [{ orderId: v1StuckToMove, status: 'cancelled', totalCents: 700 }]);
  expect(books.problems).toEqual([]);
  expect(books.totals).toMatchObject({ charged: 700, refunded: 700, reserved: 1, released: 1 });
});
