/**
 * The long profile only (npm run test:faults): every fault together on a scaled-out system.
 * Two orchestrators and two of each worker, transient faults, short ack waits, and a series of
 * SIGKILLs of random services and of nats-server while orders flow.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { expect, it } from 'vitest';
import { DURABLE_CONSUMERS } from '../../lib/topology.ts';
import { startSystem, type ServiceProcess } from '../support/system.ts';
import { between, expectClean, FaultRun, PROFILE, sized, sleep } from './harness.ts';

it.runIf(PROFILE === 'long')(
  'every fault together, repeatedly, loses no order and applies no effect twice',
  async () => {
    const system = await startSystem({
      env: { WORKER_LATENCY_MS: '30', WORKER_BACKOFF_MS: '10', STEP_TIMEOUT_MS: '4000', FAULT_RATE: '0.2' },
      extraInstances: { orchestrator: 1, inventory: 1, payment: 1, shipping: 1 },
    });
    try {
      const jsm = await jetstreamManager(await system.connection());
      const shortAckWait = async () => {
        for (const { stream, name } of DURABLE_CONSUMERS) {
          await jsm.consumers.update(stream, name, { ack_wait: 1000 * 1_000_000 }).catch(() => undefined);
        }
      };
      await shortAckWait();

      const run = new FaultRun('all-faults', system);
      const processes: ServiceProcess[] = [...Object.values(system.services), ...system.extra];
      const faultCount = sized(4, 12);
      const faults = (async () => {
        for (let i = 0; i < faultCount; i++) {
          await sleep(between(500, 2500));
          if (i % 4 === 3) {
            await run.fault('SIGKILL', 'nats-server', () => system.nats.kill(), () => system.nats.restart(), between(500, 2000));
          } else {
            const victim = processes[between(0, processes.length - 1)]!;
            await run.fault('SIGKILL', victim.label, () => victim.kill(), () => victim.start(), between(200, 1500));
          }
          // A restarted orchestrator sets the consumers' ack waits back to 30 s: shorten them again.
          await shortAckWait();
        }
      })();
      await Promise.all([run.load({ orders: sized(200, 800), perSecond: 30 }), faults]);
      const report = await run.check();
      expectClean(report, { minOrders: sized(200, 800) });
      expect(report.faults).toHaveLength(faultCount);
    } finally {
      await system.stop();
    }
  },
  900_000,
);
