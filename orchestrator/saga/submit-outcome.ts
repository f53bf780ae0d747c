/**
 * Storing a submission on a broker that may stall, and saying only what is known (DESIGN rule 8).
 *
 * A publish that got no acknowledgement may still be stored: a paused server reads it from its
 * socket when it resumes, and the client sends what it buffered while disconnected once it
 * reconnects. So a timeout is not a "no". The same message goes out again with the same
 * Nats-Msg-Id: JetStream stores it at most once within the stream's duplicate window (2 min, far
 * beyond the budget here) and acknowledges every copy, so the first acknowledgement settles it.
 * "Not stored" is said only when nothing can have been stored: no attempt left this process (the
 * connection was down or closed) or the server refused every attempt that did.
 */
import type { PubAck } from '@nats-io/jetstream';
import { isNotSent, isPublishRefused } from '../../lib/nats-errors.ts';

export type SubmitOutcome =
  | { kind: 'stored'; duplicate: boolean; attempts: number }
  | { kind: 'notStored'; reason: string }
  | { kind: 'unknown'; reason: string; attempts: number };

export interface SubmitPolicy {
  /** How long one publish waits for its acknowledgement before the same message goes out again. */
  attemptTimeoutMs: number;
  /** How long to keep trying to learn the outcome before answering "unknown". */
  budgetMs: number;
}

/** Well inside an HTTP client's patience (the API answers within about 8 s), a few re-publishes. */
export const SUBMIT_POLICY: SubmitPolicy = { attemptTimeoutMs: 2_000, budgetMs: 8_000 };

const RECHECK_MS = 100;
const MIN_ATTEMPT_MS = 250;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Publish (again and again, the same message) until JetStream acknowledges it, the outcome is
 * certainly "not stored", or the budget runs out ("unknown").
 */
export async function publishUntilKnown(
  publish: (timeoutMs: number) => Promise<PubAck>,
  connected: () => boolean,
  policy: SubmitPolicy = SUBMIT_POLICY,
): Promise<SubmitOutcome> {
  const deadline = performance.now() + policy.budgetMs;
  let maybeSent = false;
  let attempts = 0;
  let reason = 'no acknowledgement from JetStream in time';
  for (let left = policy.budgetMs; left > 0; left = deadline - performance.now()) {
    if (!connected()) {
      if (!maybeSent) return { kind: 'notStored', reason: 'not connected to NATS' };
      reason = 'the connection to NATS was lost after the order was sent';
      await sleep(Math.min(RECHECK_MS, left));
      continue;
    }
    attempts++;
    try {
      const ack = await publish(Math.max(MIN_ATTEMPT_MS, Math.min(policy.attemptTimeoutMs, left)));
      return { kind: 'stored', duplicate: ack.duplicate, attempts };
    } catch (error) {
      const definite = isNotSent(error) || isPublishRefused(error);
      if (definite && !maybeSent) return { kind: 'notStored', reason: (error as Error).message };
      if (!definite) maybeSent = true;
      else await sleep(Math.min(RECHECK_MS, Math.max(0, deadline - performance.now())));
    }
  }
  return { kind: 'unknown', reason, attempts };
}
