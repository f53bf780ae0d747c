import { and, assign, not, setup } from 'xstate';
import { COMPENSATION_OF, STEPS, commandIdFor, isForwardStep } from './steps.ts';
import {
  COMPENSATION_STEPS,
  FORWARD_STEPS,
  STEP_NAMES,
  type Cancellation,
  type EffectState,
  type FailureKind,
  type ForwardStep,
  type OrderDetails,
  type SagaContext,
  type SagaEvent,
  type SagaInput,
  type StepName,
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
    /** The customer may cancel until shipping has begun (the catalog says where). */
    stuckWhereCustomerMayCancel: ({ context }) => context.stuckStep !== null && STEPS[context.stuckStep].customerMayCancel,
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
    /** The stuck step was done by hand: its effect counts as the worker's would have. */
    recordResolvedByHand: assign(({ context, event }) => {
      const step = context.stuckStep!;
      const reference = event.type === 'RESOLVE' ? event.reference : '';
      const effects = { ...context.effects };
      if (isForwardStep(step)) effects[step] = 'applied';
      else effects[FORWARD_STEPS.find((forward) => COMPENSATION_OF[forward] === step)!] = 'compensated';
      return { effects, references: { ...context.references, [step]: reference }, stuckStep: null };
    }),
    /** v1, v2: the stuck step failed for good, on an operator's word: a forward effect is taken as not having happened, so nothing of it is undone. */
    recordFailedByHand: assign(({ context, event }) => failedByHand(context, event, false)),
    /** From v3: a forward effect stays `pending` (a hung attempt may still land), so its undo is sent too: it undoes that or leaves a tombstone that refuses it. */
    recordFailedByHandUndoingIt: assign(({ context, event }) => failedByHand(context, event, true)),
  },
});

/** What FAIL records of the stuck step; `undoTheStep`: a forward step's own effect stays "may exist", so compensation undoes it too. */
function failedByHand(context: SagaContext, event: SagaEvent, undoTheStep: boolean): Partial<SagaContext> {
  const step = context.stuckStep!;
  if (event.type !== 'FAIL') return {};
  const failure = { step, attempt: context.attempts[step] ?? 0, kind: 'permanent' as const, message: `marked failed by ${event.actor}: ${event.reason}` };
  if (!isForwardStep(step)) return { lastError: failure, stuckStep: null };
  const cancellation: Cancellation = { by: 'operator', reason: event.reason, actor: event.actor };
  const effects = undoTheStep ? context.effects : { ...context.effects, [step]: 'failed' as const };
  return { effects, cancellation, lastError: failure, stuckStep: null };
}

/** The guard that says a forward step's effect may exist, so compensation must undo it. */
const MAY_EXIST = {
  createShipment: 'shipmentMayExist',
  chargePayment: 'chargeMayExist',
  reserveInventory: 'reservationMayExist',
} as const satisfies Record<ForwardStep, string>;

const NO_ORDER: OrderDetails = { orderId: '', customerId: '', currency: '', items: [], totalCents: 0 };

function initialContext(order: OrderDetails, maxAttempts: number): SagaContext {
  return {
    ...order,
    maxAttempts,
    attempts: {},
    attemptLimits: {},
    pending: null,
    effects: Object.fromEntries(FORWARD_STEPS.map((step) => [step, 'notStarted'])) as Record<ForwardStep, EffectState>,
    references: {},
    lastError: null,
    stuckStep: null,
    cancellation: null,
  };
}

/** What sets a released version apart, besides the order of its undos. */
export interface VersionRules {
  /** FAIL on a stuck forward step undoes that step too, since its outcome is unknown (from v3). */
  failUndoesTheStep: boolean;
}

/**
 * Build the machine with compensation undoing effects in `undoOrder`. Released versions call
 * this with fixed arguments and never change, so a saga always resumes on the rules it began with.
 */
export function buildOrderSaga(undoOrder: readonly ForwardStep[], rules: VersionRules) {
  return orderSaga.createMachine({
    id: 'orderSaga',
    // XState's pure `transition` first builds a throwaway actor, which computes an initial
    // context without any input; throwing there cost an Error and its stack trace on every
    // step (a tenth of the orchestrator's CPU), so it gets an order-less context instead.
    context: ({ input }: { input: SagaInput | undefined }) => initialContext(input?.order ?? NO_ORDER, input?.maxAttempts ?? 0),
    initial: STEPS[FORWARD_STEPS[0]].state,
    states: {
      ...stepStates(FORWARD_STEPS),
      /** Routes to the next undo, latest effect first; passes straight through. */
      compensating: {
        always: [
          ...undoOrder.map((step) => ({ guard: MAY_EXIST[step], target: STEPS[COMPENSATION_OF[step]].state })),
          { target: 'cancelled' },
        ],
      },
      ...stepStates(COMPENSATION_STEPS),
      /** A step used up its attempts: wait for an operator. */
      stuck: {
        entry: 'parkStuckStep',
        on: {
          RETRY: STEP_NAMES.map((step) => ({
            guard: { type: 'stuckAt', params: { step } },
            target: STEPS[step].state,
            actions: 'grantOperatorRetry',
          })),
          RESOLVE: STEP_NAMES.map((step) => ({
            guard: { type: 'stuckAt', params: { step } },
            target: afterSuccess(step),
            actions: 'recordResolvedByHand',
          })),
          FAIL: STEP_NAMES.map((step) => ({
            guard: { type: 'stuckAt', params: { step } },
            target: isForwardStep(step) ? 'compensating' : 'failed',
            actions: rules.failUndoesTheStep ? 'recordFailedByHandUndoingIt' : 'recordFailedByHand',
          })),
          COMPENSATE: { guard: 'stuckOnForwardStep', target: 'compensating', actions: 'recordCancellation' },
          CANCEL: { guard: 'stuckWhereCustomerMayCancel', target: 'compensating', actions: 'recordCancellation' },
        },
      },
      completed: { type: 'final' },
      cancelled: { type: 'final' },
      /** Compensation itself was refused for good: needs a human outside the system. */
      failed: { type: 'final' },
    },
  });
}

/** One state per step, keyed by the state the catalog names. */
function stepStates(steps: readonly StepName[]) {
  return Object.fromEntries(steps.map((step) => [STEPS[step].state, stepState(step)]));
}

/** A transition as the machine's setup checks it: guards and actions by their names. */
type StepTransitions = NonNullable<Parameters<typeof orderSaga.createStateConfig>[0]['on']>;
type Transition = NonNullable<StepTransitions[keyof StepTransitions]>;

/**
 * Wait for one attempt of a step. Success moves on; a refusal for good of a forward step undoes
 * what happened before it, of an undo needs a human; a transient failure or a timeout retries.
 */
function stepState(step: StepName) {
  const { state, succeeded, failed, customerMayCancel } = STEPS[step];
  // Typed here: under a computed key the compiler would not check them.
  const onSuccess: Transition = { guard: 'answersPendingCommand', target: afterSuccess(step), actions: 'recordSuccess' };
  const onRefusal: Transition = isForwardStep(step)
    ? { guard: 'answersPendingCommand', target: 'compensating', actions: ['recordFailure', 'recordBusinessRefusal'] }
    : { guard: 'answersPendingCommand', target: 'failed', actions: ['recordFailure', 'clearPending'] };
  return orderSaga.createStateConfig({
    entry: { type: 'startStep', params: { step } },
    on: {
      [succeeded]: onSuccess,
      [failed]: onRefusal,
      STEP_FAILED_TRANSIENTLY: retryOrPark(state),
      STEP_TIMED_OUT: retryOrPark(state),
      ...(customerMayCancel ? { CANCEL: { target: 'compensating', actions: 'recordCancellation' } } : {}),
    },
  });
}

/** The next forward step, or `completed` after the last; after an undo, the next undo. */
function afterSuccess(step: StepName): string {
  if (!isForwardStep(step)) return 'compensating';
  const next = FORWARD_STEPS[FORWARD_STEPS.indexOf(step) + 1];
  return next ? STEPS[next].state : 'completed';
}

/** Transient failure or timeout of the pending attempt: try again while attempts last, else park. */
function retryOrPark(state: string) {
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
