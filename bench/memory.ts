/**
 * Bench case: does the orchestrator's memory stay put as sagas pile up? Its resident memory
 * after 10,000 and after 100,000 completed sagas in one system (closed loop; the load pauses
 * at each sample while the last sagas finish, then a short settle).
 */
import { settle, startBenchSystem } from './bench-system.ts';
import { closedLoop } from './load.ts';
import type { CaseResult, Progress } from './report.ts';
import { rssMiB } from './proc.ts';
import { envNumber } from './settings.ts';

export async function memoryCase(progress: Progress): Promise<CaseResult> {
  const total = envNumber('BENCH_MEMORY_ORDERS', 100_000);
  const first = Math.min(10_000, Math.round(total / 10));
  const bench = await startBenchSystem();
  try {
    const orchestratorRss = async () => {
      await settle(2000);
      return rssMiB(bench.processes().get('orchestrator')!);
    };
    await closedLoop(bench, { label: 'memory', orders: first, progress });
    const atFirst = await orchestratorRss();
    progress(`memory: orchestrator at ${atFirst} MiB after ${first} sagas`);
    await closedLoop(bench, { label: 'memory', orders: total - first, firstIndex: first, progress });
    const atTotal = await orchestratorRss();
    const growthPct = Math.round(((atTotal - atFirst) / atFirst) * 100);
    return {
      name: 'memory',
      rows: [
        [`orchestrator resident memory after ${first.toLocaleString()} sagas`, `${atFirst} MiB`],
        [`orchestrator resident memory after ${total.toLocaleString()} sagas`, `${atTotal} MiB`],
        ['growth', `${growthPct}%`],
      ],
      // Keys name the full-size points; the sample counts say what a smaller run measured.
      json: { memoryFirstSampleSagas: first, memoryLastSampleSagas: total, rssMiBAt10k: atFirst, rssMiBAt100k: atTotal, rssGrowthPct: growthPct },
    };
  } finally {
    await bench.stop();
  }
}
