/**
 * A live index of every saga, built from a watch on the saga bucket: what the list endpoint
 * filters and pages through, and what the deadline scheduler arms timers from. Every
 * orchestrator instance keeps its own, so each sees all sagas, whoever wrote them.
 */
import type { KV } from '@nats-io/kv';
import type { Logger } from '../../lib/logger.ts';
import type { OrderSummary, Overview, SagaFilter } from '../../api/contract.ts';
import type { SagaStatus } from '../../machines/index.ts';
import { decodeStoredSummary } from './stored-entry.ts';
import { hash, isPackable, PackedSummaries } from './packed-summaries.ts';
import { ServerClock } from './server-clock.ts';
import type { SagaSummary } from './summary.ts';

export type { SagaFilter, SagaSummary };

export interface ListQuery {
  status?: SagaStatus;
  state?: string;
  customerId?: string;
  /** An order-id prefix or an exact customer id. */
  q?: string;
  retrying?: boolean;
  /**
   * Running sagas with no transition since this time of this process's wall clock: stuck by
   * the clock, not by state. Compared with when this instance saw the last write (never with the
   * writer's `updatedAt`, another machine's clock).
   */
  stalledBefore?: number;
  limit: number;
  cursor?: string;
}

export interface ListPage {
  items: SagaSummary[];
  nextCursor: string | null;
}

/** `writtenAt`: when the saga's current revision was stored, on this process's monotonic clock (server-clock.ts). */
type Listener = (summary: SagaSummary, writtenAt: number) => void;
/** An entry as the watch brought it: still encoded, since most listeners never need it decoded. */
type StoredListener = (orderId: string, revision: number, value: Uint8Array, summary: SagaSummary) => void;

/** A summary as the API shows it: times as ISO strings. */
export function summaryView(summary: SagaSummary): OrderSummary {
  return {
    ...summary,
    createdAt: new Date(summary.createdAt).toISOString(),
    updatedAt: new Date(summary.updatedAt).toISOString(),
    stateEnteredAt: new Date(summary.stateEnteredAt).toISOString(),
    deadline: summary.deadline ? new Date(summary.deadline.at).toISOString() : null,
  };
}

export function encodeCursor(summary: Pick<SagaSummary, 'createdAt' | 'orderId'>): string {
  return Buffer.from(`${summary.createdAt}:${summary.orderId}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: number; orderId: string } | null {
  const text = Buffer.from(cursor, 'base64url').toString();
  const colon = text.indexOf(':');
  const createdAt = Number(text.slice(0, colon));
  if (colon < 1 || !Number.isSafeInteger(createdAt)) return null;
  return { createdAt, orderId: text.slice(colon + 1) };
}

export class SagaCatalog {
  private readonly rows = new PackedSummaries();
  /** Summaries their rows cannot rebuild: sagas in flight, stuck, or retrying (see `isPackable`). */
  private readonly unpacked = new Map<string, SagaSummary>();
  /** For the same sagas: when their current revision was stored, on the local monotonic clock. */
  private readonly writtenAt = new Map<string, number>();
  /** Rows oldest first by (createdAt, orderId); the list walks it from the end. */
  private ordered = new Int32Array(1024);
  private orderedLength = 0;
  private readonly listeners: Listener[] = [];
  private readonly removeListeners: ((orderId: string) => void)[] = [];
  private readonly storedListeners: StoredListener[] = [];
  private readonly byStatus: Record<SagaStatus, number> = { running: 0, completed: 0, cancelled: 0, failed: 0, stuck: 0 };
  private readonly byState: Record<string, number> = {};
  private retryingNow = 0;
  private stopWatch: (() => void) | undefined;
  readonly ready: Promise<void>;
  private markReady!: () => void;

  /** `clock`: where write times come from; calibrate it before `start` (see server-clock.ts). */
  constructor(
    private readonly logger: Logger,
    readonly clock: ServerClock = new ServerClock(),
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  /** Call `listener` on every change; returns the function that stops it. */
  onChange(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  /** Call `listener` with the id of every saga whose entry was deleted or purged. */
  onRemove(listener: (orderId: string) => void): void {
    this.removeListeners.push(listener);
  }

  /** Call `listener` with every entry the watch brings that this instance did not write (or wrote before it started). */
  onStoredEntry(listener: StoredListener): void {
    this.storedListeners.push(listener);
  }

  get size(): number {
    return this.orderedLength;
  }

  /** Sagas running now (not stuck, not finished), whoever runs them. */
  get running(): number {
    return this.byStatus.running;
  }

  get(orderId: string): SagaSummary | undefined {
    const row = this.rows.rowOf(orderId);
    return row === undefined ? undefined : this.summaryAt(row);
  }

  /** Sagas not finished (running, stuck) and finished ones still retrying or holding a deadline: the few a restart must look at. */
  unfinished(): Iterable<SagaSummary> {
    return this.unpacked.values();
  }

  /** When an unfinished saga's current revision was stored, on the local monotonic clock. */
  writtenAtOf(orderId: string): number | undefined {
    return this.writtenAt.get(orderId);
  }

  async start(sagas: KV): Promise<void> {
    const status = await sagas.status();
    if (status.values === 0) this.markReady();
    const watch = await sagas.watch({ key: '>' });
    this.stopWatch = () => watch.stop();
    void (async () => {
      for await (const change of watch) {
        try {
          // Every delivery, this instance's own writes included, is a sample of the server's clock.
          const writtenAt = this.clock.storedAt(change.created.getTime());
          if (change.operation !== 'PUT') this.remove(change.key);
          else if (!this.knows(change.key, change.revision)) {
            // Only the summary line is parsed: another instance's write is indexed without its history.
            const summary = decodeStoredSummary(change.value);
            this.observe(summary, change.revision, writtenAt);
            for (const listener of this.storedListeners) listener(change.key, change.revision, change.value, summary);
          }
        } catch (error) {
          this.logger.error({ err: error, key: change.key }, 'unreadable saga entry in the catalog');
        }
        // The watch replays every current entry first; the last of them has nothing pending behind it.
        if (change.delta === 0) this.markReady();
      }
    })();
  }

  stop(): void {
    this.stopWatch?.();
  }

  /**
   * Take in a saga's summary as stored at `revision`, straight from the runtime that wrote it
   * (stored just now), or from the watch (`writtenAt` from the server's timestamp): the watch
   * then skips the write when it brings it back.
   */
  observe(summary: SagaSummary, revision: number, writtenAt: number = this.clock.now()): void {
    let row = this.rows.rowOf(summary.orderId);
    if (row === undefined) {
      row = this.rows.add(summary, revision);
      this.insert(row);
    } else {
      // Entries can arrive out of order (the runtime's own write, the watch, reconnects): the
      // revision alone orders them. Never `updatedAt`: it is the writer's wall clock, and two
      // instances' clocks need not agree.
      if (this.rows.revision(row) >= revision) return;
      this.count(row, -1);
      this.rows.update(row, summary, revision);
    }
    if (isPackable(summary)) {
      this.unpacked.delete(summary.orderId);
      this.writtenAt.delete(summary.orderId);
    } else {
      this.unpacked.set(summary.orderId, summary);
      this.writtenAt.set(summary.orderId, writtenAt);
    }
    this.count(row, 1);
    for (const listener of this.listeners) listener(summary, writtenAt);
  }

  private knows(orderId: string, revision: number): boolean {
    const row = this.rows.rowOf(orderId);
    return row !== undefined && this.rows.revision(row) >= revision;
  }

  private summaryAt(row: number): SagaSummary {
    return this.rows.packed(row) ? this.rows.summary(row) : this.unpacked.get(this.rows.orderId(row))!;
  }

  /** Oldest first by (createdAt, orderId). */
  private before(row: number, key: { createdAt: number; orderId: string }): boolean {
    const createdAt = this.rows.createdAt(row);
    return createdAt < key.createdAt || (createdAt === key.createdAt && this.rows.orderId(row) < key.orderId);
  }

  /** Where `key` goes in the order: the first position whose row is not before it. */
  private position(key: { createdAt: number; orderId: string }): number {
    let low = 0;
    let high = this.orderedLength;
    // Most sagas are new: check the end first.
    if (high > 0 && this.before(this.ordered[high - 1]!, key)) return high;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.before(this.ordered[mid]!, key)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private insert(row: number): void {
    const at = this.position({ createdAt: this.rows.createdAt(row), orderId: this.rows.orderId(row) });
    if (this.orderedLength === this.ordered.length) {
      const grown = new Int32Array(this.ordered.length * 2);
      grown.set(this.ordered);
      this.ordered = grown;
    }
    this.ordered.copyWithin(at + 1, at, this.orderedLength);
    this.ordered[at] = row;
    this.orderedLength++;
  }

  /** Forget a saga whose entry was deleted or purged. */
  remove(orderId: string): void {
    const row = this.rows.rowOf(orderId);
    if (row === undefined) return;
    this.count(row, -1);
    const at = this.position({ createdAt: this.rows.createdAt(row), orderId });
    if (this.ordered[at] === row) {
      this.ordered.copyWithin(at, at + 1, this.orderedLength);
      this.orderedLength--;
    }
    this.rows.remove(row);
    this.unpacked.delete(orderId);
    this.writtenAt.delete(orderId);
    for (const listener of this.removeListeners) listener(orderId);
  }

  /** The test a row must pass, with what it compares prepared once for the whole scan. */
  private matcher(query: Omit<ListQuery, 'limit' | 'cursor'>): (row: number) => boolean {
    const rows = this.rows;
    const customer = query.customerId ? { id: query.customerId, hash: hash(query.customerId) } : undefined;
    const q = query.q ? { prefix: Buffer.from(query.q), hash: hash(query.q) } : undefined;
    // The caller's wall-clock time, on the monotonic clock the write times are kept on.
    const stalledBefore = query.stalledBefore === undefined ? undefined : query.stalledBefore - Date.now() + this.clock.now();
    return (row) => {
      if (query.status && rows.status(row) !== query.status) return false;
      if (query.state && rows.state(row) !== query.state) return false;
      if (query.retrying !== undefined && rows.retrying(row) !== query.retrying) return false;
      if (stalledBefore !== undefined && (rows.status(row) !== 'running' || !(this.writtenAt.get(rows.orderId(row))! < stalledBefore))) return false;
      if (customer && !rows.customerIs(row, customer.id, customer.hash)) return false;
      if (q && !rows.orderIdStartsWith(row, q.prefix) && !rows.customerIs(row, query.q!, q.hash)) return false;
      return true;
    };
  }

  /** Every matching saga id, newest first: what a bulk action covers. */
  matchingIds(query: Omit<ListQuery, 'limit' | 'cursor'>): string[] {
    const matches = this.matcher(query);
    const ids: string[] = [];
    for (let index = this.orderedLength - 1; index >= 0; index--) {
      const row = this.ordered[index]!;
      if (matches(row)) ids.push(this.rows.orderId(row));
    }
    return ids;
  }

  /** Newest first, filtered, from just after the cursor. */
  list(query: ListQuery): ListPage {
    const matches = this.matcher(query);
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    let index = after ? this.position(after) - 1 : this.orderedLength - 1;
    const items: SagaSummary[] = [];
    for (; index >= 0 && items.length < query.limit; index--) {
      const row = this.ordered[index]!;
      if (matches(row)) items.push(this.summaryAt(row));
    }
    const more = index >= 0 && items.length === query.limit;
    return { items, nextCursor: more ? encodeCursor(items.at(-1)!) : null };
  }

  private count(row: number, delta: 1 | -1): void {
    const status = this.rows.status(row);
    const state = this.rows.state(row);
    this.byStatus[status] += delta;
    this.byState[state] = (this.byState[state] ?? 0) + delta;
    if (this.byState[state] === 0) delete this.byState[state];
    if (this.rows.retrying(row)) this.retryingNow += delta;
  }

  /** Sagas per status and per state, and how many are retrying now (kept up to date on every change). */
  counts(): Overview {
    return { total: this.orderedLength, byStatus: { ...this.byStatus }, byState: { ...this.byState }, retrying: this.retryingNow };
  }
}
