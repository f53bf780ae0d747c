/**
 * saga-ctl incidents and export against the real system (nats-server, orchestrator, workers as
 * processes) with read and ops tokens: the incident table and its JSON, a dry run over exactly
 * one group, and the export streamed to stdout or a file; usage errors exit 2, refusals 1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { ctl, rowOf, STACK_LINE, type CtlOptions } from './ctl.ts';

const OPS = 'ops-secret-token';
const READ = 'read-secret-token';
let system: TestSystem;
let dir: string;
const ids = { slow: [] as string[], happy: '' };

const sagaCtl = (args: string[], { token = OPS, ...options }: CtlOptions & { token?: string | null } = {}) =>
  ctl(args, { ...options, env: { SAGA_URL: system.baseUrl, ...(token ? { SAGA_TOKEN: token } : {}), ...options.env } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ctl-export-'));
  system = await startSystem({ env: { STEP_TIMEOUT_MS: '400', STEP_MAX_ATTEMPTS: '2', SLOW_SHIPPING_MS: '60000', OPS_TOKEN: OPS, READ_TOKEN: READ } });
  const submit = async (body: unknown) => (await system.api('/api/orders', { body, headers: { authorization: `Bearer ${OPS}` } })).body.orderId as string;
  for (let n = 0; n < 2; n++) ids.slow.push(await submit({ customerId: 'cust-slow', items: [{ sku: 'SLOW-SOFA', quantity: 1, unitPriceCents: 50_000 }] }));
  ids.happy = await submit({ customerId: '=cmd|calc', items: [{ sku: 'BOOK-1', quantity: 2, unitPriceCents: 1250 }] });
  const api = system.api;
  // waitUntilSettled reads without a token: give it one.
  system.api = (path, init = {}) => api(path, { ...init, headers: { authorization: `Bearer ${READ}`, ...init.headers } });
  const settled = await waitUntilSettled(system, [...ids.slow, ids.happy], 20_000);
  expect([...ids.slow, ids.happy].map((id) => settled.get(id)?.status)).toEqual(['stuck', 'stuck', 'completed']);
}, 90_000);
afterAll(async () => {
  await system?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('incidents prints the groups as a table, with the way to repair one, and as JSON', async () => {
  const { code, stdout, stderr } = await sagaCtl(['incidents'], { token: READ });
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout.split('\n')[0]).toMatch(/^SAGAS\s+KIND\s+STEP\s+ERROR\s+FIRST SEEN\s+LAST SEEN\s+ACTIONS\s+KEY$/);
  const json = JSON.parse((await sagaCtl(['incidents', '--json'], { token: READ })).stdout);
  expect(json).toMatchObject({ sagas: 2, groupCount: 1, groups: [{ kind: 'stuck', step: 'createShipment', count: 2 }] });
  const key = json.groups[0].key as string;
  expect(rowOf(stdout, key)).toMatch(/^\s*2\s+stuck\s+createShipment\s+timeout: no reply within the step deadline \(attempt #\)\s+\S+ ago\s+\S+ ago\s+retry,compensate\s+stuck\.createShipment\./);
  expect(stdout).toContain('2 orders in 1 group');
  expect(stdout).toContain(`repair a group: saga-ctl incidents retry ${key} --dry-run`);
});

it('incidents retry --dry-run counts exactly the group; a bad key or no reason is a usage error', async () => {
  const key = JSON.parse((await sagaCtl(['incidents', '--json'], { token: READ })).stdout).groups[0].key as string;
  const dryRun = await sagaCtl(['incidents', 'retry', key, '--dry-run']);
  expect(dryRun.code).toBe(0);
  expect(dryRun.stdout).toContain(`dry run: retry would be tried on 2 orders of incident ${key}`);
  for (const id of ids.slow) expect(dryRun.stdout).toContain(id);
  expect(dryRun.stdout).not.toContain(ids.happy);
  const asJson = JSON.parse((await sagaCtl(['incidents', 'compensate', key, '--dry-run', '--json'])).stdout);
  expect(asJson.matched).toBe(2);
  // A dry run changes nothing: a read token is enough for it, not for the job.
  expect((await sagaCtl(['incidents', 'retry', key, '--dry-run'], { token: READ })).code).toBe(0);
  const refused = await sagaCtl(['incidents', 'retry', key, '--reason', 'carrier back'], { token: READ });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/^error: /);

  const [badKey, noReason] = await Promise.all([sagaCtl(['incidents', 'retry', 'stuck', '--dry-run']), sagaCtl(['incidents', 'retry', key])]);
  expect(badKey.code).toBe(2);
  expect(badKey.stderr).toMatch(/^error: "stuck" is not an incident key/);
  expect(noReason.code).toBe(2);
  expect(noReason.stderr).toMatch(/^error: missing --reason/);
  for (const result of [badKey, noReason]) expect(result.stderr).not.toMatch(STACK_LINE);
});

it('export streams every order as CSV to stdout, formulas defused, and one group as JSON lines', async () => {
  const csv = await sagaCtl(['export', '--format', 'csv'], { token: READ });
  expect({ code: csv.code, stderr: csv.stderr }).toEqual({ code: 0, stderr: '' });
  const rows = csv.stdout.trim().split('\r\n');
  expect(rows[0]).toMatch(/^orderId,status,state,customerId,total,/);
  expect(rows.slice(1).map((row) => row.split(',')[0])).toEqual([ids.happy, ...[...ids.slow].reverse()]);
  expect(rowOf(csv.stdout, ids.happy)).toContain(`,completed,completed,"'=cmd|calc",25.00,2500,USD,`);

  const key = JSON.parse((await sagaCtl(['incidents', '--json'], { token: READ })).stdout).groups[0].key as string;
  const lines = await sagaCtl(['export', '--format', 'ndjson', '--incident', key], { token: READ });
  expect(lines.code).toBe(0);
  expect(lines.stdout.trim().split('\n').map((line) => JSON.parse(line).orderId)).toEqual([...ids.slow].reverse());
  const stuck = await sagaCtl(['export', '--status', 'completed'], { token: READ });
  expect(stuck.stdout.trim().split('\r\n')).toHaveLength(2);
});

it('export writes a file with --output, and says why when it cannot', async () => {
  const path = join(dir, 'orders.ndjson');
  const toFile = await sagaCtl(['export', '--format', 'ndjson', '--output', path], { token: READ });
  expect(toFile.code).toBe(0);
  expect(toFile.stdout).toBe('');
  expect(toFile.stderr).toMatch(new RegExp(`^exported \\d+(\\.\\d)? (B|KB) of ndjson to ${path}\\n$`));
  expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3);

  const [badFormat, noToken, badFile, badIncident] = await Promise.all([
    sagaCtl(['export', '--format', 'xlsx'], { token: READ }),
    sagaCtl(['export'], { token: null }),
    sagaCtl(['export', '--output', join(dir, 'no-such-folder', 'x.csv')], { token: READ }),
    sagaCtl(['export', '--incident', 'nope'], { token: READ }),
  ]);
  expect(badFormat.code).toBe(2);
  expect(badFormat.stderr).toMatch(/^error: --format must be one of csv, ndjson, not "xlsx"/);
  expect(noToken.code).toBe(1);
  expect(noToken.stderr).toMatch(/^error: .*token/i);
  expect(noToken.stdout).toBe('');
  expect(badFile.code).toBe(1);
  expect(badFile.stderr).toMatch(/^error: cannot write .*no-such-folder/);
  expect(badIncident.code).toBe(1);
  expect(badIncident.stderr).toContain('query.incident');
  for (const result of [badFormat, noToken, badFile, badIncident]) expect(result.stderr).not.toMatch(STACK_LINE);
});
