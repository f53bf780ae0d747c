/**
 * Property-style check: a few hundred seeded random event sequences. Whatever happens, the saga
 * never throws, never spends more attempts than it was granted, waits on a command exactly when it
 * is still at work, and offers exactly the operator actions the business rules allow.
 */
import { expect, it } from 'vitest';
import { allowedActions, statusOf } from '../../machines/index.ts';
import type { EffectState, OperatorAction, StepName } from '../../machines/index.ts';
import {
  ALL_STEPS,
  commandIdOf,
  FINAL_STATES,
  FORWARD,
  mulberry32,
  ORDER,
  pick,
  randomEvent,
  sameSnapshot,
  send,
  startSaga,
  STATE_OF_STEP,
  stateOf,
} from './order-saga.harness.ts';
import type { Saga } from './order-saga.harness.ts';

const SEQUENCES = 600;
const MAX_LENGTH = 60;

const FINAL = new Set<string>(FINAL_STATES);
const UNDOING_STATES = new Set(['cancellingShipment', 'refundingPayment', 'releasingInventory']);
const ALLOWED_EFFECT_CHANGES: Record<EffectState, readonly EffectState[]> = {
  notStarted: ['pending'],
  pending: ['applied', 'failed', 'compensated'],
  applied: ['compensated'],
  failed: [],
  compensated: [],
};

/** The operator actions the business rules allow, written out (not asked of the machine). */
function actionsAllowedByRules(saga: Saga): OperatorAction[] {
  const state = stateOf(saga);
  const stuckStep = saga.context.stuckStep;
  if (state === 'reservingInventory' || state === 'chargingPayment') return ['cancel'];
  if (state !== 'stuck' || stuckStep === null) return [];
  const actions: OperatorAction[] = ['retry'];
  if ((FORWARD as readonly string[]).includes(stuckStep)) actions.push('compensate');
  if (stuckStep === 'reserveInventory' || stuckStep === 'chargePayment') actions.push('cancel');
  // Any stuck step may be recorded done or failed by hand.
  actions.push('resolve', 'fail');
  return actions;
}

/** Every broken rule in the step `before` → `after`, as readable sentences. */
function violations(before: Saga, after: Saga, retriesGranted: Partial<Record<StepName, number>>): string[] {
  const found: string[] = [];
  const state = stateOf(after);
  const { context } = after;

  // Attempts: within maxAttempts per round, a round per operator retry; never go back, one at a time.
  for (const step of ALL_STEPS) {
    const attempts = context.attempts[step] ?? 0;
    const previous = before.context.attempts[step] ?? 0;
    const limit = context.maxAttempts * (1 + (retriesGranted[step] ?? 0));
    if (attempts > limit) found.push(`${step} made ${attempts} attempts, limit ${limit}`);
    if (attempts < previous || attempts > previous + 1) found.push(`${step} attempts jumped ${previous} → ${attempts}`);
  }

  // A pending command exactly while at work, and it is the one the state waits on.
  const resting = state === 'stuck' || FINAL.has(state);
  const pending = context.pending;
  if (resting && pending !== null) found.push(`pending command in ${state}`);
  if (!resting && pending === null) found.push(`no pending command in ${state}`);
  if (pending) {
    if (STATE_OF_STEP[pending.step] !== state) found.push(`pending ${pending.step} in ${state}`);
    if (pending.attempt !== context.attempts[pending.step]) found.push(`pending attempt ${pending.attempt} is not the latest`);
    if (pending.commandId !== commandIdOf(pending.step, pending.attempt, context.orderId)) {
      found.push(`malformed commandId ${pending.commandId}`);
    }
  }

  // Status.
  if ((after.status === 'done') !== FINAL.has(state)) found.push(`status ${after.status} in ${state}`);
  const expectedStatus = state === 'stuck' || FINAL.has(state) ? state : 'running';
  if (statusOf(state) !== expectedStatus) found.push(`statusOf(${state}) = ${statusOf(state)}`);
  if ((context.stuckStep !== null) !== (state === 'stuck')) found.push(`stuckStep ${context.stuckStep} in ${state}`);

  // Effects only move forward in their life cycle.
  for (const step of FORWARD) {
    const from = before.context.effects[step];
    const to = context.effects[step];
    if (from !== to && !ALLOWED_EFFECT_CHANGES[from].includes(to)) found.push(`effect ${step} went ${from} → ${to}`);
  }

  // A cancellation is recorded once, and exactly when the saga is being (or has been) undone.
  if (before.context.cancellation && !sameValue(before.context.cancellation, context.cancellation)) {
    found.push('cancellation changed once recorded');
  }
  const undoing =
    UNDOING_STATES.has(state) ||
    state === 'cancelled' ||
    state === 'failed' ||
    (state === 'stuck' && context.stuckStep !== null && !(FORWARD as readonly string[]).includes(context.stuckStep));
  if ((context.cancellation !== null) !== undoing) found.push(`cancellation ${JSON.stringify(context.cancellation)} in ${state}`);

  // Offered actions follow the rules.
  const offered = allowedActions(after);
  const expected = actionsAllowedByRules(after);
  if (JSON.stringify(offered) !== JSON.stringify(expected)) found.push(`offers [${offered}] instead of [${expected}]`);

  return found;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

it(`${SEQUENCES} random event sequences keep the saga's invariants`, () => {
  const rand = mulberry32(20240601);
  const problems: string[] = [];
  const visited = new Set<string>();
  let events = 0;

  for (let sequence = 0; sequence < SEQUENCES && problems.length < 10; sequence++) {
    // Small budgets make stuck (and stuck on a compensation step) likely enough to be visited.
    const maxAttempts = pick(rand, [1, 1, 2, 3]);
    let saga = startSaga(maxAttempts, { ...ORDER, orderId: `order-${sequence}` });
    const retriesGranted: Partial<Record<StepName, number>> = {};
    const length = 1 + Math.floor(rand() * MAX_LENGTH);
    const trail: string[] = [];
    let eventsAfterEnd = 0;

    for (let i = 0; i < length && eventsAfterEnd < 3; i++) {
      if (saga.status === 'done') eventsAfterEnd++;
      const event = randomEvent(rand, saga);
      trail.push(`${event.type}${'commandId' in event ? `(${event.commandId})` : ''}`);
      let next: Saga;
      try {
        next = send(saga, event);
      } catch (error) {
        problems.push(`sequence ${sequence}: threw ${String(error)} after ${trail.join(', ')}`);
        break;
      }
      events++;

      const changed = !sameSnapshot(saga, next);
      if (event.type === 'RETRY' && changed && saga.context.stuckStep) {
        retriesGranted[saga.context.stuckStep] = (retriesGranted[saga.context.stuckStep] ?? 0) + 1;
      }
      // Replies count only for the pending command; nothing moves a finished saga.
      const pendingId = saga.context.pending?.commandId;
      if (changed && 'commandId' in event && event.commandId !== pendingId) {
        problems.push(`sequence ${sequence}: ${event.type} for ${event.commandId} moved the saga waiting on ${pendingId}`);
      }
      if (changed && saga.status === 'done') problems.push(`sequence ${sequence}: ${event.type} moved a finished saga`);

      for (const problem of violations(saga, next, retriesGranted)) {
        problems.push(`sequence ${sequence} (maxAttempts ${maxAttempts}): ${problem} after ${trail.join(', ')}`);
      }
      saga = next;
      visited.add(stateOf(saga) === 'stuck' ? `stuck at ${saga.context.stuckStep}` : stateOf(saga));
    }
  }

  expect(problems).toEqual([]);
  expect(events).toBeGreaterThan(SEQUENCES * 5);
  // The walk is not vacuous: it visits every resting state, stuck on every step included.
  expect([...visited].sort()).toEqual(
    [
      ...Object.values(STATE_OF_STEP),
      ...ALL_STEPS.map((step) => `stuck at ${step}`),
      ...FINAL_STATES,
    ].sort(),
  );
});

it('the random event generator is deterministic for a seed', () => {
  const draw = (seed: number) => {
    const rand = mulberry32(seed);
    return Array.from({ length: 20 }, () => pick(rand, ['a', 'b', 'c', 'd']));
  };
  expect(draw(7)).toEqual(draw(7));
  expect(draw(7)).not.toEqual(draw(8));
});
