/**
 * Bench case: does the orchestrator's memory stay put as sagas pile up? Its resident memory at
 * 10,000 and at 100,000 completed sagas in one system (closed loop).
 *
 * A single reading of a Node process's RSS says more about when V8 last collected garbage than
 * about what the process keeps: one run read 299 MiB at 10,000 sagas and 277 MiB at 100,000.
 * So the case samples RSS four times a second under load and takes, for each point, the median
 * over the last fifth of the stretch that led to it (8,000–10,000 and 82,000–100,000 sagas).
 *
 * Beside it, the settled reading: the load stops and the lowest RSS over the next
 * BENCH_MEMORY_REST_SECONDS (60) is taken. Under load, the old generation carries up to three
 * times what lives in it, garbage that the next major collection will free; once allocation has
 * been quiet for a while, V8's memory reducer collects and gives the pages back (one run: 316 →
 * 175 MiB after about 35 s, the live heap 32 MiB). What is left is what the process keeps.
 */
import { settle, startBenchSystem } from './bench-system.ts';
import { closedLoop } from './load.ts';
import { percentile, type CaseResult, type Progress } from './report.ts';
import { rssMiB } from './proc.ts';
import { envNumber } from './settings.ts';

interface Reading {
  /** Median RSS in MiB over the last fifth of the stretch, under load. */
  underLoad: number;
  /** The lowest RSS in MiB while the load rests. */
  settled: number;
}

export async function memoryCase(progress: Progress): Promise<CaseResult> {
  const total = envNumber('BENCH_MEMORY_ORDERS', 100_000);
  const first = Math.min(10_000, Math.round(total / 10));
  const restMs = envNumber('BENCH_MEMORY_REST_SECONDS', 60) * 1000;
  const bench = await startBenchSystem();
  const pid = bench.processes().get('orchestrator')!;
  try {
    const stretch = async (orders: number, firstIndex: number): Promise<Reading> => {
      const samples: { at: number; mib: number }[] = [];
      const sampler = setInterval(() => samples.push({ at: performance.now(), mib: rssMiB(pid) }), 250);
      const startedAt = performance.now();
      await closedLoop(bench, { label: 'memory', orders, firstIndex, progress });
      clearInterval(sampler);
      // A short stretch (a quick check) may end before the first tick.
      samples.push({ at: performance.now(), mib: rssMiB(pid) });
      const lastFifth = startedAt + ((performance.now() - startedAt) * 4) / 5;
      const underLoad = Math.round(percentile(samples.filter((s) => s.at >= lastFifth).map((s) => s.mib), 50));
      let settled = rssMiB(pid);
      for (const restUntil = performance.now() + restMs; performance.now() < restUntil; ) {
        await settle(1000);
        settled = Math.min(settled, rssMiB(pid));
      }
      return { underLoad, settled };
    };
    const atFirst = await stretch(first, 0);
    progress(`memory: orchestrator at ${atFirst.underLoad} MiB under load, ${atFirst.settled} MiB settled, after ${first} sagas`);
    const atTotal = await stretch(total - first, first);
    const growth = (from: number, to: number) => Math.round(((to - from) / from) * 100);
    const growthPct = growth(atFirst.underLoad, atTotal.underLoad);
    return {
      name: 'memory',
      rows: [
        [`orchestrator RSS at ${first.toLocaleString()} sagas: under load (median) / settled`, `${atFirst.underLoad} / ${atFirst.settled} MiB`],
        [`orchestrator RSS at ${total.toLocaleString()} sagas: under load (median) / settled`, `${atTotal.underLoad} / ${atTotal.settled} MiB`],
        ['growth under load / settled', `${growthPct}% / ${growth(atFirst.settled, atTotal.settled)}%`],
      ],
      // Keys name the full-size points; the sample counts say what a smaller run measured.
      json: {
        memoryFirstSampleSagas: first,
        memoryLastSampleSagas: total,
        rssMiBAt10k: atFirst.underLoad,
        rssMiBAt100k: atTotal.underLoad,
        rssGrowthPct: growthPct,
        rssMiBSettledAt10k: atFirst.settled,
        rssMiBSettledAt100k: atTotal.settled,
        rssGrowthSettledPct: growth(atFirst.settled, atTotal.settled),
      },
    };
  } finally {
    await bench.stop();
  }
}
