/**
 * saga-ctl replay on orders recorded under order-saga@1 after the orchestrator moved to the
 * current version: the dry run marks the first divergence; a real replay of a finished order
 * is refused (exit 1 with the reason); a stuck one moves and says so, and a second replay has
 * nothing to do (exit 1 with the reason).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { ctl } from './ctl.ts';

const TOKEN = 'ops-secret-token';
let system: TestSystem;
let orderId: string;
let stuckId: string;

const sagaCtl = (args: string[]) => ctl(args, { env: { SAGA_URL: system.baseUrl, SAGA_TOKEN: TOKEN } });

beforeAll(async () => {
  system = await startSystem({ env: { SAGA_MACHINE_VERSION: 'order-saga@1', STEP_TIMEOUT_MS: '400', STEP_MAX_ATTEMPTS: '2', OPS_TOKEN: TOKEN } });
  // Cannot ship: refunded, then released, on @1 (the current version releases first).
  orderId = (await system.api('/api/orders', { body: { customerId: 'cust-v', items: [{ sku: 'NOSHIP-1', quantity: 1, unitPriceCents: 700 }] } })).body.orderId;
  // Shipping hangs past every attempt: stuck, still open.
  stuckId = (await system.api('/api/orders', { body: { customerId: 'cust-v', items: [{ sku: 'SLOW-1', quantity: 1, unitPriceCents: 700 }] } })).body.orderId;
  await waitUntilSettled(system, [orderId, stuckId], 20_000);
  await system.services.orchestrator.stop();
  await system.services.orchestrator.start({ SAGA_MACHINE_VERSION: '' });
});
afterAll(async () => system?.stop());

it('marks the first divergence on a dry run, refuses to re-open a finished order, moves a stuck one, then has nothing to replay', async () => {
  const dry = await sagaCtl(['replay', orderId, '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toMatch(/dry run: recorded on machine order-saga@1, replayed on order-saga@3/);
  expect(dry.stdout).toMatch(/SHIPMENT_REJECTED\s+creatingShipment → refundingPayment\s+creatingShipment → releasingInventory\s+≠ ◀ first divergence/);
  expect(dry.stdout).toMatch(/^first divergence at step \d+ \(SHIPMENT_REJECTED\)/m);
  expect((await system.api(`/api/orders/${orderId}`)).body.machineVersion).toBe('order-saga@1');

  const missingReason = await sagaCtl(['replay', orderId]);
  expect(missingReason.code).toBe(2);
  expect(missingReason.stderr).toMatch(/^error: missing --reason/);

  const finished = await sagaCtl(['replay', orderId, '--reason', 'adopt v3', '--actor', 'ops-cara']);
  expect(finished.code).toBe(1);
  expect(finished.stderr).toMatch(/^error: Action not allowed: the order is cancelled: replay never re-opens a finished saga/m);
  expect((await system.api(`/api/orders/${orderId}`)).body).toMatchObject({ status: 'cancelled', machineVersion: 'order-saga@1' });

  const real = await sagaCtl(['replay', stuckId, '--reason', 'adopt v3', '--actor', 'ops-cara']);
  expect({ code: real.code, stderr: real.stderr }).toEqual({ code: 0, stderr: '' });
  expect(real.stdout).toContain(`replay applied to ${stuckId}: stuck → stuck, now on machine order-saga@3`);

  const again = await sagaCtl(['replay', stuckId, '--reason', 'again']);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/^error: Nothing to replay: order-saga@3 agrees with the recorded history; nothing to replay$/m);
});
