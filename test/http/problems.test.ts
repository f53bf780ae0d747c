/**
 * Error bodies: every error is a problem titled by its status, a URL the router cannot decode
 * included; a NATS outage answers 503 (never 404) and says truthfully what is known of the outcome.
 * Real services on a private nats-server; HTTP through Fastify's inject.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../orchestrator/http/app.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';

const READ = 'reader-secret-1';
const OPS = 'ops-secret-1';

let nats: TestNats;
let t: TestApp;

beforeAll(async () => {
  nats = await startNats();
  t = await buildTestApp(nats.url, { env: { READ_TOKEN: READ, OPS_TOKEN: OPS }, jsTimeoutMs: 1_000 });
}, 30_000);
afterAll(async () => {
  nats?.resume();
  await t?.close();
  await nats?.stop();
});

const ops = { authorization: `Bearer ${OPS}` };
const isProblem = (headers: Record<string, unknown>) => String(headers['content-type']).startsWith('application/problem+json');

describe('titles', () => {
  it('names each status: 413 is not a "Bad request", nor is 415 or 403', async () => {
    const tooLarge = await t.app.inject({ method: 'POST', url: '/api/orders', headers: { ...ops, 'content-type': 'application/json' }, payload: `"${'x'.repeat(BODY_LIMIT_BYTES)}"` });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toMatchObject({ title: 'Payload too large', status: 413 });
    const wrongType = await t.app.inject({ method: 'POST', url: '/api/orders', headers: { ...ops, 'content-type': 'application/xml' }, payload: '<order/>' });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.json()).toMatchObject({ title: 'Unsupported media type', status: 415 });
    const readerActs = await t.app.inject({ method: 'POST', url: '/api/dead-letters/redrive-all', headers: { authorization: `Bearer ${READ}` }, payload: { reason: 'r' } });
    expect(readerActs.statusCode).toBe(403);
    expect(readerActs.json()).toMatchObject({ title: 'Forbidden', status: 403 });
    const badJson = await t.app.inject({ method: 'POST', url: '/api/orders', headers: { ...ops, 'content-type': 'application/json' }, payload: '{"customerId":' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ title: 'Bad request', errors: [{ field: 'body' }] });
  });
});

describe('a URL the router cannot decode', () => {
  it.each(['/api/orders/%E0%A4%A', '/api/orders/%ZZ', '/api/dead-letters/%', '/%E0%A4%A'])('%s answers a 400 problem naming the url', async (url) => {
    const answer = await t.app.inject({ method: 'GET', url, headers: ops });
    expect(answer.statusCode).toBe(400);
    expect(isProblem(answer.headers)).toBe(true);
    expect(answer.json()).toMatchObject({ type: 'about:blank', title: 'Bad request', status: 400, errors: [{ field: 'url' }] });
  });
});

/** One request written byte for byte to the listening server (inject never goes through Node's parser); the whole answer. */
async function rawExchange(request: string): Promise<{ status: number; type: string; body: string }> {
  if (!t.app.server.listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as { port: number };
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => (data += chunk)).on('close', () => resolve(data)).on('error', reject);
    socket.end(request);
  });
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const type = /^content-type:\s*(.*)$/im.exec(head)?.[1] ?? '';
  return { status: Number(head.split(' ')[1]), type, body };
}

describe("a request Node's HTTP parser rejects", () => {
  it.each([
    ['a URL over 16 KiB', `GET /api/orders/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'Request header fields too large'],
    ['a malformed request line', 'HELLO\r\n\r\n', 400, 'Bad request'],
    ['a control character in a header', 'GET /api/orders HTTP/1.1\r\nHost: x\r\nX-Actor: a\x01b\r\n\r\n', 400, 'Bad request'],
    ['a Content-Length that is not a number', 'POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, 'Bad request'],
  ])('%s answers a problem (not Fastify\'s default body)', async (_what, request, status, title) => {
    const answer = await rawExchange(request);
    expect(answer.status).toBe(status);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.body)).toMatchObject({ type: 'about:blank', title, status });
  });
});

describe('when NATS does not answer', () => {
  it('answers 503 (not 404) to a read, and 504 "outcome unknown" to a write', async () => {
    // With NATS up, a letter that is not there is a 404.
    expect((await t.app.inject({ method: 'GET', url: '/api/dead-letters/999', headers: ops })).statusCode).toBe(404);
    nats.pause();
    try {
      const read = await t.app.inject({ method: 'GET', url: '/api/dead-letters/999', headers: ops });
      expect(read.statusCode).toBe(503);
      expect(read.headers['retry-after']).toBe('1');
      expect(read.json()).toMatchObject({ title: 'Service unavailable', retryable: true, detail: expect.stringMatching(/nothing was changed/) });
      expect(read.json().outcome).toBeUndefined();

      const write = await t.app.inject({ method: 'POST', url: '/api/dead-letters/999/discard', headers: ops, payload: { reason: 'r' } });
      expect(write.statusCode).toBe(504);
      expect(write.json()).toMatchObject({ outcome: 'unknown', detail: expect.stringMatching(/unknown.*before retrying/) });
      expect(write.json().detail).not.toMatch(/nothing was (accepted|changed)/);
    } finally {
      nats.resume();
    }
    await vi.waitFor(async () => expect((await t.app.inject({ method: 'GET', url: '/api/dead-letters/999', headers: ops })).statusCode).toBe(404), {
      timeout: 15_000,
      interval: 200,
    });
  }, 30_000);
});
