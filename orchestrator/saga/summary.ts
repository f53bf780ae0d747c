/**
 * A saga's summary: what lists, filters, counts and timers need of it, without its history.
 * Pure.
 */
import type { SagaStatus, StepFailure } from '../../machines/index.ts';
import type { SagaEntry } from './entry.ts';

export interface SagaSummary {
  orderId: string;
  customerId: string;
  state: string;
  status: SagaStatus;
  totalCents: number;
  currency: string;
  createdAt: number;
  updatedAt: number;
  machineVersion: string;
  /** When the saga entered its current state (a retry stays in the same state). */
  stateEnteredAt: number;
  /** The step the saga waits on: attempt N of M. */
  pending: { step: string; attempt: number; maxAttempts: number; commandId: string } | null;
  /** Running, but the pending step already failed or timed out at least once. */
  retrying: boolean;
  deadline: SagaEntry['deadline'];
  lastError: StepFailure | null;
}

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
