/**
 * The catalog's packed rows on their own: rows and texts live in fixed chunks, so these tests
 * fill several of each and read every row back across the chunks' edges.
 */
import { describe, expect, it } from 'vitest';
import { PackedSummaries } from '../../orchestrator/saga/packed-summaries.ts';
import type { SagaSummary } from '../../orchestrator/saga/summary.ts';

function finished(n: number, lastErrorMessage?: string): SagaSummary {
  return {
    orderId: `ord_${n.toString(36).padStart(8, '0')}`,
    // Lengths vary and some are not ASCII, so texts end at odd places in the arena's chunks.
    customerId: n % 7 === 0 ? `kundin-müller-${n}` : `c${'x'.repeat(n % 13)}-${n}`,
    state: lastErrorMessage ? 'cancelled' : 'completed',
    status: lastErrorMessage ? 'cancelled' : 'completed',
    totalCents: n * 100,
    currency: n % 2 ? 'USD' : 'EUR',
    createdAt: 1_700_000_000_000 + n,
    updatedAt: 1_700_000_000_500 + n,
    machineVersion: 'order-saga@2',
    stateEnteredAt: 1_700_000_000_400 + n,
    pending: null,
    retrying: false,
    deadline: null,
    lastError: lastErrorMessage ? { step: 'chargePayment', attempt: 1, kind: 'permanent', message: lastErrorMessage } : null,
  } as SagaSummary;
}

describe('packed summaries', () => {
  it('reads back every one of 30,000 rows exactly, across row and text chunks', () => {
    const rows = new PackedSummaries();
    const added = Array.from({ length: 30_000 }, (_, n) => finished(n, n % 10 === 3 ? `declined by the bank (${n})` : undefined));
    const rowNumbers = added.map((summary, n) => rows.add(summary, n + 1));
    for (const [n, summary] of added.entries()) {
      const row = rows.rowOf(summary.orderId);
      expect(row).toBe(rowNumbers[n]);
      expect(rows.summary(row!)).toEqual(summary);
      expect(rows.revision(row!)).toBe(n + 1);
      expect(rows.customerIs(row!, summary.customerId)).toBe(true);
    }
    expect(rows.rowOf('ord_unknown')).toBeUndefined();
  });

  it('keeps a text longer than a chunk, and the rows after it', () => {
    const rows = new PackedSummaries();
    const long = 'é'.repeat(300 * 1024); // 600 KiB of UTF-8, more than a text chunk
    const before = finished(1);
    const withLong = finished(2, long);
    const after = finished(3, 'short');
    for (const [n, summary] of [before, withLong, after].entries()) rows.add(summary, n + 1);
    expect(rows.summary(rows.rowOf(withLong.orderId)!).lastError?.message).toBe(long);
    expect(rows.summary(rows.rowOf(after.orderId)!)).toEqual(after);
    expect(rows.summary(rows.rowOf(before.orderId)!)).toEqual(before);
  });

  it('reads an empty text back as empty', () => {
    const rows = new PackedSummaries();
    const anonymous = { ...finished(1), customerId: '' } as SagaSummary;
    rows.add(anonymous, 1);
    expect(rows.summary(rows.rowOf(anonymous.orderId)!)).toEqual(anonymous);
    expect(rows.customerIs(rows.rowOf(anonymous.orderId)!, '')).toBe(true);
  });

  it('updates a row in place and forgets a removed one, the others still found', () => {
    const rows = new PackedSummaries();
    for (let n = 0; n < 10_000; n++) rows.add(finished(n), 1);
    const moved = { ...finished(5000), state: 'failed', status: 'failed', updatedAt: 1_800_000_000_000 } as SagaSummary;
    rows.update(rows.rowOf(moved.orderId)!, moved, 7);
    expect(rows.summary(rows.rowOf(moved.orderId)!)).toEqual(moved);
    expect(rows.revision(rows.rowOf(moved.orderId)!)).toBe(7);

    for (let n = 0; n < 10_000; n += 2) rows.remove(rows.rowOf(finished(n).orderId)!);
    for (let n = 0; n < 10_000; n++) {
      const row = rows.rowOf(finished(n).orderId);
      if (n % 2 === 0) expect(row).toBeUndefined();
      else expect(rows.orderId(row!)).toBe(finished(n).orderId);
    }
    // New rows after the removals are indexed too (the index rehashes its deleted marks away).
    for (let n = 10_000; n < 20_000; n++) rows.add(finished(n), 1);
    expect(rows.orderIdStartsWith(rows.rowOf(finished(19_999).orderId)!, Buffer.from('ord_'))).toBe(true);
    expect(rows.rowOf(finished(15_000).orderId)).toBeDefined();
    expect(rows.rowOf(finished(4).orderId)).toBeUndefined();
  });
});
