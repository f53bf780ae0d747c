/**
 * The SQLite saga index at a year of a shop's history: fills a fresh index file the way the
 * stream would (creation order, batches of a thousand), then times the queries the list and the
 * UI ask most, in a process of their own that only opens the file, as a restarted instance would.
 *
 *   npx tsx bench/index-scale.ts [rows]
 */
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CURRENT_MACHINE_VERSION, type SagaEvent } from '../machines/index.ts';
import { applyEvent, startSaga, type SagaEntry } from '../orchestrator/saga/entry.ts';
import { createLogger } from '../lib/logger.ts';
import { exportStream } from '../orchestrator/ops/export.ts';
import { incidentReport } from '../orchestrator/ops/incidents.ts';
import { encodeCursor, SagaCatalog } from '../orchestrator/saga/catalog.ts';
import { ServerClock } from '../orchestrator/saga/server-clock.ts';
import { SagaIndex, type IndexChange, type IndexFilter } from '../orchestrator/saga/saga-index.ts';
import { summarize, type SagaSummary } from '../orchestrator/saga/summary.ts';
import { newOrderId } from '../orchestrator/http/order-ids.ts';
import { percentile } from './report.ts';

const YEAR_MS = 365 * 24 * 3600 * 1000;
const CUSTOMERS = 50_000;
const BATCH = 1000;
const RUNS = 200;
const PAGE = 50;
/** Sagas still in flight at the end of the year: the newest ones. */
const IN_FLIGHT = 200;

const settings = { stepTimeoutMs: 10_000, stepMaxAttempts: 3, sagaMachineVersion: CURRENT_MACHINE_VERSION };

/** A saga moved by real events through the same pure core the runtime uses, summarized. */
function summaryAfter(replies: [type: string, step: string][]): SagaSummary {
  const orderId = 'ord_template';
  let entry: SagaEntry = startSaga(
    {
      order: { orderId, customerId: 'cust-0', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 1, unitPriceCents: 1999 }], totalCents: 1999 },
      traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01',
      requestHash: 'bench',
    },
    0,
    settings,
  );
  replies.forEach(([type, step], i) => {
    const attempt = entry.snapshot.context.pending?.attempt ?? 1;
    const event = { type, commandId: `${orderId}:${step}:${attempt}`, reference: 'ref', message: 'declined by the bank' } as SagaEvent;
    const result = applyEvent(entry, event, `bench:${i}`, (i + 1) * 1000, settings);
    if (result.kind !== 'applied') throw new Error(`${type} did not apply: ${result.kind}`);
    entry = result.entry;
  });
  return summarize(entry);
}

const TEMPLATES = {
  completed: summaryAfter([['INVENTORY_RESERVED', 'reserveInventory'], ['PAYMENT_CHARGED', 'chargePayment'], ['SHIPMENT_CREATED', 'createShipment']]),
  cancelled: summaryAfter([['INVENTORY_RESERVED', 'reserveInventory'], ['PAYMENT_DECLINED', 'chargePayment'], ['INVENTORY_RELEASED', 'releaseInventory']]),
  stuck: summaryAfter([['INVENTORY_RESERVED', 'reserveInventory'], ['PAYMENT_CHARGED', 'chargePayment'], ...Array.from({ length: 3 }, () => ['STEP_TIMED_OUT', 'createShipment'] as [string, string])]),
  running: summaryAfter([['INVENTORY_RESERVED', 'reserveInventory']]),
};

/** Why stuck sagas are stuck: a few causes, with ids and numbers that differ from saga to saga (incidents group them). */
const STUCK_CAUSES = [
  (n: number) => `no reply within the step deadline (attempt ${1 + (n % 3)})`,
  (n: number) => `gave up after ${3 + (n % 4)} deliveries: carrier gateway ${n % 97} timed out`,
  (n: number) => `carrier refused parcel shp_${n.toString(36).padStart(8, '0')}`,
  (n: number) => `label service 50${n % 4} for request ${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
];

/** A deterministic stream of numbers in [0, 1), so every run builds the same shop. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The n-th saga of the year: mostly completed, some cancelled, a few stuck, the newest still running. */
function sagaAt(n: number, rows: number, yearStart: number, next: () => number): SagaSummary {
  const createdAt = Math.floor(yearStart + ((n + next()) * YEAR_MS) / rows);
  const roll = next();
  const kind = n >= rows - IN_FLIGHT ? 'running' : roll < 0.97 ? 'completed' : roll < 0.99 ? 'cancelled' : roll < 0.995 ? 'stuck' : 'completed';
  const template = TEMPLATES[kind];
  const cause = STUCK_CAUSES[n % STUCK_CAUSES.length]!;
  return {
    ...template,
    ...(kind === 'stuck' ? { lastError: { ...template.lastError!, message: cause(n) } } : {}),
    orderId: newOrderId(createdAt),
    customerId: `cust-${Math.floor(next() * CUSTOMERS)}`,
    totalCents: 500 + Math.floor(next() * 50_000),
    createdAt,
    updatedAt: createdAt + template.updatedAt,
    stateEnteredAt: createdAt + template.stateEnteredAt,
  };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Fill a new index file; returns a sample of the sagas stored, for the queries to aim at. */
function fill(path: string, rows: number): SagaSummary[] {
  const index = new SagaIndex(path);
  const next = random(42);
  const yearStart = Date.now() - YEAR_MS;
  const sample: SagaSummary[] = [];
  const sampleEvery = Math.max(1, Math.floor(rows / RUNS));
  const batchMs: number[] = [];
  for (let first = 0; first < rows; first += BATCH) {
    const changes: IndexChange[] = [];
    for (let n = first; n < Math.min(rows, first + BATCH); n++) {
      const summary = sagaAt(n, rows, yearStart, next);
      if (n % sampleEvery === 0) sample.push(summary);
      changes.push({ kind: 'put', summary, revision: n + 1 });
    }
    const started = performance.now();
    index.applyBatch(changes, first + changes.length);
    batchMs.push(performance.now() - started);
    if (first % 100_000 === 0) process.stderr.write(`\rstored ${first.toLocaleString()} of ${rows.toLocaleString()}`);
  }
  process.stderr.write('\n');
  const counts = index.counts();
  const insertMs = batchMs.reduce((sum, ms) => sum + ms, 0);
  index.close();
  const bytes = statSync(path).size;
  console.log(`sagas:            ${rows.toLocaleString()} (${Object.entries(counts.byStatus).map(([status, n]) => `${status} ${n}`).join(', ')})`);
  console.log(`insert:           ${Math.round(rows / (insertMs / 1000)).toLocaleString()} sagas/s in batches of ${BATCH} (${(insertMs / 1000).toFixed(1)} s in applyBatch)`);
  console.log(`one batch:        p50 ${percentile(batchMs, 50)} ms, p99 ${percentile(batchMs, 99)} ms, max ${percentile(batchMs, 100)} ms (the event loop waits that long)`);
  console.log(`file:             ${mib(bytes)}, ${Math.round(bytes / rows)} bytes per saga`);
  console.log(`RSS after fill:   ${mib(process.memoryUsage().rss)} (the filling process, generator included)`);
  return sample;
}

/** Milliseconds per call of `query`, once per sample. */
function time(runs: number, query: (run: number) => unknown): number[] {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    query(run);
    times.push(performance.now() - started);
  }
  return times;
}

/** Open the filled file as a restarted instance would and time each query. */
function query(path: string, samplePath: string): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  const opening = performance.now();
  const index = new SagaIndex(path);
  const counts = index.counts();
  const openMs = performance.now() - opening;
  const sample = JSON.parse(readFileSync(samplePath, 'utf8')) as SagaSummary[];
  const at = (run: number) => sample[run % sample.length]!;
  /** Among the first tenth of the year. */
  const oldest = (run: number) => sample[run % Math.ceil(sample.length / 10)]!;
  const page = (filter: IndexFilter & { cursor?: string }) => {
    const result = index.list({ limit: PAGE, ...filter });
    if (result.items.length === 0 && !filter.cursor) throw new Error(`no saga for ${JSON.stringify(filter)}`);
    return result;
  };
  const cases: [string, (run: number) => unknown, string?][] = [
    ['first page', () => page({})],
    ['status=stuck', () => page({ status: 'stuck' })],
    ['customerId', (run) => page({ customerId: at(run).customerId })],
    // An id's first characters after "ord_" are its creation time: the longer the prefix, the shorter the time it names.
    ['q=id prefix, 6 chars', (run) => page({ q: at(run).orderId.slice(0, 6) }), '"ord_" and 2 more: every saga matches'],
    ['q=id prefix, 7 chars', (run) => page({ q: oldest(run).orderId.slice(0, 7) }), 'about 3 months of sagas, the oldest: the slowest search'],
    ['q=id prefix, 8 chars', (run) => page({ q: oldest(run).orderId.slice(0, 8) }), 'about 3 days of sagas, months back'],
    ['q=id prefix, 10 chars', (run) => page({ q: at(run).orderId.slice(0, 10) }), '"ord_" and 6 more: a few minutes of sagas'],
    ['q=customer id', (run) => index.list({ limit: PAGE, q: at(run).customerId })],
    ['page deep (cursor)', (run) => index.list({ limit: PAGE, cursor: encodeCursor(at(run)) })],
    ['counts()', () => index.counts()],
  ];
  console.log(`open + counts:    ${openMs.toFixed(1)} ms (${counts.total.toLocaleString()} sagas)`);
  console.log(`${'query'.padEnd(22)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}`);
  for (const [name, run, note] of cases) {
    run(0); // prepares the statement, as the first request after start-up would
    const times = time(RUNS, run);
    console.log(`${name.padEnd(22)} ${String(percentile(times, 50)).padStart(8)} ${String(percentile(times, 95)).padStart(8)}${note ? `   ${note}` : ''}`);
  }
  // Incidents: the groups (a pass over the partial index of stuck sagas), and one group's page.
  const catalog = new SagaCatalog(createLogger('bench', { logLevel: 'silent', logPretty: false, instanceId: 'bench' }), new ServerClock(), index);
  const report = incidentReport(catalog, { limit: 50, sample: 5 });
  const incidentTimes = time(50, () => incidentReport(catalog, { limit: 50, sample: 5 }));
  const groupPage = time(RUNS, (run) => index.list({ limit: PAGE, incident: report.groups[run % report.groups.length]!.key }));
  console.log(`incidents (50 groups, 5 each): p50 ${percentile(incidentTimes, 50)} ms, p95 ${percentile(incidentTimes, 95)} ms for ${report.sagas.toLocaleString()} sagas in ${report.groupCount} groups`);
  console.log(`page of one incident:          p50 ${percentile(groupPage, 50)} ms, p95 ${percentile(groupPage, 95)} ms`);
  const unfinished = time(5, () => index.unfinished());
  const matching = time(5, () => index.matchingIds({ status: 'stuck' }));
  const expired = time(5, () => index.removeFinishedBefore(Date.now() - YEAR_MS / 2, 1000));
  console.log(`unfinished():     ${percentile(unfinished, 50)} ms for ${index.unfinished().length.toLocaleString()} sagas`);
  console.log(`matchingIds(stuck): ${percentile(matching, 50)} ms for ${index.matchingIds({ status: 'stuck' }).length.toLocaleString()} ids`);
  console.log(`removeFinishedBefore(half a year ago, 1000): ${percentile(expired, 50)} ms`);
  console.log(`RSS querying:     ${mib(process.memoryUsage().rss)} (${mib(rssBefore)} before opening the index)`);
  return exportCases(catalog).finally(() => index.close());
}

/** The export streamed into a sink that counts: a filter's matches, then every saga, with the memory it takes meanwhile. */
async function exportCases(catalog: SagaCatalog): Promise<void> {
  const counts = catalog.counts();
  for (const [name, filter, rows] of [['export status=stuck', { status: 'stuck' as const }, counts.byStatus.stuck], ['export everything', {}, counts.total]] as const) {
    let bytes = 0;
    // The JavaScript heap and buffers: what the export holds. (RSS also counts the index file's pages mapped as they are read.)
    const held = () => {
      const memory = process.memoryUsage();
      return memory.heapUsed + memory.arrayBuffers;
    };
    let peakHeld = held();
    const heldBefore = peakHeld;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        peakHeld = Math.max(peakHeld, held());
        // A reader slower than the index: the export waits for it.
        setImmediate(done);
      },
    });
    const started = performance.now();
    let firstByteMs = 0;
    const stream = exportStream(catalog, filter, 'csv');
    stream.once('data', () => (firstByteMs = performance.now() - started));
    await pipeline(stream, sink);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${name.padEnd(22)} ${rows.toLocaleString()} sagas, ${mib(bytes)} of CSV in ${seconds.toFixed(2)} s (${Math.round(rows / seconds).toLocaleString()} sagas/s), ` +
        `first byte after ${firstByteMs.toFixed(1)} ms, heap and buffers at most ${mib(peakHeld)} (${mib(heldBefore)} before)`,
    );
  }
}

async function main(): Promise<void> {
  const [, script, first, second, third] = process.argv;
  if (first === '--query') return query(second!, third!);
  const rows = Number(first ?? 1_000_000);
  if (!Number.isSafeInteger(rows) || rows < RUNS) throw new Error(`rows must be a whole number of at least ${RUNS}`);
  const dir = mkdtempSync(join(tmpdir(), 'index-scale-'));
  try {
    const path = join(dir, 'sagas.db');
    const samplePath = join(dir, 'sample.json');
    writeFileSync(samplePath, JSON.stringify(fill(path, rows)));
    // A process of its own: its memory is the index's, not the generator's.
    const child = spawnSync(process.execPath, ['--import', 'tsx', script ?? fileURLToPath(import.meta.url), '--query', path, samplePath], { stdio: 'inherit' });
    if (child.status !== 0) throw new Error(`the query process ended with ${child.status ?? child.signal}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
