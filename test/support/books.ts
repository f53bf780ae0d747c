/**
 * Checks the workers' books against what the orders say, the way an accountant would:
 * per order, stock reserved − released = shipped (net of cancelled shipments), and
 * charged − refunded = the order total if it completed, else nothing.
 */
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { BUCKETS } from '../../lib/topology.ts';
import type { StepName } from '../../machines/index.ts';
import type { LedgerEntry } from '../../workers/ledger.ts';
import { listLedger, unitsOf } from './ledger.ts';

export interface OrderOutcome {
  orderId: string;
  status: string;
  totalCents: number;
}

export interface BookProblem {
  orderId: string;
  problem: string;
}

type Books = Map<string, LedgerEntry>;

async function books(nc: NatsConnection, service: 'inventory' | 'payment' | 'shipping'): Promise<Books> {
  const kv = await new Kvm(nc).open(BUCKETS.ledger(service));
  return new Map((await listLedger(kv)).map((entry) => [entry.orderId, entry]));
}

function succeeded(entry: LedgerEntry | undefined, step: StepName, measure: 'units' | 'amount'): number {
  if (!entry) return 0;
  return Object.values(entry.effects)
    .filter((effect) => effect.step === step && effect.outcome === 'succeeded')
    .reduce((sum, effect) => sum + (measure === 'units' ? unitsOf(effect) : (effect.amountCents ?? 0)), 0);
}

export interface BooksReport {
  problems: BookProblem[];
  totals: { reserved: number; released: number; shipped: number; shipmentsCancelled: number; charged: number; refunded: number; completedTotals: number };
}

export async function checkBooks(nc: NatsConnection, orders: OrderOutcome[]): Promise<BooksReport> {
  const [inventory, payment, shipping] = await Promise.all([books(nc, 'inventory'), books(nc, 'payment'), books(nc, 'shipping')]);
  const problems: BookProblem[] = [];
  const totals = { reserved: 0, released: 0, shipped: 0, shipmentsCancelled: 0, charged: 0, refunded: 0, completedTotals: 0 };
  for (const order of orders) {
    const reserved = succeeded(inventory.get(order.orderId), 'reserveInventory', 'units');
    const released = succeeded(inventory.get(order.orderId), 'releaseInventory', 'units');
    const shipped = succeeded(shipping.get(order.orderId), 'createShipment', 'units');
    const shipmentsCancelled = succeeded(shipping.get(order.orderId), 'cancelShipment', 'units');
    const charged = succeeded(payment.get(order.orderId), 'chargePayment', 'amount');
    const refunded = succeeded(payment.get(order.orderId), 'refundPayment', 'amount');
    totals.reserved += reserved;
    totals.released += released;
    totals.shipped += shipped;
    totals.shipmentsCancelled += shipmentsCancelled;
    totals.charged += charged;
    totals.refunded += refunded;
    if (order.status === 'completed') totals.completedTotals += order.totalCents;

    if (reserved - released !== shipped - shipmentsCancelled) {
      problems.push({ orderId: order.orderId, problem: `stock: reserved ${reserved} − released ${released} ≠ shipped ${shipped} − cancelled ${shipmentsCancelled}` });
    }
    const expectedNet = order.status === 'completed' ? order.totalCents : 0;
    if (charged - refunded !== expectedNet) {
      problems.push({ orderId: order.orderId, problem: `money: charged ${charged} − refunded ${refunded} ≠ ${expectedNet} for a ${order.status} order` });
    }
    if (order.status === 'completed' && charged !== order.totalCents) {
      problems.push({ orderId: order.orderId, problem: `charged ${charged} for a total of ${order.totalCents}` });
    }
  }
  return { problems, totals };
}
