/**
 * A live index of every saga, fed by the saga bucket's owner (saga-bucket.ts) with this
 * instance's writes and the watch's deliveries: what the list endpoint filters and pages
 * through, and what the deadline scheduler arms timers from. Every orchestrator instance keeps
 * its own, so each sees all sagas, whoever wrote them.
 *
 * Two parts, so that nothing at start-up or in memory grows with finished sagas:
 * - every saga's summary lives in a SQLite index on local disk (saga-index.ts), which records
 *   the stream sequence it has applied; a restart resumes the watch from there;
 * - the sagas not finished (and those with a step still pending) live in memory too, with when
 *   their current revision was stored: what deadlines, admission and the `stalled` view need.
 * `ready` resolves once the watch has caught up with the bucket as it was at start; until then
 * lists answer from what is indexed so far, and `catchingUp` says so.
 */
import type { Logger } from '../../lib/logger.ts';
import type { OrderSummary, Overview, SagaFilter } from '../../api/contract.ts';
import type { SagaStatus } from '../../machines/index.ts';
import { incidentOf } from './incident.ts';
import type { SagaBucket } from './saga-bucket.ts';
import { SagaIndex, type IncidentRows, type IndexChange } from './saga-index.ts';
import { ServerClock } from './server-clock.ts';
import { isSettled, type SagaSummary } from './summary.ts';

export type { SagaFilter, SagaSummary };

export interface ListQuery {
  status?: SagaStatus;
  state?: string;
  customerId?: string;
  /** An order-id prefix or an exact customer id. */
  q?: string;
  retrying?: boolean;
  /** Held by an operator (true), or not (false). */
  paused?: boolean;
  /** The sagas of one incident group (incident.ts): its key. */
  incident?: string;
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

/** A summary as the API shows it: times as ISO strings. */
export function summaryView(summary: SagaSummary): OrderSummary {
  const { orderId, customerId, state, status, totalCents, currency, machineVersion, pending, retrying, lastError, paused } = summary;
  return {
    orderId,
    customerId,
    state,
    status,
    totalCents,
    currency,
    machineVersion,
    pending,
    retrying,
    lastError,
    createdAt: new Date(summary.createdAt).toISOString(),
    updatedAt: new Date(summary.updatedAt).toISOString(),
    stateEnteredAt: new Date(summary.stateEnteredAt).toISOString(),
    deadline: summary.deadline ? new Date(summary.deadline.at).toISOString() : null,
    paused: paused ? { ...paused, at: new Date(paused.at).toISOString() } : null,
  };
}

/** Running and not held: a paused saga takes no capacity and is not stalled, it waits on purpose. */
const isRunningNow = (summary: SagaSummary) => summary.status === 'running' && !summary.paused;

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

/** Index writes wait at most this long, or this many, to go in one transaction. */
const FLUSH_MS = 20;
const FLUSH_AT = 2_000;

export class SagaCatalog {
  /** Sagas not finished, or with a step pending: see `isSettled`. */
  private readonly open = new Map<string, { summary: SagaSummary; revision: number; writtenAt: number }>();
  private runningNow = 0;
  private pending: IndexChange[] = [];
  /** The last stream sequence the watch delivered: the index records it with the batch it closes. */
  private watchedSequence = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private caughtUp = false;
  private readonly listeners: Listener[] = [];
  private readonly removeListeners: ((orderId: string) => void)[] = [];
  private unfollow: (() => void) | undefined;
  readonly ready: Promise<void>;
  private markReady!: () => void;

  /**
   * `clock`: where write times come from; calibrate it before `start` (see server-clock.ts).
   * `index`: where every saga's summary is kept (in memory unless a file is given).
   */
  constructor(
    private readonly logger: Logger,
    readonly clock: ServerClock = new ServerClock(),
    private readonly index: SagaIndex = new SagaIndex(':memory:'),
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    for (const summary of index.unfinished()) this.remember(summary, 0, clock.now());
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

  get size(): number {
    this.flush();
    return this.index.size;
  }

  /** Sagas running now (not stuck, not finished, not paused), whoever runs them: what admission counts. */
  get running(): number {
    return this.runningNow;
  }

  /** Whether the watch is still bringing in what was stored before this instance started. */
  get catchingUp(): boolean {
    return !this.caughtUp;
  }

  get(orderId: string): SagaSummary | undefined {
    const open = this.open.get(orderId);
    if (open) return open.summary;
    this.flush();
    return this.index.get(orderId);
  }

  /** Sagas not finished (running, stuck) and finished ones still retrying or holding a deadline: the few a restart must look at. */
  unfinished(): Iterable<SagaSummary> {
    return [...this.open.values()].map((open) => open.summary);
  }

  /** When an unfinished saga's current revision was stored, on the local monotonic clock. */
  writtenAtOf(orderId: string): number | undefined {
    return this.open.get(orderId)?.writtenAt;
  }

  /**
   * Follow the bucket from where the index left off. Unfinished sagas the index already held
   * get the server's time of their current revision first (a restart grants no fresh timeout).
   */
  async start(bucket: SagaBucket): Promise<void> {
    await this.timeOpenSagas(bucket);
    this.unfollow = bucket.follow({
      stored: (summary, revision, writtenAt) => this.observe(summary, revision, writtenAt),
      removed: (orderId, revision) => this.remove(orderId, revision),
      watchedTo: (sequence) => {
        this.watchedSequence = sequence;
        this.scheduleFlush();
      },
    });
    const { caughtUp } = await bucket.watch(this.index.lastSequence);
    void caughtUp.then(() => this.markCaughtUp());
  }

  /** Stop taking in the bucket's changes. */
  stop(): void {
    this.unfollow?.();
    this.flush();
  }

  /** Close the index (after `stop`). */
  close(): void {
    clearTimeout(this.flushTimer);
    this.flush();
    this.index.close();
  }

  /**
   * Take in a saga's summary as stored at `revision`, as the bucket reports it: written here just
   * now, or brought by the watch (`writtenAt` from the server's timestamp).
   */
  observe(summary: SagaSummary, revision: number, writtenAt: number = this.clock.now()): void {
    // The revision alone orders an open saga's writes, never `updatedAt` (the writer's wall clock).
    if (this.knows(summary.orderId, revision)) return;
    this.forget(summary.orderId);
    if (!isSettled(summary)) this.remember(summary, revision, writtenAt);
    this.pending.push({ kind: 'put', summary, revision });
    this.scheduleFlush();
    for (const listener of this.listeners) listener(summary, writtenAt);
  }

  /** Forget a saga whose entry was deleted or purged (at `revision` of the bucket's stream). */
  remove(orderId: string, revision = Number.MAX_SAFE_INTEGER): void {
    this.forget(orderId);
    this.pending.push({ kind: 'remove', orderId, revision });
    this.scheduleFlush();
    for (const listener of this.removeListeners) listener(orderId);
  }

  /** Every matching saga id, newest first: what a bulk action covers. */
  matchingIds(query: Omit<ListQuery, 'limit' | 'cursor'>): string[] {
    const { stalledBefore, ...filter } = query;
    if (stalledBefore !== undefined) return this.stalled(query).map((summary) => summary.orderId);
    this.flush();
    return this.index.matchingIds(filter);
  }

  /** Newest first, filtered, from just after the cursor. */
  list(query: ListQuery): ListPage {
    if (query.stalledBefore !== undefined) return this.listStalled(query);
    this.flush();
    return this.index.list(query);
  }

  /** The incident groups, largest first, each with its `sample` newest sagas (saga-index.ts). */
  incidents(limit: number, sample: number): IncidentRows {
    this.flush();
    return this.index.incidents(limit, sample);
  }

  /** Sagas per status and per state, and how many are retrying now. */
  counts(): Overview {
    this.flush();
    return this.index.counts();
  }

  /** Up to `limit` finished sagas with nothing pending, last changed before `cutoffMs` (wall clock), oldest first: what retention purges. */
  expiredBefore(cutoffMs: number, limit: number): string[] {
    this.flush();
    return this.index.removeFinishedBefore(cutoffMs, limit);
  }

  /** Write what waits for the index now: reads see every change observed before them. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0 && this.watchedSequence <= this.index.lastSequence) return;
    // A saga moves several times within one batch: only its latest change reaches the index.
    const latest = new Map<string, IndexChange>();
    for (const change of this.pending) {
      const orderId = change.kind === 'put' ? change.summary.orderId : change.orderId;
      const before = latest.get(orderId);
      if (!before || before.revision <= change.revision) latest.set(orderId, change);
    }
    const changes = [...latest.values()];
    this.pending = [];
    try {
      this.index.applyBatch(changes, this.watchedSequence);
    } catch (error) {
      // One change the index refuses must not cost the others: apply them one by one, drop it.
      this.logger.error({ err: error }, 'the saga index refused a batch; applying its changes one by one');
      for (const change of changes) {
        try {
          this.index.applyBatch([change], this.watchedSequence);
        } catch (refused) {
          this.logger.error({ err: refused, orderId: change.kind === 'put' ? change.summary.orderId : change.orderId }, 'the saga index refused a change; it is not listed');
        }
      }
    }
  }

  private scheduleFlush(): void {
    if (this.pending.length >= FLUSH_AT) this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  private markCaughtUp(): void {
    this.caughtUp = true;
    this.flush();
    this.markReady();
  }

  private knows(orderId: string, revision: number): boolean {
    const known = this.open.get(orderId)?.revision;
    return known !== undefined && known >= revision;
  }

  private remember(summary: SagaSummary, revision: number, writtenAt: number): void {
    this.open.set(summary.orderId, { summary, revision, writtenAt });
    if (isRunningNow(summary)) this.runningNow++;
  }

  private forget(orderId: string): void {
    const open = this.open.get(orderId);
    if (!open) return;
    this.open.delete(orderId);
    if (isRunningNow(open.summary)) this.runningNow--;
  }

  /** The server's time of each open saga's current revision, read from the bucket (few: the open ones). */
  private async timeOpenSagas(bucket: SagaBucket): Promise<void> {
    const open = [...this.open.values()];
    for (let at = 0; at < open.length; at += 256) {
      await Promise.all(
        open.slice(at, at + 256).map(async (known) => {
          // A newer revision than the index holds comes with the watch, which times it again.
          known.writtenAt = (await bucket.storedAt(known.summary.orderId)) ?? known.writtenAt;
        }),
      );
    }
  }

  /** Running sagas with no write since `stalledBefore` (this process's wall clock), newest first. */
  private stalled(query: Omit<ListQuery, 'limit' | 'cursor'>): SagaSummary[] {
    // The caller's wall-clock time, on the monotonic clock the write times are kept on.
    const before = query.stalledBefore! - Date.now() + this.clock.now();
    const customer = query.customerId;
    return [...this.open.values()]
      .filter(({ summary, writtenAt }) =>
        isRunningNow(summary) &&
        writtenAt < before &&
        (!query.status || summary.status === query.status) &&
        (!query.state || summary.state === query.state) &&
        (query.retrying === undefined || summary.retrying === query.retrying) &&
        (query.paused === undefined || Boolean(summary.paused) === query.paused) &&
        (!customer || summary.customerId === customer) &&
        (!query.incident || incidentOf(summary)?.key === query.incident) &&
        (!query.q || summary.orderId.startsWith(query.q) || summary.customerId === query.q),
      )
      .map(({ summary }) => summary)
      .sort((a, b) => b.createdAt - a.createdAt || (a.orderId < b.orderId ? 1 : a.orderId > b.orderId ? -1 : 0));
  }

  private listStalled(query: ListQuery): ListPage {
    const all = this.stalled(query);
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const start = after ? all.findIndex((s) => s.createdAt < after.createdAt || (s.createdAt === after.createdAt && s.orderId < after.orderId)) : 0;
    const items = start < 0 ? [] : all.slice(start, start + query.limit);
    const more = start >= 0 && start + query.limit < all.length;
    return { items, nextCursor: more ? encodeCursor(items.at(-1)!) : null };
  }
}
