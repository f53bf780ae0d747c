/**
 * A SLOW- order's shipping hangs past its deadline on every attempt: the saga goes `stuck`
 * and stays stuck across an orchestrator restart, even when the late replies arrive, until
 * an operator acts.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkBooks } from '../support/books.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

let system: TestSystem;
const SLOW_SHIPPING_MS = 2500;

beforeAll(async () => {
  system = await startSystem({
    env: { STEP_TIMEOUT_MS: '500', STEP_MAX_ATTEMPTS: '2', SLOW_SHIPPING_MS: String(SLOW_SHIPPING_MS) },
  });
});
afterAll(async () => system?.stop());

const slowOrder = { customerId: 'cust-slow', items: [{ sku: 'SLOW-SOFA', quantity: 1, unitPriceCents: 50_000 }] };

it('goes stuck after its retries and stays stuck across a restart', async () => {
  const { orderId } = (await system.api('/api/orders', { body: slowOrder })).body;
  const [stuck] = [...(await waitUntilSettled(system, [orderId], 20_000)).values()];
  expect(stuck.status).toBe('stuck');
  expect(stuck.state).toBe('stuck');
  expect(stuck.context.stuckStep).toBe('createShipment');
  expect(stuck.lastError).toMatchObject({ step: 'createShipment', attempt: 2, kind: 'timeout' });
  expect(stuck.history.filter((row: { event: string }) => row.event === 'STEP_TIMED_OUT')).toHaveLength(2);
  expect(stuck.allowedActions).toEqual(['retry', 'compensate']);

  // While the orchestrator is down the slow shipments finish and their (late) replies queue up.
  await system.services.orchestrator.kill();
  await new Promise((r) => setTimeout(r, SLOW_SHIPPING_MS + 1000));
  await system.services.orchestrator.start();
  await new Promise((r) => setTimeout(r, 1500));

  const after = (await system.api(`/api/orders/${orderId}`)).body;
  expect(after.status).toBe('stuck');
  expect(after.history).toHaveLength(stuck.history.length);
  expect((await system.api('/api/orders?status=stuck')).body.items.map((o: { orderId: string }) => o.orderId)).toContain(orderId);
});

it('completes on an operator retry once shipping has caught up, and compensates another fully', async () => {
  const retried = (await system.api('/api/orders', { body: slowOrder })).body.orderId;
  const compensated = (await system.api('/api/orders', { body: slowOrder })).body.orderId;
  await waitUntilSettled(system, [retried, compensated], 20_000);
  // Let the slow shipments land, then retry: the shipment exists, so the retry completes.
  await new Promise((r) => setTimeout(r, SLOW_SHIPPING_MS + 500));
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
