/** Bulk jobs: retry, compensate, pause or resume every saga matching a filter, in the background. */
import { Type, type Static } from 'typebox';
import { StringEnum, Nullable, Timestamp } from './common.ts';
import { SagaFilterSchema } from './orders.ts';

export const BulkActionSchema = StringEnum(['retry', 'compensate', 'pause', 'resume']);
export type BulkAction = Static<typeof BulkActionSchema>;

export const BulkStartBodySchema = Type.Object(
  {
    action: BulkActionSchema,
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
    dryRun: Type.Boolean({ default: false, description: 'only count and sample the sagas the filter matches' }),
    filter: SagaFilterSchema,
  },
  { additionalProperties: false },
);

export const BulkIdempotencyHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'the same key answers the same job' })),
});

export const BulkIdParamsSchema = Type.Object({ id: Type.String({ pattern: '^bulk_[0-9a-f]{20}$' }) });

export const BulkResultSchema = Type.Object({
  orderId: Type.String(),
  result: StringEnum(['applied', 'refused', 'failed']),
  detail: Type.String(),
});
export type BulkResult = Static<typeof BulkResultSchema>;

/** `POST /api/bulk` with `dryRun: true`: how many sagas the action would cover. */
export const BulkDryRunSchema = Type.Object({
  matched: Type.Integer(),
  sample: Type.Array(Type.String(), { description: 'the first 20 matching order ids' }),
});
export type BulkDryRun = Static<typeof BulkDryRunSchema>;

/** `GET /api/bulk/:id` */
export const BulkJobSchema = Type.Object({
  id: Type.String(),
  action: BulkActionSchema,
  filter: SagaFilterSchema,
  reason: Type.String(),
  actor: Type.String(),
  authenticatedAs: Type.Optional(Type.String({ description: 'the label of the token that started the job (`anonymous` where none is required)' })),
  state: StringEnum(['running', 'completed', 'cancelled', 'failed']),
  total: Type.Integer(),
  done: Type.Integer(),
  applied: Type.Integer(),
  refused: Type.Integer(),
  failed: Type.Integer(),
  startedAt: Timestamp(),
  finishedAt: Nullable(Timestamp()),
  results: Type.Array(BulkResultSchema, { description: 'the last results (the counts are complete; every action is also in the audit trail)' }),
  owner: Type.String({ description: 'the instance running the job now (another one takes it over when its lease lapses)' }),
  heartbeatAt: Type.Integer({ description: "the owner's wall clock at its last heartbeat (ms): for people only, no instance decides by it" }),
  cancelledBy: Type.Optional(Type.Object({ actor: Type.String(), authenticatedAs: Type.Optional(Type.String()), reason: Type.String() })),
  failure: Type.Optional(Type.String({ description: 'why a `failed` job stopped' })),
});
export type BulkJob = Static<typeof BulkJobSchema>;

export const BulkJobListSchema = Type.Object({ items: Type.Array(BulkJobSchema) });
