/**
 * Bench case: the cost of the durable profile. The same closed-loop load of happy orders runs
 * on one nats-server with one replica (survives process crashes) and on a 3-node cluster with
 * every stream and bucket at 3 replicas (survives losing a machine). Debian's nats-server 2.9
 * has no sync_interval, so replication is the durable profile here.
 */
import { startNatsCluster } from '../test/support/nats-cluster.ts';
import { startNats, type TestNats } from '../test/support/nats-server.ts';
import { startBenchSystem } from './bench-system.ts';
import { closedLoop } from './load.ts';
import { percentile, type CaseResult, type Progress } from './report.ts';
import { envNumber } from './settings.ts';

interface ProfileResult {
  sagasPerSec: number;
  submitP50Ms: number;
  submitP99Ms: number;
}

async function runProfile(nats: TestNats, replicas: number, orders: number, progress: Progress): Promise<ProfileResult> {
  const bench = await startBenchSystem({ nats, env: { NATS_REPLICAS: String(replicas) } });
  try {
    const result = await closedLoop(bench, { label: `durability R${replicas}`, orders, progress, submitters: 32 });
    return { sagasPerSec: result.sagasPerSec, submitP50Ms: percentile(result.submitMs, 50), submitP99Ms: percentile(result.submitMs, 99) };
  } finally {
    await bench.stop();
  }
}

export async function durabilityCase(progress: Progress, orders = envNumber('BENCH_DURABILITY_ORDERS', 2000)): Promise<CaseResult> {
  const single = await startNats();
  const r1 = await runProfile(single, 1, orders, progress).finally(() => single.stop());
  const cluster = await startNatsCluster(3);
  await cluster.waitForMetaLeader();
  const r3 = await runProfile(cluster, 3, orders, progress).finally(() => cluster.stop());
  const cost = Math.round((1 - r3.sagasPerSec / r1.sagasPerSec) * 100);
  return {
    name: 'durability',
    rows: [
      ['orders per profile (closed loop, 32 submitters, all processes on this machine)', String(orders)],
      ['1 server, R1 (survives process crashes): completed sagas/s', String(r1.sagasPerSec)],
      ['1 server, R1: submit latency p50 / p99', `${r1.submitP50Ms} / ${r1.submitP99Ms} ms`],
      ['3-node cluster, R3 (survives losing a node): completed sagas/s', String(r3.sagasPerSec)],
      ['3-node cluster, R3: submit latency p50 / p99', `${r3.submitP50Ms} / ${r3.submitP99Ms} ms`],
      ['throughput cost of R3', `${cost}%`],
    ],
    json: {
      r1SagasPerSec: r1.sagasPerSec,
      r3SagasPerSec: r3.sagasPerSec,
      r1SubmitP99Ms: r1.submitP99Ms,
      r3SubmitP99Ms: r3.submitP99Ms,
      durableProfileCostPct: cost,
    },
  };
}
