/**
 * Bench case: the public path as a client uses it (issue 16). Each order is POSTed with an
 * Idempotency-Key and its completion is seen on the API's live stream (GET /api/stream), with a
 * fixed number of orders in flight from POST to completion: 50, then 400. The same at 50 without
 * a key, alternated with the keyed run over BENCH_FRONTDOOR_ROUNDS rounds, shows what the key
 * costs: the API looks the key's order up before it stores a new one.
 */
import { ApiCompletions } from './api-completions.ts';
import { settle, startBenchSystem, warmUp, type BenchSystem } from './bench-system.ts';
import { costPerSaga, costSnapshot } from './cost.ts';
import { closedLoop } from './load.ts';
import { percentile, type CaseResult, type Progress } from './report.ts';
import { envNumber } from './settings.ts';

export interface FrontdoorRun {
  sagasPerSec: number;
  /** POST to completion seen on the stream, in ms. */
  p50: number;
  p95: number;
  p99: number;
  /** CPU ms per saga by JSON key (`cpuMsPerSagaOrchestrator`, …, `cpuMsPerSagaSystem`, `cpuMsPerSagaBench`). */
  cpu: Record<string, number>;
}

/** One closed-loop run of `orders` with `inFlight` of them between POST and completion, and the CPU it cost each process. */
export async function frontdoorRun(
  bench: BenchSystem,
  options: { label: string; orders: number; inFlight: number; keyed: boolean; firstIndex: number; progress: Progress },
): Promise<FrontdoorRun> {
  const { label, orders, inFlight, keyed, firstIndex, progress } = options;
  const nc = await bench.system.connection();
  const before = await costSnapshot(nc, bench.processes());
  const result = await closedLoop(bench, {
    label,
    orders,
    firstIndex,
    progress,
    submitters: inFlight,
    maxInFlight: inFlight,
    ...(keyed ? { idempotencyKey: (n: number) => `frontdoor-${n}` } : {}),
  });
  await settle();
  const after = await costSnapshot(nc, bench.processes());
  const cost = costPerSaga(before, after, { measured: result.orders, stored: result.orders }, bench.processes());
  const ms = (p: number) => Math.round(percentile(result.latencyMs, p));
  return {
    sagasPerSec: result.sagasPerSec,
    p50: ms(50),
    p95: ms(95),
    p99: ms(99),
    cpu: Object.fromEntries(Object.entries(cost).filter(([key]) => key.startsWith('cpuMsPerSaga'))),
  };
}

const cpuText = (run: FrontdoorRun) =>
  Object.entries(run.cpu)
    .map(([key, ms]) => `${key.slice('cpuMsPerSaga'.length).toLowerCase()} ${ms}`)
    .join(', ');

export const frontdoorRows = (label: string, run: FrontdoorRun): [string, string][] => [
  [`${label}: completed sagas/s`, String(run.sagasPerSec)],
  [`${label}: POST to completion seen, p50 / p95 / p99`, `${run.p50} / ${run.p95} / ${run.p99} ms`],
  [`${label}: CPU ms per saga`, cpuText(run)],
];

const jsonOf = (prefix: string, run: FrontdoorRun): Record<string, number> => ({
  [`${prefix}SagasPerSec`]: run.sagasPerSec,
  [`${prefix}P50Ms`]: run.p50,
  [`${prefix}P95Ms`]: run.p95,
  [`${prefix}P99Ms`]: run.p99,
  ...Object.fromEntries(Object.entries(run.cpu).map(([key, ms]) => [`${prefix}${key[0]!.toUpperCase()}${key.slice(1)}`, ms])),
});

const pctMore = (value: number | undefined, base: number | undefined) => (value && base ? Math.round(((value - base) / base) * 100) : 0);
const signed = (pct: number) => `${pct > 0 ? '+' : ''}${pct}%`;

export async function frontdoorCase(progress: Progress): Promise<CaseResult> {
  const orders = envNumber('BENCH_FRONTDOOR_ORDERS', 10_000);
  const bench = await startBenchSystem({ completions: 'api' });
  try {
    await warmUp(bench, progress);
    const run = (label: string, inFlight: number, keyed: boolean, firstIndex: number) => frontdoorRun(bench, { label, orders, inFlight, keyed, firstIndex, progress });
    // With and without the key alternate, in a rotated order, so both meet the same host load;
    // the key's cost is the median of its cost within each round.
    const rounds = envNumber('BENCH_FRONTDOOR_ROUNDS', 3);
    const keyedRuns: FrontdoorRun[] = [];
    const bareRuns: FrontdoorRun[] = [];
    for (let round = 0; round < rounds; round++) {
      const keyedFirst = round % 2 === 0;
      for (const keyed of keyedFirst ? [true, false] : [false, true]) {
        const label = `frontdoor 50 in flight${keyed ? '' : ', no key'}, round ${round + 1}`;
        (keyed ? keyedRuns : bareRuns).push(await run(label, 50, keyed, (round * 2 + (keyed ? 0 : 1)) * 1_000_000));
      }
    }
    const keyed400 = await run('frontdoor 400 in flight', 400, true, 100_000_000);
    const middle = (runs: FrontdoorRun[]) => [...runs].sort((a, b) => a.sagasPerSec - b.sagasPerSec)[Math.floor(runs.length / 2)]!;
    const keyed50 = middle(keyedRuns);
    const bare50 = middle(bareRuns);
    const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const keyCosts = keyedRuns.map((keyedRun, round) => pctMore(keyedRun.cpu.cpuMsPerSagaSystem, bareRuns[round]!.cpu.cpuMsPerSagaSystem));
    const keyCostsOrchestrator = keyedRuns.map((keyedRun, round) => pctMore(keyedRun.cpu.cpuMsPerSagaOrchestrator, bareRuns[round]!.cpu.cpuMsPerSagaOrchestrator));
    const keyCostPct = medianOf(keyCosts);
    const keyCostOrchestratorPct = medianOf(keyCostsOrchestrator);
    const cuts = bench.watch instanceof ApiCompletions ? bench.watch.cuts : 0;
    return {
      name: 'frontdoor',
      rows: [
        ['orders per run (POST with Idempotency-Key, completion seen on GET /api/stream)', `${orders}; with and without the key alternate over ${rounds} rounds (the median round shown)${cuts ? ` (the stream was cut ${cuts} times and read again)` : ''}`],
        ...frontdoorRows('50 in flight', keyed50),
        ...frontdoorRows('400 in flight', keyed400),
        ...frontdoorRows('50 in flight, no Idempotency-Key', bare50),
        ['sagas/s per round, with the key / without', keyedRuns.map((keyedRun, round) => `${keyedRun.sagasPerSec} / ${bareRuns[round]!.sagasPerSec}`).join(', ')],
        ['CPU per saga with the key vs without, per round (system)', keyCosts.map(signed).join(', ')],
        ['CPU per saga with the key vs without, median of the rounds: system / orchestrator', `${signed(keyCostPct)} / ${signed(keyCostOrchestratorPct)}`],
      ],
      json: {
        frontdoorOrders: orders,
        frontdoorRounds: rounds,
        ...jsonOf('frontdoor50', keyed50),
        ...jsonOf('frontdoor400', keyed400),
        ...jsonOf('frontdoor50NoKey', bare50),
        frontdoorKeyCpuCostPct: keyCostPct,
        frontdoorKeyOrchestratorCpuCostPct: keyCostOrchestratorPct,
        frontdoorStreamCuts: cuts,
      },
    };
  } finally {
    await bench.stop();
  }
}
