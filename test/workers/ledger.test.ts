/**
 * The books under racing instances: several workers (here: concurrent calls) booking for one
 * order at the same moment, which per-order ordering inside one process cannot prevent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOnce, type Decision } from '../../workers/ledger.ts';
import { listLedger, totalsOf } from '../support/ledger.ts';
import { checked, commands, oid, startHarness, type WorkerHarness } from './harness.ts';

let h: WorkerHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const reserveFive: Decision = { outcome: 'succeeded', reference: 'rsv', items: [{ sku: 'PEN', quantity: 5 }] };

describe('ledger', () => {
  it('books one effect when many deliveries and attempts of a step race, and all get that effect', async () => {
    const kv = h.topology.ledgers.inventory;
    const attempts = Array.from({ length: 12 }, (_, i) => commands.reserve(oid('ord-race-1'), [{ sku: 'PEN', quantity: 5 }], (i % 3) + 1));
    const applied = await Promise.all(attempts.map((command) => applyOnce(kv, checked(command).meta, () => reserveFive)));

    const winners = new Set(applied.map(({ effect }) => JSON.stringify(effect)));
    expect(winners.size).toBe(1);
    const entry = (await listLedger(kv)).find((e) => e.orderId === oid('ord-race-1'))!;
    expect(Object.keys(entry.effects)).toHaveLength(1);
    expect(totalsOf([entry]).reserveInventory?.units).toBe(5);
  });

  it('loses no effect when different steps of one order are booked at the same moment', async () => {
    const kv = h.topology.ledgers.inventory;
    const reserve = commands.reserve(oid('ord-race-2'), [{ sku: 'PEN', quantity: 5 }]);
    const release = commands.release(oid('ord-race-2'), [{ sku: 'PEN', quantity: 5 }]);
    await Promise.all([
      applyOnce(kv, checked(reserve).meta, () => reserveFive),
      applyOnce(kv, checked(release).meta, () => ({ outcome: 'succeeded', reference: 'rls', items: [] })),
    ]);

    const entry = (await listLedger(kv)).find((e) => e.orderId === oid('ord-race-2'))!;
    expect(Object.values(entry.effects).map((effect) => effect.step).sort()).toEqual(['releaseInventory', 'reserveInventory']);
  });
});
