/**
 * Access is decided on the route that matched, not on the URL as written: every registered route
 * (collected by auth.ts's onRoute hook, so a new route is covered by itself) under encoded,
 * doubled-slash, trailing-slash and mixed-case variants, without a token and with a read token.
 * Real services on a private nats-server; HTTP through Fastify's inject.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { STREAMS } from '../../lib/topology.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';
import { pathVariants, requestFor, type RouteCall } from './variants.ts';

const READ = 'reader-secret-1';
const ANNA = 'anna-secret-1';
const ENV = { READ_TOKEN: READ, OPS_TOKEN: `anna:${ANNA},ben:ben-secret-1` };

let nats: TestNats;
let t: TestApp;
let shell: string;

beforeAll(async () => {
  nats = await startNats();
  t = await buildTestApp(nats.url, { env: ENV });
  shell = (await t.app.inject({ method: 'GET', url: '/' })).body;
}, 30_000);
afterAll(async () => {
  await t?.close();
  await nats?.stop();
});

interface Answer {
  status: number;
  type: string;
  body: string;
}

/** One request; an event stream is cut off once its headers are in (it never ends by itself). */
async function call(request: RouteCall & { headers?: Record<string, string> }): Promise<Answer> {
  const response: LightMyRequestResponse = await t.app.inject({ ...request, payloadAsStream: true });
  const type = String(response.headers['content-type'] ?? '');
  const stream = response.stream();
  if (type.startsWith('text/event-stream')) {
    stream.destroy();
    return { status: response.statusCode, type, body: '' };
  }
  let body = '';
  for await (const chunk of stream) body += chunk;
  return { status: response.statusCode, type, body };
}

/** A 2xx that is not the UI's page (which any unknown page gets) is protected data. */
const leaked = (answer: Answer) => answer.status >= 200 && answer.status < 300 && !(answer.type.startsWith('text/html') && (answer.body === shell || answer.body === ''));

const submissions = async () => (await t.nats.jsm.streams.info(STREAMS.events)).state.messages;

describe('every protected route, under every variant of its path', () => {
  it('answers no 2xx without a token, and no ops route answers 2xx to a read token', async () => {
    const protectedRoutes = t.routes.filter((r) => r.access !== 'open');
    // The table is the app's own: it must hold the routes this test knows of, and more as they come.
    expect(protectedRoutes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['POST /api/orders', 'GET /api/orders', 'GET /api/audit', 'GET /api/stream', 'GET /api/system', 'GET /api/dead-letters', 'POST /api/bulk']),
    );
    expect(t.routes.find((r) => r.url === '/api/config')?.access).toBe('open');
    const ordersBefore = await submissions();
    let tried = 0;
    const leaks: string[] = [];
    for (const route of protectedRoutes) {
      for (const path of pathVariants(route.url)) {
        const request = requestFor(route, path);
        const anonymous = await call(request);
        tried++;
        if (leaked(anonymous)) leaks.push(`${request.method} ${path} → ${anonymous.status} without a token`);
        if (route.access === 'ops') {
          const reader = await call({ ...request, headers: { authorization: `Bearer ${READ}` } });
          tried++;
          if (leaked(reader)) leaks.push(`${request.method} ${path} → ${reader.status} with a read token`);
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(tried).toBeGreaterThan(protectedRoutes.length * 10);
    // POST /%61pi/orders and its kin never stored an order.
    expect(await submissions()).toBe(ordersBefore);
  });

  it('reaches the same route through the encoded path with a token (so the variants above are real)', async () => {
    const auth = { authorization: `Bearer ${READ}` };
    expect((await call({ method: 'GET', url: '/%61pi/orders', headers: auth })).status).toBe(200);
    expect((await call({ method: 'GET', url: '/%61pi/audit', headers: auth })).status).toBe(200);
    expect((await call({ method: 'GET', url: '/%61pi/system', headers: auth })).status).toBe(200);
  });

  it('answers 401, not 404, to a path that matches no route', async () => {
    expect((await call({ method: 'POST', url: '/%61pi/no-such-thing', payload: {} })).status).toBe(401);
    expect((await call({ method: 'DELETE', url: '/api/orders' })).status).toBe(401);
  });
});

describe('tokens', () => {
  it('takes the Bearer scheme in any case (RFC 7235)', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect((await call({ method: 'GET', url: '/api/orders', headers: { authorization: `${scheme} ${READ}` } })).status, scheme).toBe(200);
    }
    expect((await call({ method: 'GET', url: '/api/orders', headers: { authorization: `Basic ${READ}` } })).status).toBe(401);
    expect((await call({ method: 'GET', url: '/api/orders', headers: { authorization: `Bearer ${READ}x` } })).status).toBe(401);
  });

  it('takes ?access_token= on the live stream (however its path is written) and nowhere else', async () => {
    expect(await call({ method: 'GET', url: `/api/stream?access_token=${READ}` })).toMatchObject({ status: 200, type: expect.stringMatching(/^text\/event-stream/) });
    expect((await call({ method: 'GET', url: `/%61pi/stream?access_token=${READ}` })).status).toBe(200);
    expect((await call({ method: 'GET', url: '/api/stream?access_token=wrong-token' })).status).toBe(401);
    expect((await call({ method: 'GET', url: `/api/orders?access_token=${READ}` })).status).toBe(401);
    expect((await call({ method: 'GET', url: `/api/stream/../orders?access_token=${READ}` })).status).toBe(401);
  });

  it('lets an ops token act under the encoded path too (the route decides, not the spelling)', async () => {
    const answer = await call({ method: 'POST', url: '/%61pi/dead-letters/999/discard', payload: { reason: 'r' }, headers: { authorization: `bearer ${ANNA}` } });
    expect(answer.status).toBe(404);
  });
});

describe('READ_TOKEN without OPS_TOKEN', () => {
  it('is refused at start-up with a message naming both', () => {
    expect(() => loadConfig({ READ_TOKEN: READ })).toThrow(/READ_TOKEN.*OPS_TOKEN/);
    expect(() => loadConfig({ READ_TOKEN: READ, OPS_TOKEN: ANNA })).not.toThrow();
    expect(() => loadConfig({})).not.toThrow();
  });

  it('turns acting off rather than letting read-token holders act, should such a config get through', async () => {
    const readOnly = await buildTestApp(nats.url, { override: { readTokens: [{ label: 'reader', token: READ }], opsTokens: [] } });
    try {
      const act = await readOnly.app.inject({ method: 'POST', url: '/api/dead-letters/redrive-all', payload: { reason: 'r' }, headers: { authorization: `Bearer ${READ}` } });
      expect(act.statusCode).toBe(403);
      expect(act.json()).toMatchObject({ title: 'Forbidden', detail: expect.stringMatching(/READ_TOKEN.*OPS_TOKEN/) });
      expect((await readOnly.app.inject({ method: 'GET', url: '/api/orders', headers: { authorization: `Bearer ${READ}` } })).statusCode).toBe(200);
    } finally {
      await readOnly.close();
    }
  });
});
