/**
 * Every saga's summary in an SQLite file on local disk: what lists, filters, searches and counts
 * read, kept across restarts and caught up from the saga bucket's stream in batches, so an
 * instance no longer rebuilds an index of all history in memory at start-up.
 *
 * Each query is led by the one index that narrows it most, chosen here from exact counts (the
 * counts table) or a capped probe, never left to the planner's guesses (it has no statistics):
 * a page costs what it matches, not how many sagas are stored.
 */
import Database from 'better-sqlite3';
import type { Overview } from '../../api/contract.ts';
import type { SagaStatus } from '../../machines/index.ts';
import { decodeCursor, encodeCursor, type ListPage, type ListQuery } from './catalog.ts';
import { incidentOf } from './incident.ts';
import { isSettled, type SagaSummary } from './summary.ts';

/** Bump on any change to the tables below: an index file of another version is migrated (MIGRATIONS) or dropped and rebuilt from the stream. */
export const SAGA_INDEX_SCHEMA_VERSION = 4;

export type IndexChange = { kind: 'put'; summary: SagaSummary; revision: number } | { kind: 'remove'; orderId: string; revision: number };

/** What a list or bulk action selects; the caller applies `stalledBefore` from its own memory. */
export type IndexFilter = Omit<ListQuery, 'limit' | 'cursor' | 'stalledBefore'>;

/** One incident group as the index counts it: the sagas under one key, and the newest of them. */
export interface IncidentGroupRows {
  key: string;
  count: number;
  /** The earliest time a saga of the group entered its state (writers' wall clocks, ms). */
  firstSeen: number;
  /** The latest write to a saga of the group (writers' wall clocks, ms). */
  lastSeen: number;
  /** The newest sagas of the group, newest first. */
  sample: SagaSummary[];
}

export interface IncidentRows {
  /** The largest groups first (then the latest seen), at most the limit asked for. */
  groups: IncidentGroupRows[];
  /** Groups in all, shown or not. */
  groupCount: number;
  /** Sagas in all groups. */
  sagas: number;
}

const STATUSES: SagaStatus[] = ['running', 'completed', 'cancelled', 'failed', 'stuck'];

/**
 * Up to this many order ids under a prefix, a search sorts them all by time; past it, it walks
 * every saga newest first until the page is full. Sorting an id costs more than passing one on
 * the walk: past this the matches are a good part of the history, and the walk reaches enough
 * of them sooner (`npx tsx bench/index-scale.ts` times both).
 */
const PREFIX_SORT_LIMIT = 300_000;

const SCHEMA = `
  CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT;
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT, WITHOUT ROWID;
  CREATE TABLE counts (kind TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (kind, key)) STRICT, WITHOUT ROWID;
  CREATE TABLE sagas (
    orderId TEXT PRIMARY KEY,
    customerId TEXT NOT NULL,
    state TEXT NOT NULL,
    status TEXT NOT NULL,
    totalCents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    createdAt INTEGER NOT NULL,
    updatedAt INTEGER NOT NULL,
    stateEnteredAt INTEGER NOT NULL,
    machineVersion TEXT NOT NULL,
    pending TEXT,
    retrying INTEGER NOT NULL,
    deadline TEXT,
    lastError TEXT,
    -- The operator's hold (summary.ts \`paused\`) as JSON; null for a saga not paused.
    paused TEXT,
    unfinished INTEGER NOT NULL,
    -- The incident group (incident.ts) of a stuck, failed or retrying saga; null for every other.
    incident TEXT,
    revision INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  -- Ascending, and walked backwards for newest first: sagas arrive about in creation order, and
  -- appending to a b-tree fills its pages where prepending leaves them half empty.
  CREATE INDEX sagas_newest ON sagas (createdAt, orderId);
  CREATE INDEX sagas_by_status ON sagas (status, createdAt, orderId);
  CREATE INDEX sagas_by_state ON sagas (state, createdAt, orderId);
  CREATE INDEX sagas_by_customer ON sagas (customerId, createdAt, orderId);
  CREATE INDEX sagas_retrying ON sagas (createdAt, orderId) WHERE retrying = 1;
  CREATE INDEX sagas_unfinished ON sagas (createdAt, orderId) WHERE unfinished = 1;
  CREATE INDEX sagas_paused ON sagas (createdAt, orderId) WHERE paused IS NOT NULL;
  -- Partial: only sagas in an incident, few beside the history. Pages of one group walk it newest
  -- first; the groups are counted from it alone (the times are in it), never from the rows.
  CREATE INDEX sagas_by_incident ON sagas (incident, createdAt, orderId, stateEnteredAt, updatedAt) WHERE incident IS NOT NULL;
  -- The ids with their times, apart from the rows: a search counts and sorts the ids under a
  -- prefix without reading a row.
  CREATE INDEX sagas_by_id ON sagas (orderId, createdAt);
`;

/**
 * How a file of an earlier version becomes the current one without a rebuild (a rebuild reads
 * the whole bucket again: minutes at a million sagas). v3 had no pauses, so none of its rows is paused.
 */
const MIGRATIONS: Partial<Record<number, string>> = {
  3: `
    ALTER TABLE sagas ADD COLUMN paused TEXT;
    CREATE INDEX sagas_paused ON sagas (createdAt, orderId) WHERE paused IS NOT NULL;
  `,
};

const COLUMNS = 'orderId, customerId, state, status, totalCents, currency, createdAt, updatedAt, stateEnteredAt, machineVersion, pending, retrying, deadline, lastError, paused';

/** A summary as its row stores it: the nested parts as JSON text, flags as 0 or 1. */
type SagaRow = Omit<SagaSummary, 'pending' | 'retrying' | 'deadline' | 'lastError' | 'paused'> & {
  pending: string | null;
  retrying: number;
  deadline: string | null;
  lastError: string | null;
  paused: string | null;
};

/** What a stored row adds to the counts: read before a change to take it back out. */
interface CountedRow {
  status: string;
  state: string;
  retrying: number;
  paused: string | null;
  revision: number;
}

function summaryOf(row: SagaRow): SagaSummary {
  return {
    orderId: row.orderId,
    customerId: row.customerId,
    state: row.state,
    status: row.status,
    totalCents: row.totalCents,
    currency: row.currency,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    stateEnteredAt: row.stateEnteredAt,
    machineVersion: row.machineVersion,
    pending: row.pending === null ? null : JSON.parse(row.pending),
    retrying: row.retrying === 1,
    deadline: row.deadline === null ? null : JSON.parse(row.deadline),
    lastError: row.lastError === null ? null : JSON.parse(row.lastError),
    ...(row.paused === null ? {} : { paused: JSON.parse(row.paused) }),
  };
}

/** A row as written: the summary, flattened, with what only the index needs. */
interface StoredRow extends Omit<SagaRow, 'status'> {
  status: string;
  unfinished: number;
  incident: string | null;
  revision: number;
}

function rowOf(summary: SagaSummary, revision: number): StoredRow {
  return {
    orderId: summary.orderId,
    customerId: summary.customerId,
    state: summary.state,
    status: summary.status,
    totalCents: summary.totalCents,
    currency: summary.currency,
    createdAt: summary.createdAt,
    updatedAt: summary.updatedAt,
    stateEnteredAt: summary.stateEnteredAt,
    machineVersion: summary.machineVersion,
    pending: summary.pending ? JSON.stringify(summary.pending) : null,
    retrying: summary.retrying ? 1 : 0,
    deadline: summary.deadline ? JSON.stringify(summary.deadline) : null,
    lastError: summary.lastError ? JSON.stringify(summary.lastError) : null,
    paused: summary.paused ? JSON.stringify(summary.paused) : null,
    unfinished: isSettled(summary) ? 0 : 1,
    incident: incidentOf(summary)?.key ?? null,
    revision,
  };
}

/** SQLite sorts every text before any blob: the upper bound of a prefix that no text is above. */
const ABOVE_ALL_TEXT = Buffer.alloc(0);

/**
 * The order-id range `[low, high)` that holds exactly the ids starting with `prefix`. SQLite
 * compares text by its UTF-8 bytes, which order as code points do, so `high` is the prefix with
 * its last code point raised by one.
 */
export function prefixRange(prefix: string): { low: string; high: string | Buffer } {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    // Surrogate code points are no characters: the one after the last below them is the first above.
    if (last < 0x10ffff) return { low: prefix, high: points.join('') + String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1) };
  }
  return { low: prefix, high: ABOVE_ALL_TEXT };
}

/** The index a query walks first: the rest of its filters are checked on the rows it reads. */
type Lead = 'newest' | 'status' | 'state' | 'customer' | 'retrying' | 'paused' | 'incident' | 'search';

const LEAD_INDEX: Record<Exclude<Lead, 'search'>, string> = {
  newest: 'sagas_newest',
  status: 'sagas_by_status',
  state: 'sagas_by_state',
  customer: 'sagas_by_customer',
  retrying: 'sagas_retrying',
  paused: 'sagas_paused',
  incident: 'sagas_by_incident',
};

const where = (terms: string[]) => (terms.length > 0 ? ` WHERE ${terms.join(' AND ')}` : '');

/** One query's shape and values, ready to become SQL. */
interface Plan {
  lead: Lead;
  /** For a search lead: whether the ids under the prefix are few enough to read them all and sort them. */
  fewIds: boolean;
  filter: IndexFilter;
  after: { createdAt: number; orderId: string } | null;
}

export class SagaIndex {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly readCounted: Database.Statement<[string], CountedRow>;
  private readonly upsert: Database.Statement;
  private readonly deleteSaga: Database.Statement<[string]>;
  private readonly addCount: Database.Statement<[string, string, number]>;
  private readonly dropEmptyCounts: Database.Statement<[]>;
  private readonly writeSequence: Database.Statement<[number]>;
  private readonly readOne: Database.Statement<[string], SagaRow>;
  private readonly readCounts: Database.Statement<[], { kind: string; key: string; n: number }>;
  private readonly readUnfinished: Database.Statement<[], SagaRow>;
  private readonly readExpired: Database.Statement<[{ cutoff: number; limit: number }], { orderId: string }>;
  private readonly countIds: Database.Statement<[{ low: string; high: string | Buffer; cap: number }], { n: number }>;
  private readonly countTotal: Database.Statement<[], number>;
  private readonly countCustomer: Database.Statement<[string, number], { n: number }>;
  private readonly countIncident: Database.Statement<[string, number], { n: number }>;
  private readonly readIncidentGroups: Database.Statement<[], { key: string; n: number; firstSeen: number; lastSeen: number }>;
  private readonly readIncidentSample: Database.Statement<[string, number], SagaRow>;
  private readonly applyInTransaction: (changes: IndexChange[], lastSequence: number) => void;
  private sequence: number;

  /**
   * `path`: the index file (created if missing), or ':memory:'. `prefixSortLimit`: how many ids
   * under a prefix a search sorts before it walks newest first instead.
   */
  constructor(
    path: string,
    private readonly prefixSortLimit = PREFIX_SORT_LIMIT,
  ) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // A crash may lose the last batches, never corrupt the file: the stream brings them again from `lastSequence`.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('temp_store = MEMORY');
    // Fewer, larger checkpoints: each one syncs the file, and every batch dirties pages all over the customer index.
    this.db.pragma('wal_autocheckpoint = 16384');
    // Writes land on random order ids all over the table: a bounded cache of 64 MiB, and the
    // file mapped, keep them from reading each page back through a system call.
    this.db.pragma('cache_size = -65536');
    this.db.pragma('mmap_size = 268435456');
    this.ensureSchema();
    this.readCounted = this.db.prepare('SELECT status, state, retrying, paused, revision FROM sagas WHERE orderId = ?');
    this.upsert = this.db.prepare(`
      INSERT INTO sagas (${COLUMNS}, unfinished, incident, revision)
      VALUES (@orderId, @customerId, @state, @status, @totalCents, @currency, @createdAt, @updatedAt, @stateEnteredAt, @machineVersion, @pending, @retrying, @deadline, @lastError, @paused, @unfinished, @incident, @revision)
      ON CONFLICT (orderId) DO UPDATE SET
        customerId = excluded.customerId, state = excluded.state, status = excluded.status, totalCents = excluded.totalCents,
        currency = excluded.currency, createdAt = excluded.createdAt, updatedAt = excluded.updatedAt, stateEnteredAt = excluded.stateEnteredAt,
        machineVersion = excluded.machineVersion, pending = excluded.pending, retrying = excluded.retrying, deadline = excluded.deadline,
        lastError = excluded.lastError, paused = excluded.paused, unfinished = excluded.unfinished, incident = excluded.incident, revision = excluded.revision`);
    this.deleteSaga = this.db.prepare('DELETE FROM sagas WHERE orderId = ?');
    this.addCount = this.db.prepare('INSERT INTO counts (kind, key, n) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET n = n + excluded.n');
    this.dropEmptyCounts = this.db.prepare('DELETE FROM counts WHERE n = 0');
    this.writeSequence = this.db.prepare("INSERT INTO meta (key, value) VALUES ('lastSequence', ?) ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)");
    this.readOne = this.db.prepare(`SELECT ${COLUMNS} FROM sagas WHERE orderId = ?`);
    this.readCounts = this.db.prepare('SELECT kind, key, n FROM counts');
    this.readUnfinished = this.db.prepare(`SELECT ${COLUMNS} FROM sagas WHERE unfinished = 1 ORDER BY createdAt, orderId`);
    // Oldest first along the newest-first index: the walk stops after `limit` ids, whatever the history behind it.
    this.readExpired = this.db.prepare(`
      SELECT orderId FROM sagas INDEXED BY sagas_newest
      WHERE createdAt < @cutoff AND +updatedAt < @cutoff AND +unfinished = 0
      ORDER BY createdAt, orderId LIMIT @limit`);
    this.countIds = this.db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM sagas INDEXED BY sagas_by_id WHERE orderId >= @low AND orderId < @high LIMIT @cap)');
    this.countTotal = this.db.prepare<[], number>("SELECT n FROM counts WHERE kind = 'total'").pluck();
    this.countCustomer = this.db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM sagas INDEXED BY sagas_by_customer WHERE customerId = ? LIMIT ?)');
    this.countIncident = this.db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM sagas INDEXED BY sagas_by_incident WHERE incident = ? LIMIT ?)');
    // One pass over the partial index, in key order (no sort, no row read); the groups, far fewer, are sorted after.
    this.readIncidentGroups = this.db.prepare(`
      SELECT incident AS key, count(*) AS n, min(stateEnteredAt) AS firstSeen, max(updatedAt) AS lastSeen
      FROM sagas INDEXED BY sagas_by_incident WHERE incident IS NOT NULL
      GROUP BY incident ORDER BY n DESC, lastSeen DESC, key`);
    this.readIncidentSample = this.db.prepare(`SELECT ${COLUMNS} FROM sagas INDEXED BY sagas_by_incident WHERE incident = ? ORDER BY createdAt DESC, orderId DESC LIMIT ?`);
    const readSequence = this.db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'lastSequence'");
    this.sequence = readSequence.get()?.value ?? 0;
    this.applyInTransaction = this.db.transaction((changes: IndexChange[], lastSequence: number) => this.applyChanges(changes, lastSequence));
  }

  /** The stream sequence every change up to which is in the index: where catching up resumes (0 for a new index). */
  get lastSequence(): number {
    return this.sequence;
  }

  get size(): number {
    return this.countTotal.get() ?? 0;
  }

  /**
   * Apply a batch of changes, and the stream sequence they bring the index up to, in one
   * transaction: after a crash the index and its sequence agree, whatever was lost. Every change
   * the stream made up to `lastSequence` must be in this batch or an earlier one (a put of a
   * saga with no row, at a revision the index had passed, is taken for a copy of a write removed
   * since); a batch never moves the sequence back.
   */
  applyBatch(changes: IndexChange[], lastSequence: number): void {
    this.applyInTransaction(changes, lastSequence);
    this.sequence = Math.max(this.sequence, lastSequence);
  }

  private applyChanges(changes: IndexChange[], lastSequence: number): void {
    const deltas = new Map<string, number>();
    const count = (row: CountedRow, sign: 1 | -1) => {
      for (const key of [`status\0${row.status}`, `state\0${row.state}`, 'total\0', ...(row.retrying ? ['retrying\0'] : []), ...(row.paused ? ['paused\0'] : [])]) {
        deltas.set(key, (deltas.get(key) ?? 0) + sign);
      }
    };
    /** Sagas removed in this batch, by the revision of their removal. */
    const removed = new Map<string, number>();
    for (const change of changes) {
      const orderId = change.kind === 'put' ? change.summary.orderId : change.orderId;
      const stored = this.readCounted.get(orderId);
      // Only the revision orders writes: the runtime's own and the stream's can arrive in either order.
      if (stored && stored.revision >= change.revision) continue;
      if (change.kind === 'remove') {
        if (!stored) continue;
        this.deleteSaga.run(orderId);
        count(stored, -1);
        removed.set(orderId, change.revision);
        continue;
      }
      // No row and a revision the stream has passed: a late copy of a write whose saga was removed since.
      if (!stored && (change.revision <= this.sequence || change.revision <= (removed.get(orderId) ?? 0))) continue;
      const row = rowOf(change.summary, change.revision);
      this.upsert.run(row);
      if (stored) count(stored, -1);
      count(row, 1);
    }
    for (const [key, delta] of deltas) {
      if (delta === 0) continue;
      const [kind, name] = key.split('\0') as [string, string];
      this.addCount.run(kind, name, delta);
    }
    this.dropEmptyCounts.run();
    this.writeSequence.run(lastSequence);
  }

  get(orderId: string): SagaSummary | undefined {
    const row = this.readOne.get(orderId);
    return row ? summaryOf(row) : undefined;
  }

  /** Newest first, filtered, from just after the cursor. */
  list(query: ListQuery): ListPage {
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const plan = this.plan(query, after);
    // One row past the page says whether another page follows.
    const rows = this.statement(plan, true).all({ ...this.parameters(plan), limit: query.limit + 1 }) as SagaRow[];
    const items = rows.slice(0, query.limit).map(summaryOf);
    return { items, nextCursor: rows.length > query.limit && items.length > 0 ? encodeCursor(items.at(-1)!) : null };
  }

  /** Every matching saga id, newest first: what a bulk action covers. */
  matchingIds(query: IndexFilter): string[] {
    const plan = this.plan(query, null);
    return this.statement(plan, false).pluck().all(this.parameters(plan)) as string[];
  }

  /** Sagas per status and per state, and how many are retrying or paused now: read from the counts table, never counted. */
  counts(): Overview {
    const overview: Overview = { total: 0, byStatus: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<SagaStatus, number>, byState: {}, retrying: 0, paused: 0 };
    for (const { kind, key, n } of this.readCounts.all()) {
      if (kind === 'total') overview.total = n;
      else if (kind === 'retrying') overview.retrying = n;
      else if (kind === 'paused') overview.paused = n;
      else if (kind === 'status') overview.byStatus[key as SagaStatus] = n;
      else overview.byState[key] = n;
    }
    return overview;
  }

  /**
   * The incident groups (incident.ts), largest first: up to `limit` of them, each with its
   * `sample` newest sagas. Reads the partial incident index only: its cost follows the sagas in
   * incidents, not the history.
   */
  incidents(limit: number, sample: number): IncidentRows {
    const all = this.readIncidentGroups.all();
    const groups = all.slice(0, limit).map(({ key, n, firstSeen, lastSeen }) => ({
      key,
      count: n,
      firstSeen,
      lastSeen,
      sample: sample > 0 ? this.readIncidentSample.all(key, sample).map(summaryOf) : [],
    }));
    return { groups, groupCount: all.length, sagas: all.reduce((sum, group) => sum + group.n, 0) };
  }

  /** Sagas a restart must look at: in flight, stuck, or finished with a step still pending (see `isSettled`). */
  unfinished(): SagaSummary[] {
    return this.readUnfinished.all().map(summaryOf);
  }

  /**
   * Up to `limit` finished sagas with nothing pending (`isSettled`), last updated before
   * `cutoffMs` (the writer's wall clock: good enough to age out history), oldest first: what
   * retention purges.
   */
  removeFinishedBefore(cutoffMs: number, limit: number): string[] {
    return this.readExpired.all({ cutoff: cutoffMs, limit }).map((row) => row.orderId);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Create the tables; bring a file of an earlier version up to date in place where a migration
   * says how, else drop and recreate them (the stream fills them again).
   */
  private ensureSchema(): void {
    const hasVersion = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
    const version = hasVersion ? this.db.prepare<[], { version: number }>('SELECT version FROM schema_version').get()?.version : undefined;
    if (version === SAGA_INDEX_SCHEMA_VERSION) return;
    const migration = version === undefined ? undefined : MIGRATIONS[version];
    if (migration) {
      this.db.transaction(() => {
        this.db.exec(migration);
        this.db.prepare('UPDATE schema_version SET version = ?').run(SAGA_INDEX_SCHEMA_VERSION);
      })();
      return;
    }
    this.db.transaction(() => {
      for (const table of ['sagas', 'counts', 'meta', 'schema_version']) this.db.exec(`DROP TABLE IF EXISTS ${table}`);
      this.db.exec(SCHEMA);
      this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SAGA_INDEX_SCHEMA_VERSION);
    })();
  }

  /**
   * Pick the index that leaves the fewest rows to read: exact counts for status, state and
   * retrying; for a customer, an incident or an id prefix, a count that stops once it is no
   * better than those.
   */
  private plan(filter: IndexFilter, after: Plan['after']): Plan {
    const counts = this.counts();
    // Newest first reads every row at worst: the walk of last resort, and the loser of any tie.
    let best: [Lead, number] = ['newest', counts.total];
    const consider = (lead: Lead, rows: number) => {
      if (rows <= best[1]) best = [lead, rows];
    };
    if (filter.status) consider('status', counts.byStatus[filter.status] ?? 0);
    if (filter.state) consider('state', counts.byState[filter.state] ?? 0);
    if (filter.retrying === true) consider('retrying', counts.retrying);
    if (filter.paused === true) consider('paused', counts.paused);
    if (filter.customerId) consider('customer', this.countCustomer.get(filter.customerId, best[1])!.n);
    if (filter.incident) consider('incident', this.countIncident.get(filter.incident, best[1])!.n);
    let fewIds = false;
    if (filter.q) {
      const cap = Math.min(this.prefixSortLimit, best[1]);
      const ids = this.countIds.get({ ...prefixRange(filter.q), cap })!.n;
      fewIds = ids < cap;
      if (fewIds) consider('search', ids + this.countCustomer.get(filter.q, best[1])!.n);
      // Too many ids to sort, and nothing narrower: walk newest first, merged with the customer's sagas.
      else if (cap === this.prefixSortLimit && best[0] === 'newest') consider('search', counts.total);
    }
    return { lead: best[0], fewIds, filter, after };
  }

  private parameters(plan: Plan): Record<string, string | number | Buffer> {
    const { filter, after } = plan;
    const values: Record<string, string | number | Buffer> = {};
    if (filter.status) values.status = filter.status;
    if (filter.state) values.state = filter.state;
    if (filter.customerId) values.customerId = filter.customerId;
    if (filter.incident) values.incident = filter.incident;
    if (filter.q) Object.assign(values, { q: filter.q, ...prefixRange(filter.q) });
    if (after) Object.assign(values, { afterCreatedAt: after.createdAt, afterOrderId: after.orderId });
    return values;
  }

  /** The statement for a plan's shape, prepared the first time that shape is asked for. */
  private statement(plan: Plan, page: boolean): Database.Statement {
    const sql = this.sql(plan, page);
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** `page`: the rows of one page (list); otherwise every matching id (matchingIds). */
  private sql(plan: Plan, page: boolean): string {
    const order = ` ORDER BY createdAt DESC, orderId DESC${page ? ' LIMIT @limit' : ''}`;
    const filters = this.filterTerms(plan, plan.lead);
    const cursor = plan.after ? ['(createdAt, orderId) < (@afterCreatedAt, @afterOrderId)'] : [];
    if (plan.lead !== 'search') {
      if (plan.filter.q) filters.push('((+orderId >= @low AND +orderId < @high) OR +customerId = @q)');
      return `SELECT ${page ? COLUMNS : 'orderId, createdAt'} FROM sagas INDEXED BY ${LEAD_INDEX[plan.lead]}${where([...filters, ...cursor])}${order}`;
    }
    // A search merges two streams newest first: the ids under the prefix, and the customer's.
    // Both read ids and times from an index alone; the rest of the filter looks up only the ids
    // that matched (a table without rowids reads a row before any test on the index), and the
    // page's rows are read last.
    const rest = filters.length > 0 ? [`EXISTS (SELECT 1 FROM sagas AS saga WHERE saga.orderId = id.orderId AND ${filters.join(' AND ')})`] : [];
    const idRange = plan.fewIds ? ['orderId >= @low', 'orderId < @high'] : ['+orderId >= @low', '+orderId < @high'];
    const byId = `SELECT orderId, createdAt FROM sagas AS id INDEXED BY ${plan.fewIds ? 'sagas_by_id' : 'sagas_newest'}${where([...idRange, ...cursor, ...rest])}`;
    const byCustomer = `SELECT orderId, createdAt FROM sagas AS id INDEXED BY sagas_by_customer${where(['customerId = @q', ...cursor, ...rest])}`;
    const ids = `${byId} UNION ${byCustomer}${order}`;
    // Ids with their times: `matchingIds` plucks the first column.
    if (!page) return ids;
    const columns = COLUMNS.split(', ').map((column) => `saga.${column}`).join(', ');
    return `SELECT ${columns} FROM (${ids}) AS page JOIN sagas AS saga ON saga.orderId = page.orderId ORDER BY page.createdAt DESC, page.orderId DESC`;
  }

  /** The plan's filters as SQL terms; a unary plus keeps a term off the indexes, so only the lead's is walked. */
  private filterTerms(plan: Plan, lead: Lead): string[] {
    const { filter } = plan;
    const terms: string[] = [];
    if (filter.status) terms.push(`${lead === 'status' ? '' : '+'}status = @status`);
    if (filter.state) terms.push(`${lead === 'state' ? '' : '+'}state = @state`);
    if (filter.customerId) terms.push(`${lead === 'customer' ? '' : '+'}customerId = @customerId`);
    // The incident index is partial: `incident = ?` implies the NOT NULL it covers.
    if (filter.incident) terms.push(`${lead === 'incident' ? '' : '+'}incident = @incident`);
    // The retrying index is partial: the planner takes it only for this very term.
    if (filter.retrying !== undefined) terms.push(lead === 'retrying' ? 'retrying = 1' : `+retrying = ${filter.retrying ? 1 : 0}`);
    // So is the paused one: its lead takes exactly its own term.
    if (filter.paused !== undefined) terms.push(lead === 'paused' ? 'paused IS NOT NULL' : `+paused IS ${filter.paused ? 'NOT ' : ''}NULL`);
    return terms;
  }
}
