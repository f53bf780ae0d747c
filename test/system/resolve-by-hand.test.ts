/**
 * Resolving a stuck step by hand, on real processes: a SLOW- order parks in `stuck` at
 * createShipment (the carrier is down). The order says what it waits for and what each action
 * would set off; an operator who booked the parcel by phone resolves it with the carrier's
 * reference and the order completes as if shipping had answered; another order's shipment is
 * marked failed for good and the order compensates (refund, release) without a shipment to
 * cancel. Each act is in the history with its actor and in the audit trail; the books balance.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkBooks } from '../support/books.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

const TOKEN = 'ops-secret-token';
const ops = { Authorization: `Bearer ${TOKEN}`, 'X-Actor': 'ops-anna' };
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ env: { STEP_TIMEOUT_MS: '400', STEP_MAX_ATTEMPTS: '1', SLOW_SHIPPING_MS: '600000', OPS_TOKEN: TOKEN } });
}, 90_000);
afterAll(async () => system?.stop());

async function stuckSlowOrder(priceCents: number): Promise<any> {
  const { orderId } = (await system.api('/api/orders', { body: { customerId: 'cust-phone', items: [{ sku: 'SLOW-PIANO', quantity: 1, unitPriceCents: priceCents }] } })).body;
  const [order] = [...(await waitUntilSettled(system, [orderId], 30_000)).values()];
  expect(order).toMatchObject({ status: 'stuck', context: { stuckStep: 'createShipment' } });
  return order;
}

it('resolves a stuck shipment with the carrier reference: the order completes, the act is in the history and the audit', async () => {
  const stuck = await stuckSlowOrder(120_000);
  expect(stuck.allowedActions).toEqual(['retry', 'compensate', 'resolve', 'fail']);
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

it('fails a stuck shipment for good: the order refunds and releases, cancels no shipment, and the books balance', async () => {
  const stuck = await stuckSlowOrder(80_000);
  const failPlan = stuck.next.plans.find((plan: { action: string }) => plan.action === 'fail');
  expect(failPlan.commands.map((command: { step: string }) => command.step)).toEqual(['releaseInventory', 'refundPayment']);
  expect(failPlan.ends).toBe('cancelled');

  const failed = await system.api(`/api/orders/${stuck.orderId}/fail`, { body: { reason: 'the carrier lost it for good' }, headers: ops });
  expect(failed.status).toBe(200);
  const [order] = [...(await waitUntilSettled(system, [stuck.orderId], 30_000)).values()];
  expect(order.status).toBe('cancelled');
  expect(order.context.effects).toMatchObject({ createShipment: 'failed', chargePayment: 'compensated', reserveInventory: 'compensated' });
  expect(order.history.map((row: { event: string }) => row.event)).not.toContain('SHIPMENT_CANCELLED');
  const books = await checkBooks(await system.connection(), [{ orderId: order.orderId, status: 'cancelled', totalCents: 80_000 }]);
  expect(books.problems).toEqual([]);
  expect(books.totals.refunded).toBe(books.totals.charged);
});
