/**
 * Bulk jobs between two orchestrator instances, on a real nats-server and its bulk_jobs bucket,
 * with the instances' views of the sagas set by hand (a catalog that answers a fixed id list)
 * and a saga runtime reduced to what a bulk job relies on: each (order, event id) applies once.
 * That makes the races deterministic: two instances that see different matching sets at once,
 * and an owner that stops mid-batch after some of its acts landed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kvm } from '@nats-io/kv';
import { codec } from '../../lib/codec.ts';
import { loadConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { BUCKETS, connectNats, ensureTopology, type Nats } from '../../lib/topology.ts';
import type { AuditLog } from '../../orchestrator/ops/audit.ts';
import { BulkJobs, type BulkJob } from '../../orchestrator/ops/bulk.ts';
import type { SagaCatalog } from '../../orchestrator/saga/catalog.ts';
import type { SagaRuntime } from '../../orchestrator/saga/runtime.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { until } from '../support/system.ts';

let server: TestNats;
const connections: Nats[] = [];

beforeAll(async () => {
  server = await startNats();
});
afterAll(async () => {
  for (const nats of connections) await nats.nc.close().catch(() => undefined);
  await server?.stop();
});

/** The sagas every instance acts on: which event ids each one applied (a repeated id applies nothing). */
class Sagas {
  readonly applied = new Map<string, string[]>();
  /** Acts that land, then wait here before answering (an owner frozen mid-batch). */
  hold: Promise<void> | null = null;

  runtime(): SagaRuntime {
    const entry = { state: 'stuck', history: [{ from: 'stuck', to: 'creatingShipment' }] };
    return {
      apply: async (orderId: string, _event: unknown, eventId: string) => {
        const ids = this.applied.get(orderId) ?? [];
        const duplicate = ids.includes(eventId);
        if (!duplicate) this.applied.set(orderId, [...ids, eventId]);
        if (this.hold) await this.hold;
        return duplicate ? { kind: 'duplicate' } : { kind: 'applied', entry };
      },
      read: async () => ({ entry, revision: 1 }),
    } as unknown as SagaRuntime;
  }

  timesActedOn(orderId: string): number {
    return this.applied.get(orderId)?.length ?? 0;
  }
}

const audit = { record: async (record: object) => record } as unknown as AuditLog;
const catalogOf = (ids: string[]) => ({ matchingIds: () => ids }) as unknown as SagaCatalog;
const orderIds = (prefix: string, count: number) => Array.from({ length: count }, (_, n) => `${prefix}-${String(n).padStart(3, '0')}`);

async function instance(name: string, sagas: Sagas, ids: string[], leaseMs = 30_000): Promise<{ bulk: BulkJobs; nats: Nats }> {
  const config = loadConfig({ NATS_URL: server.url, LOG_LEVEL: 'silent', INSTANCE_ID: name, BULK_LEASE_MS: String(leaseMs) });
  const nats = await connectNats(config, name);
  connections.push(nats);
  const topology = await ensureTopology(nats, config);
  return { bulk: new BulkJobs(topology.bulkJobs, sagas.runtime(), catalogOf(ids), audit, config, createLogger('orchestrator', config)), nats };
}

async function finished(bulk: BulkJobs, id: string): Promise<BulkJob> {
  await until(`bulk job ${id} to finish`, async () => (await bulk.get(id))?.state !== 'running', 20_000);
  return (await bulk.get(id))!;
}

describe('two instances that see different matching sets start the same request at once', () => {
  it('make one job that acts on exactly the set it reports, each saga once', async () => {
    const sagas = new Sagas();
    const seenByA = orderIds('ord-race-a', 40);
    const seenByB = orderIds('ord-race-b', 19);
    const a = await instance('orchestrator-a', sagas, seenByA);
    const b = await instance('orchestrator-b', sagas, seenByB);
    const request = { action: 'retry' as const, filter: { status: 'stuck' as const }, reason: 'carrier back', actor: 'ops-anna' };

    const answers = await Promise.all([a.bulk.start(request), b.bulk.start(request)]);
    expect(answers.map((answer) => answer.created).sort()).toEqual([false, true]);
    const id = answers[0].job.id;
    expect(answers[1].job.id).toBe(id);

    const job = await finished(a.bulk, id);
    const reported = job.total === 40 ? seenByA : seenByB;
    expect(job).toMatchObject({ state: 'completed', total: reported.length, done: reported.length, applied: reported.length, refused: 0, failed: 0 });
    expect(job.results.map((r) => r.orderId).sort()).toEqual([...reported].sort());
    expect([...sagas.applied.keys()].sort()).toEqual([...reported].sort());
    for (const orderId of reported) expect(sagas.timesActedOn(orderId)).toBe(1);
  });
});

describe('an owner that stops mid-batch after some acts landed', () => {
  it('keeps the job while it heartbeats; once its entry stops changing, another instance takes over whatever the heartbeat times say, and acts on no saga twice', async () => {
    const sagas = new Sagas();
    const ids = orderIds('ord-lease', 60);
    const LEASE_MS = 400;
    const a = await instance('orchestrator-a2', sagas, ids, LEASE_MS);
    const b = await instance('orchestrator-b2', sagas, ids, LEASE_MS);
    const kv = await new Kvm(b.nats.nc).open(BUCKETS.bulkJobs);
    let release!: () => void;
    sagas.hold = new Promise((resolve) => (release = resolve));

    const { job: started } = await a.bulk.start({ action: 'retry', filter: { status: 'stuck' }, reason: 'lease test', actor: 'ops-ben' });
    await until('the first batch to land', async () => sagas.applied.size === 20, 10_000);
    b.bulk.startSweeping();
    try {
      // A batch that takes three leases: the owner's heartbeat keeps the job its own.
      await new Promise((resolve) => setTimeout(resolve, 3 * LEASE_MS));
      expect((await b.bulk.get(started.id))?.owner).toBe('orchestrator-a2');

      // Now A loses NATS with its batch landed but not recorded. Its last heartbeat says a time an
      // hour ahead (its clock is off): no instance may wait for that time to come.
      await a.nats.nc.close();
      const entry = (await kv.get(started.id))!;
      await kv.update(started.id, codec.json.encode({ ...entry.json<BulkJob>(), heartbeatAt: Date.now() + 3_600_000 }), entry.revision);
      sagas.hold = null;
      release();

      const job = await finished(b.bulk, started.id);
      expect(job).toMatchObject({ state: 'completed', owner: 'orchestrator-b2', total: 60, done: 60, applied: 60, failed: 0 });
      for (const orderId of ids) expect(sagas.timesActedOn(orderId)).toBe(1);
    } finally {
      b.bulk.stop();
    }
  });
});
