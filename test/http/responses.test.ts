/**
 * The response schemas tell the truth and change nothing. Fastify writes a response through its
 * schema (fast-json-stringify), which drops what the schema does not list and coerces what it
 * types otherwise: here every route is driven with real data, success and problem alike, and
 * each body sent must equal what the handler returned and validate against the schema the
 * OpenAPI document shows for its status. Real services (the inbox runs, no workers) on a
 * private nats-server; HTTP through inject.
 */
import { headers as natsHeaders } from '@nats-io/transport-node';
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { codec } from '../../lib/codec.ts';
import { HEADERS, SUBJECTS } from '../../lib/topology.ts';
import { submissionToProto } from '../../orchestrator/saga/submissions.ts';
import { orderFor } from '../support/orders.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';
import { buildTestApp, type TestApp } from './app-harness.ts';

const OPS = 'ops-secret-1';
const ops = { authorization: `Bearer ${OPS}`, 'x-actor': 'ida' };

interface Checked {
  route: string;
  status: number;
  mismatch?: { handed: unknown; sent: unknown };
  invalid?: unknown;
}

let nats: TestNats;
let t: TestApp;
const checked: Checked[] = [];

/** ISO-8601 as Date#toISOString writes it. */
const ajv = new Ajv({ strict: false, allErrors: true, formats: { 'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ } });
const validators = new Map<object, ValidateFunction>();

/** The schema a route's response is written with, for its status and content type. */
function responseSchema(request: FastifyRequest, status: number, contentType: string): object | undefined {
  const entry = (request.routeOptions.schema?.response as Record<string, any> | undefined)?.[status];
  if (!entry?.content) return entry;
  return entry.content[contentType.split(';')[0]!.trim()]?.schema;
}

/** Remembers what each handler handed to the serializer, then compares it with what was sent. */
function watchResponses(app: FastifyInstance): void {
  const handed = new WeakMap<FastifyRequest, unknown>();
  app.addHook('preSerialization', async (request, _reply, payload) => {
    handed.set(request, JSON.parse(JSON.stringify(payload)));
    return payload;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (!handed.has(request) || typeof payload !== 'string') return payload;
    const sent = JSON.parse(payload);
    const record: Checked = { route: `${request.method} ${request.routeOptions.url}`, status: reply.statusCode };
    try {
      expect(sent).toEqual(handed.get(request));
    } catch {
      record.mismatch = { handed: handed.get(request), sent };
    }
    const schema = responseSchema(request, reply.statusCode, String(reply.getHeader('content-type')));
    if (schema) {
      let validate = validators.get(schema);
      if (!validate) validators.set(schema, (validate = ajv.compile(schema)));
      if (!validate(sent)) record.invalid = validate.errors;
    } else if (request.routeOptions.url?.startsWith('/api/')) {
      record.invalid = 'no response schema for this status';
    }
    checked.push(record);
    return payload;
  });
}

beforeAll(async () => {
  nats = await startNats();
  // Sagas start on order-saga@1, so a replay has a version to move them to.
  t = await buildTestApp(nats.url, { env: { OPS_TOKEN: OPS, SAGA_MACHINE_VERSION: 'order-saga@1' }, runSagas: true, beforeReady: watchResponses });
}, 30_000);
afterAll(async () => {
  await t?.close();
  await nats?.stop();
});

const inject = (method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = ops) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

/** A dead letter as `source` writes one: on its own dead-letter subject, naming itself. */
async function forgeLetter(subject: string, data: Uint8Array, source = 'payment'): Promise<number> {
  const h = natsHeaders();
  h.set(HEADERS.dlqSubject, subject);
  h.set(HEADERS.dlqReason, 'could not be handled');
  h.set(HEADERS.dlqService, source);
  return (await t.nats.js.publish(SUBJECTS.deadLetter(source), data, { headers: h })).seq;
}

it('sends exactly what each handler returned, valid against its schema, on every route', async () => {
  // Orders: new, replayed by key, key reused, bad input, total too large.
  const keyed = { ...ops, 'idempotency-key': 'cart-responses-1' };
  const first = await inject('POST', '/api/orders', orderFor('happy', 1), keyed);
  expect(first.statusCode).toBe(202);
  const second = await inject('POST', '/api/orders', orderFor('happy', 2));
  expect(second.statusCode).toBe(202);
  const [a, b] = [first.json().orderId as string, second.json().orderId as string];
  expect((await inject('POST', '/api/orders', orderFor('happy', 1), keyed)).statusCode).toBe(202);
  expect((await inject('POST', '/api/orders', orderFor('happy', 3), keyed)).statusCode).toBe(422);
  expect((await inject('POST', '/api/orders', { customerId: '', items: [], extra: 1 })).statusCode).toBe(400);
  expect((await inject('POST', '/api/orders', { customerId: 'c', items: [{ sku: 'S', quantity: 10_000_000, unitPriceCents: 10_000_000_000 }] })).statusCode).toBe(400);
  await vi.waitFor(async () => expect((await t.runtime.read(b)) && (await t.runtime.read(a))).toBeTruthy(), { timeout: 15_000, interval: 100 });

  // Reads.
  for (const url of [`/api/orders/${a}`, '/api/orders?limit=1', '/api/orders?status=running&retrying=false', '/api/overview', '/api/config', '/api/system', '/health', '/ready']) {
    expect((await inject('GET', url)).statusCode, url).toBe(200);
  }
  expect((await inject('GET', '/api/orders/ord_0000000000000000000000000z')).statusCode).toBe(404);
  expect((await inject('GET', '/api/orders/not-an-id')).statusCode).toBe(400);
  expect((await inject('GET', '/api/orders?status=lost&limit=0')).statusCode).toBe(400);
  // Incidents (none yet, no deadlines here), and the export: a stream, its problems JSON.
  expect((await inject('GET', '/api/incidents?sample=2')).statusCode).toBe(200);
  expect((await inject('GET', '/api/incidents?limit=0')).statusCode).toBe(400);
  expect((await inject('GET', '/api/orders/export?format=ndjson')).statusCode).toBe(200);
  expect((await inject('GET', '/api/orders/export?format=xml')).statusCode).toBe(400);

  // Operator actions: refused, applied, unauthenticated, unknown order; replay planned, applied, then nothing to do.
  expect((await inject('POST', `/api/orders/${a}/retry`, { reason: 'r' })).statusCode).toBe(409);
  expect((await inject('POST', `/api/orders/${a}/replay?dryRun=true`, { reason: 'r' })).statusCode).toBe(200);
  expect((await inject('POST', `/api/orders/${a}/replay`, { reason: 'move to v2' })).statusCode).toBe(200);
  expect((await inject('POST', `/api/orders/${a}/replay`, { reason: 'again' })).statusCode).toBe(409);
  expect((await inject('POST', `/api/orders/${b}/cancel`, { reason: 'customer asked' })).statusCode).toBe(200);
  expect((await inject('POST', `/api/orders/${b}/cancel`, { reason: 'r' }, {})).statusCode).toBe(401);
  expect((await inject('POST', '/api/orders/ord_0000000000000000000000000z/compensate', { reason: 'r' })).statusCode).toBe(404);
  // Pause and resume: each once, then refused; the paused filter lists the held saga.
  expect((await inject('POST', `/api/orders/${a}/pause`, { reason: 'suspect customer' })).statusCode).toBe(200);
  expect((await inject('POST', `/api/orders/${a}/pause`, { reason: 'again' })).statusCode).toBe(409);
  expect((await inject('GET', '/api/orders?paused=true')).json().items.map((o: { orderId: string }) => o.orderId)).toEqual([a]);
  expect((await inject('POST', `/api/orders/${a}/resume`, { reason: 'checked' })).statusCode).toBe(200);
  expect((await inject('POST', `/api/orders/${a}/resume`, { reason: 'again' })).statusCode).toBe(409);
  // Resolve and fail by hand: only a stuck saga allows them; resolve needs the reference.
  expect((await inject('POST', `/api/orders/${a}/resolve`, { reason: 'booked by phone', reference: 'DHL-1' })).statusCode).toBe(409);
  expect((await inject('POST', `/api/orders/${a}/resolve`, { reason: 'booked by phone' })).statusCode).toBe(400);
  expect((await inject('POST', `/api/orders/${a}/fail`, { reason: 'lost for good' })).statusCode).toBe(409);
  expect((await inject('GET', `/api/orders/${b}`)).json().history.length).toBeGreaterThan(1);

  // Bulk jobs.
  expect((await inject('POST', '/api/bulk', { action: 'retry', filter: { status: 'stuck' }, reason: 'r', dryRun: true })).statusCode).toBe(200);
  const job = await inject('POST', '/api/bulk', { action: 'retry', filter: { status: 'stuck' }, reason: 'r' }, { ...ops, 'idempotency-key': 'bulk-1' });
  expect(job.statusCode).toBe(202);
  expect((await inject('POST', '/api/bulk', { action: 'retry', filter: { status: 'stuck' }, reason: 'r' }, { ...ops, 'idempotency-key': 'bulk-1' })).statusCode).toBe(200);
  expect((await inject('POST', '/api/bulk', { action: 'retry', filter: {}, reason: 'r' })).statusCode).toBe(400);
  expect((await inject('GET', '/api/bulk')).statusCode).toBe(200);
  expect((await inject('GET', `/api/bulk/${job.json().id}`)).statusCode).toBe(200);
  expect((await inject('POST', `/api/bulk/${job.json().id}/cancel`, { reason: 'r' })).statusCode).toBe(200);
  expect((await inject('GET', `/api/bulk/bulk_${'0'.repeat(20)}`)).statusCode).toBe(404);

  // Dead letters: one that decodes, one that does not, one whose subject no stream takes.
  const submission = { order: { orderId: a, customerId: 'c', currency: 'USD', items: [{ sku: 'S', quantity: 1, unitPriceCents: 1 }], totalCents: 1 }, traceparent: '', requestHash: 'h' };
  const decodes = await forgeLetter(SUBJECTS.submitted(a), codec.submission.encode(submissionToProto(submission, Date.now())), 'orchestrator');
  const garbage = await forgeLetter(SUBJECTS.reply('payment'), new TextEncoder().encode('not protobuf'));
  const forged = await forgeLetter('$JS.API.STREAM.PURGE.SAGA_EVENTS', new Uint8Array(4));
  expect((await inject('GET', '/api/dead-letters?limit=2')).statusCode).toBe(200);
  expect((await inject('GET', `/api/dead-letters/${decodes}`)).json().decoded).toBeTruthy();
  expect((await inject('GET', `/api/dead-letters/${garbage}`)).json().decodeError).toBeTruthy();
  expect((await inject('POST', `/api/dead-letters/${forged}/redrive`, { reason: 'r' })).statusCode).toBe(409);
  expect((await inject('POST', `/api/dead-letters/${garbage}/discard`, { reason: 'r' })).statusCode).toBe(200);
  expect((await inject('POST', `/api/dead-letters/${decodes}/redrive`, { reason: 'r' })).statusCode).toBe(200);
  expect((await inject('POST', '/api/dead-letters/redrive-all', { reason: 'r' })).statusCode).toBe(200);
  expect((await inject('GET', '/api/dead-letters/999999')).statusCode).toBe(404);
  expect((await inject('GET', '/api/audit')).statusCode).toBe(200);
  expect((await inject('GET', `/api/audit?orderId=${a}&limit=5`)).statusCode).toBe(200);

  expect(checked.filter((c) => c.mismatch || c.invalid)).toEqual([]);
  // Every API route that answers JSON was seen, successes and problems both.
  const seen = new Set(checked.map((c) => c.route));
  const jsonRoutes = t.routes.filter((r) => r.method !== 'HEAD' && /^\/(api|health|ready)/.test(r.url) && r.url !== '/api/stream').map((r) => `${r.method} ${r.url}`);
  expect([...new Set(jsonRoutes)].filter((route) => !seen.has(route))).toEqual([]);
  expect(new Set(checked.map((c) => Math.floor(c.status / 100)))).toEqual(new Set([2, 4]));
}, 60_000);
