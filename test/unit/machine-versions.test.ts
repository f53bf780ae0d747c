/** The released machine versions differ only where their release notes say they do. */
import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { CURRENT_MACHINE_VERSION, MACHINES, machineFor, ORDER_SAGA_V1, ORDER_SAGA_V2, ORDER_SAGA_V3, type SagaEvent } from '../../machines/index.ts';

const order = { orderId: 'o', customerId: 'c', currency: 'USD', items: [{ sku: 'A', quantity: 1, unitPriceCents: 1 }], totalCents: 1 };

function walk(version: string, events: SagaEvent[]): string[] {
  return walkWithCommands(version, events).states;
}

/** The states a saga passes through on `version`, and the command it waits on after each event. */
function walkWithCommands(version: string, events: SagaEvent[], maxAttempts = 3): { states: string[]; commands: (string | null)[] } {
  const machine = machineFor(version);
  let [snapshot] = initialTransition(machine, { order, maxAttempts });
  const states = [String(snapshot.value)];
  const commands = [snapshot.context.pending?.commandId ?? null];
  for (const event of events) {
    [snapshot] = transition(machine, snapshot, event);
    states.push(String(snapshot.value));
    commands.push(snapshot.context.pending?.commandId ?? null);
  }
  return { states, commands };
}

/** Where a walk ended: the last state and the command it waits on there. */
const last = (walked: { states: string[]; commands: (string | null)[] }) => ({ state: walked.states.at(-1), command: walked.commands.at(-1) });

const reply = (type: string, step: string, attempt = 1) => ({ type, commandId: `o:${step}:${attempt}`, reference: 'r', message: 'm' }) as SagaEvent;
const shipmentRejected = [reply('INVENTORY_RESERVED', 'reserveInventory'), reply('PAYMENT_CHARGED', 'chargePayment'), reply('SHIPMENT_REJECTED', 'createShipment')];

describe('machine versions', () => {
  it('lists every released version, and new sagas start on v3', () => {
    expect(Object.keys(MACHINES)).toEqual([ORDER_SAGA_V1, ORDER_SAGA_V2, ORDER_SAGA_V3]);
    expect(CURRENT_MACHINE_VERSION).toBe(ORDER_SAGA_V3);
    expect(() => machineFor('order-saga@9')).toThrow(/unknown machine version "order-saga@9"/);
  });

  it('v1 refunds before it releases', () => {
    expect(walk(ORDER_SAGA_V1, [...shipmentRejected, reply('PAYMENT_REFUNDED', 'refundPayment'), reply('INVENTORY_RELEASED', 'releaseInventory')])).toEqual([
      'reservingInventory', 'chargingPayment', 'creatingShipment', 'refundingPayment', 'releasingInventory', 'cancelled',
    ]);
  });

  it('v2 releases before it refunds', () => {
    expect(walk(ORDER_SAGA_V2, [...shipmentRejected, reply('INVENTORY_RELEASED', 'releaseInventory'), reply('PAYMENT_REFUNDED', 'refundPayment')])).toEqual([
      'reservingInventory', 'chargingPayment', 'creatingShipment', 'releasingInventory', 'refundingPayment', 'cancelled',
    ]);
  });

  it('agree on every path without two effects to undo', () => {
    const happy = [...shipmentRejected.slice(0, 2), reply('SHIPMENT_CREATED', 'createShipment')];
    const declined = [reply('INVENTORY_RESERVED', 'reserveInventory'), reply('PAYMENT_DECLINED', 'chargePayment'), reply('INVENTORY_RELEASED', 'releaseInventory')];
    for (const events of [happy, declined, [reply('INVENTORY_UNAVAILABLE', 'reserveInventory')]]) {
      expect(walk(ORDER_SAGA_V2, events)).toEqual(walk(ORDER_SAGA_V1, events));
    }
  });

  it('v3 releases before it refunds, as v2 does', () => {
    expect(walk(ORDER_SAGA_V3, [...shipmentRejected, reply('INVENTORY_RELEASED', 'releaseInventory'), reply('PAYMENT_REFUNDED', 'refundPayment')])).toEqual([
      'reservingInventory', 'chargingPayment', 'creatingShipment', 'releasingInventory', 'refundingPayment', 'cancelled',
    ]);
  });

  it('v2 and v3 agree on every path without FAIL', () => {
    const operator = (type: 'RETRY' | 'COMPENSATE' | 'CANCEL') => ({ type, actor: 'ops', reason: 'r' }) as SagaEvent;
    const resolve = { type: 'RESOLVE', actor: 'ops', reason: 'r', reference: 'by hand' } as SagaEvent;
    const timedOut = (step: string, attempt = 1) => ({ type: 'STEP_TIMED_OUT', commandId: `o:${step}:${attempt}` }) as SagaEvent;
    const stuckAtShipment = [...shipmentRejected.slice(0, 2), timedOut('createShipment', 1)];
    const paths: SagaEvent[][] = [
      [...shipmentRejected.slice(0, 2), reply('SHIPMENT_CREATED', 'createShipment')],
      [reply('INVENTORY_RESERVED', 'reserveInventory'), reply('PAYMENT_DECLINED', 'chargePayment'), reply('INVENTORY_RELEASED', 'releaseInventory')],
      [reply('INVENTORY_UNAVAILABLE', 'reserveInventory')],
      [...shipmentRejected, reply('INVENTORY_RELEASED', 'releaseInventory'), reply('PAYMENT_REFUNDED', 'refundPayment')],
      [...shipmentRejected, reply('INVENTORY_RELEASED', 'releaseInventory'), reply('REFUND_REJECTED', 'refundPayment')],
      // Customer cancels while the charge is out: the stock, then the charge that may exist.
      [reply('INVENTORY_RESERVED', 'reserveInventory'), operator('CANCEL'), reply('INVENTORY_RELEASED', 'releaseInventory'), reply('PAYMENT_REFUNDED', 'refundPayment')],
      // Stuck at the shipment (one attempt): retried, resolved, compensated.
      [...stuckAtShipment, operator('RETRY'), reply('SHIPMENT_CREATED', 'createShipment', 2)],
      [...stuckAtShipment, resolve],
      [...stuckAtShipment, operator('COMPENSATE'), reply('SHIPMENT_CANCELLED', 'cancelShipment'), reply('INVENTORY_RELEASED', 'releaseInventory'), reply('PAYMENT_REFUNDED', 'refundPayment')],
      // Stuck at the charge and at the reservation, compensated.
      [reply('INVENTORY_RESERVED', 'reserveInventory'), timedOut('chargePayment'), operator('COMPENSATE'), reply('INVENTORY_RELEASED', 'releaseInventory'), reply('PAYMENT_REFUNDED', 'refundPayment')],
      [timedOut('reserveInventory'), operator('COMPENSATE'), reply('INVENTORY_RELEASED', 'releaseInventory')],
      // Stuck on an undo, resolved by hand.
      [...stuckAtShipment, operator('COMPENSATE'), timedOut('cancelShipment'), resolve, reply('INVENTORY_RELEASED', 'releaseInventory'), reply('PAYMENT_REFUNDED', 'refundPayment')],
    ];
    for (const events of paths) {
      const v3 = walkWithCommands(ORDER_SAGA_V3, events, 1);
      expect(v3.states.at(-1)).toMatch(/^(completed|cancelled|failed)$/);
      expect(v3).toEqual(walkWithCommands(ORDER_SAGA_V2, events, 1));
    }
  });

  it('v3 differs from v2 only in FAIL of a stuck forward step: the step\'s own undo is sent first', () => {
    const fail = { type: 'FAIL', actor: 'ops', reason: 'lost for good' } as SagaEvent;
    const timedOut = (step: string) => ({ type: 'STEP_TIMED_OUT', commandId: `o:${step}:1` }) as SagaEvent;
    const stuckAt = {
      reserveInventory: [timedOut('reserveInventory')],
      chargePayment: [reply('INVENTORY_RESERVED', 'reserveInventory'), timedOut('chargePayment')],
      createShipment: [...shipmentRejected.slice(0, 2), timedOut('createShipment')],
    };
    // Up to the FAIL, both agree. Then v3 sends the stuck step's own undo, first where its undo order
    // puts it first; v2 undoes only what came before the step, or ends at once if nothing did.
    const cases = [
      { step: 'reserveInventory', v2: { state: 'cancelled', command: null }, v3: { state: 'releasingInventory', command: 'o:releaseInventory:1' } },
      { step: 'chargePayment', v2: { state: 'releasingInventory', command: 'o:releaseInventory:1' }, v3: { state: 'releasingInventory', command: 'o:releaseInventory:1' } },
      { step: 'createShipment', v2: { state: 'releasingInventory', command: 'o:releaseInventory:1' }, v3: { state: 'cancellingShipment', command: 'o:cancelShipment:1' } },
    ] as const;
    for (const { step, v2, v3 } of cases) {
      const events = [...stuckAt[step], fail];
      const onV2 = walkWithCommands(ORDER_SAGA_V2, events, 1);
      const onV3 = walkWithCommands(ORDER_SAGA_V3, events, 1);
      expect(onV3.states.slice(0, -1)).toEqual(onV2.states.slice(0, -1));
      expect(onV3.states.at(-2)).toBe('stuck');
      expect(last(onV2)).toEqual(v2);
      expect(last(onV3)).toEqual(v3);
    }
    // Stuck at the charge, both release the stock first (their undo order); v3 then refunds the charge that may exist, v2 ends.
    const afterRelease = [...stuckAt.chargePayment, fail, reply('INVENTORY_RELEASED', 'releaseInventory')];
    expect(last(walkWithCommands(ORDER_SAGA_V2, afterRelease, 1))).toEqual({ state: 'cancelled', command: null });
    expect(last(walkWithCommands(ORDER_SAGA_V3, afterRelease, 1))).toEqual({ state: 'refundingPayment', command: 'o:refundPayment:1' });
    // FAIL on a stuck undo is the same on both: the order ends failed.
    const stuckUndo = [...stuckAt.createShipment, { type: 'COMPENSATE', actor: 'ops', reason: 'r' } as SagaEvent, timedOut('cancelShipment'), fail];
    expect(walkWithCommands(ORDER_SAGA_V3, stuckUndo, 1)).toEqual(walkWithCommands(ORDER_SAGA_V2, stuckUndo, 1));
    expect(walkWithCommands(ORDER_SAGA_V3, stuckUndo, 1).states.at(-1)).toBe('failed');
  });
});
