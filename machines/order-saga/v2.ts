import { buildOrderSaga } from './definition.ts';

export const ORDER_SAGA_V2 = 'order-saga@2';

/**
 * v2: compensation releases the stock before it refunds the payment, so a cancelled order's
 * items are back on sale while the refund is still on its way.
 */
export const orderSagaV2 = buildOrderSaga(['createShipment', 'reserveInventory', 'chargePayment'], { failUndoesTheStep: false });
