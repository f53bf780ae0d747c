/**
 * The vocabulary of the order saga: what it knows (context), what can happen to it (events)
 * and what it starts from (input). Pure types: shared by the machine, the runtime and the UI.
 */

/** The forward steps, in the order a successful saga runs them. */
export type ForwardStep = 'reserveInventory' | 'chargePayment' | 'createShipment';
/** The steps that undo a forward step. */
export type CompensationStep = 'cancelShipment' | 'refundPayment' | 'releaseInventory';
export type StepName = ForwardStep | CompensationStep;

export type Service = 'inventory' | 'payment' | 'shipping';

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

export type FailureKind = 'transient' | 'timeout' | 'permanent';

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
  | OperatorEvent<'CANCEL'>;

export type SagaEventType = SagaEvent['type'];
export type OperatorAction = 'retry' | 'compensate' | 'cancel';
export type SagaStatus = 'running' | 'completed' | 'cancelled' | 'failed' | 'stuck';
