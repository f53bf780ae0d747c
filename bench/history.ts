/**
 * Bench case: does the public path slow down as finished sagas pile up (issue 16)? The frontdoor
 * run at 50 in flight, with keys, after 0, 100,000 and 1,000,000 completed sagas stored
 * (BENCH_HISTORY_SIZES), on one system: before each size the orchestrator is SIGKILLed, the
 * sagas that take the store to that size are written straight into the bucket, and it starts
 * again on them (its start-up reads the stored set) and warms up before the run.
 */
import { startBenchSystem, warmUp } from './bench-system.ts';
import { frontdoorRows, frontdoorRun, type FrontdoorRun } from './frontdoor.ts';
import type { CaseResult, Progress } from './report.ts';
import { envNumber, envSizes } from './settings.ts';
import { restartOnMoreSagas, type Restock } from './stored-sagas.ts';

interface Point {
  size: number;
  restock: Restock;
  run: FrontdoorRun;
}

const IN_FLIGHT = 50;

function rowsOf(point: Point, changePct: number): [string, string][] {
  const label = `${point.size.toLocaleString()} stored`;
  const { seeding, readyMs, catalogTotal } = point.restock;
  return [
    ...(seeding ? ([[`${label}: written into the bucket`, `${seeding.count.toLocaleString()} more at ${seeding.perSec}/s (${seeding.seconds.toFixed(1)} s)`]] as [string, string][]) : []),
    [`${label}: orchestrator spawn to ready / to its index holding all / sagas in it`, `${Math.round(readyMs)} ms / ${Math.round(point.restock.caughtUpMs)} ms / ${catalogTotal.toLocaleString()}`],
    ...frontdoorRows(label, point.run),
    [`${label}: sagas/s vs the empty store`, `${changePct > 0 ? '+' : ''}${changePct}%`],
  ];
}

function jsonOf(point: Point, changePct: number): Record<string, number> {
  const prefix = `history${point.size}`;
  return {
    [`${prefix}SagasPerSec`]: point.run.sagasPerSec,
    [`${prefix}P99Ms`]: point.run.p99,
    [`${prefix}ChangePct`]: changePct,
    [`${prefix}ReadyMs`]: Math.round(point.restock.readyMs),
    [`${prefix}IndexCaughtUpMs`]: Math.round(point.restock.caughtUpMs),
    [`${prefix}CpuMsPerSagaOrchestrator`]: point.run.cpu.cpuMsPerSagaOrchestrator ?? 0,
    ...(point.restock.seeding ? { [`${prefix}SeedPerSec`]: point.restock.seeding.perSec } : {}),
  };
}

export async function historyCase(progress: Progress): Promise<CaseResult> {
  const sizes = envSizes('BENCH_HISTORY_SIZES', [0, 100_000, 1_000_000]);
  const orders = envNumber('BENCH_FRONTDOOR_ORDERS', 10_000);
  const bench = await startBenchSystem({ completions: 'api' });
  try {
    const points: Point[] = [];
    let stored = 0;
    for (const [i, size] of sizes.entries()) {
      const restock = await restartOnMoreSagas(bench, size - stored, progress);
      stored = size;
      await warmUp(bench, progress);
      // Each size's keys and customers apart from the others'.
      const run = await frontdoorRun(bench, { label: `history ${size.toLocaleString()} stored`, orders, inFlight: IN_FLIGHT, keyed: true, firstIndex: i * 1_000_000, progress });
      points.push({ size, restock, run });
    }
    const empty = points[0]!.run.sagasPerSec;
    const change = (point: Point) => Math.round(((point.run.sagasPerSec - empty) / empty) * 100);
    return {
      name: 'history',
      rows: [
        ['orders per size (frontdoor: key, completion on the stream)', `${orders} at ${IN_FLIGHT} in flight, after a warm-up on the restarted orchestrator`],
        ...points.flatMap((point) => rowsOf(point, change(point))),
      ],
      json: { historyOrders: orders, historySizes: sizes.join(','), ...Object.assign({}, ...points.map((point) => jsonOf(point, change(point)))) },
    };
  } finally {
    await bench.stop();
  }
}
