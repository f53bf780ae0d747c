/**
 * Every saga's summary, packed off the JS heap: a row of numbers per saga in typed arrays, and
 * its strings in one byte arena. The catalog indexes every order the system has taken; kept as
 * objects, 100,000 summaries grew the orchestrator by over 100 MiB, because V8 sizes its heap as
 * a multiple of what lives on it. As rows they take about 125 bytes each, outside the heap, so
 * memory stays nearly flat however many orders pile up (see `npm run bench -- --only memory`).
 *
 * A row holds what lists, filters and counts read, and enough to rebuild the summary of a
 * finished saga. What only a saga in flight has (its pending step, its deadline, a retry going
 * on) is not packed: `isPackable` says which summaries a row can stand for alone, and the
 * catalog keeps the others as objects beside their rows.
 */
import type { SagaStatus } from '../../machines/index.ts';
import type { SagaSummary } from './summary.ts';

/** A summary its row can rebuild whole: a finished saga with nothing pending. */
export function isPackable(summary: SagaSummary): boolean {
  return (summary.status === 'completed' || summary.status === 'cancelled' || summary.status === 'failed') && !summary.pending && !summary.deadline && !summary.retrying;
}

/** The few distinct strings many rows share (states, statuses, currencies, machine versions), as small numbers. */
class Interned {
  private readonly texts: string[] = [];
  private readonly ids = new Map<string, number>();

  id(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.texts.push(text) - 1;
      this.ids.set(text, id);
    }
    return id;
  }

  text(id: number): string {
    return this.texts[id]!;
  }
}

/**
 * Append-only UTF-8 text in fixed chunks; a string is kept as (offset, length) and never spans
 * two chunks. Fixed chunks, not one buffer that doubles: a doubled buffer leaves the old one
 * behind in the allocator, and overshoots what is used by up to half.
 */
class Arena {
  private static readonly CHUNK = 256 * 1024;
  private readonly chunks: Buffer[] = [];
  /** Bytes used in the last chunk. */
  private used = Arena.CHUNK;

  add(text: string): [offset: number, length: number] {
    const length = Buffer.byteLength(text);
    if (length === 0) return [0, 0];
    if (this.used + length > Arena.CHUNK) {
      // A text longer than a chunk gets a chunk of its own, read from its start.
      this.chunks.push(Buffer.allocUnsafeSlow(Math.max(Arena.CHUNK, length)));
      this.used = 0;
    }
    const offset = this.used;
    this.chunks.at(-1)!.write(text, offset);
    this.used += length;
    return [(this.chunks.length - 1) * Arena.CHUNK + offset, length];
  }

  text(offset: number, length: number): string {
    // Most rows have no last error: no chunk to read (and none yet if the first text was empty).
    if (length === 0) return '';
    const start = offset % Arena.CHUNK;
    return this.chunkAt(offset).toString('utf8', start, start + length);
  }

  /** Whether the text at (offset, length) starts with `prefix`, read in place. */
  startsWith(offset: number, length: number, prefix: Buffer): boolean {
    const start = offset % Arena.CHUNK;
    return prefix.length <= length && this.chunkAt(offset).compare(prefix, 0, prefix.length, start, start + prefix.length) === 0;
  }

  private chunkAt(offset: number): Buffer {
    return this.chunks[Math.floor(offset / Arena.CHUNK)]!;
  }
}

const EMPTY = -1;
const DELETED = -2;

/** FNV-1a over the UTF-16 code units: order ids are ASCII, and any string hashes the same way here each time. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// Row layout: numbers per row in each array.
const TIMES = 5; // createdAt, updatedAt, stateEnteredAt, totalCents, revision
const TEXTS = 7; // orderId, customerId, lastError as JSON: offset and length each; the customer id's hash
const CODES = 5; // status, state, currency, machineVersion, flags
const RETRYING = 1;
const UNPACKED = 2;

/**
 * Rows come in chunks of a fixed size, allocated as they fill and never moved: capacity follows
 * the rows closely, and growing copies nothing (arrays that double left their old copies with the
 * allocator, about 4 MiB of the orchestrator's growth at 100,000 sagas).
 */
const CHUNK_ROWS = 4096;

class RowChunk {
  readonly times: Float64Array;
  readonly texts: Uint32Array;
  readonly codes: Uint16Array;

  constructor() {
    const textsAt = CHUNK_ROWS * TIMES * 8;
    const codesAt = textsAt + CHUNK_ROWS * TEXTS * 4;
    const buffer = new ArrayBuffer(codesAt + CHUNK_ROWS * CODES * 2);
    this.times = new Float64Array(buffer, 0, CHUNK_ROWS * TIMES);
    this.texts = new Uint32Array(buffer, textsAt, CHUNK_ROWS * TEXTS);
    this.codes = new Uint16Array(buffer, codesAt, CHUNK_ROWS * CODES);
  }
}

export class PackedSummaries {
  private rows = 0;
  private readonly chunks: RowChunk[] = [];
  private readonly arena = new Arena();
  private readonly interned = new Interned();
  /** orderId -> row, open addressing with linear probing. */
  private slots = new Int32Array(2048).fill(EMPTY);
  private slotsTaken = 0;

  rowOf(orderId: string): number | undefined {
    const mask = this.slots.length - 1;
    for (let i = hash(orderId) & mask; ; i = (i + 1) & mask) {
      const row = this.slots[i]!;
      if (row === EMPTY) return undefined;
      if (row !== DELETED && this.orderId(row) === orderId) return row;
    }
  }

  /** A new row for a saga not here yet. */
  add(summary: SagaSummary, revision: number): number {
    if (this.rows === this.chunks.length * CHUNK_ROWS) this.chunks.push(new RowChunk());
    const row = this.rows++;
    this.setText(row, 0, summary.orderId);
    this.setText(row, 1, summary.customerId);
    this.setTextField(row, 6, hash(summary.customerId));
    this.setTime(row, 0, summary.createdAt);
    this.update(row, summary, revision);
    this.index(summary.orderId, row);
    return row;
  }

  /** The row takes the saga's summary as of `revision`. */
  update(row: number, summary: SagaSummary, revision: number): void {
    this.setTime(row, 1, summary.updatedAt);
    this.setTime(row, 2, summary.stateEnteredAt);
    this.setTime(row, 3, summary.totalCents);
    this.setTime(row, 4, revision);
    this.setCode(row, 0, this.interned.id(summary.status));
    this.setCode(row, 1, this.interned.id(summary.state));
    this.setCode(row, 2, this.interned.id(summary.currency));
    this.setCode(row, 3, this.interned.id(summary.machineVersion));
    this.setCode(row, 4, (summary.retrying ? RETRYING : 0) | (isPackable(summary) ? 0 : UNPACKED));
    // A finished saga's last error is written once, when it finishes; a running one's lives in its summary object.
    if (isPackable(summary) && summary.lastError) this.setText(row, 2, JSON.stringify(summary.lastError));
    else {
      this.setTextField(row, 4, 0);
      this.setTextField(row, 5, 0);
    }
  }

  /** Forget the row's saga: its id no longer finds it (the row's space is not reused). */
  remove(row: number): void {
    const orderId = this.orderId(row);
    const mask = this.slots.length - 1;
    for (let i = hash(orderId) & mask; this.slots[i] !== EMPTY; i = (i + 1) & mask) {
      if (this.slots[i] === row) {
        this.slots[i] = DELETED;
        return;
      }
    }
  }

  orderId(row: number): string {
    return this.text(row, 0);
  }

  customerId(row: number): string {
    return this.text(row, 1);
  }

  /** Whether the row's customer is `customerId`: the hash first, so a scan reads few strings. */
  customerIs(row: number, customerId: string, customerHash = hash(customerId)): boolean {
    return this.textField(row, 6) === customerHash && this.customerId(row) === customerId;
  }

  orderIdStartsWith(row: number, prefix: Buffer): boolean {
    return this.arena.startsWith(this.textField(row, 0), this.textField(row, 1), prefix);
  }

  createdAt(row: number): number {
    return this.time(row, 0);
  }

  updatedAt(row: number): number {
    return this.time(row, 1);
  }

  revision(row: number): number {
    return this.time(row, 4);
  }

  status(row: number): SagaStatus {
    return this.interned.text(this.code(row, 0)) as SagaStatus;
  }

  state(row: number): string {
    return this.interned.text(this.code(row, 1));
  }

  retrying(row: number): boolean {
    return (this.code(row, 4) & RETRYING) !== 0;
  }

  /** Whether the row alone rebuilds its summary (see `isPackable`). */
  packed(row: number): boolean {
    return (this.code(row, 4) & UNPACKED) === 0;
  }

  /** The summary of a packed row. */
  summary(row: number): SagaSummary {
    const lastError = this.text(row, 2);
    return {
      orderId: this.orderId(row),
      customerId: this.customerId(row),
      state: this.state(row),
      status: this.status(row),
      totalCents: this.time(row, 3),
      currency: this.interned.text(this.code(row, 2)),
      createdAt: this.time(row, 0),
      updatedAt: this.time(row, 1),
      machineVersion: this.interned.text(this.code(row, 3)),
      stateEnteredAt: this.time(row, 2),
      pending: null,
      retrying: false,
      deadline: null,
      lastError: lastError ? JSON.parse(lastError) : null,
    };
  }

  private time(row: number, field: number): number {
    return this.chunks[Math.floor(row / CHUNK_ROWS)]!.times[(row % CHUNK_ROWS) * TIMES + field]!;
  }

  private setTime(row: number, field: number, value: number): void {
    this.chunks[Math.floor(row / CHUNK_ROWS)]!.times[(row % CHUNK_ROWS) * TIMES + field] = value;
  }

  private code(row: number, field: number): number {
    return this.chunks[Math.floor(row / CHUNK_ROWS)]!.codes[(row % CHUNK_ROWS) * CODES + field]!;
  }

  private setCode(row: number, field: number, value: number): void {
    this.chunks[Math.floor(row / CHUNK_ROWS)]!.codes[(row % CHUNK_ROWS) * CODES + field] = value;
  }

  private textField(row: number, field: number): number {
    return this.chunks[Math.floor(row / CHUNK_ROWS)]!.texts[(row % CHUNK_ROWS) * TEXTS + field]!;
  }

  private setTextField(row: number, field: number, value: number): void {
    this.chunks[Math.floor(row / CHUNK_ROWS)]!.texts[(row % CHUNK_ROWS) * TEXTS + field] = value;
  }

  private text(row: number, text: number): string {
    return this.arena.text(this.textField(row, text * 2), this.textField(row, text * 2 + 1));
  }

  private setText(row: number, text: number, value: string): void {
    const [offset, length] = this.arena.add(value);
    this.setTextField(row, text * 2, offset);
    this.setTextField(row, text * 2 + 1, length);
  }

  private index(orderId: string, row: number): void {
    // Half full at most, counting deleted marks, so probes stay short.
    if ((this.slotsTaken + 1) * 2 > this.slots.length) this.rehash();
    const mask = this.slots.length - 1;
    let i = hash(orderId) & mask;
    while (this.slots[i] !== EMPTY) i = (i + 1) & mask;
    this.slots[i] = row;
    this.slotsTaken++;
  }

  /** Rebuild the index without its deleted marks, doubled when live ids would fill half of it. */
  private rehash(): void {
    const live: number[] = [];
    for (const row of this.slots) if (row >= 0) live.push(row);
    let size = this.slots.length;
    while ((live.length + 1) * 2 > size) size *= 2;
    this.slots = new Int32Array(size).fill(EMPTY);
    this.slotsTaken = 0;
    const mask = size - 1;
    for (const row of live) {
      let i = hash(this.orderId(row)) & mask;
      while (this.slots[i] !== EMPTY) i = (i + 1) & mask;
      this.slots[i] = row;
      this.slotsTaken++;
    }
  }
}
