import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { effectOfStep } from '../../workers/ledger.ts';
import { totalsOf } from '../support/ledger.ts';
import { commands, oid, outcomeOf, startHarness, type WorkerHarness } from './harness.ts';

let h: WorkerHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(() => h.stopWorkers());
afterAll(() => h.close());

async function answer(command: ReturnType<typeof commands.charge>) {
  await h.send(command);
  return outcomeOf(await h.reply(command.meta!.commandId));
}

describe('payment worker', () => {
  it('charges the amount, then refunds exactly what was charged', async () => {
    await h.startService('payment');
    expect(await answer(commands.charge(oid('ord-pay-1'), 'cust-1', 4_250))).toEqual({ kind: 'succeeded', reference: `chg_${oid('ord-pay-1')}` });
    // The refund command's amount is not what counts: the books are.
    expect(await answer(commands.refund(oid('ord-pay-1'), 99_999))).toEqual({ kind: 'succeeded', reference: `rfd_${oid('ord-pay-1')}` });

    const entry = (await h.entry('payment', oid('ord-pay-1')))!;
    expect(effectOfStep(entry, 'chargePayment')).toMatchObject({ outcome: 'succeeded', amountCents: 4_250, currency: 'USD' });
    expect(effectOfStep(entry, 'refundPayment')).toMatchObject({ amountCents: 4_250, undid: `chg_${oid('ord-pay-1')}` });
  });

  it('declines customer cust-declined for good, and a refund after it moves no money', async () => {
    await h.startService('payment');
    expect(await answer(commands.charge(oid('ord-pay-declined'), 'cust-declined', 1_000))).toMatchObject({ kind: 'failed', code: 'DECLINED' });
    expect(await answer(commands.refund(oid('ord-pay-declined'), 1_000))).toMatchObject({ kind: 'succeeded' });

    const totals = totalsOf([(await h.entry('payment', oid('ord-pay-declined')))!]);
    expect(totals.chargePayment).toMatchObject({ succeeded: 0, failed: 1, amountCents: 0 });
    expect(totals.refundPayment).toMatchObject({ succeeded: 1, amountCents: 0 });
  });

  it('tombstones a refund that comes before its charge, so the late charge fails', async () => {
    await h.startService('payment');
    expect(await answer(commands.refund(oid('ord-pay-late'), 700))).toMatchObject({ kind: 'succeeded' });
    expect(await answer(commands.charge(oid('ord-pay-late'), 'cust-1', 700))).toMatchObject({ kind: 'failed', code: 'ALREADY_REFUNDED' });

    const entry = (await h.entry('payment', oid('ord-pay-late')))!;
    expect(effectOfStep(entry, 'refundPayment')).toMatchObject({ tombstone: true, amountCents: 0 });
    const totals = totalsOf([entry]);
    expect(totals.chargePayment!.amountCents - totals.refundPayment!.amountCents).toBe(0);
  });

  it('keeps the books balanced: charged − refunded = what the completed orders paid', async () => {
    await h.startService('payment');
    const completed = [1_100, 2_200, 3_300];
    await Promise.all(completed.map((cents, i) => answer(commands.charge(oid(`ord-pay-done-${i}`), 'cust-1', cents))));
    await answer(commands.charge(oid('ord-pay-undone'), 'cust-1', 5_000));
    await answer(commands.refund(oid('ord-pay-undone'), 5_000));

    const entries = (await h.ledger('payment')).filter((entry) => entry.orderId.startsWith('ord_paydone') || entry.orderId === oid('ord-pay-undone'));
    const totals = totalsOf(entries);
    expect(totals.chargePayment!.amountCents - totals.refundPayment!.amountCents).toBe(1_100 + 2_200 + 3_300);
  });
});
