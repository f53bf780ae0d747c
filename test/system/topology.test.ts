/**
 * The saga bucket's two read paths, checked on the wire of a real nats-server: `sagas` reads
 * with direct gets (any replica may answer), `sagasOnLeader` with the stream's message-get API,
 * which only the stream's leader answers. The runtime's "no reply is acked on a stale read"
 * rests on the second: if a client upgrade ever turned it into a direct get, this fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subscription } from '@nats-io/transport-node';
import { BUCKETS, connectNats, ensureTopology, type Nats, type Topology } from '../../lib/topology.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';

let server: TestNats;
let nats: Nats;
let spy: Nats;
let topology: Topology;

beforeAll(async () => {
  server = await startNats();
  nats = await connectNats({ natsUrl: server.url }, 'topology-test');
  spy = await connectNats({ natsUrl: server.url }, 'topology-test-spy');
  topology = await ensureTopology(nats, { natsReplicas: 1 });
});
afterAll(async () => {
  await nats?.nc.close();
  await spy?.nc.close();
  await server?.stop();
});

/** The JetStream API subjects `read` sends requests to, as a bystander on the bus sees them. */
async function apiSubjectsOf(read: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const sub: Subscription = spy.nc.subscribe(`$JS.API.>`, { callback: (_error, msg) => void seen.push(msg.subject) });
  await spy.nc.flush();
  await read();
  await nats.nc.flush();
  await spy.nc.flush();
  sub.unsubscribe();
  return seen;
}

const stream = `KV_${BUCKETS.sagas}`;

describe('saga bucket reads', () => {
  it('reads the latest entry from the stream leader on the leader view, and by direct get on the other', async () => {
    await topology.sagas.put('ord-topology-1', new TextEncoder().encode('first'));
    await topology.sagas.put('ord-topology-1', new TextEncoder().encode('second'));

    let onLeader: string | undefined;
    const leaderSubjects = await apiSubjectsOf(async () => {
      onLeader = (await topology.sagasOnLeader.get('ord-topology-1'))?.string();
    });
    let direct: string | undefined;
    const directSubjects = await apiSubjectsOf(async () => {
      direct = (await topology.sagas.get('ord-topology-1'))?.string();
    });

    expect(onLeader).toBe('second');
    expect(direct).toBe('second');
    expect(leaderSubjects).toEqual([`$JS.API.STREAM.MSG.GET.${stream}`]);
    expect(directSubjects).toEqual([`$JS.API.DIRECT.GET.${stream}.$KV.${BUCKETS.sagas}.ord-topology-1`]);
  });

  it('answers a key the bucket never held, or deleted, as missing, or as deleted, on the leader view', async () => {
    expect(await topology.sagasOnLeader.get('ord-topology-never')).toBeNull();

    await topology.sagas.put('ord-topology-2', new TextEncoder().encode('x'));
    await topology.sagas.delete('ord-topology-2');
    const deleted = await topology.sagasOnLeader.get('ord-topology-2');
    expect(deleted?.operation).toBe('DEL');
  });
});
