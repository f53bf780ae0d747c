/**
 * The one load generator of the benchmark. Orders go in over HTTP (`POST /api/orders`, as a
 * client would send them) and come out as saga entries reaching a final status, seen by a watch
 * of the saga bucket from this process (or, for the front-door cases, on the API's own stream:
 * api-completions.ts): that gives each order its own completion time, which open-loop latency
 * needs.
 *
 * Two shapes of load:
 * - closed loop: C submitters, each sends its next order once the last one was accepted (202),
 *   with at most `maxInFlight` orders unfinished, so the backlog stays bounded;
 * - open loop: a fixed offered rate; order i is due at t0 + i/R and is sent then whatever is
 *   outstanding, and its latency counts from when it was due, not from when it went out, so a
 *   slow system cannot hide its queueing (no coordinated omission).
 */
import { Agent, request } from 'node:http';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BUCKETS } from '../lib/topology.ts';
import { isFinished } from '../machines/index.ts';
import type { Progress } from './report.ts';
import { Window } from './window.ts';

export interface OrderRequest {
  customerId: string;
  items: { sku: string; quantity: number; unitPriceCents: number }[];
}

/** Which order to send as the n-th one. */
export type OrderMix = (n: number) => OrderRequest;

/** Distinct customers, plain SKUs: every saga takes the happy path and ends `completed`. */
export const happyOrders: OrderMix = (n) => ({ customerId: `bench-${n}`, items: [{ sku: `SKU-${n % 50}`, quantity: 1, unitPriceCents: 100 }] });

/** Every `every`-th order is declined at payment: inventory is released, the saga ends `cancelled`. */
export const withDeclines =
  (every: number): OrderMix =>
  (n) =>
    n % every === every - 1 ? { ...happyOrders(n), customerId: 'cust-declined' } : happyOrders(n);

const STATUS_FIELD = Buffer.from('"status":"');

/**
 * The saga's final status from its KV entry, or undefined while it runs (or is stuck). The one
 * place that knows how entries are encoded: adapt it when the encoding changes. It reads the
 * `status` of the summary line that starts every stored entry (orchestrator/saga/stored-entry.ts)
 * without parsing the whole entry, so watching costs the bench little CPU of its own.
 */
export function finalStatusOf(value: Uint8Array): string | undefined {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const at = bytes.indexOf(STATUS_FIELD);
  if (at < 0) return undefined;
  const start = at + STATUS_FIELD.length;
  const status = bytes.toString('latin1', start, bytes.indexOf(0x22, start));
  return isFinished(status) ? status : undefined;
}

export interface Final {
  status: string;
  /** performance.now() when this process saw the final entry. */
  at: number;
}

/**
 * How the load generator learns that an order reached its final status: it remembers when each
 * order was first seen final and wakes whoever waits for it. Subclasses say where they look.
 */
export abstract class Completions {
  private readonly finals = new Map<string, Final>();
  private readonly waiters = new Map<string, (final: Final) => void>();

  protected seen(orderId: string): boolean {
    return this.finals.has(orderId);
  }

  protected settle(orderId: string, final: Final): void {
    this.finals.set(orderId, final);
    this.waiters.get(orderId)?.(final);
    this.waiters.delete(orderId);
  }

  /** Orders waited for and not seen final yet. */
  protected awaited(): string[] {
    return [...this.waiters.keys()];
  }

  /** The order's final status and when it was seen; it may have been seen before we asked. */
  whenFinal(orderId: string): Promise<Final> {
    const known = this.finals.get(orderId);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => this.waiters.set(orderId, resolve));
  }

  abstract stop(): Promise<void>;
}

/** Watches the saga bucket: each order's completion as soon as its entry is stored. */
export class CompletionWatch extends Completions {
  private constructor(private readonly nc: NatsConnection) {
    super();
  }

  static async start(natsUrl: string): Promise<CompletionWatch> {
    const nc = await connect({ servers: natsUrl.split(',').map((u) => u.trim()), name: 'bench-watch', maxReconnectAttempts: -1 });
    const watch = new CompletionWatch(nc);
    const bucket: KV = await new Kvm(nc).open(BUCKETS.sagas);
    const changes = await bucket.watch({ ignoreDeletes: true });
    void (async () => {
      for await (const change of changes) {
        if (change.operation !== 'PUT' || watch.seen(change.key)) continue;
        const status = finalStatusOf(change.value);
        if (status) watch.settle(change.key, { status, at: performance.now() });
      }
    })();
    return watch;
  }

  async stop(): Promise<void> {
    await this.nc.close();
  }
}

/** POSTs orders over kept-alive connections (cheaper per request than fetch), round-robin over the orchestrators. */
export class OrderSubmitter {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly targets: URL[];
  private turn = 0;

  constructor(baseUrls: string[]) {
    this.targets = baseUrls.map((base) => new URL('/api/orders', base));
  }

  /** Resolves with the order id once the order is accepted (202); anything else fails. */
  submit(order: OrderRequest, idempotencyKey?: string): Promise<string> {
    const target = this.targets[this.turn++ % this.targets.length]!;
    const body = JSON.stringify(order);
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) };
    return new Promise((resolve, reject) => {
      const req = request(
        { agent: this.agent, hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            if (res.statusCode !== 202) return reject(new Error(`POST /api/orders answered ${res.statusCode}: ${text.slice(0, 300)}`));
            resolve((JSON.parse(text) as { orderId: string }).orderId);
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Where load goes (the submitter) and how its completion is seen (the watch). */
export interface LoadTarget {
  submitter: OrderSubmitter;
  watch: Completions;
}

export interface LoadResult {
  orders: number;
  byStatus: Record<string, number>;
  /** Completed sagas a second, from the first order sent (or due) to the last one finished. */
  sagasPerSec: number;
  seconds: number;
  /** Time to the 202 of each order. */
  submitMs: number[];
  /** From when each order was sent (closed loop) or due (open loop) to when it was seen final. */
  latencyMs: number[];
}

export interface LoadOptions {
  label: string;
  orders: number;
  mix?: OrderMix;
  /** Index of the first order, so runs on one system send distinct customers. */
  firstIndex?: number;
  /** The n-th order's Idempotency-Key, to send one as a careful client does; none when absent. */
  idempotencyKey?: (n: number) => string;
  progress: Progress;
}

/** Gives up when nothing finishes for this long: a stalled system should fail the case, not hang it. */
const STALL_MS = 120_000;
const PROGRESS_EVERY_MS = 2000;

/** Counts one run's orders, reports progress every 2 s, and fails it when completions stall. */
class RunTracker {
  submitted = 0;
  completed = 0;
  readonly byStatus: Record<string, number> = {};
  readonly submitMs: number[] = [];
  readonly latencyMs: number[] = [];
  lastCompletionAt = 0;
  private readonly pending: Promise<void>[] = [];
  private readonly ticker: NodeJS.Timeout;
  private failure: { error: unknown } | undefined;
  private onFailure: ((error: unknown) => void) | undefined;
  private readonly failed = new Promise<never>((_, reject) => (this.onFailure = reject));

  constructor(private readonly options: LoadOptions) {
    void this.failed.catch(() => undefined);
    let lastCount = 0;
    let lastChange = performance.now();
    this.ticker = setInterval(() => {
      const now = performance.now();
      const rate = ((this.completed - lastCount) * 1000) / PROGRESS_EVERY_MS;
      if (this.completed !== lastCount) lastChange = now;
      lastCount = this.completed;
      options.progress(`${options.label}: submitted ${this.submitted}/${options.orders}, completed ${this.completed} (${Math.round(rate)}/s)`);
      if (now - lastChange > STALL_MS) this.fail(new Error(`${options.label}: no saga finished for ${STALL_MS / 1000} s (${this.completed} of ${this.submitted} done)`));
    }, PROGRESS_EVERY_MS);
  }

  fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.onFailure?.(error);
  }

  get hasFailed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Follow one order whose clock starts at `startedAt` (sent or due): submit it, then wait for
   * its final status. `accepted` settles with the 202 (or the failure), `finished` once final.
   */
  follow(order: OrderRequest, startedAt: number, target: LoadTarget, idempotencyKey?: string): { accepted: Promise<void>; finished: Promise<void> } {
    const sentAt = performance.now();
    this.submitted++;
    const orderId = target.submitter.submit(order, idempotencyKey).then((id) => {
      this.submitMs.push(performance.now() - sentAt);
      return id;
    });
    const finished = orderId
      .then((id) => target.watch.whenFinal(id))
      .then((final) => {
        this.completed++;
        this.byStatus[final.status] = (this.byStatus[final.status] ?? 0) + 1;
        this.latencyMs.push(final.at - startedAt);
        this.lastCompletionAt = Math.max(this.lastCompletionAt, final.at);
      })
      .catch((error: unknown) => this.fail(error));
    this.pending.push(finished);
    return { accepted: orderId.then(() => undefined, () => undefined), finished };
  }

  /** Resolves once every followed order is final, or rejects with the run's first failure. */
  async finish(firstAt: number): Promise<LoadResult> {
    try {
      await Promise.race([Promise.all(this.pending), this.failed]);
      if (this.failure) throw this.failure.error;
    } finally {
      clearInterval(this.ticker);
    }
    const seconds = (this.lastCompletionAt - firstAt) / 1000;
    this.options.progress(`${this.options.label}: ${this.completed} sagas finished in ${seconds.toFixed(1)} s`);
    return {
      orders: this.completed,
      byStatus: this.byStatus,
      sagasPerSec: Math.round(this.completed / seconds),
      seconds,
      submitMs: this.submitMs,
      latencyMs: this.latencyMs,
    };
  }
}

export async function closedLoop(target: LoadTarget, options: LoadOptions & { submitters?: number; maxInFlight?: number }): Promise<LoadResult> {
  const { orders, mix = happyOrders, firstIndex = 0, idempotencyKey, submitters = 32, maxInFlight = 2000 } = options;
  const tracker = new RunTracker(options);
  const unfinished = new Window(maxInFlight);
  let next = 0;
  const startedAt = performance.now();
  const submitter = async () => {
    while (next < orders && !tracker.hasFailed) {
      await unfinished.acquire();
      if (next >= orders) return unfinished.release();
      const n = next++;
      const { accepted, finished } = tracker.follow(mix(firstIndex + n), performance.now(), target, idempotencyKey?.(firstIndex + n));
      void finished.finally(() => unfinished.release());
      // Closed on acceptance: this submitter sends its next order once this one has its 202.
      await accepted;
    }
  };
  await Promise.all(Array.from({ length: submitters }, submitter));
  return tracker.finish(startedAt);
}

/** How often the open loop wakes to send what has come due; late sends still count from their due time. */
const TICK_MS = 2;

export async function openLoop(target: LoadTarget, options: LoadOptions & { ratePerSec: number }): Promise<LoadResult> {
  const { orders, ratePerSec, mix = happyOrders, firstIndex = 0 } = options;
  const tracker = new RunTracker(options);
  const t0 = performance.now();
  const dueAt = (n: number) => t0 + (n * 1000) / ratePerSec;
  let n = 0;
  while (n < orders && !tracker.hasFailed) {
    // Send everything that is due, however many orders are still outstanding.
    while (n < orders && dueAt(n) <= performance.now()) {
      tracker.follow(mix(firstIndex + n), dueAt(n), target);
      n++;
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  return tracker.finish(t0);
}
