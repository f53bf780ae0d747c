import { and, assign, not, setup } from 'xstate';
import { COMPENSATION_OF, FORWARD_STEPS, commandIdFor, isForwardStep } from './steps.ts';
import type {
  Cancellation,
  FailureKind,
  ForwardStep,
  OrderDetails,
  SagaContext,
  SagaEvent,
  SagaInput,
  StepName,
} from './types.ts';

const effectMayExist = (context: SagaContext, step: ForwardStep) =>
  context.effects[step] === 'pending' || context.effects[step] === 'applied';

const failureKindOf = (event: SagaEvent): FailureKind =>
  event.type === 'STEP_TIMED_OUT' ? 'timeout' : event.type === 'STEP_FAILED_TRANSIENTLY' ? 'transient' : 'permanent';

const failureMessageOf = (event: SagaEvent, context: SagaContext): string =>
  'message' in event
    ? event.message
    : `no reply within the step deadline (attempt ${context.pending?.attempt ?? '?'})`;

/**
 * The order saga, as every version builds it: reserve inventory, charge payment, create the shipment; on a business
 * failure, a customer cancel or an operator's compensate, undo what may have happened in
 * reverse order (cancel shipment, refund, release) and end `cancelled`.
 *
 * Pure: no clock, no I/O, no randomness. The runtime turns `context.pending` into a command
 * and a durable deadline, and turns replies and fired deadlines back into events.
 */
const orderSaga = setup({
  types: {
    context: {} as SagaContext,
    events: {} as SagaEvent,
    input: {} as SagaInput,
  },
  guards: {
    /** Replies and deadlines count only for the attempt the saga is waiting on. */
    answersPendingCommand: ({ context, event }) =>
      'commandId' in event && context.pending !== null && event.commandId === context.pending.commandId,
    hasAttemptsLeft: ({ context }) => {
      const pending = context.pending;
      if (!pending) return false;
      return pending.attempt < (context.attemptLimits[pending.step] ?? context.maxAttempts);
    },
    stuckAt: ({ context }, params: { step: StepName }) => context.stuckStep === params.step,
    stuckOnForwardStep: ({ context }) => context.stuckStep !== null && isForwardStep(context.stuckStep),
    /** The customer may cancel until shipping has begun. */
    stuckBeforeShipping: ({ context }) =>
      context.stuckStep === 'reserveInventory' || context.stuckStep === 'chargePayment',
    shipmentMayExist: ({ context }) => effectMayExist(context, 'createShipment'),
    chargeMayExist: ({ context }) => effectMayExist(context, 'chargePayment'),
    reservationMayExist: ({ context }) => effectMayExist(context, 'reserveInventory'),
  },
  actions: {
    /** Begin an attempt of a step: the runtime sends the command and arms its deadline. */
    startStep: assign(({ context }, params: { step: StepName }) => {
      const attempt = (context.attempts[params.step] ?? 0) + 1;
      return {
        attempts: { ...context.attempts, [params.step]: attempt },
        pending: { step: params.step, attempt, commandId: commandIdFor(context.orderId, params.step, attempt) },
        effects: isForwardStep(params.step) ? { ...context.effects, [params.step]: 'pending' as const } : context.effects,
        stuckStep: null,
      };
    }),
    recordSuccess: assign(({ context, event }) => {
      const pending = context.pending!;
      const reference = 'reference' in event ? event.reference : '';
      const effects = { ...context.effects };
      if (isForwardStep(pending.step)) effects[pending.step] = 'applied';
      else {
        const undone = FORWARD_STEPS.find((step) => COMPENSATION_OF[step] === pending.step)!;
        effects[undone] = 'compensated';
      }
      return { effects, references: { ...context.references, [pending.step]: reference }, pending: null };
    }),
    recordFailure: assign(({ context, event }) => ({
      lastError: {
        step: context.pending!.step,
        attempt: context.pending!.attempt,
        kind: failureKindOf(event),
        message: failureMessageOf(event, context),
      },
    })),
    /** A forward step failed for good: its effect did not happen, so there is nothing to undo. */
    recordBusinessRefusal: assign(({ context, event }) => {
      const step = context.pending!.step as ForwardStep;
      const cancellation: Cancellation = { by: 'business', reason: failureMessageOf(event, context) };
      return { effects: { ...context.effects, [step]: 'failed' as const }, cancellation, pending: null };
    }),
    /** An operator or the customer asked to undo: the pending attempt, if any, is abandoned. */
    recordCancellation: assign(({ event }) => {
      if (event.type !== 'CANCEL' && event.type !== 'COMPENSATE') return {};
      const cancellation: Cancellation = {
        by: event.type === 'CANCEL' ? 'customer' : 'operator',
        reason: event.reason,
        actor: event.actor,
      };
      return { cancellation, pending: null, stuckStep: null };
    }),
    parkStuckStep: assign(({ context }) => ({ stuckStep: context.pending?.step ?? context.stuckStep, pending: null })),
    /** An operator retry gives the stuck step a fresh round of attempts. */
    grantOperatorRetry: assign(({ context }) => {
      const step = context.stuckStep!;
      return {
        attemptLimits: { ...context.attemptLimits, [step]: (context.attempts[step] ?? 0) + context.maxAttempts },
      };
    }),
    clearPending: assign({ pending: null }),
  },
});

/** Which undo runs first when several effects may exist: the one thing versions differ in so far. */
const UNDO_ROUTE = {
  createShipment: { guard: 'shipmentMayExist', target: 'cancellingShipment' },
  chargePayment: { guard: 'chargeMayExist', target: 'refundingPayment' },
  reserveInventory: { guard: 'reservationMayExist', target: 'releasingInventory' },
} as const;

/**
 * Build the machine with compensation undoing effects in `undoOrder`. Released versions call
 * this with fixed arguments and never change, so a saga always resumes on the rules it began with.
 */
const NO_ORDER: OrderDetails = { orderId: '', customerId: '', currency: '', items: [], totalCents: 0 };

function initialContext(order: OrderDetails, maxAttempts: number): SagaContext {
  return {
    ...order,
    maxAttempts,
    attempts: {},
    attemptLimits: {},
    pending: null,
    effects: { reserveInventory: 'notStarted', chargePayment: 'notStarted', createShipment: 'notStarted' },
    references: {},
    lastError: null,
    stuckStep: null,
    cancellation: null,
  };
}

export function buildOrderSaga(undoOrder: readonly ForwardStep[]) {
  return orderSaga.createMachine({
    id: 'orderSaga',
    // XState's pure `transition` first builds a throwaway actor, which computes an initial
    // context without any input; throwing there cost an Error and its stack trace on every
    // step (a tenth of the orchestrator's CPU), so it gets an order-less context instead.
    context: ({ input }: { input: SagaInput | undefined }) => initialContext(input?.order ?? NO_ORDER, input?.maxAttempts ?? 0),
    initial: 'reservingInventory',
    states: {
      reservingInventory: {
        entry: { type: 'startStep', params: { step: 'reserveInventory' } },
        on: {
          INVENTORY_RESERVED: { guard: 'answersPendingCommand', target: 'chargingPayment', actions: 'recordSuccess' },
          INVENTORY_UNAVAILABLE: {
            guard: 'answersPendingCommand',
            target: 'compensating',
            actions: ['recordFailure', 'recordBusinessRefusal'],
          },
          STEP_FAILED_TRANSIENTLY: retryOrPark('reservingInventory'),
          STEP_TIMED_OUT: retryOrPark('reservingInventory'),
          CANCEL: { target: 'compensating', actions: 'recordCancellation' },
        },
      },
      chargingPayment: {
        entry: { type: 'startStep', params: { step: 'chargePayment' } },
        on: {
          PAYMENT_CHARGED: { guard: 'answersPendingCommand', target: 'creatingShipment', actions: 'recordSuccess' },
          PAYMENT_DECLINED: {
            guard: 'answersPendingCommand',
            target: 'compensating',
            actions: ['recordFailure', 'recordBusinessRefusal'],
          },
          STEP_FAILED_TRANSIENTLY: retryOrPark('chargingPayment'),
          STEP_TIMED_OUT: retryOrPark('chargingPayment'),
          CANCEL: { target: 'compensating', actions: 'recordCancellation' },
        },
      },
      creatingShipment: {
        entry: { type: 'startStep', params: { step: 'createShipment' } },
        on: {
          SHIPMENT_CREATED: { guard: 'answersPendingCommand', target: 'completed', actions: 'recordSuccess' },
          SHIPMENT_REJECTED: {
            guard: 'answersPendingCommand',
            target: 'compensating',
            actions: ['recordFailure', 'recordBusinessRefusal'],
          },
          STEP_FAILED_TRANSIENTLY: retryOrPark('creatingShipment'),
          STEP_TIMED_OUT: retryOrPark('creatingShipment'),
        },
      },
      /** Routes to the next undo, latest effect first; passes straight through. */
      compensating: {
        always: [...undoOrder.map((step) => UNDO_ROUTE[step]), { target: 'cancelled' }],
      },
      cancellingShipment: {
        entry: { type: 'startStep', params: { step: 'cancelShipment' } },
        on: {
          SHIPMENT_CANCELLED: { guard: 'answersPendingCommand', target: 'compensating', actions: 'recordSuccess' },
          SHIPMENT_CANCEL_REJECTED: { guard: 'answersPendingCommand', target: 'failed', actions: ['recordFailure', 'clearPending'] },
          STEP_FAILED_TRANSIENTLY: retryOrPark('cancellingShipment'),
          STEP_TIMED_OUT: retryOrPark('cancellingShipment'),
        },
      },
      refundingPayment: {
        entry: { type: 'startStep', params: { step: 'refundPayment' } },
        on: {
          PAYMENT_REFUNDED: { guard: 'answersPendingCommand', target: 'compensating', actions: 'recordSuccess' },
          REFUND_REJECTED: { guard: 'answersPendingCommand', target: 'failed', actions: ['recordFailure', 'clearPending'] },
          STEP_FAILED_TRANSIENTLY: retryOrPark('refundingPayment'),
          STEP_TIMED_OUT: retryOrPark('refundingPayment'),
        },
      },
      releasingInventory: {
        entry: { type: 'startStep', params: { step: 'releaseInventory' } },
        on: {
          INVENTORY_RELEASED: { guard: 'answersPendingCommand', target: 'compensating', actions: 'recordSuccess' },
          RELEASE_REJECTED: { guard: 'answersPendingCommand', target: 'failed', actions: ['recordFailure', 'clearPending'] },
          STEP_FAILED_TRANSIENTLY: retryOrPark('releasingInventory'),
          STEP_TIMED_OUT: retryOrPark('releasingInventory'),
        },
      },
      /** A step used up its attempts: wait for an operator. */
      stuck: {
        entry: 'parkStuckStep',
        on: {
          RETRY: [
            { guard: { type: 'stuckAt', params: { step: 'reserveInventory' } }, target: 'reservingInventory', actions: 'grantOperatorRetry' },
            { guard: { type: 'stuckAt', params: { step: 'chargePayment' } }, target: 'chargingPayment', actions: 'grantOperatorRetry' },
            { guard: { type: 'stuckAt', params: { step: 'createShipment' } }, target: 'creatingShipment', actions: 'grantOperatorRetry' },
            { guard: { type: 'stuckAt', params: { step: 'cancelShipment' } }, target: 'cancellingShipment', actions: 'grantOperatorRetry' },
            { guard: { type: 'stuckAt', params: { step: 'refundPayment' } }, target: 'refundingPayment', actions: 'grantOperatorRetry' },
            { guard: { type: 'stuckAt', params: { step: 'releaseInventory' } }, target: 'releasingInventory', actions: 'grantOperatorRetry' },
          ],
          COMPENSATE: { guard: 'stuckOnForwardStep', target: 'compensating', actions: 'recordCancellation' },
          CANCEL: { guard: 'stuckBeforeShipping', target: 'compensating', actions: 'recordCancellation' },
        },
      },
      completed: { type: 'final' },
      cancelled: { type: 'final' },
      /** Compensation itself was refused for good: needs a human outside the system. */
      failed: { type: 'final' },
    },
  });
}

/** Transient failure or timeout of the pending attempt: try again while attempts last, else park. */
function retryOrPark<S extends string>(state: S) {
  return [
    {
      guard: and(['answersPendingCommand', 'hasAttemptsLeft']),
      target: state,
      reenter: true,
      actions: 'recordFailure',
    },
    { guard: and(['answersPendingCommand', not('hasAttemptsLeft')]), target: 'stuck', actions: 'recordFailure' },
  ] as const;
}
