/**
 * The order the bucket's follower hears revisions in, when a write's acknowledgement comes after
 * the watch has moved past it (a slow ack under load). A KV double stands in for NATS here only
 * to hold the acknowledgement back at will; the real bucket is in test/system/saga-bucket.test.ts.
 */
import type { KV, KvWatchEntry } from '@nats-io/kv';
import { expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { SagaBucket } from '../../orchestrator/saga/saga-bucket.ts';
import { ServerClock } from '../../orchestrator/saga/server-clock.ts';
import { encodeStoredEntry } from '../../orchestrator/saga/stored-entry.ts';
import { summarize } from '../../orchestrator/saga/summary.ts';
import { answer, completed, started } from '../support/saga-entries.ts';

const logger = createLogger('test', { logLevel: 'silent', logPretty: false, instanceId: 'test' });

/** A bucket whose watch delivers what the test pushes, and whose update answers when the test says. */
function heldBackKv() {
  const queue: KvWatchEntry[] = [];
  let wake: (() => void) | undefined;
  let acknowledge!: (revision: number) => void;
  const kv = {
    status: async () => ({ values: 0, streamInfo: { state: { last_seq: 0 } } }),
    update: () => new Promise<number>((resolve) => (acknowledge = resolve)),
    watch: async () => ({
      stop: () => undefined,
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length > 0) yield queue.shift()!;
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
    }),
  } as unknown as KV;
  const deliver = (key: string, revision: number, value: Uint8Array) => {
    queue.push({ key, revision, value, operation: 'PUT', created: new Date(), delta: 1 } as unknown as KvWatchEntry);
    wake?.();
  };
  return { kv, deliver, acknowledge: (revision: number) => acknowledge(revision) };
}

it("never reports a write whose acknowledgement came after the watch had passed it, however many sagas the watch brought since", async () => {
  const { kv, deliver, acknowledge } = heldBackKv();
  const bucket = new SagaBucket(kv, kv, new ServerClock(), logger);
  const heard: string[] = [];
  bucket.follow({ stored: (summary, revision) => heard.push(`${summary.orderId}@${revision} ${summary.status}`), removed: () => undefined, watchedTo: () => undefined });
  await bucket.watch(0);

  const charging = answer(started('ord_x', 1000), 'INVENTORY_RESERVED', 1100);
  const writing = bucket.update(charging, summarize(charging), 4);
  // The watch brings the write (5), another instance finishing the saga (6), then 50,001 other sagas.
  deliver('ord_x', 5, encodeStoredEntry(charging));
  const done = completed('ord_x', 1000);
  deliver('ord_x', 6, encodeStoredEntry(done));
  const other = started('ord_other', 2000);
  const otherSummary = summarize(other);
  for (let n = 0; n < 50_001; n++) {
    const orderId = `ord_o${n}`;
    deliver(orderId, 7 + n, encodeStoredEntry({ ...other, orderId }, { ...otherSummary, orderId }));
  }
  // Until the watch has brought them all: by then the bucket has forgotten what it reported of ord_x.
  while (heard.length < 50_003) await new Promise((resolve) => setTimeout(resolve, 10));
  acknowledge(5);
  await writing;
  const aboutX = heard.filter((line) => line.startsWith('ord_x@'));
  expect(aboutX).toEqual(['ord_x@5 running', 'ord_x@6 completed']);
  bucket.stop();
});
