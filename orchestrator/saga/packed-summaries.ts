/**
 * Every saga's summary, packed off the JS heap: a row of numbers per saga in typed arrays, and
 * its strings in one byte arena. The catalog indexes every order the system has taken; kept as
 * objects, 100,000 summaries grew the orchestrator by over 100 MiB, because V8 sizes its heap as
 * a multiple of what lives on it. As rows they take about 150 bytes each, outside the heap, so
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

/** Append-only UTF-8 text; a string is kept as (offset, length). */
class Arena {
  private bytes = Buffer.allocUnsafeSlow(1 << 20);
  private used = 0;

  add(text: string): [offset: number, length: number] {
    const length = Buffer.byteLength(text);
    if (this.used + length > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.used + length));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    const offset = this.used;
    this.bytes.write(text, offset);
    this.used += length;
    return [offset, length];
  }

  text(offset: number, length: number): string {
    return this.bytes.toString('utf8', offset, offset + length);
  }

  /** Whether the text at (offset, length) starts with `prefix`, read in place. */
  startsWith(offset: number, length: number, prefix: Buffer): boolean {
    return prefix.length <= length && this.bytes.compare(prefix, 0, prefix.length, offset, offset + prefix.length) === 0;
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
const CODES = 5; // status, state, currency, machineVersion, flags
const TEXTS = 7; // orderId, customerId, lastError as JSON: offset and length each; the customer id's hash
const RETRYING = 1;
const UNPACKED = 2;

export class PackedSummaries {
  private capacity = 1024;
  private rows = 0;
  private times = new Float64Array(this.capacity * TIMES);
  private codes = new Uint16Array(this.capacity * CODES);
  private texts = new Uint32Array(this.capacity * TEXTS);
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
    if (this.rows === this.capacity) this.grow();
    const row = this.rows++;
    this.setText(row, 0, summary.orderId);
    this.setText(row, 1, summary.customerId);
    this.texts[row * TEXTS + 6] = hash(summary.customerId);
    this.times[row * TIMES] = summary.createdAt;
    this.update(row, summary, revision);
    this.index(summary.orderId, row);
    return row;
  }

  /** The row takes the saga's summary as of `revision`. */
  update(row: number, summary: SagaSummary, revision: number): void {
    const t = row * TIMES;
    this.times[t + 1] = summary.updatedAt;
    this.times[t + 2] = summary.stateEnteredAt;
    this.times[t + 3] = summary.totalCents;
    this.times[t + 4] = revision;
    const c = row * CODES;
    this.codes[c] = this.interned.id(summary.status);
    this.codes[c + 1] = this.interned.id(summary.state);
    this.codes[c + 2] = this.interned.id(summary.currency);
    this.codes[c + 3] = this.interned.id(summary.machineVersion);
    this.codes[c + 4] = (summary.retrying ? RETRYING : 0) | (isPackable(summary) ? 0 : UNPACKED);
    // A finished saga's last error is written once, when it finishes; a running one's lives in its summary object.
    if (isPackable(summary) && summary.lastError) this.setText(row, 2, JSON.stringify(summary.lastError));
    else this.texts[row * TEXTS + 4] = this.texts[row * TEXTS + 5] = 0;
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
    return this.texts[row * TEXTS + 6] === customerHash && this.customerId(row) === customerId;
  }

  orderIdStartsWith(row: number, prefix: Buffer): boolean {
    const at = row * TEXTS;
    return this.arena.startsWith(this.texts[at]!, this.texts[at + 1]!, prefix);
  }

  createdAt(row: number): number {
    return this.times[row * TIMES]!;
  }

  updatedAt(row: number): number {
    return this.times[row * TIMES + 1]!;
  }

  revision(row: number): number {
    return this.times[row * TIMES + 4]!;
  }

  status(row: number): SagaStatus {
    return this.interned.text(this.codes[row * CODES]!) as SagaStatus;
  }

  state(row: number): string {
    return this.interned.text(this.codes[row * CODES + 1]!);
  }

  retrying(row: number): boolean {
    return (this.codes[row * CODES + 4]! & RETRYING) !== 0;
  }

  /** Whether the row alone rebuilds its summary (see `isPackable`). */
  packed(row: number): boolean {
    return (this.codes[row * CODES + 4]! & UNPACKED) === 0;
  }

  /** The summary of a packed row. */
  summary(row: number): SagaSummary {
    const t = row * TIMES;
    const c = row * CODES;
    const lastError = this.text(row, 2);
    return {
      orderId: this.orderId(row),
      customerId: this.customerId(row),
      state: this.state(row),
      status: this.status(row),
      totalCents: this.times[t + 3]!,
      currency: this.interned.text(this.codes[c + 2]!),
      createdAt: this.times[t]!,
      updatedAt: this.times[t + 1]!,
      machineVersion: this.interned.text(this.codes[c + 3]!),
      stateEnteredAt: this.times[t + 2]!,
      pending: null,
      retrying: false,
      deadline: null,
      lastError: lastError ? JSON.parse(lastError) : null,
    };
  }

  private text(row: number, field: number): string {
    const at = row * TEXTS + field * 2;
    return this.arena.text(this.texts[at]!, this.texts[at + 1]!);
  }

  private setText(row: number, field: number, text: string): void {
    const at = row * TEXTS + field * 2;
    [this.texts[at], this.texts[at + 1]] = this.arena.add(text);
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

  private rehash(): void {
    const live: number[] = [];
    for (const row of this.slots) if (row >= 0) live.push(row);
    let size = this.slots.length;
    while ((live.length + 1) * 4 > size) size *= 2;
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

  private grow(): void {
    this.capacity *= 2;
    const times = new Float64Array(this.capacity * TIMES);
    times.set(this.times);
    this.times = times;
    const codes = new Uint16Array(this.capacity * CODES);
    codes.set(this.codes);
    this.codes = codes;
    const texts = new Uint32Array(this.capacity * TEXTS);
    texts.set(this.texts);
    this.texts = texts;
  }
}
