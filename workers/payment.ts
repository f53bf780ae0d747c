/**
 * Payment: charges an order's total and refunds it.
 * Rule: customer `cust-declined` is declined for good.
 */
import { notMine, type BusinessFunction } from './business.ts';
import { refusedByCompensation, undo } from './compensation.ts';
import { applyOnce, outcomeOf, type Decision, type LedgerEntry } from './ledger.ts';

export const DECLINED_CUSTOMER = 'cust-declined';

export const payment: BusinessFunction = async (command, ledger) => {
  const { meta } = command;
  const { orderId } = meta;
  const { action } = command;
  let decide: (entry: LedgerEntry) => Decision;
  if (action.case === 'chargePayment') {
    const { customerId, amountCents, currency } = action.value;
    decide = (entry) =>
      refusedByCompensation(entry, 'chargePayment') ??
      (customerId === DECLINED_CUSTOMER
        ? { outcome: 'failed', code: 'DECLINED', message: `the card of ${customerId} was declined` }
        : { outcome: 'succeeded', reference: `chg_${orderId}`, amountCents: Number(amountCents), currency });
    // A refund gives back what the charge booked, whatever amount the command carries.
  } else if (action.case === 'refundPayment') decide = (entry) => undo(entry, 'chargePayment', `rfd_${orderId}`);
  else return notMine('payment', command);
  return outcomeOf((await applyOnce(ledger, meta, decide)).effect);
};
