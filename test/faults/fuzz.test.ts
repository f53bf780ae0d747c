/**
 * Bad input, property-based (fast-check): thousands of random and malformed API requests only
 * ever get 202/400/404/413/422 (422: a reused Idempotency-Key), never a 500 or a crash; random
 * bytes and wrong-typed protobuf on every subject end in the dead-letter stream with a reason,
 * while good orders keep completing.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codec, create, LineItemSchema, OrderSchema, OrderSubmittedSchema, ReplySchema, CommandSchema } from '../../lib/codec.ts';
import { toBinary } from '@bufbuild/protobuf';
import { HEADERS, STREAMS } from '../../lib/topology.ts';
import { orderFor, waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';
import { sized } from './harness.ts';

let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ env: { WORKER_BACKOFF_MS: '10' } });
});
afterAll(async () => system?.stop());

const ALLOWED = new Set([202, 400, 404, 413, 422]);

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 });
const anyText = fc.string({ unit: 'binary', maxLength: 60 });
const num = fc.oneof(fc.integer(), fc.double(), fc.constant(0), fc.constant(-1), fc.constant(2 ** 53), fc.constant(1e308));
const weird = fc.oneof(anyText, num, fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));

const item = fc.record(
  {
    sku: fc.oneof(printable, anyText, weird),
    quantity: fc.oneof(fc.integer({ min: 1, max: 5 }), num, weird),
    unitPriceCents: fc.oneof(fc.integer({ min: 0, max: 10_000 }), num, weird),
    extra: weird,
  },
  { requiredKeys: [] },
);
const order = fc.record(
  {
    customerId: fc.oneof(printable, anyText, weird),
    items: fc.oneof(fc.array(item, { maxLength: 4 }), weird),
    currency: fc.oneof(fc.constant('USD'), anyText, weird),
    extra: weird,
  },
  { requiredKeys: [] },
);
/** Good orders too, so 202 and the reused-key 422 are exercised, not only refusals. */
const goodOrder = fc.record({
  customerId: printable,
  items: fc.array(fc.record({ sku: printable, quantity: fc.integer({ min: 1, max: 5 }), unitPriceCents: fc.integer({ min: 0, max: 10_000 }) }), { minLength: 1, maxLength: 3 }),
});
const body: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
  goodOrder.map((o) => JSON.stringify(o)),
  order.map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  anyText,
  fc.uint8Array({ maxLength: 200 }),
  fc.constant(undefined),
  fc.constant('{"customerId":"c","items":[{"sku":"A","quantity":1,"unitPriceCents":1}]'),
  fc.constant(JSON.stringify({ customerId: 'c', items: [{ sku: 'A', quantity: 1, unitPriceCents: 1 }], pad: 'x'.repeat(70_000) })),
);
const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 4 },
  fc.constant('application/json; charset=utf-8'),
  fc.constant('application/json; charset=latin1'),
  fc.constant('text/plain'),
  fc.constant(''),
  printable,
);
const idPath = fc.oneof(printable, anyText, fc.constant('ord_00000000000000000000000000'), fc.constant('..'), fc.constant('%'));

const request: fc.Arbitrary<FuzzRequest> = fc.oneof(
  // Submissions, with random headers and an occasional Idempotency-Key.
  fc.record({ body, ct: contentType, key: fc.option(fc.oneof(printable, fc.constant('same-key'), anyText)) }).map(({ body, ct, key }) => ({
    method: 'POST',
    path: '/api/orders',
    headers: { ...(ct ? { 'content-type': ct } : {}), ...(key !== null ? { 'idempotency-key': key } : {}) },
    ...(body === undefined ? {} : { body }),
  })),
  // Reads and operator actions on random ids.
  fc.record({ id: idPath, action: fc.constantFrom('', '/retry', '/compensate', '/cancel', '/replay', '/replay?dryRun=true'), body }).map(({ id, action, body }) => ({
    method: action ? 'POST' : 'GET',
    path: `/api/orders/${encodeURIComponent(id)}${action}`,
    headers: (action ? { 'content-type': 'application/json' } : {}) as Record<string, string>,
    ...(action && body !== undefined ? { body } : {}),
  })),
  // Lists with random query strings.
  fc.record({ status: anyText, limit: fc.oneof(anyText, num.map(String)), cursor: anyText }).map((q) => ({
    method: 'GET',
    path: `/api/orders?${new URLSearchParams(q).toString()}`,
    headers: {},
  })),
);

async function send(r: FuzzRequest): Promise<number | 'client-refused' | 'no-answer'> {
  let response: Response;
  try {
    response = await fetch(`${system.baseUrl}${r.path}`, { method: r.method, headers: r.headers, body: r.body, signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    // fetch itself refuses some header values (e.g. control characters): nothing was sent.
    const cause = (error as { cause?: { code?: string } }).cause;
    if (error instanceof TypeError && (!/fetch failed/.test(error.message) || cause?.code === 'UND_ERR_INVALID_ARG')) return 'client-refused';
    return 'no-answer';
  }
  await response.arrayBuffer();
  return response.status;
}

it('random and malformed API requests only get 202/400/404/413/422, never a 500 or a crash', async () => {
  const offenders: string[] = [];
  const seen: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const status = await send(r);
      seen[status] = (seen[status] ?? 0) + 1;
      if (status === 'client-refused') return true;
      // 415 is HTTP's answer to a body that is not JSON at all (Fastify's content-type check).
      const notJson = !/^application\/json/i.test(r.headers['content-type'] ?? '');
      if (typeof status !== 'number' || !(ALLOWED.has(status) || (status === 415 && notJson))) {
        offenders.push(`${status} ← ${r.method} ${r.path} ${JSON.stringify(r.headers)} ${typeof r.body === 'string' ? r.body.slice(0, 200) : r.body ? `<${r.body.length} bytes>` : ''}`);
      }
      return true;
    }),
    { numRuns: sized(2000, 10_000) },
  );
  console.log(`[fuzz] API answers: ${JSON.stringify(seen)}`);
  expect(offenders.slice(0, 20)).toEqual([]);
  expect((await fetch(`${system.baseUrl}/health`)).status).toBe(200);
  expect((await fetch(`${system.baseUrl}/ready`)).status).toBe(200);
}, 300_000);

it('random bytes and wrong-typed protobuf on every subject end in the dead-letter stream, good orders keep completing', async () => {
  const nc = await system.connection();
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const before = (await jsm.streams.info(STREAMS.deadLetters)).state.messages;

  const submission = codec.submission.encode(
    create(OrderSubmittedSchema, {
      order: create(OrderSchema, { orderId: 'ord_x', customerId: 'c', items: [create(LineItemSchema, { sku: 'A', quantity: 1 })] }),
    }),
  );
  const wrongTyped = [submission, toBinary(ReplySchema, create(ReplySchema, {})), toBinary(CommandSchema, create(CommandSchema, {}))];
  const payload = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...wrongTyped), fc.constant(new Uint8Array()));
  const subject = fc.oneof(
    printable.map((id) => `saga.submitted.${id.replace(/[.*>]/g, '_')}`),
    fc.constantFrom('saga.reply.inventory', 'saga.reply.payment', 'saga.reply.shipping', 'saga.cmd.inventory', 'saga.cmd.payment', 'saga.cmd.shipping'),
  );
  const poison = fc.sample(fc.tuple(subject, payload, fc.boolean()), sized(150, 1000));

  // Poison and good orders at the same time.
  const good = Promise.all(
    Array.from({ length: 20 }, async (_, n) => (await system.api('/api/orders', { body: orderFor('happy', n) })).body.orderId as string),
  );
  const published: { stream: string; seq: number; subject: string }[] = [];
  for (const [subj, data, withOrderHeader] of poison) {
    const h = natsHeaders();
    if (withOrderHeader) h.set(HEADERS.orderId, 'ord_00000000000000000000000000');
    const ack = await js.publish(subj, data, { headers: h });
    published.push({ stream: ack.stream, seq: ack.seq, subject: subj });
  }
  const goodIds = await good;

  await until(`${published.length} dead letters`, async () => (await jsm.streams.info(STREAMS.deadLetters)).state.messages >= before + published.length, 60_000).catch(() => undefined);
  const info = await jsm.streams.info(STREAMS.deadLetters);
  const letters = new Map<string, { reason: string; subject: string }>();
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const letter = await jsm.streams.getMessage(STREAMS.deadLetters, { seq }).catch(() => null);
    if (!letter) continue;
    letters.set(`${letter.header.get(HEADERS.dlqStream)}:${letter.header.get(HEADERS.dlqSequence)}`, {
      reason: letter.header.get(HEADERS.dlqReason),
      subject: letter.header.get(HEADERS.dlqSubject),
    });
  }
  const missing = published.filter((p) => !letters.has(`${p.stream}:${p.seq}`)).map((p) => `${p.subject} (${p.stream} #${p.seq})`);
  const withoutReason = published.filter((p) => letters.get(`${p.stream}:${p.seq}`)?.reason === '').map((p) => p.subject);
  console.log(`[fuzz] ${published.length} poison messages, ${published.length - missing.length} dead-lettered`);
  expect(missing).toEqual([]);
  expect(withoutReason).toEqual([]);

  const settled = await waitUntilSettled(system, goodIds, 60_000);
  expect([...settled.values()].map((o) => o.status)).toEqual(goodIds.map(() => 'completed'));
  expect((await fetch(`${system.baseUrl}/ready`)).status).toBe(200);
}, 180_000);
