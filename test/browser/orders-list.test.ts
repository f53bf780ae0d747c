/**
 * The orders list and the overview, in a real browser against the real system: one order per
 * outcome shows with its status, new orders arrive live without a reload, the filters and the
 * search narrow the list, and order data is shown as text, never as HTML.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUiBuilt } from '../support/build-ui.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { eventually, launchBrowser, listedOrderIds, openPage, screenshot, type UserPage } from './harness.ts';

const XSS = '<img/src=x/onerror=alert(1)>';
const STEP_TIMEOUT_MS = 2500;
const item = (sku: string, unitPriceCents = 1250, quantity = 1) => ({ sku, quantity, unitPriceCents });

/** One order per outcome, submitted in this order (so the list shows them in reverse). */
const ORDERS = {
  happy: { body: { customerId: 'cust-ui-happy', items: [item('BOOK-1', 1250, 2)] }, status: 'completed' },
  outOfStock: { body: { customerId: 'cust-ui-oos', items: [item('OOS-LAMP', 4000)] }, status: 'cancelled' },
  declined: { body: { customerId: 'cust-declined', items: [item('BOOK-2')] }, status: 'cancelled' },
  cannotShip: { body: { customerId: 'cust-ui-noship', items: [item('NOSHIP-PIANO', 900_000)] }, status: 'cancelled' },
  stuck: { body: { customerId: 'cust-ui-slow', items: [item('SLOW-SOFA', 50_000)] }, status: 'stuck' },
  xss: { body: { customerId: XSS, items: [item('BOOK-3')] }, status: 'completed' },
} as const;
type Name = keyof typeof ORDERS;

let system: TestSystem;
let browser: Browser;
let user: UserPage;
let page: Page;
const ids = {} as Record<Name, string>;

beforeAll(async () => {
  ensureUiBuilt();
  [system, browser] = await Promise.all([
    // A SLOW- order retries its shipment from 2.5 s to 5 s after it started, then parks in stuck.
    startSystem({ env: { STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS), STEP_MAX_ATTEMPTS: '2', SLOW_SHIPPING_MS: '6000' } }),
    launchBrowser(),
  ]);
  for (const name of Object.keys(ORDERS) as Name[]) {
    const response = await system.api('/api/orders', { body: ORDERS[name].body });
    expect(response.status).toBe(202);
    ids[name] = response.body.orderId;
  }
  // The stuck one takes two step timeouts; the first test waits for it on the page.
  const others = (Object.keys(ORDERS) as Name[]).filter((name) => name !== 'stuck');
  const settled = await waitUntilSettled(system, others.map((name) => ids[name]), 20_000);
  for (const name of others) expect(settled.get(ids[name])?.status).toBe(ORDERS[name].status);
  user = await openPage(browser, system.baseUrl);
  page = user.page;
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

const row = (orderId: string) => page.locator(`tr[data-order-id="${orderId}"]`);

async function clearFilters() {
  await page.goto('/');
  await page.getByTestId('orders-table').waitFor();
}

describe('the orders list', () => {
  it('shows every order, newest first, with its status badge, customer and total', async () => {
    await page.goto('/');
    for (const name of Object.keys(ORDERS) as Name[]) {
      const status = ORDERS[name].status;
      // The stuck order turns stuck on the open page, live.
      await row(ids[name]).locator(`.badge[data-status="${status}"]`).waitFor({ timeout: 3 * STEP_TIMEOUT_MS });
      expect(await row(ids[name]).locator('.cell-status').innerText()).toContain(status);
    }
    const listed = (await listedOrderIds(page)).filter((id) => Object.values(ids).includes(id));
    expect(listed).toEqual(Object.values(ids).reverse());

    expect(await row(ids.happy).locator('.cell-customer').innerText()).toBe('cust-ui-happy');
    expect(await row(ids.happy).innerText()).toContain('$25.00');
    expect(await row(ids.cannotShip).innerText()).toContain('$9,000.00');
    expect(await row(ids.stuck).locator('.cell-state').innerText()).toBe('stuck');
    await page.getByText('Live', { exact: true }).waitFor();
  });

  it('renders order data as text: a customer id made of HTML stays literal', async () => {
    await page.goto('/');
    await row(ids.xss).waitFor();
    expect(await row(ids.xss).locator('.cell-customer').textContent()).toBe(XSS);
    expect(await page.locator('img').count()).toBe(0);

    await page.goto(`/orders/${ids.xss}`);
    await page.getByTestId('order-customer').waitFor();
    expect(await page.getByTestId('order-customer').textContent()).toBe(XSS);
    expect(await page.locator('img').count()).toBe(0);
    expect(user.alerts).toEqual([]);
  });

  it('updates live: a new order appears and settles without a reload', async () => {
    await page.goto('/');
    await page.getByText('Live', { exact: true }).waitFor();
    await page.evaluate('window.__sameDocument = true');
    const { orderId } = (await system.api('/api/orders', { body: { customerId: 'cust-ui-live', items: [item('BOOK-9')] } })).body;

    await row(orderId).locator('.badge[data-status="completed"]').waitFor({ timeout: 10_000 });
    expect((await listedOrderIds(page))[0]).toBe(orderId);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    // The overview counted it too.
    await eventually('the overview to count 3 completed', async () =>
      (await page.getByTestId('tile-completed').innerText()).startsWith('3'),
    );
  });
});

describe('a saga that is retrying', () => {
  it('shows "retrying · attempt N of M" in the list, the retrying filter finds it, and its page shows the pending step', async () => {
    await page.goto('/');
    const started = Date.now();
    const { orderId } = (await system.api('/api/orders', { body: { customerId: 'cust-ui-retrying', items: [item('SLOW-BED', 80_000)] } })).body;
    // Attempt 2 starts when attempt 1 times out: the row changes in place, live.
    const badge = row(orderId).locator('[data-retrying="true"]');
    await badge.waitFor({ timeout: STEP_TIMEOUT_MS + 3000 });
    expect(await badge.innerText()).toContain('retrying · attempt 2 of 2');
    expect(await row(orderId).locator('.badge[data-status="running"]').count()).toBe(1);
    expect(await row(orderId).locator('.cell-state').innerText()).toBe('creatingShipment');

    await page.getByTestId('filter-retrying').click();
    await page.waitForURL(/retrying=true/);
    await eventually('the box checked', () => page.getByTestId('filter-retrying').isChecked());
    await eventually('the retrying filter', async () => (await listedOrderIds(page)).join() === orderId);
    await screenshot(page, 'orders-list');

    // The row is a link to the order's page, which shows the pending step in full.
    await row(orderId).getByRole('link').click();
    await page.waitForURL(`**/orders/${orderId}`);
    const card = page.getByTestId('pending-card');
    await card.waitFor();
    const text = await card.innerText();
    expect(text).toContain('Pending step');
    expect(text).toContain('createShipment');
    expect(text).toContain('retrying · attempt 2 of 2');
    expect(text).toContain('no reply within the step deadline (attempt 1)');
    expect(text).toMatch(/no reply by then: the saga parks in stuck/);
    expect(Date.now() - started).toBeLessThan(2 * STEP_TIMEOUT_MS); // all of it seen while it was retrying
    await screenshot(page, 'order-retrying');
    // And then it parks, on the page, live.
    await eventually('stuck', async () => (await page.getByTestId('order-state').textContent()) === 'stuck', STEP_TIMEOUT_MS + 3000);
  });
});

describe('the overview', () => {
  it('counts sagas per status and per state on the statechart', async () => {
    await page.goto('/');
    const overview = page.getByTestId('overview');
    await eventually('the status counts', async () => (await page.getByTestId('tile-stuck').innerText()).startsWith('2'));
    expect(await page.getByTestId('tile-cancelled').innerText()).toMatch(/^3\b/);
    expect(await page.getByTestId('tile-running').innerText()).toMatch(/^0\b/);
    // Nodes are drawn once measured.
    await overview.locator('.sc-node[data-state="cancelled"]').waitFor({ state: 'visible' });
    expect(await overview.locator('.sc-node[data-state="stuck"] .sc-node__count').innerText()).toBe('2');
    expect(await overview.locator('.sc-node[data-state="cancelled"] .sc-node__count').innerText()).toBe('3');
    expect(await overview.locator('.sc-node[data-state="reservingInventory"] .sc-node__count').innerText()).toBe('0');
    // Every state of the machine is drawn, and the submitted start, with edges between them.
    expect(await overview.locator('.sc-node').count()).toBe(12);
    expect(await overview.locator('.react-flow__edge').count()).toBeGreaterThan(15);
    await screenshot(overview, 'overview');
  });
});

describe('filters and search', () => {
  it('filters by status from the filter bar, and the filter is in the URL', async () => {
    await clearFilters();
    await page.getByTestId('filter-status').selectOption('cancelled');
    const cancelled = [ids.outOfStock, ids.declined, ids.cannotShip].sort();
    await eventually('only cancelled orders', async () => {
      const listed = await listedOrderIds(page);
      return JSON.stringify(listed.slice().sort()) === JSON.stringify(cancelled);
    });
    expect(page.url()).toContain('status=cancelled');
    // The filtered list is a link: it survives a reload.
    await page.reload();
    await eventually('the filter after reload', async () => (await listedOrderIds(page)).length === 3);
  });

  it('filters by status from the overview tiles and by state from the statechart', async () => {
    await clearFilters();
    await page.getByTestId('tile-completed').click();
    await eventually('only the completed orders', async () => {
      const listed = await listedOrderIds(page);
      return listed.length === 3 && listed.includes(ids.happy) && listed.includes(ids.xss);
    });
    expect(page.url()).toContain('status=completed');
    // Clicking the pressed tile again lifts the filter.
    await page.getByTestId('tile-completed').click();
    await eventually('all orders', async () => (await listedOrderIds(page)).length === 8);

    await page.getByTestId('tile-stuck').click();
    await eventually('only the stuck orders', async () => {
      const listed = await listedOrderIds(page);
      return listed.length === 2 && listed.includes(ids.stuck);
    });
    expect(page.url()).toContain('status=stuck');

    await clearFilters();
    await page.getByTestId('overview').locator('.react-flow__node[data-id="completed"]').click();
    await eventually('only the 3 completed orders', async () => {
      const listed = await listedOrderIds(page);
      const others = await page.locator('tr[data-order-id]:not([data-status="completed"])').count();
      return listed.length === 3 && others === 0 && listed.includes(ids.happy) && listed.includes(ids.xss);
    });
    expect(page.url()).toContain('state=completed');
  });

  it('searches by exact customer id and by order id prefix', async () => {
    await clearFilters();
    await page.getByTestId('search').fill('cust-declined');
    await eventually('the declined order alone', async () => (await listedOrderIds(page)).join() === ids.declined);
    expect(page.url()).toContain('q=cust-declined');

    await page.getByTestId('search').fill(ids.cannotShip.slice(0, -2));
    await eventually('the order found by id prefix', async () => (await listedOrderIds(page)).join() === ids.cannotShip);

    await page.getByTestId('search').fill('cust-nobody');
    await page.getByText('No orders match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await eventually('the whole list again', async () => (await listedOrderIds(page)).length === 8);
    expect(user.errors).toEqual([]);
  });
});

describe('the system panel', () => {
  it('shows the NATS server, the durability it gives, replicas, consumer backlogs and dead letters', async () => {
    const system_ = (await system.api('/api/system')).body;
    await page.getByRole('link', { name: 'System' }).click();
    await page.waitForURL('**/system');
    await page.getByTestId('nats-version').waitFor();
    expect(await page.getByTestId('nats-version').textContent()).toBe(system_.nats.version);
    const text = await page.locator('main').innerText();
    expect(text).toContain(system_.durability.summary);
    expect(text).toContain('single server (no cluster)');
    for (const consumer of system_.consumers) expect(text).toContain(consumer.name);
    for (const stream of system_.streams) expect(text).toContain(stream.name);
    for (const bucket of system_.buckets) expect(text).toContain(bucket.name);
    expect(await page.getByTestId('dead-letters').textContent()).toBe(String(system_.deadLetters.waiting));
    await screenshot(page, 'system');
  });
});
