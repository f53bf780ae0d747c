/**
 * A 3-node NATS cluster on loopback for one test file: three nats-server processes with
 * JetStream, routes to each other (cluster `saga`), their own data folders, client ports and
 * monitoring ports. Each node can be SIGKILLed and started again on the same ports and data.
 * The cluster also passes as a `TestNats` (its `url` lists every node) for `startSystem`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort, writeAuthConfig, type TestNats } from './nats-server.ts';

export interface ClusterNode {
  /** The server name (`-n`), as JetStream reports leaders and replicas. */
  name: string;
  port: number;
  clusterPort: number;
  monitorPort: number;
  url: string;
  readonly running: boolean;
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT this node. */
  pause(): void;
  resume(): void;
}

export interface NatsCluster extends TestNats {
  nodes: ClusterNode[];
  node(name: string): ClusterNode;
  /** Wait until a JetStream meta leader exists (seen by every running node); returns its name. */
  waitForMetaLeader(timeoutMs?: number): Promise<string>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Jsz {
  meta_cluster?: { name?: string; leader?: string; cluster_size?: number };
}

async function jsz(monitorPort: number): Promise<Jsz | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${monitorPort}/jsz`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? ((await response.json()) as Jsz) : null;
  } catch {
    return null;
  }
}

export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const root = mkdtempSync(join(tmpdir(), 'saga-nats-cluster-'));
  // Every node with the system's users and permissions (lib/nats-permissions.ts), as deployed.
  const auth = writeAuthConfig();
  const specs = await Promise.all(
    Array.from({ length: size }, async (_, i) => ({
      name: `n${i + 1}`,
      port: await freePort(),
      clusterPort: await freePort(),
      monitorPort: await freePort(),
      dataDir: join(root, `n${i + 1}`),
    })),
  );
  const nodes: ClusterNode[] = specs.map((spec) => {
    let child: ChildProcess | undefined;
    let stderr = '';
    mkdirSync(spec.dataDir, { recursive: true });
    const running = () => !!child && child.exitCode === null && child.signalCode === null;
    const routes = specs.filter((s) => s !== spec).map((s) => `nats://127.0.0.1:${s.clusterPort}`);
    const launch = async () => {
      child = spawn(
        'nats-server',
        [
          '-c', auth.file,
          '-a', '127.0.0.1',
          '-p', String(spec.port),
          '-m', String(spec.monitorPort),
          '-n', spec.name,
          '-js',
          '-sd', spec.dataDir,
          '--cluster_name', 'saga',
          '-cluster', `nats://127.0.0.1:${spec.clusterPort}`,
          '-routes', routes.join(','),
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
      child.once('exit', (code, signal) => {
        if (code && code !== 0 && !signal) console.error(`nats-server ${spec.name} exited with ${code}: ${stderr}`);
      });
      await waitForPort(spec.port);
    };
    return {
      name: spec.name,
      port: spec.port,
      clusterPort: spec.clusterPort,
      monitorPort: spec.monitorPort,
      url: `nats://127.0.0.1:${spec.port}`,
      get running() {
        return running();
      },
      async kill() {
        const current = child;
        if (!current || !running()) return;
        const exited = new Promise((r) => current.once('exit', r));
        current.kill('SIGKILL');
        await exited;
      },
      restart: launch,
      pause: () => void (running() && child!.kill('SIGSTOP')),
      resume: () => void (running() && child!.kill('SIGCONT')),
    };
  });

  const cluster: NatsCluster = {
    url: nodes.map((n) => n.url).join(','),
    port: nodes[0]!.port,
    dataDir: root,
    passwords: auth.passwords,
    nodes,
    node(name) {
      const found = nodes.find((n) => n.name === name);
      if (!found) throw new Error(`no cluster node named ${name}`);
      return found;
    },
    async waitForMetaLeader(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const views = await Promise.all(nodes.filter((n) => n.running).map((n) => jsz(n.monitorPort)));
        const leaders = new Set(views.map((v) => v?.meta_cluster?.leader));
        const [leader] = leaders;
        if (views.length > 0 && leaders.size === 1 && leader) return leader;
        await sleep(100);
      }
      throw new Error(`no JetStream meta leader after ${timeoutMs} ms`);
    },
    async kill() {
      await Promise.all(nodes.map((n) => n.kill()));
    },
    pause() {
      for (const n of nodes) n.pause();
    },
    resume() {
      for (const n of nodes) n.resume();
    },
    async restart() {
      await Promise.all(nodes.filter((n) => !n.running).map((n) => n.restart()));
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(root, { recursive: true, force: true });
      rmSync(auth.dir, { recursive: true, force: true });
    },
  };
  await Promise.all(nodes.map((n) => n.restart()));
  await cluster.waitForMetaLeader();
  return cluster;
}
