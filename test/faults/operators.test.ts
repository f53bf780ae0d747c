/**
 * Concurrent operators, and an orchestrator paused past its bulk lease, on two orchestrators
 * over one nats-server. SLOW- orders with a short step timeout and one attempt park in `stuck`
 * fast and, once retried, park again 300 ms later, so an act done twice would show as a second
 * retry in the saga's history.
 *
 * 1. Identical bulk requests sent to both instances at once, round after round, while the last
 *    round's sagas park again: one job per round, both answers name it, it acts on exactly the
 *    set it reports, each saga once, and finishes. (On one host the two instances rarely see
 *    different sets at the same instant; test/system/bulk-jobs.test.ts forces that case.)
 * 2. The same Idempotency-Key with another body: 422 naming the header, no job started.
 * 3. The instance running a job is paused (SIGSTOP) past BULK_LEASE_MS: the other takes the job
 *    over and finishes it; the paused one, resumed, finds its lease gone and stops. Each saga is
 *    retried once by the job, no job stays running.
 * 4. Single retries racing a bulk retry on the same sagas: each answers 200 or 409, never 500; the
 *    job acts on each saga at most once; every 200 is exactly one retry in the history.
 * Then every saga is compensated and the books must balance, with no effect applied twice.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBooks } from '../support/books.ts';
import { startSystem, until, type TestSystem } from '../support/system.ts';
import { findDoubleEffects, PROFILE, sized } from './harness.ts';

const TOKEN = 'ops-secret-token';
const ops = { Authorization: `Bearer ${TOKEN}`, 'X-Actor': 'ops-anna' };
const LEASE_MS = 1500;
const A = 'orchestrator-a';

let system: TestSystem;
const everyOrder = new Map<string, number>(); // orderId → total cents
/** Each scenario's numbers, printed and kept in test-output/faults/operators.json for the README. */
const figures: { scenario: string; orders: number; faults: number; lost: number; doubleActs: number; jobsLeftRunning: number; line: string }[] = [];
const OUTPUT = new URL('../../test-output/faults/', import.meta.url).pathname;

beforeAll(async () => {
  system = await startSystem({
    env: {
      STEP_TIMEOUT_MS: '300',
      STEP_MAX_ATTEMPTS: '1',
      SLOW_SHIPPING_MS: '600000',
      // Every retry of a SLOW- order holds a shipping handler for the rest of the run.
      WORKER_POOL_SIZE: '1500',
      OPS_TOKEN: TOKEN,
      BULK_LEASE_MS: String(LEASE_MS),
    },
    extraInstances: { orchestrator: 1 },
    envFor: (label) => (label === 'orchestrator' ? { INSTANCE_ID: A } : undefined),
  });
}, 90_000);
afterAll(async () => {
  if (figures.length) {
    console.log(figures.map((f) => `[operators] ${f.line}`).join('\n'));
    mkdirSync(OUTPUT, { recursive: true });
    writeFileSync(`${OUTPUT}operators.json`, JSON.stringify({ profile: PROFILE, scenarios: figures }, null, 2));
  }
  await system?.stop();
});

/** Reads go to the second instance: the first is the one the pause test freezes. */
const reader = () => system.baseUrls[1]!;

async function call(baseUrl: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const slowOrder = (customerId: string, n: number) => ({ customerId, items: [{ sku: `SLOW-${n % 3}`, quantity: 1, unitPriceCents: 1000 + n }] });

async function stuckOrders(customerId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, count - start) }, async (_, i) => {
        const body = slowOrder(customerId, start + i);
        const answer = await system.api('/api/orders', { body });
        expect(answer.status).toBe(202);
        everyOrder.set(answer.body.orderId, body.items[0]!.unitPriceCents);
        return answer.body.orderId as string;
      }),
    );
    ids.push(...batch);
  }
  await allStuck(customerId, count);
  return ids;
}

async function stuckCount(customerId: string): Promise<number> {
  return (await call(reader(), `/api/orders?customerId=${customerId}&status=stuck&limit=500`)).body.items.length;
}

/** Wait until all `count` orders of the customer are parked in `stuck` (none running). */
async function allStuck(customerId: string, count: number): Promise<void> {
  await until(`${count} orders of ${customerId} to be stuck`, async () => (await stuckCount(customerId)) === count, 60_000);
}

async function history(orderId: string): Promise<{ eventId: string; event: string }[]> {
  return (await call(reader(), `/api/orders/${orderId}`)).body.history;
}

/** How many times each saga was acted on by the job (its event ids), and retried in all. */
async function actsOf(jobId: string, orderIds: string[]): Promise<Map<string, { byJob: number; retries: number }>> {
  const acts = new Map<string, { byJob: number; retries: number }>();
  for (const orderId of orderIds) {
    const rows = await history(orderId);
    acts.set(orderId, { byJob: rows.filter((row) => row.eventId.includes(`:${jobId}:`)).length, retries: rows.filter((row) => row.event === 'RETRY').length });
  }
  return acts;
}

async function finishedJob(id: string, timeoutMs = 60_000): Promise<any> {
  await until(`bulk job ${id} to finish`, async () => (await call(reader(), `/api/bulk/${id}`)).body.state !== 'running', timeoutMs);
  return (await call(reader(), `/api/bulk/${id}`)).body;
}

async function runningJobs(): Promise<string[]> {
  const running: string[] = [];
  for (const baseUrl of system.baseUrls) {
    for (const job of (await call(baseUrl, '/api/bulk')).body.items) if (job.state === 'running') running.push(`${job.id} on ${baseUrl}`);
  }
  return running;
}

describe('identical bulk requests to two instances at once', () => {
  const customerId = 'cust-twins';
  const COUNT = 30;
  let orderIds: string[] = [];
  const twinKey = 'twins-round-2';
  const jobsOfTwins: number[] = [];

  it('make one job per request that acts on exactly the set it reports, each saga once, and finishes', async () => {
    orderIds = await stuckOrders(customerId, COUNT);
    const ROUNDS = sized(8, 20);
    const retriesExpected = new Map(orderIds.map((orderId) => [orderId, 0]));
    for (let round = 1; round <= ROUNDS; round++) {
      // After the first round, send while the last round's sagas are parking again one by one:
      // the two instances are then likely to see different matching sets at the same moment.
      if (round > 1) await until('a saga of the last round to park again', async () => (await stuckCount(customerId)) > 0, 30_000);
      const body = { action: 'retry', filter: { customerId, status: 'stuck' }, reason: `twins, round ${round}` };
      const headers = { ...ops, ...(round === 2 ? { 'Idempotency-Key': twinKey } : {}) };
      const answers = await Promise.all(system.baseUrls.map((baseUrl) => call(baseUrl, '/api/bulk', body, headers)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 202]);
      const id = answers[0]!.body.id;
      expect(answers[1]!.body.id).toBe(id);

      const job = await finishedJob(id, 20_000);
      expect(job).toMatchObject({ state: 'completed', done: job.total, applied: job.total, refused: 0, failed: 0 });
      const reported = new Set<string>(job.results.map((r: any) => r.orderId));
      expect(reported.size).toBe(job.total);
      const acts = await actsOf(id, orderIds);
      const wrong = orderIds.filter((orderId) => acts.get(orderId)!.byJob !== (reported.has(orderId) ? 1 : 0));
      expect(wrong, 'sagas the job acted on other than once each in the set it reports').toEqual([]);
      for (const orderId of reported) retriesExpected.set(orderId, retriesExpected.get(orderId)! + 1);
      expect(orderIds.filter((orderId) => acts.get(orderId)!.retries !== retriesExpected.get(orderId))).toEqual([]);
      jobsOfTwins.push(job.total);
    }
    await allStuck(customerId, COUNT);
    expect(await runningJobs()).toEqual([]);
    figures.push({
      scenario: 'identical bulk requests to two instances',
      orders: COUNT,
      faults: ROUNDS,
      lost: 0,
      doubleActs: 0,
      jobsLeftRunning: 0,
      line: `identical bulk requests: ${ROUNDS} rounds × 2 instances over ${COUNT} stuck sagas: ${ROUNDS} jobs (sets of ${jobsOfTwins.join(', ')}), 0 double acts, 0 jobs left running`,
    });
  });

  it('refuses the same Idempotency-Key with another body with 422 naming the header, on either instance', async () => {
    const before = (await system.api('/api/bulk')).body.items.length;
    for (const baseUrl of system.baseUrls) {
      const answer = await call(baseUrl, '/api/bulk', { action: 'retry', filter: { customerId, status: 'stuck' }, reason: 'another reason' }, { ...ops, 'Idempotency-Key': twinKey });
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ status: 422, title: 'Idempotency-Key reused' });
      expect(answer.body.errors).toEqual([{ field: 'headers.idempotency-key', message: expect.stringMatching(/different request/) }]);
      const other = await call(baseUrl, '/api/bulk', { action: 'compensate', filter: { customerId }, reason: 'twins, round 2' }, { ...ops, 'Idempotency-Key': twinKey });
      expect(other.status).toBe(422);
    }
    expect((await system.api('/api/bulk')).body.items).toHaveLength(before);
  });
});

describe('an orchestrator paused past its bulk lease, then resumed', () => {
  it('loses the job to the other instance, stops when it resumes, and no saga is retried twice', async () => {
    const customerId = 'cust-paused';
    const COUNT = sized(200, 600);
    const orderIds = await stuckOrders(customerId, COUNT);
    const [ownerUrl, otherUrl] = system.baseUrls as [string, string];
    const started = await call(ownerUrl, '/api/bulk', { action: 'retry', filter: { customerId, status: 'stuck' }, reason: 'carrier back (pause)' }, ops);
    expect(started.status).toBe(202);
    expect(started.body.owner).toBe(A);
    const id = started.body.id;

    // Freeze the owner mid-job: some of its acts are on the wire, its progress not yet written.
    for (const deadline = Date.now() + 10_000; (await call(otherUrl, `/api/bulk/${id}`)).body.done === 0; ) {
      if (Date.now() > deadline) throw new Error('the job did not get under way');
    }
    system.services.orchestrator.pause();
    const pausedAt = Date.now();
    let resumed = false;
    try {
      const atPause = (await call(otherUrl, `/api/bulk/${id}`)).body;
      expect(atPause.state, 'the job finished before the pause: make it longer').toBe('running');
      await until('the other instance to take the job over and finish it', async () => {
        const job = (await call(otherUrl, `/api/bulk/${id}`)).body;
        return job.owner !== A && job.state === 'completed';
      }, 30_000);
      const takenOverAfter = Date.now() - pausedAt;
      // Let the sagas it retried time out and park again: a second act would now apply.
      await allStuck(customerId, COUNT);
      system.services.orchestrator.resume();
      resumed = true;
      // It logs once its batch in flight is through (or its write failed): its acts have landed.
      await until('the resumed owner to stop running the job', async () => /lease lost|bulk job stopped on an error/.test(system.services.orchestrator.log), 15_000);
      await allStuck(customerId, COUNT);

      const job = (await call(otherUrl, `/api/bulk/${id}`)).body;
      expect(job).toMatchObject({ state: 'completed', total: COUNT, done: COUNT, applied: COUNT, refused: 0, failed: 0 });
      expect(job.owner).not.toBe(A);
      const acts = await actsOf(id, orderIds);
      const twice = [...acts.entries()].filter(([, a]) => a.byJob !== 1 || a.retries !== 1).map(([orderId, a]) => `${orderId}: ${JSON.stringify(a)}`);
      expect(twice, 'sagas not retried exactly once').toEqual([]);
      expect(await runningJobs()).toEqual([]);
      figures.push({
        scenario: 'orchestrator paused past its bulk lease',
        orders: COUNT,
        faults: 1,
        lost: 0,
        doubleActs: 0,
        jobsLeftRunning: 0,
        line: `owner paused past its lease: ${COUNT} stuck sagas, 1 pause at ${atPause.done}/${COUNT} (taken over and finished ${takenOverAfter} ms after it), ${COUNT} retries, 0 double acts, 0 jobs left running`,
      });
    } finally {
      if (!resumed) system.services.orchestrator.resume();
    }
  });
});

describe('single actions racing a bulk job', () => {
  it('answer 200 or 409, never 500, and the job acts on each saga at most once', async () => {
    const customerId = 'cust-racing';
    const COUNT = sized(100, 300);
    const orderIds = await stuckOrders(customerId, COUNT);
    // Sent with the bulk request: every saga gets a single retry on each instance, oldest first
    // while the job goes newest first, so they meet in the middle.
    const bulkStarted = call(system.baseUrls[0]!, '/api/bulk', { action: 'retry', filter: { customerId, status: 'stuck' }, reason: 'racing bulk' }, ops);
    const singles = await Promise.all(
      orderIds.flatMap((orderId) =>
        system.baseUrls.map(async (baseUrl, i) => ({
          orderId,
          status: (await call(baseUrl, `/api/orders/${orderId}/retry`, { reason: 'racing single' }, { ...ops, 'X-Actor': `ops-${i + 1}` })).status,
        })),
      ),
    );
    const started = await bulkStarted;
    expect(started.status).toBe(202);
    const statuses = singles.map((s) => s.status);
    expect(statuses.filter((s) => s !== 200 && s !== 409), 'answers other than 200 or 409').toEqual([]);

    const job = await finishedJob(started.body.id);
    // Its set is what was still stuck when it started (single retries may have come first).
    expect(job).toMatchObject({ state: 'completed', done: job.total, failed: 0 });
    expect(job.applied + job.refused).toBe(job.total);
    const inJob = new Set(job.results.map((r: any) => r.orderId));
    expect(inJob.size).toBe(job.total);
    expect([...inJob].every((orderId) => orderIds.includes(orderId as string))).toBe(true);
    const acts = await actsOf(started.body.id, orderIds);
    expect(orderIds.filter((orderId) => !inJob.has(orderId) && acts.get(orderId)!.byJob > 0), 'acted on outside its set').toEqual([]);
    const appliedSingles = new Map<string, number>();
    for (const single of singles) if (single.status === 200) appliedSingles.set(single.orderId, (appliedSingles.get(single.orderId) ?? 0) + 1);
    for (const orderId of orderIds) {
      const { byJob, retries } = acts.get(orderId)!;
      expect(byJob, `${orderId}: acts of the job`).toBeLessThanOrEqual(1);
      expect(retries, `${orderId}: every retry is the job's or a 200`).toBe(byJob + (appliedSingles.get(orderId) ?? 0));
    }
    expect([...acts.values()].filter((a) => a.byJob === 1)).toHaveLength(job.applied);
    expect(await runningJobs()).toEqual([]);
    const count = (status: number) => statuses.filter((s) => s === status).length;
    figures.push({
      scenario: 'actions racing a bulk job',
      orders: COUNT,
      faults: singles.length,
      lost: 0,
      doubleActs: 0,
      jobsLeftRunning: 0,
      line: `actions racing a bulk job: ${COUNT} stuck sagas, ${singles.length} single retries (${count(200)} × 200, ${count(409)} × 409, 0 × 5xx), job over ${job.total} applied ${job.applied} refused ${job.refused}, 0 double acts`,
    });
  });
});

describe('afterwards', () => {
  it('compensates every saga, with balanced books and no effect applied twice', async () => {
    const ids = [...everyOrder.keys()];
    await until('every saga to be parked', async () => (await system.api('/api/overview')).body.byStatus.running === 0, 30_000);
    const started = await system.api('/api/bulk', { body: { action: 'compensate', filter: { status: 'stuck' }, reason: 'end of the run' }, headers: ops });
    expect(started.status).toBe(202);
    const job = await finishedJob(started.body.id);
    expect(job).toMatchObject({ state: 'completed', total: ids.length, applied: ids.length });
    // A compensation step is held to the same 300 ms timeout: on a loaded host some of 330 at
    // once park again in `stuck`, and an operator retries them, as they would on any day.
    let secondPasses = 0;
    for (let pass = 0; ; pass++) {
      await until('every compensation to settle', async () => (await system.api('/api/overview')).body.byStatus.running === 0, 60_000);
      const overview = (await system.api('/api/overview')).body;
      if (overview.byStatus.cancelled === ids.length || pass === 3) break;
      const retried = await system.api('/api/bulk', { body: { action: 'retry', filter: { status: 'stuck' }, reason: 'compensation timed out under load' }, headers: ops });
      expect(retried.status).toBe(202);
      secondPasses += (await finishedJob(retried.body.id)).applied;
    }
    const left = (await call(reader(), '/api/orders?status=stuck&limit=5')).body.items.map((item: { orderId: string; state: string }) => item.orderId);
    expect(left, 'sagas still stuck after the compensation and three retries').toEqual([]);
    expect((await system.api('/api/overview')).body.byStatus.cancelled).toBe(ids.length);
    const nc = await system.connection();
    expect(await findDoubleEffects(nc, new Set(ids))).toEqual([]);
    const books = await checkBooks(nc, ids.map((orderId) => ({ orderId, status: 'cancelled', totalCents: everyOrder.get(orderId)! })));
    expect(books.problems).toEqual([]);
    expect(books.totals.refunded).toBe(books.totals.charged);
    figures.push({
      scenario: 'afterwards: compensate all',
      orders: ids.length,
      faults: 0,
      lost: 0,
      doubleActs: 0,
      jobsLeftRunning: 0,
      line: `afterwards: ${ids.length} orders compensated (${secondPasses} compensations retried after a timeout), lost 0, double effects 0, books balance (charged ${books.totals.charged} = refunded ${books.totals.refunded})`,
    });
  });
});
