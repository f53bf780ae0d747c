/**
 * Step deadlines without NATS: a deadline is a duration run on the local monotonic clock from
 * when the write that set it was stored, as the server's timestamp tells; the writer's wall clock
 * (deadline.at) never decides when it fires. Clocks here are numbers the test moves.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import type { SagaEvent } from '../../machines/index.ts';
import { SagaCatalog } from '../../orchestrator/saga/catalog.ts';
import { DeadlineScheduler } from '../../orchestrator/saga/deadlines.ts';
import { startSaga } from '../../orchestrator/saga/entry.ts';
import { ServerClock } from '../../orchestrator/saga/server-clock.ts';
import { summarize, type SagaSummary } from '../../orchestrator/saga/summary.ts';

const TIMEOUT = 3000;
const settings = { stepTimeoutMs: TIMEOUT, stepMaxAttempts: 2, sagaMachineVersion: 'order-saga@2' };
const logger = createLogger('test', { logLevel: 'silent', logPretty: false, instanceId: 'test' });

/** A saga waiting on its first command, written at `writerNow` on the writer's wall clock. */
function pending(orderId: string, writerNow: number): SagaSummary {
  const entry = startSaga(
    {
      order: { orderId, customerId: 'c', currency: 'USD', items: [{ sku: 'A', quantity: 1, unitPriceCents: 100 }], totalCents: 100 },
      traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01',
      requestHash: 'h',
    },
    writerNow,
    settings,
  );
  return summarize(entry);
}

/** One orchestrator process: its monotonic clock, catalog and scheduler; `fired` lists what it applied. */
function instance(startsAt: number) {
  const clock = { at: startsAt };
  const fired: { orderId: string; at: number; eventId: string }[] = [];
  const runtime = {
    apply: async (orderId: string, _event: SagaEvent, eventId: string) => {
      fired.push({ orderId, at: clock.at, eventId });
      return { kind: 'duplicate' as const };
    },
  };
  const serverClock = new ServerClock(() => clock.at);
  const catalog = new SagaCatalog(logger, serverClock);
  const scheduler = new DeadlineScheduler(runtime, logger, TIMEOUT, 100, () => clock.at);
  /** What the catalog's watch does with a delivery the server stamped `serverMs`. */
  const delivered = (summary: SagaSummary, revision: number, serverMs: number) => catalog.observe(summary, revision, serverClock.storedAt(serverMs));
  /** Move the monotonic clock and run the scheduler's tick. */
  const advance = async (ms: number) => {
    clock.at += ms;
    scheduler.fireDue(clock.at);
    await Promise.resolve();
  };
  return { clock, fired, serverClock, catalog, scheduler, delivered, advance };
}

describe('the server clock estimate', () => {
  it('places a fresh delivery at once, a stale one as far back as the server says, and never in the future', () => {
    let now = 1000;
    const clock = new ServerClock(() => now);
    // Server time 5,000,000 is seen at local 1000 (offset about −4,999,000).
    expect(clock.storedAt(5_000_000)).toBe(1000);
    now = 3000;
    // Written 1.5 s before it arrived (a catch-up): stored at local 1500, give or take the
    // 20 ms the estimate may have risen in 2 s (the later, the safer: a deadline never fires early).
    expect(clock.storedAt(5_000_500)).toBe(1520);
    // A fresh delivery: seen as it is stored, and the estimate tightens to it.
    expect(clock.storedAt(5_001_990)).toBe(3000);
    expect(clock.storedAt(5_001_000, 3000)).toBe(2010);
  });

  it('lets the estimate rise only slowly without a sample that says so (a server clock stepped back is followed, not trusted)', () => {
    let now = 0;
    const clock = new ServerClock(() => now);
    clock.storedAt(10_000);
    now = 10_000;
    // The server's clock stepped back 2 s: this fresh write looks 2 s older than it is, but
    // the estimate has only been allowed to rise 100 ms in 10 s.
    expect(clock.storedAt(18_000)).toBe(now - 1900);
    now = 300_000;
    expect(clock.storedAt(308_000)).toBe(now);
  });
});

describe('step deadlines', () => {
  it("fire a timeout after the write that set them, whatever the writer's wall clock said", async () => {
    const node = instance(0);
    node.scheduler.attach(node.catalog);
    // Written by instances whose clocks are 5 s ahead and 5 s behind this one's wall clock.
    const server = 7_000_000;
    node.serverClock.storedAt(server); // a fresh sample first, as `calibrate` takes
    node.delivered(pending('ord_ahead', Date.now() + 5000), 1, server);
    node.delivered(pending('ord_behind', Date.now() - 5000), 2, server);
    await node.advance(TIMEOUT - 100);
    expect(node.fired).toEqual([]);
    await node.advance(100);
    expect(node.fired.map((f) => f.orderId).sort()).toEqual(['ord_ahead', 'ord_behind']);
    expect(node.fired[0]!.eventId).toBe('timeout:ord_ahead:reserveInventory:1');
  });

  it('do not move when a later write keeps the same pending command', async () => {
    const node = instance(0);
    node.scheduler.attach(node.catalog);
    const first = pending('ord_a', 0);
    node.catalog.observe(first, 1);
    await node.advance(2000);
    node.catalog.observe({ ...first, updatedAt: 2000 }, 2);
    await node.advance(1000);
    expect(node.fired.map((f) => f.at)).toEqual([3000]);
  });

  it("are not granted a fresh timeout by a restart: each restart counts from the server's timestamp", async () => {
    // The write that set the deadline was stored at server time 9,000,000.
    const setAt = 9_000_000;
    const summary = pending('ord_a', 123);
    // Restarts every 2 s (each a new process, its monotonic clock anywhere): a scheduler that
    // counted the timeout from when it read the entry would never fire it.
    for (const elapsed of [0, 2000]) {
      const node = instance(50_000 + elapsed * 7);
      node.serverClock.storedAt(setAt + elapsed); // calibrate: the server's "now"
      node.delivered(summary, 1, setAt); // the catch-up brings the old write
      node.scheduler.attach(node.catalog);
      await node.advance(TIMEOUT - elapsed - 1);
      expect(node.fired).toEqual([]);
      await node.advance(1);
      expect(node.fired.map((f) => f.orderId)).toEqual(['ord_a']);
    }
  });

  it('fire at once when a deadline was already due before the catch-up', async () => {
    const node = instance(0);
    node.serverClock.storedAt(1_000_000 + 60_000);
    node.delivered(pending('ord_a', 0), 1, 1_000_000);
    node.scheduler.attach(node.catalog);
    await node.advance(0);
    expect(node.fired.map((f) => f.orderId)).toEqual(['ord_a']);
  });

  it('count a saga deleted and created again from its new write: the old entry’s timer neither fires it early nor keeps it from firing', async () => {
    const node = instance(0);
    node.scheduler.attach(node.catalog);
    node.catalog.observe(pending('ord_a', 0), 1);
    await node.advance(2000);
    // Deleted (an operator, a purge) and created again under the same id: its first command has
    // the same id as the old entry's, since command ids are (order, step, attempt).
    node.catalog.remove('ord_a');
    node.catalog.observe(pending('ord_a', 2000), 3);
    await node.advance(1000);
    expect(node.fired).toEqual([]);
    await node.advance(TIMEOUT - 1000);
    expect(node.fired.map((f) => f.at)).toEqual([2000 + TIMEOUT]);
  });
});
