/**
 * Bench case: the cost of the durable profile. The same closed-loop load of happy orders runs
 * on one nats-server with one replica (survives process crashes) and on a 3-node cluster with
 * every stream and bucket at 3 replicas (survives losing a machine). Debian's nats-server 2.9
 * has no sync_interval, so replication is the durable profile here.
 */
import { percentile, type CaseResult, type Progress } from './report.ts';
import { startNatsCluster } from '../test/support/nats-cluster.ts';
import { startNats, type TestNats } from '../test/support/nats-server.ts';
import { startSystem } from '../test/support/system.ts';

interface ProfileResult {
  sagasPerSec: number;
  submitP50Ms: number;
  submitP99Ms: number;
}

async function runProfile(nats: TestNats, replicas: number, orders: number, progress: Progress): Promise<ProfileResult> {
  const system = await startSystem({
    nats,
    env: { NATS_REPLICAS: String(replicas), LOG_LEVEL: 'error', WORKER_POOL_SIZE: '64', STEP_TIMEOUT_MS: '30000' },
  });
  try {
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < orders) {
          const n = next++;
          const t = performance.now();
          const response = await system.api('/api/orders', { body: { customerId: `bench-${n}`, items: [{ sku: `SKU-${n % 50}`, quantity: 1, unitPriceCents: 100 }] } });
          latencies.push(performance.now() - t);
          if (response.status !== 202) throw new Error(`submit answered ${response.status}`);
        }
      }),
    );
    for (;;) {
      const overview = (await system.api('/api/overview')).body;
      if (overview.byStatus.completed >= orders) break;
      if (performance.now() - started > 300_000) throw new Error('orders did not complete within 5 minutes');
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    progress(`durability: R${replicas} ${orders} orders completed in ${seconds.toFixed(1)} s`);
    return { sagasPerSec: Math.round(orders / seconds), submitP50Ms: percentile(latencies, 50), submitP99Ms: percentile(latencies, 99) };
  } finally {
    await system.stop();
  }
}

export async function durabilityCase(progress: Progress, orders = 2000): Promise<CaseResult> {
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
