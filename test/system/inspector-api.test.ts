/**
 * The endpoints the inspector UI stands on, against the real system: live events over SSE,
 * counts for the overview, search and the retrying filter, the system panel and replay dry-run.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ env: { STEP_TIMEOUT_MS: '400', STEP_MAX_ATTEMPTS: '3', SLOW_SHIPPING_MS: '5000' } });
});
afterAll(async () => system?.stop());

const order = (customerId: string, sku = 'BOOK-1') => ({ customerId, items: [{ sku, quantity: 1, unitPriceCents: 999 }] });

/** Read server-sent events until `enough` says stop (or the time is up). */
async function readEvents(enough: (events: any[]) => boolean, action: () => Promise<void>, timeoutMs = 10_000) {
  const controller = new AbortController();
  const response = await fetch(`${system.baseUrl}/api/stream`, { signal: controller.signal });
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.getReader();
  const events: any[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  await action();
  while (!enough(events) && Date.now() < deadline) {
    const { value, done } = await Promise.race([
      reader.read(),
      new Promise<{ value: undefined; done: true }>((r) => setTimeout(() => r({ value: undefined, done: true }), deadline - Date.now())),
    ]);
    if (done) break;
    buffer += new TextDecoder().decode(value);
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (block.includes('event: saga') && data) events.push(JSON.parse(data.slice(6)));
    }
  }
  controller.abort();
  return events;
}

it('streams every change of a saga as it happens', async () => {
  let orderId = '';
  const events = await readEvents(
    (seen) => seen.some((e) => e.orderId === orderId && e.status === 'completed'),
    async () => {
      orderId = (await system.api('/api/orders', { body: order('cust-live') })).body.orderId;
    },
  );
  const mine = events.filter((e) => e.orderId === orderId).map((e) => e.state);
  expect(mine).toEqual(['reservingInventory', 'chargingPayment', 'creatingShipment', 'completed']);
  expect(events.find((e) => e.orderId === orderId)).toMatchObject({ customerId: 'cust-live', totalCents: 999, retrying: false });
});

it('counts sagas per status and state, finds by id prefix or customer, and lists the retrying ones', async () => {
  const slow = (await system.api('/api/orders', { body: order('cust-slow', 'SLOW-SOFA') })).body.orderId;
  const oos = (await system.api('/api/orders', { body: order('cust-oos', 'OOS-1') })).body.orderId;
  await waitUntilSettled(system, [oos]);
  await until('the slow order to retry', async () => (await system.api(`/api/orders/${slow}`)).body.pending?.attempt === 2, 10_000);

  const retrying = (await system.api('/api/orders?retrying=true')).body.items;
  expect(retrying.map((o: any) => o.orderId)).toEqual([slow]);
  expect(retrying[0]).toMatchObject({ retrying: true, state: 'creatingShipment', pending: { step: 'createShipment', attempt: 2, maxAttempts: 3 } });
  expect(retrying[0].lastError).toMatchObject({ kind: 'timeout', attempt: 1 });

  const overview = (await system.api('/api/overview')).body;
  expect(overview.retrying).toBe(1);
  expect(overview.byState.creatingShipment).toBe(1);
  expect(overview.byStatus.cancelled).toBeGreaterThanOrEqual(1);
  expect(overview.total).toBe(Object.values(overview.byStatus as Record<string, number>).reduce((a, b) => a + b, 0));

  expect((await system.api(`/api/orders?q=${slow.slice(0, 12)}`)).body.items.map((o: any) => o.orderId)).toContain(slow);
  expect((await system.api('/api/orders?q=cust-oos')).body.items.map((o: any) => o.orderId)).toEqual([oos]);
  expect((await system.api(`/api/orders/${oos}`)).body.stateEnteredAt).toMatch(/^\d{4}-/);
});

it('shows what the running setup guarantees', async () => {
  const panel = (await system.api('/api/system')).body;
  expect(panel.nats.version).toMatch(/^2\.\d+/);
  expect(panel.durability).toMatchObject({ level: 'process-crash' });
  expect(panel.durability.summary).toMatch(/1 replica/);
  expect(panel.streams.map((s: any) => s.name).sort()).toEqual(['SAGA_AUDIT', 'SAGA_COMMANDS', 'SAGA_DLQ', 'SAGA_EVENTS']);
  expect(panel.streams.every((s: any) => s.replicas === 1 && s.storage === 'file')).toBe(true);
  expect(panel.buckets.map((b: any) => b.name).sort()).toEqual(['ledger_inventory', 'ledger_payment', 'ledger_shipping', 'sagas']);
  expect(panel.consumers.map((c: any) => `${c.service}: ${c.name}`).sort()).toEqual([
    'inventory: worker_inventory',
    'orchestrator: orchestrator_replies',
    'orchestrator: orchestrator_submissions',
    'payment: worker_payment',
    'shipping: worker_shipping',
  ]);
  expect(panel.deadLetters.waiting).toBe(0);
  // /ready says the same, for probes and people.
  const ready = (await system.api('/ready')).body;
  expect(ready.durability).toEqual(panel.durability);
  expect(ready.durability.syncInterval).toMatch(/not configurable on nats-server 2\.9/);
});

it('replays a saga dry: the current machine agrees with what was recorded, and nothing changes', async () => {
  const { orderId } = (await system.api('/api/orders', { body: order('cust-replay', 'NOSHIP-1') })).body;
  const [done] = [...(await waitUntilSettled(system, [orderId])).values()];
  const plan = await system.api(`/api/orders/${orderId}/replay?dryRun=true`, { body: { reason: 'check v1' } });
  expect(plan.status).toBe(200);
  expect(plan.body.firstDivergence).toBeNull();
  expect(plan.body.steps.map((s: any) => s.replayed.to)).toEqual(done.history.map((h: any) => h.to));
  expect(plan.body.finalState).toEqual({ recorded: 'cancelled', replayed: 'cancelled' });
  expect((await system.api(`/api/orders/${orderId}`)).body.history).toHaveLength(done.history.length);
});

it('serves the UI config', async () => {
  expect((await system.api('/api/config')).body).toEqual({
    traceUrlTemplate: 'http://localhost:16686/trace/{traceId}',
    opsTokenRequired: false,
    readTokenRequired: false,
    machineVersion: 'order-saga@3',
  });
});
