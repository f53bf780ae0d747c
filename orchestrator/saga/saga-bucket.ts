/**
 * The saga bucket's one owner: every read and compare-and-set write of a saga entry, the watch
 * that brings every instance's writes, and the cache of recent entries both of them fill. The
 * runtime steps sagas through it; the catalog indexes what it reports to its follower.
 *
 * Failure semantics: a read answers null only when the key does not exist (the server said so);
 * an outage throws. A write that loses its compare-and-set throws what `isCasConflict` names.
 */
import type { KV } from '@nats-io/kv';
import type { Logger } from '../../lib/logger.ts';
import { isFinished } from '../../machines/index.ts';
import type { SagaEntry } from './entry.ts';
import { RecentEntries, type StoredSaga } from './recent-entries.ts';
import { ServerClock } from './server-clock.ts';
import { decodeStoredEntry, decodeStoredSummary, encodeStoredEntry } from './stored-entry.ts';
import type { SagaSummary } from './summary.ts';

export type { StoredSaga };

/** Who hears of every change to the bucket (the catalog). */
export interface BucketFollower {
  /**
   * A saga's summary as stored at `revision`, by this instance just now or brought by the watch;
   * `writtenAt` on this process's monotonic clock. Each revision comes once, and never one older
   * than a saga's last (within the last REPORTED_REVISIONS sagas: beyond them, order by revision).
   */
  stored(summary: SagaSummary, revision: number, writtenAt: number): void;
  /** The saga's entry was deleted or purged at `revision` of the bucket's stream. */
  removed(orderId: string, revision: number): void;
  /** The watch has brought everything up to `sequence` of the bucket's stream. */
  watchedTo(sequence: number): void;
}

/** A catch-up delivers changes as fast as the follower takes them: let requests and timers in every so many. */
const YIELD_EVERY = 500;
/** How many sagas' latest reported revisions are remembered, so an echo or an older revision is not reported again. */
const REPORTED_REVISIONS = 50_000;

async function readFrom(bucket: KV, orderId: string): Promise<StoredSaga | null> {
  const found = await bucket.get(orderId);
  if (!found || found.operation !== 'PUT') return null;
  return { entry: decodeStoredEntry(found.value), revision: found.revision };
}

export class SagaBucket {
  private readonly recent = new RecentEntries();
  /** The latest revision reported to the follower per saga, oldest first. */
  private readonly reported = new Map<string, number>();
  private follower: BucketFollower | undefined;
  private stopWatch: (() => void) | undefined;
  /** The last stream sequence the watch delivered. */
  private watchedThrough = 0;

  /**
   * `sagas` answers with direct gets (any replica may answer); `onLeader` reads on the stream's
   * leader. `clock`: where write times come from (server-clock.ts).
   */
  constructor(
    private readonly sagas: KV,
    private readonly onLeader: KV,
    readonly clock: ServerClock,
    private readonly logger: Logger,
  ) {}

  /** The one follower of every change, this instance's writes and the watch's deliveries; returns the function that stops it. */
  follow(follower: BucketFollower): () => void {
    if (this.follower) throw new Error('the saga bucket has a follower already');
    this.follower = follower;
    return () => {
      if (this.follower === follower) this.follower = undefined;
    };
  }

  /** The entry as this instance last wrote or watched it, if it is running: a hint to start a step from, never proof it is current. */
  recentOf(orderId: string): StoredSaga | undefined {
    return this.recent.get(orderId);
  }

  /** The saga as a direct get finds it: any replica may answer, so it may lag the leader. */
  read(orderId: string): Promise<StoredSaga | null> {
    return readFrom(this.sagas, orderId);
  }

  /**
   * The entry as the stream's leader has it. A step that acks an event without writing, or that
   * follows a lost compare-and-set, must start from the latest entry, not a replica's older one.
   */
  readOnLeader(orderId: string): Promise<StoredSaga | null> {
    this.recent.forget(orderId);
    return readFrom(this.onLeader, orderId);
  }

  /** Store a new saga; a conflict means it exists already. Returns its revision. */
  async create(entry: SagaEntry, summary: SagaSummary): Promise<number> {
    const revision = await this.sagas.create(entry.orderId, encodeStoredEntry(entry, summary));
    this.wrote({ entry, revision }, summary);
    return revision;
  }

  /** Store the saga's next entry over `revision`, or throw a CAS conflict if someone moved it since. */
  async update(entry: SagaEntry, summary: SagaSummary, revision: number): Promise<number> {
    const next = await this.sagas.update(entry.orderId, encodeStoredEntry(entry, summary), revision);
    this.wrote({ entry, revision: next }, summary);
    return next;
  }

  /** When the saga's current revision was stored, on this process's monotonic clock; undefined when it has none. */
  async storedAt(orderId: string): Promise<number | undefined> {
    const found = await this.sagas.get(orderId);
    if (!found || found.operation !== 'PUT') return undefined;
    return this.clock.storedAt(found.created.getTime());
  }

  /**
   * Follow every write from just after `sequence` of the bucket's stream (0: from the start).
   * Resolves once the watch runs; `caughtUp` resolves when it has brought what the bucket held then.
   */
  async watch(sequence: number): Promise<{ caughtUp: Promise<void> }> {
    if (this.stopWatch) throw new Error('the saga bucket is watched already');
    let markCaughtUp!: () => void;
    const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
    const status = await this.sagas.status();
    const last = status.streamInfo.state.last_seq;
    if (status.values === 0 || last <= sequence) markCaughtUp();
    const watch = await this.sagas.watch({ key: '>', ...(sequence > 0 ? { resumeFromRevision: sequence + 1 } : {}) });
    this.stopWatch = () => watch.stop();
    void (async () => {
      let sinceYield = 0;
      for await (const change of watch) {
        if (++sinceYield >= YIELD_EVERY) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
        // Every delivery, this instance's own writes included, is a sample of the server's clock.
        const writtenAt = this.clock.storedAt(change.created.getTime());
        this.watchedThrough = change.revision;
        this.follower?.watchedTo(change.revision);
        try {
          if (change.operation !== 'PUT') this.removed(change.key, change.revision);
          else this.watched(change.key, change.revision, change.value, writtenAt);
        } catch (error) {
          this.logger.error({ err: error, key: change.key }, 'unreadable saga entry in the bucket');
        }
        if (change.delta === 0 || change.revision >= last) markCaughtUp();
      }
    })();
    return { caughtUp };
  }

  /** Stop the watch (it may be started again, e.g. from where it stopped). */
  stop(): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
  }

  private wrote(stored: StoredSaga, summary: SagaSummary): void {
    this.recent.remember(stored, !isFinished(summary.status));
    // The watch may have brought the write back (and newer ones after it) before its
    // acknowledgement came: then the follower has heard it, however many sagas came since.
    if (stored.revision > this.watchedThrough && !this.hasReported(summary.orderId, stored.revision)) this.report(summary, stored.revision, this.clock.now());
  }

  /** Another instance's write, or the echo of this one's: only the summary line is parsed, and the entry stays encoded until a step here needs it. */
  private watched(orderId: string, revision: number, value: Uint8Array, writtenAt: number): void {
    if (this.hasReported(orderId, revision)) return;
    const summary = decodeStoredSummary(value);
    if (summary.orderId !== orderId) throw new Error(`the entry of ${orderId} says it is ${summary.orderId}`);
    this.recent.rememberEncoded(orderId, revision, value, !isFinished(summary.status));
    this.report(summary, revision, writtenAt);
  }

  private removed(orderId: string, revision: number): void {
    this.recent.forget(orderId);
    this.reported.delete(orderId);
    this.follower?.removed(orderId, revision);
  }

  private hasReported(orderId: string, revision: number): boolean {
    const reported = this.reported.get(orderId);
    return reported !== undefined && reported >= revision;
  }

  private report(summary: SagaSummary, revision: number, writtenAt: number): void {
    // Re-inserting moves the key to the end of the Map's order: the first key is the oldest.
    this.reported.delete(summary.orderId);
    this.reported.set(summary.orderId, revision);
    if (this.reported.size > REPORTED_REVISIONS) this.reported.delete(this.reported.keys().next().value!);
    this.follower?.stored(summary, revision, writtenAt);
  }
}
