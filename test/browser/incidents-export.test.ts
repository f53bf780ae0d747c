/**
 * The incidents section of the overview and the export button, in a real browser against the
 * real system under its CSP: two SLOW- orders stuck at the shipment show as one group with its
 * count, step, error and newest orders; its Retry runs a dry run of exactly that group first,
 * then the bulk job, followed to its end. The orders list's Export downloads every order of the
 * current filter, as a link the browser streams (no token) and, once a token is in the session,
 * through a fetch with it.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUiBuilt } from '../support/build-ui.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { eventually, launchBrowser, openPage, screenshot, type UserPage } from './harness.ts';

const OPS = 'ops-ui-secret';
const STEP_TIMEOUT_MS = 600;
const slow = { customerId: 'cust-ui-slow', items: [{ sku: 'SLOW-SOFA', quantity: 1, unitPriceCents: 50_000 }] };

let system: TestSystem;
let browser: Browser;
let user: UserPage;
let page: Page;
const ids = { slow: [] as string[], happy: [] as string[] };

beforeAll(async () => {
  ensureUiBuilt();
  [system, browser] = await Promise.all([
    startSystem({ env: { STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS), STEP_MAX_ATTEMPTS: '2', SLOW_SHIPPING_MS: '60000', OPS_TOKEN: OPS } }),
    launchBrowser(),
  ]);
  const submit = async (body: unknown) => (await system.api('/api/orders', { body })).body.orderId as string;
  for (let n = 0; n < 2; n++) ids.slow.push(await submit(slow));
  for (let n = 0; n < 3; n++) ids.happy.push(await submit({ customerId: n === 0 ? '@SUM(1+1)' : `cust-ui-${n}`, items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 1000 + n }] }));
  const settled = await waitUntilSettled(system, [...ids.slow, ...ids.happy], 20_000);
  expect([...ids.slow, ...ids.happy].map((id) => settled.get(id)?.status)).toEqual(['stuck', 'stuck', 'completed', 'completed', 'completed']);
  user = await openPage(browser, system.baseUrl);
  page = user.page;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

describe('the incidents section', () => {
  it('shows the stuck sagas as one group: count, kind, step, error, times and the newest orders', async () => {
    await page.goto('/');
    const section = page.getByTestId('incidents');
    const group = section.locator('tr[data-incident]');
    await group.first().waitFor();
    expect(await group.count()).toBe(1);
    expect(await group.getAttribute('data-kind')).toBe('stuck');
    expect(await group.getAttribute('data-step')).toBe('createShipment');
    expect(await group.locator('.incident__count').innerText()).toBe('2');
    const text = await group.innerText();
    expect(text).toContain('stuck');
    expect(text).toContain('createShipment');
    expect(text).toContain('no reply within the step deadline (attempt #)');
    expect(text).toMatch(/ago/);
    expect(await section.getByTestId('incidents-summary').innerText()).toContain('2 sagas in 1 group');
    // The newest orders link to their pages.
    const links = await group.locator('.incident__sample a').evaluateAll((as: any[]) => as.map((a) => a.getAttribute('href')));
    expect(links.sort()).toEqual(ids.slow.map((id) => `/orders/${id}`).sort());
    expect(await group.locator('button[data-action]').evaluateAll((bs: any[]) => bs.map((b) => b.getAttribute('data-action')))).toEqual(['retry', 'compensate']);
    await screenshot(section, 'incidents');
    // Show: the list below holds exactly the group, and the filter is in the URL.
    await group.getByTestId('incident-show').click();
    await page.waitForURL(/incident=stuck\.createShipment\./);
    await eventually('the list of the group', async () => {
      const listed: string[] = await page.locator('tr[data-order-id]').evaluateAll((rows: any[]) => rows.map((row) => row.getAttribute('data-order-id')));
      return listed.slice().sort().join() === [...ids.slow].sort().join();
    });
  });

  it('retries exactly the group: a dry run first, then the job, followed to its end', async () => {
    await page.goto('/');
    const group = page.getByTestId('incidents').locator('tr[data-incident]');
    await group.locator('button[data-action="retry"]').click();
    const dialog = page.locator('dialog[open]');
    await dialog.getByTestId('bulk-form').waitFor();
    await dialog.locator('textarea[name="reason"]').fill('carrier is back');
    // OPS_TOKEN is set: the dialog asks for it.
    await dialog.locator('input[name="token"]').fill(OPS);
    await dialog.getByTestId('bulk-dry-run').click();
    await dialog.getByTestId('bulk-preview').waitFor();
    expect(await dialog.getByTestId('bulk-matched').innerText()).toBe('2');
    const sample = await dialog.locator('.bulk-preview__sample a').evaluateAll((as: any[]) => as.map((a) => a.textContent));
    expect(sample.sort()).toEqual([...ids.slow].sort());
    await screenshot(page, 'incident-dry-run');
    // Nothing changed by the dry run.
    for (const id of ids.slow) expect((await system.api(`/api/orders/${id}`)).body.history.some((row: { event: string }) => row.event === 'RETRY')).toBe(false);

    await dialog.getByTestId('bulk-apply').click();
    const job = dialog.getByTestId('bulk-job');
    await eventually('the job to complete', async () => (await job.getAttribute('data-state')) === 'completed');
    expect(await job.innerText()).toMatch(/2 of 2 done — applied 2, refused 0, failed 0/);
    await screenshot(page, 'incident-bulk-job');
    for (const id of ids.slow) {
      const history = (await system.api(`/api/orders/${id}`)).body.history as { event: string; detail?: string }[];
      expect(history.find((row) => row.event === 'RETRY')?.detail).toContain('carrier is back');
    }
    for (const id of ids.happy) expect((await system.api(`/api/orders/${id}`)).body.history.some((row: { event: string }) => row.event === 'RETRY')).toBe(false);
    expect(await dialog.getByTestId('bulk-close').innerText()).toBe('Close');
    await dialog.getByTestId('bulk-close').click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    expect(user.errors).toEqual([]);
  });
});

describe('the export button', () => {
  async function download(testId: string): Promise<{ name: string; body: string }> {
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
    const path = await file.path();
    return { name: file.suggestedFilename(), body: readFileSync(path!, 'utf8') };
  }

  it('downloads every order of the current filter as CSV or JSON lines', async () => {
    // No token in this browser session yet: the browser streams the link itself.
    const fresh = await openPage(browser, system.baseUrl);
    const previous = page;
    page = fresh.page;
    try {
      await page.goto('/?status=completed');
      await page.getByTestId('orders-table').waitFor();
      const csv = await download('export-csv');
      expect(csv.name).toMatch(/^orders-\d{8}T\d{6}Z\.csv$/);
      const rows = csv.body.trim().split('\r\n');
      expect(rows[0]).toMatch(/^orderId,status,state,customerId,/);
      expect(rows.slice(1).map((row) => row.split(',')[0]).sort()).toEqual([...ids.happy].sort());
      expect(csv.body).toContain(`"'@SUM(1+1)"`);
      await page.getByRole('status').filter({ hasText: 'Downloading orders-' }).waitFor();
      await screenshot(page, 'orders-export');
      expect(fresh.errors).toEqual([]);
    } finally {
      await page.context().close();
      page = previous;
    }
  });

  it('downloads with the session token through a fetch, the whole list when no filter is set', async () => {
    // The token from the bulk dialog is kept for this session: the export sends it.
    await page.goto('/');
    await page.getByTestId('orders-table').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('saga-ui.token')")).toBe(OPS);
    const lines = await download('export-ndjson');
    expect(lines.name).toMatch(/^orders-\d{8}T\d{6}Z\.ndjson$/);
    const orders = lines.body.trim().split('\n').map((line) => JSON.parse(line));
    expect(orders.map((o) => o.orderId).sort()).toEqual([...ids.slow, ...ids.happy].sort());
    expect(user.errors).toEqual([]);
    expect(user.alerts).toEqual([]);
  });
});
