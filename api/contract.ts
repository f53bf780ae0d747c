/**
 * The HTTP API's JSON, as one set of types: the orchestrator builds its answers as these types,
 * and the UI and the CLI read them as these types. Types only, and no Node or browser
 * dependency, so every side can import it. Times are ISO-8601 strings; money is integer cents.
 */
import type {
  OperatorAction,
  SagaContext,
  SagaEvent,
  SagaStatus,
  Service,
  StepFailure,
} from '../machines/index.ts';

export type { OperatorAction, SagaStatus, StepFailure };

export interface LineItem {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

/** `GET /api/config`: what the UI needs to start. */
export interface AppConfig {
  traceUrlTemplate: string;
  opsTokenRequired: boolean;
  readTokenRequired: boolean;
  machineVersion: string;
}

/** One row of the orders list, and each `saga` event of `GET /api/stream`. */
export interface OrderSummary {
  orderId: string;
  customerId: string;
  state: string;
  status: SagaStatus;
  totalCents: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
  /** When the saga entered its current state (a retry stays in the same state). */
  stateEnteredAt: string;
  machineVersion: string;
  /** The step the saga waits on: attempt N of M. */
  pending: { step: string; attempt: number; maxAttempts: number; commandId: string } | null;
  /** Running, but the pending step already failed or timed out at least once. */
  retrying: boolean;
  deadline: string | null;
  lastError: StepFailure | null;
}

/** `GET /api/orders` */
export interface OrderPage {
  items: OrderSummary[];
  nextCursor: string | null;
  /** Set while this instance's index is still being built from the bucket: the page holds only what is indexed so far. */
  catchingUp?: boolean;
}

/** Which sagas an operator means: the list's filters, which bulk actions take too. */
export interface SagaFilter {
  status?: SagaStatus;
  state?: string;
  customerId?: string;
  /** An order-id prefix or an exact customer id. */
  q?: string;
  retrying?: boolean;
  /** Running with no transition for longer than STUCK_AFTER_MS. */
  stalled?: boolean;
}

/** One transition of a saga's history. */
export interface HistoryRow {
  eventId: string;
  event: string;
  from: string | null;
  to: string;
  at: string;
  /** Reply reference, failure message or operator reason. */
  detail?: string;
  actor?: string;
  /** The worker instance that answered, for replies. */
  worker?: string;
  /** The event exactly as applied. */
  payload?: SagaEvent;
  /** On a REPLAY row: the version the saga moved to and the events its state was rebuilt from. */
  rebase?: unknown;
}

/** `GET /api/orders/:orderId`. Fields marked optional are absent while the submission is stored but its saga has not started. */
export interface OrderDetail {
  orderId: string;
  state: string;
  status: SagaStatus;
  customerId: string;
  currency: string;
  totalCents: number;
  items: LineItem[];
  createdAt?: string;
  updatedAt?: string;
  stateEnteredAt?: string;
  machineVersion?: string;
  traceId: string | null;
  traceUrl: string | null;
  pending: (NonNullable<OrderSummary['pending']> & { retrying: boolean; deadline: string | null }) | null;
  lastError: StepFailure | null;
  context?: SagaContext;
  history: HistoryRow[];
  allowedActions: OperatorAction[];
  links: { self: string; ui: string; trace?: string };
}

/** `POST /api/orders` when the order is stored: `202`. */
export interface OrderAccepted {
  orderId: string;
  state: string;
  status: SagaStatus;
  links: OrderDetail['links'];
}

/**
 * `POST /api/orders` when it was not answered with 202: `503` with `outcome: "notAccepted"` (this
 * request stored nothing: retry later), or `504` with `outcome: "unknown"` (it may have been
 * stored: look it up at `links.self`, or retry with the same Idempotency-Key; never submit it
 * again without one). Both name the order and come with `Retry-After`.
 */
export interface SubmitProblem {
  type: string;
  title: string;
  status: 503 | 504;
  detail: string;
  outcome: 'notAccepted' | 'unknown';
  orderId: string;
  retryable: true;
  links: { self: string };
}

/** Sagas per status and per state, and how many retry now: what the saga index counts. */
export interface Overview {
  total: number;
  byStatus: Record<SagaStatus, number>;
  byState: Record<string, number>;
  retrying: number;
}

/** What waits in front of the sagas and how fast it drains, so a spike reads as volume, not as a fault. */
export interface Load {
  /** Orders accepted whose saga has not started yet (the submissions consumer's pending and unacknowledged). */
  submissionsWaiting: number;
  /** Worker replies not yet applied to their sagas. */
  repliesWaiting: number;
  /** Commands each worker service has not yet acknowledged. */
  commandsWaiting: Record<Service, number>;
  running: number;
  /** MAX_ACTIVE_SAGAS: new sagas start only while fewer run. */
  maxActive: number;
  /** Sagas that reached completed, cancelled or failed, per second over the last minute, as this instance saw them. */
  finishedPerSecond: number;
  startedPerSecond: number;
  /** (submissionsWaiting + running) / finishedPerSecond, rounded up; null while nothing finishes. */
  clearsInSeconds: number | null;
  sampledAt: string;
}

/** `GET /api/overview` as served: the counts, and the load (null when JetStream did not report it in time). */
export interface OverviewWithLoad extends Overview {
  load: Load | null;
  /** Set while this instance's index is still being built from the bucket: the counts cover what is indexed so far. */
  catchingUp?: boolean;
}

export interface ReplayStep {
  event: string;
  recorded: { from: string | null; to: string };
  replayed: { from: string | null; to: string } | null;
  differs: boolean;
  note?: string;
}

/** `POST /api/orders/:orderId/replay?dryRun=true` */
export interface ReplayPlan {
  /** The version the events were replayed through. */
  machineVersion: string;
  /** The version the saga is on now. */
  recordedVersion: string;
  steps: ReplayStep[];
  /** Index into `steps` of the first step that differs, or null when the replay agrees. */
  firstDivergence: number | null;
  finalState: { recorded: string; replayed: string };
}

/** `POST /api/orders/:orderId/replay` (for real) */
export interface ReplayResult {
  plan: ReplayPlan;
  order: OrderDetail;
}

export type BulkAction = 'retry' | 'compensate';

export interface BulkResult {
  orderId: string;
  result: 'applied' | 'refused' | 'failed';
  detail: string;
}

/** `POST /api/bulk` with `dryRun: true`: how many sagas the action would cover. */
export interface BulkDryRun {
  matched: number;
  sample: string[];
}

/** `GET /api/bulk/:id` */
export interface BulkJob {
  id: string;
  action: BulkAction;
  filter: SagaFilter;
  reason: string;
  actor: string;
  /** The label of the token that started the job (`anonymous` where none is required). */
  authenticatedAs?: string;
  state: 'running' | 'completed' | 'cancelled' | 'failed';
  total: number;
  done: number;
  applied: number;
  refused: number;
  failed: number;
  startedAt: string;
  finishedAt: string | null;
  /** The last results (the counts are complete; every action is also in the audit trail). */
  results: BulkResult[];
  /** The instance running the job now (another one takes it over when its lease lapses). */
  owner: string;
  /** The owner's wall clock at its last heartbeat: for people only, no instance decides by it. */
  heartbeatAt: number;
  cancelledBy?: { actor: string; authenticatedAs?: string; reason: string };
  /** Why a `failed` job stopped. */
  failure?: string;
}

/** `GET /api/dead-letters/:sequence` */
export interface DeadLetter {
  sequence: number;
  at: string;
  service: string;
  reason: string;
  originalSubject: string;
  originalStream: string;
  originalSequence: number | null;
  headers: Record<string, string[]>;
  payloadBase64: string;
  /** The payload decoded as the message type of its original subject, when it decodes. */
  decoded: unknown;
  decodeError: string | null;
}

/** `GET /api/dead-letters` */
export interface DeadLetterPage {
  items: DeadLetter[];
  waiting: number;
  nextBefore: number | null;
}

/** One operator act in `GET /api/audit`. */
export interface AuditRecord {
  at: string;
  /** The name the operator acted under: the `X-Actor` header, else `authenticatedAs`. Claimed, not proven. */
  actor: string;
  /** The label of the token the request proved, or `anonymous` where no token is required: the proven identity. */
  authenticatedAs?: string;
  action: string;
  /** `order:<id>`, `dlq:<sequence>` or `bulk:<id>`. */
  target: string;
  reason: string;
  result: 'applied' | 'refused' | 'failed' | 'started' | 'cancelled';
  detail?: string;
}

/** `GET /api/system` */
export interface SystemInfo {
  nats: { version: string; server: string | null; cluster: { name: string | null; size: number; leader: string | null } | null };
  durability: { level: 'process-crash' | 'os-crash'; summary: string; syncInterval: string };
  streams: { name: string; replicas: number; storage: string; messages: number; bytes: number }[];
  buckets: { name: string; replicas: number; history: number; storage: string; values: number; bytes: number }[];
  consumers: { name: string; stream: string; service: string; pending: number; ackPending: number; redelivered: number; waiting: number }[];
  deadLetters: { waiting: number };
}
