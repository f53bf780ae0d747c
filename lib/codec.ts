/**
 * The one codec. Every message on the bus is protobuf (proto/order/v1); saga and ledger
 * entries in KV are JSON, so they stay readable with `nats kv get` (a saga entry is two JSON
 * lines, its summary and itself: orchestrator/saga/stored-entry.ts).
 * Decoding validates what the schema cannot: required fields, ids in the one format their
 * builders produce (so an id is always a usable KV key and subject token), sizes within what
 * the API accepts. It returns a type that says so (`CheckedCommand`...), so a message that
 * decodes is one a handler can act on; anything else is a PoisonMessageError naming the field.
 */
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { CommandSchema, Step, type Command, type CommandMeta } from '../proto/gen/order/v1/commands_pb.ts';
import { ReplySchema, type Reply } from '../proto/gen/order/v1/events_pb.ts';
import { OrderSubmittedSchema, type LineItem, type Order, type OrderSubmitted, type TraceContext } from '../proto/gen/order/v1/order_pb.ts';
import { commandIdFor, effectKeyFor } from '../machines/order-saga/steps.ts';
import type { StepName } from '../machines/index.ts';
import { isOrderId, ORDER_ID_PATTERN, type OrderId } from './order-id.ts';

export { create };
export type { OrderId };
export * from '../proto/gen/order/v1/commands_pb.ts';
export * from '../proto/gen/order/v1/events_pb.ts';
export * from '../proto/gen/order/v1/order_pb.ts';

/** A message no handler can act on: it goes to the dead-letter stream with this reason. */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

export const isPoisonMessage = (error: unknown): error is PoisonMessageError => error instanceof PoisonMessageError;

/** The largest field a message may carry: the one definition the API's schemas (orchestrator/http/orders.ts) take theirs from, and room for free text. */
export const LIMITS = {
  customerId: 128,
  sku: 64,
  items: 100,
  quantity: 10_000_000,
  unitPriceCents: 10_000_000_000n,
  idempotencyKey: 255,
  requestHash: 128,
  traceparent: 256,
  tracestate: 512,
  reference: 256,
  code: 128,
  workerInstance: 256,
  /** Reasons and failure messages. */
  text: 4096,
  /**
   * A whole message: several times the largest a valid one can be (100 items of 64-character
   * SKUs make about 9 KB). The field checks see only the fields the schema names; fields it does
   * not name (a newer sender's, or a hostile one's) are kept and sent back in every reply built
   * from the message, so without this bound a command of any size up to the server's limit would
   * come back as a reply too large to publish, and never be answered or dead-lettered.
   */
  messageBytes: 64 * 1024,
} as const;

/** A step the enum names (not STEP_UNSPECIFIED, not a number from a newer sender). */
export type KnownStep = Exclude<Step, Step.UNSPECIFIED>;
type Present<T> = Exclude<T, { case: undefined }>;

/** Meta whose ids are the ones its builder makes: `commandIdFor(order, step, attempt)`, `effectKeyFor(order, step)`. */
export type CheckedMeta = CommandMeta & { orderId: OrderId; step: KnownStep };
export type CheckedCommand = Command & { meta: CheckedMeta; action: Present<Command['action']> };
export type CheckedReply = Reply & { meta: CheckedMeta; outcome: Present<Reply['outcome']> };
export type CheckedSubmission = OrderSubmitted & { order: Order & { orderId: OrderId } };

/** Decode, then check; `T` is the type the check proves. */
function decodeChecked<D extends DescMessage, T extends MessageShape<D>>(schema: D, bytes: Uint8Array, problemOf: (m: MessageShape<D>) => Problem): T {
  if (bytes.length > LIMITS.messageBytes) {
    throw new PoisonMessageError(`not a valid ${schema.typeName}: ${bytes.length} bytes (at most ${LIMITS.messageBytes})`);
  }
  let message: MessageShape<D>;
  try {
    message = fromBinary(schema, bytes);
  } catch (error) {
    throw new PoisonMessageError(`not a valid ${schema.typeName}: ${(error as Error).message}`);
  }
  const problem = problemOf(message);
  if (problem) throw new PoisonMessageError(`invalid ${schema.typeName}: ${problem}`);
  return message as T;
}

const STEP_OF_NAME: Record<StepName, KnownStep> = {
  reserveInventory: Step.RESERVE_INVENTORY,
  chargePayment: Step.CHARGE_PAYMENT,
  createShipment: Step.CREATE_SHIPMENT,
  cancelShipment: Step.CANCEL_SHIPMENT,
  refundPayment: Step.REFUND_PAYMENT,
  releaseInventory: Step.RELEASE_INVENTORY,
};
const NAME_OF_STEP = new Map(Object.entries(STEP_OF_NAME).map(([name, step]) => [step as Step, name as StepName]));

export const stepToProto = (step: StepName): KnownStep => STEP_OF_NAME[step];
export function stepFromProto(step: KnownStep): StepName;
export function stepFromProto(step: Step): StepName | undefined;
export function stepFromProto(step: Step): StepName | undefined {
  return NAME_OF_STEP.get(step);
}

/** Which command payload each step carries. */
export const ACTION_OF_STEP: Record<StepName, NonNullable<Command['action']['case']>> = {
  reserveInventory: 'reserveInventory',
  releaseInventory: 'releaseInventory',
  chargePayment: 'chargePayment',
  refundPayment: 'refundPayment',
  createShipment: 'createShipment',
  cancelShipment: 'cancelShipment',
};

/* --- checks: each names the field it refuses, and quotes hostile values only escaped and cut short */

type Problem = string | null;

/** A value fit for a log line and a NATS header: at most 40 characters, anything outside printable ASCII escaped. */
function show(value: string): string {
  const cut = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(cut).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

function tooLong(field: string, value: string, max: number): Problem {
  return value.length > max ? `${field} is ${value.length} characters long (at most ${max})` : null;
}

/** Non-empty printable ASCII, like the API's customer ids and SKUs. */
function tokenProblem(field: string, value: string, max: number): Problem {
  if (!value) return `${field} is empty`;
  return tooLong(field, value, max) ?? (PRINTABLE_ASCII.test(value) ? null : `${field} ${show(value)} is not printable ASCII`);
}

function optionalTokenProblem(field: string, value: string, max: number): Problem {
  return value ? tokenProblem(field, value, max) : null;
}

function rangeProblem<N extends number | bigint>(field: string, value: N, min: N, max: N): Problem {
  return value < min || value > max ? `${field} ${value} is outside ${min}..${max}` : null;
}

function orderIdProblem(field: string, value: string): Problem {
  if (!value) return `${field} is empty`;
  return isOrderId(value) ? null : `${field} ${show(value)} is not an order id (${ORDER_ID_PATTERN})`;
}

function currencyProblem(field: string, value: string): Problem {
  return value === '' || /^[A-Z]{3}$/.test(value) ? null : `${field} ${show(value)} is not a currency code`;
}

const MAX_CENTS = BigInt(Number.MAX_SAFE_INTEGER);

function itemsProblem(field: string, items: LineItem[]): Problem {
  if (items.length === 0) return `${field} is empty`;
  if (items.length > LIMITS.items) return `${field} has ${items.length} items (at most ${LIMITS.items})`;
  for (const [i, item] of items.entries()) {
    const problem =
      tokenProblem(`${field}[${i}].sku`, item.sku, LIMITS.sku) ??
      rangeProblem(`${field}[${i}].quantity`, item.quantity, 1, LIMITS.quantity) ??
      rangeProblem(`${field}[${i}].unit_price_cents`, item.unitPriceCents, 0n, LIMITS.unitPriceCents);
    if (problem) return problem;
  }
  return null;
}

function traceProblem(field: string, trace: TraceContext | undefined): Problem {
  if (!trace) return null;
  return tooLong(`${field}.traceparent`, trace.traceparent, LIMITS.traceparent) ?? tooLong(`${field}.tracestate`, trace.tracestate, LIMITS.tracestate);
}

/** The meta's step when the meta is as its builders make it (CheckedMeta), else the problem. */
function checkMeta(meta: CommandMeta | undefined): { step: StepName } | { problem: string } {
  if (!meta) return { problem: 'meta is missing' };
  const orderProblem = orderIdProblem('meta.order_id', meta.orderId);
  if (orderProblem) return { problem: orderProblem };
  const step = stepFromProto(meta.step);
  if (!step) return { problem: `meta.step ${meta.step} is not a known step` };
  if (meta.attempt < 1) return { problem: 'meta.attempt must be at least 1' };
  const commandId = commandIdFor(meta.orderId, step, meta.attempt);
  if (meta.commandId !== commandId) return { problem: `meta.command_id ${show(meta.commandId)} is not ${commandId}` };
  const effectKey = effectKeyFor(meta.orderId, step);
  if (meta.effectKey !== effectKey) return { problem: `meta.effect_key ${show(meta.effectKey)} is not ${effectKey}` };
  const problem = traceProblem('meta.trace', meta.trace);
  return problem ? { problem } : { step };
}

function metaProblem(meta: CommandMeta | undefined): Problem {
  const checked = checkMeta(meta);
  return 'problem' in checked ? checked.problem : null;
}

function actionProblem(action: Command['action']): Problem {
  switch (action.case) {
    case 'reserveInventory':
    case 'releaseInventory':
      return itemsProblem(`${action.case}.items`, action.value.items);
    case 'chargePayment':
      return (
        tokenProblem('chargePayment.customer_id', action.value.customerId, LIMITS.customerId) ??
        rangeProblem('chargePayment.amount_cents', action.value.amountCents, 0n, MAX_CENTS) ??
        currencyProblem('chargePayment.currency', action.value.currency)
      );
    case 'refundPayment':
      return rangeProblem('refundPayment.amount_cents', action.value.amountCents, 0n, MAX_CENTS) ?? currencyProblem('refundPayment.currency', action.value.currency);
    case 'createShipment':
      return tokenProblem('createShipment.customer_id', action.value.customerId, LIMITS.customerId) ?? itemsProblem('createShipment.items', action.value.items);
    case 'cancelShipment':
      return tooLong('cancelShipment.reason', action.value.reason, LIMITS.text);
    default:
      return 'action is missing';
  }
}

function outcomeProblem(outcome: Reply['outcome']): Problem {
  switch (outcome.case) {
    case 'succeeded':
      return tooLong('succeeded.reference', outcome.value.reference, LIMITS.reference);
    case 'failed':
      return tooLong('failed.code', outcome.value.code, LIMITS.code) ?? tooLong('failed.message', outcome.value.message, LIMITS.text);
    case 'failedTransiently':
      return tooLong('failed_transiently.message', outcome.value.message, LIMITS.text);
    default:
      return 'outcome is missing';
  }
}

function orderProblem(order: Order | undefined): Problem {
  if (!order) return 'order is missing';
  const problem =
    orderIdProblem('order.order_id', order.orderId) ??
    tokenProblem('order.customer_id', order.customerId, LIMITS.customerId) ??
    itemsProblem('order.items', order.items) ??
    currencyProblem('order.currency', order.currency);
  if (problem) return problem;
  const total = order.items.reduce((sum, item) => sum + BigInt(item.quantity) * item.unitPriceCents, 0n);
  if (total > MAX_CENTS) return `order.items total ${total} is too large`;
  return order.totalCents === total ? null : `order.total_cents ${order.totalCents} is not the items' total ${total}`;
}

export const codec = {
  submission: {
    encode: (message: OrderSubmitted): Uint8Array => toBinary(OrderSubmittedSchema, message),
    decode: (bytes: Uint8Array): CheckedSubmission =>
      decodeChecked(OrderSubmittedSchema, bytes, (m) =>
        orderProblem(m.order) ??
        optionalTokenProblem('idempotency_key', m.idempotencyKey, LIMITS.idempotencyKey) ??
        tooLong('request_hash', m.requestHash, LIMITS.requestHash) ??
        traceProblem('trace', m.trace),
      ),
  },
  command: {
    encode: (message: Command): Uint8Array => toBinary(CommandSchema, message),
    decode: (bytes: Uint8Array): CheckedCommand =>
      decodeChecked(CommandSchema, bytes, (m) => {
        const meta = checkMeta(m.meta);
        if ('problem' in meta) return meta.problem;
        if (m.action.case !== ACTION_OF_STEP[meta.step]) return `step ${meta.step} carries action ${m.action.case ?? 'none'}`;
        return actionProblem(m.action);
      }),
  },
  reply: {
    encode: (message: Reply): Uint8Array => toBinary(ReplySchema, message),
    decode: (bytes: Uint8Array): CheckedReply =>
      decodeChecked(ReplySchema, bytes, (m) =>
        metaProblem(m.meta) ?? tooLong('worker_instance', m.workerInstance, LIMITS.workerInstance) ?? outcomeProblem(m.outcome),
      ),
  },
  json: {
    encode: (value: unknown): Uint8Array => textEncoder.encode(JSON.stringify(value)),
    decode: <T>(bytes: Uint8Array): T => JSON.parse(textDecoder.decode(bytes)) as T,
  },
};

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();
