/**
 * An order accepted while its saga has not started yet (on a spike, new sagas wait for capacity):
 * an operator acting on it is told it waits and to act once it has started (409), never that
 * there is no such order; a made-up id is still a 404. Real services on a private nats-server,
 * with the inbox not running, so the submission stays waiting.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AuditRecord } from '../../api/contract.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';

const OPS = 'ops-secret-1';
const ops = { authorization: `Bearer ${OPS}`, 'x-actor': 'ops-nina' };

let nats: TestNats;
let t: TestApp;

beforeAll(async () => {
  nats = await startNats();
  t = await buildTestApp(nats.url, { env: { OPS_TOKEN: OPS } });
}, 30_000);
afterAll(async () => {
  await t?.close();
  await nats?.stop();
});

it('refuses pause, cancel and the rest on an order whose saga has not started, saying it waits, and audits it', async () => {
  const submitted = await t.app.inject({ method: 'POST', url: '/api/orders', payload: { customerId: 'cust-waiting', items: [{ sku: 'LAMP', quantity: 1, unitPriceCents: 900 }] } });
  expect(submitted.statusCode).toBe(202);
  const { orderId } = submitted.json();
  expect((await t.app.inject({ method: 'GET', url: `/api/orders/${orderId}` })).json()).toMatchObject({ state: 'submitted', allowedActions: [] });

  for (const action of ['pause', 'cancel']) {
    const refused = await t.app.inject({ method: 'POST', url: `/api/orders/${orderId}/${action}`, headers: ops, payload: { reason: 'suspect customer' } });
    expect(refused.statusCode, action).toBe(409);
    expect(refused.json()).toMatchObject({ state: 'submitted', allowedActions: [], detail: expect.stringContaining('waits for its saga to start') });
  }
  const trail: AuditRecord[] = (await t.app.inject({ method: 'GET', url: `/api/audit?orderId=${orderId}`, headers: ops })).json().items;
  expect(trail.map((record) => `${record.action}:${record.result}`).sort()).toEqual(['cancel:refused', 'pause:refused']);

  const unknown = await t.app.inject({ method: 'POST', url: '/api/orders/ord_0000000000000000000000000z/pause', headers: ops, payload: { reason: 'r' } });
  expect(unknown.statusCode).toBe(404);
});
