/**
 * Bench case: what a second instance buys. The same closed-loop load on one of everything, on
 * two orchestrators (orders spread round-robin over both APIs), and on two of each worker. On a
 * 2-core machine every process shares the same cores, so this shows the overhead of running
 * instances side by side more than the gain of more machines.
 */
import type { ServiceName } from '../test/support/system.ts';
import { startBenchSystem, warmUp } from './bench-system.ts';
import { closedLoop } from './load.ts';
import type { CaseResult, Progress } from './report.ts';
import { envNumber } from './settings.ts';

async function sagasPerSec(label: string, orders: number, progress: Progress, extraInstances?: Partial<Record<ServiceName, number>>): Promise<number> {
  const bench = await startBenchSystem(extraInstances ? { extraInstances } : {});
  try {
    await warmUp(bench, progress);
    return (await closedLoop(bench, { label, orders, progress })).sagasPerSec;
  } finally {
    await bench.stop();
  }
}

export async function scaleCase(progress: Progress): Promise<CaseResult> {
  const orders = envNumber('BENCH_SCALE_ORDERS', 10_000);
  const one = await sagasPerSec('scale 1 of each', orders, progress);
  const twoOrchestrators = await sagasPerSec('scale 2 orchestrators', orders, progress, { orchestrator: 1 });
  const twoOfEachWorker = await sagasPerSec('scale 2 of each worker', orders, progress, { inventory: 1, payment: 1, shipping: 1 });
  return {
    name: 'scale',
    rows: [
      ['orders per run (closed loop)', String(orders)],
      ['1 orchestrator, 1 of each worker: sagas/s', String(one)],
      ['2 orchestrators: sagas/s', String(twoOrchestrators)],
      ['2 of each worker: sagas/s', String(twoOfEachWorker)],
    ],
    json: { scaleOrders: orders, sagasPerSecOneOrchestrator: one, sagasPerSecTwoOrchestrators: twoOrchestrators, sagasPerSecTwoOfEachWorker: twoOfEachWorker },
  };
}
