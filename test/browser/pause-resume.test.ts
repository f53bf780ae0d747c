/**
 * Pausing and resuming sagas from the console, in a real browser against the real system
 * (OPS_TOKEN set, under the page's CSP). The payment worker is frozen (SIGSTOP), so two orders
 * retry their charge every STEP_TIMEOUT_MS. One is paused from its page (the badge, the banner
 * with who, why and since when, the deadline held, the PAUSE row), the other from its incident
 * group (a dry run first, then the bulk job). The list's paused filter and view, the URL and the
 * overview's count show both, and no deadline runs while they are paused. The worker wakes: its
 * answers still count (both are charged) but no new command goes out (the shipment waits). One is
 * resumed from its page, the other with a bulk resume over the paused view; both complete.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSystem } from '../support/system.ts';
import { cspViolations, eventually, listedOrderIds, screenshot, startUiSuite, type UiSuite, type UserPage } from './harness.ts';

// The page's globals, used inside page.evaluate (the test project's types carry no DOM).
declare const getComputedStyle: any;

const OPS_TOKEN = 'ops-secret-for-the-pause-test';
const STEP_TIMEOUT_MS = 1500;
const DOCS_SCREENSHOT = new URL('../../docs/screenshots/order-paused.png', import.meta.url).pathname;

const book = (customerId: string, sku: string) => ({ customerId, items: [{ sku, quantity: 1, unitPriceCents: 4_200 }] });

let suite: UiSuite<'done'>;
let system: TestSystem;
let user: UserPage;
let page: Page;
/** `held` is paused from its page, `grouped` from its incident group. */
const ids = { held: '', grouped: '' };
let pausedAt = 0;
let attemptAtPause = 0;

beforeAll(async () => {
  suite = await startUiSuite(
    { STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS), STEP_MAX_ATTEMPTS: '100', OPS_TOKEN },
    { done: book('cust-ui-pause-done', 'BOOK-1') },
  );
  ({ system, user, page } = suite);
  expect(suite.settled.done?.status).toBe('completed');
  // The payment provider hangs: its worker is frozen, so each charge times out and is retried.
  system.services.payment.pause();
  const submit = async (body: unknown) => (await system.api('/api/orders', { body })).body.orderId as string;
  ids.held = await submit(book('cust-ui-pause-a', 'BOOK-2'));
  ids.grouped = await submit(book('cust-ui-pause-b', 'BOOK-3'));
  for (const id of Object.values(ids)) {
    await eventually(`${id} retrying its charge`, async () => {
      const order = (await system.api(`/api/orders/${id}`)).body;
      return order.status === 'running' && order.pending?.step === 'chargePayment' && order.pending.attempt >= 2;
    }, 30_000);
  }
});

afterAll(async () => {
  system?.services.payment.resume();
  await suite?.stop();
});

const dialog = () => page.getByRole('dialog');
const headerActions = () => page.getByRole('group', { name: 'Operator actions' }).getByRole('button');
const headerAction = (name: string) => page.getByRole('group', { name: 'Operator actions' }).getByRole('button', { name, exact: true });
const timelineRow = (event: string) => page.getByTestId('timeline').locator(`tbody tr[data-event="${event}"]`);
const order = async (id: string) => (await system.api(`/api/orders/${id}`)).body;

async function listShows(expected: string[]) {
  await eventually(`the list to show ${expected.join(', ')}`, async () => {
    const listed = await listedOrderIds(page);
    return JSON.stringify([...listed].sort()) === JSON.stringify([...expected].sort());
  });
}

async function tileCount(testId: string): Promise<string> {
  return (await page.getByTestId(testId).locator('.tile__count').innerText()).trim();
}

/** Through the bulk dialog that is open: a reason, the dry run, and the count it shows. */
async function bulkDryRun(reason: string): Promise<{ matched: string; sample: string[] }> {
  const open = page.locator('dialog[open]');
  await open.getByTestId('bulk-form').waitFor();
  await open.locator('textarea[name="reason"]').fill(reason);
  await open.getByTestId('bulk-dry-run').click();
  await open.getByTestId('bulk-preview').waitFor();
  const sample = await open.locator('.bulk-preview__sample a').evaluateAll((as: any[]) => as.map((a) => a.textContent));
  return { matched: await open.getByTestId('bulk-matched').innerText(), sample };
}

async function applyBulkAndClose(expected: RegExp) {
  const open = page.locator('dialog[open]');
  await open.getByTestId('bulk-apply').click();
  const job = open.getByTestId('bulk-job');
  await eventually('the bulk job to complete', async () => (await job.getAttribute('data-state')) === 'completed');
  expect(await job.innerText()).toMatch(expected);
  await open.getByTestId('bulk-close').click();
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
}

describe('pausing a saga from its page', () => {
  it('asks for a reason, says what pausing does, then shows who paused it, why and since when', async () => {
    await page.goto(`/orders/${ids.held}`);
    await eventually('the page of a saga retrying its charge', async () => (await page.getByTestId('order-state').textContent()) === 'chargingPayment');
    expect(await headerActions().allInnerTexts()).toContain('Pause');
    expect(await headerActions().allInnerTexts()).not.toContain('Resume');
    // The card says what pausing would do, beside the machine's plans.
    expect(await page.getByTestId('next-card').locator('tbody tr[data-action="pause"]').innerText()).toContain('no new command goes out and no deadline runs until it is resumed');

    await headerAction('Pause').click();
    await dialog().waitFor();
    expect(await dialog().getByRole('heading').first().innerText()).toBe(`Pause · ${ids.held}`);
    expect(await dialog().locator('.dialog__explain').innerText()).toContain(
      'no new command goes out and no deadline runs until it is resumed; answers from workers still count',
    );
    const confirm = dialog().getByRole('button', { name: 'Pause the saga' });
    expect(await confirm.isDisabled()).toBe(true); // a reason is required
    await dialog().getByLabel(/^Reason/).fill('suspect customer: check with the fraud team');
    await dialog().getByLabel(/^Your name/).fill('ops-paula');
    await dialog().getByLabel(/^Ops token/).fill(OPS_TOKEN);
    await screenshot(dialog().locator('.dialog__body'), 'pause-dialog');
    await confirm.click();
    await dialog().getByText('Done. The order is now').waitFor();
    expect(await dialog().getByRole('status').innerText()).toContain('paused');
    await dialog().getByRole('button', { name: 'Close' }).last().click();
    await dialog().waitFor({ state: 'detached' });

    const after = await order(ids.held);
    pausedAt = Date.now();
    attemptAtPause = after.pending.attempt;
    expect(after.paused).toMatchObject({ actor: expect.stringContaining('ops-paula'), reason: 'suspect customer: check with the fraud team' });
    expect(after.pending.deadline).toBe(null);
    expect(after.next.says).toMatch(/^is paused by ops-paula/);
    expect(after.allowedActions).toContain('resume');
    expect(after.allowedActions).not.toContain('pause');

    // The header: a Paused badge, and a banner with who, why and since when.
    await page.locator('.detail-head .badge--paused').waitFor();
    const banner = page.getByTestId('paused-banner');
    await banner.waitFor();
    expect(await banner.getByTestId('paused-actor').innerText()).toContain('ops-paula');
    expect(await banner.getByTestId('paused-reason').innerText()).toBe('suspect customer: check with the fraud team');
    expect(await banner.innerText()).toMatch(/since \d{2}\/\d{2}\/\d{4}, \d{2}:\d{2}:\d{2}/);
    expect(await banner.innerText()).toContain('No new command goes out and no deadline runs until it is resumed; a command sent before the pause may still be carried out, and answers from workers still count.');
    // The pending step's deadline is held, not a time.
    expect(await page.getByTestId('pending-deadline').innerText()).toMatch(/^held \(paused\)/);
    expect(await page.getByTestId('pending-card').getAttribute('data-paused')).toBe('true');
    // The history: an operator row with the actor and the reason; the state stays.
    const row = timelineRow('PAUSE');
    await row.waitFor();
    expect(await row.getAttribute('class')).toContain('timeline-row--operator');
    const text = await row.innerText();
    expect(text).toContain('suspect customer: check with the fraud team');
    expect(text).toContain('actor: ops-paula');
    expect(text).toContain('chargingPayment → chargingPayment');
    // Resume is offered now, Pause no longer; the card says the saga is paused.
    expect(await headerActions().allInnerTexts()).toContain('Resume');
    expect(await headerActions().allInnerTexts()).not.toContain('Pause');
    expect(await page.getByTestId('next-says').innerText()).toMatch(/^This order is paused by ops-paula/);
  });
});

describe('paused sagas in the list and the overview', () => {
  it('filters the list by paused, in the URL, as a built-in view and from the overview count', async () => {
    await page.goto('/');
    await eventually('the overview to count one paused saga', async () => (await tileCount('tile-paused')) === '1');
    await page.getByTestId('tile-paused').click();
    await page.waitForURL(/\?paused=true$/);
    await listShows([ids.held]);
    expect(await page.getByTestId('filter-paused').isChecked()).toBe(true);
    expect(await page.getByTestId('tile-paused').getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('a[data-view="paused"]').getAttribute('aria-current')).toBe('page');
    expect(await page.locator(`tr[data-order-id="${ids.held}"] .badge--paused`).innerText()).toContain('paused');

    // The checkbox and the built-in view lead to the same list, and a link reproduces it.
    await page.goto('/');
    expect(await page.getByTestId('views').locator('a[data-view]').allInnerTexts()).toEqual(['all orders', 'stuck', 'retrying now', 'stalled', 'paused']);
    // A click, not check(): the box is the URL's, so it shows checked once the URL says so.
    await page.getByTestId('filter-paused').click();
    await page.waitForURL(/\?paused=true$/);
    await eventually('the paused box checked', () => page.getByTestId('filter-paused').isChecked());
    await listShows([ids.held]);
    await page.goto('/?state=chargingPayment');
    await listShows(Object.values(ids));
    // Only the paused row has the badge.
    expect(await page.locator(`tr[data-order-id="${ids.grouped}"] .badge--paused`).count()).toBe(0);
    expect(await page.locator(`tr[data-order-id="${ids.held}"] .badge--paused`).count()).toBe(1);
    await page.locator('a[data-view="paused"]').click();
    await page.waitForURL(/\?paused=true$/);
    await listShows([ids.held]);
    await screenshot(page.locator('section.card', { has: page.getByTestId('orders-table') }), 'orders-list-paused');
  });
});

describe('pausing in bulk', () => {
  it('pauses a retrying incident group after a dry run: the paused saga is not in it, and the group empties', async () => {
    await page.goto('/');
    const group = page.getByTestId('incidents').locator('tr[data-incident][data-kind="retrying"]');
    await group.waitFor();
    expect(await group.getAttribute('data-step')).toBe('chargePayment');
    // The saga paused from its page waits on purpose: only the other one is in the group.
    await eventually('the group to hold one saga', async () => (await group.locator('.incident__count').innerText()) === '1');
    expect(await group.locator('button[data-action]').evaluateAll((bs: any[]) => bs.map((b) => b.getAttribute('data-action')))).toEqual(['pause']);
    await group.locator('button[data-action="pause"]').click();
    const open = page.locator('dialog[open]');
    expect(await open.locator('.dialog__explain').innerText()).toContain('no new command goes out and no deadline runs until each is resumed');
    // The token from the action dialog is kept for this session: not asked again.
    expect(await open.locator('input[name="token"]').count()).toBe(0);
    const dry = await bulkDryRun('payment provider outage');
    expect(dry).toEqual({ matched: '1', sample: [ids.grouped] });
    expect((await order(ids.grouped)).paused).toBe(null); // a dry run changes nothing
    await screenshot(open, 'incident-pause-dry-run');
    await applyBulkAndClose(/1 of 1 done — applied 1, refused 0, failed 0/);

    const grouped = await order(ids.grouped);
    expect(grouped.paused).toMatchObject({ reason: 'payment provider outage' });
    expect(grouped.history.at(-1)).toMatchObject({ event: 'PAUSE', from: 'chargingPayment', to: 'chargingPayment', detail: 'payment provider outage' });
    await eventually('the incidents to empty', async () => (await page.getByTestId('incidents-summary').innerText()).includes('none'));
    await eventually('the overview to count two paused sagas', async () => (await tileCount('tile-paused')) === '2');
  });

  it('counts only the sagas a bulk pause or resume over the list filters would act on', async () => {
    // Both are paused: a pause over their state covers none of them.
    await page.goto('/?state=chargingPayment');
    await listShows(Object.values(ids));
    await page.getByTestId('bulk-pause').click();
    expect(await bulkDryRun('second thoughts')).toEqual({ matched: '0', sample: [] });
    expect(await page.locator('dialog[open]').getByTestId('bulk-apply').isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });

    // The paused view offers resume only; its dry run counts both.
    await page.goto('/?paused=true');
    await listShows(Object.values(ids));
    expect(await page.getByTestId('bulk-pause').count()).toBe(0);
    await page.getByTestId('bulk-resume').click();
    const dry = await bulkDryRun('provider is back');
    expect(dry.matched).toBe('2');
    expect(dry.sample.sort()).toEqual(Object.values(ids).sort());
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    for (const id of Object.values(ids)) expect((await order(id)).paused).not.toBe(null);
  });

  it('runs no deadline while paused: the attempt stays where it was', async () => {
    // Well past two step timeouts since the pause.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, pausedAt + 2 * STEP_TIMEOUT_MS + 1000 - Date.now())));
    const held = await order(ids.held);
    expect(held.status).toBe('running');
    expect(held.pending).toMatchObject({ step: 'chargePayment', attempt: attemptAtPause, deadline: null });
    const pause = held.history.findIndex((row: { event: string }) => row.event === 'PAUSE');
    expect(held.history.slice(pause + 1).map((row: { event: string }) => row.event)).toEqual([]);
  });
});

describe('while paused, answers count but no new command goes out', () => {
  it('takes the charge in once the worker wakes, and holds the shipment command', async () => {
    system.services.payment.resume();
    for (const id of Object.values(ids)) {
      await eventually(`${id} charged while paused`, async () => (await order(id)).state === 'creatingShipment', 20_000);
    }
    // Nothing goes to shipping: the orders stay where they are, paused, with no deadline.
    await new Promise((resolve) => setTimeout(resolve, 2 * STEP_TIMEOUT_MS));
    for (const id of Object.values(ids)) {
      const held = await order(id);
      expect(held).toMatchObject({ state: 'creatingShipment', status: 'running', pending: { step: 'createShipment', attempt: 1, deadline: null } });
      expect(held.paused).not.toBe(null);
      expect(held.history.map((row: { event: string }) => row.event)).not.toContain('SHIPMENT_CREATED');
      expect(held.next.says).toContain('resumed, it sends createShipment (attempt 1)');
    }

    await page.goto(`/orders/${ids.held}`);
    await eventually('the page in creatingShipment', async () => (await page.getByTestId('order-state').textContent()) === 'creatingShipment');
    await page.getByTestId('paused-banner').waitFor();
    await timelineRow('PAYMENT_CHARGED').waitFor();
    expect(await page.getByTestId('pending-card').innerText()).toContain('createShipment');
    expect(await page.getByTestId('pending-deadline').innerText()).toMatch(/^held \(paused\)/);
    expect(await page.getByTestId('context').innerText()).toMatch(/deadline\s+held \(paused\)/);
    await page.locator('[data-testid="statechart"][aria-busy="false"]').first().waitFor();
    const shot = await screenshot(page, 'order-paused');
    mkdirSync(dirname(DOCS_SCREENSHOT), { recursive: true });
    copyFileSync(shot, DOCS_SCREENSHOT);

    // Dark mode: the banner keeps colours of its own.
    const light = await page.getByTestId('paused-banner').evaluate((el: any) => getComputedStyle(el).backgroundColor);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await page.getByTestId('paused-banner').evaluate((el: any) => getComputedStyle(el).backgroundColor);
    expect(dark).not.toBe(light);
    await screenshot(page, 'order-paused-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });
});

describe('resuming', () => {
  it('resumes from the page: the held command goes out and the order completes', async () => {
    await page.goto(`/orders/${ids.held}`);
    await page.getByTestId('paused-banner').waitFor();
    await headerAction('Resume').click();
    await dialog().waitFor();
    expect(await dialog().getByTestId('resume-note').innerText()).toMatch(/^Paused by ops-paula.* since .*: suspect customer: check with the fraud team$/);
    expect(await dialog().locator('.dialog__explain').innerText()).toContain('the pending step gets a whole deadline afresh');
    await dialog().getByLabel(/^Reason/).fill('fraud team cleared the customer');
    await dialog().getByRole('button', { name: 'Resume the saga' }).click();
    await dialog().getByText('Done. The order is now').waitFor();
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });

    await eventually('the order to complete', async () => (await page.getByTestId('order-state').textContent()) === 'completed', 20_000);
    expect(await page.getByTestId('paused-banner').count()).toBe(0);
    expect(await page.locator('.detail-head .badge--paused').count()).toBe(0);
    const row = timelineRow('RESUME');
    expect(await row.getAttribute('class')).toContain('timeline-row--operator');
    expect(await row.innerText()).toContain('fraud team cleared the customer');
    expect(await row.innerText()).toContain('actor: ops-paula');
    const events = (await order(ids.held)).history.map((r: { event: string }) => r.event);
    expect(events.indexOf('PAUSE')).toBeLessThan(events.indexOf('PAYMENT_CHARGED'));
    expect(events.indexOf('PAYMENT_CHARGED')).toBeLessThan(events.indexOf('RESUME'));
    expect(events.indexOf('RESUME')).toBeLessThan(events.indexOf('SHIPMENT_CREATED'));
    expect(await headerActions().allInnerTexts()).toEqual(['Replay (dry run)']);
    await screenshot(page, 'order-resumed');
  });

  it('resumes the rest in bulk from the paused view; the overview counts none paused', async () => {
    await page.goto('/?paused=true');
    await listShows([ids.grouped]);
    await page.getByTestId('bulk-resume').click();
    expect(await bulkDryRun('provider is back')).toEqual({ matched: '1', sample: [ids.grouped] });
    await applyBulkAndClose(/1 of 1 done — applied 1, refused 0, failed 0/);
    await eventually('the bulk-resumed order to complete', async () => (await order(ids.grouped)).status === 'completed', 20_000);
    await page.goto('/');
    await eventually('the overview to count no paused saga', async () => (await tileCount('tile-paused')) === '0');

    expect(await cspViolations(user)).toEqual([]);
    expect(user.errors).toEqual([]);
    expect(user.alerts).toEqual([]);
  });
});
