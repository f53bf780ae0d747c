/** The released machine versions differ only where their release notes say they do. */
import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { CURRENT_MACHINE_VERSION, MACHINES, machineFor, ORDER_SAGA_V1, ORDER_SAGA_V2, type SagaEvent } from '../../machines/index.ts';

const order = { orderId: 'o', customerId: 'c', currency: 'USD', items: [{ sku: 'A', quantity: 1, unitPriceCents: 1 }], totalCents: 1 };

function walk(version: string, events: SagaEvent[]): string[] {
  const machine = machineFor(version);
  let [snapshot] = initialTransition(machine, { order, maxAttempts: 3 });
  const states = [String(snapshot.value)];
  for (const event of events) {
    [snapshot] = transition(machine, snapshot, event);
    states.push(String(snapshot.value));
  }
  return states;
}

const reply = (type: string, step: string, attempt = 1) => ({ type, commandId: `o:${step}:${attempt}`, reference: 'r', message: 'm' }) as SagaEvent;
const shipmentRejected = [reply('INVENTORY_RESERVED', 'reserveInventory'), reply('PAYMENT_CHARGED', 'chargePayment'), reply('SHIPMENT_REJECTED', 'createShipment')];

describe('machine versions', () => {
  it('lists every released version, and new sagas start on v2', () => {
    expect(Object.keys(MACHINES)).toEqual([ORDER_SAGA_V1, ORDER_SAGA_V2]);
    expect(CURRENT_MACHINE_VERSION).toBe(ORDER_SAGA_V2);
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
});
