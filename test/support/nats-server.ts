/**
 * A private nats-server for one test file: its own free port and temporary data folder,
 * so tests can kill it (SIGKILL) and start it again on the same port and data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authorizationBlock, credentialsEnv, randomPasswords, type NatsIdentity } from '../../lib/nats-permissions.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

export interface TestNats {
  url: string;
  port: number;
  dataDir: string;
  /** SIGKILL the server (no clean shutdown). */
  kill(): Promise<void>;
  /** Start it again on the same port and data folder. */
  restart(): Promise<void>;
  /** SIGSTOP: the server freezes with every connection open (a stalled broker); `resume` continues it. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Stop it and delete its data. */
  stop(): Promise<void>;
  /** The server's process id while it runs, e.g. to read /proc. */
  readonly pid?: number | undefined;
  /**
   * Each service's password, when the server runs with the system's users and permissions
   * (lib/nats-permissions.ts); a client without credentials is `admin` there (the tests' own
   * connections). Absent: the server asks for no credentials.
   */
  passwords?: Record<NatsIdentity, string>;
}

/** The env a service connects with on `nats`: its own user, or nothing when the server has no users. */
export function natsCredentials(nats: Pick<TestNats, 'passwords'>, identity: NatsIdentity): Record<string, string> {
  return nats.passwords ? credentialsEnv(identity, nats.passwords) : {};
}

/**
 * A config file with the system's users and permissions, as every deployment runs them, with
 * fresh passwords; `admin` for clients that send none (the tests' probes). Flags given with it
 * (port, JetStream, data folder, cluster) override the file.
 */
export function writeAuthConfig(): { file: string; dir: string; passwords: Record<NatsIdentity, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'saga-nats-auth-'));
  const passwords = randomPasswords();
  const file = join(dir, 'nats.conf');
  writeFileSync(file, `${authorizationBlock(passwords, { noAuthUser: 'admin' })}\n`, { mode: 0o600 });
  return { file, dir, passwords };
}

/**
 * Return once the kernel reports the process stopped (state `T` in /proc), so a test's next
 * request meets a frozen server, not one still finishing its time slice on the other core.
 */
function waitUntilStopped(pid: number, timeoutMs = 1_000): void {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which is in parentheses and may hold spaces.
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T') return;
  }
}

/**
 * `openServer`: no users and no permissions (the benchmark's measure of what the permission
 * checks cost: BENCH_NATS_OPEN=1); every test runs with them, as deployments do.
 */
export async function startNats({ openServer = process.env.BENCH_NATS_OPEN === '1' }: { openServer?: boolean } = {}): Promise<TestNats> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'saga-nats-'));
  const auth = openServer ? undefined : writeAuthConfig();
  let child: ChildProcess | undefined;

  const launch = async () => {
    child = spawn('nats-server', [...(auth ? ['-c', auth.file] : []), '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dataDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    child.once('exit', (code, signal) => {
      if (code && code !== 0 && !signal) console.error(`nats-server exited with ${code}: ${stderr}`);
    });
    await waitForPort(port);
  };
  const signal = (name: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(name);
    if (name === 'SIGSTOP') waitUntilStopped(child.pid!);
  };
  const kill = async () => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((r) => current.once('exit', r));
    current.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    dataDir,
    ...(auth ? { passwords: auth.passwords } : {}),
    kill,
    restart: launch,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    async stop() {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
      if (auth) rmSync(auth.dir, { recursive: true, force: true });
    },
  };
}
