/**
 * The system under test for a load case: a private nats-server with file storage (unless one
 * is given), the orchestrator and workers as separate processes with the bench environment, an
 * order submitter on every orchestrator and a completion watch on the saga bucket (or on the
 * API's stream).
 */
import { startSystem, type ServiceName, type TestSystem } from '../test/support/system.ts';
import type { TestNats } from '../test/support/nats-server.ts';
import { ApiCompletions } from './api-completions.ts';
import { closedLoop, CompletionWatch, happyOrders, OrderSubmitter, type Completions, type LoadTarget, type OrderMix } from './load.ts';
import type { Progress } from './report.ts';
import { envNumber, systemEnv, type EnvProfile } from './settings.ts';

export interface BenchSystem extends LoadTarget {
  system: TestSystem;
  /** Every process of the system by label (`orchestrator`, `payment#2`, `nats`…), running now. */
  processes(): Map<string, number>;
  stop(): Promise<void>;
}

export interface BenchSystemOptions {
  nats?: TestNats;
  env?: Record<string, string>;
  /** `bench` (long step timeout) unless the case measures the services' own defaults. */
  profile?: EnvProfile;
  extraInstances?: Partial<Record<ServiceName, number>>;
  /** Where completions are seen: the saga bucket (default), or the public API as a client sees them. */
  completions?: 'bucket' | 'api';
}

export async function startBenchSystem(options: BenchSystemOptions = {}): Promise<BenchSystem> {
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  const system = await startSystem({
    env: systemEnv(options.env, options.profile),
    // Each service writes a .cpuprofile there when it stops (open it in Chrome DevTools).
    ...(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
    ...(options.nats ? { nats: options.nats } : {}),
    ...(options.extraInstances ? { extraInstances: options.extraInstances } : {}),
  });
  let watch: Completions;
  try {
    watch = options.completions === 'api' ? await ApiCompletions.start(system.baseUrl) : await CompletionWatch.start(system.nats.url);
  } catch (error) {
    await system.stop();
    throw error;
  }
  const submitter = new OrderSubmitter(system.baseUrls);
  return {
    system,
    submitter,
    watch,
    processes() {
      const running = new Map<string, number>();
      for (const service of [...Object.values(system.services), ...system.extra]) if (service.pid) running.set(service.label, service.pid);
      if (system.nats.pid) running.set('nats', system.nats.pid);
      return running;
    },
    async stop() {
      submitter.close();
      await watch.stop();
      await system.stop();
    },
  };
}

/** How long a start-up may take before a case gives up on it: a large stored set is read whole first. */
const READY_BOUND_MS = 600_000;
const READY_POLL_MS = 10;

/**
 * Starts the (stopped) orchestrator: `spawnedAt` is when its process was spawned, `ready` when
 * /ready first answered 200 (both performance.now()). Polls /ready itself, often and for up to
 * ten minutes, because test/support's start gives up after 30 s and polls every 100 ms; only
 * the process exiting fails it sooner.
 */
export function startOrchestrator(bench: BenchSystem): { spawnedAt: number; ready: Promise<number> } {
  const service = bench.system.services.orchestrator;
  const spawnedAt = performance.now();
  let exited: unknown;
  // The service spawns before its first await, so `spawnedAt` is the spawn.
  void service.start().catch((error: unknown) => {
    if (service.pid === undefined) exited = error;
  });
  const ready = (async () => {
    const url = new URL('/ready', bench.system.baseUrl);
    while (performance.now() - spawnedAt < READY_BOUND_MS) {
      if (exited) throw exited;
      const status = await fetch(url).then((response) => (void response.arrayBuffer(), response.status), () => 0);
      if (status === 200) return performance.now();
      await settle(READY_POLL_MS);
    }
    throw new Error(`the orchestrator was not ready ${READY_BOUND_MS / 1000} s after spawn`);
  })();
  return { spawnedAt, ready };
}

/** Lets the last writes of a finished run (acks, clean-ups) land before the next measure. */
export const settle = (ms = 1000) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs BENCH_WARMUP_ORDERS (5,000) orders and lets them settle, so what follows measures a running
 * system rather than JIT compilation and first connections. 500 were not enough: the first two
 * seconds of the latency case after them were slow for nearly every order (p99 at 200/s 51–87 ms,
 * against 35 ms after 5,000). Returns how many sagas it stored.
 */
export async function warmUp(bench: BenchSystem, progress: Progress, mix: OrderMix = happyOrders): Promise<number> {
  const orders = envNumber('BENCH_WARMUP_ORDERS', 5000);
  // Customers far from the measured runs' numbers, so no measured order repeats one.
  await closedLoop(bench, { label: 'warm-up', orders, mix, firstIndex: 10_000_000, progress });
  await settle();
  return orders;
}
