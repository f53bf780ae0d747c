/**
 * Resolving a stuck step by hand, on real processes: a SLOW- order parks in `stuck` at
 * createShipment (the carrier is down). The order says what it waits for and what each action
 * would set off; an operator who booked the parcel by phone resolves it with the carrier's
 * reference and the order completes as if shipping had answered; another order's shipment is
 * marked failed for good and the order compensates: the shipment's own cancel first (its attempt
 * still hangs in the worker and may book it late; the cancel finds nothing and leaves a
 * tombstone), then the refund and the release. Each act is in the history with its actor and in
 * the audit trail; the books balance. Last, end to end with a frozen worker: the late attempt
 * wakes after the order was failed and cancelled, and is refused by that tombstone.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUCKETS, CONSUMERS, STREAMS } from '../../lib/topology.ts';
import { readEntry, type EffectRecord } from '../../workers/ledger.ts';
import { checkBooks } from '../support/books.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

const TOKEN = 'ops-secret-token';
const ops = { Authorization: `Bearer ${TOKEN}`, 'X-Actor': 'ops-anna' };
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ env: { STEP_TIMEOUT_MS: '400', STEP_MAX_ATTEMPTS: '1', SLOW_SHIPPING_MS: '600000', OPS_TOKEN: TOKEN } });
}, 90_000);
afterAll(async () => system?.stop());

/** The order's effects in the shipping service's books, by step. */
async function shippingEffects(nc: NatsConnection, orderId: string): Promise<Partial<Record<string, EffectRecord>>> {
  const kv = await new Kvm(nc).open(BUCKETS.ledger('shipping'));
  return Object.fromEntries(Object.values((await readEntry(kv, orderId)).entry.effects).map((effect) => [effect.step, effect]));
}

async function stuckSlowOrder(priceCents: number): Promise<any> {
  const { orderId } = (await system.api('/api/orders', { body: { customerId: 'cust-phone', items: [{ sku: 'SLOW-PIANO', quantity: 1, unitPriceCents: priceCents }] } })).body;
  const [order] = [...(await waitUntilSettled(system, [orderId], 30_000)).values()];
  expect(order).toMatchObject({ status: 'stuck', context: { stuckStep: 'createShipment' } });
  return order;
}

it('resolves a stuck shipment with the carrier reference: the order completes, the act is in the history and the audit', async () => {
  const stuck = await stuckSlowOrder(120_000);
  expect(stuck.allowedActions).toEqual(['retry', 'compensate', 'resolve', 'fail', 'pause']);
  expect(stuck.next.says).toMatch(/^is parked: book the shipment did not succeed/);
  const resolvePlan = stuck.next.plans.find((plan: { action: string }) => plan.action === 'resolve');
  expect(resolvePlan).toMatchObject({ ends: 'completed', commands: [] });

  // The reference is required.
  expect((await system.api(`/api/orders/${stuck.orderId}/resolve`, { body: { reason: 'booked by phone' }, headers: ops })).status).toBe(400);
  const resolved = await system.api(`/api/orders/${stuck.orderId}/resolve`, { body: { reason: 'booked by phone', reference: 'DHL-4711' }, headers: ops });
  expect(resolved.status).toBe(200);
  expect(resolved.body).toMatchObject({ status: 'completed', context: { references: { createShipment: 'DHL-4711' }, effects: { createShipment: 'applied' } } });
  expect(resolved.body.history.at(-1)).toMatchObject({ event: 'RESOLVE', from: 'stuck', to: 'completed', actor: 'ops-anna (token: operator)', detail: 'booked by phone' });
  // Done is done: a second resolve is refused with what the order allows now.
  const again = await system.api(`/api/orders/${stuck.orderId}/resolve`, { body: { reason: 'twice', reference: 'DHL-4711' }, headers: ops });
  expect(again.status).toBe(409);
  expect(again.body.allowedActions).toEqual([]);
  const audit = (await system.api(`/api/audit?orderId=${stuck.orderId}`)).body.items;
  expect(audit.map((record: { action: string; result: string }) => `${record.action}:${record.result}`)).toEqual(expect.arrayContaining(['resolve:applied', 'resolve:refused']));
});

it('fails a stuck shipment for good: the order cancels the shipment first (a tombstone), refunds and releases, and the books balance', async () => {
  const stuck = await stuckSlowOrder(80_000);
  // New sagas start on the current version, @3: from @3 on, FAIL undoes the stuck step too (@1 and @2 do not).
  expect(stuck.machineVersion).toBe('order-saga@3');
  const failPlan = stuck.next.plans.find((plan: { action: string }) => plan.action === 'fail');
  expect(failPlan.commands.map((command: { step: string }) => command.step)).toEqual(['cancelShipment', 'releaseInventory', 'refundPayment']);
  expect(failPlan.ends).toBe('cancelled');

  const failed = await system.api(`/api/orders/${stuck.orderId}/fail`, { body: { reason: 'the carrier lost it for good' }, headers: ops });
  expect(failed.status).toBe(200);
  expect(failed.body).toMatchObject({ context: { effects: { createShipment: 'pending' }, pending: { step: 'cancelShipment', attempt: 1 } } });
  expect(failed.body.lastError).toMatchObject({ step: 'createShipment', kind: 'permanent', message: 'marked failed by ops-anna (token: operator): the carrier lost it for good' });
  const [order] = [...(await waitUntilSettled(system, [stuck.orderId], 30_000)).values()];
  expect(order.status).toBe('cancelled');
  expect(order.context.effects).toEqual({ createShipment: 'compensated', chargePayment: 'compensated', reserveInventory: 'compensated' });
  const events = order.history.map((row: { event: string }) => row.event);
  expect(events.slice(events.indexOf('FAIL'))).toEqual(['FAIL', 'SHIPMENT_CANCELLED', 'INVENTORY_RELEASED', 'PAYMENT_REFUNDED']);
  // The shipment's attempt still hangs in the worker; the cancel found nothing booked and left a tombstone that will refuse it.
  const nc = await system.connection();
  const shipping = await shippingEffects(nc, order.orderId);
  expect(shipping.createShipment).toBeUndefined();
  expect(shipping.cancelShipment).toMatchObject({ outcome: 'succeeded', tombstone: true });
  const books = await checkBooks(nc, [{ orderId: order.orderId, status: 'cancelled', totalCents: 80_000 }]);
  expect(books.problems).toEqual([]);
  expect(books.totals.refunded).toBe(books.totals.charged);
});

it(
  'a shipment attempt frozen in its worker (SIGSTOP) while an operator fails it: the order is cancelled, and the attempt, woken late (SIGCONT), is refused',
  async () => {
    // Its own system: one shipping instance to freeze with the attempt in hand, a second to
    // serve the cancel meanwhile. The first one's SLOW- hang is short, so the attempt would book
    // the shipment as soon as it wakes, unless something stops it.
    const own = await startSystem({
      env: { STEP_TIMEOUT_MS: '400', STEP_MAX_ATTEMPTS: '1', OPS_TOKEN: TOKEN },
      extraInstances: { shipping: 1 },
      envFor: (label) => (label === 'shipping' ? { SLOW_SHIPPING_MS: '3000' } : undefined),
    });
    try {
      const frozen = own.services.shipping;
      const spare = own.extra.find((s) => s.label === 'shipping#2')!;
      const nc = await own.connection();
      const jsm = await jetstreamManager(nc);
      const consumer = () => jsm.consumers.info(STREAMS.commands, CONSUMERS.worker('shipping'));
      // Only the first instance pulls: it takes the attempt.
      await spare.stop();

      const totalCents = 45_000;
      const { orderId } = (await own.api('/api/orders', { body: { customerId: 'cust-frozen', items: [{ sku: 'SLOW-WARDROBE', quantity: 1, unitPriceCents: totalCents }] } })).body;
      await until('shipping to hold the attempt', async () => (await consumer()).num_ack_pending > 0, 10_000);
      frozen.pause();
      const [stuck] = [...(await waitUntilSettled(own, [orderId], 30_000)).values()];
      expect(stuck).toMatchObject({ status: 'stuck', machineVersion: 'order-saga@3', context: { stuckStep: 'createShipment', effects: { createShipment: 'pending' } } });

      // The frozen instance's pull requests run out (5 s); then the spare is the only one to pull.
      await until("the frozen instance's pulls to expire", async () => (await consumer()).num_waiting === 0, 15_000);
      await spare.start();

      const failed = await own.api(`/api/orders/${orderId}/fail`, { body: { reason: 'the carrier says nothing was booked' }, headers: ops });
      expect(failed.status).toBe(200);
      const [order] = [...(await waitUntilSettled(own, [orderId], 30_000)).values()];
      expect(order.status).toBe('cancelled');
      expect(order.context.effects).toEqual({ createShipment: 'compensated', chargePayment: 'compensated', reserveInventory: 'compensated' });
      expect((await shippingEffects(nc, orderId)).cancelShipment).toMatchObject({ outcome: 'succeeded', tombstone: true });
      expect((await consumer()).num_ack_pending).toBe(1);

      // The worker wakes, its hang long over, and the attempt it held is decided now: refused.
      frozen.resume();
      await until('the late attempt to be decided', async () => (await shippingEffects(nc, orderId)).createShipment !== undefined, 15_000);
      expect((await shippingEffects(nc, orderId)).createShipment).toMatchObject({ outcome: 'failed', code: 'ALREADY_CANCELLED', commandId: `${orderId}:createShipment:1` });
      await until('the late attempt to be answered', async () => (await consumer()).num_ack_pending === 0, 10_000);
      // The late answer moves nothing: the order stays cancelled, the money refunded, no parcel booked.
      const after = (await own.api(`/api/orders/${orderId}`)).body;
      expect(after).toMatchObject({ status: 'cancelled', context: { effects: order.context.effects } });
      const books = await checkBooks(nc, [{ orderId, status: 'cancelled', totalCents }]);
      expect(books.problems).toEqual([]);
      expect(books.totals).toMatchObject({ shipped: 0, charged: totalCents, refunded: totalCents });
    } finally {
      await own.stop();
    }
  },
  120_000,
);
