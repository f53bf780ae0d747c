/**
 * The latest entries of running sagas this instance knows of (ones it wrote, and ones the
 * bucket's watch brought from other instances: saga-bucket.ts owns this cache), so the next step of a saga need not read back
 * what was just written. Only a hint: a step decided on a remembered entry is written with CAS
 * on its revision, so a stale one (someone moved the saga since) fails and is read again; and a
 * step that would not write (a duplicate, an ignored reply) is decided again on a fresh read
 * before anything is acknowledged on its strength.
 * Bounded: finished sagas leave at once, and the oldest go first past `capacity`, so memory
 * stays flat however many sagas have run. Entries from the watch stay encoded until a step here
 * needs them: with several instances, most are never needed here.
 */
import type { SagaEntry } from './entry.ts';
import { decodeStoredEntry } from './stored-entry.ts';

export interface StoredSaga {
  entry: SagaEntry;
  revision: number;
}

type Remembered = { revision: number; entry: SagaEntry } | { revision: number; value: Uint8Array };

export class RecentEntries {
  private readonly entries = new Map<string, Remembered>();

  constructor(private readonly capacity = 10_000) {}

  get(orderId: string): StoredSaga | undefined {
    const remembered = this.entries.get(orderId);
    if (!remembered) return undefined;
    if ('entry' in remembered) return remembered;
    const decoded = { revision: remembered.revision, entry: decodeStoredEntry(remembered.value) };
    this.entries.set(orderId, decoded);
    return decoded;
  }

  /** An entry this instance wrote. */
  remember(stored: StoredSaga, running: boolean): void {
    this.keep(stored.entry.orderId, stored, running);
  }

  /** An entry as stored by someone else; copied, so it does not pin the connection's read buffer. */
  rememberEncoded(orderId: string, revision: number, value: Uint8Array, running: boolean): void {
    this.keep(orderId, { revision, value: value.slice() }, running);
  }

  forget(orderId: string): void {
    this.entries.delete(orderId);
  }

  get size(): number {
    return this.entries.size;
  }

  private keep(orderId: string, remembered: Remembered, running: boolean): void {
    const known = this.entries.get(orderId);
    // The watch may bring back a revision older than one this instance wrote since.
    if (known && known.revision >= remembered.revision) return;
    // Re-inserting moves the key to the end of the Map's order: the first key is the oldest.
    this.entries.delete(orderId);
    if (!running) return;
    this.entries.set(orderId, remembered);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
