/**
 * The named NATS and JetStream answers, against the error classes nats.js itself throws: "not
 * there" is told only from the server's definite answer, and `unlessMissing` turns only that into
 * null; a timeout, a lost connection or any other answer is thrown.
 */
import { describe, expect, it } from 'vitest';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { jserrors } from '@nats-io/jetstream/internal';
import { errors as natsErrors } from '@nats-io/nats-core';
import {
  isCasConflict,
  isConsumerNotFound,
  isMessageNotFound,
  isPublishRefused,
  isStreamNotFound,
  isUnavailable,
  unlessMissing,
} from '../../lib/nats-errors.ts';

/** An API error as nats.js builds it from the server's JSON answer. */
const apiError = (err_code: number, code: number, description = 'answer') => new JetStreamApiError({ err_code, code, description });

const casConflict = apiError(JetStreamApiCodes.StreamWrongLastSequence, 400, 'wrong last sequence: 4');
const noMessage = apiError(JetStreamApiCodes.NoMessageFound, 404, 'no message found');
const noStream = new jserrors.StreamNotFoundError({ err_code: JetStreamApiCodes.StreamNotFound, code: 404, description: 'stream not found' });
const noConsumer = new jserrors.ConsumerNotFoundError({ err_code: JetStreamApiCodes.ConsumerNotFound, code: 404, description: 'consumer not found' });
const leaderless = apiError(10008, 503, 'JetStream system temporarily unavailable');
const timeout = new natsErrors.TimeoutError();
const closed = new natsErrors.ClosedConnectionError();
const noResponders = new natsErrors.NoRespondersError('$JS.API.STREAM.INFO.X');

describe('JetStream answers', () => {
  it.each([
    ['a lost compare-and-set', casConflict, isCasConflict],
    ['a lost create-if-absent', apiError(JetStreamApiCodes.StreamWrongLastSequenceUnknown, 400), isCasConflict],
    ['no such message', noMessage, isMessageNotFound],
    ['no such stream', noStream, isStreamNotFound],
    ['no such consumer', noConsumer, isConsumerNotFound],
  ])('names %s', (_what, error, predicate) => {
    expect(predicate(error)).toBe(true);
  });

  it('tells one "not there" from another: a missing stream is not a missing consumer, nor a conflict', () => {
    expect(isConsumerNotFound(noStream)).toBe(false);
    expect(isStreamNotFound(noConsumer)).toBe(false);
    expect(isCasConflict(noMessage)).toBe(false);
  });

  it('never takes "cannot tell now" for "not there"', () => {
    for (const error of [timeout, closed, noResponders, leaderless, new Error('boom')]) {
      for (const notThere of [isMessageNotFound, isStreamNotFound, isConsumerNotFound, isCasConflict]) expect(notThere(error)).toBe(false);
    }
    for (const error of [timeout, closed, noResponders, leaderless]) expect(isUnavailable(error)).toBe(true);
    expect(isUnavailable(noMessage)).toBe(false);
  });

  it('says a publish stored nothing only when the server answered so', () => {
    expect(isPublishRefused(casConflict)).toBe(true);
    expect(isPublishRefused(noResponders)).toBe(true);
    expect(isPublishRefused(timeout)).toBe(false);
  });
});

describe('unlessMissing', () => {
  it('answers the value, or null for the server\'s "not there"', async () => {
    expect(await unlessMissing(Promise.resolve('info'))).toBe('info');
    expect(await unlessMissing(Promise.reject(noMessage))).toBeNull();
    expect(await unlessMissing(Promise.reject(noStream), isStreamNotFound)).toBeNull();
  });

  it('throws every other answer: an outage, or another "not there" than the one asked about', async () => {
    await expect(unlessMissing(Promise.reject(timeout), isStreamNotFound)).rejects.toBe(timeout);
    await expect(unlessMissing(Promise.reject(closed))).rejects.toBe(closed);
    await expect(unlessMissing(Promise.reject(noStream), isConsumerNotFound)).rejects.toBe(noStream);
  });
});
