/**
 * Every resting state × every event type: which combinations move the saga (and where to), which
 * are ignored, and that the operator actions offered are exactly the operator events that work.
 *
 * The expected table is written out from the business rules, not derived from the machine.
 */
import { describe, expect, it } from 'vitest';
import { allowedActions } from '../../machines/index.ts';
import type { OperatorAction, SagaEventType } from '../../machines/index.ts';
import {
  ALL_EVENT_TYPES,
  eventOf,
  issuedCommandIds,
  observable,
  OPERATOR_EVENT_OF,
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
  // FAIL of a forward step undoes it too, like COMPENSATE: a hung attempt of it may still land.
  'stuck at reserveInventory': { RETRY: 'reservingInventory', COMPENSATE: 'releasingInventory', CANCEL: 'releasingInventory', RESOLVE: 'chargingPayment', FAIL: 'releasingInventory' },
  'stuck at chargePayment': { RETRY: 'chargingPayment', COMPENSATE: 'refundingPayment', CANCEL: 'refundingPayment', RESOLVE: 'creatingShipment', FAIL: 'refundingPayment' },
  'stuck at createShipment': { RETRY: 'creatingShipment', COMPENSATE: 'cancellingShipment', RESOLVE: 'completed', FAIL: 'cancellingShipment' },
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

it('the table covers every scenario', () => {
  expect(Object.keys(EXPECTED).sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
});

describe.each(SCENARIOS)('$name', (scenario) => {
  const saga = scenario.reach();
  const moves = EXPECTED[scenario.name] ?? {};

  it(`rests in ${scenario.state}`, () => {
    expect(stateOf(saga)).toBe(scenario.state);
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
        if (target === scenario.state) {
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
});
