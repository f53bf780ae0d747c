/**
 * The HTTP contract with a real nats-server and the orchestrator as a process: bad input
 * gets a 400 naming the field and never reaches the bus; Idempotency-Key gives one order.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAMS } from '../../lib/topology.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

let system: TestSystem;
const goodOrder = { customerId: 'cust-1', items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 }] };

async function eventsStored(): Promise<number> {
  const jsm = await jetstreamManager(await system.connection());
  return (await jsm.streams.info(STREAMS.events)).state.messages;
}

beforeAll(async () => {
  system = await startSystem({ workers: false });
});
afterAll(async () => system?.stop());

describe('bad input answers 400 naming the field and reaches nothing', () => {
  const cases: [string, unknown, string][] = [
    ['missing customerId', { items: goodOrder.items }, 'customerId'],
    ['missing items', { customerId: 'c' }, 'items'],
    ['items of the wrong type', { customerId: 'c', items: 'SKU-1' }, 'items'],
    ['empty items', { customerId: 'c', items: [] }, 'items'],
    ['quantity as a string', { customerId: 'c', items: [{ sku: 'A', quantity: '2', unitPriceCents: 1 }] }, 'items[0].quantity'],
    ['negative quantity', { customerId: 'c', items: [{ sku: 'A', quantity: -1, unitPriceCents: 1 }] }, 'items[0].quantity'],
    ['fractional quantity', { customerId: 'c', items: [{ sku: 'A', quantity: 1.5, unitPriceCents: 1 }] }, 'items[0].quantity'],
    ['negative price', { customerId: 'c', items: [{ sku: 'A', quantity: 1, unitPriceCents: -5 }] }, 'items[0].unitPriceCents'],
    ['price as a float', { customerId: 'c', items: [{ sku: 'A', quantity: 1, unitPriceCents: 9.99 }] }, 'items[0].unitPriceCents'],
    ['missing sku', { customerId: 'c', items: [{ quantity: 1, unitPriceCents: 1 }] }, 'items[0].sku'],
    ['oversized sku', { customerId: 'c', items: [{ sku: 'S'.repeat(65), quantity: 1, unitPriceCents: 1 }] }, 'items[0].sku'],
    ['too many items', { customerId: 'c', items: Array.from({ length: 101 }, () => goodOrder.items[0]) }, 'items'],
    ['unknown currency', { ...goodOrder, currency: 'EUR' }, 'currency'],
    ['an unknown field', { ...goodOrder, discount: 10 }, 'discount'],
    ['a body that is not an object', [goodOrder], 'body'],
  ];

  it.each(cases)('%s', async (_name, body, field) => {
    const before = await eventsStored();
    const response = await system.api('/api/orders', { body });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(response.body.detail).toContain(field);
    expect(await eventsStored()).toBe(before);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await system.api('/api/orders', { body: '{"customerId": "c", items: [' });
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/not valid JSON/);
  });

  it('answers 413 for a body over the limit, naming the limit', async () => {
    const response = await system.api('/api/orders', { body: { ...goodOrder, customerId: 'x'.repeat(100_000) } });
    expect(response.status).toBe(413);
    expect(response.body.detail).toMatch(/larger than \d+ bytes/);
  });

  it('answers 400 for a malformed Idempotency-Key', async () => {
    const response = await system.api('/api/orders', { body: goodOrder, headers: { 'Idempotency-Key': 'x'.repeat(300) } });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('headers.idempotency-key');
  });

  it('answers 400 naming the query parameter for a bad list filter', async () => {
    const response = await system.api('/api/orders?status=lost&limit=0');
    expect(response.status).toBe(400);
    const fields = response.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['query.status', 'query.limit']));
  });
});

describe('orders', () => {
  it('accepts an order with 202 once stored, and shows it', async () => {
    const before = await eventsStored();
    const response = await system.api('/api/orders', { body: goodOrder });
    expect(response.status).toBe(202);
    expect(response.body.orderId).toMatch(/^ord_[0-9a-z]{26}$/);
    expect(response.body.links.self).toBe(`/api/orders/${response.body.orderId}`);
    expect(await eventsStored()).toBe(before + 1);

    const order = await system.api(`/api/orders/${response.body.orderId}`);
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({ customerId: 'cust-1', totalCents: 2500, currency: 'USD', status: 'running' });
    expect(order.body.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(order.body.traceUrl).toBe(`http://localhost:16686/trace/${order.body.traceId}`);
  });

  it('gives the same order, and one saga, for the same Idempotency-Key', async () => {
    const headers = { 'Idempotency-Key': `key-${Date.now()}` };
    const first = await system.api('/api/orders', { body: goodOrder, headers });
    const second = await system.api('/api/orders', { body: goodOrder, headers });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.orderId).toBe(first.body.orderId);
    expect(second.headers.get('idempotent-replayed')).toBe('true');

    // Once the saga runs, a third submit still answers the same order without a new saga.
    await until('the saga to start', async () => (await system.api(`/api/orders/${first.body.orderId}`)).body.state !== 'submitted');
    const third = await system.api('/api/orders', { body: goodOrder, headers });
    expect(third.body.orderId).toBe(first.body.orderId);
    const list = await system.api(`/api/orders?customerId=${goodOrder.customerId}&limit=500`);
    expect(list.body.items.filter((o: { orderId: string }) => o.orderId === first.body.orderId)).toHaveLength(1);
    const order = await system.api(`/api/orders/${first.body.orderId}`);
    expect(order.body.history.filter((row: { event: string }) => row.event === 'ORDER_SUBMITTED')).toHaveLength(1);
  });

  it('refuses an Idempotency-Key reused for a different order with 422', async () => {
    const headers = { 'Idempotency-Key': `reuse-${Date.now()}` };
    const first = await system.api('/api/orders', { body: goodOrder, headers });
    expect(first.status).toBe(202);
    const other = await system.api('/api/orders', { body: { ...goodOrder, items: [{ ...goodOrder.items[0], quantity: 7 }] }, headers });
    expect(other.status).toBe(422);
    expect(other.body.errors[0].field).toBe('headers.idempotency-key');
    // Keys are scoped to the customer (no token here): another customer's same key is another order, not a 422.
    const stranger = await system.api('/api/orders', { body: { ...goodOrder, customerId: 'cust-2' }, headers });
    expect(stranger.status).toBe(202);
    expect(stranger.body.orderId).not.toBe(first.body.orderId);
  });

  it('sends security headers on every answer', async () => {
    for (const path of ['/api/orders', '/health', '/orders/ord_00000000000000000000000000']) {
      const { headers } = await system.api(path);
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('DENY');
      expect(headers.get('content-security-policy')).toContain("script-src 'self'");
    }
  });

  it('answers 404 for an unknown order and 400 for a malformed id', async () => {
    expect((await system.api('/api/orders/ord_00000000000000000000000000')).status).toBe(404);
    const malformed = await system.api('/api/orders/not-an-id');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].field).toBe('params.orderId');
  });

  it('lists newest first, filtered, with a cursor that pages through every order', async () => {
    const customerId = `pager-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await system.api('/api/orders', { body: { ...goodOrder, customerId } })).body.orderId);
    }
    await until('all 7 to be indexed', async () => (await system.api(`/api/orders?customerId=${customerId}&limit=500`)).body.items.length === 7);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { orderId: string }[]; nextCursor: string | null } } = await system.api(
        `/api/orders?customerId=${customerId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.items.map((o) => o.orderId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });
});
