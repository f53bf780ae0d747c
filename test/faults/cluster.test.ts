/**
 * A 3-node NATS cluster (three nats-server processes with routes on loopback) with every stream
 * and bucket at 3 replicas (NATS_REPLICAS=3), every service given all three URLs. Under load the
 * test SIGKILLs the node that leads SAGA_EVENTS, waits, starts it again, and waits for its
 * replicas to catch up; then it kills a node that leads nothing in particular (not the
 * SAGA_EVENTS leader) once. Invariants (harness.ts): no accepted order lost, no effect applied
 * twice, books balance, no history rolled back.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { expect, it } from 'vitest';
import { BUCKETS, DURABLE_CONSUMERS, STREAMS } from '../../lib/topology.ts';
import { startNatsCluster, type NatsCluster } from '../support/nats-cluster.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { expectClean, FaultRun, PROFILE, sized, sleep } from './harness.ts';

/**
 * STEP_MAX_ATTEMPTS: a leader failover on nats-server 2.9 leaves the system unable to move sagas
 * for ~10-16 s here (see the console's /ready timeline); with 3 attempts of 3 s, steps in flight
 * used up their attempts and parked in `stuck` (with stock reserved and money charged, as
 * designed, waiting for an operator). The retry budget must outlast a failover.
 */
const ENV = { WORKER_LATENCY_MS: '20', WORKER_BACKOFF_MS: '10', STEP_TIMEOUT_MS: '3000', STEP_MAX_ATTEMPTS: process.env.FAULT_CLUSTER_ATTEMPTS ?? '10', NATS_REPLICAS: '3' };
/**
 * Streams whose replicas must be current again before the next fault and before the books are
 * read: the buckets' KV_ streams included, since KV reads are direct gets that any replica may
 * answer, and a replica still catching up after its restart answers with what it has so far.
 */
const WATCHED = [STREAMS.events, STREAMS.commands, 'KV_sagas', ...(['inventory', 'payment', 'shipping'] as const).map((s) => `KV_${BUCKETS.ledger(s)}`)];
const CONSUMER_NAMES: [string, string][] = DURABLE_CONSUMERS.map(({ stream, name }) => [stream, name]);

async function leaderOf(jsm: JetStreamManager, stream: string): Promise<string | undefined> {
  const info = await jsm.streams.info(stream).catch(() => null);
  return info?.cluster?.leader;
}

/** Wait until every watched stream has a leader and two current, online replicas; returns the time it took. */
async function caughtUp(jsm: JetStreamManager, timeoutMs = 60_000): Promise<number | null> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    let ok = true;
    for (const stream of WATCHED) {
      const info = await jsm.streams.info(stream).catch(() => null);
      const replicas = info?.cluster?.replicas ?? [];
      if (!info?.cluster?.leader || replicas.length !== 2 || replicas.some((r) => !r.current || r.offline)) ok = false;
    }
    if (ok) return Date.now() - start;
    await sleep(200);
  }
  return null;
}

/*
 * KNOWN PRODUCT BUG (fails when a killed node led a durable consumer): the consumer's leader moves
 * to a surviving node, but the service pulling from it (lib/consume.ts: consumer.consume() with
 * the default 30 s pull expiry) keeps waiting on its old pull request and pulls nothing for ~30 s
 * (the timeline shows `worker_payment:NOT pulling@n2` from 8.7 s to ~40 s). Steps time out through
 * all their attempts meanwhile and orders park in `stuck` with stock reserved and money charged.
 */
it(
  'a 3-node cluster at R3 loses no order when the SAGA_EVENTS leader or another node is SIGKILLed, and recovers within 20 s',
  async () => {
    let cluster: NatsCluster | undefined;
    let system: TestSystem | undefined;
    try {
      cluster = await startNatsCluster(3);
      system = await startSystem({ env: ENV, nats: cluster });
      const jsm = await jetstreamManager(await system.connection());
      // The topology really is replicated.
      for (const stream of WATCHED) expect((await jsm.streams.info(stream)).config.num_replicas).toBe(3);

      const run = new FaultRun('cluster', system);
      // The orchestrator's /ready, sampled: when it stopped and started answering 200.
      const timeline: string[] = [];
      const t0 = Date.now();
      let sampling = true;
      const sampler = (async () => {
        let last = 0;
        let lastPulls = '';
        while (sampling) {
          const status = await fetch(`${system!.baseUrl}/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, () => -1);
          if (status !== last) timeline.push(`${((Date.now() - t0) / 1000).toFixed(1)} s: /ready ${status}`);
          last = status;
          // And whether each durable consumer has a pull request waiting (a service pulling), and its leader.
          const pulls: string[] = [];
          for (const [stream, name] of CONSUMER_NAMES) {
            const info = await jsm.consumers.info(stream, name).catch(() => null);
            pulls.push(`${name}:${info ? `${info.num_waiting > 0 ? 'pulling' : 'NOT pulling'}@${info.cluster?.leader}` : 'no info'}`);
          }
          const now = pulls.join(' ');
          if (now !== lastPulls) timeline.push(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${now}`);
          lastPulls = now;
          await sleep(200);
        }
      })();
      const mark = (what: string) => timeline.push(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
      const notes: string[] = [];
      const leaderKills = sized(1, 3);
      const c = cluster;
      const killAndRestart = async (name: string, why: string) => {
        const node = c.node(name);
        mark(`SIGKILL ${name} (${why})`);
        const record = await run.fault('SIGKILL', `nats node ${name} (${why})`, () => node.kill(), () => node.restart(), sized(3000, 5000));
        mark(`${name} restarted at ${((record.healedAt! - t0) / 1000).toFixed(1)} s; probe order completed`);
        const catchUp = await caughtUp(jsm);
        const leaderNow = await leaderOf(jsm, STREAMS.events);
        notes.push(`${name} (${why}) killed: SAGA_EVENTS leader now ${leaderNow}, replicas current ${catchUp === null ? 'never' : `${catchUp} ms`} after the probe order completed`);
        expect(catchUp, `replicas catch up after ${name} restarted`).not.toBeNull();
      };
      const faults = (async () => {
        for (let i = 0; i < leaderKills; i++) {
          await sleep(1500);
          const leader = await leaderOf(jsm, STREAMS.events);
          expect(leader, 'SAGA_EVENTS has a leader').toBeTruthy();
          await killAndRestart(leader!, 'SAGA_EVENTS leader');
        }
        await sleep(1500);
        const leader = await leaderOf(jsm, STREAMS.events);
        // Prefer a node that leads a durable consumer: losing it moves that consumer's leader.
        const consumerLeaders = await Promise.all(CONSUMER_NAMES.map(([stream, name]) => jsm.consumers.info(stream, name).then((i) => i.cluster?.leader, () => undefined)));
        const others = c.nodes.filter((n) => n.name !== leader);
        const other = others.find((n) => consumerLeaders.includes(n.name)) ?? others[0]!;
        await killAndRestart(other.name, `not the SAGA_EVENTS leader; leads ${CONSUMER_NAMES.filter((_, k) => consumerLeaders[k] === other.name).map(([, n]) => n).join(', ') || 'no consumer'}`);
      })();
      await Promise.all([run.load({ orders: sized(80, 300), perSecond: sized(10, 12) }), faults]);
      sampling = false;
      await sampler;
      const report = await run.check({ settleMs: 120_000 });
      console.log(`[faults] cluster (${PROFILE}):\n  ${notes.join('\n  ')}\n  timeline:\n    ${timeline.join('\n    ')}`);
      expectClean(report, { minOrders: sized(80, 300) });
      expect(report.faults).toHaveLength(leaderKills + 1);
      // Losing one node of three on loopback should cost seconds, not a pull expiry.
      expect(report.faults.map((f) => f.recoveryMs ?? Infinity).every((ms) => ms < 20_000), 'every node loss recovered within 20 s').toBe(true);
    } finally {
      await system?.stop();
      await cluster?.stop();
    }
  },
  sized(180_000, 600_000),
);
