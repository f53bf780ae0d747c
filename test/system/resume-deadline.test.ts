/**
 * A resume gives the pending step a fresh deadline on every instance, also on one whose watch
 * brings the resume without the pause before it: the bucket keeps one revision per key, so a
 * watch that was behind (a reconnect, a catch-up) never sees a superseded revision. A resume
 * keeps the command id, so the scheduler tells the arming apart by the entry's own deadline.
 */
import { createLogger } from '../../lib/logger.ts';
import type { SagaEvent } from '../../machines/index.ts';
import { SagaCatalog } from '../../orchestrator/saga/catalog.ts';
import { DeadlineScheduler } from '../../orchestrator/saga/deadlines.ts';
import { ServerClock } from '../../orchestrator/saga/server-clock.ts';
import { summarize } from '../../orchestrator/saga/summary.ts';
import { held, started } from '../support/saga-entries.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectNats, ensureTopology, type Nats, type Topology } from '../../lib/topology.ts';
import { SagaBucket } from '../../orchestrator/saga/saga-bucket.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { until } from '../support/system.ts';

const logger = createLogger('test', { logLevel: 'silent', logPretty: false, instanceId: 'test' });
const TIMEOUT = 1000; // ENTRY_SETTINGS.stepTimeoutMs

it('an instance that missed the pause revision still gives the resumed step its fresh deadline', async () => {
  const clock = { at: 0 };
  const fired: { at: number; eventId: string }[] = [];
  const runtime = { apply: async (_orderId: string, _event: SagaEvent, eventId: string) => (fired.push({ at: clock.at, eventId }), { kind: 'applied' as never }) };
  const serverClock = new ServerClock(() => clock.at);
  const catalog = new SagaCatalog(logger, serverClock);
  const scheduler = new DeadlineScheduler(runtime as never, logger, TIMEOUT, 100, () => clock.at);
  scheduler.attach(catalog);

  const running = started('ord_rd', 0);
  catalog.observe(summarize(running), 1, 0); // B arms the deadline: due at 1000
  const paused = held(running, 'PAUSE', 500);
  const resumed = held(paused, 'RESUME', 900);
  // B's watch was behind (reconnect, catch-up): revision 2 (the pause) was superseded by 3 before it came.
  clock.at = 900;
  catalog.observe(summarize(resumed), 3, 900);
  // The resume promised a deadline due at 900 + 1000 = 1900.
  clock.at = 1001;
  scheduler.fireDue(clock.at);
  await Promise.resolve();
  expect(fired).toEqual([]);
  clock.at = 1901;
  scheduler.fireDue(clock.at);
  await Promise.resolve();
  expect(fired.map((f) => f.eventId)).toEqual([`timeout:${running.snapshot.context.pending!.commandId}`]);
});

// The same on a real nats-server: instance B's watch is interrupted (a reconnect) while A pauses and resumes.

let server: TestNats;
let nats: Nats;
let topology: Topology;
beforeAll(async () => {
  server = await startNats();
  nats = await connectNats({ natsUrl: server.url }, 'review-resume-deadline');
  topology = await ensureTopology(nats, { natsReplicas: 1 });
}, 30_000);
afterAll(async () => {
  await nats?.nc.close();
  await server?.stop();
});

it('on nats: B, whose watch resumed after a gap, hears the resume without the pause and re-arms the step from the resume', async () => {
  const a = new SagaBucket(topology.sagas, topology.sagasOnLeader, new ServerClock(), logger);
  const bClock = new ServerClock();
  const b = new SagaBucket(topology.sagas, topology.sagasOnLeader, bClock, logger);
  const heard: string[] = [];
  const catalog = new SagaCatalog(logger, bClock);
  let lastSeq = 0;
  b.follow({
    stored: (summary, revision, writtenAt) => (heard.push(`${revision} ${summary.paused ? 'paused' : 'not paused'}`), catalog.observe(summary, revision, writtenAt)),
    removed: () => undefined,
    watchedTo: (sequence) => (lastSeq = sequence),
  });
  const scheduler = new DeadlineScheduler({ apply: async () => ({ kind: 'duplicate' as const }) }, logger, TIMEOUT, 100, () => bClock.now());
  scheduler.attach(catalog);
  const dueOnB = () => (scheduler as unknown as { current: Map<string, { at: number }> }).current.get('ord_rd_nats')?.at;
  await (await b.watch((await topology.sagas.status()).streamInfo.state.last_seq)).caughtUp;

  const running = started('ord_rd_nats', Date.now());
  const r1 = await a.create(running, summarize(running));
  await until('B heard the saga', async () => heard.length === 1, 5_000);
  b.stop(); // B's connection drops; its ordered consumer will resume from the last sequence it saw
  const paused = held(running, 'PAUSE', Date.now());
  const r2 = await a.update(paused, summarize(paused), r1);
  const resumed = held(paused, 'RESUME', Date.now());
  await new Promise((resolve) => setTimeout(resolve, 300)); // the pause lasted 300 ms
  await a.update(resumed, summarize(resumed), r2);
  const resumedAt = bClock.now();
  await b.watch(lastSeq);
  await until('B heard the resume', async () => heard.length === 2, 5_000);
  b.stop();
  // B never learns the saga was paused (it hears revisions 1 and 3 only) ...
  expect(heard.map((line) => line.split(' ')[0])).toEqual([String(r1), expect.any(String)]);
  // ... yet its timer is armed again from the resume, not left where creation put it (300 ms earlier).
  expect(dueOnB()).toBeGreaterThanOrEqual(resumedAt + TIMEOUT - 50);
});
