/**
 * Driving Debian's Chromium with playwright-core against the real system, as a user would:
 * pages, waiting for what a user waits for, screenshots for a human to look at.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const SCREENSHOTS = new URL('../../test-output/screenshots/', import.meta.url).pathname;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface UserPage {
  page: Page;
  /** Uncaught errors and console errors in the page. */
  errors: string[];
  /** alert/confirm/prompt dialogs the page opened (there should be none). */
  alerts: string[];
}

export async function openPage(browser: Browser, baseURL: string): Promise<UserPage> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  const alerts: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('dialog', (dialog) => {
    alerts.push(dialog.message());
    void dialog.dismiss();
  });
  return { page, errors, alerts };
}

/** Poll until `probe` returns something truthy; fail with `what` and the last value seen. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function screenshot(target: Page | Locator, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}${name}.png`;
  if ('goto' in target) await target.screenshot({ path, fullPage: true });
  else await target.screenshot({ path });
  return path;
}

/** The order ids of the list's rows, top to bottom. */
export async function listedOrderIds(page: Page): Promise<string[]> {
  // One snapshot of the DOM (live updates may replace rows between two separate reads).
  return page.locator('tr[data-order-id]').evaluateAll((rows: any[]) => rows.map((row) => row.getAttribute('data-order-id')));
}

/** The state each statechart node is drawn as. */
export async function chartStates(page: Page): Promise<{ current: string[]; visited: string[] }> {
  const states = (selector: string): Promise<string[]> =>
    page.locator(selector).evaluateAll((nodes: any[]) => nodes.map((node) => node.getAttribute('data-state')));
  return { current: await states('.sc-node[data-current="true"]'), visited: await states('.sc-node[data-visited="true"]') };
}
