/**
 * Slow replies past STEP_TIMEOUT_MS, under load. One worker at a time is restarted with a latency
 * of ~1.7× the step timeout for a few seconds (every command it answers then answers late: the
 * saga has already timed the attempt out and sent the next one), then restarted at normal speed.
 * Invariants (harness.ts): every order ends right, no effect applied twice (late replies of old
 * attempts are ignored; the worker's ledger gives every attempt of a step the one recorded
 * effect), books balance. The test also counts the late replies that really reached the saga.
 */
import { expect, it } from 'vitest';
import { startSystem } from '../support/system.ts';
import { expectClean, FaultRun, lateReplies, PROFILE, sized, sleep } from './harness.ts';

const STEP_TIMEOUT_MS = 1500;
const SLOW_MS = Math.round(STEP_TIMEOUT_MS * 1.7);
const ENV = {
  WORKER_LATENCY_MS: '20',
  WORKER_BACKOFF_MS: '10',
  STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS),
  // A step may time out a few times in a row while its worker is slow: keep it from parking.
  STEP_MAX_ATTEMPTS: '12',
  // Slow commands hold a handler each: enough handlers that the slow worker is late, not jammed.
  WORKER_POOL_SIZE: '200',
};

it(
  'replies slower than STEP_TIMEOUT_MS: late replies of old attempts are ignored, no order lost, no effect twice',
  async () => {
    const system = await startSystem({ env: ENV });
    try {
      const run = new FaultRun('slow-replies', system);
      const rounds = sized(1, 3);
      const workers = PROFILE === 'long' ? (['inventory', 'payment', 'shipping'] as const) : (['payment', 'shipping'] as const);
      const faults = (async () => {
        for (let round = 0; round < rounds; round++) {
          for (const worker of workers) {
            await sleep(1000);
            const service = system.services[worker];
            await run.fault(
              `slow replies (${SLOW_MS} ms > ${STEP_TIMEOUT_MS} ms timeout)`,
              worker,
              async () => {
                await service.stop();
                await service.start({ WORKER_LATENCY_MS: String(SLOW_MS) });
              },
              async () => {
                await service.stop();
                await service.start();
              },
              sized(5000, 8000),
            );
          }
        }
      })();
      await Promise.all([run.load({ orders: sized(80, 300), perSecond: sized(8, 12) }), faults]);
      const report = await run.check({ settleMs: 120_000 });
      const { late, replies, retriedSteps } = await lateReplies(system);
      console.log(`[faults] slow-replies: ${replies} replies, ${late} of them late (an older attempt than the step's latest command), ${retriedSteps} steps retried after a timeout`);
      expectClean(report, { minOrders: sized(80, 300) });
      // The fault really happened: steps timed out and old attempts' replies still arrived.
      expect(retriedSteps).toBeGreaterThan(0);
      expect(late).toBeGreaterThan(0);
    } finally {
      await system.stop();
    }
  },
  sized(150_000, 600_000),
);
