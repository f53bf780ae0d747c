import { randomBytes } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { codec, CommandSchema, create, OrderSubmittedSchema, type Command } from '../../lib/codec.ts';
import { totalsOf } from '../support/ledger.ts';
import { backoffDelayMs, startWorker } from '../../workers/runtime.ts';
import { commands, oid, eventually, logger, outcomeOf, startHarness, type WorkerHarness } from './harness.ts';

let h: WorkerHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(() => h.stopWorkers());
afterAll(() => h.close());

describe('worker runtime under faults', () => {
  it('dead-letters undecodable and wrong-typed messages with a reason, and keeps serving', async () => {
    await h.startService('payment');
    const before = (await h.deadLetters()).length;
    await h.sendRaw('payment', randomBytes(64), oid('ord-poison-1'));
    const order = create(OrderSubmittedSchema, {
      order: { orderId: oid('ord-poison-2'), customerId: 'cust-1', items: [{ sku: 'MUG', quantity: 1 }] },
    });
    await h.sendRaw('payment', codec.submission.encode(order), oid('ord-poison-2'));
    // A well-formed command of another service, on this service's subject.
    await h.sendRaw('payment', codec.command.encode(commands.reserve(oid('ord-poison-3'), [{ sku: 'MUG', quantity: 1 }])), oid('ord-poison-3'));
    const good = commands.charge(oid('ord-after-poison'), 'cust-1', 500);
    await h.send(good);

    expect(outcomeOf(await h.reply(good.meta!.commandId))).toMatchObject({ kind: 'succeeded' });
    const letters = await eventually(async () => {
      const all = (await h.deadLetters()).slice(before);
      expect(all).toHaveLength(3);
      return all;
    });
    for (const letter of letters) {
      expect(letter).toMatchObject({ subject: 'saga.cmd.payment', service: 'payment', reason: expect.any(String) });
      expect(letter.reason!.length).toBeGreaterThan(0);
    }
    expect(letters[2]!.reason).toMatch(/inventory command/);
    // Settled, not left to be delivered again.
    await eventually(async () => {
      const info = await h.nats.jsm.consumers.info('SAGA_COMMANDS', 'worker_payment');
      expect(info.num_ack_pending + info.num_pending).toBe(0);
    });
  });

  it('dead-letters commands with an invalid order id or an oversize field, naming the field, without an effect', async () => {
    await h.startService('payment');
    const before = (await h.deadLetters()).length;
    const withId = (command: Command, orderId: string): Command => create(CommandSchema, { ...command, meta: { ...command.meta!, orderId } });
    const template = commands.charge(oid('ord-hostile'), 'cust-1', 100);
    const long = 'x'.repeat(300);
    // `a.b` is a valid KV key, so the worker booked a charge under it before the codec checked ids.
    const hostile: [Command, RegExp][] = [
      ...['*', '>', 'a.b', '', ' ', long, 'ördér'].map((id): [Command, RegExp] => [withId(template, id), /meta\.order_id/]),
      [commands.charge(oid('ord-hostile-cust'), 'c'.repeat(10_000), 100), /chargePayment\.customer_id is 10000 characters long/],
      [create(CommandSchema, { ...template, meta: { ...template.meta!, commandId: 'cmd-1' } }), /meta\.command_id/],
    ];
    for (const [command] of hostile) await h.sendRaw('payment', codec.command.encode(command), 'ord-hostile');
    const good = commands.charge(oid('ord-after-hostile'), 'cust-1', 500);
    await h.send(good);
    expect(outcomeOf(await h.reply(good.meta!.commandId))).toMatchObject({ kind: 'succeeded' });

    const letters = await eventually(async () => {
      const all = (await h.deadLetters()).slice(before);
      expect(all).toHaveLength(hostile.length);
      return all;
    });
    hostile.forEach(([, reason], i) => expect(letters[i]!.reason).toMatch(reason));
    expect((await h.ledger('payment')).map((entry) => entry.orderId).filter((id) => !id.startsWith('ord_'))).toEqual([]);
    expect(await h.entry('payment', oid('ord-hostile-cust'))).toBeUndefined();
    await eventually(async () => {
      const info = await h.nats.jsm.consumers.info('SAGA_COMMANDS', 'worker_payment');
      expect(info.num_ack_pending + info.num_pending).toBe(0);
    });
  });

  it('dead-letters a message near the server’s max_payload, or with huge headers: cut to fit and saying so, never delivered forever', async () => {
    await h.startService('payment');
    const before = (await h.nats.jsm.streams.info('SAGA_DLQ')).state.last_seq;
    const max = h.nats.nc.info!.max_payload;
    // The letter adds its own headers (reason, origin) to the original's: these could not be written whole.
    await h.sendRaw('payment', new Uint8Array(max - 150).fill(0xff), oid('ord-huge-payload'));
    const hostileHeaders = natsHeaders();
    // JetStream stores headers up to 64 KiB: with the letter's own, these would be more.
    hostileHeaders.set('X-Junk', 'j'.repeat(65_200));
    await h.nats.js.publish('saga.cmd.payment', randomBytes(64), { headers: hostileHeaders });

    const letters = await eventually(async () => {
      const { state } = await h.nats.jsm.streams.info('SAGA_DLQ');
      expect(state.last_seq - before).toBe(2);
      const both = await Promise.all([before + 1, before + 2].map((seq) => h.nats.jsm.streams.getMessage('SAGA_DLQ', { seq })));
      // Handled concurrently: in the order they were sent.
      return both.sort((a, b) => Number(a!.header.get('Dlq-Original-Sequence')) - Number(b!.header.get('Dlq-Original-Sequence')));
    });
    for (const letter of letters) {
      expect(letter!.header.get('Dlq-Reason')).toMatch(/not a valid order\.v1\.Command/);
      expect(letter!.header.get('Dlq-Original-Stream')).toBe('SAGA_COMMANDS');
      expect(letter!.header.get('Dlq-Truncated')).toMatch(/^payload cut to \d+ of \d+ bytes/);
    }
    expect(letters[0]!.header.get('Saga-Order-Id')).toBe(oid('ord-huge-payload'));
    expect(letters[1]!.header.get('X-Junk')).toBe('');
    expect(letters[1]!.header.get('Dlq-Truncated')).toMatch(/headers are left out/);
    await eventually(async () => {
      const info = await h.nats.jsm.consumers.info('SAGA_COMMANDS', 'worker_payment');
      expect(info.num_ack_pending + info.num_pending).toBe(0);
    });
  });

  it('gives up on a command that keeps failing for a bug: dead letter with the error, and the saga is told', async () => {
    const before = (await h.deadLetters()).length;
    const worker = await startWorker({
      service: 'payment',
      business: async () => {
        throw new TypeError('a bug');
      },
      config: { ...h.config, workerMaxDeliveries: 3 },
      nats: h.nats,
      topology: h.topology,
      logger,
    });
    try {
      const command = commands.charge(oid('ord-bug'), 'cust-1', 100);
      await h.send(command);
      const reply = await h.reply(command.meta!.commandId);
      expect(outcomeOf(reply)).toEqual({ kind: 'failedTransiently', message: 'failed 3 times, last: TypeError: a bug' });
      const letters = await eventually(async () => {
        const all = (await h.deadLetters()).slice(before);
        expect(all).toHaveLength(1);
        return all;
      });
      expect(letters[0]!.reason).toBe('failed 3 times, last: TypeError: a bug');
    } finally {
      await worker.stop();
    }
  });

  it('with FAULT_RATE=0.5 every one of 30 commands still takes effect exactly once', async () => {
    await h.startService('payment', { faultRate: 0.5, workerMaxDeliveries: 40, workerBackoffMs: 5 });
    const charges = Array.from({ length: 30 }, (_, i) => commands.charge(oid(`ord-flaky-${i}`), 'cust-1', 100 + i));
    await Promise.all(charges.map((command) => h.send(command)));

    const replies = await Promise.all(charges.map((command) => h.reply(command.meta!.commandId, 15_000)));
    expect(replies.map((reply) => outcomeOf(reply).kind)).toEqual(charges.map(() => 'succeeded'));
    // The faults did happen: some commands needed several deliveries.
    expect(replies.reduce((sum, reply) => sum + reply.deliveries, 0)).toBeGreaterThan(30);

    const entries = (await h.ledger('payment')).filter((entry) => entry.orderId.startsWith('ord_flaky'));
    expect(entries).toHaveLength(30);
    expect(totalsOf(entries).chargePayment).toEqual({
      succeeded: 30,
      failed: 0,
      tombstones: 0,
      units: 0,
      amountCents: charges.reduce((sum, _, i) => sum + 100 + i, 0),
    });
  });

  it('gives up after WORKER_MAX_DELIVERIES: dead letter plus a failed_transiently reply, and no effect', async () => {
    const before = (await h.deadLetters()).length;
    await h.startService('payment', { faultRate: 1, workerMaxDeliveries: 3, workerBackoffMs: 10 });
    const command = commands.charge(oid('ord-hopeless'), 'cust-1', 900);
    await h.send(command);

    const reply = await h.reply(command.meta!.commandId);
    expect(outcomeOf(reply)).toEqual({ kind: 'failedTransiently', message: 'gave up after 3 deliveries: simulated transient fault' });
    expect(reply.deliveries).toBe(3);
    const letters = await eventually(async () => {
      const all = (await h.deadLetters()).slice(before);
      expect(all).toHaveLength(1);
      return all;
    });
    expect(letters[0]!.reason).toBe('gave up after 3 deliveries: simulated transient fault');
    expect(codec.command.decode(letters[0]!.data).meta!.commandId).toBe(command.meta!.commandId);
    expect(await h.entry('payment', oid('ord-hopeless'))).toBeUndefined();
  });

  it('hands a command that is only waiting back on stop, and another worker answers it', async () => {
    await h.startService('payment', { workerLatencyMs: 30_000 });
    const command = commands.charge(oid('ord-handover'), 'cust-1', 300);
    await h.send(command);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await h.stopWorkers();
    expect(Date.now() - started).toBeLessThan(2_000);

    // Handed back, not left to the 30 s ack deadline.
    await h.startService('payment');
    expect(outcomeOf(await h.reply(command.meta!.commandId, 3_000))).toMatchObject({ kind: 'succeeded' });
  });

  it('backs off exponentially with full jitter, capped at 5 s', () => {
    expect(backoffDelayMs(1, 100, () => 0.999)).toBe(100);
    expect(backoffDelayMs(4, 100, () => 0.5)).toBe(400);
    expect(backoffDelayMs(20, 100, () => 0.999)).toBe(4_995);
    expect(backoffDelayMs(3, 100, () => 0)).toBe(0);
  });
});
