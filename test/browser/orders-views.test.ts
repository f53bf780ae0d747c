/**
 * The orders list as an operator who lives in it uses it, in a real browser under the page's
 * CSP: every filter in the URL (a link reproduces the view), named views saved in the browser
 * (built-in stuck, retrying now, stalled and paused; save, rename, delete, surviving a reload), the
 * keys (j, k, Enter, /, Esc), and the dark mode toggle remembered across reloads.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSystem } from '../support/system.ts';
import { cspViolations, eventually, listedOrderIds, openPage, screenshot, startUiSuite, type UiSuite, type UserPage } from './harness.ts';

// The page's globals, used inside page.evaluate (the test project's types carry no DOM).
declare const document: any, getComputedStyle: any;

const item = (sku: string, unitPriceCents = 1250) => ({ sku, quantity: 1, unitPriceCents });
const ORDERS = {
  first: { customerId: 'cust-views-a', items: [item('BOOK-1')] },
  declined: { customerId: 'cust-declined', items: [item('BOOK-2')] },
  outOfStock: { customerId: 'cust-views-oos', items: [item('OOS-LAMP', 4000)] },
  stuck: { customerId: 'cust-views-slow', items: [item('SLOW-SOFA', 50_000)] },
  second: { customerId: 'cust-views-b', items: [item('BOOK-3')] },
  third: { customerId: 'cust-views-a', items: [item('BOOK-4')] },
} as const;
type Name = keyof typeof ORDERS;

let suite: UiSuite<Name>;
let system: TestSystem;
let user: UserPage;
let page: Page;
let ids: Record<Name, string>;

beforeAll(async () => {
  suite = await startUiSuite({ STEP_TIMEOUT_MS: '500', STEP_MAX_ATTEMPTS: '2', SLOW_SHIPPING_MS: '600000' }, ORDERS);
  ({ system, user, page, ids } = suite);
  expect(suite.settled.stuck?.status).toBe('stuck');
});

afterAll(async () => suite?.stop());

const views = () => page.getByTestId('views');
const viewLink = (name: string) => views().locator(`a[data-view="${name}"]`);
const search = () => page.getByTestId('search');

async function listShows(expected: string[]) {
  await eventually(`the list to show ${expected.length} orders`, async () => {
    const listed = await listedOrderIds(page);
    return JSON.stringify([...listed].sort()) === JSON.stringify([...expected].sort());
  });
}

/** The order whose row holds the focus (the selection). */
const selectedOrder = () => page.evaluate(() => document.activeElement?.closest('tr[data-order-id]')?.getAttribute('data-order-id') ?? null);

/** What the API lists for a query string: the oracle for a view. */
async function apiList(query: string): Promise<string[]> {
  const { body } = await system.api(`/api/orders?${query}&limit=500`);
  return body.items.map((order: { orderId: string }) => order.orderId);
}

describe('keys on the orders list', () => {
  it('j and k move the selection, Enter opens it, / jumps to the search and Esc comes back', async () => {
    await page.goto('/');
    await listShows(Object.values(ids));
    const listed = await listedOrderIds(page);
    await page.getByTestId('key-hints').waitFor();

    // Each key is checked as it lands: on a loaded host React may take a moment to move the focus.
    await page.keyboard.press('j');
    await expect.poll(selectedOrder).toBe(listed[0]);
    await page.keyboard.press('j');
    await expect.poll(selectedOrder).toBe(listed[1]);
    await page.keyboard.press('j');
    await expect.poll(selectedOrder).toBe(listed[2]);
    await page.keyboard.press('k');
    await expect.poll(selectedOrder).toBe(listed[1]);
    // The selection shows: the row is outlined.
    expect(await page.locator(`tr[data-order-id="${listed[1]}"]`).evaluate((row: any) => getComputedStyle(row).outlineStyle)).toBe('solid');
    await screenshot(page.locator('section.card', { has: page.getByTestId('orders-table') }), 'orders-list-keys');

    await page.keyboard.press('Enter');
    await page.waitForURL(`**/orders/${listed[1]}`);
    await page.goBack();
    await listShows(Object.values(ids));
    await page.getByTestId('key-hints').waitFor();

    // Back on the list, j moves on from wherever the selection is (the row just opened, or none
    // yet); then / focuses the search without typing a slash, and letters typed there stay there.
    let before = await selectedOrder();
    for (let settled = 0; settled < 2; ) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const now = await selectedOrder();
      settled = now === before ? settled + 1 : 0;
      before = now;
    }
    await page.keyboard.press('j');
    await expect.poll(selectedOrder).toBe(listed[before === null ? 0 : listed.indexOf(before) + 1]);
    await page.keyboard.press('/');
    await expect.poll(() => search().evaluate((input: any) => input === document.activeElement)).toBe(true);
    await page.keyboard.type('cust-views-a');
    expect(await search().inputValue()).toBe('cust-views-a');
    await page.waitForURL(/q=cust-views-a/);
    await listShows([ids.first, ids.third]);
    // Esc leaves the search (keeping what was typed) and selects a row again.
    await page.keyboard.press('Escape');
    expect(await search().inputValue()).toBe('cust-views-a');
    await page.keyboard.press('j');
    await expect.poll(async () => [ids.first, ids.third].includes((await selectedOrder()) ?? '')).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/orders\/ord_/);
  });

  it('leaves keys alone while typing in a field', async () => {
    await page.goto('/');
    await listShows(Object.values(ids));
    await search().click();
    await page.keyboard.type('jk');
    expect(await search().inputValue()).toBe('jk');
    expect(await selectedOrder()).toBe(null);
    await search().fill('');
  });
});

describe('filters in the URL', () => {
  it('puts every filter and the search in the URL, so a link reproduces the list', async () => {
    await page.goto('/');
    await page.getByTestId('filter-status').selectOption('cancelled');
    await search().fill('cust-declined');
    await page.waitForURL(/status=cancelled/);
    await page.waitForURL(/q=cust-declined/);
    await listShows([ids.declined]);

    // The same link in a browser that never saw this list.
    const other = await openPage(suite.browser, system.baseUrl);
    await other.page.goto(page.url());
    await eventually('the linked list', async () => (await listedOrderIds(other.page)).join() === ids.declined);
    expect(await other.page.getByTestId('filter-status').inputValue()).toBe('cancelled');
    expect(await other.page.getByTestId('search').inputValue()).toBe('cust-declined');
    await other.page.context().close();

    // Filters without a field of their own come with a link too: an order's customer.
    await page.goto(`/orders/${ids.third}`);
    await page.getByTestId('order-customer').getByRole('link').click();
    await page.waitForURL(/customerId=cust-views-a/);
    await listShows(await apiList('customerId=cust-views-a'));
    await page.locator('.filter-chip[data-filter="customer"]').getByRole('button', { name: 'Remove the customer filter' }).click();
    await listShows(Object.values(ids));
    expect(page.url()).not.toContain('customerId');
  });
});

describe('saved views', () => {
  it('offers the built-in views: stuck, retrying now, stalled and paused, each a link to its filter', async () => {
    await page.goto('/');
    expect(await views().locator('a[data-view]').allInnerTexts()).toEqual(['all orders', 'stuck', 'retrying now', 'stalled', 'paused']);
    await viewLink('stuck').click();
    await page.waitForURL(/\?status=stuck$/);
    await listShows([ids.stuck]);
    expect(await viewLink('stuck').getAttribute('aria-current')).toBe('page');

    await viewLink('retrying now').click();
    await page.waitForURL(/\?retrying=true$/);
    await eventually('the retrying box checked', () => page.getByTestId('filter-retrying').isChecked());

    await viewLink('stalled').click();
    await page.waitForURL(/\?stalled=true$/);
    await eventually('the stalled box checked', () => page.getByTestId('filter-stalled').isChecked());
    const stalled = await apiList('stalled=true');
    if (stalled.length > 0) await listShows(stalled);
    else await page.getByText('No orders match these filters.').waitFor();

    await viewLink('all orders').click();
    await listShows(Object.values(ids));
  });

  it('saves a named view that survives a reload and whose link reproduces its filter', async () => {
    await page.goto('/?status=cancelled');
    await listShows([ids.declined, ids.outOfStock]);
    await views().getByRole('button', { name: 'Save view…' }).click();
    await views().getByLabel('View name').fill('stuck'); // a built-in's name is refused
    await views().getByRole('button', { name: 'Save', exact: true }).click();
    expect(await views().getByRole('alert').innerText()).toContain('built-in view');
    await views().getByLabel('View name').fill('refused by business');
    await views().getByLabel('View name').press('Enter');
    await viewLink('refused by business').waitFor();
    expect(await viewLink('refused by business').getAttribute('aria-current')).toBe('page');
    await screenshot(page.locator('section.card', { has: page.getByTestId('orders-table') }), 'orders-list-views');

    await page.reload();
    await viewLink('refused by business').waitFor();
    await page.goto('/');
    await listShows(Object.values(ids));
    await viewLink('refused by business').click();
    await page.waitForURL(/\?status=cancelled$/);
    await listShows([ids.declined, ids.outOfStock]);

    // Its link, opened where the view was never saved, shows the same list.
    const href = await viewLink('refused by business').getAttribute('href');
    const other = await openPage(suite.browser, system.baseUrl);
    await other.page.goto(href!);
    await eventually('the view in another browser', async () => JSON.stringify((await listedOrderIds(other.page)).sort()) === JSON.stringify([ids.declined, ids.outOfStock].sort()));
    expect(await other.page.locator('a[data-view="refused by business"]').count()).toBe(0);
    await other.page.context().close();
  });

  it('renames and deletes a saved view', async () => {
    await page.goto('/?q=cust-views-a');
    await views().getByRole('button', { name: 'Save view…' }).click();
    await views().getByLabel('View name').fill('customer a');
    await views().getByLabel('View name').press('Enter');
    await viewLink('customer a').waitFor();

    await views().getByRole('button', { name: 'Manage views' }).click();
    const dialog = page.getByRole('dialog');
    // While a dialog is open the list's keys do nothing.
    await dialog.getByRole('button', { name: 'Done' }).focus();
    await page.keyboard.press('j');
    expect(await selectedOrder()).toBe(null);
    await dialog.getByLabel('Name of the view customer a').fill('refused by business');
    await dialog.locator('[data-view-row="customer a"]').getByRole('button', { name: 'Rename' }).click();
    expect(await dialog.getByRole('alert').innerText()).toContain('exists');
    await dialog.getByLabel('Name of the view customer a').fill('customer A, all orders');
    await dialog.locator('[data-view-row="customer a"]').getByRole('button', { name: 'Rename' }).click();
    await viewLink('customer A, all orders').waitFor();
    expect(await viewLink('customer a').count()).toBe(0);

    await dialog.locator('[data-view-row="refused by business"]').getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.reload();
    await viewLink('customer A, all orders').waitFor();
    expect(await viewLink('refused by business').count()).toBe(0);
    await viewLink('customer A, all orders').click();
    await page.waitForURL(/\?q=cust-views-a$/);
    await listShows([ids.first, ids.third]);
  });
});

describe('dark mode', () => {
  const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const theme = () => page.evaluate(() => document.documentElement.getAttribute('data-theme'));

  it('follows the system, and the toggle’s choice is kept across reloads', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto('/');
    await listShows(Object.values(ids));
    expect(await theme()).toBe(null);
    const light = await background();

    await page.getByRole('group', { name: 'Colour theme' }).getByRole('button', { name: 'Dark' }).click();
    expect(await theme()).toBe('dark');
    const dark = await background();
    expect(dark).not.toBe(light);
    await page.reload();
    await listShows(Object.values(ids));
    expect(await theme()).toBe('dark');
    expect(await background()).toBe(dark);
    expect(await page.getByRole('button', { name: 'Dark' }).getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'orders-list-dark');

    // Auto follows the system again: dark when it is dark.
    await page.getByRole('button', { name: 'Auto' }).click();
    expect(await theme()).toBe(null);
    expect(await background()).toBe(light);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).toBe(dark);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.reload();
    await listShows(Object.values(ids));
    expect(await theme()).toBe(null);
    await screenshot(page, 'orders-list-light');
  });

  it('raised no CSP violation and no error in the page', async () => {
    expect(await cspViolations(user)).toEqual([]);
    expect(user.errors).toEqual([]);
  });
});
