/**
 * What an order id looks like, shared by the API (which mints them: orchestrator/http/order-ids.ts)
 * and the codec (which refuses any other on the bus): `ord_` and 26 lower-case base32 characters,
 * so an id is always one safe KV key and one subject token.
 */
export const ORDER_ID_PATTERN = '^ord_[0-9a-z]{26}$';

const ORDER_ID = new RegExp(ORDER_ID_PATTERN);

declare const orderIdBrand: unique symbol;
/** A string that passed `isOrderId`. */
export type OrderId = string & { readonly [orderIdBrand]: true };

export const isOrderId = (value: string): value is OrderId => ORDER_ID.test(value);
