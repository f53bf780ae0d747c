/**
 * saga-ctl against the real system (nats-server, orchestrator, workers as processes): what an
 * operator sees and the exit codes they get, for reading, acting, dead letters and bulk.
 */
import { jetstream } from '@nats-io/jetstream';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';
import { BIN, ctl, rowOf, STACK_LINE, type CtlOptions } from './ctl.ts';

const TOKEN = 'ops-secret-token';
let system: TestSystem;
const ids = { happy: '', declined: '', slowA: '', slowB: '' };

/** saga-ctl against this test's system; `token` adds SAGA_TOKEN. */
const sagaCtl = (args: string[], { token = false, ...options }: CtlOptions & { token?: boolean } = {}) =>
  ctl(args, { ...options, env: { SAGA_URL: system.baseUrl, ...(token ? { SAGA_TOKEN: TOKEN } : {}), ...options.env } });

const slow = { customerId: 'cust-slow', items: [{ sku: 'SLOW-SOFA', quantity: 1, unitPriceCents: 50_000 }] };

beforeAll(async () => {
  system = await startSystem({ env: { STEP_TIMEOUT_MS: '400', STEP_MAX_ATTEMPTS: '2', SLOW_SHIPPING_MS: '60000', OPS_TOKEN: TOKEN } });
  const submit = async (body: unknown) => (await system.api('/api/orders', { body })).body.orderId as string;
  ids.happy = await submit({ customerId: 'cust-1', items: [{ sku: 'BOOK-1', quantity: 2, unitPriceCents: 1250 }] });
  ids.declined = await submit({ customerId: 'cust-declined', items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 1250 }] });
  ids.slowA = await submit(slow);
  ids.slowB = await submit(slow);
  const settled = await waitUntilSettled(system, Object.values(ids), 20_000);
  expect([...settled.values()].map((o) => o.status)).toEqual(['completed', 'cancelled', 'stuck', 'stuck']);
});
afterAll(async () => system?.stop());

it('list shows every submitted order with its status, state, customer and total', async () => {
  const { code, stdout, stderr } = await sagaCtl(['list']);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout.split('\n')[0]).toMatch(/^ORDER\s+STATUS\s+STATE\s+ATTEMPT\s+CUSTOMER\s+TOTAL\s+AGE\s+IN STATE$/);
  expect(rowOf(stdout, ids.happy)).toMatch(/completed\s+completed\s+-\s+cust-1\s+\$25\.00/);
  expect(rowOf(stdout, ids.declined)).toMatch(/cancelled\s+cancelled\s+-\s+cust-declined\s+\$12\.50/);
  expect(rowOf(stdout, ids.slowA)).toMatch(/stuck\s+stuck\s+-\s+cust-slow\s+\$500\.00/);
  expect(stdout).toContain('4 orders');

  // Pages: one at a time with a hint, or all of them with --all.
  const [page, all] = await Promise.all([sagaCtl(['list', '--limit', '3']), sagaCtl(['list', '--limit', '1', '--all'])]);
  expect(page.stdout).toMatch(/^3 orders; more with --all or --cursor \S+$/m);
  expect(all.stdout).toMatch(/^4 orders$/m);
  for (const id of Object.values(ids)) expect(all.stdout).toContain(id);

  const stuck = await sagaCtl(['list', '--status', 'stuck']);
  expect(stuck.code).toBe(0);
  expect(stuck.stdout).toContain(ids.slowB);
  expect(stuck.stdout).not.toContain(ids.happy);
});

it('show prints the header, the history as a table and the allowed actions', async () => {
  const { code, stdout } = await sagaCtl(['show', ids.happy]);
  expect(code).toBe(0);
  expect(stdout).toMatch(/^status:\s+completed \(state completed\)$/m);
  expect(stdout).toMatch(/^machine version:\s+\S+/m);
  expect(stdout).toMatch(/^trace:\s+http:\/\/localhost:16686\/trace\/[0-9a-f]{32}$/m);
  expect(stdout).toContain('history (4):');
  expect(stdout).toMatch(/ORDER_SUBMITTED\s+∅ → reservingInventory/);
  expect(stdout).toMatch(/INVENTORY_RESERVED\s+reservingInventory → chargingPayment/);
  expect(stdout).toMatch(/SHIPMENT_CREATED\s+creatingShipment → completed/);
  expect(stdout).toContain('allowed actions: none');

  const stuck = await sagaCtl(['show', ids.slowA]);
  expect(stuck.stdout).toMatch(/^last error:\s+createShipment attempt 2: timeout: /m);
  expect(stuck.stdout).toMatch(/STEP_TIMED_OUT\s+creatingShipment \(stays\)/);
  expect(stuck.stdout).toMatch(/STEP_TIMED_OUT\s+creatingShipment → stuck/);
  expect(stuck.stdout).toContain('allowed actions: retry, compensate');
});

it('compensate without the token exits 1 with the 401 detail and changes nothing; with it, moves the order', async () => {
  const denied = await sagaCtl(['compensate', ids.slowA, '--reason', 'customer gave up']);
  expect(denied.code).toBe(1);
  expect(denied.stderr).toMatch(/^error: Unauthorized: this action needs Authorization: Bearer <OPS_TOKEN>$/m);
  expect(denied.stderr).not.toMatch(STACK_LINE);
  expect(denied.stdout).toBe('');
  expect((await system.api(`/api/orders/${ids.slowA}`)).body.status).toBe('stuck');

  const applied = await sagaCtl(['compensate', ids.slowA, '--reason', 'customer gave up', '--actor', 'ops-anna'], { token: true });
  expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' });
  expect(applied.stdout).toContain(`compensate applied to ${ids.slowA}: stuck → cancellingShipment`);
  await until('the compensation to finish', async () => (await system.api(`/api/orders/${ids.slowA}`)).body.status === 'cancelled', 20_000);
  const order = (await system.api(`/api/orders/${ids.slowA}`)).body;
  expect(order.history.find((row: any) => row.event === 'COMPENSATE')).toMatchObject({ actor: 'ops-anna (token: operator)', detail: 'customer gave up' });

  // The audit trail names who did it, why and what happened (the 401 never reached the action).
  const audit = await sagaCtl(['audit', '--order', ids.slowA]);
  expect(audit.code).toBe(0);
  expect(audit.stdout).toMatch(/ops-anna\s+compensate\s+order:\S+\s+applied\s+customer gave up\s+stuck → cancellingShipment/);
});

it('cancel of a completed order exits 1 with the 409 detail and the allowed actions', async () => {
  const { code, stdout, stderr } = await sagaCtl(['cancel', ids.happy, '--reason', 'too late'], { token: true });
  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr).toBe('error: Action not allowed: cancel is not allowed while the order is completed\n  allowed actions: none\n');
});

it('--json prints the API answer as JSON', async () => {
  const [show, list] = await Promise.all([sagaCtl(['show', ids.happy, '--json']), sagaCtl(['--json', 'list', '--status', 'completed'])]);
  expect(show.code).toBe(0);
  const order = JSON.parse(show.stdout);
  expect(order).toMatchObject({ orderId: ids.happy, status: 'completed', totalCents: 2500 });
  expect(order.history).toHaveLength(4);
  expect(JSON.parse(list.stdout).items.map((o: any) => o.orderId)).toEqual([ids.happy]);
});

it('replay --dry-run shows recorded and replayed states with no divergence on a completed order', async () => {
  const { code, stdout } = await sagaCtl(['replay', ids.happy, '--dry-run'], { token: true });
  expect(code).toBe(0);
  expect(stdout).toMatch(/SHIPMENT_CREATED\s+creatingShipment → completed\s+creatingShipment → completed/);
  expect(stdout).toContain('no divergence');
});

it('dlq list shows a poison reply with its service, original subject and reason; show and discard work on it', async () => {
  const nc = await system.connection();
  await jetstream(nc).publish('saga.reply.inventory', randomBytes(64));
  await until('the dead letter', async () => (await system.api('/api/dead-letters')).body.items.length === 1, 20_000);
  const { sequence } = (await system.api('/api/dead-letters')).body.items[0];

  const list = await sagaCtl(['dlq', 'list']);
  expect(list.code).toBe(0);
  expect(list.stdout.split('\n')[0]).toMatch(/^SEQ\s+TIME\s+SERVICE\s+ORIGINAL SUBJECT\s+REASON$/);
  expect(rowOf(list.stdout, 'saga.reply.inventory')).toMatch(new RegExp(`^\\s*${sequence}\\s+\\S+ \\S+\\s+\\S+\\s+saga\\.reply\\.inventory\\s+\\S+`));
  expect(list.stdout).toContain('1 dead letter waiting');

  const show = await sagaCtl(['dlq', 'show', String(sequence)]);
  expect(show.code).toBe(0);
  expect(show.stdout).toMatch(/^original subject:\s+saga\.reply\.inventory$/m);
  expect(show.stdout).toContain('payload (64 bytes):');
  expect(show.stdout).toContain('does not decode');

  const discard = await sagaCtl(['dlq', 'discard', String(sequence), '--reason', 'garbage from a test'], { token: true });
  expect(discard.code).toBe(0);
  expect(discard.stdout).toBe(`discarded dead letter ${sequence}\n`);
  expect((await sagaCtl(['dlq', 'list'])).stdout).toBe('no dead letters\n');
});

it('bulk compensate --dry-run prints the count, then --wait runs the job to its results', async () => {
  const dry = await sagaCtl(['bulk', 'compensate', '--status', 'stuck', '--dry-run'], { token: true });
  expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 0, stderr: '' });
  expect(dry.stdout).toContain('dry run: compensate would be tried on 1 order matching status=stuck');
  expect(dry.stdout).toContain(ids.slowB);
  expect((await system.api(`/api/orders/${ids.slowB}`)).body.status).toBe('stuck');

  const run = await sagaCtl(['bulk', 'compensate', '--status', 'stuck', '--reason', 'carrier outage', '--wait'], { token: true });
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^state:\s+completed$/m);
  expect(run.stdout).toMatch(/^progress:\s+1\/1 done: applied 1, refused 0, failed 0$/m);
  expect(run.stderr).toContain('compensate 1/1 done');
});

it('runs through bin/saga-ctl.mjs from another folder', async () => {
  expect((await stat(BIN)).mode & 0o111).not.toBe(0);
  const { code, stdout, stderr } = await sagaCtl(['list', '--status', 'completed'], { bin: true, cwd: tmpdir() });
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(rowOf(stdout, ids.happy)).toContain('completed');
});
