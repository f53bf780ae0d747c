/**
 * Inventory: reserves an order's items and releases them again.
 * Rules: a SKU starting with OOS- is always out of stock; any other SKU has STOCK_PER_SKU units.
 */
import type { KV } from '@nats-io/kv';
import type { Logger } from '../lib/logger.ts';
import { notMine, type ActionOf, type BusinessFunction, type OpenService } from './business.ts';
import { refusedByCompensation, undo } from './compensation.ts';
import { applyOnce, outcomeOf, type Decision, type LedgerEntry, type StockLine } from './ledger.ts';
import { watchStock, type StockView } from './stock.ts';

/** The order's lines added up per SKU, so two lines of one SKU are checked against stock together. */
function perSku(items: ActionOf<'reserveInventory'>['items']): StockLine[] {
  const quantities = new Map<string, number>();
  for (const { sku, quantity } of items) quantities.set(sku, (quantities.get(sku) ?? 0) + quantity);
  return [...quantities].map(([sku, quantity]) => ({ sku, quantity }));
}

function decideReservation(orderId: string, lines: StockLine[], stock: StockView, entry: LedgerEntry): Decision {
  const refusal = refusedByCompensation(entry, 'reserveInventory');
  if (refusal) return refusal;
  const never = lines.find((line) => line.sku.startsWith('OOS-'));
  if (never) return { outcome: 'failed', code: 'OUT_OF_STOCK', message: `${never.sku} is out of stock` };
  const short = lines.find((line) => line.quantity > stock.available(line.sku));
  if (short) {
    const message = `${short.sku}: ${short.quantity} requested, ${Math.max(0, stock.available(short.sku))} available`;
    return { outcome: 'failed', code: 'OUT_OF_STOCK', message };
  }
  return { outcome: 'succeeded', reference: `rsv_${orderId}`, items: lines };
}

export function inventoryBusiness(stock: StockView): BusinessFunction {
  return async (command, ledger) => {
    const { meta } = command;
    const { orderId } = meta;
    const { action } = command;
    let decide: (entry: LedgerEntry) => Decision;
    if (action.case === 'reserveInventory') decide = (entry) => decideReservation(orderId, perSku(action.value.items), stock, entry);
    else if (action.case === 'releaseInventory') decide = (entry) => undo(entry, 'reserveInventory', `rls_${orderId}`);
    else return notMine('inventory', command);
    const applied = await applyOnce(ledger, meta, decide);
    stock.observe(orderId, applied.revision, applied.entry);
    return outcomeOf(applied.effect);
  };
}

/** Inventory's business function, with its stock view loaded from the ledger first. */
export async function openInventory(ledger: KV, logger: Logger): Promise<OpenService> {
  const stock = await watchStock(ledger, logger);
  return { business: inventoryBusiness(stock), close: () => stock.close() };
}
