/**
 * How saga entries are stored and remembered: the two-line KV value (summary, then entry) and
 * the runtime's bounded memory of recent entries, which is only ever a hint.
 */
import { describe, expect, it } from 'vitest';
import { applyEvent, startSaga, type SagaEntry } from '../../orchestrator/saga/entry.ts';
import { RecentEntries } from '../../orchestrator/saga/recent-entries.ts';
import { decodeStoredEntry, decodeStoredSummary, encodeStoredEntry } from '../../orchestrator/saga/stored-entry.ts';
import { summarize } from '../../orchestrator/saga/summary.ts';

const settings = { stepTimeoutMs: 1000, stepMaxAttempts: 2, sagaMachineVersion: 'order-saga@2' };
const sagaOf = (orderId: string, customerId = 'cust-1'): SagaEntry =>
  startSaga(
    {
      order: { orderId, customerId, currency: 'EUR', items: [{ sku: 'A', quantity: 2, unitPriceCents: 150 }], totalCents: 300 },
      traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01',
      requestHash: 'h',
    },
    1000,
    settings,
  );

describe('a stored saga entry', () => {
  const started = sagaOf('ord_a', 'line\nbreak "quoted"');
  const reserved = applyEvent(started, { type: 'INVENTORY_RESERVED', commandId: 'ord_a:reserveInventory:1', reference: 'rsv\n1' }, 'reply:1', 1500, settings);
  if (reserved.kind !== 'applied') throw new Error('expected the reply to apply');

  it('decodes to the same entry, newlines in order data included', () => {
    expect(decodeStoredEntry(encodeStoredEntry(reserved.entry))).toEqual(reserved.entry);
  });

  it('starts with the summary line the catalog reads alone', () => {
    const value = encodeStoredEntry(reserved.entry);
    expect(decodeStoredSummary(value)).toEqual(summarize(reserved.entry));
    expect(decodeStoredSummary(value)).toMatchObject({ orderId: 'ord_a', customerId: 'line\nbreak "quoted"', state: 'chargingPayment', status: 'running', currency: 'EUR' });
  });

  it('refuses a value without its two lines', () => {
    expect(() => decodeStoredEntry(new TextEncoder().encode(JSON.stringify(started)))).toThrow(/summary line/);
  });
});

describe('recent entries', () => {
  it('keep running sagas only, and the newest revision of each', () => {
    const recent = new RecentEntries();
    const a = sagaOf('ord_a');
    recent.remember({ entry: a, revision: 5 }, true);
    recent.remember({ entry: { ...a, state: 'older' }, revision: 4 }, true);
    expect(recent.get('ord_a')).toEqual({ entry: a, revision: 5 });
    recent.remember({ entry: { ...a, status: 'completed' }, revision: 6 }, false);
    expect(recent.get('ord_a')).toBeUndefined();
  });

  it('decode an entry from another instance only when asked, and prefer a newer own write', () => {
    const recent = new RecentEntries();
    const b = sagaOf('ord_b');
    const value = encodeStoredEntry(b);
    recent.rememberEncoded('ord_b', 7, value, true);
    value.fill(0); // the watch's buffer is reused: the remembered copy must not change
    expect(recent.get('ord_b')).toEqual({ entry: b, revision: 7 });
    recent.rememberEncoded('ord_b', 6, encodeStoredEntry({ ...b, state: 'older' }), true);
    expect(recent.get('ord_b')?.revision).toBe(7);
  });

  it('forget the oldest past their capacity', () => {
    const recent = new RecentEntries(2);
    for (const id of ['ord_1', 'ord_2', 'ord_3']) recent.remember({ entry: sagaOf(id), revision: 1 }, true);
    expect(recent.size).toBe(2);
    expect(recent.get('ord_1')).toBeUndefined();
    expect(recent.get('ord_3')?.entry.orderId).toBe('ord_3');
  });
});
