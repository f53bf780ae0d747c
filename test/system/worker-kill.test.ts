/**
 * SIGKILL a worker with commands in its hands and start it again: JetStream hands the commands
 * to the new process once ACK_WAIT_MS passes without a sign of life, so the sagas in flight
 * finish on their first attempt, long before STEP_TIMEOUT_MS (a lost worker is noticed in
 * seconds, not at the step timeout), and nothing is charged twice.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkBooks } from '../support/books.ts';
import { orderFor } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';
import { jetstreamManager } from '@nats-io/jetstream';
import { CONSUMERS, STREAMS } from '../../lib/topology.ts';

let system: TestSystem;

beforeAll(async () => {
  // Payment takes a while, so the kill finds commands in its hands; the step timeout is the default's order.
  system = await startSystem({ env: { WORKER_LATENCY_MS: '1500', STEP_TIMEOUT_MS: '30000', WORKER_POOL_SIZE: '64' } });
});
afterAll(async () => system?.stop());

it('finishes every saga whose command died with the worker on its first attempt, well before the step timeout', async () => {
  const orders = await Promise.all(
    Array.from({ length: 20 }, async (_, n) => {
      const body = orderFor('happy', n);
      const answer = await system.api('/api/orders', { method: 'POST', body });
      expect(answer.status).toBe(202);
      return { orderId: answer.body.orderId as string, totalCents: body.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0) };
    }),
  );
  const jsm = await jetstreamManager(await system.connection());
  await until('payment to hold commands', async () => (await jsm.consumers.info(STREAMS.commands, CONSUMERS.worker('payment'))).num_ack_pending >= 5, 30_000);
  await system.services.payment.kill();
  await system.services.payment.start();
  const restartedAt = Date.now();

  const ids = orders.map((order) => order.orderId);
  let chargedAfterMs: number | undefined;
  await until('every order to complete', async () => {
    const orders = await Promise.all(ids.map(async (id) => (await system.api(`/api/orders/${id}`)).body));
    if (chargedAfterMs === undefined && orders.every((order) => !['reservingInventory', 'chargingPayment'].includes(order.state))) chargedAfterMs = Date.now() - restartedAt;
    return orders.every((order) => order.status === 'completed');
  }, 25_000);
  const finishedAfterMs = Date.now() - restartedAt;
  // Each step takes WORKER_LATENCY_MS (1.5 s): the charges themselves, then the shipments, follow the restart.
  console.log(`[worker-kill] ${ids.length} sagas in flight at the kill: every charge answered ${chargedAfterMs} ms after the restart, every saga completed after ${finishedAfterMs} ms`);

  for (const id of ids) {
    const order = (await system.api(`/api/orders/${id}`)).body;
    expect(order.history.filter((row: { event: string }) => row.event === 'STEP_TIMED_OUT')).toEqual([]);
  }
  const books = await checkBooks(await system.connection(), orders.map((order) => ({ ...order, status: 'completed' })));
  expect(books.problems).toEqual([]);
});
