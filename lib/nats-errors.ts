/**
 * JetStream's answers, named: callers tell "not there" (a definite answer) from "cannot tell
 * now" (an outage, a timeout), which must never be turned into "not found".
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

/** The server answered: the expected revision was not the last one (a lost compare-and-set). */
export function isCasConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** The server answered: there is no such message (a get by sequence or by subject found nothing). */
export function isMessageNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.NoMessageFound || error.status === 404);
}
