/**
 * Faults under load, one system per scenario, invariants over every accepted order (see
 * harness.ts). Sized by FAULT_PROFILE: `short` (npm test) keeps each scenario well under a
 * minute; `long` (npm run test:faults) submits more orders and kills more often.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { DURABLE_CONSUMERS, STREAMS } from '../../lib/topology.ts';
import { startSystem, type SystemOptions, type TestSystem } from '../support/system.ts';
import { between, duplicateDeliveries, expectClean, FaultRun, sized, sleep, type FaultReport } from './harness.ts';

const TIMEOUT = sized(120_000, 600_000);

/** Quick steps and retries so a run with faults settles in seconds. */
const BASE_ENV = { WORKER_LATENCY_MS: '20', WORKER_BACKOFF_MS: '10', STEP_TIMEOUT_MS: process.env.FAULT_STEP_TIMEOUT_MS ?? '3000' };
/** How long `check` waits for every order to settle (FAULT_SETTLE_MS shortens it, e.g. to see a lost command as a stranded order before its deadline). */
const SETTLE_MS = Number(process.env.FAULT_SETTLE_MS ?? 150_000);

async function withSystem(options: SystemOptions, body: (system: TestSystem) => Promise<FaultReport>): Promise<FaultReport> {
  const system = await startSystem(options);
  try {
    return await body(system);
  } finally {
    await system.stop();
  }
}

/** Sum a worker's `worker_commands_total` by outcome over every worker's /metrics. */
async function workerOutcomes(system: TestSystem): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const url of Object.values(system.workerUrls)) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const match of text.matchAll(/^worker_commands_total\{[^}]*outcome="(\w+)"[^}]*\} (\d+)/gm)) {
      sums[match[1]!] = (sums[match[1]!] ?? 0) + Number(match[2]);
    }
  }
  return sums;
}

/** Command deliveries the workers handled beyond one per command (transient retries and forced redeliveries). */
async function redeliveries(system: TestSystem, handled: number): Promise<number> {
  const jsm = await jetstreamManager(await system.connection());
  const info = await jsm.streams.info(STREAMS.commands);
  return handled - info.state.messages;
}

describe('faults under load', () => {
  it(
    'SIGKILL of the orchestrator at random moments loses no order',
    async () => {
      const report = await withSystem({ env: BASE_ENV }, async (system) => {
        const run = new FaultRun('orchestrator-sigkill', system);
        const orchestrator = system.services.orchestrator;
        const kills = Number(process.env.FAULT_KILLS ?? sized(3, 8));
        const faults = (async () => {
          for (let i = 0; i < kills; i++) {
            await sleep(between(300, 1500));
            await run.fault('SIGKILL', 'orchestrator', () => orchestrator.kill(), () => orchestrator.start(), between(200, 1000));
          }
        })();
        await Promise.all([run.load({ orders: sized(120, 600), perSecond: sized(20, 30) }), faults]);
        return run.check({ settleMs: SETTLE_MS });
      });
      expectClean(report, { minOrders: sized(120, 600) });
      expect(report.faults).toHaveLength(Number(process.env.FAULT_KILLS ?? sized(3, 8)));
    },
    TIMEOUT,
  );

  it(
    'SIGKILL of each worker loses no order and applies no effect twice',
    async () => {
      const report = await withSystem({ env: BASE_ENV }, async (system) => {
        const run = new FaultRun('worker-sigkill', system);
        const rounds = sized(1, 3);
        const faults = (async () => {
          for (let round = 0; round < rounds; round++) {
            for (const worker of ['inventory', 'payment', 'shipping'] as const) {
              await sleep(between(300, 1200));
              const service = system.services[worker];
              await run.fault('SIGKILL', worker, () => service.kill(), () => service.start(), between(200, 1000));
            }
          }
        })();
        await Promise.all([run.load({ orders: sized(120, 600), perSecond: sized(20, 30) }), faults]);
        return run.check({ settleMs: SETTLE_MS });
      });
      expectClean(report, { minOrders: sized(120, 600) });
      expect(report.faults).toHaveLength(sized(3, 9));
    },
    TIMEOUT,
  );

  it(
    'SIGKILL and restart of nats-server: the API refuses (503) during the outage, no accepted order is lost',
    async () => {
      const report = await withSystem({ env: BASE_ENV }, async (system) => {
        const run = new FaultRun('nats-sigkill', system);
        const kills = sized(1, 3);
        const faults = (async () => {
          for (let i = 0; i < kills; i++) {
            await sleep(between(1000, 2000));
            await run.fault('SIGKILL', 'nats-server', () => system.nats.kill(), () => system.nats.restart(), between(1000, 2500));
          }
        })();
        await Promise.all([run.load({ orders: sized(100, 500), perSecond: sized(20, 30) }), faults]);
        return run.check({ settleMs: SETTLE_MS });
      });
      expectClean(report, { minOrders: sized(100, 500) });
      // The outage was seen by clients, and answered 503 (never a 202 for an order not stored).
      expect((report.answers['503'] ?? 0) + (report.answers.unreachable ?? 0)).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'transient faults (FAULT_RATE=0.3) and redeliveries forced by short ack waits change no outcome',
    async () => {
      const report = await withSystem(
        { env: { ...BASE_ENV, FAULT_RATE: '0.3', WORKER_LATENCY_MS: '100', STEP_TIMEOUT_MS: '4000' }, workerProbes: true },
        async (system) => {
          // Short ack waits: a command not acknowledged within 600 ms (waiting in the client's
          // buffer, backing off, or slow) is delivered again while the first delivery may still
          // be at work. (Much shorter than the handling time only measures overload: steps time
          // out three times and sagas park in `stuck`, as designed.)
          const jsm = await jetstreamManager(await system.connection());
          for (const { stream, name } of DURABLE_CONSUMERS) {
            await jsm.consumers.update(stream, name, { ack_wait: 600 * 1_000_000 });
          }
          const run = new FaultRun('transient-and-redelivery', system);
          // And every command and reply delivered twice on purpose, as copies.
          const duplicates = duplicateDeliveries(await system.connection());
          await run.load({ orders: sized(80, 400), perSecond: sized(20, 30) });
          await sleep(3000);
          const copies = await duplicates.stop();
          console.log(`[faults] transient-and-redelivery: ${copies} commands and replies delivered again as copies`);
          expect(copies).toBeGreaterThan(sized(80, 400));
          const report = await run.check({ settleMs: SETTLE_MS });
          const outcomes = await workerOutcomes(system);
          console.log(`[faults] transient-and-redelivery: worker deliveries by outcome ${JSON.stringify(outcomes)}`);
          expect(outcomes.transient ?? 0).toBeGreaterThan(0);
          const handled = Object.values(outcomes).reduce((sum, n) => sum + n, 0);
          const redelivered = await redeliveries(system, handled);
          console.log(`[faults] transient-and-redelivery: deliveries beyond one per stored command (transient retries, ack-wait redeliveries) ${redelivered}`);
          return report;
        },
      );
      expectClean(report, { minOrders: sized(80, 400) });
    },
    TIMEOUT,
  );

  it(
    'two orchestrators and two of each worker at once give the same invariants',
    async () => {
      const report = await withSystem(
        { env: BASE_ENV, extraInstances: { orchestrator: 1, inventory: 1, payment: 1, shipping: 1 } },
        async (system) => {
          expect(system.baseUrls).toHaveLength(2);
          const run = new FaultRun('scale-out', system);
          await run.load({ orders: sized(120, 600), perSecond: sized(25, 40) });
          return run.check({ settleMs: SETTLE_MS });
        },
      );
      expectClean(report, { minOrders: sized(120, 600) });
    },
    TIMEOUT,
  );
});
