/**
 * saga-ctl pause and resume against the real system: orders wait on a reservation while the
 * inventory service is down; an operator pauses them (--json and text), a second pause is refused
 * with the detail and the allowed actions, `list --paused` (and export) finds them, `show` says who
 * holds them since when and why; the service is back, a bulk resume over `--paused` (dry run
 * first) lets them go on, and they complete.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';
import { ctl, rowOf, STACK_LINE, type CtlOptions } from './ctl.ts';

const TOKEN = 'ops-secret-token';
const ACTOR = 'ops-ben (token: operator)';
let system: TestSystem;
const ids = { held: '', other: '', free: '' };

const sagaCtl = (args: string[], { token = false, ...options }: CtlOptions & { token?: boolean } = {}) =>
  ctl(args, { ...options, env: { SAGA_URL: system.baseUrl, ...(token ? { SAGA_TOKEN: TOKEN, SAGA_ACTOR: 'ops-ben' } : {}), ...options.env } });

const order = async (orderId: string) => (await system.api(`/api/orders/${orderId}`)).body;

beforeAll(async () => {
  // Long deadlines and attempts: an order waits on its reservation, running, for as long as the test needs it to.
  system = await startSystem({ env: { STEP_TIMEOUT_MS: '60000', STEP_MAX_ATTEMPTS: '5', OPS_TOKEN: TOKEN } });
  await system.services.inventory.stop();
  const submit = async (customerId: string) =>
    (await system.api('/api/orders', { body: { customerId, items: [{ sku: 'LAMP-1', quantity: 1, unitPriceCents: 4_200 }] } })).body.orderId as string;
  ids.held = await submit('cust-suspect');
  ids.other = await submit('cust-other');
  ids.free = await submit('cust-free');
  await until(
    'the reservations to be pending',
    async () => (await Promise.all(Object.values(ids).map(order))).every((o) => o.pending?.step === 'reserveInventory'),
    15_000,
  );
}, 90_000);
afterAll(async () => system?.stop());

it('pause --json answers the order with its hold; a second pause exits 1 with the detail and the allowed actions', async () => {
  const { code, stdout, stderr } = await sagaCtl(['pause', ids.held, '--reason', 'suspect customer, checking with fraud', '--json'], { token: true });
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const answer = JSON.parse(stdout);
  expect(answer).toMatchObject({ orderId: ids.held, status: 'running', state: 'reservingInventory' });
  expect(answer.paused).toMatchObject({ actor: ACTOR, reason: 'suspect customer, checking with fraud' });
  expect(answer.pending).toMatchObject({ step: 'reserveInventory', deadline: null });
  expect(answer.allowedActions).toContain('resume');
  expect(answer.history.at(-1)).toMatchObject({ event: 'PAUSE', actor: ACTOR });

  const again = await sagaCtl(['pause', ids.held, '--reason', 'again'], { token: true });
  expect(again.code).toBe(1);
  expect(again.stdout).toBe('');
  expect(again.stderr).toMatch(/^error: Action not allowed: .*paused already \(by ops-ben/m);
  expect(again.stderr).toMatch(/^ {2}allowed actions: .*resume/m);
  expect(again.stderr).not.toMatch(STACK_LINE);

  // The usual refusals: no reason (usage, exit 2), no token (401, exit 1), no such order (404, exit 1).
  const noReason = await sagaCtl(['pause', ids.free], { token: true });
  expect(noReason.code).toBe(2);
  expect(noReason.stderr).toContain('usage: saga-ctl pause <orderId> --reason <text>');
  const denied = await sagaCtl(['pause', ids.free, '--reason', 'no token']);
  expect(denied.code).toBe(1);
  expect(denied.stderr).toContain('Unauthorized');
  const missing = await sagaCtl(['resume', 'ord_00000000000000000000000000', '--reason', 'nothing there'], { token: true });
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/^error: /);
  expect(missing.stderr).not.toMatch(STACK_LINE);
  expect((await order(ids.free)).paused).toBeNull();
});

it('pause and resume in text: the transition, the hold and what the saga does next', async () => {
  const paused = await sagaCtl(['pause', ids.other, '--reason', 'carrier outage'], { token: true });
  expect({ code: paused.code, stderr: paused.stderr }).toEqual({ code: 0, stderr: '' });
  expect(paused.stdout).toMatch(new RegExp(`^pause applied to ${ids.other}: reservingInventory \\(stays\\)$`, 'm'));
  expect(paused.stdout).toMatch(/^status now running \(state reservingInventory\); allowed actions: .*resume/m);
  expect(paused.stdout).toMatch(/^Paused by ops-ben \(token: operator\) since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(.+ ago\): carrier outage$/m);
  expect(paused.stdout).toMatch(/^Next: the order is paused by ops-ben/m);

  const resumed = await sagaCtl(['resume', ids.other, '--reason', 'carrier is back'], { token: true });
  expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });
  expect(resumed.stdout).toMatch(new RegExp(`^resume applied to ${ids.other}: reservingInventory \\(stays\\)$`, 'm'));
  expect(resumed.stdout).not.toContain('Paused by');
  expect(resumed.stdout).toMatch(/^Next: the order /m);
  expect(resumed.stdout).not.toMatch(/^Next: the order is paused/m);
  const after = await order(ids.other);
  expect(after.paused).toBeNull();
  expect(after.history.map((row: { event: string }) => row.event)).toEqual(['ORDER_SUBMITTED', 'PAUSE', 'RESUME']);

  // Resuming what is not paused is refused.
  const again = await sagaCtl(['resume', ids.other, '--reason', 'twice'], { token: true });
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/not paused/);
});

it('list --paused, --not-paused and export --paused find the paused order; list marks it; show prints who holds it', async () => {
  const json = await sagaCtl(['list', '--paused', '--json']);
  expect(json.code).toBe(0);
  const items = JSON.parse(json.stdout).items;
  expect(items.map((o: { orderId: string }) => o.orderId)).toEqual([ids.held]);
  expect(items[0]).toMatchObject({ paused: { actor: ACTOR, reason: 'suspect customer, checking with fraud' }, deadline: null });

  const notPaused = await sagaCtl(['list', '--not-paused', '--json']);
  const others = JSON.parse(notPaused.stdout).items.map((o: { orderId: string }) => o.orderId);
  expect(others).toEqual(expect.arrayContaining([ids.other, ids.free]));
  expect(others).not.toContain(ids.held);

  // The table gets a PAUSED column only when a row is paused, after the usual ones.
  const table = await sagaCtl(['list']);
  expect(table.code).toBe(0);
  expect(table.stdout.split('\n')[0]).toMatch(/^ORDER\s+STATUS\s+STATE\s+ATTEMPT\s+CUSTOMER\s+TOTAL\s+AGE\s+IN STATE\s+PAUSED$/);
  expect(rowOf(table.stdout, ids.held)).toMatch(/running\s+reservingInventory\s+1\/5\s+cust-suspect\s+.*paused by ops-ben \(token: operator\)$/);
  expect(rowOf(table.stdout, ids.free)).not.toContain('paused');
  expect(table.stdout).toMatch(/^3 orders \(1 paused\)$/m);
  const plain = await sagaCtl(['list', '--not-paused']);
  expect(plain.stdout.split('\n')[0]).toMatch(/IN STATE$/);

  const exported = await sagaCtl(['export', '--paused', '--format', 'ndjson']);
  expect(exported.code).toBe(0);
  expect(exported.stdout.trim().split('\n').map((line) => JSON.parse(line).orderId)).toEqual([ids.held]);

  const shown = await sagaCtl(['show', ids.held]);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toMatch(/^Paused by ops-ben \(token: operator\) since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(.+ ago\): suspect customer, checking with fraud$/m);
  expect(shown.stdout).toMatch(/^pending step:\s+reserveInventory, attempt 1 of 5, no deadline while paused$/m);
  expect(shown.stdout).toMatch(/PAUSE\s+reservingInventory \(stays\)\s+suspect customer, checking with fraud\s+ops-ben/);
  expect(shown.stdout).toMatch(/^Next: the order is paused by ops-ben/m);
  expect((await sagaCtl(['show', ids.free])).stdout).not.toContain('Paused by');
});

it('bulk resume --paused: the dry run counts the paused order, the job resumes it, and it completes', async () => {
  // The inventory service is back: the reservations sent before the pause are answered (the answer counts), the charge waits.
  await system.services.inventory.start();
  await until('the held reservation to be recorded', async () => (await order(ids.held)).state === 'chargingPayment', 20_000);
  expect(await order(ids.held)).toMatchObject({ status: 'running', pending: { step: 'chargePayment', deadline: null }, paused: { actor: ACTOR } });

  const noFilter = await sagaCtl(['bulk', 'resume', '--reason', 'everything'], { token: true });
  expect(noFilter.code).toBe(2);
  expect(noFilter.stderr).toMatch(/^error: bulk resume needs at least one filter \(.*--paused/m);

  const dry = await sagaCtl(['bulk', 'resume', '--paused', '--dry-run'], { token: true });
  expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 0, stderr: '' });
  expect(dry.stdout).toContain('dry run: resume would be tried on 1 order matching paused');
  expect(dry.stdout).toContain(`for example: ${ids.held}`);
  const dryJson = await sagaCtl(['bulk', 'resume', '--paused', '--dry-run', '--json'], { token: true });
  expect(JSON.parse(dryJson.stdout)).toMatchObject({ matched: 1, sample: [ids.held] });
  expect((await order(ids.held)).paused).not.toBeNull();

  const run = await sagaCtl(['bulk', 'resume', '--paused', '--reason', 'fraud check passed', '--wait'], { token: true });
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^action:\s+resume, by ops-ben, reason: fraud check passed$/m);
  expect(run.stdout).toMatch(/^filter:\s+paused$/m);
  expect(run.stdout).toMatch(/^state:\s+completed$/m);
  expect(run.stdout).toMatch(/^progress:\s+1\/1 done: applied 1, refused 0, failed 0$/m);

  const settled = await waitUntilSettled(system, Object.values(ids), 30_000);
  expect(Object.values(ids).map((id) => settled.get(id)?.status)).toEqual(['completed', 'completed', 'completed']);
  const held = await order(ids.held);
  expect(held.paused).toBeNull();
  expect(held.history.map((row: { event: string }) => row.event)).toEqual(['ORDER_SUBMITTED', 'PAUSE', 'INVENTORY_RESERVED', 'RESUME', 'PAYMENT_CHARGED', 'SHIPMENT_CREATED']);
  expect(held.history.find((row: { event: string }) => row.event === 'RESUME')).toMatchObject({ detail: 'fraud check passed' });
  expect(JSON.parse((await sagaCtl(['list', '--paused', '--json'])).stdout).items).toEqual([]);
});
