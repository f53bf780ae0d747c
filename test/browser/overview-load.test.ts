/**
 * The overview's load in a real browser against the real system, as an operator sees a spike:
 * orders pile up while the workers are away (waiting, running at the limit, no estimate), then
 * drain once they are back (the pace and when the backlog clears), then "no backlog".
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUiBuilt } from '../support/build-ui.ts';
import { orderFor } from '../support/orders.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { eventually, launchBrowser, openPage, screenshot, type UserPage } from './harness.ts';

const MAX_ACTIVE = 2;
const ORDERS = 40;

let system: TestSystem;
let browser: Browser;
let user: UserPage;
let page: Page;

beforeAll(async () => {
  ensureUiBuilt();
  [system, browser] = await Promise.all([
    // Few sagas at a time, each step slowed: the backlog takes seconds to drain, long enough to watch.
    startSystem({ workers: false, env: { MAX_ACTIVE_SAGAS: String(MAX_ACTIVE), WORKER_LATENCY_MS: '200', STEP_TIMEOUT_MS: '60000' } }),
    launchBrowser(),
  ]);
  user = await openPage(browser, system.baseUrl);
  page = user.page;
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

/** The overview polls every 2 s; a busy machine answers late: wait generously. */
const PATIENCE_MS = 30_000;

const text = (testId: string) => page.getByTestId(testId).innerText();

/** Waits until the element reads `expected`; a timeout names what it read last. */
const shows = (testId: string, expected: string | RegExp, timeoutMs = PATIENCE_MS) =>
  eventually(
    `${testId} to read ${String(expected)}`,
    async () => {
      const now = await text(testId);
      if (typeof expected === 'string' ? now === expected : expected.test(now)) return now;
      throw new Error(`it reads ${JSON.stringify(now)}`);
    },
    timeoutMs,
  );

describe('the load in the overview', () => {
  it('shows the orders waiting to start and the sagas running at the limit while nothing finishes', async () => {
    await page.goto('/');
    await shows('load-summary', 'Quiet: no orders waiting, no sagas running.');
    expect(await text('load-clears')).toBe('no backlog');

    for (let n = 0; n < ORDERS; n++) expect((await system.api('/api/orders', { body: orderFor('happy', n) })).status).toBe(202);
    const waiting = ORDERS - MAX_ACTIVE;
    // The page refreshes by itself.
    await shows('load-waiting', String(waiting));
    expect(await text('load-running')).toBe(`${MAX_ACTIVE} / ${MAX_ACTIVE}`);
    expect(await text('load-clears')).toBe('no estimate yet');
    expect(await text('load-finished-rate')).toBe('0/s');
    expect(await text('load-commands')).toMatch(/inventory\s*2\s*payment\s*0\s*shipping\s*0/);
    expect(await text('load-summary')).toBe(
      `Busy: ${waiting} orders waiting, none finished in the last minute, so no estimate yet. Nothing is stuck for it.`,
    );
    await screenshot(page.getByTestId('load'), 'overview-load-waiting');
  });

  it('shows the pace of finishing and when the backlog clears once the workers drain it, then no backlog', async () => {
    await Promise.all((['inventory', 'payment', 'shipping'] as const).map((service) => system.services[service].start()));
    const summary = await shows('load-summary', /clears in ~/);
    expect(summary).toMatch(/^Busy: [\d,]+ orders? waiting, draining at [\d.,]+\/s, clears in ~\d+ (s|min)\. Nothing is stuck for it\.$/);
    const waitingShown = Number((await text('load-waiting')).replace(/,/g, ''));
    expect(waitingShown).toBeGreaterThan(0);
    expect(waitingShown).toBeLessThan(ORDERS);
    expect(await text('load-clears')).toMatch(/^backlog clears in ~\d+ (s|min)$/);
    expect(await text('load-finished-rate')).not.toBe('0/s');
    await screenshot(page.getByTestId('overview'), 'overview-load-draining');

    await shows('load-clears', 'no backlog', 90_000);
    await shows('tile-completed', new RegExp(`^${ORDERS}\\b`));
    await shows('load-summary', 'Quiet: no orders waiting, no sagas running.');
    expect(user.errors).toEqual([]);
  });
});
