import { buildOrderSaga } from './definition.ts';

export const ORDER_SAGA_V3 = 'order-saga@3';

/**
 * v3: as v2, and an operator's FAIL of a stuck forward step undoes that step too: its outcome is
 * unknown (a hung attempt may still land), so its undo goes out, reversing a late effect or
 * leaving a tombstone that refuses it. v1 and v2 take the step as not having happened.
 */
export const orderSagaV3 = buildOrderSaga(['createShipment', 'reserveInventory', 'chargePayment'], { failUndoesTheStep: true });
