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

  it('writes every step of a saga whole, its history rows shared with the steps before', () => {
    const steps: [Parameters<typeof applyEvent>[1], string][] = [
      [{ type: 'INVENTORY_RESERVED', commandId: 'ord_h:reserveInventory:1', reference: 'rsv_1' }, 'reply:1'],
      [{ type: 'STEP_TIMED_OUT', commandId: 'ord_h:chargePayment:1' }, 'timeout:1'],
      [{ type: 'PAYMENT_CHARGED', commandId: 'ord_h:chargePayment:2', reference: 'chg_"2"' }, 'reply:2'],
      [{ type: 'SHIPMENT_CREATED', commandId: 'ord_h:createShipment:1', reference: 'shp_3' }, 'reply:3'],
    ];
    const entries = [sagaOf('ord_h')];
    for (const [event, eventId] of steps) {
      const result = applyEvent(entries.at(-1)!, event, eventId, 2000 + entries.length, settings);
      if (result.kind !== 'applied') throw new Error(`expected ${event.type} to apply`);
      entries.push(result.entry);
    }
    expect(entries.at(-1)!.status).toBe('completed');
    // Each written as the saga got there, and again later (the rows are the same objects).
    for (const entry of [...entries, ...entries]) {
      const value = encodeStoredEntry(entry);
      expect(decodeStoredEntry(value)).toEqual(entry);
      expect(JSON.parse(new TextDecoder().decode(value).split('\n')[1]!)).toEqual(JSON.parse(JSON.stringify(entry)));
    }
    expect(decodeStoredEntry(encodeStoredEntry(entries.at(-1)!)).history.map((row) => row.event)).toEqual([
      'ORDER_SUBMITTED',
      'INVENTORY_RESERVED',
      'STEP_TIMED_OUT',
      'PAYMENT_CHARGED',
      'SHIPMENT_CREATED',
    ]);
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

describe('a summary line written by hand or by a bug', () => {
  it('is refused, not indexed', () => {
    const encode = (line: string) => new TextEncoder().encode(`${line}\n{}`);
    for (const line of ['{"summary":1}', '1', 'null', '{"orderId":"ord_x","customerId":"c","state":"s","status":"lost","createdAt":1,"updatedAt":1,"stateEnteredAt":1}', '{"orderId":"ord_x","customerId":"c","state":"s","status":"running","createdAt":"yesterday","updatedAt":1,"stateEnteredAt":1}']) {
      expect(() => decodeStoredSummary(encode(line)), line).toThrow();
    }
    const good = summarize(sagaOf('ord_good'));
    expect(decodeStoredSummary(encodeStoredEntry(sagaOf('ord_good')))).toEqual(good);
  });
});
