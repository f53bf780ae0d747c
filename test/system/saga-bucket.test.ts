/**
 * The saga bucket's one owner on a real nats-server, as two orchestrator instances hold it: each
 * instance's follower hears every write once, its own at once and the other's from the watch,
 * never an older revision after a newer one; a step starts from the cached entry without a read;
 * a lost compare-and-set is named as one; a purge reaches the follower.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { isCasConflict } from '../../lib/nats-errors.ts';
import { connectNats, ensureTopology, type Nats, type Topology } from '../../lib/topology.ts';
import { SagaBucket, type BucketFollower } from '../../orchestrator/saga/saga-bucket.ts';
import { ServerClock } from '../../orchestrator/saga/server-clock.ts';
import { encodeStoredEntry } from '../../orchestrator/saga/stored-entry.ts';
import { summarize } from '../../orchestrator/saga/summary.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { answer, completed, started } from '../support/saga-entries.ts';
import { until } from '../support/system.ts';

const logger = createLogger('test', { logLevel: 'silent', logPretty: false, instanceId: 'test' });

let server: TestNats;
let nats: Nats;
let topology: Topology;

beforeAll(async () => {
  server = await startNats();
  nats = await connectNats({ natsUrl: server.url }, 'saga-bucket-test');
  topology = await ensureTopology(nats, { natsReplicas: 1 });
}, 30_000);
afterAll(async () => {
  await nats?.nc.close();
  await server?.stop();
});

/** One instance's bucket owner with a follower that writes down what it hears. */
async function instance() {
  const bucket = new SagaBucket(topology.sagas, topology.sagasOnLeader, new ServerClock(), logger);
  const heard: string[] = [];
  const follower: BucketFollower = {
    stored: (summary, revision) => heard.push(`${summary.orderId}@${revision} ${summary.state}`),
    removed: (orderId) => heard.push(`${orderId} removed`),
    watchedTo: () => undefined,
  };
  bucket.follow(follower);
  const { caughtUp } = await bucket.watch((await topology.sagas.status()).streamInfo.state.last_seq);
  await caughtUp;
  return { bucket, heard };
}

describe('the saga bucket, held by two instances', () => {
  it('tells each follower every write once, in revision order, and caches what a step starts from', async () => {
    const a = await instance();
    const b = await instance();
    const first = started('ord_bucket_1', 1000);
    const created = await a.bucket.create(first, summarize(first));
    const charging = answer(first, 'INVENTORY_RESERVED', 1100);
    const moved = await a.bucket.update(charging, summarize(charging), created);
    const expected = [`ord_bucket_1@${created} reservingInventory`, `ord_bucket_1@${moved} chargingPayment`];
    await until('the other instance watched both writes', async () => b.heard.length >= 2, 5_000);
    // The watch brings a's own writes back too: a's follower does not hear them a second time.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(a.heard).toEqual(expected);
    expect(b.heard).toEqual(expected);

    // b steps the saga from what its watch brought, without reading it.
    expect(b.bucket.recentOf('ord_bucket_1')).toEqual({ entry: charging, revision: moved });
    const done = completed('ord_bucket_1', 1000);
    const finished = await b.bucket.update(done, summarize(done), moved);
    await until('a watched the finish', async () => a.heard.length === 3, 5_000);
    expect(a.heard[2]).toBe(`ord_bucket_1@${finished} completed`);
    // Finished sagas leave the cache at once: nothing steps them again.
    expect(a.bucket.recentOf('ord_bucket_1')).toBeUndefined();
    expect(b.bucket.recentOf('ord_bucket_1')).toBeUndefined();

    // A write over a revision someone moved since is a named CAS conflict, and nobody hears of it.
    const stale = await a.bucket.update(charging, summarize(charging), moved).catch((error: unknown) => error);
    expect(isCasConflict(stale)).toBe(true);
    expect((await a.bucket.readOnLeader('ord_bucket_1'))?.revision).toBe(finished);
    await a.bucket.create(first, summarize(first)).then(
      () => expect.fail('a second create of one saga must not succeed'),
      (error: unknown) => expect(isCasConflict(error)).toBe(true),
    );

    await topology.sagas.purge('ord_bucket_1');
    await until('both heard the purge', async () => a.heard.length === 4 && b.heard.length === 4, 5_000);
    expect(a.heard[3]).toBe('ord_bucket_1 removed');
    expect(await a.bucket.read('ord_bucket_1')).toBeNull();
    a.bucket.stop();
    b.bucket.stop();
  });

  it('catches up from a stream sequence: what was written before it, and only after it', async () => {
    const before = started('ord_bucket_before', 2000);
    await topology.sagas.put(before.orderId, encodeStoredEntry(before));
    const from = (await topology.sagas.status()).streamInfo.state.last_seq;
    const after = started('ord_bucket_after', 3000);
    await topology.sagas.put(after.orderId, encodeStoredEntry(after));
    const bucket = new SagaBucket(topology.sagas, topology.sagasOnLeader, new ServerClock(), logger);
    const heard: string[] = [];
    let watchedTo = 0;
    bucket.follow({ stored: (summary) => heard.push(summary.orderId), removed: () => undefined, watchedTo: (sequence) => (watchedTo = sequence) });
    const { caughtUp } = await bucket.watch(from);
    await caughtUp;
    expect(heard).toEqual(['ord_bucket_after']);
    expect(watchedTo).toBe(from + 1);
    bucket.stop();
  });
});
