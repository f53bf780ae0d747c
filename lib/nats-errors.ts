/**
 * NATS' and JetStream's answers, named (modelled on nats.js' jetstream/src/jserrors.ts): a
 * predicate per answer a caller acts on. The rule at every call site: "not there" is a definite
 * answer (a predicate below says so), "cannot tell now" (an outage, a timeout) is thrown on,
 * and never turned into "not found". `unlessMissing` is the one way to turn the first into null.
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { errors as natsErrors } from '@nats-io/nats-core';

/** The server answered with one of these JetStream API error codes (nats.js names the ones used here). */
const answered = (error: unknown, ...codes: number[]): boolean =>
  error instanceof JetStreamApiError && codes.includes(error.code);

/** The server answered: the expected revision was not the last one (a lost compare-and-set). */
export function isCasConflict(error: unknown): boolean {
  return answered(error, JetStreamApiCodes.StreamWrongLastSequence, JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}

/**
 * The server answered: there is no such message (a get by sequence or by subject found nothing),
 * or no stream to hold it. Both answer 404, and a reader finds nothing either way.
 */
export function isMessageNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.NoMessageFound || error.status === 404);
}

/** The server answered: there is no stream of that name. */
export function isStreamNotFound(error: unknown): boolean {
  return answered(error, JetStreamApiCodes.StreamNotFound);
}

/** The server answered: the stream has no consumer of that name. */
export function isConsumerNotFound(error: unknown): boolean {
  return answered(error, JetStreamApiCodes.ConsumerNotFound);
}

/**
 * The request's answer, or null when `notThere` says the server answered "not there"; any other
 * error, an outage above all, is thrown: a caller never mistakes "cannot tell now" for "missing".
 */
export async function unlessMissing<T>(request: Promise<T>, notThere: (error: unknown) => boolean = isMessageNotFound): Promise<T | null> {
  try {
    return await request;
  } catch (error) {
    if (notThere(error)) return null;
    throw error;
  }
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

/** A publish the server answered and stored nothing of: JetStream refused it, or no stream listened. */
export function isPublishRefused(error: unknown): boolean {
  return error instanceof JetStreamApiError || isNoResponders(error);
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
      // JetStreamStatusError is not in nats.js' public exports: known by its name.
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
