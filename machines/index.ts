/**
 * The order-saga statecharts, every version that may still have sagas running on it.
 * A saga is stored with its machine version and always resumes on that version.
 */
import { orderSagaV1, ORDER_SAGA_V1 } from './order-saga/v1.ts';
import { orderSagaV2, ORDER_SAGA_V2 } from './order-saga/v2.ts';
import { orderSagaV3, ORDER_SAGA_V3 } from './order-saga/v3.ts';

export * from './order-saga/types.ts';
export * from './order-saga/steps.ts';
export * from './order-saga/status.ts';
export * from './order-saga/next.ts';
export { orderSagaV1, ORDER_SAGA_V1, orderSagaV2, ORDER_SAGA_V2, orderSagaV3, ORDER_SAGA_V3 };

/** New sagas start on this version unless SAGA_MACHINE_VERSION pins another. */
export const CURRENT_MACHINE_VERSION = ORDER_SAGA_V3;

export const MACHINES = {
  [ORDER_SAGA_V1]: orderSagaV1,
  [ORDER_SAGA_V2]: orderSagaV2,
  [ORDER_SAGA_V3]: orderSagaV3,
} as const;

export const isMachineVersion = (version: string): version is MachineVersion => Object.hasOwn(MACHINES, version);

export type MachineVersion = keyof typeof MACHINES;
export type OrderSagaMachine = (typeof MACHINES)[MachineVersion];

export function machineFor(version: string): OrderSagaMachine {
  const machine = (MACHINES as Record<string, OrderSagaMachine>)[version];
  if (!machine) throw new Error(`unknown machine version "${version}" (known: ${Object.keys(MACHINES).join(', ')})`);
  return machine;
}
