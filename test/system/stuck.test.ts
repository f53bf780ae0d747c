/**
 * A SLOW- order's shipping hangs past its deadline on every attempt, with the default
 * SLOW_SHIPPING_MS and whatever STEP_TIMEOUT_MS and STEP_MAX_ATTEMPTS say: the saga goes
 * `stuck` and stays stuck across an orchestrator restart, even when the hang ends and the late
 * replies arrive, until an operator acts. Once the carrier is back (the first attempt's hang
 * is over and the shipment booked) an operator's retry completes at once.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUCKETS, CONSUMERS, STREAMS } from '../../lib/topology.ts';
import { listLedger } from '../support/ledger.ts';
import { checkBooks } from '../support/books.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

let system: TestSystem;
// A short timeout and the default attempts (3); SLOW_SHIPPING_MS is left at its default.
const STEP_TIMEOUT_MS = 1000;

beforeAll(async () => {
  system = await startSystem({ env: { STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS) } });
});
afterAll(async () => system?.stop());

const slowOrder = { customerId: 'cust-slow', items: [{ sku: 'SLOW-SOFA', quantity: 1, unitPriceCents: 50_000 }] };

/** Whether shipping has booked the order's shipment (the hang of its first attempt is over). */
async function shipmentBooked(orderId: string): Promise<boolean> {
  const ledger = await new Kvm(await system.connection()).open(BUCKETS.ledger('shipping'));
  const entry = (await listLedger(ledger)).find((e) => e.orderId === orderId);
  return Object.values(entry?.effects ?? {}).some((effect) => effect.step === 'createShipment' && effect.outcome === 'succeeded');
}

/** Whether a durable consumer has nothing left to deliver and nothing delivered but unacknowledged. */
async function drained(stream: string, consumer: string): Promise<boolean> {
  const info = await (await jetstreamManager(await system.connection())).consumers.info(stream, consumer);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

it('goes stuck after every attempt timed out, and stays stuck when the hang ends and the late replies arrive, across a restart', async () => {
  const { orderId } = (await system.api('/api/orders', { body: slowOrder })).body;
  const [stuck] = [...(await waitUntilSettled(system, [orderId], 30_000)).values()];
  expect(stuck.status).toBe('stuck');
  expect(stuck.state).toBe('stuck');
  expect(stuck.context.stuckStep).toBe('createShipment');
  expect(stuck.lastError).toMatchObject({ step: 'createShipment', attempt: 3, kind: 'timeout' });
  expect(stuck.history.filter((row: { event: string }) => row.event === 'STEP_TIMED_OUT')).toHaveLength(3);
  expect(stuck.allowedActions).toEqual(['retry', 'compensate', 'resolve', 'fail', 'pause']);
  // The carrier is still down: no attempt has booked the shipment yet.
  expect(await shipmentBooked(orderId)).toBe(false);

  // While the orchestrator is down the hangs end: the shipment is booked, every attempt answered.
  await system.services.orchestrator.kill();
  await until('the shipment to be booked', () => shipmentBooked(orderId), 30_000);
  await until('shipping to answer every attempt', () => drained(STREAMS.commands, CONSUMERS.worker('shipping')), 30_000);
  await system.services.orchestrator.start();
  await until('the orchestrator to read the late replies', () => drained(STREAMS.events, CONSUMERS.replies), 30_000);

  const after = (await system.api(`/api/orders/${orderId}`)).body;
  expect(after.status).toBe('stuck');
  expect(after.history).toHaveLength(stuck.history.length);
  expect((await system.api('/api/orders?status=stuck')).body.items.map((o: { orderId: string }) => o.orderId)).toContain(orderId);
});

it('completes on an operator retry once the carrier is back, and compensates another fully', async () => {
  const retried = (await system.api('/api/orders', { body: slowOrder })).body.orderId;
  const compensated = (await system.api('/api/orders', { body: slowOrder })).body.orderId;
  const settled = await waitUntilSettled(system, [retried, compensated], 30_000);
  expect([...settled.values()].map((order) => order.status)).toEqual(['stuck', 'stuck']);
  // The carrier is back once the first attempt's hang is over: the shipment is booked, so the retry completes.
  await until('the shipment to be booked', () => shipmentBooked(retried), 30_000);
  const retry = await system.api(`/api/orders/${retried}/retry`, { body: { reason: 'carrier is back' }, headers: { 'X-Actor': 'ops-anna' } });
  expect(retry.status).toBe(200);
  const compensate = await system.api(`/api/orders/${compensated}/compensate`, { body: { reason: 'customer gave up' } });
  expect(compensate.status).toBe(200);

  await until('both to finish', async () => {
    const [a, b] = await Promise.all([system.api(`/api/orders/${retried}`), system.api(`/api/orders/${compensated}`)]);
    return a.body.status === 'completed' && b.body.status === 'cancelled';
  }, 20_000);
  const retriedOrder = (await system.api(`/api/orders/${retried}`)).body;
  expect(retriedOrder.history.find((row: { event: string }) => row.event === 'RETRY')).toMatchObject({ actor: 'ops-anna', detail: 'carrier is back' });
  // Answered at once: the first attempt after the retry, no timeout in between.
  expect(retriedOrder.history.slice(-2).map((row: { event: string }) => row.event)).toEqual(['RETRY', 'SHIPMENT_CREATED']);
  const compensatedOrder = (await system.api(`/api/orders/${compensated}`)).body;
  expect(compensatedOrder.history.map((row: { to: string }) => row.to)).toEqual(
    expect.arrayContaining(['cancellingShipment', 'refundingPayment', 'releasingInventory', 'cancelled']),
  );
  // A second action on a finished order is refused with the reason.
  const again = await system.api(`/api/orders/${compensated}/retry`, { body: { reason: 'again' } });
  expect(again.status).toBe(409);
  expect(again.body.detail).toMatch(/not allowed while the order is cancelled/);

  const books = await checkBooks(await system.connection(), [
    { orderId: retried, status: 'completed', totalCents: 50_000 },
    { orderId: compensated, status: 'cancelled', totalCents: 50_000 },
  ]);
  expect(books.problems).toEqual([]);
  expect(books.totals.refunded).toBe(50_000);
});
