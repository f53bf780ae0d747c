/**
 * Observability against the real system: one trace per order across the API, the
 * orchestrator and every worker, exported over OTLP/gRPC to a real receiver, with correct
 * parent links, across a timed-out and retried step and an operator's action; log lines about
 * an order, in every service, that lead to its trace, with an exporter and without one; and
 * Prometheus metrics whose counts match what happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { orderFor, SCENARIOS, waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

let receiver: OtlpReceiver;
let system: TestSystem;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  system = await startSystem({
    workerProbes: true,
    env: {
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      // A SLOW- shipment hangs on its first tries: the step times out and is retried.
      STEP_TIMEOUT_MS: '400',
      STEP_MAX_ATTEMPTS: '6',
      SLOW_SHIPPING_MS: '1000',
    },
  });
});
afterAll(async () => {
  await system?.stop();
  await receiver?.stop();
});

const spansOf = (traceId: string) => receiver.spans.filter((span) => span.traceId === traceId);

describe('tracing', () => {
  it('covers an order with one trace: API, every saga step, every worker, and a timed-out, retried step', async () => {
    const submitted = await system.api('/api/orders', {
      body: { customerId: 'cust-trace', items: [{ sku: 'SLOW-LAMP', quantity: 1, unitPriceCents: 2500 }] },
      headers: { 'X-Actor': 'ops-trace' },
    });
    const { orderId } = submitted.body;
    const [done] = [...(await waitUntilSettled(system, [orderId], 30_000)).values()];
    expect(done.status).toBe('completed');
    const traceId: string = done.traceId;
    expect(submitted.body.links.trace).toContain(traceId);

    const shipping = (spans: ReceivedSpan[]) => spans.filter((s) => s.name === 'shipping createShipment');
    // Services export in batches: wait until the trace is whole (every parent has arrived).
    await until('the whole trace to be exported', async () => {
      const spans = spansOf(traceId);
      const ids = new Set(spans.map((s) => s.spanId));
      return shipping(spans).length >= 2 && spans.some((s) => s.name === 'saga SHIPMENT_CREATED') && spans.every((s) => !s.parentSpanId || ids.has(s.parentSpanId));
    }, 20_000);
    const spans = spansOf(traceId);
    const byId = new Map(spans.map((span) => [span.spanId, span]));

    // The root: the API request that accepted the order.
    const roots = spans.filter((span) => !span.parentSpanId);
    expect(roots.map((s) => `${s.service}: ${s.name}`)).toEqual(['orchestrator: POST /api/orders']);
    // Every other span's parent was exported in the same trace.
    for (const span of spans.filter((s) => s.parentSpanId)) expect(byId.has(span.parentSpanId), `parent of ${span.name}`).toBe(true);

    const services = new Set(spans.map((s) => s.service));
    expect([...services].sort()).toEqual(['orchestrator', 'worker-inventory', 'worker-payment', 'worker-shipping']);

    // Each worker span is a child of the saga step that sent its command, and the next step a child of it.
    const reserve = spans.find((s) => s.name === 'inventory reserveInventory')!;
    expect(byId.get(reserve.parentSpanId)!.name).toBe('saga start');
    expect(reserve.attributes).toMatchObject({ 'order.id': orderId, 'saga.step': 'reserveInventory', 'saga.attempt': 1 });
    const reserved = spans.find((s) => s.name === 'saga INVENTORY_RESERVED')!;
    expect(reserved.parentSpanId).toBe(reserve.spanId);
    expect(reserved.attributes).toMatchObject({ 'saga.state.from': 'reservingInventory', 'saga.state.to': 'chargingPayment' });

    // The retried step: several shipping attempts, each its own span; the timeouts in the same trace.
    const attempts = shipping(spans).map((s) => s.attributes['saga.attempt']);
    expect(new Set(attempts).size).toBeGreaterThanOrEqual(2);
    const timeouts = spans.filter((s) => s.name === 'saga STEP_TIMED_OUT');
    expect(timeouts.length).toBeGreaterThanOrEqual(1);
    expect(timeouts.every((s) => s.attributes['saga.state.from'] === 'creatingShipment')).toBe(true);
    const created = spans.find((s) => s.name === 'saga SHIPMENT_CREATED')!;
    expect(byId.get(created.parentSpanId)!.name).toBe('shipping createShipment');
  });

  it('puts an operator action in the order trace, linked to the operator request', async () => {
    // Payment is down: no worker takes the charge (its queue does not move), so every attempt times out and the saga parks.
    await system.services.payment.stop();
    const { orderId } = (await system.api('/api/orders', { body: { customerId: 'cust-op', items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 100 }] } })).body;
    const [stuck] = [...(await waitUntilSettled(system, [orderId], 20_000)).values()];
    expect(stuck.status).toBe('stuck');
    await system.services.payment.start();

    const retry = await system.api(`/api/orders/${orderId}/retry`, { body: { reason: 'payment is back' }, headers: { 'X-Actor': 'ops-trace', traceparent: '00-aaaabbbbccccddddeeeeffff00001111-2222333344445555-01' } });
    expect(retry.status).toBe(200);
    await until('the order to complete', async () => (await system.api(`/api/orders/${orderId}`)).body.status === 'completed', 20_000);
    await until('the retry step to be exported', async () => spansOf(stuck.traceId).some((s) => s.name === 'saga RETRY'), 20_000);

    const step = spansOf(stuck.traceId).find((s) => s.name === 'saga RETRY')!;
    const root = spansOf(stuck.traceId).find((s) => !s.parentSpanId)!;
    expect(root.name).toBe('POST /api/orders');
    expect(step.parentSpanId).toBe(root.spanId);
    // The operator's request continued the caller's trace, and the step links to it.
    const request = receiver.spans.find((s) => s.name === 'POST /api/orders/:orderId/retry')!;
    expect(request.traceId).toBe('aaaabbbbccccddddeeeeffff00001111');
    expect(step.links).toEqual([{ traceId: request.traceId, spanId: request.spanId }]);
    // The charge that finally went through is in the order trace too, a child of the retry step.
    await until('the charge to be exported', async () => spansOf(stuck.traceId).some((s) => s.name === 'payment chargePayment' && s.parentSpanId === step.spanId), 20_000);

    // A replay (refused here: the saga is completed, and replay never re-opens it) is linked the same way.
    const replay = await system.api(`/api/orders/${orderId}/replay`, { body: { reason: 'check the rules' }, headers: { 'X-Actor': 'ops-trace', traceparent: '00-aaaabbbbccccddddeeeeffff00002222-2222333344446666-01' } });
    expect(replay.status).toBe(409);
    await until('the replay step to be exported', async () => spansOf(stuck.traceId).some((s) => s.name === 'saga REPLAY'), 20_000);
    const replayStep = spansOf(stuck.traceId).find((s) => s.name === 'saga REPLAY')!;
    const replayRequest = receiver.spans.find((s) => s.name === 'POST /api/orders/:orderId/replay')!;
    expect(replayRequest.traceId).toBe('aaaabbbbccccddddeeeeffff00002222');
    expect(replayStep.links).toEqual([{ traceId: replayRequest.traceId, spanId: replayRequest.spanId }]);
  });
});

interface LogLine {
  msg: string;
  orderId?: string;
  traceId?: string;
  spanId?: string;
}

const SERVICES = ['orchestrator', 'inventory', 'payment', 'shipping'] as const;

/** A service's JSON log lines (anything else it printed is skipped). */
function jsonLines(log: string): LogLine[] {
  return log.split('\n').flatMap((text) => {
    try {
      return [JSON.parse(text) as LogLine];
    } catch {
      return [];
    }
  });
}

/** Each service's log lines about one order. */
function linesAbout(on: TestSystem, orderId: string): Record<(typeof SERVICES)[number], LogLine[]> {
  const about = (log: string) => jsonLines(log).filter((line) => line.orderId === orderId);
  return Object.fromEntries(SERVICES.map((service) => [service, about(on.services[service].log)])) as Record<(typeof SERVICES)[number], LogLine[]>;
}

/**
 * Submit an order that every worker acts on, wait until every service has logged about it, and
 * check that each of those lines carries the order's trace id (the one the API reports) and a span id.
 */
async function orderLogs(on: TestSystem, customerId: string): Promise<{ orderId: string; traceId: string; lines: ReturnType<typeof linesAbout> }> {
  const { orderId } = (await on.api('/api/orders', { body: { customerId, items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 1250 }] } })).body;
  const [done] = [...(await waitUntilSettled(on, [orderId], 30_000)).values()];
  expect(done.status).toBe('completed');
  const traceId: string = done.traceId;
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  await until('every service to log about the order', async () => {
    const lines = linesAbout(on, orderId);
    return lines.orchestrator.some((l) => l.msg === 'saga started') && lines.orchestrator.some((l) => l.msg === 'saga step') && SERVICES.every((s) => lines[s].length > 0);
  }, 20_000);
  const lines = linesAbout(on, orderId);
  for (const service of SERVICES) {
    for (const line of lines[service]) {
      expect({ service, msg: line.msg, traceId: line.traceId }).toEqual({ service, msg: line.msg, traceId });
      expect(line.spanId, `${service}: ${line.msg}`).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
    }
  }
  return { orderId, traceId, lines };
}

describe('logs', () => {
  it("put the order's trace on every line about it, in every service, each line's span one of the trace's", async () => {
    const { traceId, lines } = await orderLogs(system, 'cust-logs');
    const all = SERVICES.flatMap((service) => lines[service].map((line) => ({ service, line })));
    await until('the spans the lines name to be exported', async () => {
      const ids = new Set(spansOf(traceId).map((s) => s.spanId));
      return all.every(({ line }) => ids.has(line.spanId!));
    }, 20_000);
    const byId = new Map(spansOf(traceId).map((span) => [span.spanId, span]));
    // A worker's line names its own delivery span; the orchestrator's, a saga step.
    for (const { service, line } of all) {
      const span = byId.get(line.spanId!)!;
      expect(`${service}: ${line.msg} → ${span.service}`).toBe(`${service}: ${line.msg} → ${service === 'orchestrator' ? 'orchestrator' : `worker-${service}`}`);
      expect(span.name, `${service}: ${line.msg}`).toMatch(service === 'orchestrator' ? /^saga / : new RegExp(`^${service} `));
    }
  });

  it("put its order's trace id on every line about an order so far: steps, timeouts, operator actions", async () => {
    const lines = SERVICES.flatMap((service) => jsonLines(system.services[service].log).filter((line) => typeof line.orderId === 'string'));
    const traceOf = new Map<string, string>();
    for (const orderId of new Set(lines.map((line) => line.orderId!))) traceOf.set(orderId, (await system.api(`/api/orders/${orderId}`)).body.traceId);
    const wrong = lines.filter((line) => line.traceId !== traceOf.get(line.orderId!) || !/^[0-9a-f]{16}$/.test(line.spanId ?? ''));
    expect(wrong).toEqual([]);
    // The tests above timed a step out and acted as an operator: those lines are here too.
    expect([...new Set(lines.map((line) => line.msg))]).toEqual(expect.arrayContaining(['saga started', 'saga step', 'step timed out', 'operator action applied']));
  });
});

describe('logs without a trace exporter', () => {
  let quiet: TestSystem;
  beforeAll(async () => {
    quiet = await startSystem({ env: { LOG_LEVEL: 'info' } });
  });
  afterAll(async () => quiet?.stop());

  it("still put the order's trace id on every line about it, in every service", async () => {
    const { lines } = await orderLogs(quiet, 'cust-quiet');
    expect(lines.shipping.length).toBeGreaterThan(0);
  });
});

describe('metrics', () => {
  it('counts what happened: sagas by outcome, HTTP requests, worker commands', async () => {
    const before = await scrape(`${system.baseUrl}/metrics`);
    const orders = SCENARIOS.flatMap((scenario) => [0, 1].map((n) => ({ scenario, body: orderFor(scenario, 900 + n) })));
    const ids = [];
    for (const { body } of orders) ids.push((await system.api('/api/orders', { body })).body.orderId);
    await waitUntilSettled(system, ids);
    await new Promise((r) => setTimeout(r, 200));
    const after = await scrape(`${system.baseUrl}/metrics`);
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);

    expect(delta('saga_started_total')).toBe(8);
    expect(delta('saga_finished_total{outcome="completed"}')).toBe(2);
    expect(delta('saga_finished_total{outcome="cancelled"}')).toBe(6);
    expect(delta('http_requests_total{method="POST",route="/api/orders",status="202"}')).toBe(8);
    expect(after.get('saga_sagas_by_status{status="running"}')).toBe(0);
    expect(after.get('nats_consumer_pending_messages{consumer="orchestrator_replies"}')).toBe(0);
    expect(after.get('nats_consumer_pending_messages{consumer="orchestrator_submissions"}')).toBe(0);
    expect(after.get('saga_dead_letters_waiting')).toBe(0);
    expect(after.has('process_resident_memory_bytes')).toBe(true);
    expect([...after.keys()].some((key) => key.startsWith('saga_step_duration_seconds_bucket'))).toBe(true);

    // Inventory: 8 reservations asked (2 refused: OOS-), and 4 releases (declined and cannot-ship).
    const inventory = await scrape(`${system.workerUrls.inventory}/metrics`);
    expect(inventory.get('worker_commands_total{step="reserveInventory",outcome="failed"}')).toBeGreaterThanOrEqual(2);
    const payment = await scrape(`${system.workerUrls.payment}/metrics`);
    expect(payment.get('worker_commands_total{step="chargePayment",outcome="failed"}')).toBeGreaterThanOrEqual(2);
    const shipping = await scrape(`${system.workerUrls.shipping}/metrics`);
    expect(shipping.get('worker_commands_total{step="createShipment",outcome="failed"}')).toBeGreaterThanOrEqual(2);
    expect((await fetch(`${system.workerUrls.shipping}/ready`)).status).toBe(200);
  });
});

/** Prometheus text format → `name{labels}` → value, without the default `service` label. */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(url)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match) continue;
    const labels = (match[2] ?? '').replace(/,?service="[^"]*"/, '').replace('{,', '{');
    values.set(`${match[1]}${labels === '{}' ? '' : labels}`, Number(match[3]));
  }
  return values;
}
