/**
 * 200 orders mixing the four outcomes through the real system with 30% transient faults:
 * each reaches the status its business rule dictates, and the books balance.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CONSUMERS, STREAMS } from '../../lib/topology.ts';
import { checkBooks } from '../support/books.ts';
import { EXPECTED_STATUS, submitMix, waitUntilSettled } from '../support/orders.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ env: { FAULT_RATE: '0.3', WORKER_BACKOFF_MS: '10', STEP_TIMEOUT_MS: '5000' } });
});
afterAll(async () => system?.stop());

it('settles 200 mixed orders right despite FAULT_RATE=0.3, and the books balance', async () => {
  const submitted = await submitMix(system, 200);
  expect(submitted).toHaveLength(200);

  const settled = await waitUntilSettled(system, submitted.map((o) => o.orderId));
  const wrong = submitted
    .filter((o) => settled.get(o.orderId)?.status !== EXPECTED_STATUS[o.scenario])
    .map((o) => `${o.orderId} (${o.scenario}): ${settled.get(o.orderId)?.status ?? 'still running'} at ${settled.get(o.orderId)?.state}`);
  expect(wrong).toEqual([]);

  // The faults really happened: with a 30% fault rate, workers needed many redeliveries.
  const jsm = await jetstreamManager(await system.connection());
  const commands = (await jsm.streams.info(STREAMS.commands)).state.messages;
  let deliveries = 0;
  for (const service of ['inventory', 'payment', 'shipping'] as const) {
    deliveries += (await jsm.consumers.info(STREAMS.commands, CONSUMERS.worker(service))).delivered.consumer_seq;
  }
  expect(deliveries / commands).toBeGreaterThan(1.2);
  const reasons = Object.fromEntries(
    [...settled.values()].filter((o) => o.status === 'cancelled').map((o) => [o.orderId, o.context.cancellation?.reason ?? '']),
  );
  for (const order of submitted) {
    const reason = reasons[order.orderId];
    if (order.scenario === 'outOfStock') expect(reason).toMatch(/OUT_OF_STOCK/);
    if (order.scenario === 'declined') expect(reason).toMatch(/DECLINED/);
    if (order.scenario === 'cannotShip') expect(reason).toMatch(/CANNOT_SHIP/);
  }

  const books = await checkBooks(
    await system.connection(),
    submitted.map((o) => ({ orderId: o.orderId, status: settled.get(o.orderId).status, totalCents: o.totalCents })),
  );
  expect(books.problems).toEqual([]);
  expect(books.totals.charged - books.totals.refunded).toBe(books.totals.completedTotals);
  expect(books.totals.reserved - books.totals.released).toBe(books.totals.shipped - books.totals.shipmentsCancelled);
  expect(books.totals.completedTotals).toBeGreaterThan(0);
});
