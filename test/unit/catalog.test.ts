/**
 * The catalog without NATS: what it lists, filters, counts and hands back after it has moved
 * finished sagas into its index (orchestrator/saga/saga-index.ts). Every summary here comes
 * from real saga entries moved by real events, as the runtime stores them.
 */
import { describe, expect, it } from 'vitest';
import { SagaCatalog, type ListQuery, type SagaSummary } from '../../orchestrator/saga/catalog.ts';
import { summarize } from '../../orchestrator/saga/summary.ts';
import { createLogger } from '../../lib/logger.ts';
import { ServerClock } from '../../orchestrator/saga/server-clock.ts';
import { answer, completed, declined, started } from '../support/saga-entries.ts';

/** A catalog on a monotonic clock the test moves (`clock.at`). */
const catalog = (clock = { at: 0 }) => new SagaCatalog(createLogger('test', { logLevel: 'silent', logPretty: false, instanceId: 'test' }), new ServerClock(() => clock.at));
const ids = (items: SagaSummary[]) => items.map((s) => s.orderId);
const page = (c: SagaCatalog, query: Partial<ListQuery> = {}) => c.list({ limit: 50, ...query });

describe('the saga catalog', () => {
  it('hands back a finished saga exactly as it was summarized, last error included', () => {
    const c = catalog();
    const done = summarize(completed('ord_done', 1000));
    const cancelled = summarize(declined('ord_declined', 2000));
    c.observe(done, 4);
    c.observe(cancelled, 4);
    expect(cancelled).toMatchObject({ status: 'cancelled', lastError: { step: 'chargePayment', message: 'declined by the bank' } });
    expect(c.get('ord_done')).toEqual(done);
    expect(c.get('ord_declined')).toEqual(cancelled);
    expect(c.get('ord_unknown')).toBeUndefined();
  });

  it('keeps sagas in flight whole, and moves them to rows when they finish', () => {
    const c = catalog();
    let entry = started('ord_a', 1000);
    c.observe(summarize(entry), 1);
    expect([...c.unfinished()].map((s) => s.pending?.step)).toEqual(['reserveInventory']);
    entry = answer(entry, 'INVENTORY_RESERVED', 1100);
    c.observe(summarize(entry), 2);
    expect(c.get('ord_a')).toEqual(summarize(entry));
    entry = answer(answer(entry, 'PAYMENT_CHARGED', 1200), 'SHIPMENT_CREATED', 1300);
    c.observe(summarize(entry), 4);
    expect([...c.unfinished()]).toEqual([]);
    expect(c.get('ord_a')).toMatchObject({ status: 'completed', state: 'completed', pending: null, deadline: null, updatedAt: 1300 });
    expect(c.counts()).toEqual({ total: 1, byStatus: { running: 0, completed: 1, cancelled: 0, failed: 0, stuck: 0 }, byState: { completed: 1 }, retrying: 0, paused: 0 });
  });

  it('ignores a revision it has seen or an older one', () => {
    const c = catalog();
    const first = started('ord_a', 1000);
    const second = answer(first, 'INVENTORY_RESERVED', 1100);
    c.observe(summarize(second), 2);
    c.observe(summarize(first), 1);
    c.observe({ ...summarize(first), state: 'completed' }, 2);
    expect(c.get('ord_a')!.state).toBe('chargingPayment');
    expect(c.counts().byState).toEqual({ chargingPayment: 1 });
  });

  it("takes a newer revision whose writer's clock is behind: only the revision orders writes", () => {
    const c = catalog();
    // Written by an instance whose clock is 3 s ahead, then finished by one whose clock is right.
    let entry = answer(answer(started('ord_a', 10_000), 'INVENTORY_RESERVED', 10_100), 'PAYMENT_CHARGED', 10_200);
    c.observe(summarize(entry), 3);
    entry = answer(entry, 'SHIPMENT_CREATED', 7_300);
    c.observe(summarize(entry), 4);
    expect(c.get('ord_a')).toMatchObject({ status: 'completed', updatedAt: 7_300 });
    expect(c.counts().byStatus.completed).toBe(1);
    expect(c.list({ status: 'completed', limit: 10 }).items.map((s) => s.orderId)).toEqual(['ord_a']);
    expect([...c.unfinished()]).toEqual([]);
  });

  it("calls running sagas stalled by when this instance saw their last write, not by the writer's clock", () => {
    const clock = { at: 50_000 };
    const c = catalog(clock);
    const listened: number[] = [];
    c.onChange((_, writtenAt) => listened.push(writtenAt));
    // The writer's wall clock is hours behind (updatedAt) and another's far ahead: neither counts.
    c.observe({ ...summarize(started('ord_old', 1000)), updatedAt: 1000 }, 1);
    clock.at = 58_000;
    c.observe({ ...summarize(started('ord_behind', 2000)), updatedAt: 0 }, 2);
    c.observe({ ...summarize(started('ord_ahead', 3000)), updatedAt: Date.now() + 3_600_000 }, 3);
    expect(listened).toEqual([50_000, 58_000, 58_000]);
    expect(c.writtenAtOf('ord_behind')).toBe(58_000);
    clock.at = 60_000;
    // No transition for 5 s: only the saga last written 10 s ago.
    expect(ids(page(c, { stalledBefore: Date.now() - 5000 }).items)).toEqual(['ord_old']);
    clock.at = 70_000;
    expect(ids(page(c, { stalledBefore: Date.now() - 5000 }).items)).toEqual(['ord_ahead', 'ord_behind', 'ord_old']);
  });

  it('lists newest first across pages, whatever order the sagas arrived in', () => {
    const c = catalog();
    const createdAt = Array.from({ length: 3000 }, (_, i) => 1_000_000 + ((i * 7919) % 3000) * 10);
    createdAt.forEach((at, i) => c.observe(summarize(i % 3 === 0 ? started(`ord_${i}`, at) : completed(`ord_${i}`, at)), 1));
    const expected = createdAt.map((at, i) => ({ at, id: `ord_${i}` })).sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const next = page(c, { limit: 70, ...(cursor ? { cursor } : {}) });
      seen.push(...ids(next.items));
      cursor = next.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(expected.map((e) => e.id));
    expect(c.size).toBe(3000);
    expect(c.get('ord_2999')!.orderId).toBe('ord_2999');
  });

  it('filters by status, state, customer, id prefix, retrying and stalled', () => {
    const c = catalog();
    c.observe(summarize(completed('ord_x1', 1000, 'alice')), 4);
    c.observe(summarize(declined('ord_x2', 2000)), 4);
    c.observe(summarize(started('ord_y3', 3000, 'alice')), 1);
    const retrying = summarize(started('ord_y4', 4000));
    c.observe({ ...retrying, retrying: true }, 1);
    expect(ids(page(c, { status: 'completed' }).items)).toEqual(['ord_x1']);
    expect(ids(page(c, { status: 'cancelled' }).items)).toEqual(['ord_x2']);
    expect(ids(page(c, { state: 'reservingInventory' }).items)).toEqual(['ord_y4', 'ord_y3']);
    expect(ids(page(c, { customerId: 'alice' }).items)).toEqual(['ord_y3', 'ord_x1']);
    expect(ids(page(c, { q: 'ord_x' }).items)).toEqual(['ord_x2', 'ord_x1']);
    expect(ids(page(c, { q: 'alice' }).items)).toEqual(['ord_y3', 'ord_x1']);
    expect(ids(page(c, { retrying: true }).items)).toEqual(['ord_y4']);
    expect(c.matchingIds({ status: 'running' })).toEqual(['ord_y4', 'ord_y3']);
    expect(c.counts().retrying).toBe(1);
  });

  it('matches customers and id prefixes exactly, beyond ASCII and beyond the id', () => {
    const c = catalog();
    c.observe(summarize(completed('ord_z1', 1000, 'zoë')), 4);
    c.observe(summarize(completed('ord_z2', 2000, 'zoe')), 4);
    expect(ids(page(c, { customerId: 'zoë' }).items)).toEqual(['ord_z1']);
    expect(ids(page(c, { q: 'zoe' }).items)).toEqual(['ord_z2']);
    expect(ids(page(c, { q: 'ord_z1' }).items)).toEqual(['ord_z1']);
    expect(ids(page(c, { q: 'ord_z1-and-more' }).items)).toEqual([]);
    expect(c.get('ord_z1')!.customerId).toBe('zoë');
  });

  it('forgets a saga whose entry was deleted', () => {
    const c = catalog();
    for (let i = 0; i < 5; i++) c.observe(summarize(completed(`ord_${i}`, 1000 + i)), 4);
    c.remove('ord_2');
    expect(ids(page(c).items)).toEqual(['ord_4', 'ord_3', 'ord_1', 'ord_0']);
    expect(c.get('ord_2')).toBeUndefined();
    expect(c.counts().total).toBe(4);
    c.observe(summarize(started('ord_2', 1002)), 1);
    expect(c.get('ord_2')!.status).toBe('running');
  });
});
