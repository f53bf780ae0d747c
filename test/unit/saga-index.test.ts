/**
 * The SQLite saga index on a real file: what it keeps across batches and restarts, and that it
 * lists, filters, searches and counts exactly as a plain scan of the same summaries does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ListQuery, SagaSummary } from '../../orchestrator/saga/catalog.ts';
import { prefixRange, SAGA_INDEX_SCHEMA_VERSION, SagaIndex, type IndexChange, type IndexFilter } from '../../orchestrator/saga/saga-index.ts';
import { summarize } from '../../orchestrator/saga/summary.ts';
import type { SagaStatus } from '../../machines/index.ts';
import { answer, completed, declined, held, started } from '../support/saga-entries.ts';
import type { SagaEntry } from '../../orchestrator/saga/entry.ts';

/** Reservation timed out on every attempt: waits for an operator. */
function stuck(orderId: string, createdAt: number, customerId?: string): SagaEntry {
  return answer(answer(started(orderId, createdAt, customerId), 'STEP_TIMED_OUT', createdAt + 10), 'STEP_TIMED_OUT', createdAt + 20);
}

/** Reservation timed out once and is being tried again. */
function retrying(orderId: string, createdAt: number, customerId?: string): SagaEntry {
  return answer(started(orderId, createdAt, customerId), 'STEP_TIMED_OUT', createdAt + 10);
}

/** Each kind of saga summarized once from real entries; many sagas are copies of them under other ids and times. */
const pausedCharging = (orderId: string, createdAt: number, customerId?: string) => held(answer(started(orderId, createdAt, customerId), 'INVENTORY_RESERVED', createdAt + 5), 'PAUSE', createdAt + 8);
const kinds = [completed, completed, completed, declined, stuck, retrying, started, pausedCharging].map((make) => summarize(make('ord_template', 0, 'nobody')));

function like(kind: number, orderId: string, createdAt: number, customerId: string): SagaSummary {
  const template = kinds[kind % kinds.length]!;
  return { ...template, orderId, customerId, createdAt, updatedAt: createdAt + template.updatedAt, stateEnteredAt: createdAt + template.stateEnteredAt };
}

/** The reply each step waits for when it goes well. */
const SUCCESS: Record<string, string> = {
  reserveInventory: 'INVENTORY_RESERVED',
  chargePayment: 'PAYMENT_CHARGED',
  createShipment: 'SHIPMENT_CREATED',
  releaseInventory: 'INVENTORY_RELEASED',
  refundPayment: 'PAYMENT_REFUNDED',
};

const noCounts = { running: 0, completed: 0, cancelled: 0, failed: 0, stuck: 0 };

/** What the index must answer, by the plainest means: every summary tested, then sorted newest first. */
function scan(summaries: Iterable<SagaSummary>, query: IndexFilter): string[] {
  const matches = (s: SagaSummary) =>
    (!query.status || s.status === query.status) &&
    (!query.state || s.state === query.state) &&
    (!query.customerId || s.customerId === query.customerId) &&
    (query.retrying === undefined || s.retrying === query.retrying) &&
    (query.paused === undefined || Boolean(s.paused) === query.paused) &&
    (!query.q || s.orderId.startsWith(query.q) || s.customerId === query.q);
  return [...summaries]
    .filter(matches)
    .sort((a, b) => b.createdAt - a.createdAt || (a.orderId < b.orderId ? 1 : -1))
    .map((s) => s.orderId);
}

/** What `counts()` must say, counted from the summaries. */
function tally(summaries: Iterable<SagaSummary>): ReturnType<SagaIndex['counts']> {
  const overview = { total: 0, byStatus: { ...noCounts } as Record<SagaStatus, number>, byState: {} as Record<string, number>, retrying: 0, paused: 0 };
  for (const s of summaries) {
    overview.total++;
    overview.byStatus[s.status]++;
    overview.byState[s.state] = (overview.byState[s.state] ?? 0) + 1;
    if (s.retrying) overview.retrying++;
    if (s.paused) overview.paused++;
  }
  return overview;
}

const put = (summary: SagaSummary, revision: number): IndexChange => ({ kind: 'put', summary, revision });
const remove = (orderId: string, revision: number): IndexChange => ({ kind: 'remove', orderId, revision });
const ids = (items: SagaSummary[]) => items.map((s) => s.orderId);

let dir: string;
let open: SagaIndex[];

/** An index on a file in this test's folder, closed after the test. */
function index(name = 'sagas.db', prefixSortLimit?: number): SagaIndex {
  const opened = new SagaIndex(join(dir, name), prefixSortLimit);
  open.push(opened);
  return opened;
}

function reopen(closing: SagaIndex, name = 'sagas.db'): SagaIndex {
  closing.close();
  open.splice(open.indexOf(closing), 1);
  return index(name);
}

/** Every page of a query, followed by cursor to the end. */
function allPages(target: SagaIndex, query: Omit<ListQuery, 'limit'>, limit: number): string[] {
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = target.list({ ...query, limit, ...(cursor ? { cursor } : {}) });
    seen.push(...ids(page.items));
    cursor = page.nextCursor ?? undefined;
    // A cursor that does not move on would page forever.
    if (seen.length > 100_000) throw new Error('paging does not end');
  } while (cursor);
  return seen;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'saga-index-'));
  open = [];
});

afterEach(() => {
  for (const opened of open) opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the saga index', () => {
  it('hands back each summary exactly as stored: pending step, deadline and last error included', () => {
    const sagas = index();
    const inFlight = summarize(started('ord_run', 1000));
    const cancelled = summarize(declined('ord_declined', 2000));
    sagas.applyBatch([put(inFlight, 1), put(cancelled, 4)], 4);
    expect(inFlight.pending).not.toBeNull();
    expect(inFlight.deadline).not.toBeNull();
    expect(cancelled.lastError).toMatchObject({ message: 'declined by the bank' });
    expect(sagas.get('ord_run')).toEqual(inFlight);
    expect(sagas.get('ord_declined')).toEqual(cancelled);
    expect(sagas.get('ord_unknown')).toBeUndefined();
    expect(sagas.size).toBe(2);
  });

  it('ignores a revision it has, or an older one, in one batch or across batches', () => {
    const sagas = index();
    const first = started('ord_a', 1000);
    const second = answer(first, 'INVENTORY_RESERVED', 1100);
    sagas.applyBatch([put(summarize(second), 2), put(summarize(first), 1)], 2);
    sagas.applyBatch([put({ ...summarize(first), state: 'completed', status: 'completed' }, 2)], 2);
    expect(sagas.get('ord_a')!.state).toBe('chargingPayment');
    expect(sagas.counts()).toEqual({ total: 1, byStatus: { ...noCounts, running: 1 }, byState: { chargingPayment: 1 }, retrying: 0, paused: 0 });
  });

  it("takes a newer revision whose writer's clock is behind: only the revision orders writes", () => {
    const sagas = index();
    let entry = answer(answer(started('ord_a', 10_000), 'INVENTORY_RESERVED', 10_100), 'PAYMENT_CHARGED', 10_200);
    sagas.applyBatch([put(summarize(entry), 3)], 3);
    entry = answer(entry, 'SHIPMENT_CREATED', 7_300);
    sagas.applyBatch([put(summarize(entry), 4)], 4);
    expect(sagas.get('ord_a')).toMatchObject({ status: 'completed', updatedAt: 7_300 });
    expect(sagas.unfinished()).toEqual([]);
  });

  it('ignores a stale removal, and a late write of a saga removed since', () => {
    const sagas = index();
    const entry = started('ord_a', 1000);
    const later = answer(entry, 'INVENTORY_RESERVED', 1100);
    sagas.applyBatch([put(summarize(later), 5), remove('ord_a', 4)], 5);
    expect(sagas.get('ord_a')!.state).toBe('chargingPayment');
    // The stream removes the saga; the runtime's copy of an older write arrives after.
    sagas.applyBatch([remove('ord_a', 6)], 6);
    sagas.applyBatch([put(summarize(later), 5)], 6);
    expect(sagas.get('ord_a')).toBeUndefined();
    // Both in one batch, with the stream's sequence not yet past the write.
    sagas.applyBatch([put(summarize(started('ord_b', 2000)), 7), remove('ord_b', 9), put(summarize(started('ord_b', 2000)), 8)], 9);
    expect(sagas.get('ord_b')).toBeUndefined();
    expect(sagas.counts()).toEqual({ total: 0, byStatus: noCounts, byState: {}, retrying: 0, paused: 0 });
    // A saga written again after its removal is back.
    sagas.applyBatch([put(summarize(started('ord_a', 1000)), 10)], 10);
    expect(sagas.get('ord_a')!.status).toBe('running');
  });

  it('lists newest first across pages, ties on createdAt broken by id, whatever order the sagas arrived in', () => {
    const sagas = index();
    const createdAt = Array.from({ length: 3000 }, (_, i) => 1_000_000 + ((i * 7919) % 300) * 10);
    sagas.applyBatch(
      createdAt.map((at, i) => put(like(i, `ord_${i}`, at, `cust-${i}`), 1)),
      1,
    );
    const expected = createdAt.map((at, i) => ({ at, id: `ord_${i}` })).sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
    expect(allPages(sagas, {}, 70)).toEqual(expected.map((e) => e.id));
    expect(allPages(sagas, {}, 3000)).toEqual(expected.map((e) => e.id));
    // The last page says there is no other: no empty page to fetch.
    expect(sagas.list({ limit: 3000 }).nextCursor).toBeNull();
    expect(sagas.list({ limit: 2999 }).nextCursor).not.toBeNull();
    expect(sagas.size).toBe(3000);
  });

  it('starts from the top on a cursor it cannot read', () => {
    const sagas = index();
    sagas.applyBatch([put(summarize(completed('ord_1', 1000)), 4), put(summarize(completed('ord_2', 2000)), 4)], 4);
    expect(ids(sagas.list({ limit: 10, cursor: 'not a cursor' }).items)).toEqual(['ord_2', 'ord_1']);
  });

  it('filters by status, state, customer, id prefix, retrying, and all of them together', () => {
    const sagas = index();
    sagas.applyBatch(
      [
        put(summarize(completed('ord_x1', 1000, 'alice')), 4),
        put(summarize(declined('ord_x2', 2000)), 4),
        put(summarize(started('ord_y3', 3000, 'alice')), 1),
        put(summarize(retrying('ord_y4', 4000)), 2),
        put(summarize(stuck('ord_x5', 5000, 'alice')), 3),
      ],
      4,
    );
    const page = (query: IndexFilter) => ids(sagas.list({ limit: 50, ...query }).items);
    expect(page({ status: 'completed' })).toEqual(['ord_x1']);
    expect(page({ status: 'cancelled' })).toEqual(['ord_x2']);
    expect(page({ status: 'stuck' })).toEqual(['ord_x5']);
    expect(page({ status: 'failed' })).toEqual([]);
    expect(page({ state: 'reservingInventory' })).toEqual(['ord_y4', 'ord_y3']);
    expect(page({ customerId: 'alice' })).toEqual(['ord_x5', 'ord_y3', 'ord_x1']);
    expect(page({ q: 'ord_x' })).toEqual(['ord_x5', 'ord_x2', 'ord_x1']);
    expect(page({ q: 'alice' })).toEqual(['ord_x5', 'ord_y3', 'ord_x1']);
    expect(page({ retrying: true })).toEqual(['ord_y4']);
    expect(page({ retrying: false })).toEqual(['ord_x5', 'ord_y3', 'ord_x2', 'ord_x1']);
    expect(page({ q: 'alice', status: 'running', retrying: false })).toEqual(['ord_y3']);
    expect(page({ q: 'ord_', customerId: 'alice', state: 'completed' })).toEqual(['ord_x1']);
    expect(sagas.matchingIds({ status: 'running' })).toEqual(['ord_y4', 'ord_y3']);
    expect(sagas.matchingIds({ q: 'ord_x' })).toEqual(['ord_x5', 'ord_x2', 'ord_x1']);
    expect(sagas.counts().retrying).toBe(1);
  });

  it('matches customers and id prefixes exactly, beyond ASCII and beyond the id', () => {
    const sagas = index();
    sagas.applyBatch(
      [
        put(summarize(completed('ord_z1', 1000, 'zoë')), 4),
        put(summarize(completed('ord_z2', 2000, 'zoe')), 4),
        put(summarize(completed('ord_z10', 3000, 'ord_z2')), 4),
        put(summarize(completed('ord_zé', 4000)), 4),
        put(summarize(completed('ord_zf', 5000)), 4),
      ],
      4,
    );
    const page = (q: string) => ids(sagas.list({ limit: 50, q }).items);
    expect(page('zoe')).toEqual(['ord_z2']);
    expect(ids(sagas.list({ limit: 50, customerId: 'zoë' }).items)).toEqual(['ord_z1']);
    expect(page('ord_z1')).toEqual(['ord_z10', 'ord_z1']);
    expect(page('ord_z1-and-more')).toEqual([]);
    // An id under the prefix and a customer named by it, each once.
    expect(page('ord_z2')).toEqual(['ord_z10', 'ord_z2']);
    expect(page('ord_zé')).toEqual(['ord_zé']);
    expect(page('ord_z')).toEqual(['ord_zf', 'ord_zé', 'ord_z10', 'ord_z2', 'ord_z1']);
    expect(page('%')).toEqual([]);
  });

  it('bounds a prefix by raising its last code point, past the surrogates and the last one', () => {
    expect(prefixRange('ord_a')).toEqual({ low: 'ord_a', high: 'ord_b' });
    expect(prefixRange('a\ud7ff')).toEqual({ low: 'a\ud7ff', high: 'a\ue000' });
    expect(prefixRange('a\u{10ffff}')).toEqual({ low: 'a\u{10ffff}', high: 'b' });
    expect(prefixRange('\u{10ffff}').high).toBeInstanceOf(Buffer);
    const sagas = index();
    sagas.applyBatch([put(summarize(completed('\u{10ffff}x', 1000)), 4), put(summarize(completed('ord_1', 2000)), 4)], 4);
    expect(ids(sagas.list({ limit: 10, q: '\u{10ffff}' }).items)).toEqual(['\u{10ffff}x']);
  });

  it('answers every query as a plain scan does, whichever index leads it', () => {
    // Searches under a prefix of more ids than this walk newest first; fewer are sorted.
    const sagas = index('sagas.db', 500);
    // Some ids are a whole prefix searched for, and one customer is named like an id.
    const summaries = Array.from({ length: 2600 }, (_, i) =>
      like(i, i < 40 ? `ord_${i.toString(36)}` : `ord_${(i % 40).toString(36)}${i}`, 1_000_000 + (i % 500) * 7, i % 3 === 0 ? 'ord_3' : `cust-${i % 37}`),
    ).concat(like(4, 'ord_', 1_000_001, 'cust-0'));
    sagas.applyBatch(summaries.map((summary) => put(summary, 1)), 1);
    const queries: IndexFilter[] = [
      {},
      { status: 'stuck' },
      { status: 'completed', customerId: 'cust-3' },
      { state: 'reservingInventory', retrying: false },
      { retrying: true },
      { retrying: true, status: 'running', q: 'ord_1' },
      { paused: true },
      { paused: true, state: 'chargingPayment', customerId: 'cust-7' },
      { paused: false, status: 'running' },
      { q: 'ord_3', paused: true },
      { customerId: 'cust-5' },
      { q: 'ord_' },
      { q: 'ord_', status: 'stuck' },
      { q: 'ord_', state: 'completed' },
      { q: 'ord_', retrying: false },
      { q: 'ord_3' },
      { q: 'ord_35' },
      { q: 'ord_3', status: 'cancelled' },
      { q: 'ord_3', status: 'running' },
      { q: 'cust-4' },
      { q: 'nobody' },
    ];
    for (const query of queries) {
      const expected = scan(summaries, query);
      expect(sagas.matchingIds(query), JSON.stringify(query)).toEqual(expected);
      expect(allPages(sagas, query, 37), JSON.stringify(query)).toEqual(expected);
    }
    // Both kinds of search ran, and an id matched by its prefix and by its customer came once.
    expect(summaries.filter((s) => s.orderId.startsWith('ord_')).length).toBeGreaterThan(500);
    expect(summaries.filter((s) => s.orderId.startsWith('ord_3')).length).toBeLessThan(500);
    expect(summaries.some((s) => s.orderId.startsWith('ord_3') && s.customerId === 'ord_3')).toBe(true);
    expect(scan(summaries, { paused: true }).length).toBeGreaterThan(100);
    expect(sagas.counts()).toEqual(tally(summaries));
  });

  it('keeps counts right across updates, removals and reopening, without counting rows', () => {
    let sagas = index();
    const entries = new Map<string, SagaEntry>();
    let revision = 0;
    for (let round = 0; round < 30; round++) {
      const batch: IndexChange[] = [];
      for (let n = 0; n < 20; n++) {
        const orderId = `ord_${(round * 7 + n * 13) % 60}`;
        const entry = entries.get(orderId);
        revision++;
        if (entry && (round + n) % 9 === 0) {
          entries.delete(orderId);
          batch.push(remove(orderId, revision));
          continue;
        }
        const next = !entry
          ? (round + n) % 5 === 0
            ? retrying(orderId, revision)
            : started(orderId, revision)
          : entry.status === 'running' && entry.snapshot.context.pending
            ? answer(entry, (round + n) % 4 === 0 ? 'STEP_TIMED_OUT' : SUCCESS[entry.snapshot.context.pending.step]!, revision)
            : entry;
        entries.set(orderId, next);
        batch.push(put(summarize(next), revision));
      }
      sagas.applyBatch(batch, revision);
      expect(sagas.counts(), `round ${round}`).toEqual(tally([...entries.values()].map(summarize)));
    }
    const expected = tally([...entries.values()].map(summarize));
    expect(expected.total).toBeGreaterThan(0);
    expect(expected.retrying).toBeGreaterThan(0);
    expect(expected.byStatus.stuck + expected.byStatus.completed).toBeGreaterThan(0);
    sagas = reopen(sagas);
    expect(sagas.counts()).toEqual(expected);
    expect(sagas.size).toBe(entries.size);
  });

  it('stores the stream sequence with its batch, keeps it across a restart, and never moves it back', () => {
    let sagas = index();
    expect(sagas.lastSequence).toBe(0);
    sagas.applyBatch([put(summarize(started('ord_a', 1000)), 17)], 17);
    expect(sagas.lastSequence).toBe(17);
    sagas = reopen(sagas);
    expect(sagas.lastSequence).toBe(17);
    expect(sagas.get('ord_a')!.status).toBe('running');
    // The runtime's own write, applied before the stream brings it.
    sagas.applyBatch([put(summarize(started('ord_b', 2000)), 30)], 3);
    expect(sagas.lastSequence).toBe(17);
    sagas = reopen(sagas);
    expect(sagas.lastSequence).toBe(17);
  });

  it('applies a batch whole or not at all: a failing change leaves neither rows nor the sequence', () => {
    let sagas = index();
    sagas.applyBatch([put(summarize(started('ord_a', 1000)), 1)], 1);
    const broken = { ...summarize(started('ord_c', 3000)), customerId: null } as unknown as SagaSummary;
    expect(() => sagas.applyBatch([put(summarize(started('ord_b', 2000)), 2), remove('ord_a', 3), put(broken, 4)], 4)).toThrow();
    expect(sagas.lastSequence).toBe(1);
    expect(sagas.get('ord_b')).toBeUndefined();
    expect(sagas.get('ord_a')).toBeDefined();
    expect(sagas.counts().total).toBe(1);
    sagas = reopen(sagas);
    expect(sagas.lastSequence).toBe(1);
    expect(sagas.counts().total).toBe(1);
  });

  it('keeps its file in WAL mode, and rebuilds a file of another schema version from nothing', () => {
    let sagas = index();
    sagas.applyBatch([put(summarize(completed('ord_a', 1000)), 4)], 4);
    sagas.close();
    open.splice(open.indexOf(sagas), 1);
    const raw = new Database(join(dir, 'sagas.db'));
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.prepare('UPDATE schema_version SET version = version + 100').run();
    raw.close();
    sagas = index();
    expect(sagas.lastSequence).toBe(0);
    expect(sagas.get('ord_a')).toBeUndefined();
    expect(sagas.counts().total).toBe(0);
    sagas.applyBatch([put(summarize(completed('ord_a', 1000)), 4)], 4);
    sagas = reopen(sagas);
    expect(sagas.get('ord_a')!.status).toBe('completed');
  });

  it('migrates a version 3 file in place (no pauses then): rows, counts and sequence kept, the paused filter working at once', () => {
    let sagas = index();
    const running = summarize(started('ord_v3_run', 1000));
    sagas.applyBatch([put(summarize(completed('ord_v3_done', 900)), 3), put(running, 4)], 4);
    sagas.close();
    open.splice(open.indexOf(sagas), 1);
    // The file as version 3 wrote it: no paused column, no index on it.
    const raw = new Database(join(dir, 'sagas.db'));
    raw.exec('DROP INDEX sagas_paused; ALTER TABLE sagas DROP COLUMN paused; UPDATE schema_version SET version = 3;');
    raw.close();
    sagas = index();
    expect(sagas.lastSequence).toBe(4);
    expect(sagas.get('ord_v3_run')).toEqual(running);
    expect(sagas.counts()).toMatchObject({ total: 2, paused: 0 });
    const paused = summarize(held(started('ord_v3_run', 1000), 'PAUSE', 1100));
    sagas.applyBatch([put(paused, 5)], 5);
    expect(ids(sagas.list({ paused: true, limit: 10 }).items)).toEqual(['ord_v3_run']);
    expect(ids(sagas.list({ paused: false, limit: 10 }).items)).toEqual(['ord_v3_done']);
    expect(sagas.counts().paused).toBe(1);
    const migrated = new Database(join(dir, 'sagas.db'), { readonly: true });
    expect(migrated.prepare('SELECT version FROM schema_version').pluck().get()).toBe(SAGA_INDEX_SCHEMA_VERSION);
    migrated.close();
  });

  it('hands back the sagas a restart must look at: in flight, stuck, retrying, or finished with a deadline', () => {
    const sagas = index();
    const inFlight = summarize(started('ord_run', 1000));
    const waiting = summarize(stuck('ord_stuck', 2000));
    const again = summarize(retrying('ord_retry', 3000));
    const finishedWithDeadline = { ...summarize(completed('ord_deadline', 4000)), deadline: { commandId: 'c', timeoutMs: 5, at: 9 } };
    sagas.applyBatch(
      [put(inFlight, 1), put(waiting, 3), put(again, 2), put(finishedWithDeadline, 4), put(summarize(completed('ord_done', 5000)), 4), put(summarize(declined('ord_no', 6000)), 4)],
      4,
    );
    expect(waiting.status).toBe('stuck');
    expect(sagas.unfinished()).toEqual([inFlight, waiting, again, finishedWithDeadline]);
    sagas.applyBatch([put(summarize(completed('ord_run', 1000)), 5)], 5);
    expect(ids(sagas.unfinished())).toEqual(['ord_stuck', 'ord_retry', 'ord_deadline']);
  });

  it('names finished sagas last updated before the cutoff, oldest first, a limited number at a time', () => {
    const sagas = index();
    sagas.applyBatch(
      [
        put({ ...summarize(completed('ord_1', 1000)), updatedAt: 1100 }, 4),
        put({ ...summarize(declined('ord_2', 2000)), updatedAt: 2100 }, 4),
        put({ ...summarize(stuck('ord_3', 3000)), updatedAt: 3100 }, 3),
        put({ ...summarize(started('ord_4', 4000)), updatedAt: 4100 }, 1),
        // Created long ago, but changed after the cutoff.
        put({ ...summarize(completed('ord_5', 500)), updatedAt: 9000 }, 4),
        put({ ...summarize(completed('ord_6', 6000)), updatedAt: 6100 }, 4),
        put({ ...summarize(completed('ord_7', 7000)), updatedAt: 7100 }, 4),
        put({ ...summarize(completed('ord_8', 7500)), updatedAt: 7600, deadline: { commandId: 'c', timeoutMs: 5, at: 9 } }, 4),
        put({ ...summarize(completed('ord_9', 9000)), updatedAt: 9100 }, 4),
      ],
      4,
    );
    expect(sagas.removeFinishedBefore(8000, 100)).toEqual(['ord_1', 'ord_2', 'ord_6', 'ord_7']);
    expect(sagas.removeFinishedBefore(8000, 3)).toEqual(['ord_1', 'ord_2', 'ord_6']);
    expect(sagas.removeFinishedBefore(1000, 100)).toEqual([]);
    // The caller purges them; the watch brings the removals.
    sagas.applyBatch(['ord_1', 'ord_2', 'ord_6'].map((orderId) => remove(orderId, 10)), 10);
    expect(sagas.removeFinishedBefore(8000, 3)).toEqual(['ord_7']);
  });
});
