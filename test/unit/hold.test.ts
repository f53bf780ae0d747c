/**
 * Pause and resume in the pure core (entry.ts `applyHold`) and what reads a held saga: its
 * summary, the actions it allows, what happens next, replay, and the catalog's running and
 * stalled counts. Entries are real ones, moved by real events.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { ORDER_SAGA_V1, ORDER_SAGA_V2 } from '../../machines/index.ts';
import { SagaCatalog } from '../../orchestrator/saga/catalog.ts';
import { actionsAllowed, applyEvent, applyHold, nextStepsOf, timeoutEventId } from '../../orchestrator/saga/entry.ts';
import { incidentOf } from '../../orchestrator/saga/incident.ts';
import { rebaseOnto, replayDryRun } from '../../orchestrator/saga/replay.ts';
import { ServerClock } from '../../orchestrator/saga/server-clock.ts';
import { summarize } from '../../orchestrator/saga/summary.ts';
import { answer, completed, ENTRY_SETTINGS, held, started } from '../support/saga-entries.ts';

const pause = { type: 'PAUSE', actor: 'alice', reason: 'suspect customer' } as const;
const resume = { type: 'RESUME', actor: 'bob', reason: 'checked' } as const;

describe('pausing a saga', () => {
  it('keeps its outbox and deadline in the entry but hides the deadline from every timer, and records who and why', () => {
    const running = started('ord_p1', 1000);
    const result = applyHold(running, pause, 'operator:pause:1', 2000);
    expect(result.kind).toBe('applied');
    if (result.kind !== 'applied') return;
    const paused = result.entry;
    expect(paused).toMatchObject({ state: 'reservingInventory', hold: { actor: 'alice', reason: 'suspect customer', at: 2000 }, outbox: running.outbox, deadline: running.deadline });
    expect(paused.history.at(-1)).toMatchObject({ event: 'PAUSE', from: 'reservingInventory', to: 'reservingInventory', actor: 'alice', detail: 'suspect customer' });
    expect(summarize(paused)).toMatchObject({ deadline: null, paused: { actor: 'alice' }, stateEnteredAt: 1000 });
    expect(actionsAllowed(paused)).toEqual(['cancel', 'resume']);
    expect(actionsAllowed(running)).toEqual(['cancel', 'pause']);
    expect(nextStepsOf(paused).says).toBe(
      'is paused by alice (suspect customer): no new command goes out and no deadline runs until it is resumed; resumed, it sends reserveInventory (attempt 1) and the step deadline starts afresh. A command sent before the pause may still be carried out, and its answer counts: it waits for inventory to reserve the stock (attempt 1 of 2)',
    );
  });

  it('ignores a deadline that runs out while paused, takes in answers, and ends the hold when the saga ends', () => {
    const paused = held(started('ord_p2', 1000), 'PAUSE', 1500);
    const commandId = paused.snapshot.context.pending!.commandId;
    expect(applyEvent(paused, { type: 'STEP_TIMED_OUT', commandId }, timeoutEventId(commandId), 3000, ENTRY_SETTINGS)).toEqual({
      kind: 'ignored',
      reason: 'the saga is paused: its deadline does not run',
    });
    const charging = answer(paused, 'INVENTORY_RESERVED', 3100);
    expect(charging).toMatchObject({ state: 'chargingPayment', hold: { actor: 'ops-test' } });
    expect(charging.outbox.map((command) => command.step)).toEqual(['chargePayment']);
    expect(summarize(charging).deadline).toBeNull();
    const done = answer(answer(charging, 'PAYMENT_CHARGED', 3200), 'SHIPMENT_CREATED', 3300);
    expect(done.status).toBe('completed');
    expect(done.hold).toBeUndefined();
  });

  it('refuses what makes no sense, each with its reason, and is idempotent by event id', () => {
    const paused = held(started('ord_p3', 1000), 'PAUSE', 1500);
    expect(applyHold(paused, pause, 'operator:pause:2', 2000)).toEqual({ kind: 'ignored', reason: 'the order is paused already (by ops-test)' });
    expect(applyHold(started('ord_p3', 1000), resume, 'operator:resume:1', 2000)).toEqual({ kind: 'ignored', reason: 'the order is not paused' });
    expect(applyHold(completed('ord_p3', 1000), pause, 'operator:pause:3', 2000)).toEqual({ kind: 'ignored', reason: 'PAUSE is not accepted: the order has ended completed' });
    expect(actionsAllowed(completed('ord_p3', 1000))).toEqual([]);
    expect(applyHold(paused, pause, 'operator:PAUSE:1500', 2000)).toEqual({ kind: 'duplicate' });
  });

  it('resumed, lifts the hold and gives the pending step a fresh deadline from now', () => {
    const paused = held(started('ord_p4', 1000), 'PAUSE', 1500);
    const result = applyHold(paused, resume, 'operator:resume:1', 60_000);
    if (result.kind !== 'applied') throw new Error(result.kind);
    expect(result.entry.hold).toBeUndefined();
    expect(result.entry.deadline).toEqual({ ...paused.deadline, at: 60_000 + paused.deadline!.timeoutMs });
    expect(result.entry.outbox).toEqual(paused.outbox);
    expect(summarize(result.entry).deadline).toEqual(result.entry.deadline);
    expect(result.entry.history.at(-1)).toMatchObject({ event: 'RESUME', actor: 'bob', detail: 'checked' });
  });
});

describe('a held saga elsewhere', () => {
  it('replays as if pauses and resumes were not there: they never reached the machine', () => {
    const entry = held(answer(held(started('ord_p5', 1000), 'PAUSE', 1100), 'INVENTORY_RESERVED', 1200), 'RESUME', 1300);
    const plan = replayDryRun(entry, ORDER_SAGA_V2);
    expect(plan.firstDivergence).toBeNull();
    expect(plan.steps.map((step) => step.event)).toEqual(['ORDER_SUBMITTED', 'INVENTORY_RESERVED']);
    // Moved to another version, a paused saga stays paused.
    const pausedAgain = held(entry, 'PAUSE', 1400);
    const rebased = rebaseOnto(pausedAgain, { actor: 'carol', reason: 'new rules' }, 1500, ENTRY_SETTINGS, ORDER_SAGA_V1);
    expect(rebased.kind).toBe('rebased');
    if (rebased.kind === 'rebased') expect(rebased.entry.hold).toEqual(pausedAgain.hold);
  });

  it('takes no capacity and is never stalled in the catalog', () => {
    const clock = { at: 0 };
    const catalog = new SagaCatalog(createLogger('test', { logLevel: 'silent', logPretty: false, instanceId: 'test' }), new ServerClock(() => clock.at));
    catalog.observe(summarize(started('ord_run', 1000)), 1);
    catalog.observe(summarize(held(started('ord_held', 1000), 'PAUSE', 1100)), 2);
    expect(catalog.running).toBe(1);
    clock.at = 10 * 60_000;
    expect(catalog.list({ stalledBefore: Date.now(), limit: 10 }).items.map((s) => s.orderId)).toEqual(['ord_run']);
    expect(catalog.list({ paused: true, limit: 10 }).items.map((s) => s.orderId)).toEqual(['ord_held']);
    expect(catalog.counts().paused).toBe(1);
    // A stuck saga held too: it was never running, and pausing it takes nothing off the running ones.
    const stuck = answer(answer(started('ord_stuck', 1000), 'STEP_TIMED_OUT', 1010), 'STEP_TIMED_OUT', 1020);
    expect(stuck.status).toBe('stuck');
    catalog.observe(summarize(held(stuck, 'PAUSE', 1100)), 3);
    expect(catalog.counts()).toMatchObject({ paused: 2, byStatus: { running: 2, stuck: 1 } });
    expect(catalog.running).toBe(1);
    catalog.observe(summarize(held(held(started('ord_held', 1000), 'PAUSE', 1100), 'RESUME', 1200)), 4);
    expect(catalog.running).toBe(2);
    expect(catalog.counts().paused).toBe(1);
  });

  it('leaves the incidents while a retrying saga is paused: it is attended to', () => {
    const retrying = answer(started('ord_p6', 1000), 'STEP_TIMED_OUT', 1100);
    expect(incidentOf(summarize(retrying))).toMatchObject({ kind: 'retrying', step: 'reserveInventory' });
    expect(incidentOf(summarize(held(retrying, 'PAUSE', 1200)))).toBeNull();
  });
});
