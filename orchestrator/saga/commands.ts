/** Turns an outbox entry into the protobuf command its worker expects. Pure. */
import { create, CommandMetaSchema, CommandSchema, LineItemSchema, stepToProto, type Command } from '../../lib/codec.ts';
import type { TraceContext } from '../../lib/trace.ts';
import type { SagaContext } from '../../machines/index.ts';
import type { OutboxCommand } from './entry.ts';

export function buildCommand(context: SagaContext, command: OutboxCommand, trace: TraceContext): Command {
  const meta = create(CommandMetaSchema, {
    orderId: context.orderId,
    commandId: command.commandId,
    step: stepToProto(command.step),
    attempt: command.attempt,
    effectKey: command.effectKey,
    trace,
    issuedAtMs: BigInt(command.issuedAt),
  });
  const items = context.items.map((item) => create(LineItemSchema, { ...item, unitPriceCents: BigInt(item.unitPriceCents) }));
  const money = { amountCents: BigInt(context.totalCents), currency: context.currency };
  const action = ((): Command['action'] => {
    switch (command.step) {
      case 'reserveInventory':
        return { case: 'reserveInventory', value: { $typeName: 'order.v1.ReserveInventory', items } };
      case 'releaseInventory':
        return { case: 'releaseInventory', value: { $typeName: 'order.v1.ReleaseInventory', items } };
      case 'chargePayment':
        return { case: 'chargePayment', value: { $typeName: 'order.v1.ChargePayment', customerId: context.customerId, ...money } };
      case 'refundPayment':
        return { case: 'refundPayment', value: { $typeName: 'order.v1.RefundPayment', ...money } };
      case 'createShipment':
        return { case: 'createShipment', value: { $typeName: 'order.v1.CreateShipment', customerId: context.customerId, items } };
      case 'cancelShipment':
        return {
          case: 'cancelShipment',
          value: { $typeName: 'order.v1.CancelShipment', reason: context.cancellation?.reason ?? '' },
        };
    }
  })();
  return create(CommandSchema, { meta, action });
}
