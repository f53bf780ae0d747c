/**
 * The one codec. Every message on the bus is protobuf (proto/order/v1); saga and ledger
 * entries in KV are JSON, so they stay readable with `nats kv get` (a saga entry is two JSON
 * lines, its summary and itself: orchestrator/saga/stored-entry.ts).
 * Decoding validates what the schema cannot (required fields), so a message that decodes
 * is one a handler can act on; anything else is a PoisonMessageError with the reason.
 */
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { CommandSchema, Step, type Command } from '../proto/gen/order/v1/commands_pb.ts';
import { ReplySchema, type Reply } from '../proto/gen/order/v1/events_pb.ts';
import { OrderSubmittedSchema, type OrderSubmitted } from '../proto/gen/order/v1/order_pb.ts';
import type { StepName } from '../machines/index.ts';

export { create };
export * from '../proto/gen/order/v1/commands_pb.ts';
export * from '../proto/gen/order/v1/events_pb.ts';
export * from '../proto/gen/order/v1/order_pb.ts';

/** A message no handler can act on: it goes to the dead-letter stream with this reason. */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

function decodeWith<D extends DescMessage>(schema: D, bytes: Uint8Array, validate: (m: MessageShape<D>) => string | null) {
  let message: MessageShape<D>;
  try {
    message = fromBinary(schema, bytes);
  } catch (error) {
    throw new PoisonMessageError(`not a valid ${schema.typeName}: ${(error as Error).message}`);
  }
  const problem = validate(message);
  if (problem) throw new PoisonMessageError(`invalid ${schema.typeName}: ${problem}`);
  return message;
}

const STEP_OF_NAME: Record<StepName, Step> = {
  reserveInventory: Step.RESERVE_INVENTORY,
  chargePayment: Step.CHARGE_PAYMENT,
  createShipment: Step.CREATE_SHIPMENT,
  cancelShipment: Step.CANCEL_SHIPMENT,
  refundPayment: Step.REFUND_PAYMENT,
  releaseInventory: Step.RELEASE_INVENTORY,
};
const NAME_OF_STEP = new Map(Object.entries(STEP_OF_NAME).map(([name, step]) => [step, name as StepName]));

export const stepToProto = (step: StepName): Step => STEP_OF_NAME[step];
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

function metaProblem(meta: Command['meta']): string | null {
  if (!meta) return 'meta is missing';
  if (!meta.orderId) return 'meta.order_id is empty';
  if (!meta.commandId) return 'meta.command_id is empty';
  if (!stepFromProto(meta.step)) return `meta.step ${meta.step} is not a known step`;
  if (meta.attempt < 1) return 'meta.attempt must be at least 1';
  if (!meta.effectKey) return 'meta.effect_key is empty';
  return null;
}

export const codec = {
  submission: {
    encode: (message: OrderSubmitted): Uint8Array => toBinary(OrderSubmittedSchema, message),
    decode: (bytes: Uint8Array): OrderSubmitted =>
      decodeWith(OrderSubmittedSchema, bytes, (m) => {
        const order = m.order;
        if (!order) return 'order is missing';
        if (!order.orderId) return 'order.order_id is empty';
        if (!order.customerId) return 'order.customer_id is empty';
        if (order.items.length === 0) return 'order.items is empty';
        const bad = order.items.findIndex((item) => !item.sku || item.quantity < 1 || item.unitPriceCents < 0);
        if (bad >= 0) return `order.items[${bad}] needs a sku, a quantity of at least 1 and a non-negative price`;
        return null;
      }),
  },
  command: {
    encode: (message: Command): Uint8Array => toBinary(CommandSchema, message),
    decode: (bytes: Uint8Array): Command =>
      decodeWith(CommandSchema, bytes, (m) => {
        const problem = metaProblem(m.meta);
        if (problem) return problem;
        const step = stepFromProto(m.meta!.step)!;
        if (m.action.case !== ACTION_OF_STEP[step]) return `step ${step} carries action ${m.action.case ?? 'none'}`;
        return null;
      }),
  },
  reply: {
    encode: (message: Reply): Uint8Array => toBinary(ReplySchema, message),
    decode: (bytes: Uint8Array): Reply =>
      decodeWith(ReplySchema, bytes, (m) => metaProblem(m.meta) ?? (m.outcome.case ? null : 'outcome is missing')),
  },
  json: {
    encode: (value: unknown): Uint8Array => textEncoder.encode(JSON.stringify(value)),
    decode: <T>(bytes: Uint8Array): T => JSON.parse(textDecoder.decode(bytes)) as T,
  },
};

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();
