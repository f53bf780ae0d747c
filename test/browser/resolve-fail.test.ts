/**
 * "What happens next" and resolving or failing a stuck step by hand, in a real browser against
 * the real system (OPS_TOKEN set, under the page's CSP): a SLOW- order with one short attempt
 * parks in stuck at createShipment; the card says what the saga waits for and what each allowed
 * action would send and where it would end (the machine's words, from the API's `next`); the
 * dialog shows the same plan, asks for the outside reference of a resolve and warns before a
 * fail; the order then completes with the reference, or compensates, the failed shipment's own
 * cancel first (its hung attempt may still book it late).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSystem } from '../support/system.ts';
import { chartStates, cspViolations, eventually, screenshot, startUiSuite, type UiSuite, type UserPage } from './harness.ts';

const OPS_TOKEN = 'ops-secret-for-the-resolve-test';
const PARCEL = 'PARCEL-88412-DHL';

const slow = (customerId: string, sku: string) => ({ customerId, items: [{ sku, quantity: 1, unitPriceCents: 42_000 }] });
const ORDERS = { resolve: slow('cust-ui-resolve', 'SLOW-SOFA'), fail: slow('cust-ui-fail', 'SLOW-CHAIR') };

let suite: UiSuite<keyof typeof ORDERS>;
let system: TestSystem;
let user: UserPage;
let page: Page;
let ids: Record<keyof typeof ORDERS, string>;

beforeAll(async () => {
  suite = await startUiSuite({ STEP_TIMEOUT_MS: '300', STEP_MAX_ATTEMPTS: '1', SLOW_SHIPPING_MS: '600000', OPS_TOKEN }, ORDERS);
  ({ system, user, page, ids } = suite);
  expect([suite.settled.resolve?.status, suite.settled.fail?.status]).toEqual(['stuck', 'stuck']);
});

afterAll(async () => suite?.stop());

const dialog = () => page.getByRole('dialog');
const nextCard = () => page.getByTestId('next-card');
const timelineRow = (event: string) => page.getByTestId('timeline').locator('tbody tr').filter({ has: page.locator('td.event', { hasText: new RegExp(`^${event}`) }) });

async function waitForState(state: string, timeoutMs = 10_000) {
  await eventually(`the page to show state ${state}`, async () => (await page.getByTestId('order-state').textContent()) === state, timeoutMs);
}

/** Each plan row of the card: its action, the commands it sends (service → step, in order), where it ends. */
async function planRows() {
  return nextCard()
    .locator('tbody tr')
    .evaluateAll((rows: any[]) =>
      rows.map((row) => ({
        action: row.getAttribute('data-action'),
        commands: [...row.querySelectorAll('.plan-command')].map((li: any) => li.textContent.replace(/\s+/g, ' ').trim()),
        ends: row.querySelector('.badge')?.getAttribute('data-status'),
      })),
    );
}

describe('a stuck order', () => {
  it('says what happens next: what the saga waits for and what each allowed action would send, from the machine', async () => {
    const order = (await system.api(`/api/orders/${ids.resolve}`)).body;
    expect(order.allowedActions).toEqual(['retry', 'compensate', 'resolve', 'fail', 'pause']);
    await page.goto(`/orders/${ids.resolve}`);
    await waitForState('stuck');
    await nextCard().waitFor();
    expect(await nextCard().getByRole('heading').innerText()).toBe('What happens next');
    // The saga's own sentence, as the API computed it from the machine.
    expect(await page.getByTestId('next-says').innerText()).toBe(`This order ${order.next.says}.`);
    expect(order.next.says).toMatch(/^is parked: book the shipment did not succeed/);

    // One row per allowed action, in the API's order, with what it sends and where it ends.
    const rows = await planRows();
    expect(rows.map((row) => row.action)).toEqual(order.allowedActions);
    for (const plan of order.next.plans) {
      const row = rows.find((r) => r.action === plan.action)!;
      expect(row.ends).toBe(plan.ends);
      expect(row.commands).toEqual(plan.commands.map((c: any) => `${c.service} → ${c.step}${c.undo ? ' undo' : ''}${c.attempt > 1 ? ` (attempt ${c.attempt})` : ''}`));
    }
    const byAction = Object.fromEntries(rows.map((row) => [row.action, row]));
    expect(byAction.retry).toEqual({ action: 'retry', commands: ['shipping → createShipment (attempt 2)'], ends: 'completed' });
    expect(byAction.resolve).toEqual({ action: 'resolve', commands: [], ends: 'completed' });
    // Failing the shipment cancels it first (a hung attempt may still book it), then undoes what came before it.
    expect(byAction.fail!.ends).toBe('cancelled');
    expect(byAction.fail!.commands[0]).toBe('shipping → cancelShipment undo');
    expect(byAction.fail!.commands).toEqual(byAction.compensate!.commands);
    expect(byAction.compensate!.commands).toContain('shipping → cancelShipment undo');
    expect(await nextCard().locator('tbody tr[data-action="resolve"]').innerText()).toContain('Records "book the shipment" as done by hand; the order ends completed, with no further command.');
    await screenshot(nextCard(), 'next-steps-stuck');
    await screenshot(page, 'order-stuck-next-steps');
  });

  it('resolves the stuck step by hand with its reference: the order completes, the reference and the RESOLVE row show', async () => {
    await page.goto(`/orders/${ids.resolve}`);
    await waitForState('stuck');
    // The card's button opens the dialog for exactly that action.
    await nextCard().locator('tbody tr[data-action="resolve"]').getByRole('button').click();
    await dialog().waitFor();
    expect(await dialog().getByRole('heading').first().innerText()).toBe(`Resolve by hand · ${ids.resolve}`);
    // The explanation is the machine's: its words, the commands (none) and where it ends.
    const plan = dialog().getByTestId('action-plan');
    expect(await plan.innerText()).toContain('Records "book the shipment" as done by hand; the order ends completed, with no further command.');
    expect(await plan.locator('.badge').getAttribute('data-status')).toBe('completed');
    expect(await plan.innerText()).toContain('no command');

    // Reason and reference are both required (the reference field has the focus).
    const confirm = dialog().getByRole('button', { name: 'Record as done' });
    const reference = dialog().getByLabel(/^Reference/);
    expect(await reference.evaluate((input: any) => input === input.ownerDocument.activeElement)).toBe(true);
    expect(await dialog().getByText("the carrier's parcel or tracking number").count()).toBe(1);
    await dialog().getByLabel(/^Reason/).fill('booked by phone with the carrier');
    expect(await confirm.isDisabled()).toBe(true);
    await reference.fill(PARCEL);
    await dialog().getByLabel(/^Your name/).fill('ops-anna');
    await dialog().getByLabel(/^Ops token/).fill(OPS_TOKEN);
    expect(await confirm.isDisabled()).toBe(false);
    await screenshot(dialog().locator('.dialog__body'), 'resolve-dialog');
    await confirm.click();
    await dialog().getByText('Done. The order is now').waitFor();
    expect(await dialog().getByRole('status').innerText()).toContain('completed');
    await dialog().getByRole('button', { name: 'Close' }).last().click();
    await dialog().waitFor({ state: 'detached' });

    await waitForState('completed');
    // The outcome card shows the reference, and that it was recorded by hand.
    const outcome = page.getByTestId('outcome-card');
    expect(await outcome.locator(`[data-reference="${PARCEL}"]`).count()).toBe(1);
    expect(await outcome.getByTestId('resolved-by-hand').innerText()).toBe('recorded by hand by ops-anna (token: operator): booked by phone with the carrier');
    // The timeline: an operator row with the actor, the reason and the reference from its payload.
    const row = timelineRow('RESOLVE');
    expect(await row.count()).toBe(1);
    expect(await row.getAttribute('class')).toContain('timeline-row--operator');
    const text = await row.innerText();
    expect(text).toContain('done by hand');
    expect(text).toContain('booked by phone with the carrier');
    expect(text).toContain('actor: ops-anna');
    expect(await row.getByTestId('resolved-reference').locator('[data-reference]').getAttribute('data-reference')).toBe(PARCEL);
    // The chart: where the operator took it out of stuck. Nothing is left to do: no next card.
    await page.locator('.sc-node[data-state="stuck"] .sc-marker--operator', { hasText: 'RESOLVE → completed' }).waitFor();
    expect((await chartStates(page)).current).toEqual(['completed']);
    expect(await nextCard().count()).toBe(0);
    expect(await page.getByRole('group', { name: 'Operator actions' }).getByRole('button').allInnerTexts()).toEqual(['Replay (dry run)']);

    const after = (await system.api(`/api/orders/${ids.resolve}`)).body;
    expect(after.context.references.createShipment).toBe(PARCEL);
    await screenshot(page, 'order-resolved-by-hand');
  });

  it('marks a stuck step failed after a clear warning: the saga undoes it, then what came before it', async () => {
    await page.goto(`/orders/${ids.fail}`);
    await waitForState('stuck');
    // The header's button opens the same dialog as the card's (no token asked again this session).
    await page.getByRole('group', { name: 'Operator actions' }).getByRole('button', { name: 'Mark failed' }).click();
    await dialog().waitFor();
    expect(await dialog().getByLabel(/^Ops token/).count()).toBe(0);
    const warning = dialog().getByTestId('fail-warning');
    expect(await warning.innerText()).toContain("createShipment's outcome is not known, so it is undone too.");
    expect(await warning.innerText()).toContain('Should shipping still book the shipment after all, its undo reverses that or turns the late attempt away.');
    const plan = dialog().getByTestId('action-plan');
    expect(await plan.innerText()).toMatch(/^Records "book the shipment" as failed for good: asks /);
    const commands = await plan.locator('.plan-command').allTextContents();
    const planned = commands.map((c) => c.replace(/\s+/g, ' ').trim());
    expect(planned[0]).toBe('shipping → cancelShipment undo');
    expect(planned.sort()).toEqual(['inventory → releaseInventory undo', 'payment → refundPayment undo', 'shipping → cancelShipment undo']);
    expect(await plan.locator('.badge').getAttribute('data-status')).toBe('cancelled');
    await dialog().getByLabel(/^Reason/).fill('the carrier confirms nothing was booked');
    await screenshot(dialog().locator('.dialog__body'), 'fail-dialog');
    await dialog().getByRole('button', { name: 'Record as failed' }).click();
    await dialog().getByText('Done. The order is now').waitFor();
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });

    await waitForState('cancelled', 15_000);
    const row = timelineRow('FAIL');
    expect(await row.getAttribute('class')).toContain('timeline-row--operator');
    expect(await row.innerText()).toContain('failed by hand');
    expect(await row.innerText()).toContain('the carrier confirms nothing was booked');
    // Compensation ran: the shipment cancelled (nothing was booked: the cancel fences the hung attempt), stock released, payment refunded.
    await timelineRow('SHIPMENT_CANCELLED').waitFor();
    await timelineRow('INVENTORY_RELEASED').waitFor();
    await timelineRow('PAYMENT_REFUNDED').waitFor();
    const undone = await page.getByTestId('outcome-card').innerText();
    expect(undone).toMatch(/undone\s+\S*(chargePayment|reserveInventory)/);
    expect((await chartStates(page)).visited).toContain('compensating');
    // Out of stuck into compensation is a line, drawn as taken and labelled with FAIL.
    await page.locator('.sc-edge-label', { hasText: /\bFAIL\b/ }).first().waitFor();
    await screenshot(page, 'order-failed-by-hand-compensated');

    const order = (await system.api(`/api/orders/${ids.fail}`)).body;
    expect(order.context.effects).toMatchObject({ createShipment: 'compensated', chargePayment: 'compensated', reserveInventory: 'compensated' });
    // The operator's word stays on record as the last error.
    expect(order.lastError).toMatchObject({ step: 'createShipment', kind: 'permanent', message: expect.stringMatching(/^marked failed by .+: the carrier confirms nothing was booked$/) });
    expect(await cspViolations(user)).toEqual([]);
    expect(user.errors).toEqual([]);
    expect(user.alerts).toEqual([]);
  });
});
