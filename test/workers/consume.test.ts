/**
 * The shared consume loop's last resort, on a real nats-server: a message whose handler keeps
 * failing for a reason that is the message's (a bug, a value no check foresaw) is given up on
 * with its last error after `giveUpAfterDeliveries`; one that fails because NATS cannot answer
 * (a timeout) is delivered again for as long as that lasts; and one whose parking fails too is
 * delivered again rather than lost. Messages held past the consumer's ack_wait (a slow handler,
 * a wait for admission) say they are in progress, and are not delivered a second time.
 */
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, TimeoutError, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startConsuming, type Consumption } from '../../lib/consume.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { eventually } from './harness.ts';

let server: TestNats;
let nc: NatsConnection;
let consumption: Consumption | undefined;

beforeAll(async () => {
  server = await startNats();
  nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'T', subjects: ['t.>'] });
  // As lib/topology.ts configures every consumer: JetStream itself never gives up (max_deliver -1).
  await jsm.consumers.add('T', { durable_name: 'c', ack_policy: AckPolicy.Explicit, max_deliver: -1, ack_wait: 30_000_000_000 });
});
afterAll(async () => {
  await consumption?.stop();
  await nc?.close();
  await server?.stop();
});

it('gives up on a message that keeps failing, with its last error; never on one that fails for an outage', async () => {
  const deliveries = new Map<string, number>();
  const givenUp = new Map<string, string>();
  let parkingWorks = false;
  const consumer = await (await jetstreamManager(nc)).jetstream().consumers.get('T', 'c');
  consumption = await startConsuming({
    consumer,
    concurrency: 4,
    heartbeatMs: 10_000,
    retryDelayMs: 20,
    giveUpAfterDeliveries: 3,
    handle: async (msg: JsMsg) => {
      deliveries.set(msg.subject, (deliveries.get(msg.subject) ?? 0) + 1);
      if (msg.subject === 't.ok') return msg.ack();
      if (msg.subject === 't.outage') throw new TimeoutError();
      throw new TypeError(`cannot read ${msg.subject}`);
    },
    giveUp: async (msg, reason) => {
      if (msg.subject === 't.park-fails' && !parkingWorks) throw new Error('dead-letter stream unreachable');
      givenUp.set(msg.subject, reason);
      msg.term();
    },
    onError: () => undefined,
  });

  const js = jetstream(nc);
  for (const subject of ['t.ok', 't.bug', 't.outage', 't.park-fails']) await js.publish(subject, new Uint8Array([1]));

  await eventually(() => expect(givenUp.get('t.bug')).toBe('failed 3 times, last: TypeError: cannot read t.bug'));
  expect(deliveries.get('t.bug')).toBe(3);
  expect(deliveries.get('t.ok')).toBe(1);

  // An outage is not the message's fault: delivered again and again, never given up on.
  await eventually(() => expect(deliveries.get('t.outage')).toBeGreaterThanOrEqual(10));
  expect(givenUp.has('t.outage')).toBe(false);

  // Parking failed: the message came back instead of being dropped; once parking works it is parked.
  await eventually(() => expect(deliveries.get('t.park-fails')).toBeGreaterThanOrEqual(5));
  expect(givenUp.has('t.park-fails')).toBe(false);
  parkingWorks = true;
  await eventually(() => expect(givenUp.get('t.park-fails')).toMatch(/^failed \d+ times, last: TypeError/));
});

it('leaves messages not admitted in the stream, and keeps the ones it holds past ack_wait from being delivered again', async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'H', subjects: ['h.>'] });
  await jsm.consumers.add('H', { durable_name: 'h', ack_policy: AckPolicy.Explicit, max_deliver: -1, ack_wait: 1_000_000_000 });
  const deliveries = new Map<string, number>();
  let open!: (room: number) => void;
  const admission = new Promise<number>((resolve) => (open = resolve));
  const held = await startConsuming({
    consumer: await jsm.jetstream().consumers.get('H', 'h'),
    concurrency: 1,
    heartbeatMs: 300,
    admit: () => admission,
    handle: async (msg) => {
      deliveries.set(msg.subject, (deliveries.get(msg.subject) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      msg.ack();
    },
    onError: () => undefined,
  });
  try {
    const js = jetstream(nc);
    for (const subject of ['h.first', 'h.second']) await js.publish(subject, new Uint8Array([1]));
    // Not admitted: both wait in the stream, not in the process.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(deliveries.size).toBe(0);
    expect((await jsm.consumers.info('H', 'h')).num_pending).toBe(2);
    // Admitted, each handled for over two ack_waits: neither may be delivered a second time.
    open(2);
    await eventually(async () => {
      const info = await jsm.consumers.info('H', 'h');
      expect(info.num_pending + info.num_ack_pending).toBe(0);
    }, 15_000);
    expect(Object.fromEntries(deliveries)).toEqual({ 'h.first': 1, 'h.second': 1 });
    expect((await jsm.consumers.info('H', 'h')).num_redelivered).toBe(0);
  } finally {
    await held.stop();
  }
});
