/** Order ids: the API's shape, unique, sortable by creation time, and stable for one idempotency key. */
import { describe, expect, it } from 'vitest';
import { newOrderId, ORDER_ID_PATTERN, orderIdForKey } from '../../orchestrator/http/order-ids.ts';

describe('order ids', () => {
  it('are all different, across many refills of the random pool', () => {
    const ids = Array.from({ length: 20_000 }, () => newOrderId(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 500)) expect(id).toMatch(new RegExp(ORDER_ID_PATTERN));
  });

  it('sort in the order they were created', () => {
    const earlier = newOrderId(1_700_000_000_000);
    const later = newOrderId(1_700_000_000_001);
    expect([later, earlier].sort()).toEqual([earlier, later]);
  });

  it('are the same for the same idempotency key in the same scope, and differ between keys and between scopes', () => {
    const alice = { customer: 'alice' };
    expect(orderIdForKey('key-1', alice)).toBe(orderIdForKey('key-1', alice));
    expect(orderIdForKey('key-1', alice)).not.toBe(orderIdForKey('key-2', alice));
    expect(orderIdForKey('key-1', alice)).not.toBe(orderIdForKey('key-1', { customer: 'bob' }));
    expect(orderIdForKey('key-1', alice)).not.toBe(orderIdForKey('key-1', { token: 'alice' }));
    expect(orderIdForKey('key-1', alice)).toMatch(new RegExp(ORDER_ID_PATTERN));
  });
});
