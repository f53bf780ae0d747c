/**
 * The vocabulary of the order saga: what it knows (context), what can happen to it (events)
 * and what it starts from (input). Shared by the machine, the runtime, the workers and the UI.
 * Each closed list is written once, as a readonly array; its type is derived from it.
 */

/** The forward steps, in the order a successful saga runs them. */
export const FORWARD_STEPS = ['reserveInventory', 'chargePayment', 'createShipment'] as const;
export type ForwardStep = (typeof FORWARD_STEPS)[number];
/** The steps that undo a forward step, the undo of the latest forward step first. */
export const COMPENSATION_STEPS = ['cancelShipment', 'refundPayment', 'releaseInventory'] as const;
export type CompensationStep = (typeof COMPENSATION_STEPS)[number];
export const STEP_NAMES: readonly StepName[] = [...FORWARD_STEPS, ...COMPENSATION_STEPS];
export type StepName = ForwardStep | CompensationStep;

/** The worker services, in the order a saga first calls them. */
export const SERVICES = ['inventory', 'payment', 'shipping'] as const;
export type Service = (typeof SERVICES)[number];

export const isService = (name: unknown): name is Service => (SERVICES as readonly unknown[]).includes(name);

export interface LineItem {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

export interface OrderDetails {
  orderId: string;
  customerId: string;
  currency: string;
  items: LineItem[];
  totalCents: number;
}

export interface SagaInput {
  order: OrderDetails;
  /** How many attempts a step gets before the saga parks in `stuck`. */
  maxAttempts: number;
}

/** The command the saga is waiting on: exactly one at a time, or none. */
export interface PendingCommand {
  step: StepName;
  attempt: number;
  /** `<orderId>:<step>:<attempt>`: deterministic, so a re-published command is de-duplicated. */
  commandId: string;
}

/**
 * What may have happened in the outside world because of a forward step. `pending` means a
 * command was sent and its outcome is unknown: compensation must assume it may have applied.
 */
export type EffectState = 'notStarted' | 'pending' | 'applied' | 'failed' | 'compensated';

export const FAILURE_KINDS = ['transient', 'timeout', 'permanent'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface StepFailure {
  step: StepName;
  attempt: number;
  kind: FailureKind;
  message: string;
}

export interface Cancellation {
  by: 'business' | 'customer' | 'operator';
  reason: string;
  actor?: string;
}

export interface SagaContext extends OrderDetails {
  maxAttempts: number;
  /** Attempts started per step (1 for the first try). */
  attempts: Partial<Record<StepName, number>>;
  /** The attempt number after which a step's next failure parks the saga; grows on operator retry. */
  attemptLimits: Partial<Record<StepName, number>>;
  pending: PendingCommand | null;
  effects: Record<ForwardStep, EffectState>;
  /** The worker's reference for each effect that succeeded (reservation, charge, shipment...). */
  references: Partial<Record<StepName, string>>;
  lastError: StepFailure | null;
  /** Set while the saga waits in `stuck`: the step that used up its attempts. */
  stuckStep: StepName | null;
  /** Why the saga is being undone, once it is. */
  cancellation: Cancellation | null;
}

/** A worker's answer to the pending command (matched on commandId; stale ones are ignored). */
interface ReplyEvent<T extends string> {
  type: T;
  commandId: string;
}
export interface StepSucceededEvent<T extends string> extends ReplyEvent<T> {
  reference: string;
}
export interface StepFailedEvent<T extends string> extends ReplyEvent<T> {
  message: string;
}

export type SucceededEventType =
  | 'INVENTORY_RESERVED'
  | 'PAYMENT_CHARGED'
  | 'SHIPMENT_CREATED'
  | 'SHIPMENT_CANCELLED'
  | 'PAYMENT_REFUNDED'
  | 'INVENTORY_RELEASED';

export type FailedEventType =
  | 'INVENTORY_UNAVAILABLE'
  | 'PAYMENT_DECLINED'
  | 'SHIPMENT_REJECTED'
  | 'SHIPMENT_CANCEL_REJECTED'
  | 'REFUND_REJECTED'
  | 'RELEASE_REJECTED';

export interface OperatorEvent<T extends string> {
  type: T;
  actor: string;
  reason: string;
}

export type SagaEvent =
  | StepSucceededEvent<SucceededEventType>
  | StepFailedEvent<FailedEventType>
  /** The worker gave up after its own retries on transient faults. */
  | StepFailedEvent<'STEP_FAILED_TRANSIENTLY'>
  /** The durable step deadline passed without an answer. */
  | ReplyEvent<'STEP_TIMED_OUT'>
  | OperatorEvent<'RETRY'>
  | OperatorEvent<'COMPENSATE'>
  | OperatorEvent<'CANCEL'>
  /** An operator records the stuck step as done out of band, with the outside world's reference. */
  | (OperatorEvent<'RESOLVE'> & { reference: string })
  /** An operator records the stuck step as failed for good: from v3 the saga undoes it too (a hung attempt may still land); v1 and v2 take it as not having happened. */
  | OperatorEvent<'FAIL'>;

export type SagaEventType = SagaEvent['type'];
/** What an operator may do to one saga; `resolve` and `fail` record a stuck step done or failed by hand. */
export const OPERATOR_ACTIONS = ['retry', 'compensate', 'cancel', 'resolve', 'fail'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];
/**
 * An operator's hold on a saga, beside the statechart: a paused saga still takes in answers, but
 * sends no command and runs no deadline until it is resumed.
 */
export const HOLD_ACTIONS = ['pause', 'resume'] as const;
export type HoldAction = (typeof HOLD_ACTIONS)[number];
/** Every action an operator may take on one saga: the statechart's and the hold's. */
export const SAGA_ACTIONS = [...OPERATOR_ACTIONS, ...HOLD_ACTIONS] as const;
export type SagaAction = (typeof SAGA_ACTIONS)[number];
export const isHoldAction = (action: SagaAction): action is HoldAction => (HOLD_ACTIONS as readonly string[]).includes(action);

/** The order's status as users see it (`statusOf` derives it from the machine state). */
export const SAGA_STATUSES = ['running', 'completed', 'cancelled', 'failed', 'stuck'] as const;
export type SagaStatus = (typeof SAGA_STATUSES)[number];
/** The statuses a saga never leaves: its outcome is settled. */
export const FINISHED_STATUSES = ['completed', 'cancelled', 'failed'] as const satisfies readonly SagaStatus[];
export type FinishedStatus = (typeof FINISHED_STATUSES)[number];

// Sets, as these run on every stored step and every summary read from the bucket.
const statuses: ReadonlySet<unknown> = new Set(SAGA_STATUSES);
const finished: ReadonlySet<unknown> = new Set(FINISHED_STATUSES);
export const isSagaStatus = (value: unknown): value is SagaStatus => statuses.has(value);
export const isFinished = (status: unknown): status is FinishedStatus => finished.has(status);
