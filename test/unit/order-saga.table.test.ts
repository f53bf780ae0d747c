/**
 * Every resting state × every event type: which combinations move the saga (and where to), which
 * are ignored, and that the operator actions offered are exactly the operator events that work.
 *
 * The expected table is written out from the business rules, not derived from the machine. It is
 * v1's (the scenarios start on the harness's version, v1); the rows where later versions differ
 * from it at a stuck forward step are written out for them below.
 */
import { describe, expect, it } from 'vitest';
import { allowedActions, FORWARD_STEPS, machineFor, ORDER_SAGA_V1, ORDER_SAGA_V2, ORDER_SAGA_V3 } from '../../machines/index.ts';
import type { ForwardStep, OperatorAction, SagaEventType } from '../../machines/index.ts';
import {
  ALL_EVENT_TYPES,
  DEFAULT_MAX_ATTEMPTS,
  eventOf,
  HARNESS_VERSION,
  issuedCommandIds,
  observable,
  OPERATOR_EVENT_OF,
  reachStuckAt,
  SCENARIOS,
  send,
  stateOf,
} from './order-saga.harness.ts';
import type { RestingState, Saga } from './order-saga.harness.ts';

/** For each event type that moves the saga, the state it lands in; absent = ignored. */
type Moves = Partial<Record<SagaEventType, RestingState>>;

const EXPECTED: Record<string, Moves> = {
  'reserving inventory': {
    INVENTORY_RESERVED: 'chargingPayment',
    INVENTORY_UNAVAILABLE: 'cancelled',
    STEP_FAILED_TRANSIENTLY: 'reservingInventory',
    STEP_TIMED_OUT: 'reservingInventory',
    CANCEL: 'releasingInventory',
  },
  // Attempt 4 of a fresh round (maxAttempts 3, limit now 6): failures still retry.
  'reserving inventory again after an operator retry': {
    INVENTORY_RESERVED: 'chargingPayment',
    INVENTORY_UNAVAILABLE: 'cancelled',
    STEP_FAILED_TRANSIENTLY: 'reservingInventory',
    STEP_TIMED_OUT: 'reservingInventory',
    CANCEL: 'releasingInventory',
  },
  'charging payment': {
    PAYMENT_CHARGED: 'creatingShipment',
    PAYMENT_DECLINED: 'releasingInventory',
    STEP_FAILED_TRANSIENTLY: 'chargingPayment',
    STEP_TIMED_OUT: 'chargingPayment',
    CANCEL: 'refundingPayment',
  },
  'charging payment on its last attempt': {
    PAYMENT_CHARGED: 'creatingShipment',
    PAYMENT_DECLINED: 'releasingInventory',
    STEP_FAILED_TRANSIENTLY: 'stuck',
    STEP_TIMED_OUT: 'stuck',
    CANCEL: 'refundingPayment',
  },
  'creating shipment': {
    SHIPMENT_CREATED: 'completed',
    SHIPMENT_REJECTED: 'refundingPayment',
    STEP_FAILED_TRANSIENTLY: 'creatingShipment',
    STEP_TIMED_OUT: 'creatingShipment',
  },
  'cancelling shipment (operator compensated a stuck shipment)': {
    SHIPMENT_CANCELLED: 'refundingPayment',
    SHIPMENT_CANCEL_REJECTED: 'failed',
    STEP_FAILED_TRANSIENTLY: 'cancellingShipment',
    STEP_TIMED_OUT: 'cancellingShipment',
  },
  'refunding payment (shipment rejected)': {
    PAYMENT_REFUNDED: 'releasingInventory',
    REFUND_REJECTED: 'failed',
    STEP_FAILED_TRANSIENTLY: 'refundingPayment',
    STEP_TIMED_OUT: 'refundingPayment',
  },
  'refunding payment (customer cancelled while charging)': {
    PAYMENT_REFUNDED: 'releasingInventory',
    REFUND_REJECTED: 'failed',
    STEP_FAILED_TRANSIENTLY: 'refundingPayment',
    STEP_TIMED_OUT: 'refundingPayment',
  },
  'releasing inventory (payment declined)': {
    INVENTORY_RELEASED: 'cancelled',
    RELEASE_REJECTED: 'failed',
    STEP_FAILED_TRANSIENTLY: 'releasingInventory',
    STEP_TIMED_OUT: 'releasingInventory',
  },
  'releasing inventory (customer cancelled while reserving)': {
    INVENTORY_RELEASED: 'cancelled',
    RELEASE_REJECTED: 'failed',
    STEP_FAILED_TRANSIENTLY: 'releasingInventory',
    STEP_TIMED_OUT: 'releasingInventory',
  },
  'releasing inventory on its last attempt': {
    INVENTORY_RELEASED: 'cancelled',
    RELEASE_REJECTED: 'failed',
    STEP_FAILED_TRANSIENTLY: 'stuck',
    STEP_TIMED_OUT: 'stuck',
  },
  // v1: FAIL of a forward step takes it as not having happened: only what came before it is undone.
  'stuck at reserveInventory': { RETRY: 'reservingInventory', COMPENSATE: 'releasingInventory', CANCEL: 'releasingInventory', RESOLVE: 'chargingPayment', FAIL: 'cancelled' },
  'stuck at chargePayment': { RETRY: 'chargingPayment', COMPENSATE: 'refundingPayment', CANCEL: 'refundingPayment', RESOLVE: 'creatingShipment', FAIL: 'releasingInventory' },
  'stuck at createShipment': { RETRY: 'creatingShipment', COMPENSATE: 'cancellingShipment', RESOLVE: 'completed', FAIL: 'refundingPayment' },
  'stuck at cancelShipment': { RETRY: 'cancellingShipment', RESOLVE: 'refundingPayment', FAIL: 'failed' },
  'stuck at refundPayment': { RETRY: 'refundingPayment', RESOLVE: 'releasingInventory', FAIL: 'failed' },
  'stuck at releaseInventory': { RETRY: 'releasingInventory', RESOLVE: 'cancelled', FAIL: 'failed' },
  completed: {},
  'cancelled (inventory unavailable)': {},
  'cancelled (after releasing the reservation)': {},
  'failed (release rejected)': {},
};

const OPERATOR_ACTIONS = Object.keys(OPERATOR_EVENT_OF) as OperatorAction[];

/**
 * The commandIds to try: the pending one when the saga waits on a command (the only one that can
 * count), else every command the saga ever issued (late replies, which must all be ignored).
 */
function candidateCommandIds(saga: Saga): string[] {
  return saga.context.pending ? [saga.context.pending.commandId] : issuedCommandIds(saga);
}

/**
 * A stuck forward step on v2 and v3, where they differ from v1: v2 and v3 release the stock before
 * they refund; v3's FAIL undoes the stuck step too (its outcome is unknown), so it moves as
 * COMPENSATE does, where v1's and v2's take the step as not having happened.
 */
const STUCK_FORWARD: Record<typeof ORDER_SAGA_V2 | typeof ORDER_SAGA_V3, Record<ForwardStep, Moves>> = {
  [ORDER_SAGA_V2]: {
    reserveInventory: { RETRY: 'reservingInventory', COMPENSATE: 'releasingInventory', CANCEL: 'releasingInventory', RESOLVE: 'chargingPayment', FAIL: 'cancelled' },
    chargePayment: { RETRY: 'chargingPayment', COMPENSATE: 'releasingInventory', CANCEL: 'releasingInventory', RESOLVE: 'creatingShipment', FAIL: 'releasingInventory' },
    createShipment: { RETRY: 'creatingShipment', COMPENSATE: 'cancellingShipment', RESOLVE: 'completed', FAIL: 'releasingInventory' },
  },
  [ORDER_SAGA_V3]: {
    reserveInventory: { RETRY: 'reservingInventory', COMPENSATE: 'releasingInventory', CANCEL: 'releasingInventory', RESOLVE: 'chargingPayment', FAIL: 'releasingInventory' },
    chargePayment: { RETRY: 'chargingPayment', COMPENSATE: 'releasingInventory', CANCEL: 'releasingInventory', RESOLVE: 'creatingShipment', FAIL: 'releasingInventory' },
    createShipment: { RETRY: 'creatingShipment', COMPENSATE: 'cancellingShipment', RESOLVE: 'completed', FAIL: 'cancellingShipment' },
  },
};

it('the table covers every scenario, on v1', () => {
  expect(Object.keys(EXPECTED).sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
  expect(HARNESS_VERSION).toBe(ORDER_SAGA_V1);
  for (const scenario of SCENARIOS) expect(scenario.reach().machine).toBe(machineFor(ORDER_SAGA_V1));
});

describe.each(SCENARIOS)('$name', (scenario) => {
  expectMoves(scenario.reach(), scenario.state, EXPECTED[scenario.name] ?? {});
});

describe.each([ORDER_SAGA_V2, ORDER_SAGA_V3] as const)('%s', (version) => {
  describe.each(FORWARD_STEPS)('stuck at %s', (step) => {
    const saga = reachStuckAt(step, DEFAULT_MAX_ATTEMPTS, version);
    it(`runs on ${version}`, () => expect(saga.machine).toBe(machineFor(version)));
    expectMoves(saga, 'stuck', STUCK_FORWARD[version][step]);
  });
});

/** Every event type against `saga`, resting in `state`: each moves it as `moves` says, or is ignored. */
function expectMoves(saga: Saga, state: RestingState, moves: Moves) {
  it(`rests in ${state}`, () => {
    expect(stateOf(saga)).toBe(state);
  });

  it.each(ALL_EVENT_TYPES)('%s', (type) => {
    const target = moves[type];
    for (const commandId of candidateCommandIds(saga)) {
      const next = send(saga, eventOf(type, commandId));
      if (target === undefined) {
        expect(observable(next), `${type} should be ignored`).toEqual(observable(saga));
      } else {
        expect(stateOf(next)).toBe(target);
        expect(observable(next)).not.toEqual(observable(saga));
        if (target === state) {
          // A retry of the same step: same state, next attempt.
          const step = saga.context.pending!.step;
          expect(next.context.pending?.attempt).toBe(saga.context.pending!.attempt + 1);
          expect(next.context.attempts[step]).toBe(saga.context.attempts[step]! + 1);
        }
      }
    }
  });

  it('offers exactly the operator actions that move the saga', () => {
    const expected = OPERATOR_ACTIONS.filter((action) => moves[OPERATOR_EVENT_OF[action]] !== undefined);
    expect(allowedActions(saga)).toEqual(expected);
  });
}
