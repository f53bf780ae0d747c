/**
 * Bad input, on every kind of route: a 400 problem (`application/problem+json`) whose `errors`
 * name each field at fault as a client wrote it (`items[0].quantity`, `query.limit`,
 * `params.orderId`, `headers.idempotency-key`) and whose detail repeats them; nothing reaches
 * the bus. Bodies are strict (a string is not a number), query strings coerced. Problem bodies
 * for missing, wrong and read-only tokens too. Real services on a private nats-server; inject.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAMS } from '../../lib/topology.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';

const READ = 'reader-secret-1';
const OPS = 'ops-secret-1';
const ops = { authorization: `Bearer ${OPS}` };
const ORDER = 'ord_0000000000000000000000000a';
const good = { customerId: 'cust-1', items: [{ sku: 'BOOK-1', quantity: 2, unitPriceCents: 1250 }] };
const item = good.items[0]!;

let nats: TestNats;
let t: TestApp;

beforeAll(async () => {
  nats = await startNats();
  t = await buildTestApp(nats.url, { env: { READ_TOKEN: READ, OPS_TOKEN: OPS } });
}, 30_000);
afterAll(async () => {
  await t?.close();
  await nats?.stop();
});

const eventsStored = async () => (await t.nats.jsm.streams.info(STREAMS.events)).state.messages;

/** The answer to a request that must be refused as bad input: its problem, checked for shape (a schema's detail lists the fields too). */
async function invalid(method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}, detailNamesFields = true) {
  const answer = await t.app.inject({ method, url, headers: { ...ops, ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
  expect(answer.statusCode, `${method} ${url}`).toBe(400);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = answer.json();
  expect(problem).toMatchObject({ type: 'about:blank', status: 400, detail: expect.any(String) });
  const fields: string[] = problem.errors.map((e: { field: string }) => e.field);
  if (detailNamesFields) for (const field of fields) expect(problem.detail).toContain(field);
  return { problem, fields };
}

describe('POST /api/orders', () => {
  it.each([
    ['no customer', { items: good.items }, 'customerId'],
    ['an empty customer id', { ...good, customerId: '' }, 'customerId'],
    ['a customer id with a space', { ...good, customerId: 'cust 1' }, 'customerId'],
    ['no items', { ...good, items: [] }, 'items'],
    ['a zero quantity', { ...good, items: [{ ...item, quantity: 0 }] }, 'items[0].quantity'],
    ['a fractional quantity', { ...good, items: [item, { ...item, quantity: 1.5 }] }, 'items[1].quantity'],
    ['a negative price', { ...good, items: [{ ...item, unitPriceCents: -1 }] }, 'items[0].unitPriceCents'],
    ['a price written as a string (bodies are not coerced)', { ...good, items: [{ ...item, unitPriceCents: '1250' }] }, 'items[0].unitPriceCents'],
    ['an item without a sku', { ...good, items: [{ quantity: 1, unitPriceCents: 1 }] }, 'items[0].sku'],
    ['an unknown item field', { ...good, items: [{ ...item, colour: 'red' }] }, 'items[0].colour'],
    ['too many items', { ...good, items: Array.from({ length: 101 }, () => item) }, 'items'],
    ['an unknown currency', { ...good, currency: 'EUR' }, 'currency'],
    ['an unknown field', { ...good, discount: 10 }, 'discount'],
    ['a body that is not an object', [good], 'body'],
    ['a total past 2^53', { ...good, items: [{ ...item, quantity: 10_000_000, unitPriceCents: 10_000_000_000 }] }, 'items'],
  ])('refuses %s, and stores nothing', async (_what, body, field) => {
    const before = await eventsStored();
    const { problem, fields } = await invalid('POST', '/api/orders', body);
    expect(fields).toContain(field);
    expect(problem.title).toBe('Invalid request');
    expect(await eventsStored()).toBe(before);
  });

  it('names every field at fault at once', async () => {
    const { fields } = await invalid('POST', '/api/orders', { customerId: '', items: [{ sku: '', quantity: 0, unitPriceCents: 1 }], currency: 'EUR' });
    expect(fields).toEqual(expect.arrayContaining(['customerId', 'items[0].sku', 'items[0].quantity', 'currency']));
  });

  it.each([
    ['too long', 'k'.repeat(256)],
    ['with a space', 'cart 42'],
  ])('refuses an Idempotency-Key %s, naming the header', async (_what, key) => {
    const { fields } = await invalid('POST', '/api/orders', good, { 'idempotency-key': key });
    expect(fields).toEqual(['headers.idempotency-key']);
  });
});

describe('query strings and path parameters', () => {
  it.each([
    ['/api/orders?status=lost&limit=0', ['query.status', 'query.limit']],
    ['/api/orders?limit=501', ['query.limit']],
    ['/api/orders?limit=ten', ['query.limit']],
    ['/api/orders?retrying=perhaps', ['query.retrying']],
    ['/api/orders?sort=asc', ['query.sort']],
    ['/api/orders/not-an-id', ['params.orderId']],
    ['/api/dead-letters?before=0', ['query.before']],
    ['/api/dead-letters/0', ['params.sequence']],
    ['/api/dead-letters/abc', ['params.sequence']],
    ['/api/audit?orderId=ord_*', ['query.orderId']],
    ['/api/bulk/bulk_nope', ['params.id']],
  ])('GET %s names %j', async (url, expected) => {
    const { fields } = await invalid('GET', url);
    expect(fields).toEqual(expect.arrayContaining(expected));
  });

  it('coerces what a query string can only carry as text', async () => {
    const answer = await t.app.inject({ method: 'GET', url: '/api/orders?limit=2&retrying=false', headers: ops });
    expect(answer.statusCode).toBe(200);
  });
});

describe('operator bodies and headers', () => {
  it.each([
    [`/api/orders/${ORDER}/cancel`, {}, ['reason']],
    [`/api/orders/${ORDER}/retry`, { reason: '' }, ['reason']],
    [`/api/orders/${ORDER}/compensate`, { reason: 'r', force: true }, ['force']],
    [`/api/orders/${ORDER}/replay`, { reason: 7 }, ['reason']],
    ['/api/dead-letters/1/redrive', { reason: 'x'.repeat(1001) }, ['reason']],
    ['/api/dead-letters/redrive-all', [], ['body']],
    ['/api/bulk', { action: 'delete', filter: { status: 'gone' }, reason: 'r' }, ['action', 'filter.status']],
    ['/api/bulk', { action: 'retry', filter: { status: 'stuck', colour: 'red' } }, ['reason', 'filter.colour']],
    ['/api/bulk', { action: 'retry', filter: {}, reason: 'r' }, ['filter']],
    [`/api/bulk/bulk_${'0'.repeat(20)}/cancel`, { why: 'r' }, ['reason', 'why']],
  ])('POST %s names the fields at fault', async (url, body, expected) => {
    const { fields } = await invalid('POST', url, body);
    expect(fields).toEqual(expect.arrayContaining(expected));
  });

  it('refuses an X-Actor that is not a name, naming the header', async () => {
    const { problem, fields } = await invalid('POST', `/api/orders/${ORDER}/cancel`, { reason: 'r' }, { 'x-actor': '(admin)' }, false);
    expect(fields).toEqual(['headers.x-actor']);
    expect(problem.detail).toMatch(/^X-Actor must be/);
  });
});

describe('tokens, as problems', () => {
  const problemOf = async (method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: object) => {
    const answer = await t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    return { status: answer.statusCode, ...answer.json() };
  };

  it('says what is missing, wrong or not enough', async () => {
    expect(await problemOf('GET', '/api/orders', {})).toMatchObject({ status: 401, title: 'Unauthorized', detail: expect.stringMatching(/READ_TOKEN or OPS_TOKEN/) });
    expect(await problemOf('GET', '/api/orders', { authorization: 'Bearer nope' })).toMatchObject({ status: 401, title: 'Unauthorized' });
    const reader = { authorization: `Bearer ${READ}` };
    expect(await problemOf('POST', `/api/orders/${ORDER}/cancel`, reader, { reason: 'r' })).toMatchObject({ status: 403, title: 'Forbidden', detail: 'this token may read but not act' });
    // A dry run changes nothing: reading is enough (it then finds no such order).
    expect(await problemOf('POST', `/api/orders/${ORDER}/replay?dryRun=true`, reader, { reason: 'r' })).toMatchObject({ status: 404, title: 'Not found' });
    expect(await problemOf('GET', '/api/nothing-here', reader)).toMatchObject({ status: 404, title: 'Not found', detail: 'no route GET /api/nothing-here' });
  });

  it('checks the token before the input: an anonymous request learns nothing from validation', async () => {
    expect(await problemOf('POST', '/api/orders', {}, { customerId: '' })).toMatchObject({ status: 401 });
  });
});
