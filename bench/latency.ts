/**
 * Bench case: how long an order takes from when it is due to its final status, under a fixed
 * offered rate (open loop, so a slow system cannot hide its queueing): at 200 orders/s, and at
 * half the closed-loop maximum measured by the throughput case (or BENCH_MAX_RATE).
 */
import { startBenchSystem, warmUp, type BenchSystem } from './bench-system.ts';
import { openLoop } from './load.ts';
import { percentile, type CaseResult, type Progress, type Results } from './report.ts';
import { envNumber } from './settings.ts';

interface RateResult {
  offered: number;
  achieved: number;
  p50: number;
  p95: number;
  p99: number;
}

async function atRate(bench: BenchSystem, ratePerSec: number, seconds: number, firstIndex: number, progress: Progress): Promise<RateResult> {
  const orders = Math.round(ratePerSec * seconds);
  const result = await openLoop(bench, { label: `latency at ${ratePerSec}/s`, orders, ratePerSec, firstIndex, progress });
  const ms = (p: number) => Math.round(percentile(result.latencyMs, p));
  return { offered: ratePerSec, achieved: result.sagasPerSec, p50: ms(50), p95: ms(95), p99: ms(99) };
}

const row = (label: string, r: RateResult): [string, string][] => [
  [`${label}: offered / achieved sagas/s`, `${r.offered} / ${r.achieved}`],
  [`${label}: due to final p50 / p95 / p99`, `${r.p50} / ${r.p95} / ${r.p99} ms`],
];

export async function latencyCase(progress: Progress, earlier: Results): Promise<CaseResult> {
  const seconds = envNumber('BENCH_LATENCY_SECONDS', 20);
  const fixedRate = envNumber('BENCH_LATENCY_RATE', 200);
  const maxRate = Number(earlier.sagasPerSec) || Number(process.env.BENCH_MAX_RATE) || undefined;
  const bench = await startBenchSystem();
  try {
    await warmUp(bench, progress);
    const fixed = await atRate(bench, fixedRate, seconds, 0, progress);
    const half = maxRate ? await atRate(bench, Math.round(maxRate / 2), seconds, 1_000_000, progress) : undefined;
    if (!half) progress('latency: no closed-loop maximum in this run and no BENCH_MAX_RATE: half-max rate skipped');
    return {
      name: 'latency',
      rows: [['open loop, happy orders', `${seconds} s per rate`], ...row(`${fixedRate}/s`, fixed), ...(half ? row('half the closed-loop maximum', half) : [])],
      json: {
        latencyOfferedPerSec: fixed.offered,
        latencyAchievedPerSec: fixed.achieved,
        p50Ms: fixed.p50,
        p95Ms: fixed.p95,
        p99Ms: fixed.p99,
        ...(half
          ? { halfMaxOfferedPerSec: half.offered, halfMaxAchievedPerSec: half.achieved, halfMaxP50Ms: half.p50, halfMaxP95Ms: half.p95, halfMaxP99Ms: half.p99 }
          : {}),
      },
    };
  } finally {
    await bench.stop();
  }
}
