/**
 * Taking an order in: its total, the hash that tells a retried request from another one, the
 * Idempotency-Key's order if it exists, and storing the submission. Says what is known
 * (DESIGN rule 8); the HTTP layer says it to the client.
 */
import { createHash } from 'node:crypto';
import { isUnavailable } from '../../lib/nats-errors.ts';
import type { LineItem } from '../../machines/index.ts';
import type { SagaEntry, Submission } from './entry.ts';
import type { SagaRuntime } from './runtime.ts';

export interface OrderRequest {
  customerId: string;
  items: LineItem[];
  currency?: string;
}

/** An order that exists: its saga, or its stored submission whose saga has not started yet. */
export type StoredOrder = { kind: 'saga'; entry: SagaEntry } | { kind: 'submitted'; submission: Submission };

export type IntakeResult =
  /** Stored now: a new order. */
  | { kind: 'accepted' }
  /** The Idempotency-Key's order, stored by an earlier request with the same body. */
  | { kind: 'existing'; order: StoredOrder }
  /** The Idempotency-Key's order was stored for a different body. */
  | { kind: 'keyReused' }
  | { kind: 'totalTooLarge' }
  /** Whether the Idempotency-Key's order exists cannot be told now: nothing was sent. */
  | { kind: 'keyUncheckable'; error: unknown }
  /** This request certainly stored nothing. */
  | { kind: 'notStored'; reason: string }
  /** JetStream did not confirm in time: the order may have been stored. */
  | { kind: 'unknown'; reason: string; attempts: number }
  /** Stored under the Idempotency-Key's order id, but it could not be read back to check it is this request's. */
  | { kind: 'unconfirmed'; error: unknown };

/** The same order in any spelling hashes the same: currency defaulted, item fields in one order. */
export function requestHashOf(order: OrderRequest): string {
  const canonical = JSON.stringify({
    customerId: order.customerId,
    currency: order.currency ?? 'USD',
    items: order.items.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents })),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

const requestHashOfStored = (order: StoredOrder) => (order.kind === 'saga' ? order.entry.requestHash : order.submission.requestHash);

/** The order by its id: the saga first, else its submission (null: neither exists; an outage throws). */
export async function findOrder(runtime: SagaRuntime, orderId: string): Promise<StoredOrder | null> {
  const stored = await runtime.read(orderId);
  if (stored) return { kind: 'saga', entry: stored.entry };
  const submission = await runtime.findSubmission(orderId);
  return submission ? { kind: 'submitted', submission } : null;
}

/** An Idempotency-Key's order: it exists once its submission is stored, so a new key costs that one lookup. */
async function orderOfKey(runtime: SagaRuntime, orderId: string): Promise<StoredOrder | null> {
  const submission = await runtime.findSubmission(orderId);
  if (!submission) return null;
  const stored = await runtime.read(orderId);
  return stored ? { kind: 'saga', entry: stored.entry } : { kind: 'submitted', submission };
}

/**
 * Take one order in under `orderId` (minted from the Idempotency-Key when there is one).
 * `traceparent`: the request's, the root of everything the order does.
 */
export async function takeOrder(
  runtime: SagaRuntime,
  request: { orderId: string; order: OrderRequest; idempotencyKey?: string; traceparent: string },
): Promise<IntakeResult> {
  const { orderId, order, idempotencyKey, traceparent } = request;
  const totalCents = order.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
  if (!Number.isSafeInteger(totalCents)) return { kind: 'totalTooLarge' };
  const requestHash = requestHashOf(order);
  const sameKey = async (): Promise<IntakeResult | null> => {
    const existing = await orderOfKey(runtime, orderId);
    if (!existing) return null;
    return requestHashOfStored(existing) === requestHash ? { kind: 'existing', order: existing } : { kind: 'keyReused' };
  };

  if (idempotencyKey) {
    try {
      const known = await sameKey();
      if (known) return known;
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      return { kind: 'keyUncheckable', error };
    }
  }

  const submission: Submission = {
    order: { orderId, customerId: order.customerId, currency: order.currency ?? 'USD', items: order.items, totalCents },
    traceparent,
    ...(idempotencyKey ? { idempotencyKey } : {}),
    requestHash,
  };
  const outcome = await runtime.submit(submission);
  if (outcome.kind === 'notStored') return { kind: 'notStored', reason: outcome.reason };
  if (outcome.kind === 'unknown') return { kind: 'unknown', reason: outcome.reason, attempts: outcome.attempts };
  // With a key, a concurrent request with the same key may have won the race: its order stands
  // (keyReused if its body differs). Without one the id is ours alone, so a duplicate is our
  // own earlier attempt that JetStream stored before it answered.
  if (outcome.duplicate && idempotencyKey) {
    try {
      const known = await sameKey();
      if (known) return known;
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      return { kind: 'unconfirmed', error };
    }
  }
  return { kind: 'accepted' };
}
