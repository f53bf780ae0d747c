/**
 * Bench case: the orders list with 100,000 sagas stored. Writes realistic saga entries
 * straight into the KV bucket (built by the same pure core the runtime uses, in a mix of
 * final and stuck states), starts a real orchestrator on them, then times the first page and
 * filtered pages over HTTP.
 */
import { spawn } from 'node:child_process';
import { connectNats, ensureTopology } from '../lib/topology.ts';
import { encodeStoredEntry } from '../orchestrator/saga/stored-entry.ts';
import { newOrderId } from '../orchestrator/http/order-ids.ts';
import { freePort, startNats, waitForPort } from '../test/support/nats-server.ts';
import { rssMiB } from './proc.ts';
import { percentile, type CaseResult, type Progress } from './report.ts';
import { envNumber } from './settings.ts';
import { storedSaga } from './stored-sagas.ts';
import { runWindowed } from './window.ts';

/** 90% completed, 9% declined (cancelled), 1% stuck at shipping. */
function sagaFor(n: number, now: number) {
  const orderId = newOrderId(now - (100_000 - n) * 10);
  const outcome = n % 100 === 0 ? 'stuck' : n % 10 === 0 ? 'cancelled' : 'completed';
  return storedSaga({ orderId, customerId: `cust-${n % 5000}`, sku: `SKU-${n % 97}` }, outcome, now);
}

async function timeRequests(url: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    times.push(performance.now() - start);
  }
  return times;
}

export async function listQueryCase(progress: Progress, sagas = envNumber('BENCH_LIST_SAGAS', 100_000)): Promise<CaseResult> {
  const nats = await startNats();
  const setup = await connectNats({ natsUrl: nats.url }, 'bench');
  const { sagas: bucket } = await ensureTopology(setup, { natsReplicas: 1 });
  const now = Date.now();
  await runWindowed({ window: 2000, count: sagas }, (n) => {
    if (n % 10_000 === 0) progress(`list: stored ${n.toLocaleString()} of ${sagas.toLocaleString()} sagas`);
    const entry = sagaFor(n, now);
    return bucket.put(entry.orderId, encodeStoredEntry(entry));
  });
  await setup.nc.drain();

  const port = await freePort();
  const started = performance.now();
  const orchestrator = spawn(process.execPath, ['--import', 'tsx', 'orchestrator/main.ts'], {
    env: { ...process.env, NATS_URL: nats.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  try {
    await waitForPort(port, 120_000);
    const base = `http://127.0.0.1:${port}`;
    while ((await fetch(`${base}/ready`)).status !== 200) await new Promise((r) => setTimeout(r, 100));
    const readyMs = performance.now() - started;
    progress('list: orchestrator ready; timing queries');
    await timeRequests(`${base}/api/orders?limit=50`, 20); // warm-up
    const firstPage = await timeRequests(`${base}/api/orders?limit=50`, 200);
    const stuckPage = await timeRequests(`${base}/api/orders?status=stuck&limit=50`, 100);
    const customerPage = await timeRequests(`${base}/api/orders?q=cust-4242&limit=50`, 100);
    const overview = await timeRequests(`${base}/api/overview`, 100);
    const rss = rssMiB(orchestrator.pid!);
    return {
      name: 'list',
      rows: [
        ['sagas stored', sagas.toLocaleString()],
        ['orchestrator start to ready (catalog loaded)', `${Math.round(readyMs)} ms`],
        ['first page (limit 50) p50 / p95 / p99', `${percentile(firstPage, 50)} / ${percentile(firstPage, 95)} / ${percentile(firstPage, 99)} ms`],
        ['status=stuck (1%) p50 / p95', `${percentile(stuckPage, 50)} / ${percentile(stuckPage, 95)} ms`],
        ['search by customer (1 in 5,000 match) p50 / p95', `${percentile(customerPage, 50)} / ${percentile(customerPage, 95)} ms`],
        ['overview counts p50 / p95', `${percentile(overview, 50)} / ${percentile(overview, 95)} ms`],
        ['orchestrator resident memory', `${rss} MiB`],
      ],
      json: {
        listSagas: sagas,
        listFirstPageP50Ms: percentile(firstPage, 50),
        listFirstPageP95Ms: percentile(firstPage, 95),
        listFirstPageP99Ms: percentile(firstPage, 99),
        listStuckPageP95Ms: percentile(stuckPage, 95),
        listSearchP95Ms: percentile(customerPage, 95),
        overviewP95Ms: percentile(overview, 95),
        orchestratorReadyMs: Math.round(readyMs),
        orchestratorRssMiB: rss,
      },
    };
  } finally {
    orchestrator.kill('SIGKILL');
    await nats.stop();
  }
}

