/**
 * An order's page, in a real browser against the real system (with an OPS_TOKEN set): the
 * statechart with the current state and the path taken, the timeline, the trace link, time
 * travel, deep links that survive a reload, and operator actions on stuck orders that change
 * the page, with their confirmation, reason, token and refusals.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUiBuilt } from '../support/build-ui.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { chartStates, eventually, launchBrowser, openPage, screenshot, type UserPage } from './harness.ts';

const OPS_TOKEN = 'ops-secret-for-the-browser-test';
const SLOW_SHIPPING_MS = 2500;
const item = (sku: string, unitPriceCents = 1250) => ({ sku, quantity: 1, unitPriceCents });

let system: TestSystem;
let browser: Browser;
let user: UserPage;
let page: Page;
const ids = { happy: '', cannotShip: '', stuckRetry: '', stuckCompensate: '', stuckRefused: '' };
let slowSubmittedAt = 0;

beforeAll(async () => {
  ensureUiBuilt();
  [system, browser] = await Promise.all([
    startSystem({
      env: { STEP_TIMEOUT_MS: '500', STEP_MAX_ATTEMPTS: '2', SLOW_SHIPPING_MS: String(SLOW_SHIPPING_MS), OPS_TOKEN },
    }),
    launchBrowser(),
  ]);
  const submit = async (customerId: string, sku: string, price?: number) =>
    (await system.api('/api/orders', { body: { customerId, items: [item(sku, price)] } })).body.orderId as string;
  slowSubmittedAt = Date.now();
  ids.stuckRetry = await submit('cust-ui-retry', 'SLOW-SOFA', 50_000);
  ids.stuckCompensate = await submit('cust-ui-compensate', 'SLOW-CHAIR', 20_000);
  ids.stuckRefused = await submit('cust-ui-refused', 'SLOW-DESK', 30_000);
  ids.happy = await submit('cust-ui-detail', 'BOOK-1');
  ids.cannotShip = await submit('cust-ui-noship', 'NOSHIP-PIANO', 900_000);
  const settled = await waitUntilSettled(system, Object.values(ids), 20_000);
  expect([...settled.values()].map((order) => order.status).sort()).toEqual(['cancelled', 'completed', 'stuck', 'stuck', 'stuck']);
  user = await openPage(browser, system.baseUrl);
  page = user.page;
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

const orderState = () => page.getByTestId('order-state');
const dialog = () => page.getByRole('dialog');
/** An action button in the page's header (the "What happens next" card has one of the same name). */
const headerAction = (name: string) => page.getByRole('group', { name: 'Operator actions' }).getByRole('button', { name, exact: true });

async function waitForState(state: string, timeoutMs = 10_000) {
  await eventually(`the page to show state ${state}`, async () => (await orderState().textContent()) === state, timeoutMs);
}

describe('an order page', () => {
  it('shows the statechart with the current state and the path taken, the timeline and the trace link', async () => {
    const order = (await system.api(`/api/orders/${ids.cannotShip}`)).body;
    // A deep link, loaded straight into the browser.
    await page.goto(`/orders/${ids.cannotShip}`);
    await waitForState('cancelled');
    expect(await page.getByTestId('order-id').textContent()).toBe(ids.cannotShip);
    expect(await page.locator('.detail-head .badge[data-status="cancelled"]').count()).toBe(1);

    // The current state is highlighted; the states the history went through are marked, others not.
    const chart = await chartStates(page);
    expect(chart.current).toEqual(['cancelled']);
    const expected = new Set<string>(order.history.flatMap((row: any) => [row.from, row.to]).filter(Boolean));
    expected.add('compensating'); // the eventless router the failure passed through
    expected.add('submitted'); // the start, before the first state
    expect(new Set(chart.visited)).toEqual(expected);
    expect(chart.visited).not.toContain('completed');
    expect(chart.visited).not.toContain('stuck');
    // The edges it took are drawn as taken and labelled with their events.
    expect(await page.locator('.react-flow__edge path.is-visited').count()).toBeGreaterThanOrEqual(order.history.length - 1);
    await page.locator('.sc-edge-label', { hasText: 'SHIPMENT_REJECTED' }).waitFor();

    // The timeline: one row per transition, with its event, failure message and worker.
    const rows = page.getByTestId('timeline').locator('tbody tr');
    expect(await rows.count()).toBe(order.history.length);
    for (const [index, row] of order.history.entries()) {
      expect(await rows.nth(index).locator('.event').textContent()).toBe(row.event);
    }
    const rejected = rows.filter({ hasText: 'SHIPMENT_REJECTED' });
    expect(await rejected.innerText()).toContain('NOSHIP-PIANO cannot be shipped');
    expect(await rejected.innerText()).toMatch(/worker: \S+/);

    // The trace link carries the order's trace id and opens in a new tab.
    const trace = page.getByTestId('trace-link');
    expect(order.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await trace.getAttribute('href')).toContain(order.traceId);
    expect(await trace.getAttribute('target')).toBe('_blank');
    await screenshot(page, 'order-detail');

    // Reloading the deep link lands on the same order.
    await page.reload();
    await waitForState('cancelled');
    expect(await page.getByTestId('order-id').textContent()).toBe(ids.cannotShip);
  });

  it('travels through the history: the statechart and context as they were after each transition', async () => {
    await page.goto(`/orders/${ids.cannotShip}`);
    await waitForState('cancelled');
    const steps = await page.getByTestId('timeline').locator('tbody tr').count();

    await page.getByRole('button', { name: '« First' }).click();
    await eventually('the first step', async () => (await chartStates(page)).current.join() === 'reservingInventory');
    expect(page.url()).toContain('step=1');
    expect(await page.getByTestId('time-travel-where').innerText()).toContain(`step 1 of ${steps}: ORDER_SUBMITTED`);
    expect(await page.getByTestId('context').innerText()).toContain('notStarted');

    await page.getByRole('button', { name: 'Next ›' }).click();
    await eventually('the second step', async () => (await chartStates(page)).current.join() === 'chargingPayment');
    expect(await page.getByTestId('time-travel-where').innerText()).toContain('INVENTORY_RESERVED');

    // A time-travel link survives a reload too.
    await page.reload();
    await eventually('step 2 after reload', async () => (await chartStates(page)).current.join() === 'chargingPayment');

    await page.getByRole('button', { name: 'Now »' }).click();
    await eventually('now again', async () => (await chartStates(page)).current.join() === 'cancelled');
    expect(page.url()).not.toContain('step=');
  });

  it('answers an unknown order id with a clear message', async () => {
    await page.goto('/orders/ord_00000000000000000000000000');
    await page.getByText('No order ord_00000000000000000000000000').waitFor();
  });
});

describe('operator actions', () => {
  it('shows a stuck order\'s card, and Retry (reason, ops token) gets it moving again', async () => {
    await page.goto(`/orders/${ids.stuckRetry}`);
    await waitForState('stuck');
    const card = page.getByTestId('pending-card');
    const text = await card.innerText();
    expect(text).toContain('Stuck: waiting for an operator');
    expect(text).toContain('createShipment');
    expect(text).toMatch(/attempts used\s*2 of 2/);
    expect(text.toLowerCase()).toContain('timeout');
    expect(text).toContain('no reply within the step deadline');
    expect((await chartStates(page)).current).toEqual(['stuck']);
    await screenshot(page, 'order-stuck');

    // Only the actions the saga allows now are offered.
    const actions = page.getByRole('group', { name: 'Operator actions' }).getByRole('button');
    expect(await actions.allInnerTexts()).toEqual(['Retry', 'Compensate', 'Resolve by hand', 'Mark failed', 'Pause', 'Replay (dry run)']);

    // Let the hung shipment land, so the retried step finds it done.
    await new Promise((r) => setTimeout(r, Math.max(0, slowSubmittedAt + SLOW_SHIPPING_MS + 700 - Date.now())));
    await headerAction('Retry').click();
    await dialog().waitFor();
    const confirm = dialog().getByRole('button', { name: 'Confirm retry' });
    expect(await confirm.isDisabled()).toBe(true); // a reason is required
    await dialog().getByLabel(/^Reason/).fill('carrier is back');
    await dialog().getByLabel(/^Your name/).fill('ops-anna');
    // A wrong token is refused with the server's reason, and asked for again.
    await dialog().getByLabel(/^Ops token/).fill('not-the-token');
    await confirm.click();
    await dialog().getByRole('alert').filter({ hasText: '401' }).waitFor();
    expect(await dialog().getByRole('alert').innerText()).toContain('the bearer token is not valid');
    await dialog().getByLabel(/^Ops token/).fill(OPS_TOKEN);
    await confirm.click();
    await dialog().getByText('Done. The order is now').waitFor();
    await dialog().getByRole('button', { name: 'Close' }).last().click();
    await dialog().waitFor({ state: 'detached' });

    await waitForState('completed');
    // The chart says where it parked and how the operator sent it back.
    await page.locator('.sc-node[data-state="stuck"] .sc-marker--parkedFrom', { hasText: '← creatingShipment' }).waitFor();
    await page.locator('.sc-node[data-state="stuck"] .sc-marker--operator', { hasText: 'RETRY → creatingShipment' }).waitFor();
    const retryRow = page.getByTestId('timeline').locator('tbody tr').filter({ hasText: 'RETRY' });
    expect(await retryRow.innerText()).toContain('carrier is back');
    expect(await retryRow.innerText()).toContain('ops-anna');
  });

  it('Compensate undoes a stuck order; the token is not asked for again this session', async () => {
    await page.goto(`/orders/${ids.stuckCompensate}`);
    await waitForState('stuck');
    await headerAction('Compensate').click();
    await dialog().waitFor();
    expect(await dialog().getByLabel(/^Ops token/).count()).toBe(0);
    await dialog().getByLabel(/^Reason/).fill('customer gave up waiting');
    await dialog().getByRole('button', { name: 'Confirm compensate' }).click();
    await dialog().getByText('Done. The order is now').waitFor();
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });

    await waitForState('cancelled');
    expect(await page.locator('.detail-head .badge[data-status="cancelled"]').count()).toBe(1);
    const row = page.getByTestId('timeline').locator('tbody tr').filter({ hasText: 'COMPENSATE' });
    expect(await row.innerText()).toContain('customer gave up waiting');
    // Compensating is on the drawn path now.
    expect((await chartStates(page)).visited).toContain('compensating');
  });

  it('shows why an action was refused (409), and Escape closes a dialog without acting', async () => {
    await page.goto(`/orders/${ids.stuckRefused}`);
    await waitForState('stuck');
    await headerAction('Retry').click();
    await dialog().waitFor();
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
    expect(await orderState().textContent()).toBe('stuck');

    await headerAction('Retry').click();
    await dialog().getByLabel(/^Reason/).fill('try again');
    // Meanwhile another operator compensates the order.
    const other = await system.api(`/api/orders/${ids.stuckRefused}/compensate`, {
      body: { reason: 'someone else was faster' },
      headers: { authorization: `Bearer ${OPS_TOKEN}` },
    });
    expect(other.status).toBe(200);
    await dialog().getByRole('button', { name: 'Confirm retry' }).click();
    const alert = dialog().getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/409 .*retry is not allowed while the order is/);
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
    await waitForState('cancelled');
  });

  it('previews a replay (dry run) without changing the order', async () => {
    await page.goto(`/orders/${ids.happy}`);
    await waitForState('completed');
    const before = (await system.api(`/api/orders/${ids.happy}`)).body;
    await page.getByRole('button', { name: 'Replay (dry run)' }).click();
    await dialog().getByLabel(/^Reason/).fill('check the new machine');
    await dialog().getByRole('button', { name: 'Confirm replay (dry run)' }).click();
    await dialog().getByText('gives the same path').waitFor();
    expect(await dialog().locator('tbody tr').count()).toBe(before.history.length);
    await page.keyboard.press('Escape');
    const after = (await system.api(`/api/orders/${ids.happy}`)).body;
    expect(after.history).toHaveLength(before.history.length);
    // The 401, 404 and 409 answers above are the only errors the browser saw.
    expect(user.errors.filter((error) => !/status of (401|404|409)/.test(error))).toEqual([]);
  });
});
