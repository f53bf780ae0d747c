/**
 * Incidents: the error normaliser, which saga belongs to which group, and the saga index's
 * grouping and `incident` filter, checked against a plain scan of the same summaries whichever
 * index leads the query. Summaries come from real saga entries moved by real events.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { incidentReport } from '../../orchestrator/ops/incidents.ts';
import { SagaCatalog, type ListQuery, type SagaSummary } from '../../orchestrator/saga/catalog.ts';
import { incidentOf, INCIDENT_KEY_PATTERN, normaliseError } from '../../orchestrator/saga/incident.ts';
import { SagaIndex, type IndexFilter } from '../../orchestrator/saga/saga-index.ts';
import { ServerClock } from '../../orchestrator/saga/server-clock.ts';
import { summarize } from '../../orchestrator/saga/summary.ts';
import type { SagaEntry } from '../../orchestrator/saga/entry.ts';
import { answer, charging, completed, declined, started } from '../support/saga-entries.ts';

const ORDER_ID = 'ord_01j9z8y7x6w5v4t3s2r1q0p9n8';

/** Reservation timed out on every attempt (2): waits for an operator. */
const stuck = (orderId: string, at: number, customerId?: string): SagaEntry =>
  answer(answer(started(orderId, at, customerId), 'STEP_TIMED_OUT', at + 10), 'STEP_TIMED_OUT', at + 20);
/** The charge timed out once and is tried again. */
const retrying = (orderId: string, at: number, customerId?: string): SagaEntry => answer(charging(orderId, at, customerId), 'STEP_TIMED_OUT', at + 20);
/** Declined, and the release of the inventory refused for good: compensation failed. */
const failed = (orderId: string, at: number, customerId?: string): SagaEntry =>
  answer(answer(answer(started(orderId, at, customerId), 'INVENTORY_RESERVED', at + 10), 'PAYMENT_DECLINED', at + 20), 'RELEASE_REJECTED', at + 30);

/** The same saga with another last error message. */
const saying = (summary: SagaSummary, message: string): SagaSummary => ({ ...summary, lastError: { ...summary.lastError!, message } });

describe('normaliseError', () => {
  it.each([
    ['no reply within the step deadline (attempt 3)', 'no reply within the step deadline (attempt #)'],
    [`carrier timeout after 30000 ms for ${ORDER_ID}`, 'carrier timeout after # ms for <order>'],
    [`command ${ORDER_ID}:createShipment:2 was not answered`, 'command <order>:createShipment:# was not answered'],
    [`shipment shp_${ORDER_ID} already booked`, 'shipment shp_<order> already booked'],
    ['request 3f2504e0-4f89-11d3-9a0c-0305e82c3301 failed', 'request <uuid> failed'],
    ['ledger txn_8f2k9x4 refused', 'ledger <id> refused'],
    ['trace 0af7651916cd43dd8448eb211c80319c lost', 'trace <hex> lost'],
    ['SKU-42: 3 requested, 0 available', 'SKU-#: # requested, # available'],
    ['gave up after 5 deliveries: simulated transient fault', 'gave up after # deliveries: simulated transient fault'],
    ['card declined: amount 1,250.00 over limit 1000.5', 'card declined: amount # over limit #'],
    ['SLOW-SOFA cannot be shipped', 'SLOW-SOFA cannot be shipped'],
    ['  several\n lines\tand   spaces ', 'several lines and spaces'],
    ['', '(empty error message)'],
  ])('%j → %j', (message, expected) => {
    expect(normaliseError(message)).toBe(expected);
  });

  it('cuts a long message, so one noisy error cannot make a key of kilobytes', () => {
    expect(normaliseError('x'.repeat(5000))).toHaveLength(300);
  });
});

describe('incidentOf', () => {
  it('puts stuck, failed and retrying sagas in a group by kind, step and normalised error; others in none', () => {
    const stuckOne = incidentOf(summarize(stuck('ord_a', 1000)))!;
    // (The test entries' events all carry the message 'declined by the bank'.)
    expect(stuckOne).toMatchObject({ kind: 'stuck', step: 'reserveInventory', errorKind: 'timeout', error: 'declined by the bank' });
    expect(stuckOne.key).toMatch(new RegExp(INCIDENT_KEY_PATTERN));
    expect(stuckOne.key.startsWith('stuck.reserveInventory.')).toBe(true);
    // Another saga, another time, the same cause: the same group.
    expect(incidentOf(summarize(stuck('ord_b', 5000, 'someone-else')))!.key).toBe(stuckOne.key);
    expect(incidentOf(summarize(retrying('ord_c', 1000)))).toMatchObject({ kind: 'retrying', step: 'chargePayment', errorKind: 'timeout' });
    expect(incidentOf(summarize(failed('ord_d', 1000)))).toMatchObject({ kind: 'failed', step: 'releaseInventory', errorKind: 'permanent', error: 'declined by the bank' });
    for (const fine of [started('ord_e', 1), charging('ord_f', 1), completed('ord_g', 1), declined('ord_h', 1)]) expect(incidentOf(summarize(fine))).toBeNull();
    // Ids and numbers in the message do not split a group; another message does.
    const base = summarize(stuck('ord_i', 1000));
    expect(incidentOf(saying(base, `carrier 17 down for ${ORDER_ID}`))!.key).toBe(incidentOf(saying(base, 'carrier 4 down for ord_00000000000000000000000000'))!.key);
    expect(incidentOf(saying(base, 'carrier down'))!.key).not.toBe(incidentOf(saying(base, 'carrier refused'))!.key);
  });
});

const nextRevision = (() => {
  let revision = 0;
  return () => ++revision;
})();

/** An index of `count` sagas of every kind, three stuck causes among them. */
function filled(count: number): { index: SagaIndex; summaries: SagaSummary[] } {
  const index = new SagaIndex(':memory:');
  const summaries: SagaSummary[] = [];
  for (let n = 0; n < count; n++) {
    const orderId = `ord_${String(n).padStart(5, '0')}`;
    const at = 1_000_000 + (n % 700) * 13;
    const customer = `cust-${n % 11}`;
    let summary: SagaSummary;
    switch (n % 9) {
      case 0:
        summary = saying(summarize(stuck(orderId, at, customer)), `carrier ${n} timed out`);
        break;
      case 1:
        summary = saying(summarize(stuck(orderId, at, customer)), `warehouse ${orderId} unreachable`);
        break;
      case 2:
        summary = summarize(stuck(orderId, at, customer));
        break;
      case 3:
        summary = summarize(retrying(orderId, at, customer));
        break;
      case 4:
        summary = summarize(failed(orderId, at, customer));
        break;
      case 5:
        summary = summarize(started(orderId, at, customer));
        break;
      case 6:
        summary = summarize(declined(orderId, at, customer));
        break;
      default:
        summary = summarize(completed(orderId, at, customer));
    }
    summaries.push(summary);
  }
  index.applyBatch(summaries.map((summary) => ({ kind: 'put', summary, revision: nextRevision() })), 0);
  return { index, summaries };
}

function scan(summaries: SagaSummary[], query: IndexFilter): string[] {
  return summaries
    .filter(
      (s) =>
        (!query.incident || incidentOf(s)?.key === query.incident) &&
        (!query.status || s.status === query.status) &&
        (!query.state || s.state === query.state) &&
        (!query.customerId || s.customerId === query.customerId) &&
        (query.retrying === undefined || s.retrying === query.retrying) &&
        (!query.q || s.orderId.startsWith(query.q) || s.customerId === query.q),
    )
    .sort((a, b) => b.createdAt - a.createdAt || (a.orderId < b.orderId ? 1 : -1))
    .map((s) => s.orderId);
}

function allPages(index: SagaIndex, query: Omit<ListQuery, 'limit'>, limit: number): string[] {
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = index.list({ ...query, limit, ...(cursor ? { cursor } : {}) });
    seen.push(...page.items.map((s) => s.orderId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return seen;
}

describe('the saga index by incident', () => {
  it('groups stuck, failed and retrying sagas by cause, with counts, times and the newest sample', () => {
    const { index, summaries } = filled(1800);
    const expected = new Map<string, SagaSummary[]>();
    for (const s of summaries) {
      const key = incidentOf(s)?.key;
      if (key) expected.set(key, [...(expected.get(key) ?? []), s]);
    }
    // Three stuck causes (two messages with numbers and ids in them), retrying, failed.
    expect(expected.size).toBe(5);
    const report = index.incidents(50, 3);
    expect(report.groupCount).toBe(5);
    expect(report.sagas).toBe(5 * 200);
    expect(report.groups.map((g) => g.key).sort()).toEqual([...expected.keys()].sort());
    for (const group of report.groups) {
      const members = expected.get(group.key)!;
      expect(group.count).toBe(members.length);
      expect(group.firstSeen).toBe(Math.min(...members.map((s) => s.stateEnteredAt)));
      expect(group.lastSeen).toBe(Math.max(...members.map((s) => s.updatedAt)));
      expect(group.sample.map((s) => s.orderId)).toEqual(scan(summaries, { incident: group.key }).slice(0, 3));
    }
    // The largest first, and no more than asked for.
    const limited = index.incidents(2, 0);
    expect(limited.groups).toHaveLength(2);
    expect(limited.groupCount).toBe(5);
    expect(limited.groups[0]!.sample).toEqual([]);
  });

  it('filters by incident exactly as a scan does, alone or with other filters, whichever index leads', () => {
    const { index, summaries } = filled(1800);
    const keys = index.incidents(50, 0).groups.map((g) => g.key);
    const queries: IndexFilter[] = keys.flatMap((incident) => [
      { incident },
      { incident, status: 'stuck' },
      { incident, status: 'running' },
      { incident, retrying: true },
      { incident, customerId: 'cust-3' },
      { incident, q: 'ord_001' },
      { incident, q: 'cust-4' },
      { incident, state: 'stuck' },
    ]);
    queries.push({ incident: 'stuck.createShipment.000000000000' });
    for (const query of queries) {
      const expected = scan(summaries, query);
      expect(index.matchingIds(query), JSON.stringify(query)).toEqual(expected);
      expect(allPages(index, query, 37), JSON.stringify(query)).toEqual(expected);
    }
  });

  it('moves a saga out of its group when it moves on, and into another when its cause changes', () => {
    const index = new SagaIndex(':memory:');
    const entry = stuck('ord_a', 1000);
    const before = summarize(entry);
    const key = incidentOf(before)!.key;
    index.applyBatch([{ kind: 'put', summary: before, revision: 1 }], 1);
    expect(index.matchingIds({ incident: key })).toEqual(['ord_a']);
    const otherCause = saying(before, 'carrier refused the parcel');
    index.applyBatch([{ kind: 'put', summary: otherCause, revision: 2 }], 2);
    expect(index.matchingIds({ incident: key })).toEqual([]);
    expect(index.matchingIds({ incident: incidentOf(otherCause)!.key })).toEqual(['ord_a']);
    index.applyBatch([{ kind: 'put', summary: summarize(completed('ord_a', 1000)), revision: 3 }], 3);
    expect(index.incidents(50, 5)).toEqual({ groups: [], groupCount: 0, sagas: 0 });
  });
});

describe('the incident report', () => {
  const catalog = () => new SagaCatalog(createLogger('test', { logLevel: 'silent', logPretty: false, instanceId: 'test' }), new ServerClock(() => 0));

  it('titles each group, says what a bulk action may do to it, and hands its filter', () => {
    const c = catalog();
    let revision = 0;
    for (let n = 0; n < 4; n++) c.observe(saying(summarize(stuck(`ord_s${n}`, 1000 + n)), `no reply within the step deadline (attempt ${n + 2})`), ++revision);
    c.observe(summarize(retrying('ord_r', 3000)), ++revision);
    c.observe(summarize(failed('ord_f', 4000)), ++revision);
    c.observe(summarize(completed('ord_ok', 5000)), ++revision);
    const report = incidentReport(c, { limit: 50, sample: 2 });
    expect(report).toMatchObject({ sagas: 6, groupCount: 3 });
    const [first, ...rest] = report.groups;
    expect(first).toMatchObject({
      kind: 'stuck',
      step: 'reserveInventory',
      errorKind: 'timeout',
      title: '4 stuck at reserveInventory: no reply within the step deadline (attempt #)',
      count: 4,
      sample: ['ord_s3', 'ord_s2'],
      example: { orderId: 'ord_s3', message: 'no reply within the step deadline (attempt 5)' },
      actions: ['retry', 'compensate'],
    });
    expect(first!.filter).toEqual({ incident: first!.key });
    expect(first!.firstSeen).toBe(new Date(1020).toISOString());
    expect(first!.lastSeen).toBe(new Date(1023).toISOString());
    expect(rest.map((g) => [g.kind, g.step, g.actions])).toEqual(
      expect.arrayContaining([
        ['retrying', 'chargePayment', ['pause']],
        ['failed', 'releaseInventory', []],
      ]),
    );
    // The group is a filter the list (and so a bulk action) takes, stalled views included.
    expect(c.list({ limit: 50, incident: first!.key }).items.map((s) => s.orderId)).toEqual(['ord_s3', 'ord_s2', 'ord_s1', 'ord_s0']);
    const retryingKey = rest.find((g) => g.kind === 'retrying')!.key;
    expect(c.matchingIds({ incident: retryingKey, stalledBefore: Date.now() + 60_000 })).toEqual(['ord_r']);
    expect(c.matchingIds({ incident: first!.key, stalledBefore: Date.now() + 60_000 })).toEqual([]);
  });
});
