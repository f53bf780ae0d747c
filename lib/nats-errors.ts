/**
 * JetStream's answers, named: callers tell "not there" (a definite answer) from "cannot tell
 * now" (an outage, a timeout), which must never be turned into "not found".
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { errors as natsErrors } from '@nats-io/nats-core';

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

/** The error and every cause under it, outermost first. */
function* causes(error: unknown): Generator<Error> {
  for (let cause = error; cause instanceof Error; cause = cause.cause) yield cause;
}

/** No answer in time: the request may have been acted on, or not; nobody can tell from here. */
export function isTimeout(error: unknown): boolean {
  return [...causes(error)].some((cause) => cause instanceof natsErrors.TimeoutError);
}

/** Nobody listened on the subject (JetStream or the stream was not there): the request was not acted on. */
export function isNoResponders(error: unknown): boolean {
  return [...causes(error)].some((cause) => cause instanceof natsErrors.NoRespondersError || cause.name === 'JetStreamNotEnabled');
}

/** The connection was closed or draining when asked: the request was never sent. */
export function isNotSent(error: unknown): boolean {
  return [...causes(error)].some((cause) => cause instanceof natsErrors.ClosedConnectionError || cause instanceof natsErrors.DrainingConnectionError);
}

/**
 * NATS or JetStream cannot answer now (no connection, no answer in time, nobody listening, the
 * connection lost mid-request, JetStream busy or leaderless): "cannot tell now", never "not there".
 */
export function isUnavailable(error: unknown): boolean {
  if (isTimeout(error) || isNoResponders(error) || isNotSent(error)) return true;
  return [...causes(error)].some(
    (cause) =>
      cause instanceof natsErrors.RequestError ||
      cause instanceof natsErrors.ConnectionError ||
      (cause instanceof JetStreamApiError && cause.status >= 500) ||
      (cause.name === 'JetStreamStatusError' && (cause as Error & { code: number }).code >= 408 && !isMessageNotFound(cause)),
  );
}

/**
 * NATS errors that say the server cannot be reached or cannot answer now (a timeout, a lost
 * connection, no responders, a JetStream API error): not the message's fault, so a message that
 * fails with one is retried for as long as the outage lasts and never given up on.
 */
const NATS_FAILURES = new Set([
  'TimeoutError',
  'ConnectionError',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'NoResponders',
  'RequestError',
  'ProtocolError',
  'JetStreamNotEnabled',
  'JetStreamError',
  'JetStreamStatusError',
  'JetStreamApiError',
  'StreamNotFoundError',
  'ConsumerNotFoundError',
  'PermissionViolationError',
  'AuthorizationError',
  'UserAuthenticationExpiredError',
]);
export const isNatsFailure = (error: unknown): boolean => error instanceof Error && NATS_FAILURES.has(error.name);
