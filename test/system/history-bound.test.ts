/**
 * A saga's history is bounded (issue 19): an operator retrying a stuck saga thousands of times
 * on a real nats-server keeps its entry far below NATS' max payload (1 MiB), its timeline keeps
 * the first and latest rows with a counted HISTORY_COMPACTED row between, replay (dry and
 * real) still works from the compacted history, and an event redelivered late is still known:
 * a recent operator action as a duplicate, an old attempt's timeout as no longer pending.
 * Without compaction the entry passes 1 MiB and the saga can no longer be written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { connectNats, ensureTopology, type Nats } from '../../lib/topology.ts';
import { commandIdFor, CURRENT_MACHINE_VERSION } from '../../machines/index.ts';
import { COMPACTED_EVENT, HISTORY_HEAD_ROWS, HISTORY_TAIL_ROWS, timeoutEventId } from '../../orchestrator/saga/entry.ts';
import { requestHashOf } from '../../orchestrator/saga/intake.ts';
import { replayDryRun } from '../../orchestrator/saga/replay.ts';
import { SagaRuntime } from '../../orchestrator/saga/runtime.ts';
import { SagaBucket } from '../../orchestrator/saga/saga-bucket.ts';
import { ServerClock } from '../../orchestrator/saga/server-clock.ts';
import { encodeStoredEntry } from '../../orchestrator/saga/stored-entry.ts';
import { newOrderId } from '../../orchestrator/http/order-ids.ts';
import { startNats, type TestNats } from '../support/nats-server.ts';

const RETRIES = 3000;

let nats: TestNats;
let connection: Nats;
let runtime: SagaRuntime;

beforeAll(async () => {
  nats = await startNats();
  const config = loadConfig({ NATS_URL: nats.url, LOG_LEVEL: 'silent', STEP_MAX_ATTEMPTS: '1' });
  connection = await connectNats(config, 'history-bound-test');
  const topology = await ensureTopology(connection, config);
  const logger = createLogger('orchestrator', config);
  runtime = new SagaRuntime(new SagaBucket(topology.sagas, topology.sagasOnLeader, new ServerClock(), logger), connection, config, logger);
}, 30_000);
afterAll(async () => {
  await connection?.nc.close();
  await nats?.stop();
});

describe('history compaction', () => {
  it(`keeps the entry bounded through ${RETRIES} operator retries of a stuck step, and replay and dedupe working`, async () => {
    const orderId = newOrderId();
    const request = { customerId: 'cust-retry', items: [{ sku: 'SKU-1', quantity: 1, unitPriceCents: 100 }] };
    await runtime.start({
      order: { orderId, customerId: request.customerId, currency: 'USD', items: request.items, totalCents: 100 },
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      requestHash: requestHashOf(request),
    });
    const retryIds: string[] = [];
    let attempt = 1;
    for (let i = 0; i < RETRIES; i++) {
      // The pending attempt times out: with one attempt per round the saga parks in `stuck`.
      const commandId = commandIdFor(orderId, 'reserveInventory', attempt);
      expect((await runtime.apply(orderId, { type: 'STEP_TIMED_OUT', commandId }, timeoutEventId(commandId))).kind).toBe('applied');
      const retryId = `operator:retry:${i}`;
      retryIds.push(retryId);
      expect((await runtime.apply(orderId, { type: 'RETRY', actor: 'ops', reason: `retry ${i}` }, retryId)).kind).toBe('applied');
      attempt++;
    }
    const { entry } = (await runtime.read(orderId))!;
    const bytes = encodeStoredEntry(entry).length;
    console.log(`[bounds] history after ${RETRIES} retries: ${entry.history.length} rows, entry ${Math.round(bytes / 1024)} KiB`);
    expect(bytes, `${bytes} bytes`).toBeLessThan(256 * 1024);
    expect(entry.history.length).toBeLessThanOrEqual(HISTORY_HEAD_ROWS + 2 * HISTORY_TAIL_ROWS + 1);
    // The timeline: the first rows as they were, one counted marker, the latest rows as they were.
    expect(entry.history[0]!.event).toBe('ORDER_SUBMITTED');
    const markers = entry.history.filter((row) => row.event === COMPACTED_EVENT);
    expect(markers).toHaveLength(1);
    const kept = entry.history.length - 1;
    expect(markers[0]!.compacted!.rows + kept).toBe(1 + 2 * RETRIES);
    expect(markers[0]!.detail).toMatch(new RegExp(`^${markers[0]!.compacted!.rows} rows compacted`));
    expect(entry.history.at(-1)!.eventId).toBe(retryIds.at(-1));
    expect(entry.snapshot.context.pending?.attempt).toBe(RETRIES + 1);

    // Replay: the dry run walks the compacted history to the recorded state, agreeing throughout.
    const plan = replayDryRun(entry, entry.machineVersion);
    expect(plan.finalState.replayed).toBe(entry.state);
    expect(plan.firstDivergence).toBeNull();
    expect(plan.machineVersion).toBe(CURRENT_MACHINE_VERSION);

    // Dedupe: a recent operator action, compacted away, is still a duplicate; a long-gone one
    // finds a state that no longer accepts it (nothing changes either way)...
    // At most 2 × HISTORY_TAIL_ROWS rows (two per retry) follow the marker: this one is compacted.
    const compactedRecently = retryIds.at(-HISTORY_TAIL_ROWS - 10)!;
    expect(entry.history.some((row) => row.eventId === compactedRecently)).toBe(false);
    expect((await runtime.apply(orderId, { type: 'RETRY', actor: 'ops', reason: 'late' }, compactedRecently)).kind).toBe('duplicate');
    // ...and a late timeout of an old attempt no longer answers the pending command.
    const old = commandIdFor(orderId, 'reserveInventory', 500);
    expect(entry.history.some((row) => row.eventId === timeoutEventId(old))).toBe(false);
    expect((await runtime.apply(orderId, { type: 'STEP_TIMED_OUT', commandId: old }, timeoutEventId(old))).kind).toBe('ignored');
    expect((await runtime.read(orderId))!.entry.history).toHaveLength(entry.history.length);

    // The saga still moves: its pending attempt times out and it parks again.
    const pending = entry.snapshot.context.pending!.commandId;
    const outcome = await runtime.apply(orderId, { type: 'STEP_TIMED_OUT', commandId: pending }, timeoutEventId(pending));
    expect(outcome.kind).toBe('applied');
    expect((await runtime.read(orderId))!.entry.state).toBe('stuck');
  }, 240_000);
});
