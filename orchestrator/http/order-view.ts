/** How an order looks on the API: the saga entry, explained. Pure. */
import type { OrderDetail } from './schemas/orders.ts';
import { traceIdOf } from '../../lib/trace.ts';
import type { Hold, SagaEntry, Submission } from '../saga/entry.ts';
import { actionsAllowed, nextStepsOf } from '../saga/entry.ts';
import { stateEnteredAt } from '../saga/summary.ts';

export const orderLinks = (orderId: string, traceUrl: string | null) => ({
  self: `/api/orders/${orderId}`,
  ui: `/orders/${orderId}`,
  ...(traceUrl ? { trace: traceUrl } : {}),
});

export function traceUrlFor(template: string, traceparent: string): string | null {
  const traceId = traceIdOf(traceparent);
  return traceId ? template.replace('{traceId}', traceId) : null;
}

export const holdView = (hold: Hold) => ({ ...hold, at: new Date(hold.at).toISOString() });

export function orderView(entry: SagaEntry, traceUrlTemplate: string): OrderDetail {
  const context = entry.snapshot.context;
  const pending = context.pending;
  const traceUrl = traceUrlFor(traceUrlTemplate, entry.traceparent);
  return {
    orderId: entry.orderId,
    state: entry.state,
    status: entry.status,
    customerId: context.customerId,
    currency: context.currency,
    totalCents: context.totalCents,
    items: context.items,
    createdAt: new Date(entry.createdAt).toISOString(),
    updatedAt: new Date(entry.updatedAt).toISOString(),
    stateEnteredAt: new Date(stateEnteredAt(entry)).toISOString(),
    machineVersion: entry.machineVersion,
    traceId: traceIdOf(entry.traceparent) ?? null,
    traceUrl,
    pending: pending
      ? {
          ...pending,
          maxAttempts: context.attemptLimits[pending.step] ?? context.maxAttempts,
          retrying: pending.attempt > 1,
          deadline: entry.deadline && !entry.hold ? new Date(entry.deadline.at).toISOString() : null,
        }
      : null,
    lastError: context.lastError,
    paused: entry.hold ? holdView(entry.hold) : null,
    context,
    history: entry.history.map((row) => ({ ...row, at: new Date(row.at).toISOString() })),
    allowedActions: actionsAllowed(entry),
    next: nextStepsOf(entry),
    links: orderLinks(entry.orderId, traceUrl),
  };
}

/** An order JetStream holds whose saga has not started yet. */
export function submittedView(submission: Submission, traceUrlTemplate: string): OrderDetail {
  const { order } = submission;
  const traceUrl = traceUrlFor(traceUrlTemplate, submission.traceparent);
  return {
    orderId: order.orderId,
    state: 'submitted',
    status: 'running' as const,
    customerId: order.customerId,
    currency: order.currency,
    totalCents: order.totalCents,
    items: order.items,
    traceId: traceIdOf(submission.traceparent) ?? null,
    traceUrl,
    pending: null,
    lastError: null,
    paused: null,
    history: [],
    allowedActions: [],
    links: orderLinks(order.orderId, traceUrl),
  };
}
