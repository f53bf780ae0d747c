/**
 * The services' NATS connection on a real nats-server: its requests (every JetStream publish, KV
 * write and API call) answer, fail and time out as the library's own do, so JetStream, KV and
 * our error handling see the same outcomes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, headers, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connectToNats } from '../../lib/nats-connection.ts';
import { SWEEP_MS } from '../../lib/request-mux.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';

let server: TestNats;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNats();
  nc = await connectToNats({ servers: server.url, noAsyncTraces: true });
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('requests', () => {
  it('gives each of many outstanding requests its own reply', async () => {
    const service = nc.subscribe('echo', { callback: (_error, msg) => void msg.respond(`re:${msg.string()}`) });
    const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => nc.request('echo', `m${i}`, { timeout: 5000 })));
    service.unsubscribe();
    expect(replies.map((reply) => reply.string())).toEqual(Array.from({ length: 500 }, (_, i) => `re:m${i}`));
  });

  it('carries headers to the responder', async () => {
    const service = nc.subscribe('headers', { callback: (_error, msg) => void msg.respond(msg.headers?.get('Nats-Msg-Id') ?? 'none') });
    const h = headers();
    h.set('Nats-Msg-Id', 'abc');
    const reply = await nc.request('headers', 'x', { timeout: 5000, headers: h });
    service.unsubscribe();
    expect(reply.string()).toBe('abc');
  });

  it('fails with no responders when nobody listens, as the library does', async () => {
    const failure = await nc.request('nobody.listens', 'x', { timeout: 5000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(errors.RequestError);
    expect((failure as InstanceType<typeof errors.RequestError>).isNoResponders()).toBe(true);
  });

  it('times out a request that is never answered, near its deadline, and ignores a late answer', async () => {
    let answer: (() => void) | undefined;
    const service = nc.subscribe('slow', { callback: (_error, msg) => void (answer = () => void msg.respond('late')) });
    const started = performance.now();
    const failure = await nc.request('slow', 'x', { timeout: 200 }).catch((error: unknown) => error);
    const waited = performance.now() - started;
    expect(failure).toBeInstanceOf(errors.TimeoutError);
    expect(waited).toBeGreaterThanOrEqual(199);
    expect(waited).toBeLessThan(200 + SWEEP_MS + 500);
    answer?.(); // nothing waits for it any more
    await nc.flush();
    const again = nc.subscribe('slow.fast', { callback: (_error, msg) => void msg.respond('ok') });
    expect((await nc.request('slow.fast', 'x', { timeout: 5000 })).string()).toBe('ok');
    service.unsubscribe();
    again.unsubscribe();
  });

  it('fails the requests still waiting when the connection closes', async () => {
    const other = await connectToNats({ servers: server.url, noAsyncTraces: true });
    nc.subscribe('never', { callback: () => undefined });
    await nc.flush();
    const waiting = other.request('never', 'x', { timeout: 20_000 }).catch((error: unknown) => error);
    await other.flush();
    await other.close();
    const failure = await waiting;
    expect(failure).toBeInstanceOf(errors.RequestError);
    expect((failure as Error).message).toMatch(/closed/);
  });
});

describe('JetStream and KV over these requests', () => {
  it('publishes with acks, de-duplicates by message id and rejects a stale compare-and-set', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'CONN', subjects: ['conn.>'], storage: StorageType.File });
    const js = jetstream(nc);
    const acks = await Promise.all(Array.from({ length: 200 }, (_, i) => js.publish(`conn.${i % 7}`, `m${i}`)));
    expect(new Set(acks.map((ack) => ack.seq)).size).toBe(200);
    const first = await js.publish('conn.once', 'x', { msgID: 'once' });
    const again = await js.publish('conn.once', 'x', { msgID: 'once' });
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);

    const kv = await new Kvm(nc).create('conn', { history: 1 });
    const revision = await kv.create('order', 'v1');
    await kv.update('order', 'v2', revision);
    await expect(kv.update('order', 'v3', revision)).rejects.toThrow(/wrong last sequence/);
    await expect(kv.create('order', 'again')).rejects.toThrow();
    expect((await kv.get('order'))?.string()).toBe('v2');
  });
});
