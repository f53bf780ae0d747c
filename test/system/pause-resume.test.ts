/**
 * Pause and resume on real processes. An order whose inventory service is down waits on its
 * reservation; an operator pauses it. Paused: its deadline does not run (no timeout, no retry,
 * never stuck, however long), the worker's late answer still counts, but the next command (the
 * charge) is held, also across a SIGKILLed and restarted orchestrator, which re-publishes the
 * outboxes of running sagas. Resumed: the charge goes out and the order completes, each act in
 * the history and the audit trail. In bulk: a filter's sagas paused and resumed as one job each,
 * listed by the paused filter while held.
 */
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUCKETS } from '../../lib/topology.ts';
import type { Service } from '../../machines/index.ts';
import { readEntry } from '../../workers/ledger.ts';
import { checkBooks } from '../support/books.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

const TOKEN = 'ops-secret-token';
const ops = { Authorization: `Bearer ${TOKEN}`, 'X-Actor': 'ops-paula' };
const STEP_TIMEOUT_MS = 1_000;
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ env: { STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS), STEP_MAX_ATTEMPTS: '2', OPS_TOKEN: TOKEN } });
}, 90_000);
afterAll(async () => system?.stop());

/** The steps a service has booked for the order. */
async function ledgerSteps(nc: NatsConnection, service: Service, orderId: string): Promise<string[]> {
  const kv = await new Kvm(nc).open(BUCKETS.ledger(service));
  return Object.values((await readEntry(kv, orderId)).entry.effects).map((effect) => effect.step);
}

const order = async (orderId: string) => (await system.api(`/api/orders/${orderId}`)).body;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const submit = async (customerId: string, unitPriceCents: number): Promise<string> =>
  (await system.api('/api/orders', { body: { customerId, items: [{ sku: 'LAMP', quantity: 1, unitPriceCents }] } })).body.orderId;

it('holds a paused saga: no deadline, no next command (even across a restart) until resumed; then it completes', async () => {
  await system.services.inventory.stop();
  const orderId = await submit('cust-suspect', 12_300);
  await until('the reservation to be pending', async () => (await order(orderId)).pending?.step === 'reserveInventory', 10_000);

  const paused = await system.api(`/api/orders/${orderId}/pause`, { body: { reason: 'suspect customer, checking with fraud' }, headers: ops });
  expect(paused.status).toBe(200);
  expect(paused.body).toMatchObject({ state: 'reservingInventory', paused: { actor: 'ops-paula (token: operator)', reason: 'suspect customer, checking with fraud' } });
  expect(paused.body.pending).toMatchObject({ step: 'reserveInventory', attempt: 1, deadline: null });
  expect(paused.body.allowedActions).toEqual(['cancel', 'resume']);
  expect(paused.body.next.says).toMatch(/^is paused by ops-paula .*: no new command goes out and no deadline runs until it is resumed; resumed, it sends reserveInventory \(attempt 1\)/);
  expect(paused.body.history.at(-1)).toMatchObject({ event: 'PAUSE', from: 'reservingInventory', to: 'reservingInventory', detail: 'suspect customer, checking with fraud' });
  // Twice is refused, saying why.
  const again = await system.api(`/api/orders/${orderId}/pause`, { body: { reason: 'again' }, headers: ops });
  expect(again.status).toBe(409);
  expect(again.body).toMatchObject({ detail: expect.stringContaining('paused already (by ops-paula'), allowedActions: ['cancel', 'resume'] });

  // Three timeouts' worth of waiting: no STEP_TIMED_OUT, no second attempt, never stuck.
  await sleep(3 * STEP_TIMEOUT_MS);
  const waited = await order(orderId);
  expect(waited).toMatchObject({ status: 'running', state: 'reservingInventory', pending: { attempt: 1 } });
  expect(waited.history.map((row: { event: string }) => row.event)).toEqual(['ORDER_SUBMITTED', 'PAUSE']);
  const listed = (await system.api('/api/orders?paused=true')).body.items;
  expect(listed.map((summary: { orderId: string }) => summary.orderId)).toContain(orderId);
  expect(listed.find((summary: { orderId: string }) => summary.orderId === orderId)).toMatchObject({ paused: { reason: 'suspect customer, checking with fraud' }, deadline: null });
  const overview = (await system.api('/api/overview')).body;
  expect(overview.paused).toBeGreaterThanOrEqual(1);
  // The load in front of the sagas counts as admission does: the paused one holds no capacity.
  expect(overview.load.running).toBe(0);
  expect(await (await fetch(`${system.baseUrl}/metrics`)).text()).toMatch(/^saga_paused(\{[^}]*\})? 1$/m);

  // The reservation sent before the pause is answered: the answer counts, the charge waits.
  await system.services.inventory.start();
  await until('the reservation to be recorded', async () => (await order(orderId)).state === 'chargingPayment', 15_000);
  // A crash and a restart: recovery re-publishes running sagas' outboxes, but not a paused one's.
  await system.services.orchestrator.kill();
  await system.services.orchestrator.start();
  await sleep(3 * STEP_TIMEOUT_MS);
  const nc = await system.connection();
  expect(await ledgerSteps(nc, 'payment', orderId)).toEqual([]);
  expect(await order(orderId)).toMatchObject({ state: 'chargingPayment', pending: { step: 'chargePayment', attempt: 1, deadline: null }, paused: { actor: 'ops-paula (token: operator)' } });

  const resumed = await system.api(`/api/orders/${orderId}/resume`, { body: { reason: 'fraud check passed' }, headers: ops });
  expect(resumed.status).toBe(200);
  expect(resumed.body.paused).toBeNull();
  expect(resumed.body.pending.deadline).not.toBeNull();
  const [done] = [...(await waitUntilSettled(system, [orderId], 30_000)).values()];
  expect(done.status).toBe('completed');
  const events = done.history.map((row: { event: string }) => row.event);
  expect(events).toEqual(['ORDER_SUBMITTED', 'PAUSE', 'INVENTORY_RESERVED', 'RESUME', 'PAYMENT_CHARGED', 'SHIPMENT_CREATED']);
  expect(await ledgerSteps(nc, 'payment', orderId)).toEqual(['chargePayment']);
  expect((await system.api(`/api/orders/${orderId}/resume`, { body: { reason: 'late' }, headers: ops })).status).toBe(409);
  const audit = (await system.api(`/api/audit?orderId=${orderId}`)).body.items;
  expect(audit.map((record: { action: string; result: string }) => `${record.action}:${record.result}`)).toEqual(
    expect.arrayContaining(['pause:applied', 'pause:refused', 'resume:applied', 'resume:refused']),
  );
  const books = await checkBooks(nc, [{ orderId, status: 'completed', totalCents: 12_300 }]);
  expect(books.problems).toEqual([]);
}, 120_000);

it('pauses and resumes in bulk over a filter: exactly the matching sagas, listed by the paused filter while held', async () => {
  await system.services.payment.stop();
  const ids: string[] = [];
  for (let n = 0; n < 5; n++) ids.push(await submit('cust-carrier-outage', 1_000 + n));
  await until('every charge to be pending', async () => {
    const orders = await Promise.all(ids.map(order));
    return orders.every((o) => o.pending?.step === 'chargePayment');
  }, 15_000);

  const dryRun = await system.api('/api/bulk', { body: { action: 'pause', reason: 'payment provider outage', dryRun: true, filter: { customerId: 'cust-carrier-outage' } }, headers: ops });
  expect(dryRun.body.matched).toBe(5);
  const job = await system.api('/api/bulk', { body: { action: 'pause', reason: 'payment provider outage', filter: { customerId: 'cust-carrier-outage' } }, headers: ops });
  expect(job.status).toBe(202);
  await until('the pause job to finish', async () => (await system.api(`/api/bulk/${job.body.id}`)).body.state === 'completed', 20_000);
  expect((await system.api(`/api/bulk/${job.body.id}`)).body).toMatchObject({ total: 5, applied: 5, refused: 0 });
  const pausedPage = (await system.api('/api/orders?paused=true&customerId=cust-carrier-outage')).body.items;
  expect(pausedPage.map((summary: { orderId: string }) => summary.orderId).sort()).toEqual([...ids].sort());
  expect((await system.api('/api/orders?paused=false&customerId=cust-carrier-outage')).body.items).toEqual([]);

  // The provider is back and answers the charges sent before the pause: they count, but the
  // shipments wait, however long, with no attempt spent.
  await system.services.payment.start();
  await until('every charge to be recorded', async () => (await Promise.all(ids.map(order))).every((o) => o.state === 'creatingShipment'), 15_000);
  await sleep(3 * STEP_TIMEOUT_MS);
  const nc = await system.connection();
  for (const o of await Promise.all(ids.map(order))) {
    expect(o).toMatchObject({ state: 'creatingShipment', pending: { attempt: 1, deadline: null }, paused: { reason: 'payment provider outage' } });
    expect(await ledgerSteps(nc, 'shipping', o.orderId)).toEqual([]);
  }
  const resume = await system.api('/api/bulk', { body: { action: 'resume', reason: 'provider back', filter: { paused: true, customerId: 'cust-carrier-outage' } }, headers: ops });
  expect(resume.status).toBe(202);
  const settled = await waitUntilSettled(system, ids, 30_000);
  expect([...settled.values()].map((o) => o.status)).toEqual(ids.map(() => 'completed'));
  expect((await system.api(`/api/bulk/${resume.body.id}`)).body).toMatchObject({ total: 5, applied: 5 });
}, 120_000);
