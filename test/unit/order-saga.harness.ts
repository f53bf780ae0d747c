/**
 * Test harness for the order saga statechart: drives the pure machine with `initialTransition` /
 * `transition` and names every move after what happens in the business (a worker answers, a
 * deadline passes, an operator retries...).
 *
 * The step vocabulary below is written out by hand on purpose instead of being read from
 * `machines/order-saga/steps.ts`: the tests then check the machine against the business rules,
 * not against a copy of itself.
 */
import { isDeepStrictEqual } from 'node:util';
import { initialTransition, transition } from 'xstate';
import { machineFor, ORDER_SAGA_V1 } from '../../machines/index.ts';
import type {
  FailedEventType,
  ForwardStep,
  MachineVersion,
  OperatorAction,
  OrderDetails,
  OrderSagaSnapshot,
  SagaEvent,
  SagaEventType,
  StepName,
  SucceededEventType,
} from '../../machines/index.ts';

export type Saga = OrderSagaSnapshot;

export const ORDER: OrderDetails = {
  orderId: 'order-42',
  customerId: 'customer-7',
  currency: 'EUR',
  items: [
    { sku: 'MUG-BLUE', quantity: 2, unitPriceCents: 1250 },
    { sku: 'TEA-EARLGREY', quantity: 1, unitPriceCents: 800 },
  ],
  totalCents: 3300,
};

export const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * The machine version a saga starts on unless a test names another: v1, the first released
 * rules. A saga then moves on the machine it started on (`send`), as a stored saga resumes on its
 * own version. Tests of what a later version changes name that version.
 */
export const HARNESS_VERSION: MachineVersion = ORDER_SAGA_V1;

/* ------------------------------------------------------------------------------------------ */
/* Vocabulary                                                                                 */
/* ------------------------------------------------------------------------------------------ */

export type StepState =
  | 'reservingInventory'
  | 'chargingPayment'
  | 'creatingShipment'
  | 'cancellingShipment'
  | 'refundingPayment'
  | 'releasingInventory';
export type FinalState = 'completed' | 'cancelled' | 'failed';
/** Every state a saga can rest in between two events (`compensating` only passes through). */
export type RestingState = StepState | 'stuck' | FinalState;

export const FORWARD: readonly ForwardStep[] = ['reserveInventory', 'chargePayment', 'createShipment'];
export const ALL_STEPS: readonly StepName[] = [...FORWARD, 'cancelShipment', 'refundPayment', 'releaseInventory'];
export const FINAL_STATES: readonly FinalState[] = ['completed', 'cancelled', 'failed'];

export const STATE_OF_STEP: Record<StepName, StepState> = {
  reserveInventory: 'reservingInventory',
  chargePayment: 'chargingPayment',
  createShipment: 'creatingShipment',
  cancelShipment: 'cancellingShipment',
  refundPayment: 'refundingPayment',
  releaseInventory: 'releasingInventory',
};

export const STEP_OF_STATE: Record<StepState, StepName> = {
  reservingInventory: 'reserveInventory',
  chargingPayment: 'chargePayment',
  creatingShipment: 'createShipment',
  cancellingShipment: 'cancelShipment',
  refundingPayment: 'refundPayment',
  releasingInventory: 'releaseInventory',
};

export const STEP_STATES = Object.keys(STEP_OF_STATE) as StepState[];

export const SUCCESS_EVENT: Record<StepName, SucceededEventType> = {
  reserveInventory: 'INVENTORY_RESERVED',
  chargePayment: 'PAYMENT_CHARGED',
  createShipment: 'SHIPMENT_CREATED',
  cancelShipment: 'SHIPMENT_CANCELLED',
  refundPayment: 'PAYMENT_REFUNDED',
  releaseInventory: 'INVENTORY_RELEASED',
};

export const REFUSAL_EVENT: Record<StepName, FailedEventType> = {
  reserveInventory: 'INVENTORY_UNAVAILABLE',
  chargePayment: 'PAYMENT_DECLINED',
  createShipment: 'SHIPMENT_REJECTED',
  cancelShipment: 'SHIPMENT_CANCEL_REJECTED',
  refundPayment: 'REFUND_REJECTED',
  releaseInventory: 'RELEASE_REJECTED',
};

export const OPERATOR_EVENT_OF: Record<OperatorAction, 'RETRY' | 'COMPENSATE' | 'CANCEL' | 'RESOLVE' | 'FAIL'> = {
  retry: 'RETRY',
  compensate: 'COMPENSATE',
  cancel: 'CANCEL',
  resolve: 'RESOLVE',
  fail: 'FAIL',
};

/** Every event type of `SagaEvent`; the type check below fails to compile if one is missing. */
export const ALL_EVENT_TYPES = [
  'INVENTORY_RESERVED',
  'PAYMENT_CHARGED',
  'SHIPMENT_CREATED',
  'SHIPMENT_CANCELLED',
  'PAYMENT_REFUNDED',
  'INVENTORY_RELEASED',
  'INVENTORY_UNAVAILABLE',
  'PAYMENT_DECLINED',
  'SHIPMENT_REJECTED',
  'SHIPMENT_CANCEL_REJECTED',
  'REFUND_REJECTED',
  'RELEASE_REJECTED',
  'STEP_FAILED_TRANSIENTLY',
  'STEP_TIMED_OUT',
  'RETRY',
  'COMPENSATE',
  'CANCEL',
  'RESOLVE',
  'FAIL',
] as const satisfies readonly SagaEventType[];
type MissingEventTypes = Exclude<SagaEventType, (typeof ALL_EVENT_TYPES)[number]>;
export const _everyEventTypeListed: [MissingEventTypes] extends [never] ? true : MissingEventTypes = true;

export const REPLY_EVENT_TYPES = ALL_EVENT_TYPES.filter(
  (type) => type !== 'RETRY' && type !== 'COMPENSATE' && type !== 'CANCEL' && type !== 'RESOLVE' && type !== 'FAIL',
);

/** The commandId the business expects: `<orderId>:<step>:<attempt>` (written out, not imported). */
export function commandIdOf(step: StepName, attempt: number, orderId = ORDER.orderId): string {
  return `${orderId}:${step}:${attempt}`;
}

/** A well-formed event of any type; replies carry `commandId`, operator events an actor and reason. */
export function eventOf(type: SagaEventType, commandId: string): SagaEvent {
  switch (type) {
    case 'RETRY':
    case 'COMPENSATE':
    case 'CANCEL':
      return { type, actor: 'ops-alice', reason: `${type.toLowerCase()} requested in test` };
    case 'RESOLVE':
      return { type, actor: 'ops-alice', reason: 'booked by phone', reference: 'ref-by-hand' };
    case 'FAIL':
      return { type, actor: 'ops-alice', reason: 'the carrier refused it for good' };
    case 'STEP_TIMED_OUT':
      return { type, commandId };
    case 'STEP_FAILED_TRANSIENTLY':
      return { type, commandId, message: 'connection reset' };
    case 'INVENTORY_RESERVED':
    case 'PAYMENT_CHARGED':
    case 'SHIPMENT_CREATED':
    case 'SHIPMENT_CANCELLED':
    case 'PAYMENT_REFUNDED':
    case 'INVENTORY_RELEASED':
      return { type, commandId, reference: `ref-${type.toLowerCase()}` };
    case 'INVENTORY_UNAVAILABLE':
    case 'PAYMENT_DECLINED':
    case 'SHIPMENT_REJECTED':
    case 'SHIPMENT_CANCEL_REJECTED':
    case 'REFUND_REJECTED':
    case 'RELEASE_REJECTED':
      return { type, commandId, message: `${type.toLowerCase()} in test` };
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Driving the machine                                                                        */
/* ------------------------------------------------------------------------------------------ */

export function startSaga(maxAttempts = DEFAULT_MAX_ATTEMPTS, order: OrderDetails = ORDER, version: MachineVersion = HARNESS_VERSION): Saga {
  const [snapshot] = initialTransition(machineFor(version), { order, maxAttempts });
  return snapshot;
}

/** The saga after `event`, on the machine (version) it started on. */
export function send(saga: Saga, event: SagaEvent): Saga {
  const [next] = transition(saga.machine, saga, event);
  return next;
}

export function stateOf(saga: Saga): string {
  return String(saga.value);
}

/** What a user (or the store) can observe of a snapshot. */
export function observable(saga: Saga) {
  return { value: saga.value, status: saga.status, context: saga.context };
}

export function sameSnapshot(a: Saga, b: Saga): boolean {
  return isDeepStrictEqual(observable(a), observable(b));
}

/** Fails loudly when a helper did not lead where its name promises. */
function expectState(saga: Saga, state: RestingState, how: string): Saga {
  if (stateOf(saga) !== state) {
    throw new Error(`${how}: expected the saga in "${state}", it is in "${stateOf(saga)}"`);
  }
  return saga;
}

function pendingOf(saga: Saga) {
  const pending = saga.context.pending;
  if (!pending) throw new Error(`no pending command in state "${stateOf(saga)}"`);
  return pending;
}

export function pendingCommandId(saga: Saga): string {
  return pendingOf(saga).commandId;
}

/* Worker replies and deadlines, always for the attempt the saga waits on. */

export function workerSucceeds(saga: Saga, reference?: string): Saga {
  const { step, attempt, commandId } = pendingOf(saga);
  return send(saga, { type: SUCCESS_EVENT[step], commandId, reference: reference ?? `${step}-ref-${attempt}` });
}

export function workerRefuses(saga: Saga, message = 'refused for good'): Saga {
  const { step, commandId } = pendingOf(saga);
  return send(saga, { type: REFUSAL_EVENT[step], commandId, message });
}

export function workerFailsTransiently(saga: Saga, message = 'connection reset'): Saga {
  return send(saga, { type: 'STEP_FAILED_TRANSIENTLY', commandId: pendingCommandId(saga), message });
}

export function deadlinePasses(saga: Saga): Saga {
  return send(saga, { type: 'STEP_TIMED_OUT', commandId: pendingCommandId(saga) });
}

/** Fail the pending step transiently until it runs out of attempts and the saga parks. */
export function exhaustAttempts(saga: Saga): Saga {
  let current = saga;
  for (let guard = 0; stateOf(current) !== 'stuck'; guard++) {
    if (guard > 100) throw new Error('the saga never got stuck');
    current = workerFailsTransiently(current);
  }
  return current;
}

/* Operator and customer actions. */

export function operatorRetries(saga: Saga, actor = 'ops-alice', reason = 'worker is back'): Saga {
  return send(saga, { type: 'RETRY', actor, reason });
}

export function operatorCompensates(saga: Saga, actor = 'ops-alice', reason = 'give up on this order'): Saga {
  return send(saga, { type: 'COMPENSATE', actor, reason });
}

export function customerCancels(saga: Saga, actor = 'customer-7', reason = 'changed my mind'): Saga {
  return send(saga, { type: 'CANCEL', actor, reason });
}

/** The operator records the stuck step as failed for good. */
export function operatorFails(saga: Saga, actor = 'ops-alice', reason = 'the carrier lost it for good'): Saga {
  return send(saga, { type: 'FAIL', actor, reason });
}

/* ------------------------------------------------------------------------------------------ */
/* Reaching every resting state                                                               */
/* ------------------------------------------------------------------------------------------ */

export function reachChargingPayment(maxAttempts = DEFAULT_MAX_ATTEMPTS, version: MachineVersion = HARNESS_VERSION): Saga {
  return expectState(workerSucceeds(startSaga(maxAttempts, ORDER, version)), 'chargingPayment', 'inventory reserved');
}

export function reachCreatingShipment(maxAttempts = DEFAULT_MAX_ATTEMPTS, version: MachineVersion = HARNESS_VERSION): Saga {
  return expectState(workerSucceeds(reachChargingPayment(maxAttempts, version)), 'creatingShipment', 'payment charged');
}

export function reachCompleted(maxAttempts = DEFAULT_MAX_ATTEMPTS, version: MachineVersion = HARNESS_VERSION): Saga {
  return expectState(workerSucceeds(reachCreatingShipment(maxAttempts, version)), 'completed', 'shipment created');
}

/** Operator compensates a saga stuck on shipment creation: the shipment is cancelled first. */
export function reachCancellingShipment(maxAttempts = DEFAULT_MAX_ATTEMPTS, version: MachineVersion = HARNESS_VERSION): Saga {
  return expectState(
    operatorCompensates(reachStuckAt('createShipment', maxAttempts, version)),
    'cancellingShipment',
    'operator compensated a stuck shipment',
  );
}

/**
 * The shipping service rejects the shipment: the charge is refunded. v1 refunds first; from v2
 * the stock is released first, and the refund follows once it is.
 */
export function reachRefundingPayment(maxAttempts = DEFAULT_MAX_ATTEMPTS, version: MachineVersion = HARNESS_VERSION): Saga {
  let saga = workerRefuses(reachCreatingShipment(maxAttempts, version));
  if (version !== ORDER_SAGA_V1) saga = workerSucceeds(expectState(saga, 'releasingInventory', 'shipment rejected, stock released first'));
  return expectState(saga, 'refundingPayment', 'shipment rejected');
}

/** The payment is declined: the reservation is released. */
export function reachReleasingInventory(maxAttempts = DEFAULT_MAX_ATTEMPTS, version: MachineVersion = HARNESS_VERSION): Saga {
  return expectState(workerRefuses(reachChargingPayment(maxAttempts, version)), 'releasingInventory', 'payment declined');
}

export function reachStuckAt(step: StepName, maxAttempts = DEFAULT_MAX_ATTEMPTS, version: MachineVersion = HARNESS_VERSION): Saga {
  const before: Record<StepName, () => Saga> = {
    reserveInventory: () => startSaga(maxAttempts, ORDER, version),
    chargePayment: () => reachChargingPayment(maxAttempts, version),
    createShipment: () => reachCreatingShipment(maxAttempts, version),
    cancelShipment: () => reachCancellingShipment(maxAttempts, version),
    refundPayment: () => reachRefundingPayment(maxAttempts, version),
    releaseInventory: () => reachReleasingInventory(maxAttempts, version),
  };
  return expectState(exhaustAttempts(before[step]()), 'stuck', `${step} ran out of attempts`);
}

/** Inventory unavailable: cancelled straight away. */
export function reachCancelledByBusiness(maxAttempts = DEFAULT_MAX_ATTEMPTS, version: MachineVersion = HARNESS_VERSION): Saga {
  return expectState(workerRefuses(startSaga(maxAttempts, ORDER, version)), 'cancelled', 'inventory unavailable');
}

/** The payment is declined and the reservation released. */
export function reachCancelledAfterRelease(maxAttempts = DEFAULT_MAX_ATTEMPTS, version: MachineVersion = HARNESS_VERSION): Saga {
  return expectState(workerSucceeds(reachReleasingInventory(maxAttempts, version)), 'cancelled', 'reservation released');
}

/** The release of the reservation is refused for good. */
export function reachFailed(maxAttempts = DEFAULT_MAX_ATTEMPTS, version: MachineVersion = HARNESS_VERSION): Saga {
  return expectState(workerRefuses(reachReleasingInventory(maxAttempts, version)), 'failed', 'release rejected');
}

/* ------------------------------------------------------------------------------------------ */
/* Scenarios: every resting state, reached in every way that matters                         */
/* ------------------------------------------------------------------------------------------ */

export interface Scenario {
  name: string;
  state: RestingState;
  reach: () => Saga;
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'reserving inventory', state: 'reservingInventory', reach: () => startSaga() },
  {
    name: 'reserving inventory again after an operator retry',
    state: 'reservingInventory',
    reach: () => operatorRetries(reachStuckAt('reserveInventory')),
  },
  { name: 'charging payment', state: 'chargingPayment', reach: () => reachChargingPayment() },
  {
    name: 'charging payment on its last attempt',
    state: 'chargingPayment',
    reach: () => deadlinePasses(workerFailsTransiently(reachChargingPayment())),
  },
  { name: 'creating shipment', state: 'creatingShipment', reach: () => reachCreatingShipment() },
  {
    name: 'cancelling shipment (operator compensated a stuck shipment)',
    state: 'cancellingShipment',
    reach: () => reachCancellingShipment(),
  },
  { name: 'refunding payment (shipment rejected)', state: 'refundingPayment', reach: () => reachRefundingPayment() },
  {
    name: 'refunding payment (customer cancelled while charging)',
    state: 'refundingPayment',
    reach: () => customerCancels(reachChargingPayment()),
  },
  {
    name: 'releasing inventory (payment declined)',
    state: 'releasingInventory',
    reach: () => reachReleasingInventory(),
  },
  {
    name: 'releasing inventory (customer cancelled while reserving)',
    state: 'releasingInventory',
    reach: () => customerCancels(startSaga()),
  },
  {
    name: 'releasing inventory on its last attempt',
    state: 'releasingInventory',
    reach: () => workerFailsTransiently(workerFailsTransiently(reachReleasingInventory())),
  },
  ...ALL_STEPS.map((step) => ({ name: `stuck at ${step}`, state: 'stuck' as const, reach: () => reachStuckAt(step) })),
  { name: 'completed', state: 'completed', reach: () => reachCompleted() },
  { name: 'cancelled (inventory unavailable)', state: 'cancelled', reach: () => reachCancelledByBusiness() },
  { name: 'cancelled (after releasing the reservation)', state: 'cancelled', reach: () => reachCancelledAfterRelease() },
  { name: 'failed (release rejected)', state: 'failed', reach: () => reachFailed() },
];

/** Every commandId the saga has issued so far (the current one last for each step). */
export function issuedCommandIds(saga: Saga): string[] {
  return Object.entries(saga.context.attempts).flatMap(([step, count]) =>
    Array.from({ length: count ?? 0 }, (_, i) => commandIdOf(step as StepName, i + 1, saga.context.orderId)),
  );
}

/* ------------------------------------------------------------------------------------------ */
/* Deterministic randomness                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rand: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/**
 * A random event, biased towards what could matter in the saga's current state: mostly
 * one of the pending step's own replies or an operator action, otherwise any event type; its
 * commandId is usually the pending one, sometimes stale (an earlier attempt) or foreign.
 */
export function randomEvent(rand: () => number, saga: Saga): SagaEvent {
  const pending = saga.context.pending;
  const relevant: SagaEventType[] = pending
    ? [SUCCESS_EVENT[pending.step], REFUSAL_EVENT[pending.step], 'STEP_FAILED_TRANSIENTLY', 'STEP_TIMED_OUT', 'CANCEL']
    : ['RETRY', 'COMPENSATE', 'CANCEL'];
  const type = rand() < 0.7 ? pick(rand, relevant) : pick(rand, ALL_EVENT_TYPES);
  const roll = rand();
  const issued = issuedCommandIds(saga);
  const commandId =
    pending && roll < 0.8
      ? pending.commandId
      : issued.length > 0 && roll < 0.95
        ? pick(rand, issued)
        : commandIdOf(pick(rand, ALL_STEPS), 1, 'some-other-order');
  return eventOf(type, commandId);
}
