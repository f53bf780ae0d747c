import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMERS, STREAMS } from '../../lib/topology.ts';
import { effectOfStep } from '../../workers/ledger.ts';
import { totalsOf } from '../support/ledger.ts';
import { shipping } from '../../workers/shipping.ts';
import { checked, commands, oid, eventually, logger, outcomeOf, startHarness, type WorkerHarness } from './harness.ts';

let h: WorkerHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(() => h.stopWorkers());
afterAll(() => h.close());

async function answer(command: ReturnType<typeof commands.ship>) {
  await h.send(command);
  return outcomeOf(await h.reply(command.meta!.commandId));
}

/** Shorten the shipping consumer's ack deadline for one test (ensureTopology sets 30 s). */
async function withAckWait(ms: number, run: () => Promise<void>) {
  const update = (wait: number) =>
    h.nats.jsm.consumers.update(STREAMS.commands, CONSUMERS.worker('shipping'), { ack_wait: wait * 1_000_000 });
  await update(ms);
  try {
    await run();
  } finally {
    await update(30_000);
  }
}

describe('shipping worker', () => {
  it('creates a shipment, and a cancel books the cancellation of exactly that shipment', async () => {
    await h.startService('shipping');
    expect(await answer(commands.ship(oid('ord-ship-1'), [{ sku: 'MUG', quantity: 2 }]))).toEqual({ kind: 'succeeded', reference: `shp_${oid('ord-ship-1')}` });
    expect(await answer(commands.cancelShipment(oid('ord-ship-1')))).toEqual({ kind: 'succeeded', reference: `cnl_${oid('ord-ship-1')}` });

    const entry = (await h.entry('shipping', oid('ord-ship-1')))!;
    expect(effectOfStep(entry, 'cancelShipment')).toMatchObject({ undid: `shp_${oid('ord-ship-1')}`, items: [{ sku: 'MUG', quantity: 2 }] });
    const totals = totalsOf([entry]);
    expect(totals.createShipment!.units - totals.cancelShipment!.units).toBe(0);
  });

  it('fails a NOSHIP- SKU for good with CANNOT_SHIP', async () => {
    await h.startService('shipping');
    const outcome = await answer(commands.ship(oid('ord-ship-no'), [{ sku: 'NOSHIP-PIANO', quantity: 1 }]));
    expect(outcome).toMatchObject({ kind: 'failed', code: 'CANNOT_SHIP' });
    expect(totalsOf([(await h.entry('shipping', oid('ord-ship-no')))!]).createShipment).toMatchObject({ failed: 1, units: 0 });
  });

  it('tombstones a cancel that comes before its shipment, so the late shipment fails', async () => {
    await h.startService('shipping');
    expect(await answer(commands.cancelShipment(oid('ord-ship-late')))).toMatchObject({ kind: 'succeeded' });
    expect(await answer(commands.ship(oid('ord-ship-late'), [{ sku: 'MUG', quantity: 1 }]))).toMatchObject({ kind: 'failed', code: 'ALREADY_CANCELLED' });
    expect(effectOfStep((await h.entry('shipping', oid('ord-ship-late')))!, 'cancelShipment')).toMatchObject({ tombstone: true });
  });

  it('lets a cancel booked while a SLOW- shipment hangs win over that shipment', async () => {
    await h.startService('shipping', { slowShippingMs: 1_500 });
    const create = commands.ship(oid('ord-ship-slow'), [{ sku: 'SLOW-SOFA', quantity: 1 }]);
    await h.send(create);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Another instance takes the cancel while this one still hangs in the shipment.
    const context = { config: { slowShippingMs: 0 }, logger, signal: new AbortController().signal };
    const cancelled = await shipping(checked(commands.cancelShipment(oid('ord-ship-slow'))), h.topology.ledgers.shipping, context);
    expect(cancelled).toMatchObject({ kind: 'succeeded' });

    expect(outcomeOf(await h.reply(create.meta!.commandId))).toMatchObject({ kind: 'failed', code: 'ALREADY_CANCELLED' });
    const totals = totalsOf([(await h.entry('shipping', oid('ord-ship-slow')))!]);
    expect(totals.createShipment).toMatchObject({ succeeded: 0, units: 0 });
  });

  it('keeps a SLOW- shipment past the ack deadline from being redelivered by heartbeating', async () => {
    await withAckWait(1_000, async () => {
      await h.startService('shipping', { slowShippingMs: 2_500 }, { heartbeatMs: 250 });
      const create = commands.ship(oid('ord-ship-beat'), [{ sku: 'SLOW-BED', quantity: 1 }]);
      await h.send(create);
      const reply = await h.reply(create.meta!.commandId);
      expect(reply.deliveries).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(h.published(create.meta!.commandId)).toHaveLength(1);
    });
  });

  it('(control) without a heartbeat JetStream delivers the hanging shipment again, and it is still booked once', async () => {
    await withAckWait(1_000, async () => {
      await h.startService('shipping', { slowShippingMs: 2_500 }, { heartbeatMs: 60_000 });
      const create = commands.ship(oid('ord-ship-nobeat'), [{ sku: 'SLOW-BED', quantity: 1 }]);
      await h.send(create);
      const answers = await eventually(() => {
        const published = h.published(create.meta!.commandId);
        expect(published.length).toBeGreaterThanOrEqual(2);
        return published;
      });
      expect(Math.max(...answers.map((reply) => reply.deliveries))).toBeGreaterThan(1);
      expect(new Set(answers.map((reply) => JSON.stringify(outcomeOf(reply)))).size).toBe(1);
      expect(totalsOf([(await h.entry('shipping', oid('ord-ship-nobeat')))!]).createShipment).toMatchObject({ succeeded: 1, units: 1 });
    });
  });
});
