import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { HEADERS, SUBJECTS } from './topology.ts';

const MAX_REASON = 1000;

/**
 * A reason as one header value: a reason may quote what a hostile sender put in a field, and a
 * header value with a line break would make the publish itself throw, so the letter could never
 * be written. Anything outside printable ASCII is escaped.
 */
export function headerSafeReason(reason: string): string {
  const escaped = reason.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > MAX_REASON ? `${escaped.slice(0, MAX_REASON - 3)}...` : escaped || 'no reason given';
}

/**
 * Park a message no handler can act on in the dead-letter stream, with the reason and where
 * it came from, then terminate it so it never blocks its queue again. The original payload
 * and headers are kept byte for byte so an operator can redrive it.
 */
export async function deadLetter(js: JetStreamClient, msg: JsMsg, service: string, reason: string): Promise<void> {
  const h = natsHeaders();
  for (const [key, values] of msg.headers ?? []) {
    if (key === 'Nats-Msg-Id') continue;
    for (const value of values) h.append(key, value);
  }
  h.set(HEADERS.dlqReason, headerSafeReason(reason));
  h.set(HEADERS.dlqSubject, msg.subject);
  h.set(HEADERS.dlqStream, msg.info.stream);
  h.set(HEADERS.dlqSequence, String(msg.seq));
  h.set(HEADERS.dlqService, service);
  await js.publish(SUBJECTS.deadLetter(service), msg.data, {
    headers: h,
    msgID: `dlq:${msg.info.stream}:${msg.seq}`,
  });
  // No reason on the TERM: servers before 2.10.4 ignore a "+TERM <reason>" ack entirely and
  // would deliver the message again and again. The reason travels in the Dlq-Reason header.
  msg.term();
}
