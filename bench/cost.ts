/**
 * What a run costs the machine: JetStream writes (every stream's last sequence, the KV_
 * streams of the buckets included), CPU time of each process and of this one, and memory.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { cpuMs, rssMiB } from './proc.ts';

export interface CostSnapshot {
  /** Sum over all streams of the last sequence: every message ever stored, KV puts included. */
  writes: number;
  /** Bytes each stream holds now, by stream name. */
  streamBytes: Map<string, number>;
  /** CPU ms used so far, by process label; `bench` is this process, the load generator. */
  cpuMs: Map<string, number>;
}

export async function costSnapshot(nc: NatsConnection, processes: Map<string, number>): Promise<CostSnapshot> {
  const jsm = await jetstreamManager(nc);
  let writes = 0;
  const streamBytes = new Map<string, number>();
  for await (const stream of jsm.streams.list()) {
    writes += stream.state.last_seq;
    streamBytes.set(stream.config.name, stream.state.bytes);
  }
  const cpu = new Map([...processes].map(([label, pid]) => [label, cpuMs(pid)]));
  const self = process.cpuUsage();
  cpu.set('bench', (self.user + self.system) / 1000);
  return { writes, streamBytes, cpuMs: cpu };
}

/** `payment#2` → `Payment2`: a process label as part of a JSON key. */
export const keyPart = (label: string) => label.replace(/#/g, '').replace(/^./, (c) => c.toUpperCase());

const perSaga = (value: number, sagas: number) => Math.round((value / sagas) * 100) / 100;

/**
 * Per-saga cost between two snapshots (`measured` sagas ran between them; the bucket holds
 * `stored`, warm-up included), and each process's memory now, as JSON keys.
 */
export function costPerSaga(before: CostSnapshot, after: CostSnapshot, sagas: { measured: number; stored: number }, processes: Map<string, number>): Record<string, number> {
  const json: Record<string, number> = {
    writesPerSaga: perSaga(after.writes - before.writes, sagas.measured),
    kvBytesPerSaga: Math.round((after.streamBytes.get('KV_sagas') ?? 0) / sagas.stored),
  };
  let total = 0;
  for (const [label, used] of after.cpuMs) {
    const spent = used - (before.cpuMs.get(label) ?? 0);
    if (label !== 'bench') total += spent;
    json[`cpuMsPerSaga${keyPart(label)}`] = perSaga(spent, sagas.measured);
  }
  json.cpuMsPerSagaSystem = perSaga(total, sagas.measured);
  for (const [label, pid] of processes) json[`rssMiB${keyPart(label)}`] = rssMiB(pid);
  return json;
}
