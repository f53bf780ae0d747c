import {
  FORWARD_STEPS,
  STEP_NAMES,
  type CompensationStep,
  type FailedEventType,
  type ForwardStep,
  type Service,
  type StepName,
  type SucceededEventType,
} from './types.ts';

export interface StepDefinition {
  service: Service;
  /** The machine state that waits for this step's reply. */
  state: string;
  succeeded: SucceededEventType;
  failed: FailedEventType;
  /** The customer may still cancel while the saga waits on this step, or is stuck at it. */
  customerMayCancel: boolean;
  /** What the step does, as an operator reads it: "waits for payment to <does>". */
  does: string;
}

/**
 * Every step: who performs it, where the saga waits for it, how its outcomes are named and
 * whether the customer may cancel meanwhile. The machine builds one state from each entry.
 */
export const STEPS: Record<StepName, StepDefinition> = {
  reserveInventory: {
    service: 'inventory',
    state: 'reservingInventory',
    succeeded: 'INVENTORY_RESERVED',
    failed: 'INVENTORY_UNAVAILABLE',
    customerMayCancel: true,
    does: 'reserve the stock',
  },
  chargePayment: {
    service: 'payment',
    state: 'chargingPayment',
    succeeded: 'PAYMENT_CHARGED',
    failed: 'PAYMENT_DECLINED',
    customerMayCancel: true,
    does: 'charge the payment',
  },
  // Shipping has begun: the customer can no longer cancel (an operator may still compensate a stuck saga).
  createShipment: {
    service: 'shipping',
    state: 'creatingShipment',
    succeeded: 'SHIPMENT_CREATED',
    failed: 'SHIPMENT_REJECTED',
    customerMayCancel: false,
    does: 'book the shipment',
  },
  cancelShipment: {
    service: 'shipping',
    state: 'cancellingShipment',
    succeeded: 'SHIPMENT_CANCELLED',
    failed: 'SHIPMENT_CANCEL_REJECTED',
    customerMayCancel: false,
    does: 'cancel the shipment',
  },
  refundPayment: {
    service: 'payment',
    state: 'refundingPayment',
    succeeded: 'PAYMENT_REFUNDED',
    failed: 'REFUND_REJECTED',
    customerMayCancel: false,
    does: 'refund the payment',
  },
  releaseInventory: {
    service: 'inventory',
    state: 'releasingInventory',
    succeeded: 'INVENTORY_RELEASED',
    failed: 'RELEASE_REJECTED',
    customerMayCancel: false,
    does: 'release the stock',
  },
};

/** The step that undoes each forward step. */
export const COMPENSATION_OF: Record<ForwardStep, CompensationStep> = {
  reserveInventory: 'releaseInventory',
  chargePayment: 'refundPayment',
  createShipment: 'cancelShipment',
};

export function isForwardStep(step: StepName): step is ForwardStep {
  return (FORWARD_STEPS as readonly string[]).includes(step);
}

export function isStepName(name: string): name is StepName {
  return (STEP_NAMES as readonly string[]).includes(name);
}

/** What a command id names: one attempt of one step of one order. */
export interface CommandIdParts {
  orderId: string;
  step: StepName;
  attempt: number;
}

export function commandIdFor(orderId: string, step: StepName, attempt: number): string {
  return `${orderId}:${step}:${attempt}`;
}

/** The inverse of `commandIdFor`, or undefined for any other text. Read from the right: an order id may hold a colon. */
export function parseCommandId(commandId: string): CommandIdParts | undefined {
  const [, orderId = '', step = '', attempt = ''] = /^(.+):([a-zA-Z]+):(\d+)$/.exec(commandId) ?? [];
  return isStepName(step) ? { orderId, step, attempt: Number(attempt) } : undefined;
}

/** Stable across the attempts of one step, so the worker applies the effect at most once. */
export function effectKeyFor(orderId: string, step: StepName): string {
  return `${orderId}:${step}`;
}
