/**
 * The API's documentation at /docs in a real browser against the real orchestrator, READ_TOKEN
 * set: the page loads under the security headers (no script or style refused, no error), lists
 * every operation of DESIGN.md's API, and opens one to show its request and response schemas.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSystem, type TestSystem } from '../support/system.ts';
import { eventually, launchBrowser, openPage, screenshot, type UserPage } from './harness.ts';

const DESIGN_OPERATIONS = [
  'POST /api/orders',
  'GET /api/orders/{orderId}',
  'GET /api/orders',
  'POST /api/orders/{orderId}/retry',
  'POST /api/orders/{orderId}/compensate',
  'POST /api/orders/{orderId}/cancel',
  'POST /api/orders/{orderId}/replay',
  'GET /api/stream',
  'GET /health',
  'GET /ready',
  'GET /metrics',
];

let system: TestSystem;
let browser: Browser;
let user: UserPage;
let page: Page;

beforeAll(async () => {
  [system, browser] = await Promise.all([startSystem({ workers: false, env: { READ_TOKEN: 'reader-secret-1', OPS_TOKEN: 'ops-secret-1' } }), launchBrowser()]);
  user = await openPage(browser, system.baseUrl);
  page = user.page;
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

/** Every operation the page lists, as `METHOD /path`. */
const listedOperations = (): Promise<string[]> =>
  page.locator('.opblock-summary').evaluateAll((rows: any[]) =>
    rows.map((row) => `${row.querySelector('.opblock-summary-method')?.textContent?.trim()} ${row.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`),
  );

it("lists every operation of DESIGN.md's API, without a token and without a refused script", async () => {
  await page.goto('/docs');
  const operations = await eventually('the operations to be listed', async () => {
    const listed = await listedOperations();
    return listed.length > 20 ? listed : null;
  });
  expect(operations).toEqual(expect.arrayContaining(DESIGN_OPERATIONS));
  await expect(page.locator('.info .title').innerText()).resolves.toMatch(/Order saga orchestrator/);
  await screenshot(page, 'docs');
  expect(user.errors).toEqual([]);
});

it('opens an operation to show its request body and its answers, problems included', async () => {
  const submit = page.locator('.opblock-post').filter({ has: page.locator('.opblock-summary-path[data-path="/api/orders"]') });
  await submit.locator('.opblock-summary').first().click();
  await eventually('the request body to show', async () => (await submit.innerText()).includes('Request body'));
  const text = await submit.innerText();
  for (const shown of ['customerId', 'items', 'idempotency-key', '202', '400', '422', '503', '504', 'application/problem+json']) expect(text, shown).toContain(shown);
  await screenshot(submit, 'docs-submit-order');
  expect(user.errors).toEqual([]);
});
