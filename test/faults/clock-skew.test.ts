/**
 * Clock skew between orchestrator instances (DESIGN inner rule 9: no decision depends on two
 * machines' wall clocks agreeing). Two orchestrators; the second one's wall clock is wrong by
 * several seconds, stepped ahead and behind while it runs (test/support/skewed-clock.mjs, as an
 * NTP step would), and it is restarted while wrong. Orders go through both instances'
 * APIs: normal ones (the harness's four outcomes) and SLOW- ones whose shipping hangs past every
 * attempt's timeout.
 *
 * Beyond the suite's invariants (harness.ts): no normal order ever times out (no spurious
 * STEP_TIMED_OUT); every SLOW- order ends stuck after exactly STEP_MAX_ATTEMPTS timeouts; every
 * timeout fires between STEP_TIMEOUT_MS and STEP_TIMEOUT_MS + a margin after the write that set
 * it, both measured by the nats-server's timestamps (the one clock every process shares); and
 * both instances list every order with its final status. A second test restarts an orchestrator
 * alone with its clock moved while a deadline is pending: it must fire on time, not 5 s late or at once.
 */
import { Kvm } from '@nats-io/kv';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUCKETS } from '../../lib/topology.ts';
import { decodeStoredEntry } from '../../orchestrator/saga/stored-entry.ts';
import { checkBooks } from '../support/books.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';
import { expectClean, FaultRun, findDoubleEffects, PROFILE, sized, sleep } from './harness.ts';

const STEP_TIMEOUT_MS = 3000;
const STEP_MAX_ATTEMPTS = 2;
/** Far past every attempt's timeout, so a SLOW- order ends stuck whatever the default hang is. */
const SLOW_SHIPPING_MS = STEP_TIMEOUT_MS * STEP_MAX_ATTEMPTS * 3;
const SKEW_MS = 5000;
/**
 * How late past STEP_TIMEOUT_MS a timeout may be written: the scheduler's 100 ms tick, a read and
 * a CAS write, under load; plus, since a reply stored before the deadline counts as on time
 * (DESIGN rule 9), the wait for replies an instance held when it went down, which JetStream hands
 * to the other one after ACK_WAIT_MS (2 s). Still well under the 5 s a skewed clock would add.
 */
const LATE_MARGIN_MS = 1000 + 2000 + 500;
const SKEWED = 'orchestrator#2';
const CLOCK_MODULE = new URL('../support/skewed-clock.mjs', import.meta.url).pathname;

const ENV = {
  STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS),
  STEP_MAX_ATTEMPTS: String(STEP_MAX_ATTEMPTS),
  SLOW_SHIPPING_MS: String(SLOW_SHIPPING_MS),
  // Steps take a while (far below the timeout): a deadline that fires early times a step out, visibly.
  WORKER_LATENCY_MS: '300',
  WORKER_BACKOFF_MS: '10',
  // Each hanging SLOW- command holds a shipping handler for SLOW_SHIPPING_MS.
  WORKER_POOL_SIZE: '100',
};

/**
 * Every revision of every saga as the nats-server stamped it, from the test's own watch: when
 * each deadline was set (the first revision carrying its command id) and when its timeout was
 * applied (the revision whose last history row is `timeout:<commandId>`), in server time.
 */
class ServerTimeline {
  readonly deadlineSetAt = new Map<string, number>();
  readonly timedOutAt = new Map<string, number>();
  private stop: (() => void) | undefined;

  async start(system: TestSystem): Promise<void> {
    const kv = await new Kvm(await system.connection()).open(BUCKETS.sagas);
    const watch = await kv.watch({ key: '>' });
    this.stop = () => watch.stop();
    void (async () => {
      for await (const change of watch) {
        if (change.operation !== 'PUT') continue;
        const entry = decodeStoredEntry(change.value);
        const at = change.created.getTime();
        const commandId = entry.deadline?.commandId;
        if (commandId && !this.deadlineSetAt.has(commandId)) this.deadlineSetAt.set(commandId, at);
        const last = entry.history.at(-1)!;
        if (last.event === 'STEP_TIMED_OUT' && !this.timedOutAt.has(last.eventId)) this.timedOutAt.set(last.eventId, at);
      }
    })();
  }

  /** Per timed-out command: how long after its deadline was set the timeout was stored (ms, server clock). */
  firings(): { commandId: string; afterMs: number }[] {
    const out: { commandId: string; afterMs: number }[] = [];
    for (const [eventId, at] of this.timedOutAt) {
      const commandId = eventId.replace(/^timeout:/, '');
      const setAt = this.deadlineSetAt.get(commandId);
      if (setAt !== undefined) out.push({ commandId, afterMs: at - setAt });
    }
    return out;
  }

  close(): void {
    this.stop?.();
  }
}

let system: TestSystem;
let clockDir: string;
let clockFile: string;
const timeline = new ServerTimeline();
const setSkew = (ms: number) => writeFileSync(clockFile, String(ms));
/** The skewed process re-reads its offset every 100 ms. */
const stepClock = async (ms: number) => {
  setSkew(ms);
  await sleep(300);
};

beforeAll(async () => {
  clockDir = mkdtempSync(join(tmpdir(), 'clock-skew-'));
  clockFile = join(clockDir, 'offset-ms');
  setSkew(SKEW_MS);
  system = await startSystem({
    env: ENV,
    extraInstances: { orchestrator: 1 },
    envFor: (label) => (label === SKEWED ? { NODE_OPTIONS: `--import ${CLOCK_MODULE}`, SKEWED_CLOCK_FILE: clockFile } : undefined),
  });
  await timeline.start(system);
});

afterAll(async () => {
  timeline.close();
  await system?.stop();
  rmSync(clockDir, { recursive: true, force: true });
});

const skewed = () => system.extra.find((s) => s.label === SKEWED)!;
const slowOrder = (n: number) => ({ customerId: `cust-slow-${n}`, items: [{ sku: `SLOW-${n % 4}`, quantity: 1, unitPriceCents: 1000 + n }] });

/** Every order id a GET /api/orders on `baseUrl` lists with `status`, all pages. */
async function listed(run: FaultRun, baseUrl: string, status: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const answer = await run.request(`/api/orders?status=${status}&limit=500${cursor ? `&cursor=${cursor}` : ''}`, {}, baseUrl);
    expect(answer.status).toBe(200);
    for (const item of answer.body.items) ids.add(item.orderId);
    cursor = answer.body.nextCursor;
  } while (cursor);
  return ids;
}

async function orderOn(run: FaultRun, baseUrl: string, orderId: string): Promise<any> {
  const answer = await run.request(`/api/orders/${orderId}`, {}, baseUrl);
  expect(answer.status).toBe(200);
  return answer.body;
}

/** The commands whose step timed out, in history order. */
const timedOutCommands = (order: any): string[] =>
  order.history.filter((row: { event: string }) => row.event === 'STEP_TIMED_OUT').map((row: { payload: { commandId: string } }) => row.payload.commandId);

/** How long a stopped instance's last pull request may still take deliveries on the server (lib/consume.ts). */
const PULL_EXPIRES_MS = 5_000;

/**
 * A graceful stop unsubscribes while the server still holds the instance's pull request: a reply
 * delivered into it waits out ack_wait, and its step times out although the reply was stored in
 * time. That is DESIGN rule 9's open gap (a stored reply should count as on time), not a clock's
 * doing: timeouts of steps whose deadline was set in the window around the restart are counted apart.
 */
function aroundRestart(run: FaultRun, commandId: string): boolean {
  const restart = run.faults.find((fault) => fault.kind.startsWith('restart'));
  const setAt = timeline.deadlineSetAt.get(commandId);
  return restart !== undefined && setAt !== undefined && setAt >= restart.injectedAt - STEP_TIMEOUT_MS - 500 && setAt <= restart.injectedAt + PULL_EXPIRES_MS + 1000;
}

it(
  `two orchestrators, one's wall clock ${SKEW_MS / 1000} s ahead then behind: no spurious or lost timeout, both list every order right`,
  async () => {
    const run = new FaultRun('clock-skew', system);
    const slowIds: string[] = [];
    let slowN = 0;
    /** SLOW- orders through each instance's API in turn. */
    const submitSlow = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const n = slowN++;
        const answer = await run.request('/api/orders', { body: slowOrder(n), headers: { 'idempotency-key': `clock-skew-slow-${n}` } }, system.baseUrls[n % 2]);
        expect(answer.status, JSON.stringify(answer.body)).toBe(202);
        slowIds.push(answer.body.orderId);
        await sleep(300);
      }
    };
    const phases = PROFILE === 'long' ? [-SKEW_MS, SKEW_MS, -SKEW_MS] : [-SKEW_MS];
    const slowPerPhase = sized(3, 4);
    const faults = (async () => {
      // Already SKEW_MS ahead since start-up.
      await submitSlow(slowPerPhase);
      for (const skew of phases) {
        await sleep(1000);
        await run.fault(`wall clock stepped to ${skew >= 0 ? '+' : ''}${skew / 1000} s`, SKEWED, () => stepClock(skew));
        await submitSlow(slowPerPhase);
      }
      // A restart while the clock is wrong: start-up and catch-up read no other instance's time.
      // SIGTERM, not SIGKILL: a reply a killed instance had taken waits out its ack_wait (30 s)
      // and times its step out whatever the clocks say; that is the crash scenarios' subject.
      await run.fault(`restart at ${phases.at(-1)! / 1000} s`, SKEWED, () => skewed().stop(), () => skewed().start(), 500);
      await submitSlow(slowPerPhase);
    })();
    await Promise.all([run.load({ orders: sized(60, 240), perSecond: sized(5, 8) }), faults]);

    // Every SLOW- order goes stuck by its timeouts, exactly STEP_MAX_ATTEMPTS of them.
    await until('every SLOW- order to be stuck', async () => {
      for (const id of slowIds) if ((await orderOn(run, system.baseUrl, id)).status !== 'stuck') return false;
      return true;
    }, 60_000);
    const excused: string[] = [];
    const slowSpurious: string[] = [];
    for (const id of slowIds) {
      const order = await orderOn(run, system.baseUrl, id);
      expect(order, id).toMatchObject({ status: 'stuck', context: { stuckStep: 'createShipment' } });
      const commands = timedOutCommands(order);
      expect(commands.filter((c) => c.includes(':createShipment:')), `${id}'s shipping timeouts`).toHaveLength(STEP_MAX_ATTEMPTS);
      for (const c of commands.filter((c) => !c.includes(':createShipment:'))) (aroundRestart(run, c) ? excused : slowSpurious).push(c);
    }

    // The suite's invariants over the normal orders (check waits for the slow shipments to end too).
    const report = await run.check({ settleMs: 90_000 });

    // No normal order timed out: with fast workers, any STEP_TIMED_OUT is a clock that lied.
    const spurious: string[] = [...slowSpurious];
    for (const order of run.accepted) {
      const final = await orderOn(run, system.baseUrl, order.orderId);
      for (const c of timedOutCommands(final)) (aroundRestart(run, c) ? excused : spurious).push(`${c} (${order.scenario})`);
    }

    // Both instances list every order with its final status (the catalog orders writes by revision only).
    const finals = new Map<string, string>();
    for (const order of run.accepted) finals.set(order.orderId, (await orderOn(run, system.baseUrl, order.orderId)).status);
    for (const id of slowIds) finals.set(id, 'stuck');
    const misListed: string[] = [];
    for (const baseUrl of system.baseUrls) {
      const byStatus = new Map<string, Set<string>>();
      for (const status of ['running', 'completed', 'cancelled', 'stuck']) byStatus.set(status, await listed(run, baseUrl, status));
      for (const [id, status] of finals) if (!byStatus.get(status)!.has(id)) misListed.push(`${baseUrl}: ${id} is ${status}, not listed so`);
      for (const id of byStatus.get('running')!) if (finals.has(id)) misListed.push(`${baseUrl}: ${id} listed as running`);
    }

    // Every timeout fired about when due, on whichever instance, by the server's clock.
    const firings = timeline.firings();
    const early = firings.filter((f) => f.afterMs < STEP_TIMEOUT_MS - 5);
    const late = firings.filter((f) => f.afterMs > STEP_TIMEOUT_MS + LATE_MARGIN_MS);
    const expected = slowIds.length * STEP_MAX_ATTEMPTS + excused.length;
    const spread = firings.map((f) => f.afterMs).sort((a, b) => a - b);
    console.log(
      `[faults] clock-skew: ${report.orders} normal + ${slowIds.length} SLOW- orders, ${report.faults.length} faults (clock steps of ${SKEW_MS / 1000} s, a restart), ` +
        `spurious timeouts ${spurious.length} (${excused.length} around the restart, DESIGN rule 9), timeouts measured ${firings.length} of ${expected}, fired after ${spread[0]}..${spread.at(-1)} ms ` +
        `(due ${STEP_TIMEOUT_MS}), early ${early.length}, late ${late.length}, mislisted ${misListed.length}`,
    );

    // The SLOW- orders' books, once an operator compensates them (their shipments may have landed late).
    for (const id of slowIds) {
      const answer = await run.request(`/api/orders/${id}/compensate`, { body: { reason: 'clock-skew test' } }, system.baseUrls[1]);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    }
    await until('the SLOW- orders to be cancelled', async () => {
      for (const id of slowIds) if ((await orderOn(run, system.baseUrl, id)).status !== 'cancelled') return false;
      return true;
    }, 60_000);
    const nc = await system.connection();
    const slowBooks = await checkBooks(nc, slowIds.map((orderId, n) => ({ orderId, status: 'cancelled', totalCents: 1000 + n })));

    expectClean(report, { minOrders: sized(60, 240) });
    expect(spurious, 'steps that timed out though their worker answered in time').toEqual([]);
    expect(misListed, 'orders an instance lists with the wrong status').toEqual([]);
    expect(firings.length, 'timeouts measured on the server timeline').toBe(expected);
    expect(early, 'timeouts that fired before STEP_TIMEOUT_MS').toEqual([]);
    expect(late, `timeouts later than STEP_TIMEOUT_MS + ${LATE_MARGIN_MS} ms`).toEqual([]);
    expect(slowBooks.problems, 'SLOW- orders whose books do not balance').toEqual([]);
    expect(await findDoubleEffects(nc, new Set(slowIds)), 'SLOW- effects applied twice').toEqual([]);
  },
  sized(240_000, 600_000),
);

it(
  'an orchestrator restarted alone with its clock moved fires a pending deadline on time, not late nor at once',
  async () => {
    // Only the skewed instance runs: no other instance's timer can hide a late or early one.
    await system.services.orchestrator.stop();
    const client = new FaultRun('clock-skew-restart', system);
    for (const [n, skew] of [-SKEW_MS, SKEW_MS].entries()) {
      await stepClock(0);
      const answer = await client.request('/api/orders', { body: slowOrder(100 + n) }, system.baseUrls[1]);
      expect(answer.status).toBe(202);
      const id: string = answer.body.orderId;
      const commandId = `${id}:createShipment:1`;
      await until(`${commandId}'s deadline to be set`, async () => timeline.deadlineSetAt.has(commandId), 20_000);
      const killedAt = performance.now();
      await skewed().kill();
      await stepClock(skew);
      await skewed().start();
      const restartMs = performance.now() - killedAt;
      await until(`${commandId} to time out`, async () => timeline.timedOutAt.has(`timeout:${commandId}`), 30_000);
      const firing = timeline.firings().find((f) => f.commandId === commandId)!;
      console.log(`[faults] clock-skew restart at ${skew / 1000} s: restart took ${Math.round(restartMs)} ms, the deadline fired ${firing.afterMs} ms after it was set (due ${STEP_TIMEOUT_MS})`);
      expect(firing.afterMs).toBeGreaterThanOrEqual(STEP_TIMEOUT_MS - 5);
      expect(firing.afterMs).toBeLessThanOrEqual(Math.max(STEP_TIMEOUT_MS, restartMs) + LATE_MARGIN_MS);
    }
  },
  120_000,
);
