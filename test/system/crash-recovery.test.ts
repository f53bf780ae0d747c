/**
 * SIGKILL the orchestrator in the middle of 200 orders, start it again: every accepted order
 * still reaches its right end, and nothing is charged, reserved or shipped twice.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkBooks } from '../support/books.ts';
import { EXPECTED_STATUS, submitMix, waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

let system: TestSystem;

beforeAll(async () => {
  // Latency spreads the run out so the kill lands while many sagas are mid-step.
  system = await startSystem({ env: { WORKER_LATENCY_MS: '20', FAULT_RATE: '0.1', WORKER_BACKOFF_MS: '10', STEP_TIMEOUT_MS: '3000' } });
});
afterAll(async () => system?.stop());

it('loses no order and charges nothing twice across an orchestrator SIGKILL', async () => {
  const submitted = await submitMix(system, 200);
  expect(submitted).toHaveLength(200);

  // Kill once some sagas are done and many are still in flight.
  await until('a quarter of the orders to finish', async () => {
    const done = await system.api('/api/orders?status=completed&limit=500');
    return done.body.items.length >= 25;
  });
  const running = (await system.api('/api/orders?status=running&limit=500')).body.items.length;
  await system.services.orchestrator.kill();
  expect(running).toBeGreaterThan(0);

  await new Promise((r) => setTimeout(r, 1000));
  await system.services.orchestrator.start();

  const settled = await waitUntilSettled(system, submitted.map((o) => o.orderId));
  const wrong = submitted
    .filter((o) => settled.get(o.orderId)?.status !== EXPECTED_STATUS[o.scenario])
    .map((o) => `${o.orderId} (${o.scenario}): ${settled.get(o.orderId)?.status ?? 'still running'}`);
  expect(wrong).toEqual([]);

  for (const order of settled.values()) {
    // The history only grew: one submission, and every event id applied once.
    const ids = order.history.map((row: { eventId: string }) => row.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(order.history[0].event).toBe('ORDER_SUBMITTED');
  }

  const books = await checkBooks(
    await system.connection(),
    submitted.map((o) => ({ orderId: o.orderId, status: settled.get(o.orderId).status, totalCents: o.totalCents })),
  );
  expect(books.problems).toEqual([]);
  expect(books.totals.charged - books.totals.refunded).toBe(books.totals.completedTotals);
});
