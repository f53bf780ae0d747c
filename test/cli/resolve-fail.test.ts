/**
 * saga-ctl against the real system: a stuck step resolved by hand (with its outside reference)
 * or failed for good, the 409 with the allowed actions where the order's state forbids it, the
 * "Next:" section of show (what the saga waits for and what each action would send, from the
 * machine), and the --incident filter of list and bulk.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';
import { ctl, rowOf, STACK_LINE, type CtlOptions } from './ctl.ts';

const TOKEN = 'ops-secret-token';
let system: TestSystem;
const ids = { happy: '', resolve: '', fail: '', spare: '' };

const sagaCtl = (args: string[], { token = false, ...options }: CtlOptions & { token?: boolean } = {}) =>
  ctl(args, { ...options, env: { SAGA_URL: system.baseUrl, ...(token ? { SAGA_TOKEN: TOKEN, SAGA_ACTOR: 'ops-ben' } : {}), ...options.env } });

const slow = (customerId: string) => ({ customerId, items: [{ sku: 'SLOW-SOFA', quantity: 1, unitPriceCents: 50_000 }] });

beforeAll(async () => {
  // One attempt with a short deadline: a SLOW- order parks in stuck at createShipment at once.
  system = await startSystem({ env: { STEP_TIMEOUT_MS: '300', STEP_MAX_ATTEMPTS: '1', SLOW_SHIPPING_MS: '600000', OPS_TOKEN: TOKEN } });
  const submit = async (body: unknown) => (await system.api('/api/orders', { body })).body.orderId as string;
  ids.happy = await submit({ customerId: 'cust-1', items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 1250 }] });
  ids.resolve = await submit(slow('cust-resolve'));
  ids.fail = await submit(slow('cust-fail'));
  ids.spare = await submit(slow('cust-spare'));
  const settled = await waitUntilSettled(system, Object.values(ids), 20_000);
  expect(Object.values(ids).map((id) => settled.get(id)?.status)).toEqual(['completed', 'stuck', 'stuck', 'stuck']);
});
afterAll(async () => system?.stop());

it("show prints a Next section: what the stuck saga waits for, and what each allowed action would send and where it ends", async () => {
  const { code, stdout, stderr } = await sagaCtl(['show', ids.resolve]);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toContain('allowed actions: retry, compensate, resolve, fail');
  expect(stdout).toMatch(/^Next: the order is parked: book the shipment did not succeed .*; it waits for an operator$/m);
  // Each action: the commands in order (service → step), where it ends, and the machine's words.
  expect(stdout).toMatch(/^ {2}retry {6}sends shipping → createShipment; ends completed$/m);
  expect(stdout).toMatch(/^ {2}resolve {4}sends no command; ends completed$/m);
  expect(stdout).toMatch(/^ {13}records "book the shipment" as done by hand; the order ends completed, with no further command$/m);
  expect(stdout).toMatch(/^ {2}compensate sends .*shipping → cancelShipment \(undo\).*; ends cancelled$/m);
  // A shipment marked failed is still cancelled, first (a hung attempt may book it late); then the payment and stock are undone.
  const failLine = stdout.split('\n').find((line) => line.startsWith('  fail '));
  expect(failLine).toMatch(/^ {2}fail {7}sends shipping → cancelShipment \(undo\), .*; ends cancelled$/);
  expect(failLine).toMatch(/payment → refundPayment \(undo\)/);
  expect(failLine).toMatch(/inventory → releaseInventory \(undo\)/);

  // The plans printed are the API's, computed from the machine, in the same order.
  const order = (await system.api(`/api/orders/${ids.resolve}`)).body;
  expect(order.next.plans.map((plan: any) => plan.action)).toEqual(['retry', 'compensate', 'resolve', 'fail']);
  for (const plan of order.next.plans) expect(stdout).toContain(`            ${plan.says}`);

  // A finished order says so.
  const done = await sagaCtl(['show', ids.happy]);
  expect(done.stdout).toMatch(/^Next: the order has ended completed; nothing will move it$/m);
});

it('list and bulk take --incident: exactly the orders of one incident group', async () => {
  const report = (await system.api('/api/incidents')).body;
  const group = report.groups.find((g: any) => g.kind === 'stuck' && g.step === 'createShipment');
  expect(group?.count).toBe(3);
  const listed = await sagaCtl(['list', '--incident', group.key]);
  expect(listed.code).toBe(0);
  for (const id of [ids.resolve, ids.fail, ids.spare]) expect(rowOf(listed.stdout, id)).toMatch(/stuck\s+stuck/);
  expect(listed.stdout).not.toContain(ids.happy);
  expect(listed.stdout).toMatch(/^3 orders$/m);

  const dryRun = await sagaCtl(['bulk', 'retry', '--incident', group.key, '--dry-run'], { token: true });
  expect(dryRun.code).toBe(0);
  expect(dryRun.stdout).toContain(`dry run: retry would be tried on 3 orders matching incident=${group.key}`);

  const bad = await sagaCtl(['list', '--incident', 'not a key']);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/incident/);
  expect(bad.stderr).not.toMatch(STACK_LINE);
});

it('resolve needs --reference and --reason (exit 2 with the usage), then records the step done with the reference', async () => {
  const noReference = await sagaCtl(['resolve', ids.resolve, '--reason', 'booked by phone'], { token: true });
  expect(noReference.code).toBe(2);
  expect(noReference.stderr).toMatch(/^error: missing --reference/);
  expect(noReference.stderr).toContain('usage: saga-ctl resolve <orderId> --reference <ref> --reason <text>');
  expect(noReference.stdout).toBe('');

  const help = await sagaCtl(['resolve', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('--reference <ref>');
  expect(help.stdout).toContain('the parcel was booked by phone');

  // Without the token: refused, nothing changes.
  const denied = await sagaCtl(['resolve', ids.resolve, '--reference', 'PARCEL-88412', '--reason', 'booked by phone']);
  expect(denied.code).toBe(1);
  expect(denied.stderr).toContain('Unauthorized');

  const { code, stdout, stderr } = await sagaCtl(['resolve', ids.resolve, '--reference', 'PARCEL-88412', '--reason', 'booked by phone with the carrier'], {
    token: true,
  });
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toContain(`resolve applied to ${ids.resolve}: stuck → completed (reference PARCEL-88412)`);
  expect(stdout).toContain('status now completed (state completed); allowed actions: none');

  const order = (await system.api(`/api/orders/${ids.resolve}`)).body;
  expect(order.status).toBe('completed');
  expect(order.context.references.createShipment).toBe('PARCEL-88412');
  const row = order.history.at(-1);
  expect(row).toMatchObject({ event: 'RESOLVE', from: 'stuck', to: 'completed', actor: 'ops-ben (token: operator)', detail: 'booked by phone with the carrier' });
  expect(row.payload.reference).toBe('PARCEL-88412');

  // show has it in the history; a second resolve is refused with the actions now allowed.
  const shown = await sagaCtl(['show', ids.resolve]);
  expect(shown.stdout).toMatch(/RESOLVE\s+stuck → completed\s+booked by phone with the carrier\s+ops-ben/);
  const again = await sagaCtl(['resolve', ids.resolve, '--reference', 'PARCEL-2', '--reason', 'twice'], { token: true });
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/^error: Action not allowed: resolve is not allowed while the order is completed$/m);
  expect(again.stderr).toContain('allowed actions: none');
});

it('fail is refused (409, exit 1) where the order is not stuck, with the allowed actions; on a stuck step it compensates', async () => {
  const refused = await sagaCtl(['fail', ids.happy, '--reason', 'carrier lost it'], { token: true });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/^error: Action not allowed: fail is not allowed while the order is completed$/m);
  expect(refused.stderr).toMatch(/^ {2}allowed actions: none$/m);
  expect(refused.stdout).toBe('');
  expect(refused.stderr).not.toMatch(STACK_LINE);

  const missing = await sagaCtl(['fail', ids.fail], { token: true });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('usage: saga-ctl fail <orderId> --reason <text>');

  const { code, stdout, stderr } = await sagaCtl(['fail', ids.fail, '--reason', 'the carrier confirms nothing was booked', '--json'], { token: true });
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const answer = JSON.parse(stdout);
  expect(answer.history.at(-1)).toMatchObject({ event: 'FAIL', from: 'stuck', actor: 'ops-ben (token: operator)' });
  // Its outcome is unknown, so it stays pending and is undone too: the cancel goes out first.
  expect(answer.context.effects.createShipment).toBe('pending');
  expect(answer.context.pending).toMatchObject({ step: 'cancelShipment', attempt: 1 });
  expect(answer.lastError).toMatchObject({ step: 'createShipment', kind: 'permanent', message: expect.stringMatching(/: the carrier confirms nothing was booked$/) });

  await until('the failed order to be compensated', async () => (await system.api(`/api/orders/${ids.fail}`)).body.status === 'cancelled', 15_000);
  const order = (await system.api(`/api/orders/${ids.fail}`)).body;
  const events = order.history.map((row: any) => row.event);
  expect(events).toContain('SHIPMENT_CANCELLED');
  expect(events).toContain('PAYMENT_REFUNDED');
  expect(events).toContain('INVENTORY_RELEASED');
  expect(events.indexOf('SHIPMENT_CANCELLED')).toBeLessThan(events.indexOf('PAYMENT_REFUNDED'));
  expect(order.context.effects).toMatchObject({ createShipment: 'compensated', chargePayment: 'compensated', reserveInventory: 'compensated' });

  // The text form, on the spare stuck order: the transition, then what the saga does next.
  const text = await sagaCtl(['fail', ids.spare, '--reason', 'nothing was booked'], { token: true });
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(new RegExp(`^fail applied to ${ids.spare}: stuck → \\w+$`, 'm'));
  expect(text.stdout).toMatch(/^Next: the order (waits for|has ended)/m);
});
