/**
 * Dead letters for operators: list them with their reason, origin, headers and decoded
 * payload; redrive one or all back to their original subject (after the cause is fixed);
 * discard one with a reason. Every redrive and discard is audited.
 */
import type { JetStreamClient, JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { toJson } from '@bufbuild/protobuf';
import { CommandSchema, OrderSubmittedSchema, ReplySchema, codec } from '../../lib/codec.ts';
import { HEADERS, MSG_IDS, parseSubject, publish, SUBJECTS, type SubjectKind } from '../../lib/bus.ts';
import { unlessMissing } from '../../lib/nats-errors.ts';
import { STREAMS } from '../../lib/topology.ts';
import { DLQ_TRUNCATED_HEADER, originalHeaders } from '../../lib/dead-letters.ts';
import { redrivableSubjects } from '../../lib/nats-permissions.ts';
import type { AuditRecord, DeadLetter, DeadLetterPage } from '../../api/contract.ts';
import type { AuditLog } from './audit.ts';

export type { DeadLetter };

/** Who acts, as the audit records it. */
export type Operator = Pick<AuditRecord, 'actor' | 'authenticatedAs'>;

/**
 * The subjects a letter can have come from: the ones the saga streams take, whose consumers
 * check every message. A letter is only a message on `saga.dlq.*` with headers its writer chose;
 * redriven as it says, the orchestrator's own credentials would publish it wherever it points
 * (`$JS.API.STREAM.PURGE.SAGA_EVENTS` purges every submission).
 */
const REDRIVABLE: ReadonlySet<SubjectKind> = new Set(['submitted', 'reply', 'command']);
const REDRIVABLE_FILTERS = [SUBJECTS.submittedAll, SUBJECTS.replyAll, SUBJECTS.commandAll];

/** The subjects a source's letters can name, as text: `saga.submitted.*, saga.reply.inventory…`. */
function describeRedrivable(source: string): string {
  const subjects = redrivableSubjects(source).map(({ kind, service }) =>
    kind === 'submitted' ? SUBJECTS.submittedAll : kind === 'reply' ? SUBJECTS.reply(service!) : SUBJECTS.command(service!),
  );
  return subjects.length > 0 ? subjects.join(', ') : 'none';
}

/**
 * Why a letter must not be published again as it is, or null when it may be. Who wrote a letter
 * is its subject, `saga.dlq.<source>`: each service may publish only on its own
 * (lib/nats-permissions.ts), while its headers say whatever the writer put there. A letter may
 * name only a subject its source consumes: the orchestrator's a submission or a worker's reply,
 * a worker's a command to itself.
 */
export function redriveRefusal(letter: Pick<DeadLetter, 'originalSubject' | 'headers'>, letterSubject: string): string | null {
  const truncated = letter.headers[DLQ_TRUNCATED_HEADER]?.[0];
  if (truncated) return `the letter was cut down to fit the dead-letter stream (${truncated}): it is not the original message, so it cannot be published again`;
  const original = parseSubject(letter.originalSubject);
  if (!original || !REDRIVABLE.has(original.kind)) {
    return `its original subject ${JSON.stringify(letter.originalSubject)} is not one the saga streams take (${REDRIVABLE_FILTERS.join(', ')}): it cannot have come from them, and is not published anywhere`;
  }
  const written = parseSubject(letterSubject);
  if (written?.kind !== 'deadLetter') return `the letter is on ${JSON.stringify(letterSubject)}, not on a dead-letter subject (${SUBJECTS.deadLetterAll})`;
  const source = written.source;
  const claimed = letter.headers[HEADERS.dlqService]?.[0];
  if (claimed !== undefined && claimed !== source) {
    return `the letter says it comes from ${JSON.stringify(claimed)} but was written on ${letterSubject}, by ${JSON.stringify(source)}: a forged letter is not published anywhere`;
  }
  const legitimate = redrivableSubjects(source).some(
    ({ kind, service }) => kind === original.kind && (service === undefined || ('service' in original && original.service === service)),
  );
  if (legitimate) return null;
  return `its original subject ${JSON.stringify(letter.originalSubject)} is not one ${JSON.stringify(source)} consumes (${describeRedrivable(source)}): a letter from ${source} cannot have come from it, and is not published anywhere`;
}

/** A redrive that was refused (and audited as such): the letter stays waiting. */
export class RedriveRefused extends Error {}

/** The letter's payload as JSON, read as the message its original subject carries; or why it cannot be. */
function decode(subject: string, data: Uint8Array): { decoded: unknown; decodeError: string | null } {
  try {
    switch (parseSubject(subject)?.kind) {
      case 'command':
        return { decoded: toJson(CommandSchema, codec.command.decode(data)), decodeError: null };
      case 'reply':
        return { decoded: toJson(ReplySchema, codec.reply.decode(data)), decodeError: null };
      case 'submitted':
        return { decoded: toJson(OrderSubmittedSchema, codec.submission.decode(data)), decodeError: null };
      default:
        return { decoded: null, decodeError: `no message type is known for ${subject}` };
    }
  } catch (error) {
    return { decoded: null, decodeError: (error as Error).message };
  }
}

function view(message: StoredMsg): DeadLetter {
  const header = (name: string) => message.header.get(name) ?? '';
  const headers: Record<string, string[]> = {};
  for (const [key, values] of message.header) headers[key] = values;
  const originalSubject = header(HEADERS.dlqSubject);
  const originalSequence = Number(header(HEADERS.dlqSequence));
  return {
    sequence: message.seq,
    at: message.time.toISOString(),
    service: header(HEADERS.dlqService),
    reason: header(HEADERS.dlqReason),
    originalSubject,
    originalStream: header(HEADERS.dlqStream),
    originalSequence: Number.isFinite(originalSequence) && originalSequence > 0 ? originalSequence : null,
    headers,
    payloadBase64: Buffer.from(message.data).toString('base64'),
    ...decode(originalSubject, message.data),
  };
}

export class DeadLetterDesk {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly audit: AuditLog,
  ) {}

  async waiting(): Promise<number> {
    return (await this.jsm.streams.info(STREAMS.deadLetters)).state.messages;
  }

  /** Newest first, from `before` (a sequence) down. */
  async list(options: { limit: number; before?: number }): Promise<DeadLetterPage> {
    const info = await this.jsm.streams.info(STREAMS.deadLetters);
    const items: DeadLetter[] = [];
    let seq = Math.min(options.before ? options.before - 1 : info.state.last_seq, info.state.last_seq);
    for (; seq >= info.state.first_seq && seq > 0 && items.length < options.limit; seq--) {
      const message = await this.get(seq);
      if (message) items.push(view(message));
    }
    const more = seq >= info.state.first_seq && seq > 0;
    return { items, waiting: info.state.messages, nextBefore: more ? items.at(-1)!.sequence : null };
  }

  async show(sequence: number): Promise<DeadLetter | null> {
    const message = await this.get(sequence);
    return message ? view(message) : null;
  }

  /**
   * Publish it again on its original subject with its original headers, then remove it. A
   * letter that names a subject the saga streams do not take is refused (RedriveRefused).
   */
  async redrive(sequence: number, operator: Operator, reason: string): Promise<DeadLetter | null> {
    const message = await this.get(sequence);
    if (!message) return null;
    const letter = view(message);
    const refusal = redriveRefusal(letter, message.subject);
    if (refusal) {
      await this.audit.record({ ...operator, action: 'dlq.redrive', target: `dlq:${sequence}`, reason, result: 'refused', detail: refusal });
      throw new RedriveRefused(`dead letter ${sequence} cannot be redriven: ${refusal}`);
    }
    // The message id makes a double redrive of the same letter a no-op within the dedup window.
    const msgId = MSG_IDS.redrive(STREAMS.deadLetters, sequence);
    await publish(this.js, { subject: letter.originalSubject, data: message.data, msgId, headers: originalHeaders(message.header) });
    await this.jsm.streams.deleteMessage(STREAMS.deadLetters, sequence);
    await this.audit.record({ ...operator, action: 'dlq.redrive', target: `dlq:${sequence}`, reason, result: 'applied', detail: `to ${letter.originalSubject} (was: ${letter.reason})` });
    return letter;
  }

  /**
   * Redrive the letters waiting when the call began. Only those: a letter whose cause is not
   * fixed comes back under a new sequence, and must not be redriven round and round. A letter
   * that may not be redriven (see `redriveRefusal`) stays waiting, refused on the audit trail.
   */
  async redriveAll(operator: Operator, reason: string): Promise<{ redriven: number[] }> {
    const { first_seq: first, last_seq: last } = (await this.jsm.streams.info(STREAMS.deadLetters)).state;
    const redriven: number[] = [];
    for (let seq = first; seq <= last && seq > 0; seq++) {
      try {
        if (await this.redrive(seq, operator, reason)) redriven.push(seq);
      } catch (error) {
        if (!(error instanceof RedriveRefused)) throw error;
      }
    }
    return { redriven };
  }

  async discard(sequence: number, operator: Operator, reason: string): Promise<DeadLetter | null> {
    const message = await this.get(sequence);
    if (!message) return null;
    const letter = view(message);
    await this.jsm.streams.deleteMessage(STREAMS.deadLetters, sequence);
    await this.audit.record({ ...operator, action: 'dlq.discard', target: `dlq:${sequence}`, reason, result: 'applied', detail: `${letter.originalSubject}: ${letter.reason}` });
    return letter;
  }

  /** `null` only when there is no such letter; an outage is thrown (the API answers 503, never 404). */
  private get(seq: number): Promise<StoredMsg | null> {
    return unlessMissing(this.jsm.streams.getMessage(STREAMS.deadLetters, { seq }));
  }
}
