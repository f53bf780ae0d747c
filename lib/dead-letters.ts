/**
 * Dead letters: a message no handler can act on, parked in SAGA_DLQ with the reason and where it
 * came from, and (`originalHeaders`) the way back to the message as it was.
 */
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { HEADERS, MSG_IDS, publish, SUBJECTS } from './bus.ts';

const MAX_REASON = 1000;

/** Set on a letter that could not carry its original whole: what was left out, and why. */
export const DLQ_TRUNCATED_HEADER = 'Dlq-Truncated';

/** The headers a letter adds to its original's (Dlq-Truncated aside: a cut letter is never sent again). */
const LETTER_HEADERS: ReadonlySet<string> = new Set([HEADERS.dlqReason, HEADERS.dlqSubject, HEADERS.dlqStream, HEADERS.dlqSequence, HEADERS.dlqService]);

/** A letter's headers without those `deadLetter` added: the original message's, to publish it again. */
export function originalHeaders(letter: MsgHdrs): MsgHdrs {
  const h = natsHeaders();
  for (const [key, values] of letter) {
    if (LETTER_HEADERS.has(key)) continue;
    for (const value of values) h.append(key, value);
  }
  return h;
}

/**
 * Room a letter leaves under the server's limits for what the client adds (its Nats-Msg-Id,
 * the header block's framing): a letter that does not fit can never be published.
 */
const HEADROOM_BYTES = 512;
/** JetStream refuses a message whose headers exceed 64 KiB, whatever its payload. */
const MAX_HEADER_BYTES = 64 * 1024;
/** Room for the Dlq-Truncated header itself. */
const DLQ_HEADER_ROOM = 256;

/**
 * A reason as one header value: a reason may quote what a hostile sender put in a field, and a
 * header value with a line break would make the publish itself throw, so the letter could never
 * be written. Anything outside printable ASCII is escaped.
 */
export function headerSafeReason(reason: string): string {
  const escaped = reason.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > MAX_REASON ? `${escaped.slice(0, MAX_REASON - 3)}...` : escaped || 'no reason given';
}

/** The bytes headers take on the wire ("Key: value\r\n" each). */
function headerBytes(h: MsgHdrs): number {
  let size = 0;
  for (const [key, values] of h) for (const value of values) size += Buffer.byteLength(key) + Buffer.byteLength(value) + 4;
  return size;
}

/** The largest message the server takes; the client keeps its connection as `nc` (JetStreamClientImpl). */
function maxPayloadOf(js: JetStreamClient): number | undefined {
  return (js as unknown as { nc?: NatsConnection }).nc?.info?.max_payload;
}

/**
 * Park a message no handler can act on in the dead-letter stream, with the reason and where
 * it came from, then terminate it so it never blocks its queue again. The original payload
 * and headers are kept byte for byte so an operator can redrive it, when they fit in one
 * message with the letter's own headers. When they do not (a message near the server's
 * max_payload, or huge hostile headers), the letter keeps the reason, the original's stream and
 * sequence, and as much of the payload as fits, and says so in Dlq-Truncated: a letter that
 * cannot be published would leave its message redelivered forever.
 */
export async function deadLetter(js: JetStreamClient, msg: JsMsg, service: string, reason: string): Promise<void> {
  const own = natsHeaders();
  own.set(HEADERS.dlqReason, headerSafeReason(reason));
  own.set(HEADERS.dlqSubject, msg.subject);
  own.set(HEADERS.dlqStream, msg.info.stream);
  own.set(HEADERS.dlqSequence, String(msg.seq));
  own.set(HEADERS.dlqService, service);

  const whole = natsHeaders();
  for (const [key, values] of msg.headers ?? []) {
    if (key === 'Nats-Msg-Id') continue;
    for (const value of values) whole.append(key, value);
  }
  for (const [key, values] of own) for (const value of values) whole.set(key, value);

  const room = (maxPayloadOf(js) ?? Infinity) - HEADROOM_BYTES;
  const headersFit = headerBytes(whole) + DLQ_HEADER_ROOM <= MAX_HEADER_BYTES - HEADROOM_BYTES;
  const h = headersFit ? whole : own;
  let data = msg.data;
  if (!headersFit || headerBytes(h) + data.length + DLQ_HEADER_ROOM > room) {
    data = data.subarray(0, Math.max(0, room - headerBytes(h) - DLQ_HEADER_ROOM));
    const headersLeftOut = headersFit ? '' : `; its ${headerBytes(whole) - headerBytes(own)} bytes of headers are left out`;
    h.set(DLQ_TRUNCATED_HEADER, `payload cut to ${data.length} of ${msg.data.length} bytes${headersLeftOut}: too large for one letter (the original is in ${msg.info.stream} at ${msg.seq})`);
  }
  await publish(js, { subject: SUBJECTS.deadLetter(service), data, msgId: MSG_IDS.deadLetter(msg.info.stream, msg.seq), headers: h });
  // No reason on the TERM: servers before 2.10.4 ignore a "+TERM <reason>" ack entirely and
  // would deliver the message again and again. The reason travels in the Dlq-Reason header.
  msg.term();
}
