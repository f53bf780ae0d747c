/**
 * The entries this instance wrote last, so the next step of a running saga need not read back
 * what it has just written. Only a hint: a step decided on a cached entry is written with CAS
 * on the cached revision, so a stale one (another instance moved the saga) fails and is read
 * again; and a step that would not write (a duplicate, an ignored reply) is decided again on a
 * fresh read before anything is acknowledged on its strength.
 * Bounded: finished sagas leave at once, and the oldest go first past `capacity`, so memory
 * stays flat however many sagas have run.
 */
import type { SagaEntry } from './entry.ts';

export interface StoredSaga {
  entry: SagaEntry;
  revision: number;
}

export class RecentEntries {
  private readonly entries = new Map<string, StoredSaga>();

  constructor(private readonly capacity = 10_000) {}

  get(orderId: string): StoredSaga | undefined {
    return this.entries.get(orderId);
  }

  remember(stored: StoredSaga, running: boolean): void {
    const { orderId } = stored.entry;
    const known = this.entries.get(orderId);
    // The watch may bring back a revision older than one this instance wrote since.
    if (known && known.revision >= stored.revision) return;
    // Re-inserting moves the key to the end of the Map's order: the first key is the oldest.
    this.entries.delete(orderId);
    if (!running) return;
    this.entries.set(orderId, stored);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  forget(orderId: string): void {
    this.entries.delete(orderId);
  }

  get size(): number {
    return this.entries.size;
  }
}
