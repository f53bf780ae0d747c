/**
 * A payment-provider outage: the charge is dead-lettered after the worker's last delivery and
 * the saga parks. The operator sees it in the dead-letter list, the provider comes back, the
 * operator redrives the letter and retries the saga: the order completes, charged once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkBooks } from '../support/books.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

const ops = { Authorization: 'Bearer ops-secret-token', 'X-Actor': 'ops-ben' };
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({
    env: { STEP_MAX_ATTEMPTS: '1', STEP_TIMEOUT_MS: '5000', WORKER_MAX_DELIVERIES: '2', WORKER_BACKOFF_MS: '10', OPS_TOKEN: 'ops-secret-token' },
  });
  // The provider is down: every payment call fails.
  await system.services.payment.stop();
  await system.services.payment.start({ FAULT_RATE: '1' });
});
afterAll(async () => system?.stop());

it('lists the dead-lettered charge with its reason, redrives it after the fix, and the order completes once', async () => {
  const { orderId } = (await system.api('/api/orders', { body: { customerId: 'cust-outage', items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 4200 }] } })).body;
  const [stuck] = [...(await waitUntilSettled(system, [orderId], 20_000)).values()];
  expect(stuck).toMatchObject({ status: 'stuck', context: { stuckStep: 'chargePayment' }, lastError: { kind: 'transient' } });
  expect(stuck.lastError.message).toMatch(/gave up after 2 deliveries/);

  const list = (await system.api('/api/dead-letters')).body;
  expect(list.waiting).toBe(1);
  const [letter] = list.items;
  expect(letter).toMatchObject({ service: 'payment', originalSubject: 'saga.cmd.payment', decodeError: null });
  expect(letter.reason).toMatch(/gave up after 2 deliveries/);
  expect(letter.decoded.meta.orderId).toBe(orderId);
  expect(letter.decoded.chargePayment.amountCents).toBe('4200');
  expect(letter.headers['Saga-Order-Id']).toEqual([orderId]);

  // The provider is back.
  await system.services.payment.stop();
  await system.services.payment.start({ FAULT_RATE: '0' });

  const redrive = await system.api(`/api/dead-letters/${letter.sequence}/redrive`, { body: { reason: 'provider is back' }, headers: ops });
  expect(redrive.status).toBe(200);
  expect((await system.api('/api/dead-letters')).body.waiting).toBe(0);

  // The redriven attempt's reply is late for the parked saga; the operator's retry completes it.
  const retry = await system.api(`/api/orders/${orderId}/retry`, { body: { reason: 'charge went through' }, headers: ops });
  expect(retry.status).toBe(200);
  await until('the order to complete', async () => (await system.api(`/api/orders/${orderId}`)).body.status === 'completed', 20_000);

  const books = await checkBooks(await system.connection(), [{ orderId, status: 'completed', totalCents: 4200 }]);
  expect(books.problems).toEqual([]);
  expect(books.totals.charged).toBe(4200);

  const audit = (await system.api('/api/audit')).body.items;
  expect(audit).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ action: 'dlq.redrive', actor: 'ops-ben', target: `dlq:${letter.sequence}`, result: 'applied' }),
      expect.objectContaining({ action: 'retry', actor: 'ops-ben', target: `order:${orderId}`, result: 'applied' }),
    ]),
  );
});

it('discards a letter with a reason, on the audit trail', async () => {
  const nc = await system.connection();
  const { jetstream } = await import('@nats-io/jetstream');
  await jetstream(nc).publish('saga.reply.shipping', new Uint8Array([1, 2, 3]));
  await until('the poison reply to be dead-lettered', async () => (await system.api('/api/dead-letters')).body.waiting === 1, 10_000);
  const [letter] = (await system.api('/api/dead-letters')).body.items;
  expect(letter.decodeError).toMatch(/not a valid order.v1.Reply|invalid/);
  const discarded = await system.api(`/api/dead-letters/${letter.sequence}/discard`, { body: { reason: 'garbage from a test client' }, headers: ops });
  expect(discarded.status).toBe(200);
  expect((await system.api('/api/dead-letters')).body.waiting).toBe(0);
  const [latest] = (await system.api('/api/audit?limit=1')).body.items;
  expect(latest).toMatchObject({ action: 'dlq.discard', reason: 'garbage from a test client', actor: 'ops-ben' });
});

it('redrives only the letters waiting when asked, even if their cause is not fixed', async () => {
  const nc = await system.connection();
  const { jetstream } = await import('@nats-io/jetstream');
  for (let i = 0; i < 2; i++) await jetstream(nc).publish('saga.reply.inventory', new Uint8Array([9, 9, i]));
  await until('two poison replies to be dead-lettered', async () => (await system.api('/api/dead-letters')).body.waiting === 2, 10_000);
  const response = await system.api('/api/dead-letters/redrive-all', { body: { reason: 'try again' }, headers: ops });
  expect(response.status).toBe(200);
  expect(response.body.redriven).toHaveLength(2);
  // Still poison: they come back once each, and stay there.
  await until('the two to be dead-lettered again', async () => (await system.api('/api/dead-letters')).body.waiting === 2, 10_000);
  await new Promise((r) => setTimeout(r, 500));
  expect((await system.api('/api/dead-letters')).body.waiting).toBe(2);
});
