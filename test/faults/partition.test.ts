/**
 * Partitions: a TCP proxy sits between nats-server and the orchestrator, and another between
 * nats-server and the payment worker. Under load the test cuts a link for a few seconds (every
 * open connection destroyed, new ones dropped), restores it, and repeats: the orchestrator alone,
 * the payment worker alone, both at once. Invariants (harness.ts): no accepted order lost, no
 * effect applied twice, books balance; the recovery time of each cut is in the report, with the
 * time the service took to reconnect through the proxy.
 */
import { expect, it } from 'vitest';
import { startSystem, type ServiceName } from '../support/system.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { between, expectClean, FaultRun, PROFILE, sized, sleep } from './harness.ts';

const ENV = { WORKER_LATENCY_MS: '20', WORKER_BACKOFF_MS: '10', STEP_TIMEOUT_MS: '3000' };

/** Wait until the proxied service opened a new connection (its reconnect), or give up. */
async function reconnected(proxy: TcpProxy, before: number, timeoutMs = 30_000): Promise<number | null> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (proxy.connections > before) return Date.now() - start;
    await sleep(20);
  }
  return null;
}

it(
  'cutting and restoring the links between NATS and the orchestrator / a worker loses no order and applies no effect twice',
  async () => {
    const proxies: Partial<Record<ServiceName, TcpProxy>> = {};
    const system = await startSystem({
      env: ENV,
      natsUrlFor: async (service, natsUrl) => {
        if (service !== 'orchestrator' && service !== 'payment') return natsUrl;
        const proxy = await startTcpProxy({ port: Number(new URL(natsUrl).port) });
        proxies[service] = proxy;
        return proxy.url;
      },
    });
    try {
      const run = new FaultRun('partition', system);
      const targets: ServiceName[][] = [['orchestrator'], ['payment'], ['orchestrator', 'payment']];
      const cuts = sized(3, 9);
      const reconnects: string[] = [];
      const measured: Promise<void>[] = [];
      const faults = (async () => {
        for (let i = 0; i < cuts; i++) {
          await sleep(between(800, 2000));
          const names = targets[i % targets.length]!;
          const links = names.map((n) => proxies[n]!);
          const before = links.map((l) => l.connections);
          await run.fault(
            'partition',
            names.join('+'),
            async () => links.forEach((l) => l.cut()),
            async () => {
              links.forEach((l) => l.restore());
              // Measured on the side: the fault's recovery time counts from the restore.
              measured.push(
                Promise.all(links.map((l, k) => reconnected(l, before[k]!))).then((times) => {
                  reconnects.push(`${names.join('+')}: reconnected after ${times.map((t) => (t === null ? 'never' : `${t} ms`)).join(', ')}`);
                }),
              );
            },
            between(sized(2000, 2000), sized(4000, 6000)),
          );
        }
      })();
      await Promise.all([run.load({ orders: sized(100, 400), perSecond: sized(15, 20) }), faults]);
      await Promise.all(measured);
      const report = await run.check({ settleMs: 120_000 });
      console.log(`[faults] partition (${PROFILE}) reconnects:\n  ${reconnects.join('\n  ')}`);
      expectClean(report, { minOrders: sized(100, 400) });
      expect(report.faults).toHaveLength(cuts);
      // The orchestrator's cuts were seen by clients as 503s or no answer, never as a 202 that was not kept.
      expect((report.answers['503'] ?? 0) + (report.answers.unreachable ?? 0)).toBeGreaterThan(0);
    } finally {
      await system.stop();
      await Promise.all(Object.values(proxies).map((p) => p.close()));
    }
  },
  sized(150_000, 600_000),
);
