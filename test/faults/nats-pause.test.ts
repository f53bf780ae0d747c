/**
 * Pauses: nats-server SIGSTOPped for longer than every client timeout (6–8 s against the
 * clients' 5 s; every other pause 9.5–11 s, past the API's 8 s of trying), several times, while orders are submitted and in flight, then SIGCONTed. Its
 * connections stay open, so nothing notices a disconnect: publishes sit unanswered in the paused
 * server's sockets and are stored when it resumes, after the API may have answered.
 *
 * Invariants (harness.ts): those of every scenario, and no order exists whose submitter was told
 * it was not accepted. A third of the orders go without an Idempotency-Key, so a "not accepted"
 * or "unknown" answer cannot be papered over by a retry with the same key. Afterwards every
 * orchestrator answers /ready and every consumer has a pull waiting again: everyone reconnected.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { expect, it } from 'vitest';
import { DURABLE_CONSUMERS } from '../../lib/topology.ts';
import { startSystem, until } from '../support/system.ts';
import { between, expectClean, FaultRun, PROFILE, sized, sleep } from './harness.ts';

// The default step timeout (10 s): a pause costs a step at most one of its three attempts, so
// every order still ends with its rule's status.
const ENV = { WORKER_LATENCY_MS: '20', WORKER_BACKOFF_MS: '10', STEP_TIMEOUT_MS: '10000' };

it(
  'SIGSTOP/SIGCONT of nats-server past the client timeouts: no order lost, no "not accepted" order exists',
  async () => {
    const system = await startSystem({ env: ENV, ...(PROFILE === 'long' ? { extraInstances: { orchestrator: 1, payment: 1 } } : {}) });
    try {
      const run = new FaultRun('nats-pause', system);
      const pauses = sized(3, 6);
      const faults = (async () => {
        for (let i = 0; i < pauses; i++) {
          await sleep(between(500, 1500));
          // Every other pause outlasts the API's 8 s of trying too, so some answers are "unknown".
          const pauseMs = i % 2 === 0 ? between(6000, 8000) : between(9500, 11000);
          await run.fault('SIGSTOP', 'nats-server', async () => system.nats.pause(), async () => system.nats.resume(), pauseMs);
        }
      })();
      await Promise.all([run.load({ orders: sized(90, 400), perSecond: sized(3, 6), unkeyedEvery: 3 }), faults]);
      const report = await run.check({ settleMs: 120_000 });

      // Everyone is back: each orchestrator ready, each consumer pulling again.
      for (const url of system.baseUrls) {
        await until(`${url} ready`, async () => (await fetch(`${url}/ready`)).status === 200, 30_000);
      }
      const jsm = await jetstreamManager(await system.connection());
      const consumers: [string, string][] = DURABLE_CONSUMERS.map(({ stream, name }) => [stream, name]);
      for (const [stream, name] of consumers) {
        await until(`${name} pulling`, async () => (await jsm.consumers.info(stream, name)).num_waiting > 0, 30_000);
      }

      expectClean(report, { minOrders: sized(90, 400) });
      expect(report.faults).toHaveLength(pauses);
      // The pauses were seen by clients (else the scenario proved nothing about the answers).
      const notAccepted = (report.answers['503'] ?? 0) + (report.answers['504'] ?? 0);
      expect(notAccepted, 'answers other than 202 during the pauses').toBeGreaterThan(0);
    } finally {
      system.nats.resume();
      await system.stop();
    }
  },
  sized(240_000, 900_000),
);
