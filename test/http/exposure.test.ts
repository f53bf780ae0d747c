/**
 * Safe defaults and bounds of the HTTP layer (issue 19): the Host check (DNS rebinding), the
 * start-up refusal of an open API beyond loopback, what GET /api/system says is exposed, the
 * per-client rate limit, the live stream's client cap and shared serialisation, and
 * Idempotency-Keys scoped to the customer or the token. Each test fails when its protection is removed.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, openApiRefusal, openApiWarnings } from '../../lib/config.ts';
import { hostAllowed } from '../../orchestrator/http/host-check.ts';
import { StreamHub, type StreamClient } from '../../orchestrator/http/stream.ts';
import type { SagaSummary } from '../../orchestrator/saga/summary.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const order = (customerId: string, sku = 'SKU-1') => ({ customerId, items: [{ sku, quantity: 1, unitPriceCents: 100 }] });

let nats: TestNats;
beforeAll(async () => {
  nats = await startNats();
}, 30_000);
afterAll(async () => {
  await nats?.stop();
});

describe('listening beyond loopback', () => {
  it('defaults to loopback', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(openApiRefusal(loadConfig({}))).toBeUndefined();
  });

  it('refuses 0.0.0.0 without OPS_TOKEN, unless ALLOW_INSECURE_OPEN_API=true, which is then warned about', () => {
    expect(openApiRefusal(loadConfig({ HOST: '0.0.0.0' }))).toMatch(/OPS_TOKEN is not set.*ALLOW_INSECURE_OPEN_API=true/);
    expect(openApiRefusal(loadConfig({ HOST: '::' }))).toBeDefined();
    expect(openApiRefusal(loadConfig({ HOST: '0.0.0.0', OPS_TOKEN: 'ops:secret-token' }))).toBeUndefined();
    const insecure = loadConfig({ HOST: '0.0.0.0', ALLOW_INSECURE_OPEN_API: 'true' });
    expect(openApiRefusal(insecure)).toBeUndefined();
    expect(openApiWarnings(insecure).join('\n')).toMatch(/INSECURE: ALLOW_INSECURE_OPEN_API=true/);
    for (const loopback of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(openApiRefusal(loadConfig({ HOST: loopback })), loopback).toBeUndefined();
    expect(() => loadConfig({ ALLOW_INSECURE_OPEN_API: 'yes' })).toThrow(/ALLOW_INSECURE_OPEN_API/);
  });

  it('the orchestrator exits non-zero with the reason, before it connects to anything', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'orchestrator/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '0.0.0.0', PORT: '0', NATS_URL: 'nats://127.0.0.1:1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(output).toMatch(/HOST=0\.0\.0\.0 listens beyond this machine, and OPS_TOKEN is not set/);
  }, 30_000);
});

describe('Host header (DNS rebinding)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(nats.url, { env: { TRUSTED_HOSTS: 'orders.example.com,*.corp.example' } });
  }, 30_000);
  afterAll(() => t?.close());

  const status = async (host: string, url = '/api/orders') => (await t.app.inject({ method: 'GET', url, headers: { host } })).statusCode;

  it('answers localhost, IP addresses, this machine and TRUSTED_HOSTS', async () => {
    for (const host of ['localhost:3000', 'LOCALHOST', '127.0.0.1:3000', '[::1]:3000', '10.1.2.3', `${hostname()}:3000`, 'orders.example.com', 'a.corp.example:8080']) {
      expect(await status(host), host).toBe(200);
    }
  });

  it('refuses any other name with 421 and a problem body, on the API, the UI and the probes alike', async () => {
    for (const host of ['evil.example', 'evil.example:3000', 'localhost.evil.example', 'corp.example', 'orders.example.com.evil.example']) {
      const answer = await t.app.inject({ method: 'GET', url: '/api/orders', headers: { host } });
      expect(answer.statusCode, host).toBe(421);
      expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(answer.json()).toMatchObject({ status: 421, title: 'Misdirected request' });
    }
    expect(await status('evil.example', '/')).toBe(421);
    expect(await status('evil.example', '/health')).toBe(421);
    const post = await t.app.inject({ method: 'POST', url: '/api/orders', headers: { host: 'evil.example' }, payload: order('cust-1') });
    expect(post.statusCode).toBe(421);
  });

  it('TRUSTED_HOSTS=* turns the check off', () => {
    expect(loadConfig({ TRUSTED_HOSTS: '*' }).trustedHosts).toBe('*');
    expect(hostAllowed('evil.example', [])).toBe(false);
    expect(hostAllowed(undefined, [])).toBe(false);
  });
});

describe('GET /api/system: what the settings expose', () => {
  it('says whether the API is open beyond loopback, on purpose, and what bounds apply', async () => {
    const t = await buildTestApp(nats.url, { env: { HOST: '0.0.0.0', ALLOW_INSECURE_OPEN_API: 'true', STREAM_MAX_CLIENTS: '7', RATE_LIMIT_READS: '500' } });
    try {
      const body = (await t.app.inject({ method: 'GET', url: '/api/system' })).json();
      expect(body.exposure).toMatchObject({
        listen: '0.0.0.0',
        loopbackOnly: false,
        insecureOpenApi: true,
        actionsNeedToken: false,
        readsNeedToken: false,
        hostCheck: true,
        streamMaxClients: 7,
        rateLimit: { reads: 500 },
      });
      expect(body.exposure.warnings.join('\n')).toMatch(/INSECURE/);
    } finally {
      await t.close();
    }
  }, 30_000);
});

describe('per-client rate limit', () => {
  let t: TestApp;
  const READER = 'reader-secret-1';
  const OTHER = 'other-secret-1';
  beforeAll(async () => {
    t = await buildTestApp(nats.url, { env: { RATE_LIMIT_READS: '3', RATE_LIMIT_WRITES: '2', OPS_TOKEN: 'ops:ops-secret-1', READ_TOKEN: `alice:${READER},bob:${OTHER}` } });
  }, 30_000);
  afterAll(() => t?.close());

  const get = (token: string, remoteAddress = '127.0.0.1') =>
    t.app.inject({ method: 'GET', url: '/api/orders', remoteAddress, headers: { authorization: `Bearer ${token}` } });

  it('answers 429 with Retry-After past the read budget, per token label, with a separate budget for writes', async () => {
    for (let i = 0; i < 3; i++) expect((await get(READER)).statusCode).toBe(200);
    const limited = await get(READER);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ status: 429, title: 'Too many requests' });
    // Another token's budget is its own, even from the same address.
    expect((await get(OTHER)).statusCode).toBe(200);
    // Writes have their own budget: alice's reads are spent, her writes are not (401/403 past the limit: counted, not limited).
    const write = () => t.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${READER}` }, payload: order('cust-rl') });
    expect((await write()).statusCode).toBe(202);
    expect((await write()).statusCode).toBe(202);
    expect((await write()).statusCode).toBe(429);
  });

  it('keys clients without a valid token by IP, and counts refused tokens too', async () => {
    const bad = (ip: string) => t.app.inject({ method: 'GET', url: '/api/orders', remoteAddress: ip, headers: { authorization: 'Bearer wrong-token-123' } });
    for (let i = 0; i < 3; i++) expect((await bad('192.0.2.1')).statusCode).toBe(401);
    expect((await bad('192.0.2.1')).statusCode).toBe(429);
    expect((await bad('192.0.2.2')).statusCode).toBe(401);
  });

  it('leaves the probes and the UI alone', async () => {
    for (let i = 0; i < 10; i++) expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});

describe('live stream bounds', () => {
  const summary = (orderId: string) => ({ orderId }) as unknown as SagaSummary;
  const fakeClient = (frames: Buffer[]): StreamClient => ({ write: (frame) => frames.push(frame), writableLength: 0, close() {} });

  it('serialises each change once, and writes the same bytes to every client', () => {
    let serialised = 0;
    const hub = new StreamHub(100, (s) => {
      serialised++;
      return JSON.stringify(s);
    });
    const frames: Buffer[][] = Array.from({ length: 50 }, () => []);
    for (const f of frames) expect(hub.add(fakeClient(f))).toBe(true);
    hub.publish(summary('ord_1'));
    hub.publish(summary('ord_2'));
    expect(serialised).toBe(2);
    expect(new Set(frames.map((f) => f[0]))).toHaveLength(1);
    expect(frames[0]![1]!.toString()).toBe('event: saga\ndata: {"orderId":"ord_2"}\n\n');
  });

  it('takes STREAM_MAX_CLIENTS clients; the next is answered 503 with Retry-After until one leaves', async () => {
    const t = await buildTestApp(nats.url, { env: { STREAM_MAX_CLIENTS: '2' } });
    const aborts: AbortController[] = [];
    try {
      const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
      const open = async () => {
        const abort = new AbortController();
        aborts.push(abort);
        const response = await fetch(`${address}/api/stream`, { signal: abort.signal });
        return { response, abort };
      };
      const first = await open();
      const second = await open();
      expect([first.response.status, second.response.status]).toEqual([200, 200]);
      const third = await open();
      expect(third.response.status).toBe(503);
      expect(third.response.headers.get('retry-after')).toBe('5');
      expect(await third.response.json()).toMatchObject({ status: 503, retryable: true });
      first.abort.abort();
      let fourth = 0;
      for (let i = 0; i < 50 && fourth !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const next = await open();
        fourth = next.response.status;
        if (fourth !== 200) await next.response.arrayBuffer();
      }
      expect(fourth).toBe(200);
    } finally {
      for (const abort of aborts) abort.abort();
      await t.close();
    }
  }, 30_000);
});

describe('Idempotency-Key scope', () => {
  let t: TestApp;
  let open: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(nats.url, { env: { OPS_TOKEN: 'ops:ops-secret-1', READ_TOKEN: 'shop-a:shop-a-secret,shop-b:shop-b-secret' } });
    open = await buildTestApp(nats.url);
  }, 30_000);
  afterAll(async () => {
    await t?.close();
    await open?.close();
  });

  const post = (body: object, key: string, token?: string) =>
    (token ? t : open).app.inject({ method: 'POST', url: '/api/orders', headers: { 'idempotency-key': key, ...(token ? { authorization: `Bearer ${token}` } : {}) }, payload: body });

  it('without a token, a key belongs to the customer: another customer with the same key gets its own order, and learns nothing', async () => {
    const mine = await post(order('cust-alice'), 'shared-key-1');
    expect(mine.statusCode).toBe(202);
    // The same customer again: the same order (idempotency holds).
    expect((await post(order('cust-alice'), 'shared-key-1')).json().orderId).toBe(mine.json().orderId);
    // The same customer, another body: 422, as before.
    expect((await post(order('cust-alice', 'SKU-2'), 'shared-key-1')).statusCode).toBe(422);
    // A stranger with the same key: no 422, and not alice's order.
    const theirs = await post(order('cust-mallory', 'SKU-2'), 'shared-key-1');
    expect(theirs.statusCode).toBe(202);
    expect(theirs.json().orderId).not.toBe(mine.json().orderId);
  });

  it('with a token, a key belongs to the token: another token holder with the same key and body gets another order', async () => {
    const a = await post(order('cust-1'), 'shared-key-2', 'shop-a-secret');
    const b = await post(order('cust-1'), 'shared-key-2', 'shop-b-secret');
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(b.json().orderId).not.toBe(a.json().orderId);
    expect((await post(order('cust-1'), 'shared-key-2', 'shop-a-secret')).json().orderId).toBe(a.json().orderId);
    expect((await post(order('cust-2'), 'shared-key-2', 'shop-a-secret')).statusCode).toBe(422);
  });
});
