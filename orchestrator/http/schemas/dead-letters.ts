/** Dead letters and the operators' audit trail. */
import { Type, type Static } from 'typebox';
import { Limit, Nullable, StringEnum, Timestamp } from './common.ts';
import { OrderIdSchema } from './orders.ts';

/** A stream sequence is a uint64, but past 2^53 a JSON number is not the sequence that was sent. */
const Sequence = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const SequenceParamsSchema = Type.Object({ sequence: Sequence });

export const DeadLetterListQuerySchema = Type.Object(
  { limit: Limit, before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: "the previous page's `nextBefore`" })) },
  { additionalProperties: false },
);

/** `GET /api/dead-letters/:sequence` */
export const DeadLetterSchema = Type.Object({
  sequence: Type.Integer(),
  at: Timestamp(),
  service: Type.String(),
  reason: Type.String(),
  originalSubject: Type.String(),
  originalStream: Type.String(),
  originalSequence: Nullable(Type.Integer()),
  headers: Type.Record(Type.String(), Type.Array(Type.String())),
  payloadBase64: Type.String(),
  decoded: Type.Unknown({ description: 'the payload decoded as the message type of its original subject, when it decodes' }),
  decodeError: Nullable(Type.String()),
});
export type DeadLetter = Static<typeof DeadLetterSchema>;

/** `GET /api/dead-letters` */
export const DeadLetterPageSchema = Type.Object({
  items: Type.Array(DeadLetterSchema),
  waiting: Type.Integer(),
  nextBefore: Nullable(Type.Integer()),
});
export type DeadLetterPage = Static<typeof DeadLetterPageSchema>;

export const RedrivenSchema = Type.Object({ redriven: Type.Integer(), to: Type.String({ description: 'the subject it was published to again' }) });
export const RedrivenAllSchema = Type.Object({ redriven: Type.Array(Type.Integer(), { description: 'the sequences redriven; refused letters stay waiting' }) });
export const DiscardedSchema = Type.Object({ discarded: Type.Integer() });

/** One operator act in `GET /api/audit`. */
export const AuditRecordSchema = Type.Object({
  at: Timestamp(),
  actor: Type.String({ description: 'the name the operator acted under: the `X-Actor` header, else `authenticatedAs`. Claimed, not proven' }),
  authenticatedAs: Type.Optional(Type.String({ description: 'the label of the token the request proved, or `anonymous` where no token is required' })),
  action: Type.String(),
  target: Type.String({ description: '`order:<id>`, `dlq:<sequence>` or `bulk:<id>`' }),
  reason: Type.String(),
  result: StringEnum(['applied', 'refused', 'failed', 'started', 'cancelled']),
  detail: Type.Optional(Type.String()),
});
export type AuditRecord = Static<typeof AuditRecordSchema>;

export const AuditQuerySchema = Type.Object(
  { orderId: Type.Optional(OrderIdSchema), limit: Limit },
  { additionalProperties: false },
);

export const AuditPageSchema = Type.Object({ items: Type.Array(AuditRecordSchema, { description: 'newest first' }) });
