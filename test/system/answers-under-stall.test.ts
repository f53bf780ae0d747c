/**
 * Every answer about an order stays true when the broker stalls (DESIGN rule 8), with real
 * processes on a private nats-server: a POST whose publish is not acknowledged in time is resolved
 * by re-publishing the same message (202), or answered 504 "outcome unknown" naming the order;
 * 503 "not accepted" only when nothing was sent; a GET that cannot ask NATS answers 503, never 404.
 *
 * Two kinds of stall: nats-server paused (SIGSTOP) and killed, as the issue reproduced them; and
 * the orchestrator's link to nats-server stalled at one chosen request (a proxy that holds every
 * byte from the first one naming `trigger`), to hit the moment between two calls exactly.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { createServer, connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAMS, SUBJECTS } from '../../lib/topology.ts';
import { orderIdForKey } from '../../orchestrator/http/order-ids.ts';
import { orderFor } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';

interface StallingLink {
  url: string;
  /** From the first client byte chunk that contains `trigger` on, hold everything the client sends. */
  stallAt(trigger: string): void;
  readonly stalled: boolean;
  /** Send what was held and pass everything through again. */
  release(): void;
  close(): void;
}

async function startStallingLink(port: number): Promise<StallingLink> {
  let trigger: string | null = null;
  let stalled = false;
  const held: [Socket, Buffer][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    const drop = () => (client.destroy(), upstream.destroy());
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      if (!stalled && trigger && chunk.includes(trigger)) stalled = true;
      if (stalled) held.push([upstream, chunk]);
      else upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${own}`,
    stallAt: (what) => (trigger = what),
    get stalled() {
      return stalled;
    },
    release() {
      trigger = null;
      stalled = false;
      for (const [socket, chunk] of held.splice(0)) if (!socket.destroyed) socket.write(chunk);
    },
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

let system: TestSystem;
let link: StallingLink;

beforeAll(async () => {
  system = await startSystem({
    env: { WORKER_LATENCY_MS: '0' },
    natsUrlFor: async (service, natsUrl) => {
      if (service !== 'orchestrator') return natsUrl;
      link = await startStallingLink(Number(new URL(natsUrl).port));
      return link.url;
    },
  });
}, 60_000);
afterAll(async () => {
  system?.nats.resume();
  link?.release();
  await system?.stop();
  link?.close();
});

const post = (body: unknown, headers: Record<string, string> = {}) => system.api('/api/orders', { body, headers });

async function submissionStored(orderId: string): Promise<boolean> {
  const jsm = await jetstreamManager(await system.connection());
  return (await jsm.streams.getMessage(STREAMS.events, { last_by_subj: SUBJECTS.submitted(orderId) })) !== null;
}

async function finalStatus(orderId: string): Promise<string> {
  let status = '';
  await until(`order ${orderId} to finish`, async () => {
    const answer = await system.api(`/api/orders/${orderId}`);
    status = answer.body?.status;
    return answer.status === 200 && status !== 'running';
  });
  return status;
}

describe('POST /api/orders while the broker stalls', () => {
  it('nats-server paused past one publish timeout, then resumed: 202, and the order completes once', async () => {
    system.nats.pause();
    const answer = post(orderFor('happy', 1));
    // The client's old answer came at 5 s: "not accepted", and then the order ran anyway.
    await new Promise((r) => setTimeout(r, 5_500));
    system.nats.resume();
    const { status, body } = await answer;
    expect(status).toBe(202);
    expect(await finalStatus(body.orderId)).toBe('completed');
  }, 60_000);

  it('nats-server paused longer than the API waits: 504 "outcome unknown" naming the order, which exists once NATS is back', async () => {
    system.nats.pause();
    const started = Date.now();
    const answer = await post(orderFor('happy', 2)).finally(() => undefined);
    const waited = Date.now() - started;
    // While still paused, looking it up says "cannot tell now", never "not found".
    const lookup = await system.api(`/api/orders/${answer.body.orderId}`);
    system.nats.resume();

    expect(answer.status).toBe(504);
    expect(answer.body).toMatchObject({ outcome: 'unknown', title: 'Outcome unknown', retryable: true });
    expect(answer.body.orderId).toMatch(/^ord_/);
    expect(answer.headers.get('location')).toBe(`/api/orders/${answer.body.orderId}`);
    expect(answer.headers.get('retry-after')).toBeTruthy();
    expect(answer.body.detail).toContain('Idempotency-Key');
    expect(waited).toBeLessThan(12_000);
    expect(lookup.status).toBe(503);
    expect(lookup.headers.get('retry-after')).toBeTruthy();
    // The publish sat in the paused server's socket: it is stored on resume, and runs.
    expect(await finalStatus(answer.body.orderId)).toBe('completed');
  }, 60_000);

  it('the publish stalled, then delivered: 504 names the key\'s order, and a retry with the same key answers it (one saga)', async () => {
    const key = 'stall-key-1';
    link.stallAt('HPUB saga.submitted.');
    const answer = await post(orderFor('happy', 3), { 'idempotency-key': key });
    link.release();
    expect(answer.status).toBe(504);
    expect(answer.body.orderId).toBe(orderIdForKey(key, { customer: orderFor('happy', 3).customerId }));

    const retried = await post(orderFor('happy', 3), { 'idempotency-key': key });
    expect(retried.status).toBe(202);
    expect(retried.body.orderId).toBe(answer.body.orderId);
    expect(await finalStatus(answer.body.orderId)).toBe('completed');
    const order = await system.api(`/api/orders/${answer.body.orderId}`);
    expect(order.body.history.filter((row: { event: string }) => row.event === 'ORDER_SUBMITTED')).toHaveLength(1);
  }, 60_000);

  it('nats-server down: 503 "not accepted" at once, naming an order that then never exists', async () => {
    const before = await post(orderFor('happy', 4));
    expect(before.status).toBe(202);
    await system.nats.kill();
    await until('/ready to notice', async () => (await fetch(`${system.baseUrl}/ready`)).status === 503, 15_000);

    const started = Date.now();
    // The caller's trace: the request continues it, and the order's would have too.
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const refused = await post(orderFor('happy', 5), { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` });
    const waited = Date.now() - started;
    // With a key, an earlier request may have stored the order: the answer speaks for this request only.
    const keyed = await post(orderFor('happy', 6), { 'idempotency-key': 'stall-keyed-down' });
    const [lookupExisting, lookupRefused] = await Promise.all([
      system.api(`/api/orders/${before.body.orderId}`),
      system.api(`/api/orders/${refused.body.orderId}`),
    ]);
    await system.nats.restart();
    await until('/ready again', async () => (await fetch(`${system.baseUrl}/ready`)).status === 200, 30_000);

    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ outcome: 'notAccepted', retryable: true });
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect(waited).toBeLessThan(2_000);
    expect(keyed.status).toBe(503);
    expect(keyed.body).toMatchObject({ outcome: 'notAccepted', orderId: orderIdForKey('stall-keyed-down', { customer: orderFor('happy', 6).customerId }) });
    expect(keyed.body.detail).toMatch(/this request stored nothing/);
    expect(keyed.body.detail).toMatch(/exists cannot be checked|an earlier request with this Idempotency-Key may have stored/);
    // The line the request wrote about it leads to the request's trace.
    const line = system.services.orchestrator.log
      .split('\n')
      .filter((text) => text.startsWith('{'))
      .map((text) => JSON.parse(text) as { msg?: string; orderId?: string; traceId?: string })
      .find((logged) => logged.msg === 'submission not stored' && logged.orderId === refused.body.orderId);
    expect(line?.traceId).toBe(callerTrace);
    // Down is "cannot tell now" for any id, known or not.
    for (const lookup of [lookupExisting, lookupRefused]) {
      expect(lookup.status).toBe(503);
      expect(lookup.headers.get('retry-after')).toBeTruthy();
    }
    expect((await system.api(`/api/orders/${before.body.orderId}`)).status).toBe(200);
    // Give a late flush every chance: nothing of the refused order reaches the stream.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await submissionStored(refused.body.orderId)).toBe(false);
    expect((await system.api(`/api/orders/${refused.body.orderId}`)).status).toBe(404);
  }, 90_000);
});

describe('GET /api/orders/:orderId while the broker stalls', () => {
  it('answers 503, not 404, when the bucket said "no saga" and the stream then does not answer', async () => {
    const unknown = `ord_${'0'.repeat(10)}${'z'.repeat(16)}`;
    link.stallAt(`DIRECT.GET.${STREAMS.events}.`);
    const answer = await system.api(`/api/orders/${unknown}`);
    const stalled = link.stalled;
    link.release();
    expect(stalled).toBe(true);
    expect(answer.status).toBe(503);
    expect(answer.body.orderId).toBe(unknown);
    expect(answer.headers.get('retry-after')).toBeTruthy();
    // When NATS can tell: 404.
    expect((await system.api(`/api/orders/${unknown}`)).status).toBe(404);
  }, 30_000);
});
