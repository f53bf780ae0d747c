/**
 * Bench case: the most completed sagas a second the whole system gives under closed-loop load,
 * on the happy path and with 10% compensations, and what each saga costs on the happy path:
 * JetStream writes, CPU time of every process, bytes in the saga bucket, memory at the end.
 */
import { settle, startBenchSystem, warmUp } from './bench-system.ts';
import { costPerSaga, costSnapshot } from './cost.ts';
import { closedLoop, happyOrders, withDeclines, type LoadResult, type OrderMix } from './load.ts';
import type { CaseResult, Progress, Results } from './report.ts';
import { envNumber } from './settings.ts';

const submitters = () => envNumber('BENCH_SUBMITTERS', 32);

async function measure(label: string, orders: number, mix: OrderMix, progress: Progress, withCost: boolean) {
  const bench = await startBenchSystem();
  try {
    const warmUpSagas = await warmUp(bench, progress, mix);
    const nc = await bench.system.connection();
    const before = withCost ? await costSnapshot(nc, bench.processes()) : undefined;
    const result = await closedLoop(bench, { label, orders, mix, progress, submitters: submitters() });
    if (!before) return { result, cost: {} };
    await settle();
    const after = await costSnapshot(nc, bench.processes());
    return { result, cost: costPerSaga(before, after, { measured: result.orders, stored: warmUpSagas + result.orders }, bench.processes()) };
  } finally {
    await bench.stop();
  }
}

const outcome = (result: LoadResult) =>
  Object.entries(result.byStatus)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');

export async function throughputCase(progress: Progress, earlier: Results): Promise<CaseResult> {
  const orders = envNumber('BENCH_ORDERS', 20_000);
  const happy = await measure('throughput happy', orders, happyOrders, progress, true);
  const declines = await measure('throughput 10% declined', orders, withDeclines(10), progress, false);
  const { cost } = happy;
  const sagasPerSec = happy.result.sagasPerSec;
  const ceiling = Number(earlier.ceilingWritesPerSec);
  // What the ceiling allows at this many writes per saga, and how much of it the system reaches.
  const ceilingFraction = ceiling && cost.writesPerSaga ? Math.round((sagasPerSec / (ceiling / cost.writesPerSaga)) * 100) / 100 : undefined;
  const cpuRows = Object.entries(cost)
    .filter(([key]) => key.startsWith('cpuMsPerSaga'))
    .map(([key, ms]): [string, string] => [`CPU per saga: ${key.slice('cpuMsPerSaga'.length)}`, `${ms} ms`]);
  const rssRows = Object.entries(cost)
    .filter(([key]) => key.startsWith('rssMiB'))
    .map(([key, mib]): [string, string] => [`memory at the end: ${key.slice('rssMiB'.length)}`, `${mib} MiB`]);
  return {
    name: 'throughput',
    rows: [
      [`orders per run (closed loop, ${submitters()} submitters, ≤2000 unfinished)`, String(orders)],
      ['happy path: completed sagas/s', `${sagasPerSec} (${outcome(happy.result)})`],
      ['10% declined (compensated): sagas/s', `${declines.result.sagasPerSec} (${outcome(declines.result)})`],
      ['JetStream writes per saga (all streams, KV included)', String(cost.writesPerSaga)],
      ...(ceilingFraction === undefined ? [] : ([['share of the ceiling reached (at these writes per saga)', `${Math.round(ceilingFraction * 100)}%`]] as [string, string][])),
      ['saga bucket bytes per saga', `${cost.kvBytesPerSaga} B`],
      ...cpuRows,
      ...rssRows,
    ],
    json: {
      throughputOrders: orders,
      sagasPerSec,
      sagasPerSecWithCompensations: declines.result.sagasPerSec,
      ...cost,
      ...(ceilingFraction === undefined ? {} : { ceilingFraction }),
    },
  };
}
