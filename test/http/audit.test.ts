/**
 * GET /api/audit: the order id is an order id (no subject wildcards), one order's trail is read
 * newest first and only as far as the limit, and an outage answers 503, never an empty list.
 * Real services on a private nats-server; HTTP through Fastify's inject.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditRecord } from '../../api/contract.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';

const OURS = 'ord_0000000000000000000000000a';
const THEIRS = 'ord_0000000000000000000000000b';
const RECORDS = 1_600;

let nats: TestNats;
let t: TestApp;

beforeAll(async () => {
  nats = await startNats();
  t = await buildTestApp(nats.url, { jsTimeoutMs: 1_000 });
  // 1,600 records of one order, with another order's records between them.
  const audit = t.audit;
  for (let from = 0; from < RECORDS; from += 200) {
    const batch: Promise<unknown>[] = [];
    for (let n = from; n < from + 200; n++) {
      batch.push(audit.record({ actor: 'seed', action: 'retry', target: `order:${OURS}`, reason: 'seed', result: 'refused', detail: `n=${n}` }));
      if (n % 4 === 0) batch.push(audit.record({ actor: 'seed', action: 'retry', target: `order:${THEIRS}`, reason: 'seed', result: 'refused', detail: `other=${n}` }));
    }
    await Promise.all(batch);
  }
}, 60_000);
afterAll(async () => {
  nats?.resume();
  await t?.close();
  await nats?.stop();
});

const audit = async (query: string) => t.app.inject({ method: 'GET', url: `/api/audit${query}` });

describe('the order id', () => {
  it.each(['*', '>', 'ord_*', `${OURS}.>`, 'ord_0000000000000000000000000*', 'order.*'])('refuses %s with a 400 naming the field', async (orderId) => {
    const answer = await audit(`?orderId=${encodeURIComponent(orderId)}`);
    expect(answer.statusCode).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.json().errors).toEqual([expect.objectContaining({ field: 'query.orderId' })]);
  });

  it("answers only that order's records", async () => {
    const items: AuditRecord[] = (await audit(`?orderId=${THEIRS}&limit=500`)).json().items;
    expect(items.length).toBe(RECORDS / 4);
    expect(new Set(items.map((r) => r.target))).toEqual(new Set([`order:${THEIRS}`]));
  });

  it('answers an empty list for an order without records (the server said so)', async () => {
    expect((await audit('?orderId=ord_0000000000000000000000000z')).json()).toEqual({ items: [] });
  });
});

describe("one order's trail", () => {
  it('is the newest records, newest first, read without walking the whole subject', async () => {
    const gets = vi.spyOn(t.nats.jsm.direct, 'getMessage');
    try {
      for (const limit of [1, 7, 50, 500]) {
        gets.mockClear();
        const started = performance.now();
        const items: AuditRecord[] = (await audit(`?orderId=${OURS}&limit=${limit}`)).json().items;
        const ms = performance.now() - started;
        expect(items.map((r) => r.detail)).toEqual(Array.from({ length: limit }, (_, i) => `n=${RECORDS - 1 - i}`));
        console.log(`audit of one order, ${RECORDS} records, limit ${limit}: ${gets.mock.calls.length} gets, ${ms.toFixed(1)} ms`);
        // The limit's records and a few probes per halving, not one get per record of the subject.
        expect(gets.mock.calls.length).toBeLessThan(limit + 40);
      }
    } finally {
      gets.mockRestore();
    }
  });

  it('reads the whole trail when the limit is larger than it', async () => {
    const items: AuditRecord[] = (await audit(`?orderId=${THEIRS}&limit=500`)).json().items;
    const expected = Array.from({ length: RECORDS }, (_, n) => n).filter((n) => n % 4 === 0).reverse().map((n) => `other=${n}`);
    expect(items.map((r) => r.detail)).toEqual(expected);
  });
});

describe('when NATS does not answer', () => {
  it('answers 503, never an empty list', async () => {
    nats.pause();
    try {
      for (const query of [`?orderId=${OURS}`, `?orderId=ord_0000000000000000000000000z`, '']) {
        const answer = await audit(query);
        expect(answer.statusCode, query).toBe(503);
        expect(answer.json()).toMatchObject({ title: 'Service unavailable', detail: expect.stringMatching(/nothing was changed/) });
      }
    } finally {
      nats.resume();
    }
    await vi.waitFor(async () => expect((await audit(`?orderId=${OURS}&limit=1`)).statusCode).toBe(200), { timeout: 15_000, interval: 200 });
  }, 30_000);
});
