/**
 * Driving Debian's Chromium with playwright-core against the real system, as a user would:
 * pages, waiting for what a user waits for, screenshots for a human to look at.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { ensureUiBuilt } from '../support/build-ui.ts';
import { waitUntilSettled } from '../support/orders.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

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

/** The state each statechart node is drawn as, once the chart is laid out (ELK answers in a moment). */
export async function chartStates(page: Page): Promise<{ current: string[]; visited: string[] }> {
  await page.locator('[data-testid="statechart"][aria-busy="false"] .sc-node').first().waitFor({ state: 'attached' });
  const states = (selector: string): Promise<string[]> =>
    page.locator(selector).evaluateAll((nodes: any[]) => nodes.map((node) => node.getAttribute('data-state')));
  return { current: await states('.sc-node[data-current="true"]'), visited: await states('.sc-node[data-visited="true"]') };
}

/**
 * Record every Content-Security-Policy violation the page reports (read with `cspViolations`),
 * beside the console errors the browser prints for them.
 */
export async function watchCsp(page: Page): Promise<void> {
  await page.addInitScript(`
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (event) => window.__csp.push(event.violatedDirective + ' ' + event.blockedURI));
  `);
}

export async function cspViolations(user: UserPage): Promise<string[]> {
  const reported = await user.page.evaluate('window.__csp ?? []').catch(() => []);
  return [...(reported as string[]), ...user.errors.filter((error) => /Content Security Policy/i.test(error))];
}

export interface Crossing {
  edge: string;
  node: string;
  at: { x: number; y: number };
}

/**
 * Where a drawn line runs through a state's box, from what the browser rendered: each edge's
 * path sampled every 2 px (in screen coordinates) against each state's box, its border aside.
 */
export async function edgesThroughStates(chart: Locator): Promise<{ edges: number; nodes: number; crossings: Crossing[] }> {
  return chart.evaluate((root: any) => {
    const boxes = [...root.querySelectorAll('.sc-node')].map((node: any) => ({ id: node.getAttribute('data-state'), box: node.getBoundingClientRect() }));
    const paths = [...root.querySelectorAll('.react-flow__edge path.sc-edge.react-flow__edge-path')];
    const crossings: any[] = [];
    for (const path of paths as any[]) {
      const matrix = path.getScreenCTM();
      const length = path.getTotalLength();
      for (let along = 0; along <= length; along += 2) {
        const point = path.getPointAtLength(along);
        const x = matrix.a * point.x + matrix.c * point.y + matrix.e;
        const y = matrix.b * point.x + matrix.d * point.y + matrix.f;
        const hit = boxes.find(({ box }: any) => x > box.left + 1.5 && x < box.right - 1.5 && y > box.top + 1.5 && y < box.bottom - 1.5);
        if (hit) {
          crossings.push({ edge: path.closest('.react-flow__edge')?.getAttribute('data-id'), node: hit.id, at: { x: Math.round(x), y: Math.round(y) } });
          break;
        }
      }
    }
    return { edges: paths.length, nodes: boxes.length, crossings };
  });
}

/** Edge labels drawn over a state's box. */
export async function labelsOverStates(chart: Locator): Promise<string[]> {
  return chart.evaluate((root: any) => {
    const boxes = [...root.querySelectorAll('.sc-node')].map((node: any) => ({ id: node.getAttribute('data-state'), box: node.getBoundingClientRect() }));
    const overlaps = (a: any, b: any) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    return [...root.querySelectorAll('.sc-edge-label')].flatMap((label: any) => {
      const box = label.getBoundingClientRect();
      return boxes.filter((node: any) => overlaps(box, node.box)).map((node: any) => `${label.textContent} over ${node.id}`);
    });
  });
}

/** What a UI suite starts from: the system with its orders settled, and a page under the CSP watch. */
export interface UiSuite<Name extends string> {
  system: TestSystem;
  browser: Browser;
  user: UserPage;
  page: Page;
  ids: Record<Name, string>;
  /** Each order as the API showed it once settled, by name. */
  settled: Record<Name, any>;
  stop(): Promise<void>;
}

/** Start a system with `env` and a browser side by side, submit `orders` (each expected 202) and wait until they settle. */
export async function startUiSuite<Name extends string>(env: Record<string, string>, orders: Record<Name, object>): Promise<UiSuite<Name>> {
  ensureUiBuilt();
  const [system, browser] = await Promise.all([startSystem({ env }), launchBrowser()]);
  const names = Object.keys(orders) as Name[];
  const ids = {} as Record<Name, string>;
  for (const name of names) {
    const response = await system.api('/api/orders', { body: orders[name] });
    if (response.status !== 202) throw new Error(`order ${name} answered ${response.status}: ${JSON.stringify(response.body)}`);
    ids[name] = response.body.orderId;
  }
  const byId = await waitUntilSettled(system, Object.values(ids), 30_000);
  const settled = Object.fromEntries(names.map((name) => [name, byId.get(ids[name])])) as Record<Name, any>;
  const user = await openPage(browser, system.baseUrl);
  await watchCsp(user.page);
  return {
    system,
    browser,
    user,
    page: user.page,
    ids,
    settled,
    async stop() {
      await browser.close();
      await system.stop();
    },
  };
}
