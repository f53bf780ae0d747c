/**
 * NATS connection security from env, against nats-servers that require it: user/password,
 * token, nkey seed, and TLS with a CA. The orchestrator connects, becomes ready and accepts an
 * order; without credentials it never becomes ready; and no secret appears in its logs.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitForPort } from '../support/nats-server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'saga-auth-'));
  dirs.push(dir);
  return dir;
}

async function natsServer(configLines: string[]): Promise<string> {
  const dir = tempDir();
  const port = await freePort();
  writeFileSync(join(dir, 'nats.conf'), [`listen: 127.0.0.1:${port}`, `jetstream { store_dir: "${join(dir, 'js')}" }`, ...configLines].join('\n'));
  const server = spawn('nats-server', ['-c', join(dir, 'nats.conf')], { stdio: 'ignore' });
  children.push(server);
  await waitForPort(port);
  return `nats://127.0.0.1:${port}`;
}

/** Start an orchestrator; answer whether it became ready in time, and what it logged. */
async function orchestrator(env: Record<string, string>, waitMs = 20_000): Promise<{ ready: boolean; log: string; baseUrl: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'orchestrator/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', WORKER_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let log = '';
  child.stdout!.on('data', (chunk) => (log += chunk));
  child.stderr!.on('data', (chunk) => (log += chunk));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${baseUrl}/ready`).then((r) => r.status === 200, () => false);
    if (ok) return { ready: true, log, baseUrl };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  return { ready: false, log, baseUrl };
}

async function acceptsAnOrder(baseUrl: string): Promise<number> {
  const response = await fetch(`${baseUrl}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: 'cust-auth', items: [{ sku: 'A', quantity: 1, unitPriceCents: 1 }] }),
  });
  return response.status;
}

describe('NATS authentication from env', () => {
  it('user and password', async () => {
    const url = await natsServer(['authorization { user: "saga", password: "s3cret-pass" }']);
    const denied = await orchestrator({ NATS_URL: url }, 3000);
    expect(denied.ready).toBe(false);
    const allowed = await orchestrator({ NATS_URL: url, NATS_USER: 'saga', NATS_PASSWORD: 's3cret-pass', LOG_LEVEL: 'info' });
    expect(allowed.ready).toBe(true);
    expect(await acceptsAnOrder(allowed.baseUrl)).toBe(202);
    expect(allowed.log).not.toContain('s3cret-pass');
  });

  it('token', async () => {
    const url = await natsServer(['authorization { token: "t0ken-s3cret" }']);
    const allowed = await orchestrator({ NATS_URL: url, NATS_TOKEN: 't0ken-s3cret', LOG_LEVEL: 'info' });
    expect(allowed.ready).toBe(true);
    expect(allowed.log).not.toContain('t0ken-s3cret');
  });

  it('nkey seed', async () => {
    const user = nkeys.createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const url = await natsServer([`authorization { users: [ { nkey: "${user.getPublicKey()}" } ] }`]);
    const dir = tempDir();
    writeFileSync(join(dir, 'seed.nk'), seed);
    const allowed = await orchestrator({ NATS_URL: url, NATS_NKEY_SEED_FILE: join(dir, 'seed.nk'), LOG_LEVEL: 'info' });
    expect(allowed.ready).toBe(true);
    expect(allowed.log).not.toContain(seed);
  });

  it('TLS with a CA', async () => {
    const dir = tempDir();
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=saga-test-ca');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
    const url = await natsServer([`tls { cert_file: "${join(dir, 'server.pem')}", key_file: "${join(dir, 'server.key')}" }`]);
    const allowed = await orchestrator({ NATS_URL: url.replace('nats://', 'tls://'), NATS_TLS_CA: join(dir, 'ca.pem') });
    expect(allowed.ready).toBe(true);
    expect(await acceptsAnOrder(allowed.baseUrl)).toBe(202);
  });

  it('refuses a half-set or conflicting configuration with a readable message', () => {
    const run = (env: Record<string, string>) => {
      try {
        execFileSync(process.execPath, ['--import', 'tsx', 'orchestrator/main.ts'], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: 'pipe' });
        return { code: 0, stderr: '' };
      } catch (error) {
        const e = error as { status: number; stderr: Buffer };
        return { code: e.status, stderr: e.stderr.toString() };
      }
    };
    expect(run({ NATS_USER: 'a', NATS_TOKEN: 'b' })).toMatchObject({ code: 2, stderr: expect.stringContaining('set only one of') });
    expect(run({ NATS_NKEY_SEED: 'not-a-seed' })).toMatchObject({ code: 2, stderr: expect.stringContaining('NATS_NKEY_SEED') });
    expect(run({ NATS_TLS_CA: '/nonexistent/ca.pem' })).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot be read') });
  });
});
