/**
 * `npm run bench [-- --json] [-- --only list]`: starts its own nats-server and processes for
 * each case, prints progress on stderr, and a table (or one JSON object) on stdout.
 */
import { cpus, totalmem } from 'node:os';
import { durabilityCase } from './durability.ts';
import { listQueryCase } from './list-query.ts';
import { table, type CaseResult, type Progress } from './report.ts';

const CASES: Record<string, (progress: Progress) => Promise<CaseResult>> = {
  list: (progress) => listQueryCase(progress),
  durability: (progress) => durabilityCase(progress),
};

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]?.split(',') : undefined;
const unknown = only?.filter((name) => !(name in CASES)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown bench case(s): ${unknown.join(', ')}; known: ${Object.keys(CASES).join(', ')}`);
  process.exit(2);
}

const progress: Progress = (message) => process.stderr.write(`[bench] ${message}\n`);
const results: CaseResult[] = [];
for (const [name, run] of Object.entries(CASES)) {
  if (only && !only.includes(name)) continue;
  progress(`case ${name}`);
  results.push(await run(progress));
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
if (asJson) {
  console.log(JSON.stringify(Object.assign({ machine }, ...results.map((r) => r.json))));
} else {
  console.log(`machine: ${machine}\n\n${table(results)}`);
}
