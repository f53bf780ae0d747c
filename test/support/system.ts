/**
 * The whole system for one test file, as real processes: a private nats-server, the
 * orchestrator and the three workers, each a child process that a test can SIGKILL and
 * start again. Nothing here talks to the machine's shared NATS on 4222.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CONSUMERS, STREAMS } from '../../lib/topology.ts';
import { freePort, natsCredentials, startNats, type TestNats } from './nats-server.ts';

export type ServiceName = 'orchestrator' | 'inventory' | 'payment' | 'shipping';
const WORKERS = ['inventory', 'payment', 'shipping'] as const;

export interface ServiceProcess {
  name: ServiceName;
  /** `orchestrator`, `payment`… for the first instance; `payment#2`… for extra instances. */
  label: string;
  /** SIGKILL: no drain, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit (a paused process is continued first). */
  stop(): Promise<void>;
  /** SIGSTOP: the process freezes mid-work (its timers fire late, its connections stay open). */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Start (again), optionally with env that differs from the system's, e.g. a fault rate. */
  start(extraEnv?: Record<string, string>): Promise<void>;
  readonly log: string;
  /** The running child's process id (undefined before start or after exit), e.g. to read /proc. */
  readonly pid: number | undefined;
}

export interface TestSystem {
  nats: TestNats;
  baseUrl: string;
  /** Each worker's probe URL, when `workerProbes` asked for them. */
  workerUrls: Partial<Record<ServiceName, string>>;
  services: Record<ServiceName, ServiceProcess>;
  /** Extra instances asked for with `extraInstances`, started after the first ones. */
  extra: ServiceProcess[];
  /** Every orchestrator's base URL: `baseUrl` first, then each extra orchestrator's. */
  baseUrls: string[];
  api<T = any>(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: T; headers: Headers }>;
  /** A NATS connection for assertions (streams, KV). */
  connection(): Promise<NatsConnection>;
  stop(): Promise<void>;
}

export interface SystemOptions {
  env?: Record<string, string>;
  /** Start the workers too (default true). */
  workers?: boolean;
  /** Give each worker a free port for /health, /ready and /metrics (off by default). */
  workerProbes?: boolean;
  /** More instances of a service to run at once, e.g. `{ orchestrator: 1, payment: 1 }` for two of each. */
  extraInstances?: Partial<Record<ServiceName, number>>;
  /**
   * Run on this NATS instead of starting a private nats-server (e.g. a 3-node cluster whose `url`
   * lists every node). The caller owns it: `stop()` leaves it running.
   */
  nats?: TestNats;
  /**
   * The NATS_URL one service (first instance) connects with, e.g. a TCP proxy in front of the
   * server for partitions. The test's own connections still go to the server directly.
   */
  natsUrlFor?: (service: ServiceName, natsUrl: string) => string | Promise<string>;
  /** Options for every service's node, e.g. `--cpu-prof` for the benchmark's profiles. */
  nodeArgs?: string[];
  /** Env for one instance by its label (`orchestrator`, `orchestrator#2`, `payment`…), over `env`. */
  envFor?: (label: string) => Record<string, string> | undefined;
}

const ROOT = new URL('../..', import.meta.url).pathname;

function serviceProcess(name: ServiceName, args: string[], env: NodeJS.ProcessEnv, ready: () => Promise<void>, label: string = name, nodeArgs: string[] = []): ServiceProcess {
  let child: ChildProcess | undefined;
  let log = '';
  const exited = () => !child || child.exitCode !== null || child.signalCode !== null;
  const waitExit = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
  return {
    name,
    label,
    get log() {
      return log;
    },
    get pid() {
      return exited() ? undefined : child!.pid;
    },
    async start(extraEnv?: Record<string, string>) {
      child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-200_000));
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      const started = child;
      await Promise.race([
        ready(),
        waitExit(started).then(() => {
          throw new Error(`${label} exited during start-up:\n${log.slice(-3000)}`);
        }),
      ]);
    },
    pause() {
      if (!exited()) child!.kill('SIGSTOP');
    },
    resume() {
      if (!exited()) child!.kill('SIGCONT');
    },
    async kill() {
      if (exited()) return;
      const c = child!;
      c.kill('SIGKILL');
      await waitExit(c);
    },
    async stop() {
      if (exited()) return;
      const c = child!;
      c.kill('SIGCONT');
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
      await waitExit(c);
      clearTimeout(timer);
    },
  };
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startSystem(options: SystemOptions = {}): Promise<TestSystem> {
  const ownNats = !options.nats;
  const nats = options.nats ?? (await startNats());
  // Each orchestrator keeps its saga index in its own folder, gone with the system.
  const dataRoot = mkdtempSync(join(tmpdir(), 'saga-system-'));
  const dataDirOf = (label: string) => join(dataRoot, label.replace('#', '-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NATS_URL: nats.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Workers' probe ports are off unless a test asks for them: systems never collide.
    WORKER_PORT: '0',
    // Tests and the benchmark drive the API from one client far past a person's pace (the bench
    // ~1,500 orders/s): the per-client budgets are raised here; a test of the limit sets its own.
    RATE_LIMIT_READS: '10000000',
    RATE_LIMIT_WRITES: '10000000',
    ...options.env,
  };
  const nodeArgs = options.nodeArgs ?? [];
  const connections: NatsConnection[] = [];
  const connection = async () => {
    const nc = await connect({ servers: nats.url.split(',').map((u) => u.trim()), maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    connections.push(nc);
    return nc;
  };
  const probe = await connection();

  const orchestratorReady = () =>
    until('the orchestrator to be ready', async () => (await fetch(`${baseUrl}/ready`)).status === 200);
  /** A worker is ready when its durable consumer has a pull request waiting. */
  const workerReady = (service: (typeof WORKERS)[number]) => () =>
    until(`worker ${service} to pull`, async () => {
      const jsm = await jetstreamManager(probe);
      const info = await jsm.consumers.info(STREAMS.commands, CONSUMERS.worker(service));
      return info.num_waiting > 0;
    });

  // Each service connects as its own NATS user, with only the permissions its job needs.
  const envFor = async (service: ServiceName, base: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> => ({
    ...base,
    ...natsCredentials(nats, service),
    ...(options.natsUrlFor ? { NATS_URL: await options.natsUrlFor(service, nats.url) } : {}),
    ...options.envFor?.(service),
  });
  const services = {
    orchestrator: serviceProcess('orchestrator', ['orchestrator/main.ts'], { DATA_DIR: dataDirOf('orchestrator'), ...(await envFor('orchestrator', env)) }, orchestratorReady, 'orchestrator', nodeArgs),
  } as Record<ServiceName, ServiceProcess>;
  const workerUrls: Partial<Record<ServiceName, string>> = {};
  for (const service of WORKERS) {
    const workerEnv = { ...(await envFor(service, env)) };
    if (options.workerProbes) {
      const probePort = await freePort();
      workerEnv.WORKER_PORT = String(probePort);
      workerUrls[service] = `http://127.0.0.1:${probePort}`;
    }
    services[service] = serviceProcess(service, ['workers/main.ts', service], workerEnv, workerReady(service), service, nodeArgs);
  }

  // The orchestrator creates the streams and consumers the workers attach to.
  await services.orchestrator.start();
  if (options.workers !== false) await Promise.all(WORKERS.map((w) => services[w].start()));

  // Extra instances: each orchestrator on its own HTTP port, each worker with its own probe port.
  const extra: ServiceProcess[] = [];
  const baseUrls = [baseUrl];
  for (const [name, count] of Object.entries(options.extraInstances ?? {}) as [ServiceName, number][]) {
    for (let i = 0; i < count; i++) {
      const label = `${name}#${i + 2}`;
      const ownPort = await freePort();
      const ownUrl = `http://127.0.0.1:${ownPort}`;
      const ownEnv = { ...env, ...natsCredentials(nats, name), INSTANCE_ID: `${label}-${ownPort}`, ...options.envFor?.(label) };
      const readyAt = (what: string) => () => until(what, async () => (await fetch(`${ownUrl}/ready`)).status === 200);
      if (name === 'orchestrator') {
        extra.push(serviceProcess(name, ['orchestrator/main.ts'], { DATA_DIR: dataDirOf(label), ...ownEnv, PORT: String(ownPort) }, readyAt(`${label} to be ready`), label));
        baseUrls.push(ownUrl);
      } else {
        extra.push(serviceProcess(name, ['workers/main.ts', name], { ...ownEnv, WORKER_PORT: String(ownPort) }, readyAt(`${label} to be ready`), label, nodeArgs));
      }
    }
  }
  await Promise.all(extra.map((s) => s.start()));

  return {
    nats,
    baseUrl,
    baseUrls,
    workerUrls,
    services,
    extra,
    connection,
    async api(path, init = {}) {
      const response = await fetch(`${baseUrl}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
        body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
      });
      const text = await response.text();
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body, headers: response.headers };
    },
    async stop() {
      await Promise.all([...Object.values(services), ...extra].map((s) => s.stop()));
      await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
      if (ownNats) await nats.stop();
      rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}

export { until };
