/**
 * Fault kind "hostile input on the bus": while good orders flow through the API, messages no
 * service can ever act on are published on every subject the system consumes (submissions,
 * replies, each worker's commands): invalid keys (`*`, `>`, `a.b`, empty, spaces, 300-character
 * and non-ASCII ids), ids their builders would never make, oversize fields (customer ids, SKUs,
 * reasons, failure messages, many items), valid protobuf of the wrong type, random bytes.
 * Invariants: every hostile message ends in SAGA_DLQ with a reason (injected == dead-lettered,
 * one letter each), nothing is redelivered forever (every consumer idle), no service crashed,
 * and the good orders end as their rules say (harness.ts: expectClean).
 * And the last resort behind the checks: an event that fails every time for a reason no check
 * foresaw (here, a saga entry corrupted in KV) is dead-lettered with its last error after 10
 * deliveries, not redelivered forever.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { codec, CommandSchema, create, LineItemSchema, OrderSchema, OrderSubmittedSchema, ReplySchema, stepToProto, type Command } from '../../lib/codec.ts';
import { BUCKETS, HEADERS, STREAMS } from '../../lib/topology.ts';
import { commandIdFor, effectKeyFor, STEPS, type StepName } from '../../machines/index.ts';
import { newOrderId } from '../../orchestrator/http/order-ids.ts';
import { startSystem, until } from '../support/system.ts';
import { expectClean, FaultRun, sized, waitQuiet } from './harness.ts';

const HOSTILE_IDS = ['*', '>', 'a.b', '', ' ', 'ord x', 'x'.repeat(300), 'ördér-ü', `ord_${'A'.repeat(26)}`, 'ord_\t1', `ord_${'0'.repeat(27)}`];
const LONG = 'x'.repeat(10_000);

interface Hostile {
  subject: string;
  data: Uint8Array;
  /** The Saga-Order-Id header (the orchestrator orders a saga's events by it): hostile too. */
  header?: string;
  what: string;
}

const line = (sku = 'SKU-1', quantity = 1) => create(LineItemSchema, { sku, quantity, unitPriceCents: 100n });

function meta(orderId: string, step: StepName, over: { commandId?: string; effectKey?: string } = {}) {
  return {
    orderId,
    commandId: over.commandId ?? commandIdFor(orderId, step, 1),
    step: stepToProto(step),
    attempt: 1,
    effectKey: over.effectKey ?? effectKeyFor(orderId, step),
  };
}

const command = (orderId: string, step: StepName, action: Command['action'], over: { commandId?: string; effectKey?: string } = {}) =>
  codec.command.encode(create(CommandSchema, { meta: meta(orderId, step, over), action }));

const charge = (orderId: string, customerId = 'cust-1') =>
  command(orderId, 'chargePayment', { case: 'chargePayment', value: { $typeName: 'order.v1.ChargePayment', customerId, amountCents: 100n, currency: 'USD' } });
const reserve = (orderId: string, items = [line()]) =>
  command(orderId, 'reserveInventory', { case: 'reserveInventory', value: { $typeName: 'order.v1.ReserveInventory', items } });
const ship = (orderId: string, items = [line()], customerId = 'cust-1') =>
  command(orderId, 'createShipment', { case: 'createShipment', value: { $typeName: 'order.v1.CreateShipment', customerId, items } });
const cancelShipment = (orderId: string, reason: string) =>
  command(orderId, 'cancelShipment', { case: 'cancelShipment', value: { $typeName: 'order.v1.CancelShipment', reason } });

function reply(orderId: string, step: StepName, outcome: 'ok' | 'failed' = 'ok', over: { commandId?: string; reference?: string; message?: string; workerInstance?: string } = {}) {
  return codec.reply.encode(
    create(ReplySchema, {
      meta: meta(orderId, step, over),
      workerInstance: over.workerInstance ?? 'evil-1',
      deliveries: 1,
      outcome:
        outcome === 'ok'
          ? { case: 'succeeded', value: { $typeName: 'order.v1.StepSucceeded', reference: over.reference ?? 'ref' } }
          : { case: 'failed', value: { $typeName: 'order.v1.StepFailed', code: 'X', message: over.message ?? 'no' } },
    }),
  );
}

function submission(orderId: string, over: { customerId?: string; items?: ReturnType<typeof line>[]; totalCents?: bigint; idempotencyKey?: string } = {}) {
  const items = over.items ?? [line()];
  const total = items.reduce((sum, item) => sum + BigInt(item.quantity) * item.unitPriceCents, 0n);
  return codec.submission.encode(
    create(OrderSubmittedSchema, {
      order: create(OrderSchema, { orderId, customerId: over.customerId ?? 'cust-1', items, currency: 'USD', totalCents: over.totalCents ?? total }),
      idempotencyKey: over.idempotencyKey ?? '',
    }),
  );
}

/** Everything hostile, on every consumed subject; `rounds` repeats it with fresh random parts. */
function hostileMessages(rounds: number): Hostile[] {
  const out: Hostile[] = [];
  for (let round = 0; round < rounds; round++) {
    const fresh = newOrderId();
    const headerOf = (i: number) => [undefined, '*', '>', 'ördér', 'x'.repeat(300), fresh][i % 6];
    const add = (subject: string, data: Uint8Array, what: string) => out.push({ subject, data, what, header: headerOf(out.length) });

    // Submissions: the subject names a real-looking order, the body is hostile.
    for (const id of HOSTILE_IDS) add(`saga.submitted.${newOrderId()}`, submission(id), `submission with order id ${JSON.stringify(id).slice(0, 20)}`);
    add(`saga.submitted.${newOrderId()}`, submission(fresh), 'submission published under another order');
    add(`saga.submitted.x${round}`, submission(`x${round}`), 'submission of an invalid id on its own subject');
    add(`saga.submitted.${fresh}`, submission(fresh, { customerId: LONG }), 'submission with a 10,000-character customer id');
    add(`saga.submitted.${fresh}`, submission(fresh, { customerId: 'cüstömer' }), 'submission with a non-ASCII customer id');
    add(`saga.submitted.${fresh}`, submission(fresh, { items: [line('S'.repeat(1000))] }), 'submission with a 1,000-character SKU');
    add(`saga.submitted.${fresh}`, submission(fresh, { items: Array.from({ length: 5000 }, () => line()) }), 'submission with 5,000 items');
    add(`saga.submitted.${fresh}`, submission(fresh, { items: [line('A', 0)] }), 'submission with a zero quantity');
    add(`saga.submitted.${fresh}`, submission(fresh, { totalCents: 1n }), 'submission whose total is not its items');
    add(`saga.submitted.${fresh}`, submission(fresh, { idempotencyKey: 'k'.repeat(300) }), 'submission with a 300-character idempotency key');
    add(`saga.submitted.${fresh}`, charge(fresh), 'a command on the submission subject');
    add(`saga.submitted.${fresh}`, randomBytes(64), 'random bytes as a submission');
    add(`saga.submitted.${fresh}`, new Uint8Array(), 'an empty submission');

    // Replies, on every service's subject and one no service has.
    for (const service of ['inventory', 'payment', 'shipping', 'bogus']) {
      for (const id of HOSTILE_IDS) add(`saga.reply.${service}`, reply(id, 'chargePayment'), `reply with order id ${JSON.stringify(id).slice(0, 20)}`);
      add(`saga.reply.${service}`, reply(newOrderId(), 'reserveInventory'), 'reply for an unknown order');
      add(`saga.reply.${service}`, reply(fresh, 'chargePayment', 'ok', { commandId: 'cmd-1' }), 'reply with a made-up command id');
      add(`saga.reply.${service}`, reply(fresh, 'chargePayment', 'ok', { reference: LONG }), 'reply with a 10,000-character reference');
      add(`saga.reply.${service}`, reply(fresh, 'chargePayment', 'failed', { message: LONG }), 'reply with a 10,000-character failure message');
      add(`saga.reply.${service}`, reply(fresh, 'chargePayment', 'ok', { workerInstance: LONG }), 'reply with a 10,000-character worker name');
      add(`saga.reply.${service}`, submission(fresh), 'a submission on a reply subject');
      add(`saga.reply.${service}`, randomBytes(48), 'random bytes as a reply');
    }

    // Commands, on each worker's subject.
    for (const id of HOSTILE_IDS) {
      add('saga.cmd.payment', charge(id), `charge with order id ${JSON.stringify(id).slice(0, 20)}`);
      add('saga.cmd.inventory', reserve(id), `reservation with order id ${JSON.stringify(id).slice(0, 20)}`);
      add('saga.cmd.shipping', ship(id), `shipment with order id ${JSON.stringify(id).slice(0, 20)}`);
    }
    add('saga.cmd.payment', charge(fresh, LONG), 'charge for a 10,000-character customer id');
    add('saga.cmd.payment', command(fresh, 'chargePayment', { case: 'chargePayment', value: { $typeName: 'order.v1.ChargePayment', customerId: 'c', amountCents: -5n, currency: 'USD' } }), 'negative charge');
    add('saga.cmd.payment', command(fresh, 'chargePayment', { case: 'chargePayment', value: { $typeName: 'order.v1.ChargePayment', customerId: 'c', amountCents: 5n, currency: 'dollars' } }), 'charge in no currency');
    add('saga.cmd.payment', command(fresh, 'chargePayment', { case: 'chargePayment', value: { $typeName: 'order.v1.ChargePayment', customerId: 'c', amountCents: 5n, currency: 'USD' } }, { effectKey: `${newOrderId()}:chargePayment` }), 'charge under another order’s effect key');
    add('saga.cmd.inventory', reserve(fresh, [line('S'.repeat(1000))]), 'reservation of a 1,000-character SKU');
    add('saga.cmd.inventory', reserve(fresh, Array.from({ length: 5000 }, () => line())), 'reservation of 5,000 items');
    add('saga.cmd.inventory', reserve(fresh, []), 'reservation of nothing');
    add('saga.cmd.shipping', ship(fresh, [line()], LONG), 'shipment for a 10,000-character customer id');
    add('saga.cmd.shipping', cancelShipment(fresh, LONG), 'shipment cancel with a 10,000-character reason');
    add('saga.cmd.shipping', charge(fresh), 'a payment command on the shipping subject');
    for (const service of ['inventory', 'payment', 'shipping']) {
      add(`saga.cmd.${service}`, reply(fresh, STEPS.chargePayment.service === service ? 'chargePayment' : 'reserveInventory'), 'a reply on a command subject');
      add(`saga.cmd.${service}`, submission(fresh), 'a submission on a command subject');
      add(`saga.cmd.${service}`, randomBytes(80), 'random bytes as a command');
      add(`saga.cmd.${service}`, new Uint8Array(), 'an empty command');
    }
  }
  return out;
}

it(
  'hostile input on the bus: every hostile message on every consumed subject ends in SAGA_DLQ with a reason, the good orders complete',
  async () => {
    const system = await startSystem({ env: { WORKER_LATENCY_MS: '5', WORKER_BACKOFF_MS: '10', STEP_TIMEOUT_MS: '3000' } });
    try {
      const nc = await system.connection();
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      const pids = Object.fromEntries(Object.values(system.services).map((s) => [s.label, s.pid]));
      const run = new FaultRun('hostile-input', system);
      const hostile = hostileMessages(sized(2, 6));
      const injected: { key: string; what: string; subject: string }[] = [];

      const load = run.load({ orders: sized(80, 300), perSecond: 25 });
      const bursts = sized(2, 4);
      for (let burst = 0; burst < bursts; burst++) {
        const part = hostile.slice(Math.floor((burst * hostile.length) / bursts), Math.floor(((burst + 1) * hostile.length) / bursts));
        await run.fault('hostile messages', `every subject (${part.length})`, async () => {
          for (const message of part) {
            const h = natsHeaders();
            if (message.header !== undefined) h.set(HEADERS.orderId, message.header);
            const ack = await js.publish(message.subject, message.data, { headers: h });
            injected.push({ key: `${ack.stream}:${ack.seq}`, what: message.what, subject: message.subject });
          }
        });
      }
      await load;
      const report = await run.check();

      // One dead letter per hostile message, each with a reason.
      const letters = new Map<string, string[]>();
      const info = await jsm.streams.info(STREAMS.deadLetters);
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const letter = await jsm.streams.getMessage(STREAMS.deadLetters, { seq }).catch(() => null);
        if (!letter) continue;
        const key = `${letter.header.get(HEADERS.dlqStream)}:${letter.header.get(HEADERS.dlqSequence)}`;
        letters.set(key, [...(letters.get(key) ?? []), letter.header.get(HEADERS.dlqReason)]);
      }
      const missing = injected.filter((m) => !letters.has(m.key)).map((m) => `${m.subject}: ${m.what}`);
      const withoutReason = injected.filter((m) => letters.get(m.key)?.some((reason) => !reason)).map((m) => m.what);
      const twice = injected.filter((m) => (letters.get(m.key)?.length ?? 0) > 1).map((m) => m.what);
      const ours = new Set(injected.map((m) => m.key));
      const otherLetters = [...letters.keys()].filter((key) => !ours.has(key));
      const reasons = new Map<string, number>();
      for (const m of injected) {
        const reason = (letters.get(m.key)?.[0] ?? '').replace(/"[^"]*"|\d+/g, '…');
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      console.log(
        `[faults] hostile-input: ${injected.length} hostile messages injected (${new Set(injected.map((m) => m.subject)).size} subjects), ` +
          `${injected.length - missing.length} dead-lettered, ${otherLetters.length} other dead letters; ${reasons.size} distinct reasons, e.g.\n  ` +
          [...reasons.keys()].slice(0, 12).join('\n  '),
      );
      expect(missing, 'hostile messages not dead-lettered').toEqual([]);
      expect(withoutReason, 'dead letters without a reason').toEqual([]);
      expect(twice, 'hostile messages dead-lettered twice').toEqual([]);
      expect(otherLetters, 'good traffic dead-lettered').toEqual([]);

      // Nothing is being redelivered: every consumer is idle (run.check waited for it too).
      expect(await waitQuiet(nc, 10_000)).toEqual([]);
      // No service crashed or restarted.
      expect(Object.fromEntries(Object.values(system.services).map((s) => [s.label, s.pid]))).toEqual(pids);
      expectClean(report, { minOrders: sized(80, 300) });
    } finally {
      await system.stop();
    }
  },
  180_000,
);

it('an event that keeps failing for a reason no check foresaw is dead-lettered with its last error, not redelivered forever', async () => {
  const system = await startSystem();
  try {
    const nc = await system.connection();
    const jsm = await jetstreamManager(nc);
    const orderId = newOrderId();
    await (await new Kvm(nc).open(BUCKETS.sagas)).put(orderId, new TextEncoder().encode('{"summary":1}\n{not json'));
    const ack = await jetstream(nc).publish('saga.reply.inventory', reply(orderId, 'reserveInventory'));

    await until('the reply in the dead letters', async () => (await jsm.streams.info(STREAMS.deadLetters)).state.messages === 1, 30_000);
    const letter = await jsm.streams.getMessage(STREAMS.deadLetters, { seq: 1 });
    expect(letter?.header.get(HEADERS.dlqSequence)).toBe(String(ack.seq));
    expect(letter?.header.get(HEADERS.dlqService)).toBe('orchestrator');
    expect(letter?.header.get(HEADERS.dlqReason)).toMatch(/^failed 10 times, last: SyntaxError: /);
    expect(await waitQuiet(nc, 10_000)).toEqual([]);
    expect(system.services.orchestrator.pid).toBeDefined();
    expect((await system.api('/ready')).status).toBe(200);
  } finally {
    await system.stop();
  }
}, 60_000);
