/**
 * The saga bus, message by message: every subject with its builder and its parser, the headers
 * and message ids a saga message carries, and the one publish that every saga message and dead
 * letter goes through (audit records, with neither ids nor trace, are published by the audit log).
 * Apart from lib/topology.ts, the bus's set-up (streams, consumers, buckets, once at start-up),
 * because this is what every message needs and that is what only start-up needs.
 */
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { Service } from '../machines/index.ts';
import { inject } from './trace.ts';
import type { Context } from '@opentelemetry/api';

/* --- subjects: `saga.<kind>.<id>`, one builder and one parser per kind ---------------------- */

/** Each kind's token, read by the builders and the parser alike so the two cannot drift apart. */
const KIND_TOKENS = { submitted: 'submitted', reply: 'reply', command: 'cmd', deadLetter: 'dlq', audit: 'audit' } as const;
export type SubjectKind = keyof typeof KIND_TOKENS;
/** Kinds whose id is several tokens (their streams take `saga.<kind>.>`); the others take exactly one. */
const MULTI_TOKEN_KINDS: ReadonlySet<SubjectKind> = new Set(['deadLetter', 'audit']);
const KIND_OF_TOKEN = new Map(Object.entries(KIND_TOKENS).map(([kind, token]) => [token as string, kind as SubjectKind]));

const subject = (kind: SubjectKind, id: string) => `saga.${KIND_TOKENS[kind]}.${id}`;

export const SUBJECTS = {
  submitted: (orderId: string) => subject('submitted', orderId),
  submittedAll: subject('submitted', '*'),
  reply: (service: Service) => subject('reply', service),
  replyAll: subject('reply', '*'),
  command: (service: Service) => subject('command', service),
  commandAll: subject('command', '*'),
  deadLetter: (source: string) => subject('deadLetter', source),
  deadLetterAll: subject('deadLetter', '>'),
  audit: (target: string) => subject('audit', target),
  auditAll: subject('audit', '>'),
} as const;

/**
 * A saga subject, read back. Ids are the tokens as published: whether `service` names a service
 * or `orderId` an order is the reader's check (the payload's, for the consumers), not the subject's.
 */
export type SagaSubject =
  | { kind: 'submitted'; orderId: string }
  | { kind: 'reply'; service: string }
  | { kind: 'command'; service: string }
  | { kind: 'deadLetter'; source: string }
  | { kind: 'audit'; target: string };

/**
 * The kind and ids of a subject one can publish on, or null for any other text: another root or
 * kind, a wrong number of tokens, or a token that is empty, a wildcard or holds white space.
 */
export function parseSubject(text: string): SagaSubject | null {
  const tokens = text.split('.');
  if (tokens.some((token) => token === '' || token === '*' || token === '>' || /\s/.test(token))) return null;
  const [root, kindToken = '', ...ids] = tokens;
  const kind = KIND_OF_TOKEN.get(kindToken);
  if (root !== 'saga' || !kind || ids.length === 0 || (ids.length > 1 && !MULTI_TOKEN_KINDS.has(kind))) return null;
  const id = ids.join('.');
  switch (kind) {
    case 'submitted':
      return { kind, orderId: id };
    case 'reply':
    case 'command':
      return { kind, service: id };
    case 'deadLetter':
      return { kind, source: id };
    case 'audit':
      return { kind, target: id };
  }
}

/* --- headers and message ids ------------------------------------------------------------- */

/** Headers a saga message may carry. */
export const HEADERS = {
  /** The order a message moves: consumers handle one order's messages in order by it. */
  orderId: 'Saga-Order-Id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  dlqReason: 'Dlq-Reason',
  dlqSubject: 'Dlq-Original-Subject',
  dlqStream: 'Dlq-Original-Stream',
  dlqSequence: 'Dlq-Original-Sequence',
  dlqService: 'Dlq-Service',
} as const;

/**
 * Every Nats-Msg-Id the system publishes with: deterministic, so a message sent again (a retried
 * submit, an outbox re-published on recovery, a redelivered command's reply) is stored once.
 */
export const MSG_IDS = {
  submission: (orderId: string) => orderId,
  command: (commandId: string) => commandId,
  reply: (commandId: string) => `reply:${commandId}`,
  deadLetter: (stream: string, sequence: number) => `dlq:${stream}:${sequence}`,
  redrive: (stream: string, sequence: number) => `redrive:${stream}:${sequence}`,
} as const;

/** The headers of a saga message: its order, and the trace it continues (a stored W3C traceparent, or a span's context). */
export function sagaHeaders(orderId: string, trace: string | Context): MsgHdrs {
  const h = natsHeaders();
  h.set(HEADERS.orderId, orderId);
  if (typeof trace === 'string') h.set(HEADERS.traceparent, trace);
  else inject(h, trace);
  return h;
}

/* --- messages and the one publish -------------------------------------------------------- */

/** One message as it goes out. */
export interface BusMessage {
  subject: string;
  data: Uint8Array;
  /** JetStream stores one message per id within the stream's duplicate window. */
  msgId: string;
  headers: MsgHdrs;
}

/** The ids a step's messages carry. */
export interface CommandIds {
  orderId: string;
  commandId: string;
}

/** An order's submission; `traceparent`: the order's trace, as the API started it. */
export const submissionMessage = (orderId: string, data: Uint8Array, traceparent: string): BusMessage => ({
  subject: SUBJECTS.submitted(orderId),
  data,
  msgId: MSG_IDS.submission(orderId),
  headers: sagaHeaders(orderId, traceparent),
});

/** A command to `service`, continuing the saga step's span. */
export const commandMessage = (service: Service, ids: CommandIds, data: Uint8Array, trace: Context): BusMessage => ({
  subject: SUBJECTS.command(service),
  data,
  msgId: MSG_IDS.command(ids.commandId),
  headers: sagaHeaders(ids.orderId, trace),
});

/** `service`'s reply to a command, continuing the worker's span. */
export const replyMessage = (service: Service, ids: CommandIds, data: Uint8Array, trace: Context): BusMessage => ({
  subject: SUBJECTS.reply(service),
  data,
  msgId: MSG_IDS.reply(ids.commandId),
  headers: sagaHeaders(ids.orderId, trace),
});

/**
 * Publish and wait for JetStream's acknowledgement, for at most `timeoutMs` (else nats.js'
 * default). A failure is thrown as nats.js throws it; lib/nats-errors.ts tells what it means.
 */
export function publish(js: JetStreamClient, message: BusMessage, timeoutMs?: number): Promise<PubAck> {
  return js.publish(message.subject, message.data, {
    msgID: message.msgId,
    headers: message.headers,
    ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
  });
}
