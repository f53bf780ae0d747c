/**
 * nats-server alone, as history piles up in the saga bucket: the CPU nats-server spends per saga
 * written the way the runtime writes one (a new key, then four updates, each a compare-and-set),
 * on an empty bucket and after N finished sagas are stored. No orchestrator, no workers.
 *
 *   npx tsx bench/kv-scale.ts [stored=1000000] [sagas=20000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { StorageType } from '@nats-io/jetstream';

const stored = Number(process.argv[2] ?? 1_000_000);
const sagas = Number(process.argv[3] ?? 20_000);
const VALUE = new Uint8Array(2700).fill(120);
const IN_FLIGHT = 50;

const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
};

const dir = mkdtempSync(join(tmpdir(), 'kv-scale-'));
const port = 20_000 + Math.floor(Math.random() * 20_000);
const server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const nc = await connect({ servers: `127.0.0.1:${port}` });
const kv = await new Kvm(nc).create('sagas', { history: 1, storage: StorageType.File });

let serial = 0;
async function windowed(count: number, one: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => { while (next < count) await one(next++); }));
}
/** One saga as the runtime writes it: a create, then four compare-and-set updates. */
async function saga(): Promise<void> {
  const key = `ord_${(serial++).toString(36).padStart(10, '0')}`;
  let revision = await kv.create(key, VALUE);
  for (let i = 0; i < 4; i++) revision = await kv.update(key, VALUE, revision);
}
async function measure(label: string) {
  const cpu = cpuMs(server.pid!);
  const started = performance.now();
  await windowed(sagas, saga);
  const ms = performance.now() - started;
  console.log(`${label}: ${(sagas / (ms / 1000)).toFixed(0)} sagas/s, nats-server ${((cpuMs(server.pid!) - cpu) / sagas).toFixed(3)} ms CPU per saga`);
}

await measure('empty bucket');
const seedStart = performance.now();
let seeded = 0;
await Promise.all(Array.from({ length: 500 }, async () => {
  while (seeded < stored) { seeded++; await kv.put(`ord_${(serial++).toString(36).padStart(10, '0')}`, VALUE); }
}));
console.log(`stored ${stored} in ${((performance.now() - seedStart) / 1000).toFixed(0)} s`);
await measure(`after ${stored} stored`);
await measure(`again after ${stored} stored`);
await nc.close();
server.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });
