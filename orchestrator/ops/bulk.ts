/**
 * Bulk actions: retry, compensate, pause or resume every saga matching a filter — the whole filter, not a
 * page. The matching ids are fixed when the job is created and stored with it; the job runs in
 * the background in batches, each batch's progress written to the job's KV entry with CAS.
 *
 * One job per request, acting on exactly the set it reports, each saga at most once:
 * - the id chunks go under keys carrying a per-creation nonce, before the job entry is created
 *   with `kv.create`; a creator that loses the race drops its own chunks, never the winner's;
 * - every act has the event id (job, nonce, order), so a batch run again after a crash or a
 *   take-over is a no-op for the sagas it already moved (the saga records applied event ids).
 *
 * The lease is the job entry's revision: the owner rewrites the entry (progress or heartbeat)
 * at least every third of BULK_LEASE_MS, every write a CAS. Another instance takes the job over
 * when it has seen the revision unchanged for BULK_LEASE_MS on its own monotonic clock (no
 * two wall clocks are compared), by a CAS that names itself owner; the old owner's next write
 * then fails and it stops. Sending the same request again answers the same job; the same
 * Idempotency-Key with another request is refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { KV } from '@nats-io/kv';
import { codec } from '../../lib/codec.ts';
import type { Logger } from '../../lib/logger.ts';
import { listKeys } from '../../lib/kv-keys.ts';
import { isCasConflict } from '../../lib/nats-errors.ts';
import type { BulkAction, BulkJob, BulkResult, SagaFilter } from '../../api/contract.ts';
import type { SagaCatalog } from '../saga/catalog.ts';
import type { SagaRuntime } from '../saga/runtime.ts';
import { performAction } from './actions.ts';
import type { AuditLog } from './audit.ts';

export type { BulkAction, BulkJob, BulkResult };

export type BulkFilter = SagaFilter;

const BATCH = 20;
const IDS_PER_CHUNK = 5000;
const KEPT_RESULTS = 1000;

/** The job as stored: the view plus where its ids live. Jobs stored before nonces have none. */
interface StoredJob extends BulkJob {
  idsNonce?: string;
}

interface Held {
  job: StoredJob;
  revision: number;
}

export interface BulkRequest {
  action: BulkAction;
  filter: BulkFilter;
  reason: string;
  actor: string;
  /** The label of the token the request proved. */
  authenticatedAs?: string;
  idempotencyKey?: string;
}

/** The Idempotency-Key names a job that was started with another action, filter or reason. */
export class BulkKeyReused extends Error {
  override readonly name = 'BulkKeyReused';
  constructor(readonly jobId: string) {
    super(`this Idempotency-Key was used for a different bulk request (job ${jobId})`);
  }
}

export const isBulkKeyReused = (error: unknown): error is BulkKeyReused => error instanceof BulkKeyReused;

const idsKey = (id: string, nonce: string | undefined, chunk: number) => (nonce ? `${id}.ids.${nonce}.${chunk}` : `${id}.ids.${chunk}`);

/** The same action, filter (in any key order) and reason hash alike. */
function requestBasis(action: BulkAction, filter: BulkFilter, reason: string): string {
  return JSON.stringify([action, Object.entries(filter).sort(), reason]);
}

export function bulkJobId(action: BulkAction, filter: BulkFilter, reason: string, idempotencyKey?: string): string {
  const basis = idempotencyKey ?? requestBasis(action, filter, reason);
  return `bulk_${createHash('sha256').update(basis).digest('hex').slice(0, 20)}`;
}

/** One act per (job, creation, order): a re-run of the act is recognised by the saga and changes nothing. */
export const bulkEventId = (job: StoredJob, orderId: string) => `operator:${job.action}:${job.id}:${job.idsNonce ?? 'v0'}:${orderId}`;

function viewOf(job: StoredJob): BulkJob {
  const { idsNonce: _nonce, ...view } = job;
  return view;
}

/**
 * This instance's hold on one job: every write is a CAS on the last revision it wrote, one at
 * a time. The first conflict means someone else wrote (a take-over or a cancel): the hold is
 * lost for good.
 */
class JobLease {
  lost = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kv: KV,
    readonly id: string,
    private held: Held,
  ) {}

  get job(): StoredJob {
    return this.held.job;
  }

  /** Write `change(current)`; false when the hold is lost. */
  write(change: (job: StoredJob) => StoredJob): Promise<boolean> {
    const attempt = this.queue.then(async () => {
      if (this.lost) return false;
      const job = change(this.held.job);
      try {
        const revision = await this.kv.update(this.id, codec.json.encode(job), this.held.revision);
        this.held = { job, revision };
        return true;
      } catch (error) {
        if (!isCasConflict(error)) throw error;
        this.lost = true;
        return false;
      }
    });
    // The caller gets the failure from `attempt`; the queue only orders the writes after it.
    this.queue = attempt.catch(() => undefined);
    return attempt;
  }
}

export class BulkJobs {
  private readonly running = new Set<string>();
  /** Running jobs of other owners: the revision last seen and when (this process's monotonic clock). */
  private readonly watched = new Map<string, { revision: number; since: number }>();
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly kv: KV,
    private readonly runtime: SagaRuntime,
    private readonly catalog: SagaCatalog,
    private readonly audit: AuditLog,
    private readonly settings: { instanceId: string; stuckAfterMs: number; bulkLeaseMs: number },
    private readonly logger: Logger,
  ) {}

  matching(filter: BulkFilter): string[] {
    const { stalled, ...rest } = filter;
    return this.catalog.matchingIds({ ...rest, ...(stalled ? { stalledBefore: Date.now() - this.settings.stuckAfterMs } : {}) });
  }

  async get(id: string): Promise<BulkJob | null> {
    const held = await this.read(id);
    return held ? viewOf(held.job) : null;
  }

  async list(): Promise<BulkJob[]> {
    return (await this.listHeld()).map(({ job }) => viewOf(job)).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /**
   * Start a job, or answer the existing one for the same request. Throws BulkKeyReused when the
   * Idempotency-Key belongs to another request.
   */
  async start(request: BulkRequest): Promise<{ job: BulkJob; created: boolean }> {
    const id = bulkJobId(request.action, request.filter, request.reason, request.idempotencyKey);
    const existing = await this.read(id);
    if (existing) return { job: this.sameRequestOrThrow(existing.job, request), created: false };

    const ids = this.matching(request.filter);
    const nonce = randomBytes(8).toString('hex');
    const chunks = Math.ceil(ids.length / IDS_PER_CHUNK);
    // Our own keys: a concurrent creator of the same job writes under its own nonce.
    for (let chunk = 0; chunk < chunks; chunk++) {
      await this.kv.put(idsKey(id, nonce, chunk), codec.json.encode(ids.slice(chunk * IDS_PER_CHUNK, (chunk + 1) * IDS_PER_CHUNK)));
    }
    const job: StoredJob = {
      id,
      action: request.action,
      filter: request.filter,
      reason: request.reason,
      actor: request.actor,
      ...(request.authenticatedAs ? { authenticatedAs: request.authenticatedAs } : {}),
      state: 'running',
      total: ids.length,
      done: 0,
      applied: 0,
      refused: 0,
      failed: 0,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      results: [],
      owner: this.settings.instanceId,
      heartbeatAt: Date.now(),
      idsNonce: nonce,
    };
    let revision: number;
    try {
      revision = await this.kv.create(id, codec.json.encode(job));
    } catch (error) {
      if (!isCasConflict(error)) throw error;
      // A concurrent request created the job first: it stands as created, with its own ids.
      await this.dropChunks(id, nonce, chunks);
      const winner = await this.read(id);
      if (!winner) throw error;
      return { job: this.sameRequestOrThrow(winner.job, request), created: false };
    }
    await this.audit.record({ actor: request.actor, ...(request.authenticatedAs ? { authenticatedAs: request.authenticatedAs } : {}), action: `bulk.${request.action}`, target: `bulk:${id}`, reason: request.reason, result: 'started', detail: `${ids.length} sagas match ${JSON.stringify(request.filter)}` });
    this.run({ job, revision });
    return { job: viewOf(job), created: true };
  }

  async cancel(id: string, actor: string, reason: string, authenticatedAs?: string): Promise<BulkJob | null> {
    for (;;) {
      const stored = await this.read(id);
      if (!stored) return null;
      if (stored.job.state !== 'running') return viewOf(stored.job);
      const job: StoredJob = { ...stored.job, state: 'cancelled', finishedAt: new Date().toISOString(), cancelledBy: { actor, ...(authenticatedAs ? { authenticatedAs } : {}), reason } };
      try {
        await this.kv.update(id, codec.json.encode(job), stored.revision);
      } catch (error) {
        if (isCasConflict(error)) continue;
        throw error;
      }
      await this.audit.record({ actor, ...(authenticatedAs ? { authenticatedAs } : {}), action: 'bulk.cancel', target: `bulk:${id}`, reason, result: 'cancelled', detail: `after ${job.done} of ${job.total}` });
      return viewOf(job);
    }
  }

  /** Take over running jobs whose entry has not changed for a whole lease (the owner died, hangs or is cut off). */
  startSweeping(intervalMs = Math.max(50, Math.floor(this.settings.bulkLeaseMs / 3))): void {
    const sweep = async () => {
      if (this.sweeping) return;
      this.sweeping = true;
      try {
        await this.sweep();
      } catch (error) {
        this.logger.warn({ err: error }, 'bulk job sweep failed; the next one tries again');
      } finally {
        this.sweeping = false;
      }
    };
    void sweep();
    this.sweeper = setInterval(() => void sweep(), intervalMs);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private async sweep(): Promise<void> {
    const present = new Set<string>();
    for (const { job, revision } of await this.listHeld()) {
      if (job.state !== 'running' || this.running.has(job.id)) continue;
      present.add(job.id);
      const now = performance.now();
      const seen = this.watched.get(job.id);
      if (!seen || seen.revision !== revision) {
        this.watched.set(job.id, { revision, since: now });
        continue;
      }
      if (now - seen.since < this.settings.bulkLeaseMs) continue;
      this.watched.delete(job.id);
      const claimed: StoredJob = { ...job, owner: this.settings.instanceId, heartbeatAt: Date.now() };
      try {
        const claimedRevision = await this.kv.update(job.id, codec.json.encode(claimed), revision);
        this.logger.warn({ job: job.id, owner: job.owner, done: job.done, total: job.total }, 'took over a bulk job whose owner went quiet');
        this.run({ job: claimed, revision: claimedRevision });
      } catch (error) {
        if (!isCasConflict(error)) throw error; // someone else wrote first: the owner woke up, or another instance took it
      }
    }
    for (const id of this.watched.keys()) if (!present.has(id)) this.watched.delete(id);
  }

  private run(held: Held): void {
    const { id } = held.job;
    if (this.running.has(id)) return;
    this.running.add(id);
    void this.process(new JobLease(this.kv, id, held))
      .catch((error) => this.logger.error({ err: error, job: id }, 'bulk job stopped on an error; an instance takes it over after its lease'))
      .finally(() => this.running.delete(id));
  }

  private async process(lease: JobLease): Promise<void> {
    const heartbeat = setInterval(() => {
      lease.write((job) => ({ ...job, heartbeatAt: Date.now() })).catch((error) => this.logger.warn({ err: error, job: lease.id }, 'bulk job heartbeat failed'));
    }, Math.max(20, Math.floor(this.settings.bulkLeaseMs / 3)));
    heartbeat.unref();
    try {
      await this.runBatches(lease);
    } finally {
      clearInterval(heartbeat);
    }
    if (!lease.lost) return;
    let now: StoredJob | undefined;
    try {
      now = (await this.read(lease.id))?.job;
    } catch (error) {
      // Only the log line needs it: the job stops here either way, whoever holds it now.
      this.logger.warn({ err: error, job: lease.id }, 'bulk job lease lost; cannot read the job now to say why: this instance stops running it');
      return;
    }
    if (now?.state === 'cancelled') this.logger.info({ job: lease.id, by: now.cancelledBy?.actor }, 'bulk job cancelled: this instance stops running it');
    else this.logger.warn({ job: lease.id, owner: now?.owner }, 'bulk job lease lost (another instance took it over): this instance stops running it');
  }

  private async runBatches(lease: JobLease): Promise<void> {
    let chunkIndex = -1;
    let chunk: string[] = [];
    for (;;) {
      const job = lease.job;
      if (lease.lost || job.state !== 'running') return;
      if (job.done >= job.total) {
        await lease.write((current) => ({ ...current, state: 'completed', finishedAt: new Date().toISOString(), heartbeatAt: Date.now() }));
        return;
      }
      const wanted = Math.floor(job.done / IDS_PER_CHUNK);
      if (wanted !== chunkIndex) {
        const entry = await this.kv.get(idsKey(job.id, job.idsNonce, wanted));
        chunk = entry?.operation === 'PUT' ? codec.json.decode<string[]>(entry.value) : [];
        chunkIndex = wanted;
      }
      const offset = job.done - chunkIndex * IDS_PER_CHUNK;
      const batch = chunk.slice(offset, offset + BATCH);
      if (batch.length === 0) {
        // Never expected (ids are stored before the job exists); stop for good rather than have
        // every instance take over a job that cannot go on.
        const failure = `its ids at position ${job.done} of ${job.total} are missing from the bulk_jobs bucket`;
        this.logger.error({ job: job.id }, `bulk job failed: ${failure}`);
        await lease.write((current) => ({ ...current, state: 'failed', failure, finishedAt: new Date().toISOString(), heartbeatAt: Date.now() }));
        return;
      }
      const results = await Promise.all(batch.map((orderId) => this.act(job, orderId)));
      const count = (result: BulkResult['result']) => results.filter((r) => r.result === result).length;
      // A take-over or a cancel meanwhile makes this write fail: the batch's acts stand (each is
      // audited, each has its event id, so the new owner's re-run of them changes nothing).
      await lease.write((current) => ({
        ...current,
        heartbeatAt: Date.now(),
        done: current.done + batch.length,
        applied: current.applied + count('applied'),
        refused: current.refused + count('refused'),
        failed: current.failed + count('failed'),
        results: [...current.results, ...results].slice(-KEPT_RESULTS),
      }));
    }
  }

  private async act(job: StoredJob, orderId: string): Promise<BulkResult> {
    try {
      const outcome = await performAction(this.runtime, this.audit, { orderId, action: job.action, actor: job.actor, ...(job.authenticatedAs ? { authenticatedAs: job.authenticatedAs } : {}), reason: job.reason, bulkId: job.id, eventId: bulkEventId(job, orderId) });
      return { orderId, result: outcome.result === 'applied' ? 'applied' : outcome.result === 'refused' ? 'refused' : 'failed', detail: outcome.detail };
    } catch (error) {
      return { orderId, result: 'failed', detail: (error as Error).message };
    }
  }

  private sameRequestOrThrow(job: StoredJob, request: BulkRequest): BulkJob {
    if (requestBasis(job.action, job.filter, job.reason) !== requestBasis(request.action, request.filter, request.reason)) throw new BulkKeyReused(job.id);
    return viewOf(job);
  }

  private async dropChunks(id: string, nonce: string, chunks: number): Promise<void> {
    for (let chunk = 0; chunk < chunks; chunk++) {
      await this.kv.purge(idsKey(id, nonce, chunk)).catch((error) => this.logger.warn({ err: error, job: id }, 'could not drop the id chunks of a lost creation race'));
    }
  }

  private async listHeld(): Promise<Held[]> {
    // Job keys are one token; their id chunks live under `<id>.ids.…`.
    const held = await Promise.all((await listKeys(this.kv, '*', Math.max(5_000, this.settings.bulkLeaseMs))).map((key) => this.read(key)));
    return held.filter((entry): entry is Held => entry !== null);
  }

  private async read(id: string): Promise<Held | null> {
    const entry = await this.kv.get(id);
    if (!entry || entry.operation !== 'PUT') return null;
    return { job: codec.json.decode<StoredJob>(entry.value), revision: entry.revision };
  }
}
