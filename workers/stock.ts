/**
 * How much of each SKU is held by reservations, kept in memory from a watch of the inventory
 * ledger. Every SKU starts with STOCK_PER_SKU units; a reservation holds units until it is
 * released (shipped units stay held: they left the warehouse).
 *
 * The view is eventually consistent: another instance's reservation shows up here a moment
 * after it is booked, and reservations decided at the same moment do not see each other. With
 * a million units per SKU the simulation accepts that a burst may overbook by what is in flight.
 */
import type { KV } from '@nats-io/kv';
import { codec } from '../lib/codec.ts';
import type { Logger } from '../lib/logger.ts';
import type { LedgerEntry } from './ledger.ts';

export const STOCK_PER_SKU = 1_000_000;

export interface StockView {
  available(sku: string): number;
  /** Take in an entry this instance just wrote, ahead of the watch. */
  observe(orderId: string, revision: number, entry: LedgerEntry | null): void;
  close(): Promise<void>;
}

/** Units per SKU an order holds: what it reserved minus what it released. */
function heldBy(entry: LedgerEntry): Map<string, number> {
  const held = new Map<string, number>();
  for (const effect of Object.values(entry.effects)) {
    const sign = effect.step === 'reserveInventory' ? 1 : effect.step === 'releaseInventory' ? -1 : 0;
    if (effect.outcome !== 'succeeded' || sign === 0) continue;
    for (const { sku, quantity } of effect.items ?? []) held.set(sku, (held.get(sku) ?? 0) + sign * quantity);
  }
  return held;
}

/** Load the view from the ledger and keep it current; resolves once every stored entry is in. */
export async function watchStock(ledger: KV, logger: Logger): Promise<StockView> {
  const heldBySku = new Map<string, number>();
  const orders = new Map<string, { revision: number; held: Map<string, number> }>();

  const observe = (orderId: string, revision: number, entry: LedgerEntry | null) => {
    const known = orders.get(orderId);
    // The watch may deliver a revision this instance already took in from its own write.
    if (known && known.revision >= revision) return;
    const held = entry ? heldBy(entry) : new Map<string, number>();
    for (const [sku, quantity] of known?.held ?? []) heldBySku.set(sku, (heldBySku.get(sku) ?? 0) - quantity);
    for (const [sku, quantity] of held) heldBySku.set(sku, (heldBySku.get(sku) ?? 0) + quantity);
    orders.set(orderId, { revision, held });
  };

  // Everything stored up to now must be in the view before the first reservation is decided.
  const lastStored = (await ledger.status()).streamInfo.state.last_seq;
  let markLoaded!: () => void;
  const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
  if (lastStored === 0) markLoaded();

  const watch = await ledger.watch();
  const watching = (async () => {
    for await (const change of watch) {
      try {
        // This instance's own writes come back here after `observe` took them in: skip the decode.
        if ((orders.get(change.key)?.revision ?? 0) < change.revision) {
          observe(change.key, change.revision, change.operation === 'PUT' ? codec.json.decode<LedgerEntry>(change.value) : null);
        }
      } catch (error) {
        logger.error({ err: error, orderId: change.key }, 'unreadable inventory ledger entry; stock view ignores it');
      }
      if (change.revision >= lastStored) markLoaded();
    }
  })();

  await loaded;
  return {
    available: (sku) => STOCK_PER_SKU - (heldBySku.get(sku) ?? 0),
    observe,
    async close() {
      watch.stop();
      await watching;
    },
  };
}
