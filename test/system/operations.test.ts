/**
 * Operator actions against the real system with OPS_TOKEN set: concurrency, refusals,
 * bulk compensation over 100 stuck orders, audit, and access control.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBooks } from '../support/books.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

const TOKEN = 'ops-secret-token';
const ops = { Authorization: `Bearer ${TOKEN}`, 'X-Actor': 'ops-anna' };
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({
    env: { STEP_TIMEOUT_MS: '300', STEP_MAX_ATTEMPTS: '2', SLOW_SHIPPING_MS: '1500', WORKER_POOL_SIZE: '300', OPS_TOKEN: TOKEN },
  });
});
afterAll(async () => system?.stop());

const slowOrder = (n: number) => ({ customerId: `cust-bulk-${n}`, items: [{ sku: `SLOW-${n % 3}`, quantity: 1, unitPriceCents: 1000 + n }] });
const happyOrder = { customerId: 'cust-ops', items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 500 }] };

async function stuckOrders(count: number, offset = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) ids.push((await system.api('/api/orders', { body: slowOrder(offset + n) })).body.orderId);
  const settled = await waitUntilSettled(system, ids, 60_000);
  expect([...settled.values()].every((o) => o.status === 'stuck')).toBe(true);
  return ids;
}

describe('access control', () => {
  it('answers 401 to every action without the token, and changes nothing', async () => {
    const [stuck] = await stuckOrders(1, 500);
    const before = (await system.api(`/api/orders/${stuck}`)).body;
    for (const action of ['retry', 'compensate', 'cancel']) {
      const response = await system.api(`/api/orders/${stuck}/${action}`, { body: { reason: 'no token' } });
      expect(response.status).toBe(401);
      expect(response.body.detail).toMatch(/Bearer/);
    }
    expect((await system.api(`/api/orders/${stuck}/retry`, { body: { reason: 'bad token' }, headers: { Authorization: 'Bearer wrong-token' } })).status).toBe(401);
    expect((await system.api(`/api/orders/${stuck}/replay`, { body: { reason: 'x' } })).status).toBe(401);
    // A dry run changes nothing, so reading is enough for it.
    expect((await system.api(`/api/orders/${stuck}/replay?dryRun=true`, { body: { reason: 'x' } })).status).toBe(200);
    expect((await system.api('/api/bulk', { body: { action: 'compensate', filter: { status: 'stuck' }, reason: 'x' } })).status).toBe(401);
    expect((await system.api('/api/dead-letters/1/discard', { body: { reason: 'x' } })).status).toBe(401);
    expect((await system.api('/api/dead-letters/redrive-all', { body: { reason: 'x' } })).status).toBe(401);
    const after = (await system.api(`/api/orders/${stuck}`)).body;
    expect(after.history).toEqual(before.history);
    // Reads stay open without READ_TOKEN.
    expect((await system.api('/api/orders?status=stuck')).status).toBe(200);
  });
});

describe('operator actions', () => {
  it('refuses cancel after shipping with 409 and the reason', async () => {
    const { orderId } = (await system.api('/api/orders', { body: happyOrder })).body;
    await waitUntilSettled(system, [orderId]);
    const response = await system.api(`/api/orders/${orderId}/cancel`, { body: { reason: 'customer changed mind' }, headers: ops });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ state: 'completed', allowedActions: [] });
    expect(response.body.detail).toBe('cancel is not allowed while the order is completed');
    const audit = (await system.api(`/api/audit?orderId=${orderId}`)).body.items;
    expect(audit).toEqual([expect.objectContaining({ actor: 'ops-anna', action: 'cancel', result: 'refused', reason: 'customer changed mind' })]);
  });

  it('gives two concurrent retries exactly one new attempt', async () => {
    const [stuck] = await stuckOrders(1, 600);
    const before = (await system.api(`/api/orders/${stuck}`)).body;
    const answers = await Promise.all([
      system.api(`/api/orders/${stuck}/retry`, { body: { reason: 'first' }, headers: ops }),
      system.api(`/api/orders/${stuck}/retry`, { body: { reason: 'second' }, headers: ops }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const after = (await system.api(`/api/orders/${stuck}`)).body;
    expect(after.history.filter((row: any) => row.event === 'RETRY')).toHaveLength(1);
    expect(after.context.attempts.createShipment).toBe(before.context.attempts.createShipment + 1);
  });
});

describe('bulk compensate', () => {
  it('covers all 100 stuck orders with 100 results, balanced books and an audit trail', async () => {
    const ids = await stuckOrders(100);
    const request = { action: 'compensate', filter: { status: 'stuck' }, reason: 'carrier outage' };

    // Dry run first: the count, nothing changed.
    const preview = await system.api('/api/bulk', { body: { ...request, dryRun: true }, headers: ops });
    expect(preview.status).toBe(200);
    const stuckNow = (await system.api('/api/overview')).body.byStatus.stuck;
    expect(preview.body.matched).toBe(stuckNow);
    expect(preview.body.matched).toBeGreaterThanOrEqual(100);

    const started = await system.api('/api/bulk', { body: request, headers: ops });
    expect(started.status).toBe(202);
    const again = await system.api('/api/bulk', { body: request, headers: ops });
    expect(again.body.id).toBe(started.body.id);

    await until('the bulk job to finish', async () => (await system.api(`/api/bulk/${started.body.id}`)).body.state === 'completed', 60_000);
    const job = (await system.api(`/api/bulk/${started.body.id}`)).body;
    expect(job).toMatchObject({ total: preview.body.matched, done: preview.body.matched, applied: preview.body.matched, refused: 0, failed: 0, actor: 'ops-anna' });
    expect(job.results.filter((r: any) => ids.includes(r.orderId))).toHaveLength(100);

    const settled = await waitUntilSettled(system, ids, 60_000);
    expect([...settled.values()].map((o) => o.status)).toEqual(Array(100).fill('cancelled'));
    const books = await checkBooks(
      await system.connection(),
      ids.map((orderId, n) => ({ orderId, status: 'cancelled', totalCents: 1000 + n })),
    );
    expect(books.problems).toEqual([]);
    expect(books.totals.refunded).toBe(books.totals.charged);

    const trail = (await system.api(`/api/audit?orderId=${ids[0]}`)).body.items;
    expect(trail).toEqual([expect.objectContaining({ action: 'bulk.compensate', result: 'applied', actor: 'ops-anna' })]);
  });
});
