/**
 * Bench case: does the public path slow down as finished sagas pile up (issue 16)? One system per
 * size of BENCH_HISTORY_SIZES (0, 100,000 and 1,000,000 completed sagas by default), each with
 * its own nats-server: its sagas are written straight into the bucket with the orchestrator down,
 * then it starts on them (its index takes them all in) and warms up. Then the frontdoor run (50
 * in flight, with keys) goes round the systems BENCH_HISTORY_ROUNDS times, one after the other,
 * in a rotated order each round: every size meets the same host load, and each size's change is
 * the median of its changes against the empty store within each round.
 */
import { startBenchSystem, warmUp, type BenchSystem } from './bench-system.ts';
import { frontdoorRows, frontdoorRun, type FrontdoorRun } from './frontdoor.ts';
import { percentile, type CaseResult, type Progress } from './report.ts';
import { envNumber, envSizes } from './settings.ts';
import { restartOnMoreSagas, type Restock } from './stored-sagas.ts';

interface Point {
  size: number;
  bench: BenchSystem;
  restock: Restock;
  runs: FrontdoorRun[];
}

const IN_FLIGHT = 50;

const median = (values: number[]) => percentile(values, 50);
const changePct = (value: number, base: number) => Math.round(((value - base) / base) * 1000) / 10;
const signed = (pct: number) => `${pct > 0 ? '+' : ''}${pct}%`;

/** The run of a point with the median throughput: its latencies and CPU stand for the point. */
function medianRun(point: Point): FrontdoorRun {
  const sorted = [...point.runs].sort((a, b) => a.sagasPerSec - b.sagasPerSec);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Per round, the point's throughput and system CPU per saga against the empty store's in that round. */
function pairedChanges(point: Point, empty: Point): { sagasPerSec: number; cpu: number } {
  const rounds = point.runs.map((run, round) => ({
    sagasPerSec: changePct(run.sagasPerSec, empty.runs[round]!.sagasPerSec),
    cpu: changePct(run.cpu.cpuMsPerSagaSystem ?? 0, empty.runs[round]!.cpu.cpuMsPerSagaSystem ?? 0),
  }));
  return { sagasPerSec: median(rounds.map((r) => r.sagasPerSec)), cpu: median(rounds.map((r) => r.cpu)) };
}

export async function historyCase(progress: Progress): Promise<CaseResult> {
  const sizes = envSizes('BENCH_HISTORY_SIZES', [0, 100_000, 1_000_000]);
  const orders = envNumber('BENCH_FRONTDOOR_ORDERS', 10_000);
  const rounds = envNumber('BENCH_HISTORY_ROUNDS', 3);
  const points: Point[] = [];
  try {
    for (const size of sizes) {
      const bench = await startBenchSystem({ completions: 'api' });
      const point: Point = { size, bench, restock: undefined as unknown as Restock, runs: [] };
      points.push(point);
      point.restock = await restartOnMoreSagas(bench, size, progress);
      await warmUp(bench, progress);
    }
    for (let round = 0; round < rounds; round++) {
      for (let turn = 0; turn < points.length; turn++) {
        const i = (turn + round) % points.length;
        const point = points[i]!;
        // Each run's keys and customers apart from every other's.
        const run = await frontdoorRun(point.bench, {
          label: `history ${point.size.toLocaleString()} stored, round ${round + 1}`,
          orders,
          inFlight: IN_FLIGHT,
          keyed: true,
          firstIndex: (i * rounds + round + 1) * 1_000_000,
          progress,
        });
        point.runs[round] = run;
      }
    }
    const empty = points[0]!;
    const rows: [string, string][] = [
      ['orders per run (frontdoor: key, completion on the stream)', `${orders} at ${IN_FLIGHT} in flight; ${rounds} rounds over the sizes, each size on its own system, in a rotated order`],
    ];
    const json: Record<string, number | string> = { historyOrders: orders, historySizes: sizes.join(','), historyRounds: rounds };
    for (const point of points) {
      const label = `${point.size.toLocaleString()} stored`;
      const { seeding, readyMs, caughtUpMs, catalogTotal } = point.restock;
      const change = pairedChanges(point, empty);
      if (seeding) rows.push([`${label}: written into the bucket`, `${seeding.count.toLocaleString()} at ${seeding.perSec}/s (${seeding.seconds.toFixed(1)} s)`]);
      rows.push([`${label}: orchestrator spawn to ready / to its index holding all / sagas in it`, `${Math.round(readyMs)} ms / ${Math.round(caughtUpMs)} ms / ${catalogTotal.toLocaleString()}`]);
      rows.push([`${label}: sagas/s in each round`, point.runs.map((run) => run.sagasPerSec).join(' / ')]);
      rows.push(...frontdoorRows(`${label} (median round)`, medianRun(point)));
      if (point !== empty) rows.push([`${label}: vs the empty store, median of the rounds`, `sagas/s ${signed(change.sagasPerSec)}, system CPU per saga ${signed(change.cpu)}`]);
      const prefix = `history${point.size}`;
      Object.assign(json, {
        [`${prefix}SagasPerSec`]: median(point.runs.map((run) => run.sagasPerSec)),
        [`${prefix}P99Ms`]: medianRun(point).p99,
        [`${prefix}ChangePct`]: change.sagasPerSec,
        [`${prefix}CpuChangePct`]: change.cpu,
        [`${prefix}ReadyMs`]: Math.round(readyMs),
        [`${prefix}IndexCaughtUpMs`]: Math.round(caughtUpMs),
        [`${prefix}CpuMsPerSagaOrchestrator`]: medianRun(point).cpu.cpuMsPerSagaOrchestrator ?? 0,
        [`${prefix}CpuMsPerSagaNats`]: medianRun(point).cpu.cpuMsPerSagaNats ?? 0,
        ...(seeding ? { [`${prefix}SeedPerSec`]: seeding.perSec } : {}),
      });
    }
    return { name: 'history', rows, json };
  } finally {
    await Promise.allSettled(points.map((point) => point.bench.stop()));
  }
}
