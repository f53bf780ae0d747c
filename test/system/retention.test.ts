/**
 * Retention and the saga index on a real nats-server: finished sagas past SAGA_RETENTION leave
 * the bucket without a marker, on every instance's index; running and recent ones stay. And an
 * index file survives a restart: the catalog resumes from its sequence, knows the open sagas at
 * once, and takes in what changed while it was down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { connectNats, ensureTopology, type Nats, type Topology } from '../../lib/topology.ts';
import { SagaCatalog } from '../../orchestrator/saga/catalog.ts';
import { SagaBucket } from '../../orchestrator/saga/saga-bucket.ts';
import type { SagaEntry } from '../../orchestrator/saga/entry.ts';
import { openSagaIndex } from '../../orchestrator/saga/index-file.ts';
import { Retention } from '../../orchestrator/saga/retention.ts';
import { encodeStoredEntry } from '../../orchestrator/saga/stored-entry.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { charging, completed, started } from '../support/saga-entries.ts';
import { until } from '../support/system.ts';

const DAY = 24 * 3_600_000;
const RETENTION = 30 * DAY;
const logger = createLogger('test', { logLevel: 'silent', logPretty: false, instanceId: 'test' });

let server: TestNats;
let nats: Nats;
let topology: Topology;
const folder = mkdtempSync(join(tmpdir(), 'saga-index-test-'));

beforeAll(async () => {
  server = await startNats();
  nats = await connectNats({ natsUrl: server.url }, 'retention-test');
  topology = await ensureTopology(nats, { natsReplicas: 1 });
});
afterAll(async () => {
  await nats?.nc.close();
  await server?.stop();
  rmSync(folder, { recursive: true, force: true });
});

const put = (entry: SagaEntry) => topology.sagas.put(entry.orderId, encodeStoredEntry(entry));

const bucketFor = (catalog: SagaCatalog) => new SagaBucket(topology.sagas, topology.sagasOnLeader, catalog.clock, logger);

async function catalogAt(path: string): Promise<SagaCatalog> {
  const catalog = new SagaCatalog(logger, undefined, openSagaIndex(path, await nats.jsm.streams.info('KV_sagas'), logger));
  await catalog.start(bucketFor(catalog));
  await catalog.ready;
  return catalog;
}

it('purges finished sagas past retention from the bucket and from every index, and nothing else', async () => {
  const now = Date.now();
  const old = ['ord_ret_old_1', 'ord_ret_old_2', 'ord_ret_old_3'];
  for (const id of old) await put(completed(id, now - 40 * DAY));
  await put(completed('ord_ret_recent', now - 2 * DAY));
  await put(charging('ord_ret_running', now - 40 * DAY));
  const a = await catalogAt(join(folder, 'a.sqlite'));
  const b = await catalogAt(join(folder, 'b.sqlite'));
  const before = (await nats.jsm.streams.info('KV_sagas')).state.messages;

  expect(await new Retention(nats.jsm, a, RETENTION, logger).sweep(now)).toBe(3);
  for (const id of old) expect(await topology.sagas.get(id)).toBeNull();
  expect((await nats.jsm.streams.info('KV_sagas')).state.messages).toBe(before - 3);
  expect(a.list({ limit: 50 }).items.map((s) => s.orderId).sort()).toEqual(['ord_ret_recent', 'ord_ret_running']);
  expect(a.counts().total).toBe(2);

  // The other instance's index still lists them (no marker reached its watch) until its own sweep.
  expect(b.counts().total).toBe(5);
  expect(await new Retention(nats.jsm, b, RETENTION, logger).sweep(now)).toBe(3);
  expect(b.list({ limit: 50 }).items.map((s) => s.orderId).sort()).toEqual(['ord_ret_recent', 'ord_ret_running']);
  expect((await topology.sagas.get('ord_ret_recent'))?.operation).toBe('PUT');
  a.stop();
  a.close();
  b.stop();
  b.close();
});

it('resumes from its index file after a restart: the open sagas known at once, the changes made meanwhile taken in', async () => {
  const path = join(folder, 'restart.sqlite');
  const now = Date.now();
  const first = await catalogAt(path);
  await put(charging('ord_idx_open', now));
  await until('the open saga indexed', async () => first.get('ord_idx_open')?.state === 'chargingPayment', 5_000);
  first.stop();
  first.close();

  // While it is down: the open saga finishes, a new one starts.
  await put(completed('ord_idx_open', now));
  await put(started('ord_idx_new', now));
  const again = new SagaCatalog(logger, undefined, openSagaIndex(path, await nats.jsm.streams.info('KV_sagas'), logger));
  expect([...again.unfinished()].map((s) => s.orderId)).toContain('ord_idx_open');
  await again.start(bucketFor(again));
  await again.ready;
  expect(again.get('ord_idx_open')?.status).toBe('completed');
  expect(again.get('ord_idx_new')?.status).toBe('running');
  expect([...again.unfinished()].map((s) => s.orderId)).not.toContain('ord_idx_open');
  again.stop();
  again.close();
});

it('drops an index built from another bucket and rebuilds it', async () => {
  const path = join(folder, 'other.sqlite');
  const stream = await nats.jsm.streams.info('KV_sagas');
  const foreign = openSagaIndex(path, { ...stream, created: '2001-01-01T00:00:00Z' }, logger);
  foreign.applyBatch([{ kind: 'put', summary: { ...(await catalogAt(join(folder, 'probe.sqlite'))).get('ord_ret_recent')!, orderId: 'ord_ghost' }, revision: 1 }], 1);
  foreign.close();
  const rebuilt = await catalogAt(path);
  expect(rebuilt.get('ord_ghost')).toBeUndefined();
  expect(rebuilt.get('ord_ret_recent')?.status).toBe('completed');
  rebuilt.stop();
  rebuilt.close();
});
