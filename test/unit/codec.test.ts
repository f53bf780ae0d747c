/**
 * The codec's checks: what its builders make decodes; a hostile id or an oversize field is a
 * PoisonMessageError naming the field (so it is dead-lettered, not redelivered forever), and the
 * reason quotes hostile values only escaped and cut short.
 */
import { describe, expect, it } from 'vitest';
import {
  codec,
  CommandSchema,
  create,
  LIMITS,
  PoisonMessageError,
  ReplySchema,
  stepToProto,
  type Command,
  type Reply,
} from '../../lib/codec.ts';
import { headerSafeReason } from '../../lib/dead-letters.ts';
import { commandIdFor, effectKeyFor, type StepName } from '../../machines/index.ts';
import { newOrderId } from '../../orchestrator/http/order-ids.ts';
import { submissionToProto } from '../../orchestrator/saga/submissions.ts';

const ORDER = newOrderId();
const item = (sku = 'SKU-1', quantity = 1) => ({ sku, quantity, unitPriceCents: 250n });

function meta(orderId = ORDER, step: StepName = 'chargePayment', attempt = 1) {
  return { orderId, commandId: commandIdFor(orderId, step, attempt), step: stepToProto(step), attempt, effectKey: effectKeyFor(orderId, step) };
}

const charge = (over: { orderId?: string; customerId?: string } = {}): Command =>
  create(CommandSchema, {
    meta: meta(over.orderId),
    action: { case: 'chargePayment', value: { customerId: over.customerId ?? 'cust-1', amountCents: 500n, currency: 'USD' } },
  });

const reply = (m: ReturnType<typeof meta>, outcome: Reply['outcome'] = { case: 'succeeded', value: { $typeName: 'order.v1.StepSucceeded', reference: 'chg_1' } }): Reply =>
  create(ReplySchema, { meta: m, workerInstance: 'payment-1', deliveries: 1, outcome });

function poisonReason(decode: () => unknown): string {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(PoisonMessageError);
    return (error as Error).message;
  }
  throw new Error('decoded without complaint');
}

/** A length-delimited field's content as protobuf writes it: the length, then that many bytes. */
function lengthDelimited(length: number): Uint8Array {
  const prefix: number[] = [];
  for (let n = length; ; n >>>= 7) {
    if (n < 0x80) {
      prefix.push(n);
      break;
    }
    prefix.push((n & 0x7f) | 0x80);
  }
  return new Uint8Array([...prefix, ...new Uint8Array(length)]);
}

const HOSTILE_IDS = ['*', '>', 'a.b', '', ' ', 'ord x', 'x'.repeat(300), 'ördér', `ord_${'A'.repeat(26)}`, 'ord_\r\nabc'];

describe('codec checks', () => {
  it('decodes what its builders make, and says so in the type', () => {
    const submission = submissionToProto(
      {
        order: { orderId: ORDER, customerId: 'cust-1', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 250 }], totalCents: 500 },
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        idempotencyKey: 'cart-42',
        requestHash: 'a'.repeat(64),
      },
      Date.now(),
    );
    expect(codec.submission.decode(codec.submission.encode(submission)).order.orderId).toBe(ORDER);
    expect(codec.command.decode(codec.command.encode(charge())).meta.commandId).toBe(`${ORDER}:chargePayment:1`);
    expect(codec.reply.decode(codec.reply.encode(reply(meta()))).outcome.case).toBe('succeeded');
  });

  it.each(HOSTILE_IDS)('refuses the order id %j in commands, replies and submissions, naming the field', (id) => {
    expect(poisonReason(() => codec.command.decode(codec.command.encode(charge({ orderId: id }))))).toMatch(/meta\.order_id/);
    expect(poisonReason(() => codec.reply.decode(codec.reply.encode(reply(meta(id)))))).toMatch(/meta\.order_id/);
    const submission = submissionToProto(
      { order: { orderId: id, customerId: 'c', currency: 'USD', items: [{ sku: 'A', quantity: 1, unitPriceCents: 1 }], totalCents: 1 }, traceparent: '', requestHash: '' },
      0,
    );
    expect(poisonReason(() => codec.submission.decode(codec.submission.encode(submission)))).toMatch(/order\.order_id/);
  });

  it('refuses command ids and effect keys its builders would not make', () => {
    const other = newOrderId();
    const wrongCommand = { ...meta(), commandId: commandIdFor(other, 'chargePayment', 1) };
    expect(poisonReason(() => codec.reply.decode(codec.reply.encode(reply(wrongCommand))))).toMatch(/meta\.command_id/);
    const wrongAttempt = { ...meta(), commandId: commandIdFor(ORDER, 'chargePayment', 2) };
    expect(poisonReason(() => codec.reply.decode(codec.reply.encode(reply(wrongAttempt))))).toMatch(/meta\.command_id/);
    const wrongKey = { ...meta(), effectKey: `${other}:chargePayment` };
    expect(poisonReason(() => codec.reply.decode(codec.reply.encode(reply(wrongKey))))).toMatch(/meta\.effect_key/);
  });

  it('refuses oversize and non-ASCII fields, naming each', () => {
    const long = 'x'.repeat(10_000);
    expect(poisonReason(() => codec.command.decode(codec.command.encode(charge({ customerId: long }))))).toMatch(/chargePayment\.customer_id is 10000 characters long/);
    expect(poisonReason(() => codec.command.decode(codec.command.encode(charge({ customerId: 'cüst' }))))).toMatch(/customer_id .* is not printable ASCII/);
    const reserve = (items: ReturnType<typeof item>[]) =>
      create(CommandSchema, { meta: meta(ORDER, 'reserveInventory'), action: { case: 'reserveInventory', value: { items } } });
    expect(poisonReason(() => codec.command.decode(codec.command.encode(reserve([item('S'.repeat(65))]))))).toMatch(/reserveInventory\.items\[0\]\.sku/);
    expect(poisonReason(() => codec.command.decode(codec.command.encode(reserve(Array.from({ length: LIMITS.items + 1 }, () => item())))))).toMatch(
      /reserveInventory\.items has 101 items/,
    );
    expect(poisonReason(() => codec.command.decode(codec.command.encode(reserve([]))))).toMatch(/reserveInventory\.items is empty/);
    const cancel = create(CommandSchema, { meta: meta(ORDER, 'cancelShipment'), action: { case: 'cancelShipment', value: { reason: long } } });
    expect(poisonReason(() => codec.command.decode(codec.command.encode(cancel)))).toMatch(/cancelShipment\.reason/);
    const failed = reply(meta(), { case: 'failed', value: { $typeName: 'order.v1.StepFailed', code: 'DECLINED', message: long } });
    expect(poisonReason(() => codec.reply.decode(codec.reply.encode(failed)))).toMatch(/failed\.message/);
    const instance = create(ReplySchema, { ...reply(meta()), workerInstance: long });
    expect(poisonReason(() => codec.reply.decode(codec.reply.encode(instance)))).toMatch(/worker_instance/);
  });

  it('refuses a message larger than any valid one, even when its extra bytes are fields the schema does not name', () => {
    // Unknown fields pass the field checks and are echoed in the reply built from the command's
    // meta: near the server's max_payload that reply could never be published (nor the command
    // given up on, which replies first), so it was delivered forever.
    const padded = charge();
    padded.meta!.$unknown = [{ no: 999, wireType: 2, data: lengthDelimited(LIMITS.messageBytes) }];
    expect(poisonReason(() => codec.command.decode(codec.command.encode(padded)))).toMatch(/bytes \(at most 65536\)/);
    const paddedReply = reply(meta());
    paddedReply.meta = padded.meta;
    expect(poisonReason(() => codec.reply.decode(codec.reply.encode(paddedReply)))).toMatch(/bytes \(at most 65536\)/);
    // A few unknown bytes (a newer sender's field) still decode.
    const newer = charge();
    newer.meta!.$unknown = [{ no: 999, wireType: 2, data: lengthDelimited(16) }];
    expect(codec.command.decode(codec.command.encode(newer)).meta.orderId).toBe(ORDER);
  });

  it('refuses a submission whose total is not its items’ total, or whose fields are oversize', () => {
    const submission = (over: { customerId?: string; totalCents?: number; idempotencyKey?: string }) =>
      codec.submission.encode(
        submissionToProto(
          {
            order: { orderId: ORDER, customerId: over.customerId ?? 'c', currency: 'USD', items: [{ sku: 'A', quantity: 2, unitPriceCents: 5 }], totalCents: over.totalCents ?? 10 },
            traceparent: '',
            requestHash: '',
            ...(over.idempotencyKey ? { idempotencyKey: over.idempotencyKey } : {}),
          },
          0,
        ),
      );
    expect(poisonReason(() => codec.submission.decode(submission({ totalCents: 1 })))).toMatch(/order\.total_cents 1 is not the items' total 10/);
    expect(poisonReason(() => codec.submission.decode(submission({ customerId: 'c'.repeat(129) })))).toMatch(/order\.customer_id/);
    expect(poisonReason(() => codec.submission.decode(submission({ idempotencyKey: 'k'.repeat(256) })))).toMatch(/idempotency_key/);
  });

  it('quotes hostile values escaped and short, so a reason is one safe header value', () => {
    const reason = poisonReason(() => codec.command.decode(codec.command.encode(charge({ orderId: `ord_\r\n${'ü'.repeat(100)}` }))));
    expect(reason).toContain(String.raw`"ord_\r\n\u00fc`);
    expect(reason).not.toMatch(/[^\x20-\x7e]/);
    expect(reason.length).toBeLessThan(400);
    expect(headerSafeReason('a\r\nb ü')).toBe('a\\u000d\\u000ab \\u00fc');
    expect(headerSafeReason('x'.repeat(5000))).toHaveLength(1000);
  });
});
