/**
 * `npm run bench [-- --json] [-- --json-file results.json] [-- --only ceiling,throughput]`
 * (BENCH_CPU_PROFILE_DIR=dir for every service's CPU profile): each case starts its own
 * nats-server (file storage) and processes, prints progress on stderr, and the run prints a
 * table (or one JSON object of every case's measures) on stdout. Counts and rates can be made
 * small for a quick check with BENCH_* variables (see bench/RESULTS.md).
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { burstCase } from './burst.ts';
import { ceilingCase } from './ceiling.ts';
import { durabilityCase } from './durability.ts';
import { frontdoorCase } from './frontdoor.ts';
import { historyCase } from './history.ts';
import { latencyCase } from './latency.ts';
import { listQueryCase } from './list-query.ts';
import { memoryCase } from './memory.ts';
import { table, type CaseResult, type Progress, type Results } from './report.ts';
import { restartCase } from './restart.ts';
import { scaleCase } from './scale.ts';
import { throughputCase } from './throughput.ts';

/** In run order: later cases build on earlier measures (the ceiling, the closed-loop maximum). */
const CASES: Record<string, (progress: Progress, earlier: Results) => Promise<CaseResult>> = {
  ceiling: (progress) => ceilingCase(progress),
  throughput: (progress, earlier) => throughputCase(progress, earlier),
  latency: (progress, earlier) => latencyCase(progress, earlier),
  memory: (progress) => memoryCase(progress),
  scale: (progress) => scaleCase(progress),
  list: (progress) => listQueryCase(progress),
  durability: (progress) => durabilityCase(progress),
  burst: (progress, earlier) => burstCase(progress, earlier),
  frontdoor: (progress) => frontdoorCase(progress),
  history: (progress) => historyCase(progress),
  restart: (progress) => restartCase(progress),
};

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const jsonFile = args.includes('--json-file') ? args[args.indexOf('--json-file') + 1] : undefined;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]?.split(',') : undefined;
const unknown = only?.filter((name) => !(name in CASES)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown bench case(s): ${unknown.join(', ')}; known: ${Object.keys(CASES).join(', ')}`);
  process.exit(2);
}

const progress: Progress = (message) => process.stderr.write(`[bench] ${message}\n`);
const results: CaseResult[] = [];
const merged: Results = {};
let failed = false;
for (const [name, run] of Object.entries(CASES)) {
  if (only && !only.includes(name)) continue;
  progress(`case ${name}`);
  // One failing case is reported, and the others still run: a long run is not lost to one.
  const result = await run(progress, merged).catch((error: unknown): CaseResult => {
    failed = true;
    const message = error instanceof Error ? error.message : String(error);
    progress(`case ${name} failed: ${error instanceof Error ? error.stack : message}`);
    return { name, rows: [['failed', message]], json: { [`${name}Error`]: message } };
  });
  Object.assign(merged, result.json);
  results.push(result);
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify({ machine, ...merged }, null, 2)}\n`);
if (asJson) {
  console.log(JSON.stringify({ machine, ...merged }));
} else {
  console.log(`machine: ${machine}\n\n${table(results)}`);
}
// Child processes of a failed case may hold the event loop open: leave explicitly.
process.exit(failed ? 1 : 0);
