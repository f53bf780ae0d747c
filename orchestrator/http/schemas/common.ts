/**
 * What every route's schema shares: problem bodies, nullability, the reason operators give.
 * Response objects leave `additionalProperties` unset: the serializer writes exactly the
 * properties listed, and clients may expect new ones later. Problems and free-form parts
 * (a saga's context, an event payload) set it to true, so every member reaches the client.
 */
import { Type, type Static, type TSchema } from 'typebox';

/** `T` or null as one type list (`type: [T, 'null']`): the serializer tells them apart by type, with no per-value validation as for an anyOf. */
export const Nullable = <T extends TSchema & { type: string }>(schema: T) => Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });

/** One of `values` (a vocabulary array from machines/) as a plain string enum: `{ type: 'string', enum }`. */
export const StringEnum = <const T extends string>(values: readonly T[], options: { description?: string } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

/** Any JSON object, kept whole: a shape another module owns (`T`), described here in words. */
export const FreeObject = <T>(description: string) => Type.Unsafe<T>({ type: 'object', additionalProperties: true, description });

/** An ISO-8601 time as the API writes it. */
export const Timestamp = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) });

export const FieldProblemSchema = Type.Object({
  field: Type.String({ description: 'where: `customerId`, `items[0].quantity`, `query.limit`, `headers.idempotency-key`, `url`…' }),
  message: Type.String(),
});
export type FieldProblem = Static<typeof FieldProblemSchema>;

/** RFC 9457 problem details; extension members (`errors`, `retryable`, `outcome`, `orderId`…) pass through. */
const ProblemObject = Type.Object(
  {
    type: Type.String({ description: 'always `about:blank`: the status says what kind of problem it is' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'what happened and what to do, for a person' }),
    errors: Type.Optional(Type.Array(FieldProblemSchema, { description: 'bad input: every field at fault' })),
    retryable: Type.Optional(Type.Boolean({ description: 'the same request may succeed later (see Retry-After)' })),
    outcome: Type.Optional(Type.String({ description: '`unknown` when a write may have taken effect: read before retrying' })),
  },
  { additionalProperties: true },
);
export type Problem = Static<typeof ProblemObject> & { [extension: string]: unknown };
export const ProblemSchema = Type.Unsafe<Problem>(ProblemObject);

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: `errors` names every field at fault',
  401: 'A token is needed (READ_TOKEN or OPS_TOKEN set), or the one given is not valid',
  403: 'The token may read but not act, or acting is disabled',
  404: 'Not found',
  409: 'Not allowed in the current state: `detail` says why',
  413: 'The body is larger than the server takes',
  415: 'The body is not JSON',
  422: 'The Idempotency-Key was used with a different request',
  503: 'NATS JetStream does not answer: nothing was changed, retry after Retry-After',
  504: 'NATS JetStream did not answer in time: whether a write took effect is unknown, read before retrying',
};

interface ProblemResponse {
  description: string;
  content: { 'application/problem+json': { schema: typeof ProblemSchema } };
}

/** Response schemas for the problem statuses a route can answer, as `application/problem+json`. */
export function problems<const S extends number>(...statuses: S[]): { [K in S]: ProblemResponse } {
  const entry = (status: number): ProblemResponse => ({
    description: PROBLEM_DESCRIPTIONS[status] ?? 'Problem',
    content: { 'application/problem+json': { schema: ProblemSchema } },
  });
  return Object.fromEntries(statuses.map((status) => [status, entry(status)])) as { [K in S]: ProblemResponse };
}

/** What an operator gives for every act: it goes into the saga's history and the audit trail. */
export const ReasonBodySchema = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 1000, description: 'why: recorded in the history and the audit trail' }) },
  { additionalProperties: false },
);
export type ReasonBody = Static<typeof ReasonBodySchema>;

/** A success response with its meaning for the document: `schema` as it is, described. */
export const answer = <T extends TSchema>(description: string, schema: T): T => ({ ...schema, description });

/** Page sizes of the lists. */
export const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 50 });
