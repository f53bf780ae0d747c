/**
 * A saga's summary: what lists, filters, counts and timers need of it, without its history.
 * Pure.
 */
import { isFinished, type PendingCommand, type SagaStatus, type StepFailure } from '../../machines/index.ts';
import type { Hold, SagaEntry } from './entry.ts';

/**
 * A saga's summary as the first line of its KV value stores it (stored-entry.ts) and the index
 * keeps it: its own type, not the API's, so an API change never changes the bytes in the bucket.
 * Times are epoch ms; the HTTP layer formats them (catalog.ts, `summaryView`). Fields are only
 * ever added, optional, so every instance reads what any version wrote.
 */
export interface SagaSummary {
  orderId: string;
  customerId: string;
  state: string;
  status: SagaStatus;
  totalCents: number;
  currency: string;
  createdAt: number;
  updatedAt: number;
  /** When the saga entered its current state (a retry stays in the same state). */
  stateEnteredAt: number;
  machineVersion: string;
  pending: (PendingCommand & { maxAttempts: number }) | null;
  retrying: boolean;
  /** Null while the saga is paused: no instance runs it then. */
  deadline: SagaEntry['deadline'];
  lastError: StepFailure | null;
  /** Set while an operator holds the saga paused. */
  paused?: Hold;
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
    deadline: entry.hold ? null : entry.deadline,
    lastError: context.lastError,
    ...(entry.hold ? { paused: entry.hold } : {}),
  };
}

/** A saga nothing will move without an operator or a new event: finished, with nothing pending. Such sagas live in the index only. */
export function isSettled(summary: SagaSummary): boolean {
  return isFinished(summary.status) && !summary.pending && !summary.deadline && !summary.retrying;
}
