/**
 * Replay, pure: a dry run compares any saga with another machine version; a real replay moves
 * a running or stuck saga onto it (new command ids from the divergence on), and never re-opens
 * a finished one (completed, cancelled, failed): refused with the reason, nothing written.
 */
import { describe, expect, it } from 'vitest';
import { CURRENT_MACHINE_VERSION, ORDER_SAGA_V1, ORDER_SAGA_V2, ORDER_SAGA_V3, type SagaEvent } from '../../machines/index.ts';
import { applyEvent, replyEventId, startSaga, timeoutEventId, type SagaEntry } from '../../orchestrator/saga/entry.ts';
import { rebaseOnto, replayDryRun, type ReplayStep } from '../../orchestrator/saga/replay.ts';

const settings = { stepTimeoutMs: 1000, stepMaxAttempts: 2, sagaMachineVersion: ORDER_SAGA_V1 };
const order = { orderId: 'ord_r', customerId: 'cust-1', currency: 'USD', items: [{ sku: 'NOSHIP-1', quantity: 1, unitPriceCents: 700 }], totalCents: 700 };
const submission = { order, traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01', requestHash: 'h' };
const operator = { actor: 'ops-cara', reason: 'adopt v2' };

/** The event id the runtime gives each event, so replay reads the command ids it records. */
const eventIdOf = (event: SagaEvent, index: number) =>
  event.type === 'STEP_TIMED_OUT' ? timeoutEventId(event.commandId) : 'commandId' in event ? replyEventId(event.commandId) : `operator:${event.type}:${index}`;

/** Apply each event in turn on the entry's own version, as the runtime would. */
function play(entry: SagaEntry, events: SagaEvent[]): SagaEntry {
  events.forEach((event, index) => {
    const result = applyEvent(entry, event, eventIdOf(event, index), 2000 + index, { ...settings, sagaMachineVersion: entry.machineVersion });
    if (result.kind !== 'applied') throw new Error(`${event.type}: ${result.kind}`);
    entry = result.entry;
  });
  return entry;
}
const run = (events: SagaEvent[]) => play(startSaga(submission, 1000, settings), events);

const reply = (type: string, step: string, attempt = 1) => ({ type, commandId: `ord_r:${step}:${attempt}`, reference: 'ref', message: 'msg' }) as SagaEvent;
const timeout = (step: string, attempt: number): SagaEvent => ({ type: 'STEP_TIMED_OUT', commandId: `ord_r:${step}:${attempt}` });

const upToRejected = [reply('INVENTORY_RESERVED', 'reserveInventory'), reply('PAYMENT_CHARGED', 'chargePayment'), reply('SHIPMENT_REJECTED', 'createShipment')];

// On @1 a rejected shipment refunds first; @2 releases the stock first.
const sagas = {
  completed: () => run([...upToRejected.slice(0, 2), reply('SHIPMENT_CREATED', 'createShipment')]),
  cancelled: () => run([...upToRejected, reply('PAYMENT_REFUNDED', 'refundPayment'), reply('INVENTORY_RELEASED', 'releaseInventory')]),
  failed: () => run([...upToRejected, reply('REFUND_REJECTED', 'refundPayment')]),
  /** Running on @1, where @2 would differ: the refund timed out once, attempt 2 is out. */
  refunding: () => run([...upToRejected, timeout('refundPayment', 1)]),
  /** Running, on a path both versions agree on. */
  charging: () => run(upToRejected.slice(0, 1)),
  /** Stuck on a path both versions agree on. */
  stuck: () => run([...upToRejected.slice(0, 2), timeout('createShipment', 1), timeout('createShipment', 2)]),
};

/** The entry with one history row's payload gone, as rows stored before payloads were recorded. */
function withoutPayload(entry: SagaEntry, row: number): SagaEntry {
  const history = entry.history.map((each, index) => {
    if (index !== row) return each;
    const { payload: _payload, ...rest } = each;
    return rest;
  });
  return { ...entry, history };
}

describe('replayDryRun', () => {
  const same = (event: string, from: string | null, to: string): ReplayStep => ({ event, recorded: { from, to }, replayed: { from, to }, differs: false });

  it.each([
    {
      name: 'a finished saga, first divergence where @2 releases before it refunds',
      saga: sagas.cancelled,
      version: ORDER_SAGA_V2,
      firstDivergence: 3,
      finalState: { recorded: 'cancelled', replayed: 'refundingPayment' },
      steps: [
        same('ORDER_SUBMITTED', null, 'reservingInventory'),
        same('INVENTORY_RESERVED', 'reservingInventory', 'chargingPayment'),
        same('PAYMENT_CHARGED', 'chargingPayment', 'creatingShipment'),
        { event: 'SHIPMENT_REJECTED', recorded: { from: 'creatingShipment', to: 'refundingPayment' }, replayed: { from: 'creatingShipment', to: 'releasingInventory' }, differs: true },
        // @2 waits on the release, so the recorded refund reply answers nothing there.
        { event: 'PAYMENT_REFUNDED', recorded: { from: 'refundingPayment', to: 'releasingInventory' }, replayed: { from: 'releasingInventory', to: 'releasingInventory' }, differs: true },
        { event: 'INVENTORY_RELEASED', recorded: { from: 'releasingInventory', to: 'cancelled' }, replayed: { from: 'releasingInventory', to: 'refundingPayment' }, differs: true },
      ],
    },
    {
      name: 'the same saga on its own version: no divergence',
      saga: sagas.cancelled,
      version: ORDER_SAGA_V1,
      firstDivergence: null,
      finalState: { recorded: 'cancelled', replayed: 'cancelled' },
    },
    {
      name: 'a completed saga on a path both versions share',
      saga: sagas.completed,
      version: ORDER_SAGA_V2,
      firstDivergence: null,
      finalState: { recorded: 'completed', replayed: 'completed' },
    },
    {
      name: 'a stuck saga, retries and all',
      saga: sagas.stuck,
      version: ORDER_SAGA_V2,
      firstDivergence: null,
      finalState: { recorded: 'stuck', replayed: 'stuck' },
    },
    {
      name: 'a row without its payload cannot be replayed: it counts as a divergence',
      saga: () => withoutPayload(sagas.completed(), 2),
      version: ORDER_SAGA_V2,
      firstDivergence: 2,
      finalState: { recorded: 'completed', replayed: 'chargingPayment' },
      steps: [
        same('ORDER_SUBMITTED', null, 'reservingInventory'),
        same('INVENTORY_RESERVED', 'reservingInventory', 'chargingPayment'),
        { event: 'PAYMENT_CHARGED', recorded: { from: 'chargingPayment', to: 'creatingShipment' }, replayed: null, differs: true, note: 'event payload not recorded' },
        // The shipment reply answers nothing while the replay still waits on the charge.
        { event: 'SHIPMENT_CREATED', recorded: { from: 'creatingShipment', to: 'completed' }, replayed: { from: 'chargingPayment', to: 'chargingPayment' }, differs: true },
      ],
    },
  ])('$name', ({ saga, version, firstDivergence, finalState, steps }) => {
    const entry = saga();
    const plan = replayDryRun(entry, version);
    expect(plan).toMatchObject({ machineVersion: version, recordedVersion: ORDER_SAGA_V1, firstDivergence, finalState });
    expect(plan.steps).toHaveLength(entry.history.length);
    if (steps) expect(plan.steps).toEqual(steps);
  });

  it('compares the current version when none is named', () => {
    expect(CURRENT_MACHINE_VERSION).toBe(ORDER_SAGA_V3);
    expect(replayDryRun(sagas.cancelled())).toEqual(replayDryRun(sagas.cancelled(), ORDER_SAGA_V3));
  });
});

describe('rebaseOnto', () => {
  it.each([
    { name: 'refuses a completed saga, even when only the version would change', saga: sagas.completed, version: ORDER_SAGA_V2, kind: 'refused', detail: /^the order is completed: replay never re-opens a finished saga \(its dry run still compares it with order-saga@2\)$/ },
    { name: 'refuses a cancelled saga that @2 would undo differently', saga: sagas.cancelled, version: ORDER_SAGA_V2, kind: 'refused', detail: /^the order is cancelled: replay never re-opens a finished saga/ },
    { name: 'refuses a failed saga', saga: sagas.failed, version: ORDER_SAGA_V2, kind: 'refused', detail: /^the order is failed: replay never re-opens a finished saga/ },
    { name: 'leaves a saga its own version agrees with', saga: sagas.charging, version: ORDER_SAGA_V1, kind: 'unchanged', detail: /^order-saga@1 agrees with the recorded history; nothing to replay$/ },
    { name: 'leaves a saga whose diverging row has no payload', saga: () => withoutPayload(sagas.refunding(), 3), version: ORDER_SAGA_V2, kind: 'unchanged', detail: /^the history cannot be replayed: an event payload was not recorded$/ },
  ] as const)('$name: nothing to write or send', ({ saga, version, kind, detail }) => {
    const entry = saga();
    const result = rebaseOnto(entry, operator, 9000, settings, version);
    expect(result).toMatchObject({ kind, plan: replayDryRun(entry, version) });
    expect('detail' in result && result.detail).toMatch(detail);
    expect('entry' in result).toBe(false);
  });

  it.each([
    {
      name: 'a saga still undoing, from the divergence on, with a command id past every recorded one',
      saga: sagas.refunding,
      moved: { state: 'releasingInventory', status: 'running', outbox: ['ord_r:releaseInventory:1'] },
      replayRow: { from: 'refundingPayment', to: 'releasingInventory', detail: 'adopt v2 (moved from order-saga@1 to order-saga@2 at step 3: SHIPMENT_REJECTED)' },
    },
    {
      name: 'a stuck saga that agrees with the new version, without sending anything',
      saga: sagas.stuck,
      moved: { state: 'stuck', status: 'stuck', outbox: [] },
      replayRow: { from: 'stuck', to: 'stuck', detail: 'adopt v2 (moved from order-saga@1 to order-saga@2, no divergence)' },
    },
    {
      name: 'a running saga that agrees, keeping the command already sent',
      saga: sagas.charging,
      moved: { state: 'chargingPayment', status: 'running', outbox: ['ord_r:chargePayment:1'] },
      replayRow: { from: 'chargingPayment', to: 'chargingPayment', detail: 'adopt v2 (moved from order-saga@1 to order-saga@2, no divergence)' },
    },
  ])('moves $name', ({ saga, moved, replayRow }) => {
    const entry = saga();
    const result = rebaseOnto(entry, operator, 9000, settings, ORDER_SAGA_V2);
    if (result.kind !== 'rebased') throw new Error(`expected rebased, got ${result.kind}`);
    expect(result.plan).toEqual(replayDryRun(entry, ORDER_SAGA_V2));
    const { state, status, outbox } = result.entry;
    expect({ state, status, outbox: outbox.map((command) => command.commandId) }).toEqual(moved);
    expect(result.entry).toMatchObject({ machineVersion: ORDER_SAGA_V2, updatedAt: 9000 });
    // The history only grows: every recorded row stays, one REPLAY row says what moved.
    expect(result.entry.history.slice(0, -1)).toEqual(entry.history);
    expect(result.entry.history.at(-1)).toMatchObject({ event: 'REPLAY', at: 9000, actor: 'ops-cara', ...replayRow, rebase: { machineVersion: ORDER_SAGA_V2 } });
    // On its new version now: replaying again has nothing to do.
    expect(rebaseOnto(result.entry, operator, 9500, settings, ORDER_SAGA_V2).kind).toBe('unchanged');
  });
});

describe('after a move', () => {
  const moved = () => {
    const result = rebaseOnto(sagas.refunding(), operator, 9000, settings, ORDER_SAGA_V2);
    if (result.kind !== 'rebased') throw new Error(`expected rebased, got ${result.kind}`);
    return result.entry;
  };

  it('the dry run compares the transitions the move made, not the recorded ones', () => {
    const plan = replayDryRun(moved(), ORDER_SAGA_V2);
    expect(plan.firstDivergence).toBeNull();
    expect(plan.steps.map((step) => [step.event, step.recorded.to])).toEqual([
      ['ORDER_SUBMITTED', 'reservingInventory'],
      ['INVENTORY_RESERVED', 'chargingPayment'],
      ['PAYMENT_CHARGED', 'creatingShipment'],
      ['SHIPMENT_REJECTED', 'releasingInventory'],
    ]);
  });

  it('the move records the attempt counters it seeded, past every recorded attempt', () => {
    expect(moved().history.at(-1)!.rebase!.seed).toEqual({
      attempts: { reserveInventory: 1, chargePayment: 1, createShipment: 1, refundPayment: 2 },
      attemptLimits: { reserveInventory: 3, chargePayment: 3, createShipment: 3, refundPayment: 4 },
    });
  });

  it.each([
    { name: 'a step the new rules start again gets a new command id', then: (entry: SagaEntry) => play(entry, [reply('INVENTORY_RELEASED', 'releaseInventory')]), state: 'refundingPayment', outbox: ['ord_r:refundPayment:3'] },
    {
      name: 'moving back never reuses one either',
      then: (entry: SagaEntry) => {
        const back = rebaseOnto(entry, operator, 9500, settings, ORDER_SAGA_V1);
        if (back.kind !== 'rebased') throw new Error(`expected rebased, got ${back.kind}`);
        expect(back.plan.firstDivergence).toBe(3);
        return back.entry;
      },
      state: 'refundingPayment',
      outbox: ['ord_r:refundPayment:3'],
    },
  ])('$name', ({ then, state, outbox }) => {
    const entry = then(moved());
    expect(entry.state).toBe(state);
    expect(entry.outbox.map((command) => command.commandId)).toEqual(outbox);
  });
});

it('counts the attempts the history records even where the snapshot counts fewer', () => {
  const entry = sagas.refunding();
  const forgetful = { ...entry, snapshot: { ...entry.snapshot, context: { ...entry.snapshot.context, attempts: {} } } };
  const result = rebaseOnto(forgetful, operator, 9000, settings, ORDER_SAGA_V2);
  if (result.kind !== 'rebased') throw new Error(`expected rebased, got ${result.kind}`);
  // From the replies' and the timeout's event ids: `reply:<commandId>`, `timeout:<commandId>`.
  expect(result.entry.history.at(-1)!.rebase!.seed!.attempts).toEqual({ reserveInventory: 1, chargePayment: 1, createShipment: 1, refundPayment: 1 });
});
