/**
 * Bulk actions: retry or compensate every saga matching a filter — the whole filter, not a
 * page. The matching ids are fixed when the job starts and stored with it; the job runs in
 * the background in batches, each batch's progress written to the job's KV entry with CAS.
 * The job holds a lease (owner + heartbeat): if its orchestrator dies, another one takes it
 * over and carries on from the stored position. Sending the same request again answers the
 * same job; a job can be cancelled between batches.
 */
import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { codec } from '../../lib/codec.ts';
import type { Logger } from '../../lib/logger.ts';
import type { BulkAction, BulkJob, BulkResult, SagaFilter } from '../../api/contract.ts';
import type { SagaCatalog } from '../saga/catalog.ts';

export type { BulkAction, BulkJob, BulkResult };
import { isCasConflict, type SagaRuntime } from '../saga/runtime.ts';
import { performAction } from './actions.ts';
import type { AuditLog } from './audit.ts';

export type BulkFilter = SagaFilter;

const BATCH = 20;
const IDS_PER_CHUNK = 5000;
const KEPT_RESULTS = 1000;
const LEASE_MS = 30_000;

const idsKey = (id: string, chunk: number) => `${id}.ids.${chunk}`;

export function bulkJobId(action: BulkAction, filter: BulkFilter, reason: string, idempotencyKey?: string): string {
  const basis = idempotencyKey ?? JSON.stringify([action, Object.entries(filter).sort(), reason]);
  return `bulk_${createHash('sha256').update(basis).digest('hex').slice(0, 20)}`;
}

export class BulkJobs {
  private readonly running = new Set<string>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly kv: KV,
    private readonly runtime: SagaRuntime,
    private readonly catalog: SagaCatalog,
    private readonly audit: AuditLog,
    private readonly settings: { instanceId: string; stuckAfterMs: number },
    private readonly logger: Logger,
  ) {}

  matching(filter: BulkFilter): string[] {
    const { stalled, ...rest } = filter;
    return this.catalog.matchingIds({ ...rest, ...(stalled ? { stalledBefore: Date.now() - this.settings.stuckAfterMs } : {}) });
  }

  async get(id: string): Promise<BulkJob | null> {
    return (await this.read(id))?.job ?? null;
  }

  async list(): Promise<BulkJob[]> {
    const jobs: BulkJob[] = [];
    for await (const key of await this.kv.keys()) {
      if (key.includes('.')) continue;
      const job = await this.get(key);
      if (job) jobs.push(job);
    }
    return jobs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** Start a job, or answer the existing one for the same request. */
  async start(request: { action: BulkAction; filter: BulkFilter; reason: string; actor: string; idempotencyKey?: string }): Promise<{ job: BulkJob; created: boolean }> {
    const id = bulkJobId(request.action, request.filter, request.reason, request.idempotencyKey);
    const existing = await this.get(id);
    if (existing) return { job: existing, created: false };
    const ids = this.matching(request.filter);
    for (let chunk = 0; chunk * IDS_PER_CHUNK < ids.length; chunk++) {
      await this.kv.put(idsKey(id, chunk), codec.json.encode(ids.slice(chunk * IDS_PER_CHUNK, (chunk + 1) * IDS_PER_CHUNK)));
    }
    const job: BulkJob = {
      id,
      action: request.action,
      filter: request.filter,
      reason: request.reason,
      actor: request.actor,
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
    };
    try {
      await this.kv.create(id, codec.json.encode(job));
    } catch (error) {
      if (!isCasConflict(error)) throw error;
      return { job: (await this.get(id))!, created: false }; // a concurrent identical request won
    }
    await this.audit.record({ actor: request.actor, action: `bulk.${request.action}`, target: `bulk:${id}`, reason: request.reason, result: 'started', detail: `${ids.length} sagas match ${JSON.stringify(request.filter)}` });
    this.run(id);
    return { job, created: true };
  }

  async cancel(id: string, actor: string, reason: string): Promise<BulkJob | null> {
    for (;;) {
      const stored = await this.read(id);
      if (!stored) return null;
      if (stored.job.state !== 'running') return stored.job;
      const job: BulkJob = { ...stored.job, state: 'cancelled', finishedAt: new Date().toISOString(), cancelledBy: { actor, reason } };
      try {
        await this.kv.update(id, codec.json.encode(job), stored.revision);
      } catch (error) {
        if (isCasConflict(error)) continue;
        throw error;
      }
      await this.audit.record({ actor, action: 'bulk.cancel', target: `bulk:${id}`, reason, result: 'cancelled', detail: `after ${job.done} of ${job.total}` });
      return job;
    }
  }

  /** Take over running jobs whose owner stopped heart-beating (it crashed or was stopped). */
  startSweeping(intervalMs = 10_000): void {
    const sweep = async () => {
      for (const job of await this.list().catch(() => [])) {
        if (job.state === 'running' && Date.now() - job.heartbeatAt > LEASE_MS && !this.running.has(job.id)) {
          this.logger.warn({ job: job.id, owner: job.owner }, 'taking over a bulk job whose owner went quiet');
          this.run(job.id);
        }
      }
    };
    void sweep();
    this.sweeper = setInterval(() => void sweep(), intervalMs);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private run(id: string): void {
    if (this.running.has(id)) return;
    this.running.add(id);
    void this.process(id)
      .catch((error) => this.logger.error({ err: error, job: id }, 'bulk job stopped on an error; another sweep will resume it'))
      .finally(() => this.running.delete(id));
  }

  private async process(id: string): Promise<void> {
    let chunkIndex = -1;
    let chunk: string[] = [];
    for (;;) {
      const stored = await this.read(id);
      if (!stored || stored.job.state !== 'running') return;
      const { job, revision } = stored;
      if (job.done >= job.total) {
        await this.write(id, { ...job, state: 'completed', finishedAt: new Date().toISOString(), heartbeatAt: Date.now() }, revision);
        return;
      }
      const wanted = Math.floor(job.done / IDS_PER_CHUNK);
      if (wanted !== chunkIndex) {
        const entry = await this.kv.get(idsKey(id, wanted));
        chunk = entry ? codec.json.decode<string[]>(entry.value) : [];
        chunkIndex = wanted;
      }
      const offset = job.done - chunkIndex * IDS_PER_CHUNK;
      const batch = chunk.slice(offset, offset + BATCH);
      if (batch.length === 0) throw new Error(`bulk job ${id}: no ids at position ${job.done}`);
      const results = await Promise.all(batch.map((orderId) => this.act(job, orderId)));
      const next: BulkJob = {
        ...job,
        owner: this.settings.instanceId,
        heartbeatAt: Date.now(),
        done: job.done + batch.length,
        applied: job.applied + results.filter((r) => r.result === 'applied').length,
        refused: job.refused + results.filter((r) => r.result === 'refused').length,
        failed: job.failed + results.filter((r) => r.result === 'failed').length,
        results: [...job.results, ...results].slice(-KEPT_RESULTS),
      };
      // If someone cancelled meanwhile, the CAS fails and the next read sees it: the batch's
      // actions stand (each is audited) and the job stops.
      if (!(await this.write(id, next, revision))) return;
    }
  }

  private async act(job: BulkJob, orderId: string): Promise<BulkResult> {
    try {
      const outcome = await performAction(this.runtime, this.audit, { orderId, action: job.action, actor: job.actor, reason: job.reason, bulkId: job.id });
      return { orderId, result: outcome.result === 'applied' ? 'applied' : outcome.result === 'refused' ? 'refused' : 'failed', detail: outcome.detail };
    } catch (error) {
      return { orderId, result: 'failed', detail: (error as Error).message };
    }
  }

  private async read(id: string): Promise<{ job: BulkJob; revision: number } | null> {
    const entry = await this.kv.get(id);
    if (!entry || entry.operation !== 'PUT') return null;
    return { job: codec.json.decode<BulkJob>(entry.value), revision: entry.revision };
  }

  private async write(id: string, job: BulkJob, revision: number): Promise<boolean> {
    try {
      await this.kv.update(id, codec.json.encode(job), revision);
      return true;
    } catch (error) {
      if (isCasConflict(error)) return false;
      throw error;
    }
  }
}
