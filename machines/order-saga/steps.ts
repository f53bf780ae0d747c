import type {
  CompensationStep,
  FailedEventType,
  ForwardStep,
  Service,
  StepName,
  SucceededEventType,
} from './types.ts';

export interface StepDefinition {
  service: Service;
  /** The machine state that waits for this step's reply. */
  state: string;
  succeeded: SucceededEventType;
  failed: FailedEventType;
}

/** Every step: who performs it, where the saga waits for it, and how its outcomes are named. */
export const STEPS: Record<StepName, StepDefinition> = {
  reserveInventory: {
    service: 'inventory',
    state: 'reservingInventory',
    succeeded: 'INVENTORY_RESERVED',
    failed: 'INVENTORY_UNAVAILABLE',
  },
  chargePayment: {
    service: 'payment',
    state: 'chargingPayment',
    succeeded: 'PAYMENT_CHARGED',
    failed: 'PAYMENT_DECLINED',
  },
  createShipment: {
    service: 'shipping',
    state: 'creatingShipment',
    succeeded: 'SHIPMENT_CREATED',
    failed: 'SHIPMENT_REJECTED',
  },
  cancelShipment: {
    service: 'shipping',
    state: 'cancellingShipment',
    succeeded: 'SHIPMENT_CANCELLED',
    failed: 'SHIPMENT_CANCEL_REJECTED',
  },
  refundPayment: {
    service: 'payment',
    state: 'refundingPayment',
    succeeded: 'PAYMENT_REFUNDED',
    failed: 'REFUND_REJECTED',
  },
  releaseInventory: {
    service: 'inventory',
    state: 'releasingInventory',
    succeeded: 'INVENTORY_RELEASED',
    failed: 'RELEASE_REJECTED',
  },
};

export const STEP_NAMES = Object.keys(STEPS) as StepName[];
export const FORWARD_STEPS: readonly ForwardStep[] = ['reserveInventory', 'chargePayment', 'createShipment'];

/** The step that undoes each forward step. */
export const COMPENSATION_OF: Record<ForwardStep, CompensationStep> = {
  reserveInventory: 'releaseInventory',
  chargePayment: 'refundPayment',
  createShipment: 'cancelShipment',
};

export function isForwardStep(step: StepName): step is ForwardStep {
  return (FORWARD_STEPS as readonly string[]).includes(step);
}

export function commandIdFor(orderId: string, step: StepName, attempt: number): string {
  return `${orderId}:${step}:${attempt}`;
}

/** Stable across the attempts of one step, so the worker applies the effect at most once. */
export function effectKeyFor(orderId: string, step: StepName): string {
  return `${orderId}:${step}`;
}

/** The worker services, in the order a saga first calls them. */
export const SERVICES: readonly Service[] = ['inventory', 'payment', 'shipping'];
