/**
 * Bench case: what JetStream itself takes on this machine with the client the services use
 * (their own connection, `connectNats`: batched socket writes, muxed requests), the ceiling any
 * saga throughput is measured against. Windowed async writes (many
 * outstanding, no await per message) on a file-storage stream, then KV puts the same way.
 */
import { StorageType } from '@nats-io/jetstream';
import { connectNats } from '../lib/topology.ts';
import { startNats } from '../test/support/nats-server.ts';
import type { CaseResult, Progress } from './report.ts';
import { envNumber } from './settings.ts';
import { runWindowed } from './window.ts';

/** About a saga message (publish) and a saga entry (KV put). */
const PUBLISH_BYTES = 300;
const KV_VALUE_BYTES = 1500;

export async function ceilingCase(progress: Progress): Promise<CaseResult> {
  const seconds = envNumber('BENCH_CEILING_SECONDS', 5);
  const window = envNumber('BENCH_CEILING_WINDOW', 512);
  const nats = await startNats();
  const { nc, js, jsm, kvm } = await connectNats({ natsUrl: nats.url }, 'bench-ceiling');
  try {
    await jsm.streams.add({ name: 'CEILING', subjects: ['ceiling.>'], storage: StorageType.File });
    const message = new Uint8Array(PUBLISH_BYTES).fill(120);
    const publish = await runWindowed({ window, seconds }, (i) => js.publish(`ceiling.${i % 64}`, message));
    progress(`ceiling: ${publish.count} publishes in ${publish.seconds.toFixed(1)} s`);

    const kv = await kvm.create('ceiling', { history: 1, storage: StorageType.File });
    const value = new Uint8Array(KV_VALUE_BYTES).fill(120);
    const puts = await runWindowed({ window, seconds }, (i) => kv.put(`order-${i}`, value));
    progress(`ceiling: ${puts.count} KV puts in ${puts.seconds.toFixed(1)} s`);

    return {
      name: 'ceiling',
      rows: [
        ['client', `@nats-io/jetstream + @nats-io/kv on the services' connection, ${window} outstanding, file storage`],
        [`publish with ack (${PUBLISH_BYTES} B)`, `${publish.perSec} writes/s`],
        [`KV put, distinct keys (${KV_VALUE_BYTES} B)`, `${puts.perSec} puts/s`],
      ],
      json: { ceilingWritesPerSec: publish.perSec, ceilingKvPutsPerSec: puts.perSec },
    };
  } finally {
    await nc.close();
    await nats.stop();
  }
}
