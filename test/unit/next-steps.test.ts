/** What happens next, read from the machine: the words and plans an operator sees. */
import { describe, expect, it } from 'vitest';
import { firstSnapshot, nextSnapshot } from '../../machines/pure-steps.ts';
import { machineFor, nextSteps, ORDER_SAGA_V1, ORDER_SAGA_V2, ORDER_SAGA_V3, type SagaEvent } from '../../machines/index.ts';

const order = { orderId: 'o', customerId: 'c', currency: 'USD', items: [{ sku: 'A', quantity: 1, unitPriceCents: 1 }], totalCents: 1 };
const reply = (type: string, step: string, attempt = 1) => ({ type, commandId: `o:${step}:${attempt}`, reference: 'r', message: 'carrier down' }) as SagaEvent;

function sagaAfter(version: string, events: SagaEvent[], maxAttempts = 1) {
  const machine = machineFor(version);
  let snapshot = firstSnapshot(machine, { order, maxAttempts });
  for (const event of events) snapshot = nextSnapshot(machine, snapshot, event);
  return { machine, snapshot };
}

const stuckAtShipping = [reply('INVENTORY_RESERVED', 'reserveInventory'), reply('PAYMENT_CHARGED', 'chargePayment'), reply('STEP_TIMED_OUT', 'createShipment')];

describe('what happens next', () => {
  it('says what a running saga waits for, and what a customer cancel would undo', () => {
    const { machine, snapshot } = sagaAfter(ORDER_SAGA_V2, [reply('INVENTORY_RESERVED', 'reserveInventory')], 3);
    const next = nextSteps(machine, snapshot);
    expect(next.says).toBe('waits for payment to charge the payment (attempt 1 of 3)');
    expect(next.plans.map((plan) => plan.action)).toEqual(['cancel']);
    // v2 releases the stock before it refunds; the charge may exist, so it is refunded.
    expect(next.plans[0]).toMatchObject({
      ends: 'cancelled',
      commands: [
        { step: 'releaseInventory', service: 'inventory', undo: true },
        { step: 'refundPayment', service: 'payment', undo: true },
      ],
    });
  });

  it('offers every action the stuck saga allows, each with the commands it sends and where the order ends', () => {
    const { machine, snapshot } = sagaAfter(ORDER_SAGA_V1, stuckAtShipping);
    const next = nextSteps(machine, snapshot);
    expect(next.says).toMatch(/^is parked: book the shipment did not succeed .*waits for an operator$/);
    const byAction = Object.fromEntries(next.plans.map((plan) => [plan.action, plan]));
    expect(Object.keys(byAction)).toEqual(['retry', 'compensate', 'resolve', 'fail']);
    expect(byAction.retry).toMatchObject({ ends: 'completed', commands: [{ step: 'createShipment', attempt: 2, undo: false }] });
    expect(byAction.resolve).toMatchObject({ ends: 'completed', commands: [] });
    expect(byAction.resolve!.says).toBe('records "book the shipment" as done by hand; the order ends completed, with no further command');
    // v1 refunds before it releases; a shipment marked failed is taken as never booked: it is not cancelled.
    expect(byAction.fail!.commands.map((command) => command.step)).toEqual(['refundPayment', 'releaseInventory']);
    expect(byAction.fail).toMatchObject({ ends: 'cancelled' });
    expect(byAction.fail!.says).toBe(
      'records "book the shipment" as failed for good: asks payment to refund the payment, then inventory to release the stock; if each succeeds, the order ends cancelled',
    );
    expect(byAction.compensate!.commands.map((command) => command.step)).toEqual(['cancelShipment', 'refundPayment', 'releaseInventory']);
    expect(byAction.compensate!.says).toBe(
      'undoes what was done: asks shipping to cancel the shipment, then payment to refund the payment, then inventory to release the stock; if each succeeds, the order ends cancelled',
    );
  });

  /** A saga on `version`, stuck at the forward `step` on its only attempt, and its plans by action. */
  function stuckPlans(version: string, step: 'reserveInventory' | 'chargePayment' | 'createShipment') {
    const before = { reserveInventory: [], chargePayment: [reply('INVENTORY_RESERVED', 'reserveInventory')], createShipment: stuckAtShipping.slice(0, 2) }[step];
    const { machine, snapshot } = sagaAfter(version, [...before, reply('STEP_TIMED_OUT', step)]);
    expect(snapshot.context.stuckStep).toBe(step);
    return Object.fromEntries(nextSteps(machine, snapshot).plans.map((plan) => [plan.action, plan]));
  }

  // v1 and v2 take a step marked failed as not having happened: only what came before it is undone.
  it.each([
    [ORDER_SAGA_V1, 'reserveInventory', []],
    [ORDER_SAGA_V1, 'chargePayment', ['releaseInventory']],
    [ORDER_SAGA_V1, 'createShipment', ['refundPayment', 'releaseInventory']],
    [ORDER_SAGA_V2, 'reserveInventory', []],
    [ORDER_SAGA_V2, 'chargePayment', ['releaseInventory']],
    // v2 releases the stock before it refunds.
    [ORDER_SAGA_V2, 'createShipment', ['releaseInventory', 'refundPayment']],
  ] as const)("%s stuck at %s: fail sends only the undos of what came before the step (%j), not the step's own", (version, step, undos) => {
    const byAction = stuckPlans(version, step);
    expect(byAction.fail!.commands.map((command) => command.step)).toEqual(undos);
    expect(byAction.fail!.commands.every((command) => command.undo && command.attempt === 1)).toBe(true);
    expect(byAction.fail!.ends).toBe('cancelled');
    // A compensate's plan is the same, with the step's own undo in it.
    const ownUndo = { reserveInventory: 'releaseInventory', chargePayment: 'refundPayment', createShipment: 'cancelShipment' }[step];
    expect(byAction.compensate!.commands.map((command) => command.step)).toContain(ownUndo);
    expect(byAction.compensate!.commands.filter((command) => command.step !== ownUndo)).toEqual(byAction.fail!.commands);
  });

  it.each([ORDER_SAGA_V1, ORDER_SAGA_V2])('%s stuck at reserveInventory: fail says it ends cancelled with no command', (version) => {
    expect(stuckPlans(version, 'reserveInventory').fail).toEqual({
      action: 'fail',
      commands: [],
      ends: 'cancelled',
      says: 'records "reserve the stock" as failed for good; the order ends cancelled, with no further command',
    });
  });

  // v3: the step's outcome is unknown, so failing it sends its own undo too: the plan is a compensate's.
  it.each([
    [ORDER_SAGA_V3, 'reserveInventory', ['releaseInventory']],
    // v3 releases the stock before it refunds, as v2 does, for a failed charge as for a compensated one.
    [ORDER_SAGA_V3, 'chargePayment', ['releaseInventory', 'refundPayment']],
    [ORDER_SAGA_V3, 'createShipment', ['cancelShipment', 'releaseInventory', 'refundPayment']],
  ] as const)("%s stuck at %s: fail sends the step's own undo too (%j), as compensate does", (version, step, undos) => {
    const byAction = stuckPlans(version, step);
    expect(byAction.fail!.commands.map((command) => command.step)).toEqual(undos);
    expect(byAction.fail!.commands.every((command) => command.undo && command.attempt === 1)).toBe(true);
    expect(byAction.fail!.ends).toBe('cancelled');
    expect(byAction.fail!.commands).toEqual(byAction.compensate!.commands);
  });

  it('resolving a stuck undo moves the compensation on; failing it ends the order failed', () => {
    const stuckUndo = [...stuckAtShipping, { type: 'COMPENSATE', actor: 'a', reason: 'r' } as SagaEvent, reply('STEP_TIMED_OUT', 'cancelShipment')];
    const { machine, snapshot } = sagaAfter(ORDER_SAGA_V2, stuckUndo);
    const byAction = Object.fromEntries(nextSteps(machine, snapshot).plans.map((plan) => [plan.action, plan]));
    expect(Object.keys(byAction)).toEqual(['retry', 'resolve', 'fail']);
    expect(byAction.resolve).toMatchObject({ ends: 'cancelled', commands: [{ step: 'releaseInventory' }, { step: 'refundPayment' }] });
    expect(byAction.fail).toMatchObject({ ends: 'failed', commands: [] });
  });

  it('a resolved step keeps the reference the operator gave, as a worker reply would', () => {
    const { machine, snapshot } = sagaAfter(ORDER_SAGA_V2, stuckAtShipping);
    const after = nextSnapshot(machine, snapshot, { type: 'RESOLVE', actor: 'ops-anna', reason: 'booked by phone', reference: 'DHL-123' });
    expect(after.value).toBe('completed');
    expect(after.context.references.createShipment).toBe('DHL-123');
    expect(after.context.effects.createShipment).toBe('applied');
    expect(nextSteps(machine, after)).toMatchObject({ says: 'has ended completed; nothing will move it', plans: [], waitingFor: null });
  });
});
