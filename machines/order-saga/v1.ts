import { buildOrderSaga } from './definition.ts';

export const ORDER_SAGA_V1 = 'order-saga@1';

/** v1: compensation refunds the payment before it releases the stock. */
export const orderSagaV1 = buildOrderSaga(['createShipment', 'chargePayment', 'reserveInventory'], { failUndoesTheStep: false });
