/**
 * The order saga's business paths, walked event by event: what state the saga is in, what
 * command it waits on, which effects may exist in the outside world, and why it ended. On v1 (the
 * harness's version) unless a block names its version.
 */
import { describe, expect, it } from 'vitest';
import {
  allowedActions,
  commandIdFor,
  COMPENSATION_OF,
  FORWARD_STEPS,
  machineFor,
  ORDER_SAGA_V1,
  ORDER_SAGA_V2,
  ORDER_SAGA_V3,
  orderSagaV1,
  STEPS,
  statusOf,
} from '../../machines/index.ts';
import type { ForwardStep, MachineVersion, StepName } from '../../machines/index.ts';
import {
  ALL_STEPS,
  commandIdOf,
  customerCancels,
  deadlinePasses,
  DEFAULT_MAX_ATTEMPTS,
  eventOf,
  FORWARD,
  observable,
  ORDER,
  operatorCompensates,
  operatorFails,
  operatorRetries,
  reachCancellingShipment,
  reachChargingPayment,
  reachCreatingShipment,
  reachRefundingPayment,
  reachReleasingInventory,
  reachStuckAt,
  REFUSAL_EVENT,
  send,
  startSaga,
  STATE_OF_STEP,
  stateOf,
  STEP_OF_STATE,
  STEP_STATES,
  SUCCESS_EVENT,
  workerFailsTransiently,
  workerRefuses,
  workerSucceeds,
} from './order-saga.harness.ts';
import type { Saga, StepState } from './order-saga.harness.ts';

function pendingFor(step: StepName, attempt: number) {
  return { step, attempt, commandId: commandIdOf(step, attempt) };
}

/** A saga still at work: waiting on exactly one command. */
function expectRunning(saga: Saga, state: string, step: StepName, attempt: number) {
  expect(stateOf(saga)).toBe(state);
  expect(saga.status).toBe('active');
  expect(statusOf(stateOf(saga))).toBe('running');
  expect(saga.context.pending).toEqual(pendingFor(step, attempt));
  expect(saga.context.attempts[step]).toBe(attempt);
  expect(saga.context.stuckStep).toBeNull();
}

function expectFinal(saga: Saga, state: 'completed' | 'cancelled' | 'failed') {
  expect(stateOf(saga)).toBe(state);
  expect(saga.status).toBe('done');
  expect(statusOf(stateOf(saga))).toBe(state);
  expect(saga.context.pending).toBeNull();
  expect(saga.context.stuckStep).toBeNull();
  expect(allowedActions(saga)).toEqual([]);
}

function expectStuck(saga: Saga, step: StepName) {
  expect(stateOf(saga)).toBe('stuck');
  expect(saga.status).toBe('active');
  expect(statusOf(stateOf(saga))).toBe('stuck');
  expect(saga.context.pending).toBeNull();
  expect(saga.context.stuckStep).toBe(step);
}

function expectUnchanged(before: Saga, after: Saga) {
  expect(observable(after)).toEqual(observable(before));
}

const NOTHING_STARTED = { reserveInventory: 'notStarted', chargePayment: 'notStarted', createShipment: 'notStarted' };

describe('a new saga', () => {
  it('starts by reserving inventory for the order, with the order details in its context', () => {
    const saga = startSaga(4);
    expectRunning(saga, 'reservingInventory', 'reserveInventory', 1);
    expect(saga.context).toEqual({
      ...ORDER,
      maxAttempts: 4,
      attempts: { reserveInventory: 1 },
      attemptLimits: {},
      pending: { step: 'reserveInventory', attempt: 1, commandId: 'order-42:reserveInventory:1' },
      effects: { ...NOTHING_STARTED, reserveInventory: 'pending' },
      references: {},
      lastError: null,
      stuckStep: null,
      cancellation: null,
    });
    expect(allowedActions(saga)).toEqual(['cancel']);
  });

  it('builds commandIds from its own orderId', () => {
    const saga = startSaga(3, { ...ORDER, orderId: 'A-1' });
    expect(saga.context.pending?.commandId).toBe('A-1:reserveInventory:1');
  });
});

describe('happy path', () => {
  it('reserves, charges, ships and completes, recording each worker reference', () => {
    let saga = startSaga();
    expectRunning(saga, 'reservingInventory', 'reserveInventory', 1);
    expect(saga.context.effects).toEqual({ ...NOTHING_STARTED, reserveInventory: 'pending' });
    expect(allowedActions(saga)).toEqual(['cancel']);

    saga = send(saga, { type: 'INVENTORY_RESERVED', commandId: 'order-42:reserveInventory:1', reference: 'rsv-1' });
    expectRunning(saga, 'chargingPayment', 'chargePayment', 1);
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'pending', createShipment: 'notStarted' });
    expect(saga.context.references).toEqual({ reserveInventory: 'rsv-1' });
    expect(allowedActions(saga)).toEqual(['cancel']);

    saga = send(saga, { type: 'PAYMENT_CHARGED', commandId: 'order-42:chargePayment:1', reference: 'chg-1' });
    expectRunning(saga, 'creatingShipment', 'createShipment', 1);
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'applied', createShipment: 'pending' });
    expect(saga.context.references).toEqual({ reserveInventory: 'rsv-1', chargePayment: 'chg-1' });
    expect(allowedActions(saga)).toEqual([]);

    saga = send(saga, { type: 'SHIPMENT_CREATED', commandId: 'order-42:createShipment:1', reference: 'shp-1' });
    expectFinal(saga, 'completed');
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'applied', createShipment: 'applied' });
    expect(saga.context.references).toEqual({ reserveInventory: 'rsv-1', chargePayment: 'chg-1', createShipment: 'shp-1' });
    expect(saga.context.cancellation).toBeNull();
    expect(saga.context.lastError).toBeNull();
    expect(saga.context.attempts).toEqual({ reserveInventory: 1, chargePayment: 1, createShipment: 1 });
  });

  it('completes after transient failures and timeouts that stay within the attempt budget', () => {
    let saga = startSaga(2);
    saga = deadlinePasses(saga);
    expectRunning(saga, 'reservingInventory', 'reserveInventory', 2);
    saga = workerSucceeds(saga, 'rsv-2');
    saga = workerFailsTransiently(saga);
    saga = workerSucceeds(saga, 'chg-2');
    saga = deadlinePasses(saga);
    saga = workerSucceeds(saga, 'shp-2');
    expectFinal(saga, 'completed');
    expect(saga.context.attempts).toEqual({ reserveInventory: 2, chargePayment: 2, createShipment: 2 });
    expect(saga.context.references).toEqual({ reserveInventory: 'rsv-2', chargePayment: 'chg-2', createShipment: 'shp-2' });
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'applied', createShipment: 'applied' });
    // The last error is kept for the record even though the saga recovered.
    expect(saga.context.lastError).toMatchObject({ step: 'createShipment', attempt: 1, kind: 'timeout' });
  });
});

describe('business failures', () => {
  it('inventory unavailable: cancelled at once, nothing to undo', () => {
    let saga = startSaga();
    saga = send(saga, { type: 'INVENTORY_UNAVAILABLE', commandId: 'order-42:reserveInventory:1', message: 'out of stock' });
    expectFinal(saga, 'cancelled');
    expect(saga.context.effects).toEqual({ ...NOTHING_STARTED, reserveInventory: 'failed' });
    expect(saga.context.references).toEqual({});
    expect(saga.context.cancellation).toEqual({ by: 'business', reason: 'out of stock' });
    expect(saga.context.lastError).toEqual({
      step: 'reserveInventory',
      attempt: 1,
      kind: 'permanent',
      message: 'out of stock',
    });
  });

  it('payment declined: the reservation is released, then cancelled', () => {
    let saga = reachChargingPayment();
    saga = send(saga, { type: 'PAYMENT_DECLINED', commandId: 'order-42:chargePayment:1', message: 'card declined' });
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'failed', createShipment: 'notStarted' });
    expect(saga.context.cancellation).toEqual({ by: 'business', reason: 'card declined' });
    expect(saga.context.lastError).toEqual({ step: 'chargePayment', attempt: 1, kind: 'permanent', message: 'card declined' });
    expect(allowedActions(saga)).toEqual([]);

    saga = send(saga, { type: 'INVENTORY_RELEASED', commandId: 'order-42:releaseInventory:1', reference: 'rel-1' });
    expectFinal(saga, 'cancelled');
    expect(saga.context.effects).toEqual({
      reserveInventory: 'compensated',
      chargePayment: 'failed',
      createShipment: 'notStarted',
    });
    expect(saga.context.references).toEqual({ reserveInventory: 'reserveInventory-ref-1', releaseInventory: 'rel-1' });
    expect(saga.context.cancellation).toEqual({ by: 'business', reason: 'card declined' });
  });

  it('shipment rejected: the charge is refunded, the reservation released, then cancelled', () => {
    let saga = reachCreatingShipment();
    saga = send(saga, { type: 'SHIPMENT_REJECTED', commandId: 'order-42:createShipment:1', message: 'address invalid' });
    expectRunning(saga, 'refundingPayment', 'refundPayment', 1);
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'applied', createShipment: 'failed' });
    expect(saga.context.cancellation).toEqual({ by: 'business', reason: 'address invalid' });

    saga = send(saga, { type: 'PAYMENT_REFUNDED', commandId: 'order-42:refundPayment:1', reference: 'rfd-1' });
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    expect(saga.context.effects).toEqual({
      reserveInventory: 'applied',
      chargePayment: 'compensated',
      createShipment: 'failed',
    });

    saga = send(saga, { type: 'INVENTORY_RELEASED', commandId: 'order-42:releaseInventory:1', reference: 'rel-1' });
    expectFinal(saga, 'cancelled');
    expect(saga.context.effects).toEqual({
      reserveInventory: 'compensated',
      chargePayment: 'compensated',
      createShipment: 'failed',
    });
    expect(saga.context.references).toEqual({
      reserveInventory: 'reserveInventory-ref-1',
      chargePayment: 'chargePayment-ref-1',
      refundPayment: 'rfd-1',
      releaseInventory: 'rel-1',
    });
    expect(saga.context.cancellation).toEqual({ by: 'business', reason: 'address invalid' });
  });
});

describe('replies count only for the pending attempt', () => {
  it.each(STEP_STATES)('%s ignores a reply that carries another commandId', (state) => {
    const saga = reachStepState(state);
    const step = STEP_OF_STATE[state];
    const wrongIds = [
      commandIdOf(step, 2), // an attempt that has not been started
      commandIdOf(step, 1, 'order-43'), // another order
      `${commandIdOf(step, 1)}-copy`,
      '',
      ...ALL_STEPS.filter((other) => other !== step).map((other) => commandIdOf(other, 1)),
    ];
    for (const commandId of wrongIds) {
      for (const type of [SUCCESS_EVENT[step], REFUSAL_EVENT[step], 'STEP_FAILED_TRANSIENTLY', 'STEP_TIMED_OUT'] as const) {
        expectUnchanged(saga, send(saga, eventOf(type, commandId)));
      }
    }
  });

  it.each(STEP_STATES)('%s ignores a late reply to the attempt it already gave up on', (state) => {
    const step = STEP_OF_STATE[state];
    const retried = workerFailsTransiently(reachStepState(state));
    expectRunning(retried, state, step, 2);
    for (const type of [SUCCESS_EVENT[step], REFUSAL_EVENT[step], 'STEP_FAILED_TRANSIENTLY', 'STEP_TIMED_OUT'] as const) {
      expectUnchanged(retried, send(retried, eventOf(type, commandIdOf(step, 1))));
    }
    // ...while the reply to the current attempt still counts.
    expect(stateOf(workerSucceeds(retried))).not.toBe(state);
  });

  it.each(STEP_STATES)('%s ignores the replies of other steps, even with its own commandId', (state) => {
    const saga = reachStepState(state);
    const step = STEP_OF_STATE[state];
    const commandId = saga.context.pending!.commandId;
    for (const other of ALL_STEPS.filter((s) => s !== step)) {
      expectUnchanged(saga, send(saga, eventOf(SUCCESS_EVENT[other], commandId)));
      expectUnchanged(saga, send(saga, eventOf(REFUSAL_EVENT[other], commandId)));
    }
  });

  it('a reply to a forward step abandoned by a customer cancel is ignored during compensation', () => {
    const charging = reachChargingPayment();
    let saga = customerCancels(charging);
    expectRunning(saga, 'refundingPayment', 'refundPayment', 1);
    const late = send(saga, { type: 'PAYMENT_CHARGED', commandId: 'order-42:chargePayment:1', reference: 'chg-late' });
    expectUnchanged(saga, late);
    saga = send(saga, { type: 'PAYMENT_DECLINED', commandId: 'order-42:chargePayment:1', message: 'late decline' });
    expectRunning(saga, 'refundingPayment', 'refundPayment', 1);
  });

  it('a late reply to the attempt that got stuck is ignored in stuck', () => {
    const stuck = reachStuckAt('chargePayment');
    const lastAttempt = commandIdOf('chargePayment', DEFAULT_MAX_ATTEMPTS);
    for (const type of ['PAYMENT_CHARGED', 'PAYMENT_DECLINED', 'STEP_FAILED_TRANSIENTLY', 'STEP_TIMED_OUT'] as const) {
      expectUnchanged(stuck, send(stuck, eventOf(type, lastAttempt)));
    }
  });
});

function reachStepState(state: StepState): Saga {
  const reach: Record<StepState, () => Saga> = {
    reservingInventory: () => startSaga(),
    chargingPayment: () => reachChargingPayment(),
    creatingShipment: () => reachCreatingShipment(),
    cancellingShipment: () => reachCancellingShipment(),
    refundingPayment: () => reachRefundingPayment(),
    releasingInventory: () => reachReleasingInventory(),
  };
  return reach[state]();
}

describe('transient failures and timeouts', () => {
  describe.each(STEP_STATES)('in %s', (state) => {
    const step = STEP_OF_STATE[state];

    it('retries with the next attempt and a new commandId, then parks in stuck when attempts run out', () => {
      let saga = reachStepState(state);
      expectRunning(saga, state, step, 1);
      const effects = saga.context.effects;
      const cancellation = saga.context.cancellation;

      saga = send(saga, { type: 'STEP_FAILED_TRANSIENTLY', commandId: commandIdOf(step, 1), message: 'worker crashed' });
      expectRunning(saga, state, step, 2);
      expect(saga.context.lastError).toEqual({ step, attempt: 1, kind: 'transient', message: 'worker crashed' });
      expect(saga.context.effects).toEqual(effects);
      expect(saga.context.cancellation).toEqual(cancellation);

      saga = send(saga, { type: 'STEP_TIMED_OUT', commandId: commandIdOf(step, 2) });
      expectRunning(saga, state, step, 3);
      expect(saga.context.lastError).toEqual({ step, attempt: 2, kind: 'timeout', message: expect.any(String) });
      expect(saga.context.lastError!.message).not.toBe('');

      saga = send(saga, { type: 'STEP_FAILED_TRANSIENTLY', commandId: commandIdOf(step, 3), message: 'still down' });
      expectStuck(saga, step);
      expect(saga.context.attempts[step]).toBe(3);
      expect(saga.context.lastError).toEqual({ step, attempt: 3, kind: 'transient', message: 'still down' });
      expect(saga.context.effects).toEqual(effects);
      expect(saga.context.cancellation).toEqual(cancellation);
    });

    it('a timeout of the last attempt parks it too', () => {
      let saga = reachStepState(state);
      saga = workerFailsTransiently(saga);
      saga = workerFailsTransiently(saga);
      saga = deadlinePasses(saga);
      expectStuck(saga, step);
      expect(saga.context.lastError).toMatchObject({ step, attempt: 3, kind: 'timeout' });
    });

    it('with maxAttempts 1 the first failure parks it', () => {
      const before: Record<StepState, () => Saga> = {
        reservingInventory: () => startSaga(1),
        chargingPayment: () => reachChargingPayment(1),
        creatingShipment: () => reachCreatingShipment(1),
        // Stuck at createShipment after its single attempt, then compensated.
        cancellingShipment: () => reachCancellingShipment(1),
        refundingPayment: () => reachRefundingPayment(1),
        releasingInventory: () => reachReleasingInventory(1),
      };
      const saga = deadlinePasses(before[state]());
      expectStuck(saga, step);
      expect(saga.context.attempts[step]).toBe(1);
    });
  });
});

describe('operator retry from stuck', () => {
  it('gives the stuck step a fresh round of maxAttempts attempts (maxAttempts 2)', () => {
    let saga = startSaga(2);
    saga = workerFailsTransiently(saga); // attempt 1
    expectRunning(saga, 'reservingInventory', 'reserveInventory', 2);
    saga = deadlinePasses(saga); // attempt 2
    expectStuck(saga, 'reserveInventory');
    expect(allowedActions(saga)).toEqual(['retry', 'compensate', 'cancel', 'resolve', 'fail']);

    saga = operatorRetries(saga);
    expectRunning(saga, 'reservingInventory', 'reserveInventory', 3);
    expect(saga.context.pending?.commandId).toBe('order-42:reserveInventory:3');
    expect(saga.context.effects.reserveInventory).toBe('pending');
    expect(saga.context.cancellation).toBeNull();

    saga = workerFailsTransiently(saga); // attempt 3
    expectRunning(saga, 'reservingInventory', 'reserveInventory', 4);
    saga = workerFailsTransiently(saga); // attempt 4
    expectStuck(saga, 'reserveInventory');
    expect(saga.context.lastError).toMatchObject({ step: 'reserveInventory', attempt: 4, kind: 'transient' });

    saga = operatorRetries(saga);
    expectRunning(saga, 'reservingInventory', 'reserveInventory', 5);
    saga = workerFailsTransiently(saga); // attempt 5
    expectRunning(saga, 'reservingInventory', 'reserveInventory', 6);
    saga = workerSucceeds(saga, 'rsv-6');
    expectRunning(saga, 'chargingPayment', 'chargePayment', 1);
    expect(saga.context.references.reserveInventory).toBe('rsv-6');
  });

  it.each(ALL_STEPS)('stuck at %s: RETRY goes back to the step with attempt maxAttempts + 1', (step) => {
    const stuck = reachStuckAt(step, 2);
    expectStuck(stuck, step);
    const saga = operatorRetries(stuck);
    expectRunning(saga, STATE_OF_STEP[step], step, 3);
    expect(saga.context.effects).toEqual(stuck.context.effects);
    expect(saga.context.cancellation).toEqual(stuck.context.cancellation);
    // A stale reply to the attempt that got stuck still does not count after the retry.
    expectUnchanged(saga, send(saga, eventOf(SUCCESS_EVENT[step], commandIdOf(step, 2))));
  });

  it('a retried forward step that then succeeds carries on with the saga', () => {
    let saga = operatorRetries(reachStuckAt('chargePayment'));
    saga = workerSucceeds(saga, 'chg-4');
    expectRunning(saga, 'creatingShipment', 'createShipment', 1);
    saga = workerSucceeds(saga, 'shp-1');
    expectFinal(saga, 'completed');
    expect(saga.context.references).toEqual({
      reserveInventory: 'reserveInventory-ref-1',
      chargePayment: 'chg-4',
      createShipment: 'shp-1',
    });
  });

  it('a retried compensation step that then succeeds finishes the compensation', () => {
    let saga = operatorRetries(reachStuckAt('refundPayment'));
    expectRunning(saga, 'refundingPayment', 'refundPayment', 4);
    saga = workerSucceeds(saga, 'rfd-4');
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    saga = workerSucceeds(saga, 'rel-1');
    expectFinal(saga, 'cancelled');
    expect(saga.context.cancellation).toEqual({ by: 'business', reason: 'refused for good' });
  });
});

describe('operator compensate from stuck', () => {
  const operator = { by: 'operator', actor: 'ops-bob', reason: 'carrier outage' };

  it('stuck at createShipment: cancels the shipment, refunds, releases, cancelled', () => {
    let saga = reachStuckAt('createShipment');
    expect(allowedActions(saga)).toEqual(['retry', 'compensate', 'resolve', 'fail']);

    saga = operatorCompensates(saga, 'ops-bob', 'carrier outage');
    expectRunning(saga, 'cancellingShipment', 'cancelShipment', 1);
    expect(saga.context.cancellation).toEqual(operator);
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'applied', createShipment: 'pending' });

    saga = send(saga, { type: 'SHIPMENT_CANCELLED', commandId: 'order-42:cancelShipment:1', reference: 'cxl-1' });
    expectRunning(saga, 'refundingPayment', 'refundPayment', 1);
    expect(saga.context.effects.createShipment).toBe('compensated');

    saga = send(saga, { type: 'PAYMENT_REFUNDED', commandId: 'order-42:refundPayment:1', reference: 'rfd-1' });
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    expect(saga.context.effects.chargePayment).toBe('compensated');

    saga = send(saga, { type: 'INVENTORY_RELEASED', commandId: 'order-42:releaseInventory:1', reference: 'rel-1' });
    expectFinal(saga, 'cancelled');
    expect(saga.context.effects).toEqual({
      reserveInventory: 'compensated',
      chargePayment: 'compensated',
      createShipment: 'compensated',
    });
    expect(saga.context.references).toEqual({
      reserveInventory: 'reserveInventory-ref-1',
      chargePayment: 'chargePayment-ref-1',
      cancelShipment: 'cxl-1',
      refundPayment: 'rfd-1',
      releaseInventory: 'rel-1',
    });
    expect(saga.context.cancellation).toEqual(operator);
  });

  it('stuck at chargePayment: refunds (the charge may have happened), releases, cancelled', () => {
    let saga = reachStuckAt('chargePayment');
    expect(allowedActions(saga)).toEqual(['retry', 'compensate', 'cancel', 'resolve', 'fail']);

    saga = operatorCompensates(saga, 'ops-bob', 'carrier outage');
    expectRunning(saga, 'refundingPayment', 'refundPayment', 1);
    expect(saga.context.cancellation).toEqual(operator);
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'pending', createShipment: 'notStarted' });

    saga = workerSucceeds(saga, 'rfd-1');
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    saga = workerSucceeds(saga, 'rel-1');
    expectFinal(saga, 'cancelled');
    expect(saga.context.effects).toEqual({
      reserveInventory: 'compensated',
      chargePayment: 'compensated',
      createShipment: 'notStarted',
    });
    expect(saga.context.references).toEqual({
      reserveInventory: 'reserveInventory-ref-1',
      refundPayment: 'rfd-1',
      releaseInventory: 'rel-1',
    });
    expect(saga.context.cancellation).toEqual(operator);
  });

  it('stuck at reserveInventory: releases (the reservation may have happened), cancelled', () => {
    let saga = reachStuckAt('reserveInventory');
    saga = operatorCompensates(saga, 'ops-bob', 'carrier outage');
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    expect(saga.context.effects).toEqual({ ...NOTHING_STARTED, reserveInventory: 'pending' });

    saga = workerSucceeds(saga, 'rel-1');
    expectFinal(saga, 'cancelled');
    expect(saga.context.effects).toEqual({ ...NOTHING_STARTED, reserveInventory: 'compensated' });
    expect(saga.context.references).toEqual({ releaseInventory: 'rel-1' });
    expect(saga.context.cancellation).toEqual(operator);
  });

  it.each(['cancelShipment', 'refundPayment', 'releaseInventory'] as const)(
    'is refused when stuck on the compensation step %s',
    (step) => {
      const stuck = reachStuckAt(step);
      expect(allowedActions(stuck)).toEqual(['retry', 'resolve', 'fail']);
      expectUnchanged(stuck, operatorCompensates(stuck));
      expectUnchanged(stuck, customerCancels(stuck));
    },
  );
});

describe('customer cancel', () => {
  const customer = { by: 'customer', actor: 'customer-7', reason: 'changed my mind' };

  it('while reserving: the reservation that may exist is released, then cancelled', () => {
    let saga = customerCancels(startSaga());
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    expect(saga.context.cancellation).toEqual(customer);
    expect(saga.context.effects).toEqual({ ...NOTHING_STARTED, reserveInventory: 'pending' });
    expect(allowedActions(saga)).toEqual([]);

    saga = workerSucceeds(saga, 'rel-1');
    expectFinal(saga, 'cancelled');
    expect(saga.context.effects).toEqual({ ...NOTHING_STARTED, reserveInventory: 'compensated' });
    expect(saga.context.references).toEqual({ releaseInventory: 'rel-1' });
    expect(saga.context.cancellation).toEqual(customer);
  });

  it('while charging: refunds, releases, cancelled', () => {
    let saga = customerCancels(reachChargingPayment());
    expectRunning(saga, 'refundingPayment', 'refundPayment', 1);
    expect(saga.context.cancellation).toEqual(customer);
    saga = workerSucceeds(saga, 'rfd-1');
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    saga = workerSucceeds(saga, 'rel-1');
    expectFinal(saga, 'cancelled');
    expect(saga.context.effects).toEqual({
      reserveInventory: 'compensated',
      chargePayment: 'compensated',
      createShipment: 'notStarted',
    });
    expect(saga.context.cancellation).toEqual(customer);
  });

  it('while stuck at reserveInventory: releases, cancelled', () => {
    let saga = customerCancels(reachStuckAt('reserveInventory'));
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    expect(saga.context.cancellation).toEqual(customer);
    saga = workerSucceeds(saga);
    expectFinal(saga, 'cancelled');
    expect(saga.context.effects).toEqual({ ...NOTHING_STARTED, reserveInventory: 'compensated' });
    expect(saga.context.cancellation).toEqual(customer);
  });

  it('while stuck at chargePayment: refunds, releases, cancelled', () => {
    let saga = customerCancels(reachStuckAt('chargePayment'));
    expectRunning(saga, 'refundingPayment', 'refundPayment', 1);
    expect(saga.context.cancellation).toEqual(customer);
    saga = workerSucceeds(saga);
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    saga = workerSucceeds(saga);
    expectFinal(saga, 'cancelled');
    expect(saga.context.effects).toEqual({
      reserveInventory: 'compensated',
      chargePayment: 'compensated',
      createShipment: 'notStarted',
    });
    expect(saga.context.cancellation).toEqual(customer);
  });

  it('is refused once shipping has begun', () => {
    const creating = reachCreatingShipment();
    expectUnchanged(creating, customerCancels(creating));
    const stuck = reachStuckAt('createShipment');
    expectUnchanged(stuck, customerCancels(stuck));
  });

  it('is refused during compensation', () => {
    for (const saga of [reachCancellingShipment(), reachRefundingPayment(), reachReleasingInventory()]) {
      expectUnchanged(saga, customerCancels(saga));
    }
  });
});

/** Answer every command with success until the saga rests: the commands it sent, in order (its outbox, one at a time). */
function commandsUntilRest(saga: Saga): { sent: string[]; end: Saga } {
  const sent: string[] = [];
  let current = saga;
  while (current.context.pending) {
    sent.push(current.context.pending.commandId);
    current = workerSucceeds(current);
  }
  return { sent, end: current };
}

const operatorBob = { by: 'operator', actor: 'ops-bob', reason: 'the carrier lost it' };
const failedByBob = (step: StepName) => ({ step, attempt: DEFAULT_MAX_ATTEMPTS, kind: 'permanent', message: 'marked failed by ops-bob: the carrier lost it' });
/** A saga on `version`, parked at `step` after its last attempt. */
const stuckOn = (version: MachineVersion, step: StepName) => reachStuckAt(step, DEFAULT_MAX_ATTEMPTS, version);

// v1 and v2 (released, never changed): the operator's FAIL takes the stuck forward step as not
// having happened. Its effect is recorded `failed` and only what came before it is undone.
describe.each([
  { version: ORDER_SAGA_V1, undosAfterShipment: ['refundPayment', 'releaseInventory'] },
  // v2 releases the stock before it refunds.
  { version: ORDER_SAGA_V2, undosAfterShipment: ['releaseInventory', 'refundPayment'] },
] as const)('$version: operator marks a stuck forward step failed: it is taken as not having happened', ({ version, undosAfterShipment }) => {
  it('stuck at createShipment: no shipment is cancelled; the payment and the stock are undone; cancelled', () => {
    const stuck = stuckOn(version, 'createShipment');
    expect(stuck.machine).toBe(machineFor(version));
    const saga = operatorFails(stuck, 'ops-bob', 'the carrier lost it');
    expectRunning(saga, STATE_OF_STEP[undosAfterShipment[0]], undosAfterShipment[0], 1);
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'applied', createShipment: 'failed' });
    expect(saga.context.cancellation).toEqual(operatorBob);
    expect(saga.context.lastError).toEqual(failedByBob('createShipment'));
    expect(allowedActions(saga)).toEqual([]);

    const { sent, end } = commandsUntilRest(saga);
    expect(sent).toEqual(undosAfterShipment.map((step) => commandIdOf(step, 1)));
    expectFinal(end, 'cancelled');
    expect(end.context.effects).toEqual({ reserveInventory: 'compensated', chargePayment: 'compensated', createShipment: 'failed' });
    expect(end.context.cancellation).toEqual(operatorBob);
    expect(end.context.lastError).toEqual(failedByBob('createShipment'));
  });

  it('stuck at reserveInventory: nothing came before it, so nothing is sent; cancelled at once', () => {
    const saga = operatorFails(stuckOn(version, 'reserveInventory'), 'ops-bob', 'the carrier lost it');
    expectFinal(saga, 'cancelled');
    expect(saga.context.effects).toEqual({ ...NOTHING_STARTED, reserveInventory: 'failed' });
    expect(saga.context.cancellation).toEqual(operatorBob);
    expect(saga.context.lastError).toEqual(failedByBob('reserveInventory'));
  });

  it('stuck at chargePayment: no refund, the reservation is released; cancelled', () => {
    const saga = operatorFails(stuckOn(version, 'chargePayment'), 'ops-bob', 'the carrier lost it');
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'failed', createShipment: 'notStarted' });

    const { sent, end } = commandsUntilRest(saga);
    expect(sent).toEqual([commandIdOf('releaseInventory', 1)]);
    expectFinal(end, 'cancelled');
    expect(end.context.effects).toEqual({ reserveInventory: 'compensated', chargePayment: 'failed', createShipment: 'notStarted' });
    expect(end.context.lastError).toEqual(failedByBob('chargePayment'));
  });

  it.each(FORWARD)("stuck at %s: sends a compensate's undos but the step's own, and records the operator's word as the last error", (step) => {
    const stuck = stuckOn(version, step);
    const failed = operatorFails(stuck, 'ops-bob', 'the carrier lost it');
    const compensated = operatorCompensates(stuck, 'ops-bob', 'the carrier lost it');
    const ownUndo = commandIdOf(COMPENSATION_OF[step], 1);
    expect(commandsUntilRest(compensated).sent).toContain(ownUndo);
    expect(commandsUntilRest(failed).sent).toEqual(commandsUntilRest(compensated).sent.filter((commandId) => commandId !== ownUndo));
    expect(failed.context.effects).toEqual({ ...compensated.context.effects, [step]: 'failed' });
    expect(failed.context.cancellation).toEqual(compensated.context.cancellation);
    expect(failed.context.lastError).toEqual(failedByBob(step));
  });
});

// v3: a step is stuck because its outcome is unknown: a hung attempt may still take effect after
// the operator's word. So its own undo goes out too, first: it undoes what a late attempt did, or
// finds nothing and leaves a tombstone that refuses the late attempt (workers/compensation.ts).
// v3 releases the stock before it refunds, as v2 does.
describe(`${ORDER_SAGA_V3}: operator marks a stuck forward step failed: its own undo goes out too`, () => {
  const stuckAt = (step: ForwardStep) => {
    const stuck = stuckOn(ORDER_SAGA_V3, step);
    expect(stuck.machine).toBe(machineFor(ORDER_SAGA_V3));
    return stuck;
  };

  it('stuck at createShipment: the shipment is cancelled first, then the release and the refund; cancelled', () => {
    const saga = operatorFails(stuckAt('createShipment'), 'ops-bob', 'the carrier lost it');
    expectRunning(saga, 'cancellingShipment', 'cancelShipment', 1);
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'applied', createShipment: 'pending' });
    expect(saga.context.cancellation).toEqual(operatorBob);
    expect(saga.context.lastError).toEqual(failedByBob('createShipment'));
    expect(allowedActions(saga)).toEqual([]);

    // A late answer to the attempt that hung changes nothing here: the undo deals with it in the worker.
    expectUnchanged(saga, send(saga, { type: 'SHIPMENT_CREATED', commandId: commandIdOf('createShipment', DEFAULT_MAX_ATTEMPTS), reference: 'late' }));

    const { sent, end } = commandsUntilRest(saga);
    expect(sent).toEqual([commandIdOf('cancelShipment', 1), commandIdOf('releaseInventory', 1), commandIdOf('refundPayment', 1)]);
    expectFinal(end, 'cancelled');
    expect(end.context.effects).toEqual({ reserveInventory: 'compensated', chargePayment: 'compensated', createShipment: 'compensated' });
    // The operator's word stays on record.
    expect(end.context.cancellation).toEqual(operatorBob);
    expect(end.context.lastError).toEqual(failedByBob('createShipment'));
  });

  it('stuck at reserveInventory: the reservation that may exist is released; cancelled', () => {
    const saga = operatorFails(stuckAt('reserveInventory'), 'ops-bob', 'the carrier lost it');
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    expect(saga.context.effects).toEqual({ ...NOTHING_STARTED, reserveInventory: 'pending' });
    expect(saga.context.cancellation).toEqual(operatorBob);

    const { sent, end } = commandsUntilRest(saga);
    expect(sent).toEqual([commandIdOf('releaseInventory', 1)]);
    expectFinal(end, 'cancelled');
    expect(end.context.effects).toEqual({ ...NOTHING_STARTED, reserveInventory: 'compensated' });
    expect(end.context.lastError).toEqual(failedByBob('reserveInventory'));
  });

  it('stuck at chargePayment: the stock is released, then the charge that may exist is refunded; cancelled', () => {
    const saga = operatorFails(stuckAt('chargePayment'), 'ops-bob', 'the carrier lost it');
    expectRunning(saga, 'releasingInventory', 'releaseInventory', 1);
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'pending', createShipment: 'notStarted' });

    const { sent, end } = commandsUntilRest(saga);
    expect(sent).toEqual([commandIdOf('releaseInventory', 1), commandIdOf('refundPayment', 1)]);
    expectFinal(end, 'cancelled');
    expect(end.context.effects).toEqual({ reserveInventory: 'compensated', chargePayment: 'compensated', createShipment: 'notStarted' });
  });

  it.each(FORWARD)("stuck at %s: sends the same undos as a compensate, and records the operator's word as the last error", (step) => {
    const stuck = stuckAt(step);
    const failed = operatorFails(stuck, 'ops-bob', 'the carrier lost it');
    const compensated = operatorCompensates(stuck, 'ops-bob', 'the carrier lost it');
    expect(commandsUntilRest(failed).sent).toContain(commandIdOf(COMPENSATION_OF[step], 1));
    expect(commandsUntilRest(failed).sent).toEqual(commandsUntilRest(compensated).sent);
    expect(failed.context.effects).toEqual(compensated.context.effects);
    expect(failed.context.cancellation).toEqual(compensated.context.cancellation);
    expect(failed.context.lastError).toEqual(failedByBob(step));
  });
});

// Failing a stuck undo is the same on every version: nothing is left to send.
describe.each([ORDER_SAGA_V1, ORDER_SAGA_V2, ORDER_SAGA_V3] as const)('%s: operator marks a stuck undo failed', (version) => {
  it.each(['cancelShipment', 'refundPayment', 'releaseInventory'] as const)(
    'stuck at the undo %s: ends failed, sends nothing more and leaves the effects as they were',
    (step) => {
      const stuck = stuckOn(version, step);
      expect(stuck.machine).toBe(machineFor(version));
      const saga = operatorFails(stuck, 'ops-bob', 'the carrier lost it');
      expectFinal(saga, 'failed');
      expect(saga.context.effects).toEqual(stuck.context.effects);
      expect(saga.context.cancellation).toEqual(stuck.context.cancellation);
      expect(saga.context.lastError).toEqual(failedByBob(step));
    },
  );
});

describe('compensation refused for good ends in failed', () => {
  it('shipment cancel rejected', () => {
    let saga = reachCancellingShipment();
    saga = send(saga, { type: 'SHIPMENT_CANCEL_REJECTED', commandId: 'order-42:cancelShipment:1', message: 'already shipped' });
    expectFinal(saga, 'failed');
    expect(saga.context.lastError).toEqual({
      step: 'cancelShipment',
      attempt: 1,
      kind: 'permanent',
      message: 'already shipped',
    });
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'applied', createShipment: 'pending' });
    expect(saga.context.cancellation).toMatchObject({ by: 'operator' });
  });

  it('refund rejected', () => {
    let saga = reachRefundingPayment();
    saga = send(saga, { type: 'REFUND_REJECTED', commandId: 'order-42:refundPayment:1', message: 'charge disputed' });
    expectFinal(saga, 'failed');
    expect(saga.context.lastError).toEqual({ step: 'refundPayment', attempt: 1, kind: 'permanent', message: 'charge disputed' });
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'applied', createShipment: 'failed' });
    expect(saga.context.cancellation).toEqual({ by: 'business', reason: 'refused for good' });
  });

  it('release rejected, also after retries', () => {
    let saga = reachReleasingInventory();
    saga = deadlinePasses(saga);
    saga = send(saga, { type: 'RELEASE_REJECTED', commandId: 'order-42:releaseInventory:2', message: 'unknown reservation' });
    expectFinal(saga, 'failed');
    expect(saga.context.lastError).toEqual({
      step: 'releaseInventory',
      attempt: 2,
      kind: 'permanent',
      message: 'unknown reservation',
    });
    expect(saga.context.effects).toEqual({ reserveInventory: 'applied', chargePayment: 'failed', createShipment: 'notStarted' });
  });

  it('a compensation step retried by an operator can still be refused', () => {
    let saga = operatorRetries(reachStuckAt('cancelShipment'));
    expectRunning(saga, 'cancellingShipment', 'cancelShipment', 4);
    saga = workerRefuses(saga, 'parcel lost');
    expectFinal(saga, 'failed');
    expect(saga.context.lastError).toMatchObject({ step: 'cancelShipment', attempt: 4, kind: 'permanent' });
  });
});

describe('statusOf', () => {
  it.each([
    ['completed', 'completed'],
    ['cancelled', 'cancelled'],
    ['failed', 'failed'],
    ['stuck', 'stuck'],
    ['reservingInventory', 'running'],
    ['chargingPayment', 'running'],
    ['creatingShipment', 'running'],
    ['compensating', 'running'],
    ['cancellingShipment', 'running'],
    ['refundingPayment', 'running'],
    ['releasingInventory', 'running'],
  ])('%s → %s', (state, status) => {
    expect(statusOf(state)).toBe(status);
  });

  it('covers every state of the machine', () => {
    expect(Object.keys(orderSagaV1.root.states).sort()).toEqual(
      [
        'reservingInventory',
        'chargingPayment',
        'creatingShipment',
        'compensating',
        'cancellingShipment',
        'refundingPayment',
        'releasingInventory',
        'stuck',
        'completed',
        'cancelled',
        'failed',
      ].sort(),
    );
  });
});

describe('step vocabulary and machine registry', () => {
  it('STEPS names each step state and outcome as the business does', () => {
    for (const step of ALL_STEPS) {
      expect(STEPS[step]).toMatchObject({
        state: STATE_OF_STEP[step],
        succeeded: SUCCESS_EVENT[step],
        failed: REFUSAL_EVENT[step],
      });
    }
    expect(FORWARD_STEPS).toEqual(FORWARD);
    expect(COMPENSATION_OF).toEqual({
      reserveInventory: 'releaseInventory',
      chargePayment: 'refundPayment',
      createShipment: 'cancelShipment',
    });
    expect(commandIdFor('o-1', 'refundPayment', 3)).toBe('o-1:refundPayment:3');
  });

  it('machineFor resolves v1 and refuses unknown versions', () => {
    expect(machineFor(ORDER_SAGA_V1)).toBe(orderSagaV1);
    expect(() => machineFor('order-saga@99')).toThrow(/unknown machine version/);
  });
});
