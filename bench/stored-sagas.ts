/**
 * Stored sagas for the cases that measure a system with history behind it: entries in the real
 * stored format, built by driving a saga through its events with the runtime's own pure core
 * (startSaga, applyEvent, encodeStoredEntry), written straight into the `sagas` bucket. The
 * orchestrator is down while they are written, and started on them after, so its start-up sees
 * the whole stored set and its catalog's watch does not slow the writes.
 */
import { BUCKETS, connectNats } from '../lib/topology.ts';
import { CURRENT_MACHINE_VERSION, type SagaEvent } from '../machines/index.ts';
import { newOrderId } from '../orchestrator/http/order-ids.ts';
import { applyEvent, replyEventId, startSaga, timeoutEventId, type SagaEntry } from '../orchestrator/saga/entry.ts';
import { encodeStoredEntry } from '../orchestrator/saga/stored-entry.ts';
import { startOrchestrator, type BenchSystem } from './bench-system.ts';
import { overview } from './orchestrator-readings.ts';
import type { Progress } from './report.ts';
import { runWindowed } from './window.ts';

const SETTINGS = { stepTimeoutMs: 10_000, stepMaxAttempts: 3, sagaMachineVersion: CURRENT_MACHINE_VERSION };
const TRACEPARENT = '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01';

export type StoredOutcome = 'completed' | 'cancelled' | 'stuck';

/** The replies (type, step, attempt) that take a saga from submitted to each outcome. */
const SCRIPTS: Record<StoredOutcome, [string, string, number][]> = {
  completed: [
    ['INVENTORY_RESERVED', 'reserveInventory', 1],
    ['PAYMENT_CHARGED', 'chargePayment', 1],
    ['SHIPMENT_CREATED', 'createShipment', 1],
  ],
  cancelled: [
    ['INVENTORY_RESERVED', 'reserveInventory', 1],
    ['PAYMENT_DECLINED', 'chargePayment', 1],
    ['INVENTORY_RELEASED', 'releaseInventory', 1],
  ],
  stuck: [
    ['INVENTORY_RESERVED', 'reserveInventory', 1],
    ['PAYMENT_CHARGED', 'chargePayment', 1],
    ['STEP_TIMED_OUT', 'createShipment', 1],
    ['STEP_TIMED_OUT', 'createShipment', 2],
    ['STEP_TIMED_OUT', 'createShipment', 3],
  ],
};

/** A saga's entry after the replies that give it `outcome`, as the runtime would have stored it. */
export function storedSaga(order: { orderId: string; customerId: string; sku: string }, outcome: StoredOutcome, now: number): SagaEntry {
  const { orderId, customerId, sku } = order;
  let entry = startSaga(
    { order: { orderId, customerId, currency: 'USD', items: [{ sku, quantity: 1, unitPriceCents: 1999 }], totalCents: 1999 }, traceparent: TRACEPARENT, requestHash: 'bench' },
    now,
    SETTINGS,
  );
  SCRIPTS[outcome].forEach(([type, step, attempt], i) => {
    const commandId = `${orderId}:${step}:${attempt}`;
    const event = { type, commandId, reference: `${step}-ref`, message: 'bench' } as SagaEvent;
    const eventId = type === 'STEP_TIMED_OUT' ? timeoutEventId(commandId) : replyEventId(commandId);
    const result = applyEvent(entry, event, eventId, now + i + 1, SETTINGS, { worker: 'bench' });
    if (result.kind === 'applied') entry = result.entry;
  });
  return entry;
}

/** Sagas a template serves before the next one is built: their createdAt moves on per template. */
const PER_TEMPLATE = 1000;
const CUSTOMER_PLACEHOLDER = 'bench-customer-placeholder';

/**
 * One completed saga's stored text at `now`, with its order and customer ids as placeholders:
 * driving the pure core per saga costs far more than the writes, so each saga of a template's
 * run only puts its own ids in.
 */
function completedTemplate(now: number): (orderId: string, customerId: string) => Uint8Array {
  const placeholderId = newOrderId(now);
  const text = new TextDecoder().decode(encodeStoredEntry(storedSaga({ orderId: placeholderId, customerId: CUSTOMER_PLACEHOLDER, sku: 'SKU-1' }, 'completed', now)));
  const placeholders = new RegExp(`${placeholderId}|${CUSTOMER_PLACEHOLDER}`, 'g');
  const encoder = new TextEncoder();
  return (orderId, customerId) => encoder.encode(text.replace(placeholders, (found) => (found === placeholderId ? orderId : customerId)));
}

export interface Seeding {
  count: number;
  seconds: number;
  perSec: number;
}

const WRITES_OUTSTANDING = 2000;
const PROGRESS_EVERY_MS = 5000;

/** Writes `count` completed sagas, created over the last `count` ms, oldest first; prints the rate as it goes. */
export async function storeCompletedSagas(natsUrl: string, count: number, progress: Progress): Promise<Seeding> {
  const nats = await connectNats({ natsUrl }, 'bench-seed');
  try {
    const bucket = await nats.kvm.open(BUCKETS.sagas);
    const firstCreatedAt = Date.now() - count;
    let template = completedTemplate(firstCreatedAt);
    let templateAt = firstCreatedAt;
    let written = 0;
    const startedAt = performance.now();
    const ticker = setInterval(() => progress(`stored ${written.toLocaleString()} of ${count.toLocaleString()} sagas (${Math.round(written / ((performance.now() - startedAt) / 1000))}/s)`), PROGRESS_EVERY_MS);
    try {
      const run = await runWindowed({ window: WRITES_OUTSTANDING, count }, async (n) => {
        if (n % PER_TEMPLATE === 0) template = completedTemplate((templateAt = firstCreatedAt + n));
        const orderId = newOrderId(templateAt);
        await bucket.put(orderId, template(orderId, `stored-${n % 50_000}`));
        written++;
      });
      progress(`stored ${run.count.toLocaleString()} sagas in ${run.seconds.toFixed(1)} s (${run.perSec}/s)`);
      return run;
    } finally {
      clearInterval(ticker);
    }
  } finally {
    await nats.nc.drain();
  }
}

export interface Restock {
  seeding: Seeding | undefined;
  /** Spawn to /ready answering 200, on the stored set. */
  readyMs: number;
  /** Spawn to the orchestrator's index holding every stored saga (it serves before, from what it has). */
  caughtUpMs: number;
  /** Sagas the catalog counted once caught up. */
  catalogTotal: number;
}

const CATCH_UP_BOUND_MS = 60 * 60_000;

/** Polls the overview until the orchestrator's index has caught up with the bucket; returns when (performance.now()). */
async function caughtUp(baseUrl: string, progress: Progress): Promise<number> {
  const bound = performance.now() + CATCH_UP_BOUND_MS;
  let reported = performance.now();
  for (;;) {
    // A 503 (the orchestrator busy taking in the bucket) is asked again, within the bound.
    const now = await overview(baseUrl).catch(() => ({ catchingUp: true, total: Number.NaN }));
    if (!now.catchingUp) return performance.now();
    if (performance.now() > bound) throw new Error('the orchestrator did not catch up with the bucket within an hour');
    if (performance.now() - reported > 10_000) {
      progress(`index catching up: ${now.total.toLocaleString()} sagas indexed`);
      reported = performance.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** SIGKILLs the orchestrator, stores `count` more completed sagas, and starts it again on the whole stored set. */
export async function restartOnMoreSagas(bench: BenchSystem, count: number, progress: Progress): Promise<Restock> {
  await bench.system.services.orchestrator.kill();
  const seeding = count > 0 ? await storeCompletedSagas(bench.system.nats.url, count, progress) : undefined;
  const start = startOrchestrator(bench);
  const readyMs = (await start.ready) - start.spawnedAt;
  const caughtUpMs = (await caughtUp(bench.system.baseUrl, progress)) - start.spawnedAt;
  const { total } = await overview(bench.system.baseUrl);
  progress(`orchestrator ready ${Math.round(readyMs)} ms after spawn; its index took in the ${total.toLocaleString()} stored sagas after ${Math.round(caughtUpMs)} ms`);
  return { seeding, readyMs, caughtUpMs, catalogTotal: total };
}
