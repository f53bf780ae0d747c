import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HEADERS } from '../../lib/topology.ts';
import { traceIdOf } from '../../lib/trace.ts';
import { totalsOf } from '../support/ledger.ts';
import { commands, oid, eventually, outcomeOf, startHarness, type WorkerHarness } from './harness.ts';

let h: WorkerHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(() => h.stopWorkers());
afterAll(() => h.close());

describe('inventory worker', () => {
  it('reserves an order, answers with a reference, and books the reservation', async () => {
    await h.startService('inventory');
    const command = commands.reserve(oid('ord-inv-1'), [
      { sku: 'MUG-BLUE', quantity: 2 },
      { sku: 'TEA', quantity: 1 },
    ]);
    await h.send(command);

    const reply = await h.reply(command.meta!.commandId);
    expect(outcomeOf(reply)).toEqual({ kind: 'succeeded', reference: `rsv_${oid('ord-inv-1')}` });
    expect(reply.meta).toEqual(command.meta);
    expect(reply.workerInstance).toBe('worker-test-1');
    expect(reply.deliveries).toBe(1);
    const headers = h.replyHeaders(command.meta!.commandId);
    expect(headers?.get(HEADERS.orderId)).toBe(oid('ord-inv-1'));
    // A child span of the command's trace: the worker step shows up in the order's trace.
    expect(traceIdOf(headers?.get(HEADERS.traceparent))).toBe(traceIdOf(command.meta!.trace!.traceparent));
    expect(headers?.get(HEADERS.traceparent)).not.toBe(command.meta!.trace!.traceparent);

    const entry = await h.entry('inventory', oid('ord-inv-1'));
    expect(entry?.effects[command.meta!.effectKey]).toMatchObject({
      step: 'reserveInventory',
      outcome: 'succeeded',
      reference: `rsv_${oid('ord-inv-1')}`,
      commandId: command.meta!.commandId,
      items: [
        { sku: 'MUG-BLUE', quantity: 2 },
        { sku: 'TEA', quantity: 1 },
      ],
    });
  });

  it('fails an OOS- SKU for good with OUT_OF_STOCK and reserves nothing', async () => {
    await h.startService('inventory');
    const command = commands.reserve(oid('ord-inv-oos'), [
      { sku: 'MUG-BLUE', quantity: 1 },
      { sku: 'OOS-LAMP', quantity: 1 },
    ]);
    await h.send(command);

    expect(outcomeOf(await h.reply(command.meta!.commandId))).toMatchObject({ kind: 'failed', code: 'OUT_OF_STOCK' });
    const entry = await h.entry('inventory', oid('ord-inv-oos'));
    expect(totalsOf([entry!]).reserveInventory).toMatchObject({ succeeded: 0, failed: 1, units: 0 });
  });

  it('refuses what stock cannot cover, frees stock on release, and remembers holds across a restart', async () => {
    await h.startService('inventory');
    const ask = async (orderId: string, quantity: number) => {
      const command = commands.reserve(orderId, [{ sku: 'BIG-CRATE', quantity }]);
      await h.send(command);
      return outcomeOf(await h.reply(command.meta!.commandId));
    };

    expect(await ask(oid('ord-stock-0'), 1_000_001)).toMatchObject({ kind: 'failed', code: 'OUT_OF_STOCK' });
    expect(await ask(oid('ord-stock-1'), 600_000)).toMatchObject({ kind: 'succeeded' });
    expect(await ask(oid('ord-stock-2'), 600_000)).toMatchObject({ kind: 'failed', code: 'OUT_OF_STOCK', message: expect.stringContaining('400000 available') });

    // A fresh worker loads what the ledger already holds before it takes a command.
    await h.stopWorkers();
    await h.startService('inventory');
    expect(await ask(oid('ord-stock-3'), 600_000)).toMatchObject({ kind: 'failed', code: 'OUT_OF_STOCK' });

    const release = commands.release(oid('ord-stock-1'), [{ sku: 'BIG-CRATE', quantity: 600_000 }]);
    await h.send(release);
    expect(outcomeOf(await h.reply(release.meta!.commandId))).toMatchObject({ kind: 'succeeded' });
    expect(await ask(oid('ord-stock-4'), 600_000)).toMatchObject({ kind: 'succeeded' });
  });

  it('applies a command delivered twice once, and answers both deliveries the same', async () => {
    await h.startService('inventory');
    const command = commands.reserve(oid('ord-inv-dup'), [{ sku: 'PEN', quantity: 3 }]);
    const commandId = command.meta!.commandId;
    await h.send(command);
    await h.reply(commandId);
    const booked = await h.topology.ledgers.inventory.get(oid('ord-inv-dup'));
    // As on recovery after the stream's duplicate window: the same command, stored again.
    await h.send(command, { msgID: `${commandId}#again` });

    const [first, second] = await eventually(() => {
      const answers = h.published(commandId);
      expect(answers).toHaveLength(2);
      return answers;
    });
    expect(second).toEqual(first);
    // The second delivery read the books and wrote nothing.
    expect((await h.topology.ledgers.inventory.get(oid('ord-inv-dup')))?.revision).toBe(booked?.revision);
    const entry = await h.entry('inventory', oid('ord-inv-dup'));
    expect(Object.keys(entry!.effects)).toHaveLength(1);
    expect(totalsOf([entry!]).reserveInventory).toMatchObject({ succeeded: 1, units: 3 });
  });

  it('applies two attempts of one step once: the retry gets the first attempt’s outcome', async () => {
    await h.startService('inventory');
    const first = commands.reserve(oid('ord-inv-retry'), [{ sku: 'PEN', quantity: 5 }], 1);
    const retry = commands.reserve(oid('ord-inv-retry'), [{ sku: 'PEN', quantity: 5 }], 2);
    await h.send(first);
    await h.send(retry);

    const [a, b] = await Promise.all([h.reply(first.meta!.commandId), h.reply(retry.meta!.commandId)]);
    expect(outcomeOf(a)).toEqual({ kind: 'succeeded', reference: `rsv_${oid('ord-inv-retry')}` });
    expect(outcomeOf(b)).toEqual(outcomeOf(a));
    expect(b.meta!.commandId).toBe(retry.meta!.commandId);
    const entry = await h.entry('inventory', oid('ord-inv-retry'));
    expect(Object.values(entry!.effects)).toEqual([expect.objectContaining({ commandId: first.meta!.commandId })]);
    expect(totalsOf([entry!]).reserveInventory?.units).toBe(5);
  });

  it('releases exactly what the order reserved, whatever the release command lists', async () => {
    await h.startService('inventory');
    const reserve = commands.reserve(oid('ord-inv-rel'), [{ sku: 'PEN', quantity: 4 }]);
    await h.send(reserve);
    await h.reply(reserve.meta!.commandId);
    const release = commands.release(oid('ord-inv-rel'), [{ sku: 'PEN', quantity: 40 }]);
    await h.send(release);

    expect(outcomeOf(await h.reply(release.meta!.commandId))).toEqual({ kind: 'succeeded', reference: `rls_${oid('ord-inv-rel')}` });
    const totals = totalsOf([(await h.entry('inventory', oid('ord-inv-rel')))!]);
    expect(totals.reserveInventory!.units - totals.releaseInventory!.units).toBe(0);
    expect(Object.values((await h.entry('inventory', oid('ord-inv-rel')))!.effects).find((e) => e.step === 'releaseInventory')).toMatchObject({
      undid: `rsv_${oid('ord-inv-rel')}`,
    });
  });

  it('tombstones a release that comes before its reservation, so the late reservation fails', async () => {
    await h.startService('inventory');
    const release = commands.release(oid('ord-inv-late'), [{ sku: 'PEN', quantity: 1 }]);
    await h.send(release);
    expect(outcomeOf(await h.reply(release.meta!.commandId))).toMatchObject({ kind: 'succeeded' });

    const lateReserve = commands.reserve(oid('ord-inv-late'), [{ sku: 'PEN', quantity: 1 }]);
    await h.send(lateReserve);
    expect(outcomeOf(await h.reply(lateReserve.meta!.commandId))).toMatchObject({ kind: 'failed', code: 'ALREADY_RELEASED' });

    const entry = await h.entry('inventory', oid('ord-inv-late'));
    const effects = Object.values(entry!.effects);
    expect(effects.map((effect) => [effect.step, effect.outcome, effect.tombstone ?? false])).toEqual([
      ['releaseInventory', 'succeeded', true],
      ['reserveInventory', 'failed', false],
    ]);
    expect(totalsOf([entry!]).reserveInventory?.units).toBe(0);
  });
});
