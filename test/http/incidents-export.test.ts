/**
 * GET /api/incidents and GET /api/orders/export through Fastify's inject, on real services and a
 * private nats-server. The sagas are real entries (moved by real events through the pure core)
 * written into the saga bucket, which the catalog watches and indexes as it would any
 * instance's writes: two stuck causes, some retrying, and more finished orders than one page of
 * the export. Bad input answers problems naming the field; reads need the read token.
 */
import type { KV } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BUCKETS } from '../../lib/topology.ts';
import type { SagaEvent } from '../../machines/index.ts';
import { applyEvent, type SagaEntry } from '../../orchestrator/saga/entry.ts';
import { encodeStoredEntry } from '../../orchestrator/saga/stored-entry.ts';
import { completed, ENTRY_SETTINGS, started } from '../support/saga-entries.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';

const READ = 'reader-secret-1';
const OPS = 'ops-secret-1';
const read = { authorization: `Bearer ${READ}` };
const ops = { authorization: `Bearer ${OPS}` };
/** More than one page of the export (500). */
const FINISHED = 510;

let nats: TestNats;
let t: TestApp;
let sagas: KV;
const ids = { timedOut: [] as string[], unreachable: [] as string[], retrying: [] as string[], finished: [] as string[] };

const orderId = (n: number) => `ord_${n.toString(36).padStart(26, '0')}`;

/** The pending attempt of `entry` fails with `event` (a timeout, or a transient failure with a message). */
function fail(entry: SagaEntry, type: 'STEP_TIMED_OUT' | 'STEP_FAILED_TRANSIENTLY', at: number, message?: string): SagaEntry {
  const commandId = entry.snapshot.context.pending!.commandId;
  const event = { type, commandId, ...(message ? { message } : {}) } as SagaEvent;
  const result = applyEvent(entry, event, `${commandId}:${type}`, at, ENTRY_SETTINGS);
  if (result.kind !== 'applied') throw new Error(`${type} did not apply: ${result.kind}`);
  return result.entry;
}

async function store(entry: SagaEntry): Promise<string> {
  await sagas.put(entry.orderId, encodeStoredEntry(entry));
  return entry.orderId;
}

const get = (url: string, headers: Record<string, string> = read) => t.app.inject({ method: 'GET', url, headers });

beforeAll(async () => {
  nats = await startNats();
  t = await buildTestApp(nats.url, { env: { READ_TOKEN: READ, OPS_TOKEN: OPS } });
  sagas = await t.nats.kvm.open(BUCKETS.sagas);
  const now = Date.now() - 60_000;
  let n = 0;
  // Two attempts timed out: stuck at the reservation.
  for (let i = 0; i < 3; i++) {
    const at = now + n;
    ids.timedOut.push(await store(fail(fail(started(orderId(++n), at, 'cust-a'), 'STEP_TIMED_OUT', at + 10), 'STEP_TIMED_OUT', at + 20)));
  }
  // Two attempts given up by the worker, each message naming its own numbers: one cause.
  for (let i = 0; i < 2; i++) {
    const at = now + n;
    const entry = fail(started(orderId(++n), at, 'cust-b'), 'STEP_FAILED_TRANSIENTLY', at + 10, `gave up after ${i + 3} deliveries: warehouse ${40 + i} unreachable`);
    ids.unreachable.push(await store(fail(entry, 'STEP_FAILED_TRANSIENTLY', at + 20, `gave up after ${i + 5} deliveries: warehouse ${50 + i} unreachable`)));
  }
  // Timed out once, tried again: retrying, running.
  for (let i = 0; i < 2; i++) {
    const at = now + n;
    ids.retrying.push(await store(fail(started(orderId(++n), at, 'cust-c'), 'STEP_TIMED_OUT', at + 10)));
  }
  const writes: Promise<string>[] = [];
  for (let i = 0; i < FINISHED; i++) writes.push(store(completed(orderId(++n), now + n, i === 0 ? '=HYPERLINK("http://evil")' : `cust-${i % 7}`)));
  ids.finished = await Promise.all(writes);
  await vi.waitFor(async () => expect((await get('/api/overview')).json().total).toBe(n), { timeout: 20_000, interval: 100 });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await nats?.stop();
});

async function invalid(url: string, field: string, method: 'GET' | 'POST' = 'GET', payload?: object) {
  const answer = await t.app.inject({ method, url, headers: ops, ...(payload ? { payload } : {}) });
  expect(answer.statusCode, url).toBe(400);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = answer.json();
  expect(problem.errors.map((e: { field: string }) => e.field), url).toContain(field);
  expect(problem.detail).toContain(field);
}

describe('GET /api/incidents', () => {
  it('groups stuck and retrying sagas by step and normalised error, largest first, each with its filter', async () => {
    const answer = await get('/api/incidents');
    expect(answer.statusCode).toBe(200);
    const report = answer.json();
    expect(report).toMatchObject({ sagas: 7, groupCount: 3 });
    const [timedOut, unreachable, retrying] = report.groups;
    expect(timedOut).toMatchObject({
      kind: 'stuck',
      step: 'reserveInventory',
      errorKind: 'timeout',
      error: 'no reply within the step deadline (attempt #)',
      title: '3 stuck at reserveInventory: no reply within the step deadline (attempt #)',
      count: 3,
      sample: [...ids.timedOut].reverse(),
      example: { orderId: ids.timedOut[2], message: 'no reply within the step deadline (attempt 2)' },
      actions: ['retry', 'compensate'],
    });
    expect(timedOut.filter).toEqual({ incident: timedOut.key });
    expect(Date.parse(timedOut.firstSeen)).toBeLessThanOrEqual(Date.parse(timedOut.lastSeen));
    expect(unreachable).toMatchObject({ kind: 'stuck', errorKind: 'transient', count: 2, error: 'gave up after # deliveries: warehouse # unreachable' });
    // The groups tie at 2: the latest seen first.
    expect(retrying).toMatchObject({ kind: 'retrying', step: 'reserveInventory', count: 2, actions: ['pause'] });
    expect((await get('/api/incidents?limit=1&sample=0')).json()).toMatchObject({ groupCount: 3, groups: [{ key: timedOut.key, sample: [] }] });
  });

  it("makes each group a filter of the list and of a bulk action's dry run: exactly that group", async () => {
    const { groups } = (await get('/api/incidents')).json();
    for (const [group, expected] of [[groups[0], ids.timedOut], [groups[1], ids.unreachable], [groups[2], ids.retrying]] as const) {
      const list = (await get(`/api/orders?incident=${group.key}`)).json();
      expect(list.items.map((o: { orderId: string }) => o.orderId)).toEqual([...expected].reverse());
      const dryRun = await t.app.inject({ method: 'POST', url: '/api/bulk', headers: ops, payload: { action: 'retry', reason: 'dry run', dryRun: true, filter: group.filter } });
      expect(dryRun.statusCode).toBe(200);
      expect(dryRun.json()).toEqual({ matched: expected.length, sample: [...expected].reverse() });
    }
    // With another filter on top, and a key no saga has.
    expect((await get(`/api/orders?incident=${groups[0].key}&customerId=cust-b`)).json().items).toEqual([]);
    expect((await get('/api/orders?incident=stuck.createShipment.0123456789ab')).json().items).toEqual([]);
  });

  it('answers bad input with a problem naming the field, and nothing without a token', async () => {
    await invalid('/api/incidents?limit=0', 'query.limit');
    await invalid('/api/incidents?sample=many', 'query.sample');
    await invalid('/api/incidents?status=stuck', 'query.status');
    await invalid('/api/orders?incident=stuck', 'query.incident');
    await invalid('/api/bulk', 'filter.incident', 'POST', { action: 'retry', reason: 'r', dryRun: true, filter: { incident: 'DROP TABLE' } });
    expect((await get('/api/incidents', {})).statusCode).toBe(401);
  });
});

describe('GET /api/orders/export', () => {
  it('streams every order as CSV, more than a page, as a download, formulas defused', async () => {
    const answer = await get('/api/orders/export?format=csv');
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(answer.headers['content-disposition']).toMatch(/^attachment; filename="orders-\d{8}T\d{6}Z\.csv"$/);
    expect(answer.headers['cache-control']).toBe('no-store');
    const lines = answer.body.split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines[0]).toMatch(/^orderId,status,state,customerId,total,totalCents,currency,createdAt,/);
    const all = [...ids.timedOut, ...ids.unreachable, ...ids.retrying, ...ids.finished];
    expect(lines.length - 1).toBe(all.length);
    expect(all.length).toBeGreaterThan(500);
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual([...all].reverse());
    expect(lines.find((line) => line.startsWith(ids.finished[0]!))).toContain(`,"'=HYPERLINK(""http://evil"")",`);
    // The default format is CSV.
    expect((await get('/api/orders/export')).headers['content-type']).toBe('text/csv; charset=utf-8');
  });

  it('answers HEAD with the headers only (no stream: Fastify would read one to its end)', async () => {
    const answer = await t.app.inject({ method: 'HEAD', url: '/api/orders/export?format=ndjson', headers: read });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-disposition']).toMatch(/filename="orders-\d{8}T\d{6}Z\.ndjson"$/);
    expect(answer.body).toBe('');
    expect((await t.app.inject({ method: 'HEAD', url: '/api/orders/export?format=xlsx', headers: read })).statusCode).toBe(400);
  });

  it('streams JSON lines of exactly the filter, an incident group too', async () => {
    const { groups } = (await get('/api/incidents')).json();
    const answer = await get(`/api/orders/export?format=ndjson&incident=${groups[1].key}`);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(answer.headers['content-disposition']).toMatch(/filename="orders-\d{8}T\d{6}Z\.ndjson"$/);
    const rows = answer.body.trim().split('\n').map((line) => JSON.parse(line));
    expect(rows.map((row) => row.orderId)).toEqual([...ids.unreachable].reverse());
    expect(rows[0]).toMatchObject({ status: 'stuck', lastError: { kind: 'transient', step: 'reserveInventory' } });
    // The same rows as the list shows.
    expect(rows).toEqual((await get(`/api/orders?incident=${groups[1].key}`)).json().items);
    const stuck = (await get('/api/orders/export?format=ndjson&status=stuck&customerId=cust-a')).body.trim().split('\n');
    expect(stuck.map((line) => JSON.parse(line).orderId)).toEqual([...ids.timedOut].reverse());
  });

  it('answers bad input with a problem naming the field, and nothing without a token', async () => {
    await invalid('/api/orders/export?format=xlsx', 'query.format');
    await invalid('/api/orders/export?status=lost', 'query.status');
    await invalid('/api/orders/export?limit=5', 'query.limit');
    await invalid('/api/orders/export?incident=%27%3B', 'query.incident');
    const anonymous = await get('/api/orders/export', {});
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body).not.toContain('ord_');
  });
});
