/**
 * The inspector at a glance, in a real browser under the page's CSP: the statechart laid out
 * by ELK (the `submitted` start drawn, three groups, no line through a state, stuck as markers
 * rather than a web), an order's path highlighted with the rest dimmed (completed, compensated,
 * stuck), context tables that clip nothing, and all of it in dark mode too.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSystem } from '../support/system.ts';
import { chartStates, cspViolations, edgesThroughStates, labelsOverStates, screenshot, startUiSuite, type UiSuite, type UserPage } from './harness.ts';

// The page's globals, used inside page.evaluate (the test project's types carry no DOM).
declare const document: any, getComputedStyle: any, navigator: any;

const LONG_SKU = 'SKU-WITH-A-VERY-LONG-NAME-THAT-OPERATORS-PASTE-0001';
const ORDERS = {
  completed: { customerId: 'cust-chart-happy', items: [{ sku: 'BOOK-1', quantity: 2, unitPriceCents: 1250 }] },
  compensated: { customerId: 'cust-chart-noship', items: [{ sku: 'NOSHIP-PIANO', quantity: 1, unitPriceCents: 900_000 }] },
  stuck: { customerId: 'cust-chart-slow', items: [{ sku: 'SLOW-SOFA', quantity: 1, unitPriceCents: 50_000 }] },
  // Long names and large amounts, the kind that clipped the context tables.
  big: {
    customerId: 'cust-with-a-rather-long-customer-identifier-0001',
    items: [
      { sku: LONG_SKU, quantity: 120, unitPriceCents: 99_999_999 },
      { sku: 'BOOK-2', quantity: 3, unitPriceCents: 1999 },
      { sku: 'CHAIR-OAK-2000', quantity: 4, unitPriceCents: 45_000 },
    ],
  },
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
  expect(Object.fromEntries((Object.keys(ids) as Name[]).map((name) => [name, suite.settled[name]?.status]))).toEqual({
    completed: 'completed',
    compensated: 'cancelled',
    stuck: 'stuck',
    big: 'completed',
  });
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: system.baseUrl });
});

afterAll(async () => suite?.stop());

const chart = () => page.getByTestId('statechart');
const chartCard = () => page.locator('section.card', { has: page.getByTestId('statechart') });

/** ELK runs in the page (its chunk loads on first use): wait for the states to be placed. */
async function chartDrawn() {
  await chart().locator('.sc-node[data-state="submitted"]').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__edge path.sc-edge').length > 10);
}

async function openOrder(name: Name) {
  await page.goto(`/orders/${ids[name]}`);
  await chartDrawn();
}

/** The ids of the lines drawn as this order's path. */
async function pathEdges(): Promise<string[]> {
  return chart()
    .locator('.react-flow__edge:has(path.react-flow__edge-path.is-visited)')
    .evaluateAll((edges: any[]) => edges.map((edge) => edge.getAttribute('data-id')).sort());
}

async function dimmedStates(): Promise<string[]> {
  return chart()
    .locator('.sc-node.is-dimmed')
    .evaluateAll((nodes: any[]) => nodes.map((node) => node.getAttribute('data-state')).sort());
}

const ALL_STATES = [
  'submitted',
  'reservingInventory',
  'chargingPayment',
  'creatingShipment',
  'compensating',
  'cancellingShipment',
  'refundingPayment',
  'releasingInventory',
  'stuck',
  'completed',
  'cancelled',
  'failed',
];

const without = (states: string[]) => ALL_STATES.filter((state) => !states.includes(state)).sort();

describe('the statechart', () => {
  it('is laid out by ELK: the submitted start, three groups, and no line through a state', async () => {
    await page.goto('/');
    await chartDrawn();
    const drawn = await chart().locator('.sc-node').evaluateAll((nodes: any[]) => nodes.map((node) => node.getAttribute('data-state')).sort());
    expect(drawn).toEqual([...ALL_STATES].sort());
    // The start is drawn, with its edge into the machine's initial state.
    expect(await chart().locator('.react-flow__edge[data-id="submitted->reservingInventory"]').count()).toBe(1);
    expect(await chart().locator('.sc-group').allInnerTexts()).toEqual(['FORWARD PATH', 'COMPENSATION PATH', 'STUCK AND FINAL STATES']);
    // Each group holds its states.
    const groupOf = (state: string) =>
      chart()
        .locator(`.sc-node[data-state="${state}"]`)
        .evaluate((node: any) => {
          const box = node.getBoundingClientRect();
          const group = [...document.querySelectorAll('.sc-group')].find((candidate: any) => {
            const outer = candidate.getBoundingClientRect();
            return box.left >= outer.left && box.right <= outer.right && box.top >= outer.top && box.bottom <= outer.bottom;
          });
          return group?.getAttribute('data-group');
        });
    expect(await groupOf('creatingShipment')).toBe('forward');
    expect(await groupOf('refundingPayment')).toBe('compensation');
    expect(await groupOf('stuck')).toBe('outcomes');

    const geometry = await edgesThroughStates(chart());
    expect(geometry.nodes).toBe(ALL_STATES.length);
    expect(geometry.edges).toBeGreaterThan(15);
    expect(geometry.crossings).toEqual([]);

    // No web into stuck: parking there is a marker on each step, not a line.
    expect(await chart().locator('.react-flow__edge[data-id$="->stuck"]').count()).toBe(0);
    expect(await chart().locator('.sc-marker--park').count()).toBe(6);
    expect(await chart().locator('.sc-node[data-state="creatingShipment"] .sc-marker--park').innerText()).toBe('→ stuck');
    await screenshot(chart(), 'statechart-overview');
  });

  it('highlights a completed order’s path and current state, and dims the rest', async () => {
    await openOrder('completed');
    const states = await chartStates(page);
    expect(states.current).toEqual(['completed']);
    expect(states.visited.sort()).toEqual(['chargingPayment', 'completed', 'creatingShipment', 'reservingInventory', 'submitted']);
    expect(await dimmedStates()).toEqual(without(['submitted', 'reservingInventory', 'chargingPayment', 'creatingShipment', 'completed']));
    expect(await pathEdges()).toEqual(
      ['submitted->reservingInventory', 'reservingInventory->chargingPayment', 'chargingPayment->creatingShipment', 'creatingShipment->completed'].sort(),
    );
    // Every other line is faded.
    const faded = await chart().locator('path.react-flow__edge-path.is-dimmed').count();
    expect(faded).toBe((await chart().locator('path.react-flow__edge-path').count()) - 4);
    // Each edge taken carries its event; the last one stands out.
    expect(await chart().locator('.sc-edge-label').allInnerTexts()).toHaveLength(4);
    expect((await chart().locator('.sc-edge-label.is-last').innerText()).replace(/\s/g, '')).toBe('SHIPMENT_CREATED');
    expect(await labelsOverStates(chart())).toEqual([]);
    expect((await edgesThroughStates(chart())).crossings).toEqual([]);
    await screenshot(chartCard(), 'statechart-completed');
  });

  it('highlights a compensated order’s way back through the compensation path', async () => {
    await openOrder('compensated');
    const states = await chartStates(page);
    expect(states.current).toEqual(['cancelled']);
    // No shipment was made, so nothing cancels it: the saga released the stock, then refunded.
    expect(states.visited.sort()).toEqual(
      ['submitted', 'reservingInventory', 'chargingPayment', 'creatingShipment', 'compensating', 'releasingInventory', 'refundingPayment', 'cancelled'].sort(),
    );
    expect(await dimmedStates()).toEqual(['cancellingShipment', 'completed', 'failed', 'stuck']);
    const taken = await pathEdges();
    expect(taken).toContain('creatingShipment->compensating');
    expect(taken).toContain('compensating->releasingInventory');
    expect(taken).toContain('releasingInventory->compensating');
    expect(taken).toContain('compensating->cancelled');
    expect(taken).not.toContain('compensating->cancellingShipment');
    await chart().locator('.sc-edge-label', { hasText: 'SHIPMENT_REJECTED' }).waitFor();
    expect(await labelsOverStates(chart())).toEqual([]);
    await screenshot(chartCard(), 'statechart-compensated');
  });

  it('shows where a stuck order parked: the step’s marker taken, stuck current and naming the step', async () => {
    await openOrder('stuck');
    const states = await chartStates(page);
    expect(states.current).toEqual(['stuck']);
    expect(await chart().locator('.sc-node[data-state="creatingShipment"] .sc-marker--park.is-taken').count()).toBe(1);
    expect(await chart().locator('.sc-node[data-state="creatingShipment"] .sc-marker--retry.is-taken').count()).toBe(1);
    expect(await chart().locator('.sc-node[data-state="chargingPayment"] .sc-marker.is-taken').count()).toBe(0);
    expect(await chart().locator('.sc-node[data-state="stuck"] .sc-marker--parkedFrom').innerText()).toBe('← creatingShipment');
    await screenshot(chartCard(), 'statechart-stuck');
  });
});

describe('the context tables', () => {
  for (const width of [1440, 1024]) {
    it(`clip no cell at ${width} px: numbers right-aligned in tabular figures, references on one line`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`/orders/${ids.big}`);
      const context = page.getByTestId('context');
      await context.locator('[data-reference]').first().waitFor();
      const clipped = await context.locator('table td, table th').evaluateAll((cells: any[]) =>
        cells.filter((cell) => cell.scrollWidth > cell.clientWidth).map((cell) => `${cell.textContent} (${cell.scrollWidth} > ${cell.clientWidth})`),
      );
      expect(clipped).toEqual([]);
      const items = await context.locator('table.context-items tbody tr').first().locator('td').allInnerTexts();
      expect(items).toEqual([LONG_SKU, '120', '$999,999.99', '$119,999,998.80']);
      const numbers = await context.locator('table td.num').evaluateAll((cells: any[]) =>
        cells.map((cell) => `${getComputedStyle(cell).textAlign} ${getComputedStyle(cell).fontVariantNumeric}`),
      );
      expect(new Set(numbers)).toEqual(new Set(['right tabular-nums']));
      // A reference takes one line, holds its whole value in its tooltip, and copies.
      const references = context.locator('[data-reference]');
      expect(await references.count()).toBe(3);
      for (const reference of await references.all()) {
        const value = await reference.getAttribute('data-reference');
        expect(await reference.getAttribute('title')).toBe(value);
        expect(await reference.innerText()).toBe(value);
        const lines = await reference.evaluate((element: any) => Math.round(element.getBoundingClientRect().height / parseFloat(getComputedStyle(element).lineHeight)));
        expect(lines).toBe(1);
      }
      const first = await references.first().getAttribute('data-reference');
      await context.getByRole('button', { name: `Copy reserveInventory reference: ${first}` }).click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(first);
      await screenshot(context, `context-tables-${width}`);
    });
  }
});

describe('dark mode', () => {
  it('draws the chart and the pages in dark colours, with the same layout', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await openOrder('compensated');
    const colours = await page.evaluate(() => ({
      page: getComputedStyle(document.documentElement).backgroundColor,
      chart: getComputedStyle(document.querySelector('.statechart')).backgroundColor,
      node: getComputedStyle(document.querySelector('.sc-node[data-state="cancelled"]')).backgroundColor,
      text: getComputedStyle(document.querySelector('.sc-node[data-state="cancelled"]')).color,
    }));
    const lightness = (rgb: string) => {
      const [r = 0, g = 0, b = 0] = rgb.match(/\d+/g)!.map(Number);
      return (Math.max(r, g, b) + Math.min(r, g, b)) / 2 / 255;
    };
    expect(lightness(colours.page)).toBeLessThan(0.2);
    expect(lightness(colours.chart)).toBeLessThan(0.2);
    expect(lightness(colours.node)).toBeLessThan(0.35);
    expect(lightness(colours.text)).toBeGreaterThan(0.7);
    expect((await edgesThroughStates(chart())).crossings).toEqual([]);
    await screenshot(chartCard(), 'statechart-compensated-dark');
    await screenshot(page, 'order-detail-dark');
    await page.goto('/');
    await chartDrawn();
    await screenshot(chart(), 'statechart-overview-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('raised no CSP violation and no error in the page', async () => {
    expect(await cspViolations(user)).toEqual([]);
    expect(user.errors).toEqual([]);
  });
});
