/**
 * `npm start`: the whole system on one machine. Uses NATS_URL if set, else a JetStream on
 * 127.0.0.1:4222 if one answers, else starts `nats-server -js` with its data under DATA_DIR.
 * Runs the orchestrator and the three workers as separate processes with prefixed logs,
 * restarts one that dies, and on Ctrl-C drains them all before stopping.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { loadConfigOrExit, openApiRefusal } from '../lib/config.ts';
import { authorizationBlock, credentialsEnv, passwordsFromEnv, PASSWORD_ENV, type NatsIdentity } from '../lib/nats-permissions.ts';
import { ensureUiBuilt } from './ui-build.ts';

const config = loadConfigOrExit();
// The orchestrator refuses this too; said here once, rather than by a child restarted every second.
const refusal = openApiRefusal(config);
if (refusal) {
  console.error(`configuration error: ${refusal}`);
  process.exit(2);
}
const COLORS = ['\x1b[36m', '\x1b[33m', '\x1b[35m', '\x1b[32m', '\x1b[34m'];
const RESET = '\x1b[0m';
const children = new Map<string, ChildProcess>();
let stopping = false;

function say(message: string) {
  console.log(`\x1b[1m[start]${RESET} ${message}`);
}

/** Each service's password when known: the embedded server's, or NATS_PASSWORD_<SERVICE> for a NATS run elsewhere. */
let passwords: Partial<Record<NatsIdentity, string>> = Object.fromEntries(
  Object.entries(PASSWORD_ENV).flatMap(([identity, name]) => (process.env[name] ? [[identity, process.env[name]]] : [])),
);

async function jetStreamAnswers(url: string, auth: { user?: string; pass?: string } = {}): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: 1000, reconnect: false, ...auth });
    try {
      await (await jetstreamManager(nc)).getAccountInfo();
      return true;
    } finally {
      await nc.close();
    }
  } catch {
    return false;
  }
}

function pipeWithPrefix(name: string, color: string, child: ChildProcess) {
  const width = 'worker-inventory'.length;
  const prefix = `${color}${name.padEnd(width)}${RESET} |`;
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => console.log(`${prefix} ${line}`));
  }
}

function run(name: string, args: string[], env: NodeJS.ProcessEnv, color: string, restart: boolean) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.set(name, child);
  pipeWithPrefix(name, color, child);
  child.once('exit', (code, signal) => {
    children.delete(name);
    if (stopping || !restart) return;
    say(`${name} exited (${signal ?? `code ${code}`}); restarting in 1 s`);
    setTimeout(() => !stopping && run(name, args, env, color, restart), 1000);
  });
  return child;
}

async function embeddedNats(): Promise<string> {
  if (spawnSync('nats-server', ['--version']).error) {
    console.error(
      'No NATS with JetStream answers on 127.0.0.1:4222 and nats-server is not installed.\n' +
        'Install it (Debian/Ubuntu: apt-get install nats-server) or set NATS_URL.',
    );
    process.exit(1);
  }
  const dataDir = resolve(config.dataDir, 'nats');
  mkdirSync(dataDir, { recursive: true });
  // Each service its own user with only its job on the bus (lib/nats-permissions.ts): passwords
  // from NATS_PASSWORD_<IDENTITY>, else fresh ones for this run, in a file only we may read.
  const runPasswords = passwordsFromEnv(process.env);
  passwords = runPasswords;
  const authFile = resolve(config.dataDir, 'nats-auth.conf');
  writeFileSync(authFile, `${authorizationBlock(runPasswords)}\n`, { mode: 0o600 });
  say(`starting nats-server -js on 127.0.0.1:4222 with data in ${dataDir}, a user per service (${authFile})`);
  // Its own process group: Ctrl-C reaches the services, and NATS stops only after they drained.
  const server = spawn('nats-server', ['-c', authFile, '-a', '127.0.0.1', '-p', '4222', '-js', '-sd', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.set('nats-server', server);
  pipeWithPrefix('nats-server', COLORS[4]!, server);
  const url = 'nats://127.0.0.1:4222';
  for (let i = 0; i < 50; i++) {
    if (await jetStreamAnswers(url, { user: 'admin', pass: runPasswords.admin })) return url;
    await new Promise((r) => setTimeout(r, 100));
  }
  console.error('nats-server did not come up; see its log lines above');
  process.exit(1);
}

async function main() {
  ensureUiBuilt(say);
  let natsUrl = process.env.NATS_URL;
  if (natsUrl) say(`using NATS_URL=${natsUrl}`);
  else if (await jetStreamAnswers('nats://127.0.0.1:4222', config.natsAuth.user ? { user: config.natsAuth.user, pass: config.natsAuth.password ?? '' } : {})) {
    natsUrl = 'nats://127.0.0.1:4222';
    say(`using the NATS with JetStream that answers on ${natsUrl}`);
  } else natsUrl = await embeddedNats();

  const env = { ...process.env, NATS_URL: natsUrl, LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty' };
  // A service whose password is known connects as its own user; else with the env as given.
  const envOf = (identity: NatsIdentity) => {
    const password = passwords[identity];
    return password ? { ...env, ...credentialsEnv(identity, { [identity]: password } as Record<NatsIdentity, string>) } : env;
  };
  const tsx = ['--import', 'tsx'];
  run('orchestrator', [...tsx, 'orchestrator/main.ts'], envOf('orchestrator'), COLORS[0]!, true);
  (['inventory', 'payment', 'shipping'] as const).forEach((service, i) =>
    run(`worker-${service}`, [...tsx, 'workers/main.ts', service], envOf(service), COLORS[i + 1]!, true),
  );
  // HOST defaults to 127.0.0.1 (only this machine); 0.0.0.0 or :: listen everywhere, reached here as localhost.
  const host = ['0.0.0.0', '::', '127.0.0.1'].includes(config.host) ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  say(`inspector UI: http://${host}:${config.port}/   API: http://${host}:${config.port}/api/orders   (Ctrl-C stops everything)`);
}

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  say(`${signal}: draining services`);
  const services = [...children.entries()].filter(([name]) => name !== 'nats-server');
  await Promise.all(services.map(([, child]) => stopChild(child)));
  const nats = children.get('nats-server');
  if (nats) await stopChild(nats);
  say('stopped');
  process.exit(0);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
await main();
