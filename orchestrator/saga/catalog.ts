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
import type { SagaSummary } from './summary.ts';

export type { SagaFilter, SagaSummary };

export interface ListQuery {
  status?: SagaStatus;
  state?: string;
  customerId?: string;
  /** An order-id prefix or an exact customer id. */
  q?: string;
  retrying?: boolean;
  /** Running sagas with no transition since this time: stuck by the clock, not by state. */
  stalledBefore?: number;
  limit: number;
  cursor?: string;
}

export interface ListPage {
  items: SagaSummary[];
  nextCursor: string | null;
}

type Listener = (summary: SagaSummary) => void;
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

function matches(summary: SagaSummary, query: ListQuery): boolean {
  if (query.status && summary.status !== query.status) return false;
  if (query.state && summary.state !== query.state) return false;
  if (query.customerId && summary.customerId !== query.customerId) return false;
  if (query.retrying !== undefined && summary.retrying !== query.retrying) return false;
  if (query.stalledBefore !== undefined && (summary.status !== 'running' || summary.updatedAt >= query.stalledBefore)) return false;
  if (query.q && !summary.orderId.startsWith(query.q) && summary.customerId !== query.q) return false;
  return true;
}

/** Oldest first by (createdAt, orderId); the list walks it from the end. */
function compare(a: { createdAt: number; orderId: string }, b: { createdAt: number; orderId: string }): number {
  return a.createdAt - b.createdAt || (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0);
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
  private readonly byId = new Map<string, SagaSummary>();
  /** The KV revision each summary was made from: the watch skips what this instance already took in. */
  private readonly revisions = new Map<string, number>();
  private readonly ordered: SagaSummary[] = [];
  private readonly listeners: Listener[] = [];
  private readonly storedListeners: StoredListener[] = [];
  private readonly byStatus: Record<SagaStatus, number> = { running: 0, completed: 0, cancelled: 0, failed: 0, stuck: 0 };
  private readonly byState: Record<string, number> = {};
  private retryingNow = 0;
  private stopWatch: (() => void) | undefined;
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(private readonly logger: Logger) {
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

  /** Call `listener` with every entry the watch brings that this instance did not write (or wrote before it started). */
  onStoredEntry(listener: StoredListener): void {
    this.storedListeners.push(listener);
  }

  get size(): number {
    return this.byId.size;
  }

  get(orderId: string): SagaSummary | undefined {
    return this.byId.get(orderId);
  }

  all(): Iterable<SagaSummary> {
    return this.byId.values();
  }

  async start(sagas: KV): Promise<void> {
    const status = await sagas.status();
    if (status.values === 0) this.markReady();
    const watch = await sagas.watch({ key: '>' });
    this.stopWatch = () => watch.stop();
    void (async () => {
      for await (const change of watch) {
        try {
          if (change.operation !== 'PUT') this.remove(change.key);
          else if (!this.knows(change.key, change.revision)) {
            // Only the summary line is parsed: another instance's write is indexed without its history.
            const summary = decodeStoredSummary(change.value);
            this.observe(summary, change.revision);
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
   * Take in a saga's summary as stored at `revision`, straight from the runtime that wrote it:
   * the watch then skips the write when it brings it back.
   */
  observe(summary: SagaSummary, revision: number): void {
    if (this.knows(summary.orderId, revision)) return;
    this.revisions.set(summary.orderId, revision);
    this.upsert(summary);
  }

  private knows(orderId: string, revision: number): boolean {
    return (this.revisions.get(orderId) ?? 0) >= revision;
  }

  private position(key: { createdAt: number; orderId: string }): number {
    let low = 0;
    let high = this.ordered.length;
    // Most sagas are new: check the end first.
    if (high > 0 && compare(this.ordered[high - 1]!, key) < 0) return high;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compare(this.ordered[mid]!, key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private upsert(summary: SagaSummary): void {
    const previous = this.byId.get(summary.orderId);
    // Entries can arrive out of order across reconnects; never go back in time.
    if (previous && previous.updatedAt > summary.updatedAt) return;
    if (previous) this.count(previous, -1);
    this.count(summary, 1);
    this.byId.set(summary.orderId, summary);
    const index = this.position(summary);
    if (previous && this.ordered[index]?.orderId === summary.orderId) this.ordered[index] = summary;
    else this.ordered.splice(index, 0, summary);
    for (const listener of this.listeners) listener(summary);
  }

  private remove(orderId: string): void {
    const previous = this.byId.get(orderId);
    if (!previous) return;
    this.count(previous, -1);
    this.byId.delete(orderId);
    this.revisions.delete(orderId);
    const index = this.position(previous);
    if (this.ordered[index]?.orderId === orderId) this.ordered.splice(index, 1);
  }

  /** Every matching saga id, newest first: what a bulk action covers. */
  matchingIds(query: Omit<ListQuery, 'limit' | 'cursor'>): string[] {
    const ids: string[] = [];
    for (let index = this.ordered.length - 1; index >= 0; index--) {
      const summary = this.ordered[index]!;
      if (matches(summary, { ...query, limit: 0 })) ids.push(summary.orderId);
    }
    return ids;
  }

  /** Newest first, filtered, from just after the cursor. */
  list(query: ListQuery): ListPage {
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    let index = after ? this.position(after) - 1 : this.ordered.length - 1;
    const items: SagaSummary[] = [];
    for (; index >= 0 && items.length < query.limit; index--) {
      const summary = this.ordered[index]!;
      if (matches(summary, query)) items.push(summary);
    }
    const more = index >= 0 && items.length === query.limit;
    return { items, nextCursor: more ? encodeCursor(items.at(-1)!) : null };
  }

  private count(summary: SagaSummary, delta: 1 | -1): void {
    this.byStatus[summary.status] += delta;
    this.byState[summary.state] = (this.byState[summary.state] ?? 0) + delta;
    if (this.byState[summary.state] === 0) delete this.byState[summary.state];
    if (summary.retrying) this.retryingNow += delta;
  }

  /** Sagas per status and per state, and how many are retrying now (kept up to date on every change). */
  counts(): Overview {
    return { total: this.byId.size, byStatus: { ...this.byStatus }, byState: { ...this.byState }, retrying: this.retryingNow };
  }
}
