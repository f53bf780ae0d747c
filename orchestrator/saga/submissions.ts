/** Conversions between the wire's OrderSubmitted and the runtime's Submission. Pure. */
import { create, LineItemSchema, OrderSchema, OrderSubmittedSchema, TraceContextSchema, type CheckedSubmission, type OrderSubmitted } from '../../lib/codec.ts';
import type { Submission } from './entry.ts';

/** A decoded submission (the codec checked that it carries its order) as the runtime's Submission. */
export function submissionOf(message: CheckedSubmission): Submission {
  const { order } = message;
  return {
    order: {
      orderId: order.orderId,
      customerId: order.customerId,
      currency: order.currency || 'USD',
      items: order.items.map((item) => ({
        sku: item.sku,
        quantity: item.quantity,
        unitPriceCents: Number(item.unitPriceCents),
      })),
      totalCents: Number(order.totalCents),
    },
    traceparent: message.trace?.traceparent ?? '',
    ...(message.idempotencyKey ? { idempotencyKey: message.idempotencyKey } : {}),
    requestHash: message.requestHash,
  };
}

export function submissionToProto(submission: Submission, submittedAt: number): OrderSubmitted {
  const { order } = submission;
  return create(OrderSubmittedSchema, {
    order: create(OrderSchema, {
      ...order,
      items: order.items.map((item) => create(LineItemSchema, { ...item, unitPriceCents: BigInt(item.unitPriceCents) })),
      totalCents: BigInt(order.totalCents),
      submittedAtMs: BigInt(submittedAt),
    }),
    idempotencyKey: submission.idempotencyKey ?? '',
    requestHash: submission.requestHash,
    trace: create(TraceContextSchema, { traceparent: submission.traceparent }),
  });
}
