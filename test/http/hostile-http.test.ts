/**
 * The hostile-HTTP fault kind, against the real system (orchestrator and workers as processes,
 * READ_TOKEN and OPS_TOKEN set): every protected route under every variant of its path, sent
 * byte for byte over a raw socket (no client normalises `%61` or `//`), without a token and, for
 * ops routes, with a read token, while real orders flow. No protected route answers 2xx (or holds
 * the request open), no hostile order is stored, and the real orders complete. Figures in
 * test-output/faults/hostile-http.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STREAMS, SUBJECTS } from '../../lib/topology.ts';
import type { RouteAccess } from '../../orchestrator/http/auth.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';
import { buildTestApp } from './app-harness.ts';
import { pathVariants, requestFor } from './variants.ts';

const READ = 'reader-secret-1';
const OPS = 'anna:anna-secret-1';
const OUTPUT = new URL('../../test-output/faults/', import.meta.url).pathname;

let system: TestSystem;
let routes: RouteAccess[];

beforeAll(async () => {
  system = await startSystem({ env: { READ_TOKEN: READ, OPS_TOKEN: OPS } });
  // The routes as the orchestrator registers them (auth.ts's table), from the same code, in-process.
  const probe = await buildTestApp(system.nats.url, { env: { READ_TOKEN: READ, OPS_TOKEN: OPS } });
  routes = [...probe.routes];
  await probe.close();
}, 90_000);
afterAll(async () => system?.stop());

interface RawAnswer {
  status: number;
  type: string;
  body: string;
}

/** One HTTP/1.1 request with the path exactly as written; an event stream is cut off after its headers, silence after 5 s. */
function rawRequest(baseUrl: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const head = [
    `${method} ${path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ...(body === undefined ? [] : ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`]),
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    const answer = (): RawAnswer | null => {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return null;
      const [statusLine, ...lines] = data.slice(0, end).split('\r\n');
      const type = lines.find((l) => /^content-type:/i.test(l))?.replace(/^content-type:\s*/i, '') ?? '';
      return { status: Number(statusLine!.split(' ')[1]), type, body: data.slice(end + 4) };
    };
    // Held open with no answer (a stream that let the request in, e.g. HEAD): status 0.
    socket.setTimeout(5_000, () => {
      socket.destroy();
      resolve(answer() ?? { status: 0, type: '', body: '' });
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const parsed = answer();
      if (parsed?.type.startsWith('text/event-stream')) {
        socket.destroy();
        resolve(parsed);
      }
    });
    socket.on('end', () => {
      const parsed = answer();
      if (parsed) resolve(parsed);
      else reject(new Error(`no HTTP answer to ${method} ${path}: ${JSON.stringify(data.slice(0, 200))}`));
    });
    socket.on('error', reject);
    socket.write(`${head}\r\n\r\n${body ?? ''}`);
  });
}

/** How many of the orders completed, once all have finished (read with the token: reads are protected). */
async function completedOf(orderIds: string[], auth: Record<string, string>): Promise<number> {
  const statuses = new Map<string, string>();
  await until(
    'the real orders to finish',
    async () => {
      for (const id of orderIds.filter((id) => !['completed', 'cancelled', 'failed', 'stuck'].includes(statuses.get(id) ?? ''))) {
        const answer = await system.api(`/api/orders/${id}`, { headers: auth });
        if (answer.status === 200) statuses.set(id, answer.body.status);
      }
      return orderIds.every((id) => ['completed', 'cancelled', 'failed', 'stuck'].includes(statuses.get(id) ?? ''));
    },
    60_000,
  );
  return [...statuses.values()].filter((s) => s === 'completed').length;
}

const isSuccess = (status: number) => status >= 200 && status < 300;

it('no protected route answers without a token over real HTTP, and no hostile order is stored', async () => {
  const started = Date.now();
  const nc = await system.connection();
  const jsm = await jetstreamManager(nc);
  const submissions = async () => {
    const counts = (await jsm.streams.info(STREAMS.events, { subjects_filter: SUBJECTS.submittedAll })).state.subjects ?? {};
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  };

  const shell = (await rawRequest(system.baseUrl, 'GET', '/', {})).body;
  const protectedRoutes = routes.filter((r) => r.access !== 'open');
  expect(protectedRoutes.length).toBeGreaterThan(20);

  // Real orders flow meanwhile, with a token.
  const auth = { authorization: `Bearer ${READ}` };
  const legit = Promise.all(
    Array.from({ length: 20 }, async (_, n) => {
      const answer = await system.api('/api/orders', { body: { customerId: `cust-legit-${n}`, items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 100 + n }] }, headers: auth });
      expect(answer.status).toBe(202);
      return answer.body.orderId as string;
    }),
  );

  const answers: Record<string, number> = {};
  const leaks: string[] = [];
  let requests = 0;
  for (const route of protectedRoutes) {
    for (const path of pathVariants(route.url)) {
      const { method, payload } = requestFor(route, path);
      const body = payload === undefined ? undefined : JSON.stringify(payload);
      const tries: [string, Record<string, string>][] = [['no token', {}], ['wrong token', { authorization: 'Bearer not-a-token-at-all' }]];
      if (route.access === 'ops') tries.push(['read token', auth]);
      for (const [who, headers] of tries) {
        const answer = await rawRequest(system.baseUrl, method, path, headers, body);
        requests++;
        answers[answer.status] = (answers[answer.status] ?? 0) + 1;
        // The UI's page (what any unknown page gets) carries no data; anything else 2xx would.
        const uiPage = answer.type.startsWith('text/html') && (answer.body === shell || method === 'HEAD');
        if ((isSuccess(answer.status) || answer.status === 0) && !uiPage) leaks.push(`${method} ${path} (${who}) → ${answer.status} ${answer.type}`);
      }
    }
  }

  const orderIds = await legit;
  const legitCompleted = await completedOf(orderIds, auth);
  // Only the real orders were stored: every hostile POST /…orders was turned away.
  const stored = await submissions();
  const hostileStored = stored - orderIds.length;

  const report = {
    scenario: 'hostile-http',
    profile: 'short',
    durationMs: Date.now() - started,
    routes: protectedRoutes.length,
    requests,
    answers,
    successWithoutToken: leaks.length,
    leaks,
    hostileOrdersStored: hostileStored,
    orders: orderIds.length,
    ordersCompleted: legitCompleted,
  };
  console.log(
    `[faults] hostile-http: ${requests} hostile requests over ${protectedRoutes.length} protected routes, 2xx without a token ${leaks.length}, ` +
      `hostile orders stored ${hostileStored}, real orders ${orderIds.length} (completed ${legitCompleted}); answers ${JSON.stringify(answers)}`,
  );
  try {
    mkdirSync(OUTPUT, { recursive: true });
    writeFileSync(`${OUTPUT}hostile-http.json`, JSON.stringify(report, null, 2));
  } catch {
    // the figures are also on the console
  }

  expect(leaks).toEqual([]);
  expect(hostileStored).toBe(0);
  expect(legitCompleted).toBe(orderIds.length);
}, 120_000);
