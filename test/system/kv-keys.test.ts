/** Listing a bucket's keys on a real nats-server: the filter, deletes, an empty bucket, and a listing that ends while the bucket changes. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { listKeys } from '../../lib/kv-keys.ts';
import { isTimeout } from '../../lib/nats-errors.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';

let server: TestNats;
let nc: NatsConnection;
let kv: KV;

beforeAll(async () => {
  server = await startNats();
  nc = await connect({ servers: server.url });
  kv = await new Kvm(nc).create('keys_test');
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

it('lists the live keys the filter matches, and an empty bucket as none', async () => {
  expect(await listKeys(kv)).toEqual([]);
  for (const key of ['job-a', 'job-b', 'job-a.ids.n1.0', 'job-c']) await kv.put(key, 'x');
  await kv.delete('job-c');
  expect((await listKeys(kv)).sort()).toEqual(['job-a', 'job-a.ids.n1.0', 'job-b']);
  expect((await listKeys(kv, '*')).sort()).toEqual(['job-a', 'job-b']);
});

it('gives the caller an answer while the bucket is being written: the keys, or a timeout, never a wait without end', async () => {
  let writing = true;
  const writer = (async () => {
    for (let n = 0; writing; n++) await kv.put(`busy-${n % 50}`, String(n));
  })();
  try {
    for (let round = 0; round < 20; round++) {
      const answer = await listKeys(kv, '>', 2_000).catch((error: unknown) => error);
      if (Array.isArray(answer)) expect(answer).toContain('job-a');
      else expect(isTimeout(answer)).toBe(true);
    }
  } finally {
    writing = false;
    await writer;
  }
});
