/**
 * `GET /api/overview` carries the load in front of the sagas: orders accepted whose saga has not
 * started, the sagas they become once an inbox takes them, and the commands those wait on. When
 * only the queue probe fails, the counts still answer, with `load: null`. Real services on a
 * private nats-server; HTTP through inject.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { CONSUMERS, STREAMS } from '../../lib/topology.ts';
import { orderFor } from '../support/orders.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';

const ORDERS = 7;
/** The queue probe's answer stands this long (queue-progress.ts): wait past it to see a change. */
const PROBE_AGE_MS = 300;

let nats: TestNats;
let t: TestApp | undefined;

beforeAll(async () => {
  nats = await startNats();
}, 30_000);
afterAll(async () => {
  await t?.close();
  await nats?.stop();
});

const overview = async (app: TestApp) => {
  const answer = await app.app.inject({ method: 'GET', url: '/api/overview' });
  expect(answer.statusCode).toBe(200);
  return answer.json();
};

it('counts accepted orders whose saga has not started as waiting submissions, beside the saga counts', async () => {
  t = await buildTestApp(nats.url, { runSagas: false, env: { MAX_ACTIVE_SAGAS: '50' } });
  const idle = await overview(t);
  expect(idle.load).toMatchObject({
    submissionsWaiting: 0,
    repliesWaiting: 0,
    commandsWaiting: { inventory: 0, payment: 0, shipping: 0 },
    running: 0,
    maxActive: 50,
    finishedPerSecond: 0,
    startedPerSecond: 0,
    clearsInSeconds: null,
  });
  expect(Date.parse(idle.load.sampledAt)).not.toBeNaN();

  for (let n = 0; n < ORDERS; n++) {
    expect((await t.app.inject({ method: 'POST', url: '/api/orders', payload: orderFor('happy', n) })).statusCode).toBe(202);
  }
  await new Promise((resolve) => setTimeout(resolve, PROBE_AGE_MS));
  const busy = await overview(t);
  expect(busy.load.submissionsWaiting).toBe(ORDERS);
  expect(busy.load.running).toBe(0);
  // The orders are stored, not yet sagas: the counts the heat map shows are unchanged.
  expect(busy).toMatchObject({ total: 0, retrying: 0, byState: {} });
});

it('shows the waiting orders become running sagas once an inbox takes them, and the commands they wait on', async () => {
  await t!.close();
  // No workers: each saga waits at its first step with its inventory command in the queue.
  t = await buildTestApp(nats.url, { runSagas: true, env: { MAX_ACTIVE_SAGAS: '50' } });
  await vi.waitFor(
    async () => {
      const { load, byStatus } = await overview(t!);
      expect(byStatus.running).toBe(ORDERS);
      expect(load).toMatchObject({ submissionsWaiting: 0, running: ORDERS, commandsWaiting: { inventory: ORDERS, payment: 0, shipping: 0 } });
      expect(load.startedPerSecond).toBeGreaterThan(0);
      // Nothing finishes without workers: no estimate rather than a made-up one.
      expect(load.finishedPerSecond).toBe(0);
      expect(load.clearsInSeconds).toBeNull();
    },
    { timeout: 10_000, interval: 200 },
  );
});

it('answers the counts with load null when only the queue probe fails', async () => {
  await t!.nats.jsm.consumers.delete(STREAMS.events, CONSUMERS.submissions);
  await new Promise((resolve) => setTimeout(resolve, PROBE_AGE_MS));
  const answer = await overview(t!);
  expect(answer.load).toBeNull();
  expect(answer.byStatus.running).toBe(ORDERS);
});
