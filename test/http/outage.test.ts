/**
 * Every read under /api while nats-server is paused (SIGSTOP: the socket stays open, nothing
 * answers): a 503 problem with Retry-After, within a bounded time, never a 200 from this
 * instance's own index claiming to be current, never a 404 or an empty list. /ready says
 * "not ready" within a probe's patience. Real services on a private nats-server; HTTP through inject.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { orderFor } from '../support/orders.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';

let nats: TestNats;
let t: TestApp;
let orderId: string;

beforeAll(async () => {
  nats = await startNats();
  t = await buildTestApp(nats.url, { jsTimeoutMs: 3_000, runSagas: true });
  orderId = (await t.app.inject({ method: 'POST', url: '/api/orders', payload: orderFor('happy', 1) })).json().orderId;
  await vi.waitFor(async () => expect((await t.app.inject({ method: 'GET', url: '/api/orders' })).json().items).toHaveLength(1), { timeout: 10_000 });
}, 30_000);
afterAll(async () => {
  nats?.resume();
  await t?.close();
  await nats?.stop();
});

/** Reads that never ask NATS and say nothing about orders: the UI's settings; the live stream (an EventSource must stay able to reconnect). */
const NOT_FROM_NATS = new Set(['/api/config', '/api/stream']);

const concrete = (url: string) =>
  url.replace(':orderId', orderId).replace(':sequence', '1').replace(':id', `bulk_${'0'.repeat(20)}`);

it('every GET under /api answers a 503 problem within a bounded time; /ready answers 503 within about 2 s', async () => {
  const reads = t.routes.filter((r) => r.method === 'GET' && r.url.startsWith('/api/') && !NOT_FROM_NATS.has(r.url)).map((r) => concrete(r.url));
  expect(reads).toEqual(expect.arrayContaining(['/api/orders', '/api/overview', `/api/orders/${orderId}`, '/api/audit']));
  nats.pause();
  // A PING answered just now stands for a quarter of a second (broker-pulse.ts): past it.
  await new Promise((resolve) => setTimeout(resolve, 300));
  try {
    const answers = await Promise.all(
      [...reads, '/ready'].map(async (url) => {
        const started = performance.now();
        const answer = await t.app.inject({ method: 'GET', url });
        return { url, status: answer.statusCode, ms: performance.now() - started, type: String(answer.headers['content-type']), retryAfter: answer.headers['retry-after'] };
      }),
    );
    for (const answer of answers.filter((a) => a.url !== '/ready')) {
      expect(answer, answer.url).toMatchObject({ status: 503, type: expect.stringMatching(/^application\/problem\+json/), retryAfter: expect.any(String) });
      expect(answer.ms, answer.url).toBeLessThan(8_000);
    }
    const ready = answers.find((a) => a.url === '/ready')!;
    expect(ready.status).toBe(503);
    // It took the sum of its checks (17 s with the default JetStream timeout): past any probe's patience.
    expect(ready.ms).toBeLessThan(3_000);
  } finally {
    nats.resume();
  }
  await vi.waitFor(async () => expect((await t.app.inject({ method: 'GET', url: '/api/orders' })).statusCode).toBe(200), { timeout: 10_000, interval: 200 });
  expect((await t.app.inject({ method: 'GET', url: '/api/overview' })).statusCode).toBe(200);
}, 60_000);
