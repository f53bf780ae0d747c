/**
 * Upgrading from the single events consumer of earlier versions, on a real nats-server: the
 * replies and submissions consumers take over where it left off (what it acknowledged is not
 * delivered again, what it did not is), and it is removed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { CONSUMERS, connectNats, ensureTopology, STREAMS, SUBJECTS, type Nats } from '../../lib/topology.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';

let server: TestNats;
let nats: Nats;

beforeAll(async () => {
  server = await startNats();
  nats = await connectNats({ natsUrl: server.url }, 'consumer-upgrade-test');
});
afterAll(async () => {
  await nats?.nc.close();
  await server?.stop();
});

it('starts the replies and submissions consumers past the old consumer\'s ack floor, then removes it', async () => {
  await nats.jsm.streams.add({ name: STREAMS.events, subjects: [SUBJECTS.submittedAll, SUBJECTS.replyAll] });
  await nats.jsm.consumers.add(STREAMS.events, { durable_name: CONSUMERS.legacyOrchestrator, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
  const publish = (subject: string) => nats.js.publish(subject, new Uint8Array([1]));
  for (let n = 0; n < 3; n++) await publish(SUBJECTS.submitted(`ord-old-${n}`));
  await publish(SUBJECTS.reply('inventory'));
  // The old orchestrator handled those four, then stopped.
  const legacy = await nats.js.consumers.get(STREAMS.events, CONSUMERS.legacyOrchestrator);
  const handled = await legacy.fetch({ max_messages: 4, expires: 2_000 });
  for await (const msg of handled) await msg.ackAck();
  await publish(SUBJECTS.submitted('ord-new'));
  await publish(SUBJECTS.reply('payment'));

  await ensureTopology(nats, { natsReplicas: 1 });

  expect(await nats.jsm.consumers.info(STREAMS.events, CONSUMERS.legacyOrchestrator).catch(() => null)).toBeNull();
  const submissions = await nats.jsm.consumers.info(STREAMS.events, CONSUMERS.submissions);
  const replies = await nats.jsm.consumers.info(STREAMS.events, CONSUMERS.replies);
  expect(submissions.num_pending).toBe(1);
  expect(replies.num_pending).toBe(1);
  const next = await (await nats.js.consumers.get(STREAMS.events, CONSUMERS.submissions)).next({ expires: 2_000 });
  expect(next?.subject).toBe(SUBJECTS.submitted('ord-new'));
  next?.ack();

  // Starting again (another instance, a restart) changes nothing.
  await ensureTopology(nats, { natsReplicas: 1 });
  expect((await nats.jsm.consumers.info(STREAMS.events, CONSUMERS.replies)).num_pending).toBe(1);
});
