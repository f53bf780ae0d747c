/**
 * The bus module: every subject its builder makes is read back by the parser as the same kind
 * and ids, anything else is refused; every saga message carries its order, its deterministic
 * message id and its trace; the one publish passes them to JetStream as they are.
 */
import { describe, expect, it } from 'vitest';
import type { JetStreamClient, JetStreamPublishOptions } from '@nats-io/jetstream';
import { commandMessage, HEADERS, MSG_IDS, parseSubject, publish, replyMessage, sagaHeaders, submissionMessage, SUBJECTS } from '../../lib/bus.ts';
import { extractTraceparent, startTelemetry } from '../../lib/telemetry.ts';
import { SERVICES } from '../../machines/index.ts';

// The propagator a service installs at start: what writes a span's context into headers.
void startTelemetry('bus-test', { otelEndpoint: undefined, instanceId: 'test', traceSampleRatio: 1 });

const ORDER = 'ord_0123456789abcdefghjkmnpqrs';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const ids = { orderId: ORDER, commandId: `${ORDER}:chargePayment:2` };
const data = new Uint8Array([1, 2, 3]);

describe('subjects', () => {
  it('parses what each builder makes back into its kind and ids', () => {
    expect(parseSubject(SUBJECTS.submitted(ORDER))).toEqual({ kind: 'submitted', orderId: ORDER });
    for (const service of SERVICES) {
      expect(parseSubject(SUBJECTS.reply(service))).toEqual({ kind: 'reply', service });
      expect(parseSubject(SUBJECTS.command(service))).toEqual({ kind: 'command', service });
    }
    expect(parseSubject(SUBJECTS.deadLetter('orchestrator'))).toEqual({ kind: 'deadLetter', source: 'orchestrator' });
    expect(parseSubject(SUBJECTS.audit(`order.${ORDER}`))).toEqual({ kind: 'audit', target: `order.${ORDER}` });
    expect(parseSubject(SUBJECTS.audit('dlq'))).toEqual({ kind: 'audit', target: 'dlq' });
  });

  it('keeps the token as published: whether it names a service or an order is the reader’s check', () => {
    expect(parseSubject('saga.reply.bogus')).toEqual({ kind: 'reply', service: 'bogus' });
    expect(parseSubject('saga.submitted.x1')).toEqual({ kind: 'submitted', orderId: 'x1' });
  });

  it.each([
    ['a wildcard filter', SUBJECTS.submittedAll],
    ['a wildcard filter', SUBJECTS.commandAll],
    ['a wildcard filter', SUBJECTS.deadLetterAll],
    ['a trailing wildcard', 'saga.cmd.>'],
    ['no id', 'saga.submitted'],
    ['two ids for a one-token kind', 'saga.cmd.payment.extra'],
    ['an empty token', 'saga..payment'],
    ['white space in a token', 'saga.cmd.pay ment'],
    ['an unknown kind', 'saga.bogus.payment'],
    ['another root', 'orders.cmd.payment'],
    ['a JetStream API subject', '$JS.API.STREAM.PURGE.SAGA_EVENTS'],
    ['nothing', ''],
  ])('refuses %s: %j', (_what, subject) => {
    expect(parseSubject(subject)).toBeNull();
  });
});

describe('saga messages', () => {
  it('gives each kind its subject, its deterministic message id and its order header', () => {
    const submission = submissionMessage(ORDER, data, TRACEPARENT);
    expect(submission).toMatchObject({ subject: SUBJECTS.submitted(ORDER), msgId: ORDER, data });
    const command = commandMessage('payment', ids, data, extractTraceparent(TRACEPARENT));
    expect(command).toMatchObject({ subject: SUBJECTS.command('payment'), msgId: ids.commandId });
    const reply = replyMessage('payment', ids, data, extractTraceparent(TRACEPARENT));
    expect(reply).toMatchObject({ subject: SUBJECTS.reply('payment'), msgId: `reply:${ids.commandId}` });
    for (const message of [submission, command, reply]) expect(message.headers.get(HEADERS.orderId)).toBe(ORDER);
  });

  it('carries the trace: a stored traceparent as it is, a span’s context as the propagator writes it', () => {
    expect(sagaHeaders(ORDER, TRACEPARENT).get(HEADERS.traceparent)).toBe(TRACEPARENT);
    expect(sagaHeaders(ORDER, extractTraceparent(TRACEPARENT)).get(HEADERS.traceparent)).toBe(TRACEPARENT);
  });

  it('names every message id the system publishes with', () => {
    expect(MSG_IDS.deadLetter('SAGA_EVENTS', 42)).toBe('dlq:SAGA_EVENTS:42');
    expect(MSG_IDS.redrive('SAGA_DLQ', 7)).toBe('redrive:SAGA_DLQ:7');
  });

  it('publishes with the message id and headers, and a timeout only when asked', async () => {
    const calls: { subject: string; payload: unknown; options?: Partial<JetStreamPublishOptions> }[] = [];
    const js = {
      publish: async (subject: string, payload: unknown, options?: Partial<JetStreamPublishOptions>) => {
        calls.push({ subject, payload, options });
        return { stream: 'SAGA_EVENTS', seq: 1, duplicate: false, domain: '' };
      },
    } as unknown as JetStreamClient;
    const message = submissionMessage(ORDER, data, TRACEPARENT);
    await publish(js, message);
    await publish(js, message, 1_500);
    expect(calls[0]).toEqual({ subject: message.subject, payload: data, options: { msgID: ORDER, headers: message.headers } });
    expect(calls[1]?.options).toEqual({ msgID: ORDER, headers: message.headers, timeout: 1_500 });
  });
});
