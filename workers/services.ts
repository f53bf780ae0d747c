/** Every worker service by name: how to open its business rules on its ledger. */
import type { KV } from '@nats-io/kv';
import type { Logger } from '../lib/logger.ts';
import { SERVICES, type Service } from '../machines/index.ts';
import type { BusinessFunction, OpenService } from './business.ts';
import { openInventory } from './inventory.ts';
import { payment } from './payment.ts';
import { shipping } from './shipping.ts';

const stateless = (business: BusinessFunction) => async (): Promise<OpenService> => ({ business, close: async () => {} });

export const SERVICE_OPENERS: Record<Service, (ledger: KV, logger: Logger) => Promise<OpenService>> = {
  inventory: openInventory,
  payment: stateless(payment),
  shipping: stateless(shipping),
};

/** The services a worker can run: machines/' list, which the openers above must cover. */
export const SERVICE_NAMES = SERVICES;

/** Where each worker serves /health, /ready and /metrics unless WORKER_PORT says otherwise. */
export const DEFAULT_WORKER_PORTS: Record<Service, number> = { inventory: 9101, payment: 9102, shipping: 9103 };
