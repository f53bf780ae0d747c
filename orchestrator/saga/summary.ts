/**
 * A saga's summary: what lists, filters, counts and timers need of it, without its history.
 * Pure.
 */
import type { OrderSummary } from '../../api/contract.ts';
import { isFinished } from '../../machines/index.ts';
import type { SagaEntry } from './entry.ts';

/**
 * The API's order summary (api/contract.ts), with times kept as numbers until a response
 * formats them, and the deadline's command id for the timers.
 */
export type SagaSummary = Omit<OrderSummary, 'createdAt' | 'updatedAt' | 'stateEnteredAt' | 'deadline'> & {
  createdAt: number;
  updatedAt: number;
  stateEnteredAt: number;
  deadline: SagaEntry['deadline'];
};

export function stateEnteredAt(entry: SagaEntry): number {
  for (let i = entry.history.length - 1; i >= 0; i--) {
    const row = entry.history[i]!;
    if (row.from !== row.to) return row.at;
  }
  return entry.createdAt;
}

export function summarize(entry: SagaEntry): SagaSummary {
  const context = entry.snapshot.context;
  const pending = context.pending;
  return {
    orderId: entry.orderId,
    customerId: context.customerId,
    state: entry.state,
    status: entry.status,
    totalCents: context.totalCents,
    currency: context.currency,
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
    machineVersion: entry.machineVersion,
    stateEnteredAt: stateEnteredAt(entry),
    pending: pending ? { ...pending, maxAttempts: context.attemptLimits[pending.step] ?? context.maxAttempts } : null,
    retrying: pending !== null && pending.attempt > 1,
    deadline: entry.deadline,
    lastError: context.lastError,
  };
}

/** A saga nothing will move without an operator or a new event: finished, with nothing pending. Such sagas live in the index only. */
export function isSettled(summary: SagaSummary): boolean {
  return isFinished(summary.status) && !summary.pending && !summary.deadline && !summary.retrying;
}
