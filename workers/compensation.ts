/**
 * The rule every service follows between a forward effect and the compensation that undoes it.
 * Commands may arrive in any order (a late first attempt, a compensation sent while the forward
 * step was still pending), so:
 * - a compensation undoes exactly what the forward effect recorded, not what its command says;
 * - a compensation that finds no forward effect succeeds with nothing to undo and stays as a
 *   tombstone, and a forward effect that finds its compensation already booked refuses for good.
 */
import { COMPENSATION_OF, type ForwardStep } from '../machines/index.ts';
import { effectOfStep, type Decision, type LedgerEntry } from './ledger.ts';

const REFUSAL_AFTER_COMPENSATION: Record<ForwardStep, { code: string; message: string }> = {
  reserveInventory: { code: 'ALREADY_RELEASED', message: 'the inventory of this order was already released' },
  chargePayment: { code: 'ALREADY_REFUNDED', message: 'the payment of this order was already refunded' },
  createShipment: { code: 'ALREADY_CANCELLED', message: 'the shipment of this order was already cancelled' },
};

/** The refusal a forward effect gets once its compensation is booked, or null when it may apply. */
export function refusedByCompensation(entry: LedgerEntry, forward: ForwardStep): Decision | null {
  if (!effectOfStep(entry, COMPENSATION_OF[forward])) return null;
  return { outcome: 'failed', ...REFUSAL_AFTER_COMPENSATION[forward] };
}

/** Undo the order's forward effect: move back what it moved, or leave a tombstone. */
export function undo(entry: LedgerEntry, forward: ForwardStep, reference: string): Decision {
  const done = effectOfStep(entry, forward);
  if (!done) return { outcome: 'succeeded', reference, tombstone: true, items: [], amountCents: 0 };
  if (done.outcome === 'failed') return { outcome: 'succeeded', reference, items: [], amountCents: 0 };
  const { items, amountCents, currency } = done;
  return { outcome: 'succeeded', reference, items, amountCents, currency, undid: done.reference };
}
