/**
 * Who did it: X-Actor is a name the operator gives, the token's label is what the request proved.
 * The audit records both, and the saga's history shows both when they differ, so one operator
 * cannot act as another unseen. Real services (the inbox runs, no workers) on a private nats-server.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { AuditRecord } from '../../api/contract.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';

const ANNA = 'anna-secret-1';
const env = { READ_TOKEN: 'reader-secret-1', OPS_TOKEN: `anna:${ANNA},ben:ben-secret-1` };

let nats: TestNats;
let t: TestApp;

beforeAll(async () => {
  nats = await startNats();
  t = await buildTestApp(nats.url, { env, runSagas: true });
}, 30_000);
afterAll(async () => {
  await t?.close();
  await nats?.stop();
});

const anna = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${ANNA}`, ...extra });

/** An order whose saga waits at its first step (no workers run): cancel is allowed. */
async function waitingOrder(): Promise<string> {
  const submitted = await t.app.inject({ method: 'POST', url: '/api/orders', headers: anna(), payload: { customerId: 'cust-actor', items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 100 }] } });
  expect(submitted.statusCode).toBe(202);
  const { orderId } = submitted.json();
  await vi.waitFor(async () => expect(await t.runtime.read(orderId)).not.toBeNull(), { timeout: 15_000, interval: 100 });
  return orderId;
}

const trailOf = async (orderId: string): Promise<AuditRecord[]> =>
  (await t.app.inject({ method: 'GET', url: `/api/audit?orderId=${orderId}`, headers: anna() })).json().items;

it("records anna as the authenticated actor when anna's token names ben", async () => {
  const orderId = await waitingOrder();
  const cancelled = await t.app.inject({ method: 'POST', url: `/api/orders/${orderId}/cancel`, headers: anna({ 'x-actor': 'ben' }), payload: { reason: 'asked by phone' } });
  expect(cancelled.statusCode).toBe(200);
  // Refused now (already cancelled): the refusal is attributed the same way.
  const again = await t.app.inject({ method: 'POST', url: `/api/orders/${orderId}/cancel`, headers: anna({ 'x-actor': 'ben' }), payload: { reason: 'twice' } });
  expect(again.statusCode).toBe(409);

  const trail = await trailOf(orderId);
  expect(trail).toEqual([
    expect.objectContaining({ action: 'cancel', result: 'refused', actor: 'ben', authenticatedAs: 'anna' }),
    expect.objectContaining({ action: 'cancel', result: 'applied', actor: 'ben', authenticatedAs: 'anna' }),
  ]);
  const order = (await t.app.inject({ method: 'GET', url: `/api/orders/${orderId}`, headers: anna() })).json();
  expect(order.history.find((row: { event: string }) => row.event === 'CANCEL')).toMatchObject({ actor: 'ben (token: anna)' });
});

it('records the label alone when no other name is given', async () => {
  const orderId = await waitingOrder();
  expect((await t.app.inject({ method: 'POST', url: `/api/orders/${orderId}/cancel`, headers: anna(), payload: { reason: 'r' } })).statusCode).toBe(200);
  expect(await trailOf(orderId)).toEqual([expect.objectContaining({ actor: 'anna', authenticatedAs: 'anna' })]);
  const order = (await t.app.inject({ method: 'GET', url: `/api/orders/${orderId}`, headers: anna() })).json();
  expect(order.history.find((row: { event: string }) => row.event === 'CANCEL')).toMatchObject({ actor: 'anna' });
});

it('records who redrove or discarded a dead letter', async () => {
  await t.nats.js.publish('saga.dlq.test', new TextEncoder().encode('garbage'));
  const [letter] = (await t.app.inject({ method: 'GET', url: '/api/dead-letters', headers: anna() })).json().items;
  const discarded = await t.app.inject({ method: 'POST', url: `/api/dead-letters/${letter.sequence}/discard`, headers: anna({ 'x-actor': 'ben' }), payload: { reason: 'junk' } });
  expect(discarded.statusCode).toBe(200);
  const [latest] = (await t.app.inject({ method: 'GET', url: '/api/audit?limit=1', headers: anna() })).json().items;
  expect(latest).toMatchObject({ action: 'dlq.discard', actor: 'ben', authenticatedAs: 'anna' });
});

it('records who started a bulk job, on the job and on each saga it acts on', async () => {
  const orderId = await waitingOrder();
  const started = await t.app.inject({
    method: 'POST',
    url: '/api/bulk',
    headers: anna({ 'x-actor': 'ben' }),
    payload: { action: 'compensate', filter: { q: orderId }, reason: 'bulk by phone' },
  });
  expect(started.statusCode).toBe(202);
  const jobId = started.json().id;
  await vi.waitFor(async () => expect((await t.app.inject({ method: 'GET', url: `/api/bulk/${jobId}`, headers: anna() })).json().state).toBe('completed'), {
    timeout: 15_000,
    interval: 100,
  });
  expect((await t.app.inject({ method: 'GET', url: `/api/bulk/${jobId}`, headers: anna() })).json()).toMatchObject({ actor: 'ben', authenticatedAs: 'anna' });
  // Refused here (the saga is still reserving), which the audit attributes like an applied act.
  expect(await trailOf(orderId)).toEqual([expect.objectContaining({ action: 'bulk.compensate', actor: 'ben', authenticatedAs: 'anna' })]);
});

it('refuses an X-Actor that could pass for a token label, or is not a plain name, and acts on nothing', async () => {
  const orderId = await waitingOrder();
  for (const actor of ['mallory (token: anna)', 'eve\tadmin', 'Zo\u00eb', '-rm', 'x'.repeat(101)]) {
    const answer = await t.app.inject({ method: 'POST', url: `/api/orders/${orderId}/cancel`, headers: anna({ 'x-actor': actor }), payload: { reason: 'r' } });
    expect(answer.statusCode, actor).toBe(400);
    expect(answer.json(), actor).toMatchObject({ errors: [{ field: 'headers.x-actor' }] });
  }
  const order = (await t.app.inject({ method: 'GET', url: `/api/orders/${orderId}`, headers: anna() })).json();
  expect(order.history.some((row: { event: string }) => row.event === 'CANCEL')).toBe(false);
  expect(await trailOf(orderId)).toEqual([]);
});
