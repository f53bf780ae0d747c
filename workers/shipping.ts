/**
 * Shipping: creates an order's shipment and cancels it.
 * Rules: a SKU starting with NOSHIP- cannot be shipped; one starting with SLOW- stands for a
 * carrier that is down: every attempt that finds no shipment booked hangs for SLOW_SHIPPING_MS
 * and then books it. By default that outlasts every automatic attempt (config.ts,
 * defaultSlowShippingMs), so the saga parks in `stuck`; the first attempt's hang ending is "the
 * carrier is back": from then on any attempt, an operator's retry included, is answered at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { notMine, type BusinessFunction } from './business.ts';
import { refusedByCompensation, undo } from './compensation.ts';
import { applyOnce, outcomeOf, recordedEffect, type Decision, type LedgerEntry } from './ledger.ts';

export const shipping: BusinessFunction = async (command, ledger, { config, signal }) => {
  const { meta } = command;
  const { orderId } = meta;
  const { action } = command;
  let decide: (entry: LedgerEntry) => Decision;
  if (action.case === 'createShipment') {
    const items = action.value.items.map(({ sku, quantity }) => ({ sku, quantity }));
    const unshippable = items.find((item) => item.sku.startsWith('NOSHIP-'));
    // Only the first time: once the shipment is booked, a retry or redelivery answers at once.
    if (items.some((item) => item.sku.startsWith('SLOW-')) && !(await recordedEffect(ledger, meta))) {
      await sleep(config.slowShippingMs, undefined, { signal });
    }
    // Decided after the wait, on the entry as it is now: a cancel booked meanwhile wins.
    decide = (entry) =>
      refusedByCompensation(entry, 'createShipment') ??
      (unshippable
        ? { outcome: 'failed', code: 'CANNOT_SHIP', message: `${unshippable.sku} cannot be shipped` }
        : { outcome: 'succeeded', reference: `shp_${orderId}`, items });
  } else if (action.case === 'cancelShipment') decide = (entry) => undo(entry, 'createShipment', `cnl_${orderId}`);
  else return notMine('shipping', command);
  return outcomeOf((await applyOnce(ledger, meta, decide)).effect);
};
