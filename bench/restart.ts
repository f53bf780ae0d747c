/**
 * Bench case: how long the orchestrator takes to come back with history behind it (issue 16).
 * With 100,000 and 1,000,000 completed sagas stored (BENCH_RESTART_SIZES), the orchestrator is
 * SIGKILLed and spawned again; an order is POSTed from the moment of spawn (retried until the API
 * takes it, with one Idempotency-Key) and followed to completion through GET /api/orders/:id.
 */
import { pollUntilFinal } from './api-completions.ts';
import { settle, startBenchSystem, startOrchestrator, type BenchSystem } from './bench-system.ts';
import { happyOrders } from './load.ts';
import { cpuMs, rssMiB } from './proc.ts';
import type { CaseResult, Progress } from './report.ts';
import { envSizes } from './settings.ts';
import { restartOnMoreSagas } from './stored-sagas.ts';

const RETRY_MS = 10;
const POLL_MS = 10;
const FRESH_ORDER_BOUND_MS = 600_000;

interface Comeback {
  size: number;
  catalogTotal: number;
  /** From spawn, in ms. */
  readyMs: number;
  acceptedMs: number;
  completedMs: number;
  rssMiB: number;
  /** CPU the orchestrator spent from spawn to ready. */
  cpuMsToReady: number;
}

/** POSTs one order from `spawnedAt` on until it is taken, then polls it to its end; times from spawn. */
async function freshOrder(bench: BenchSystem, key: string, spawnedAt: number): Promise<{ acceptedMs: number; completedMs: number }> {
  const deadline = spawnedAt + FRESH_ORDER_BOUND_MS;
  let orderId: string | undefined;
  while (!orderId) {
    orderId = await bench.submitter.submit(happyOrders(20_000_000), key).catch(async (error: unknown) => {
      if (performance.now() > deadline) throw error;
      await settle(RETRY_MS);
      return undefined;
    });
  }
  const acceptedMs = performance.now() - spawnedAt;
  const status = await pollUntilFinal(bench.system.baseUrl, orderId, POLL_MS, deadline);
  if (status !== 'completed') throw new Error(`the fresh order ${orderId} ended ${status}`);
  return { acceptedMs, completedMs: performance.now() - spawnedAt };
}

async function comeback(bench: BenchSystem, size: number, catalogTotal: number, progress: Progress): Promise<Comeback> {
  await bench.system.services.orchestrator.kill();
  const start = startOrchestrator(bench);
  const fresh = freshOrder(bench, `restart-${size}`, start.spawnedAt);
  const readyMs = (await start.ready) - start.spawnedAt;
  const pid = bench.system.services.orchestrator.pid!;
  const rss = rssMiB(pid);
  const cpuMsToReady = Math.round(cpuMs(pid));
  const { acceptedMs, completedMs } = await fresh;
  progress(`restart with ${size.toLocaleString()} stored: ready after ${Math.round(readyMs)} ms, a fresh order completed after ${Math.round(completedMs)} ms`);
  return { size, catalogTotal, readyMs, acceptedMs, completedMs, rssMiB: rss, cpuMsToReady };
}

const rowsOf = (c: Comeback): [string, string][] => {
  const label = `${c.size.toLocaleString()} stored (${c.catalogTotal.toLocaleString()} in the catalog)`;
  return [
    [`${label}: spawn to /ready 200`, `${Math.round(c.readyMs)} ms (orchestrator CPU ${c.cpuMsToReady} ms)`],
    [`${label}: spawn to a fresh order accepted / completed`, `${Math.round(c.acceptedMs)} / ${Math.round(c.completedMs)} ms`],
    [`${label}: orchestrator RSS after ready`, `${c.rssMiB} MiB`],
  ];
};

const jsonOf = (c: Comeback): Record<string, number> => ({
  [`restart${c.size}ReadyMs`]: Math.round(c.readyMs),
  [`restart${c.size}FreshAcceptedMs`]: Math.round(c.acceptedMs),
  [`restart${c.size}FreshCompletedMs`]: Math.round(c.completedMs),
  [`restart${c.size}RssMiB`]: c.rssMiB,
  [`restart${c.size}CpuMsToReady`]: c.cpuMsToReady,
});

export async function restartCase(progress: Progress): Promise<CaseResult> {
  const sizes = envSizes('BENCH_RESTART_SIZES', [100_000, 1_000_000]);
  const bench = await startBenchSystem({ completions: 'api' });
  try {
    const comebacks: Comeback[] = [];
    let stored = 0;
    for (const size of sizes) {
      const { catalogTotal } = await restartOnMoreSagas(bench, size - stored, progress);
      stored = size;
      // Let the first start-up's work (catalog, recovery) finish, so the kill hits a settled process.
      await settle(2000);
      comebacks.push(await comeback(bench, size, catalogTotal, progress));
    }
    return {
      name: 'restart',
      rows: [['orchestrator SIGKILLed and spawned again; a fresh order POSTed from spawn on', 'times from spawn'], ...comebacks.flatMap(rowsOf)],
      json: { restartSizes: sizes.join(','), ...Object.assign({}, ...comebacks.map(jsonOf)) },
    };
  } finally {
    await bench.stop();
  }
}
