/**
 * Incidents on the real system (nats-server, orchestrator, workers as processes): sagas stuck
 * for two causes (SLOW- orders whose shipping times out; orders whose payment worker fails every
 * call until it gives up) come out as two groups, each with its count, times and sample; each
 * group's bulk dry run selects exactly that group, and so do the list and the export; a bulk
 * retry of one group repairs it and leaves the other stuck.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

let system: TestSystem;
const slow = { customerId: 'cust-slow', items: [{ sku: 'SLOW-SOFA', quantity: 1, unitPriceCents: 50_000 }] };
const plain = (n: number) => ({ customerId: `cust-pay-${n}`, items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 1250 + n }] });
const ids = { shipping: [] as string[], payment: [] as string[] };

const submit = async (body: unknown) => {
  const answer = await system.api('/api/orders', { body });
  expect(answer.status).toBe(202);
  return answer.body.orderId as string;
};
const sorted = (list: string[]) => [...list].sort();

beforeAll(async () => {
  // Two attempts per step, a second each; the carrier stays down for a minute; a worker gives a command up after two deliveries.
  system = await startSystem({ env: { STEP_TIMEOUT_MS: '1000', STEP_MAX_ATTEMPTS: '2', SLOW_SHIPPING_MS: '60000', WORKER_MAX_DELIVERIES: '2', WORKER_BACKOFF_MS: '20' } });
  for (let n = 0; n < 3; n++) ids.shipping.push(await submit(slow));
  const parked = await waitUntilSettled(system, ids.shipping, 30_000);
  expect(ids.shipping.map((id) => parked.get(id)?.status)).toEqual(['stuck', 'stuck', 'stuck']);
  // Now every payment call fails: the worker gives up, the saga retries, then parks.
  await system.services.payment.stop();
  await system.services.payment.start({ FAULT_RATE: '1' });
  for (let n = 0; n < 2; n++) ids.payment.push(await submit(plain(n)));
  const failing = await waitUntilSettled(system, ids.payment, 30_000);
  expect(ids.payment.map((id) => failing.get(id)).map((o) => [o?.status, o?.lastError?.step, o?.lastError?.kind])).toEqual([
    ['stuck', 'chargePayment', 'transient'],
    ['stuck', 'chargePayment', 'transient'],
  ]);
}, 120_000);
afterAll(async () => system?.stop());

it('groups the stuck sagas by step and normalised error, with counts, times and samples', async () => {
  const { status, body } = await system.api('/api/incidents');
  expect(status).toBe(200);
  expect(body).toMatchObject({ sagas: 5, groupCount: 2 });
  const [shipping, payment] = body.groups;
  expect(shipping).toMatchObject({
    kind: 'stuck',
    step: 'createShipment',
    errorKind: 'timeout',
    error: 'no reply within the step deadline (attempt #)',
    title: '3 stuck at createShipment: no reply within the step deadline (attempt #)',
    count: 3,
    actions: ['retry', 'compensate'],
  });
  expect(sorted(shipping.sample)).toEqual(sorted(ids.shipping));
  expect(payment).toMatchObject({ kind: 'stuck', step: 'chargePayment', errorKind: 'transient', count: 2, error: 'gave up after # deliveries: simulated transient fault' });
  expect(sorted(payment.sample)).toEqual(sorted(ids.payment));
  expect(payment.example.message).toBe('gave up after 2 deliveries: simulated transient fault');
  for (const group of [shipping, payment]) {
    expect(Date.parse(group.firstSeen)).toBeLessThanOrEqual(Date.parse(group.lastSeen));
    expect(Date.now() - Date.parse(group.lastSeen)).toBeLessThan(120_000);
  }
});

it("selects exactly one group in the bulk dry run, the list and the export, by the group's filter", async () => {
  const { groups } = (await system.api('/api/incidents')).body;
  for (const [group, expected] of [
    [groups[0], ids.shipping],
    [groups[1], ids.payment],
  ] as const) {
    const dryRun = await system.api('/api/bulk', { body: { action: 'retry', reason: 'dry run', dryRun: true, filter: group.filter } });
    expect(dryRun.status).toBe(200);
    expect(dryRun.body.matched).toBe(expected.length);
    expect(sorted(dryRun.body.sample)).toEqual(sorted(expected));
    const list = await system.api(`/api/orders?incident=${group.key}`);
    expect(sorted(list.body.items.map((o: { orderId: string }) => o.orderId))).toEqual(sorted(expected));
    const exported = await system.api(`/api/orders/export?format=ndjson&incident=${group.key}`);
    expect(exported.status).toBe(200);
    expect(String(exported.headers.get('content-disposition'))).toMatch(/^attachment; filename="orders-.*\.ndjson"$/);
    const lines = String(exported.body).trim().split('\n');
    expect(sorted(lines.map((line) => JSON.parse(line).orderId))).toEqual(sorted(expected));
  }
  // The whole history as CSV: a header and every order.
  const csv = await system.api('/api/orders/export?format=csv');
  const rows = String(csv.body).trim().split('\r\n');
  expect(rows[0]).toMatch(/^orderId,status,state,/);
  expect(sorted(rows.slice(1).map((row) => row.split(',')[0]!))).toEqual(sorted([...ids.shipping, ...ids.payment]));
});

it('repairs exactly one group with a bulk retry, and leaves the other stuck', async () => {
  await system.services.payment.stop();
  await system.services.payment.start();
  const { groups } = (await system.api('/api/incidents')).body;
  const payment = groups.find((g: { step: string }) => g.step === 'chargePayment');
  const started = await system.api('/api/bulk', { body: { action: 'retry', reason: 'payment provider back', filter: payment.filter } });
  expect(started.status).toBe(202);
  expect(started.body.total).toBe(2);
  await until('the payment group to complete', async () => {
    const orders = await Promise.all(ids.payment.map(async (id) => (await system.api(`/api/orders/${id}`)).body.status));
    return orders.every((s) => s === 'completed');
  }, 30_000);
  const after = (await system.api('/api/incidents')).body;
  expect(after).toMatchObject({ sagas: 3, groupCount: 1, groups: [{ key: groups[0].key, count: 3, step: 'createShipment' }] });
  for (const id of ids.shipping) expect((await system.api(`/api/orders/${id}`)).body.status).toBe('stuck');
});
