/** The orders' JSON: submitting, reading, listing, operator actions and replay. */
import { Type, type Static } from 'typebox';
import { LIMITS } from '../../../lib/codec.ts';
import { ORDER_ID_PATTERN } from '../../../lib/order-id.ts';
import type { SagaContext, SagaEvent } from '../../../machines/index.ts';
import { INCIDENT_KEY_PATTERN } from '../../saga/incident.ts';
import { FreeObject, Limit, Nullable, StringEnum, Timestamp } from './common.ts';
import { FAILURE_KINDS, OPERATOR_ACTIONS, SAGA_ACTIONS, SAGA_STATUSES, SERVICES, STEP_NAMES } from './vocabulary.ts';

/** A command a saga waits on, or would send (machines/order-saga/next.ts). */
const PlannedCommandSchema = Type.Object({
  step: StringEnum(STEP_NAMES),
  service: StringEnum(SERVICES),
  attempt: Type.Integer({ minimum: 1 }),
  undo: Type.Boolean({ description: 'the command undoes an earlier step' }),
});

/** What the saga waits for, and what each action it allows would set off: read from its machine. */
function NextStepsSchema() {
  return Type.Object(
    {
      waitingFor: Nullable(Type.Object({ ...PlannedCommandSchema.properties, maxAttempts: Type.Integer({ minimum: 1 }) })),
      says: Type.String({ description: 'what the saga waits for, in words' }),
      plans: Type.Array(
        Type.Object({
          action: StringEnum(OPERATOR_ACTIONS),
          commands: Type.Array(PlannedCommandSchema, { description: 'the commands it sends, in order, if each succeeds' }),
          ends: StringEnum(SAGA_STATUSES),
          says: Type.String({ description: 'the same in words' }),
        }),
      ),
    },
    { description: 'what happens next (for a saga that has started)' },
  );
}

/** Visible ASCII, no spaces: what a KV key, a subject token and a log line all take as it is. */
const PRINTABLE = '^[\\x21-\\x7e]+$';

export const OrderIdSchema = Type.String({ pattern: ORDER_ID_PATTERN, description: '`ord_` and 26 base32 characters' });
export const OrderIdParamsSchema = Type.Object({ orderId: OrderIdSchema });
export type OrderIdParams = Static<typeof OrderIdParamsSchema>;

export const SagaStatusSchema = StringEnum(SAGA_STATUSES, { description: 'the order as users see it; `stuck` waits for an operator' });

export const LineItemSchema = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: LIMITS.sku, pattern: PRINTABLE }),
    quantity: Type.Integer({ minimum: 1, maximum: LIMITS.quantity }),
    unitPriceCents: Type.Integer({ minimum: 0, maximum: Number(LIMITS.unitPriceCents) }),
  },
  { additionalProperties: false },
);
export type LineItem = Static<typeof LineItemSchema>;

export const SubmitOrderBodySchema = Type.Object(
  {
    customerId: Type.String({ minLength: 1, maxLength: LIMITS.customerId, pattern: PRINTABLE }),
    items: Type.Array(LineItemSchema, { minItems: 1, maxItems: LIMITS.items }),
    currency: Type.Optional(StringEnum(['USD'])),
  },
  { additionalProperties: false },
);
export type SubmitOrderBody = Static<typeof SubmitOrderBodySchema>;

export const IdempotencyKeyHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: LIMITS.idempotencyKey,
      pattern: PRINTABLE,
      description: 'the same key always names the same order: a retried POST never orders twice',
    }),
  ),
});

export const OrderLinksSchema = Type.Object({
  self: Type.String(),
  ui: Type.String({ description: "the order's page in the inspector UI" }),
  trace: Type.Optional(Type.String({ description: "the order's trace (TRACE_URL_TEMPLATE)" })),
});

/** `POST /api/orders` when the order is stored: `202`. */
export const OrderAcceptedSchema = Type.Object({
  orderId: Type.String(),
  state: Type.String(),
  status: SagaStatusSchema,
  links: OrderLinksSchema,
});
export type OrderAccepted = Static<typeof OrderAcceptedSchema>;

/**
 * `POST /api/orders` when it was not answered with 202: `503` with `outcome: "notAccepted"` (this
 * request stored nothing: retry later), or `504` with `outcome: "unknown"` (it may have been
 * stored: look it up at `links.self`, or retry with the same Idempotency-Key; never submit it
 * again without one). Both name the order and come with `Retry-After`.
 */
export const SubmitProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Unsafe<503 | 504>({ type: 'integer', enum: [503, 504] }),
  detail: Type.String(),
  outcome: StringEnum(['notAccepted', 'unknown']),
  orderId: Type.String(),
  retryable: Type.Literal(true),
  links: Type.Object({ self: Type.String() }),
});
export type SubmitProblem = Static<typeof SubmitProblemSchema>;

export const StepFailureSchema = Type.Object({
  step: StringEnum(STEP_NAMES),
  attempt: Type.Integer(),
  kind: StringEnum(FAILURE_KINDS),
  message: Type.String(),
});

const PendingProperties = {
  step: StringEnum(STEP_NAMES),
  attempt: Type.Integer({ minimum: 1 }),
  maxAttempts: Type.Integer({ description: 'the attempt after which a failure parks the saga in `stuck`' }),
  commandId: Type.String({ description: '`<orderId>:<step>:<attempt>`' }),
};

/** An operator's hold on a saga: while it stands, the saga sends no command and runs no deadline. */
export const HoldSchema = Type.Object(
  {
    actor: Type.String(),
    reason: Type.String(),
    at: Timestamp('when it was paused'),
  },
  { description: 'set while the saga is paused: answers are still taken in, but no new command goes out and no deadline runs until it is resumed' },
);

/** One row of the orders list, and each `saga` event of `GET /api/stream`. */
export const OrderSummarySchema = Type.Object({
  orderId: Type.String(),
  customerId: Type.String(),
  state: Type.String({ description: "the machine's state value" }),
  status: SagaStatusSchema,
  totalCents: Type.Integer(),
  currency: Type.String(),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
  stateEnteredAt: Timestamp('when the saga entered its current state (a retry stays in the same state)'),
  machineVersion: Type.String(),
  pending: Nullable(Type.Object(PendingProperties, { description: 'the step the saga waits on: attempt N of M' })),
  retrying: Type.Boolean({ description: 'running, and the pending step already failed or timed out at least once' }),
  deadline: Nullable(Timestamp('null while paused')),
  lastError: Nullable(StepFailureSchema),
  paused: Nullable(HoldSchema),
});
export type OrderSummary = Static<typeof OrderSummarySchema>;

/** `GET /api/orders` */
export const OrderPageSchema = Type.Object({
  items: Type.Array(OrderSummarySchema),
  nextCursor: Nullable(Type.String()),
  catchingUp: Type.Optional(Type.Boolean({ description: "set while this instance's index is still being built from the bucket: the page holds only what is indexed so far" })),
});
export type OrderPage = Static<typeof OrderPageSchema>;

/** Which sagas an operator means: the list's filters, which bulk actions take too. */
export const SagaFilterSchema = Type.Object(
  {
    status: Type.Optional(SagaStatusSchema),
    state: Type.Optional(Type.String({ maxLength: 64 })),
    customerId: Type.Optional(Type.String({ maxLength: LIMITS.customerId })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.customerId, description: 'an order-id prefix or an exact customer id' })),
    retrying: Type.Optional(Type.Boolean()),
    paused: Type.Optional(Type.Boolean({ description: 'held by an operator (true), or not (false)' })),
    stalled: Type.Optional(Type.Boolean({ description: 'running with no transition for longer than STUCK_AFTER_MS' })),
    incident: Type.Optional(
      Type.String({
        pattern: INCIDENT_KEY_PATTERN,
        description: "an incident group's `key` (GET /api/incidents): exactly the stuck, failed or retrying sagas of that cause",
      }),
    ),
  },
  { additionalProperties: false },
);
export type SagaFilter = Static<typeof SagaFilterSchema>;

export const OrderListQuerySchema = Type.Object(
  {
    ...SagaFilterSchema.properties,
    limit: Limit,
    cursor: Type.Optional(Type.String({ maxLength: 200, description: "the previous page's `nextCursor`" })),
  },
  { additionalProperties: false },
);

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** `GET /api/orders/export`: the list's filters, every match (no page), in one format. */
export const OrderExportQuerySchema = Type.Object(
  {
    ...SagaFilterSchema.properties,
    format: Type.Unsafe<ExportFormat>({
      type: 'string',
      enum: [...EXPORT_FORMATS],
      default: 'csv',
      description: '`csv` (RFC 4180, a header row, formulas defused) or `ndjson` (one order summary as JSON per line, as the list shows it)',
    }),
  },
  { additionalProperties: false },
);
export type OrderExportQuery = Static<typeof OrderExportQuerySchema>;

/** One transition of a saga's history. */
export const HistoryRowSchema = Type.Object({
  eventId: Type.String(),
  event: Type.String(),
  from: Nullable(Type.String()),
  to: Type.String(),
  at: Timestamp(),
  detail: Type.Optional(Type.String({ description: 'reply reference, failure message or operator reason' })),
  actor: Type.Optional(Type.String()),
  worker: Type.Optional(Type.String({ description: 'the worker instance that answered, for replies' })),
  payload: Type.Optional(FreeObject<SagaEvent>('the event exactly as applied (machines/order-saga/types.ts, SagaEvent)')),
  rebase: Type.Optional(Type.Unknown({ description: 'on a REPLAY row: the version the saga moved to and the events its state was rebuilt from' })),
});
export type HistoryRow = Static<typeof HistoryRowSchema>;

/** `GET /api/orders/:orderId`. Fields marked optional are absent while the submission is stored but its saga has not started. */
export const OrderDetailSchema = Type.Object({
  orderId: Type.String(),
  state: Type.String({ description: "the machine's state value; `submitted` before the saga starts" }),
  status: SagaStatusSchema,
  customerId: Type.String(),
  currency: Type.String(),
  totalCents: Type.Integer(),
  items: Type.Array(LineItemSchema),
  createdAt: Type.Optional(Timestamp()),
  updatedAt: Type.Optional(Timestamp()),
  stateEnteredAt: Type.Optional(Timestamp()),
  machineVersion: Type.Optional(Type.String({ description: 'the statechart version the saga runs on' })),
  traceId: Nullable(Type.String()),
  traceUrl: Nullable(Type.String()),
  pending: Nullable(
    Type.Object({
      ...PendingProperties,
      retrying: Type.Boolean(),
      deadline: Nullable(Timestamp()),
    }),
  ),
  lastError: Nullable(StepFailureSchema),
  paused: Nullable(HoldSchema),
  context: Type.Optional(FreeObject<SagaContext>("the saga's context: steps, attempts, effects, references (machines/order-saga/types.ts, SagaContext)")),
  history: Type.Array(HistoryRowSchema),
  allowedActions: Type.Array(StringEnum(SAGA_ACTIONS), { description: 'the operator actions the saga allows now: the machine\'s, and pause or resume' }),
  next: Type.Optional(NextStepsSchema()),
  links: OrderLinksSchema,
});
export type OrderDetail = Static<typeof OrderDetailSchema>;

/** `POST /api/orders/:orderId/resolve`: the stuck step was done outside the system. */
export const ResolveBodySchema = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 1000, description: 'why: recorded in the history and the audit trail' }),
    reference: Type.String({ minLength: 1, maxLength: 200, description: "the outside world's reference for what was done (a parcel number, a payment id): the step's reference from now on" }),
  },
  { additionalProperties: false },
);
export type ResolveBody = Static<typeof ResolveBodySchema>;

export const ReplayQuerySchema = Type.Object({
  dryRun: Type.Boolean({ default: false, description: 'show what would happen without doing it (reading is enough for it)' }),
});

const Transition = Type.Object({ from: Nullable(Type.String()), to: Type.String() });

export const ReplayStepSchema = Type.Object({
  event: Type.String(),
  recorded: Transition,
  replayed: Nullable(Transition),
  differs: Type.Boolean(),
  note: Type.Optional(Type.String()),
});
export type ReplayStep = Static<typeof ReplayStepSchema>;

/** `POST /api/orders/:orderId/replay?dryRun=true` */
export const ReplayPlanSchema = Type.Object({
  machineVersion: Type.String({ description: 'the version the events were replayed through' }),
  recordedVersion: Type.String({ description: 'the version the saga is on now' }),
  steps: Type.Array(ReplayStepSchema),
  firstDivergence: Nullable(Type.Integer({ description: 'index into `steps` of the first step that differs, or null when the replay agrees' })),
  finalState: Type.Object({ recorded: Type.String(), replayed: Type.String() }),
});
export type ReplayPlan = Static<typeof ReplayPlanSchema>;

/** `POST /api/orders/:orderId/replay` (for real): the plan it followed and the order moved onto the current version. */
export const ReplayAppliedSchema = Type.Object({ plan: ReplayPlanSchema, order: OrderDetailSchema });
