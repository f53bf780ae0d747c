/**
 * Bench case: a burst far above capacity (issue 16). BENCH_BURST_ORDERS orders, each with an
 * Idempotency-Key, are POSTed by 64 concurrent clients as fast as the API takes them, on the
 * services' own defaults (as `npm start` runs them, worker pool of 64); then the case waits until
 * every accepted order has left `running`, as GET /api/overview counts them. It reports how fast
 * the API took the burst, how fast the system drained it, how the sagas ended, and how many step
 * timeouts and retries the orchestrator counted. Happy orders first, then a share declined.
 */
import { FINISHED_STATUSES, type SagaStatus } from '../machines/index.ts';
import { settle, startBenchSystem, warmUp, type BenchSystem } from './bench-system.ts';
import { closedLoop, happyOrders, withDeclines, type OrderMix } from './load.ts';
import { counterTotals, overview } from './orchestrator-readings.ts';
import { percentile, type CaseResult, type Progress, type Results } from './report.ts';
import { envNumber } from './settings.ts';
import { runWindowed } from './window.ts';

const CLIENTS = 64;
/** Every status, in the order the report lists them. */
const STATUSES = [...FINISHED_STATUSES, 'stuck', 'running'] as const satisfies readonly SagaStatus[];
const COUNTERS = ['saga_step_timeouts_total', 'saga_step_retries_total'] as const;
/** A client retries a refused or unanswered POST (same key, so it is safe) this often before the case gives up. */
const SUBMIT_TRIES = 30;
const RETRY_AFTER_MS = 200;
const POLL_MS = 250;
/** The wait ends early when no saga leaves `running` for this long: what is left is reported, not waited for. */
const STALL_MS = 120_000;

type StatusCounts = Record<(typeof STATUSES)[number], number>;

async function statusCounts(baseUrl: string): Promise<StatusCounts> {
  const { byStatus } = await overview(baseUrl);
  return Object.fromEntries(STATUSES.map((status) => [status, byStatus[status] ?? 0])) as StatusCounts;
}

const sum = (counts: StatusCounts, statuses: readonly (keyof StatusCounts)[]) => statuses.reduce((total, status) => total + counts[status], 0);

interface Submission {
  accepted: number;
  acceptedPerSec: number;
  acceptMs: number[];
  /** Answers other than 202 (or connection errors) that clients retried, by status or error code. */
  refusals: Record<string, number>;
}

/** 64 clients, each sending its next order once the last one is answered; a refusal is retried with the same key. */
async function submitBurst(bench: BenchSystem, label: string, orders: number, mix: OrderMix): Promise<Submission> {
  const acceptMs: number[] = [];
  const refusals: Record<string, number> = {};
  const submitOne = async (n: number) => {
    const sentAt = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await bench.submitter.submit(mix(n), `burst-${label}-${n}`);
        acceptMs.push(performance.now() - sentAt);
        return;
      } catch (error) {
        const reason = (error instanceof Error && /answered (\d+)/.exec(error.message)?.[1]) || (error as NodeJS.ErrnoException).code || 'error';
        refusals[reason] = (refusals[reason] ?? 0) + 1;
        if (attempt === SUBMIT_TRIES) throw error;
        await settle(RETRY_AFTER_MS);
      }
    }
  };
  const run = await runWindowed({ window: CLIENTS, count: orders }, submitOne);
  return { accepted: acceptMs.length, acceptedPerSec: run.perSec, acceptMs, refusals };
}

interface Drain {
  /** Sagas of the burst by status when the wait ended (`running` left over, if it gave up). */
  ended: StatusCounts;
  /** Accepted orders with no saga seen at the end: still waiting in the submissions stream. */
  notStarted: number;
  /** Sagas that reached a final status, a second, from the first POST to the last one final. */
  drainPerSec: number;
  drainSeconds: number;
  mostRunning: number;
}

/** Polls the overview until every accepted order has left `running`, or nothing moves for STALL_MS, or the bound passes. */
async function waitForDrain(bench: BenchSystem, label: string, accepted: number, before: StatusCounts, startedAt: number, progress: Progress): Promise<Drain> {
  const deadline = performance.now() + envNumber('BENCH_BURST_DRAIN_SECONDS', 1800) * 1000;
  const delta = (now: StatusCounts) => Object.fromEntries(STATUSES.map((s) => [s, now[s] - before[s]])) as StatusCounts;
  let ended = delta(await statusCounts(bench.system.baseUrl));
  let lastFinalAt = performance.now();
  let lastMoveAt = lastFinalAt;
  let lastProgressAt = 0;
  let mostRunning = 0;
  for (;;) {
    const left = sum(ended, [...FINISHED_STATUSES, 'stuck']);
    if (left >= accepted) break;
    if (performance.now() - lastMoveAt > STALL_MS || performance.now() > deadline) {
      progress(`burst ${label}: gave up waiting with ${accepted - left} of ${accepted} orders not finished`);
      break;
    }
    await settle(POLL_MS);
    const now = delta(await statusCounts(bench.system.baseUrl));
    if (sum(now, FINISHED_STATUSES) > sum(ended, FINISHED_STATUSES)) lastFinalAt = performance.now();
    if (sum(now, [...FINISHED_STATUSES, 'stuck']) > left) lastMoveAt = performance.now();
    mostRunning = Math.max(mostRunning, now.running);
    ended = now;
    if (performance.now() - lastProgressAt >= 2000) {
      lastProgressAt = performance.now();
      progress(`burst ${label}: ${sum(now, FINISHED_STATUSES)} final, ${now.stuck} stuck, ${now.running} running, of ${accepted} accepted`);
    }
  }
  const drainSeconds = (lastFinalAt - startedAt) / 1000;
  return { ended, notStarted: Math.max(0, accepted - sum(ended, STATUSES)), drainPerSec: Math.round(sum(ended, FINISHED_STATUSES) / drainSeconds), drainSeconds, mostRunning };
}

interface BurstResult extends Submission, Drain {
  stepTimeouts: number;
  retries: number;
  /** The closed loop's sagas/s on the same system right after the drain: the reference that met the same host load. */
  referencePerSec: number;
}

async function burst(label: string, orders: number, mix: OrderMix, progress: Progress): Promise<BurstResult> {
  const bench = await startBenchSystem({ profile: 'service' });
  try {
    await warmUp(bench, progress, mix);
    const before = await statusCounts(bench.system.baseUrl);
    const countersBefore = await counterTotals(bench.system.baseUrl, COUNTERS);
    const startedAt = performance.now();
    const submission = await submitBurst(bench, label, orders, mix);
    progress(`burst ${label}: ${submission.accepted} accepted at ${submission.acceptedPerSec}/s`);
    const drain = await waitForDrain(bench, label, submission.accepted, before, startedAt, progress);
    const countersAfter = await counterTotals(bench.system.baseUrl, COUNTERS);
    await settle();
    const reference = await closedLoop(bench, { label: `burst ${label}: closed-loop reference`, orders: envNumber('BENCH_BURST_REFERENCE_ORDERS', 10_000), mix, firstIndex: 50_000_000, progress });
    return {
      ...submission,
      ...drain,
      referencePerSec: Math.round(reference.sagasPerSec),
      stepTimeouts: countersAfter.saga_step_timeouts_total - countersBefore.saga_step_timeouts_total,
      retries: countersAfter.saga_step_retries_total - countersBefore.saga_step_retries_total,
    };
  } finally {
    await bench.stop();
  }
}

const endedText = (r: BurstResult) =>
  [...STATUSES.map((s) => `${r.ended[s]} ${s}`), ...(r.notStarted > 0 ? [`${r.notStarted} not started`] : [])].join(', ');

function rowsOf(label: string, r: BurstResult, closedLoop: number | undefined): [string, string][] {
  const refusals = Object.entries(r.refusals).map(([reason, count]) => `${count} × ${reason}`);
  return [
    [`${label}: accepted/s while submitting (POST→202 p50 / p99)`, `${r.acceptedPerSec} (${Math.round(percentile(r.acceptMs, 50))} / ${Math.round(percentile(r.acceptMs, 99))} ms)`],
    ...(refusals.length > 0 ? ([[`${label}: refused and retried`, refusals.join(', ')]] as [string, string][]) : []),
    [`${label}: drain, final sagas/s from first POST to last final`, `${r.drainPerSec} (${r.drainSeconds.toFixed(1)} s; at most ${r.mostRunning} running at once)`],
    [`${label}: drain ÷ the closed loop on the same system right after (${r.referencePerSec}/s)`, `${Math.round((r.drainPerSec / r.referencePerSec) * 100)}%`],
    ...(closedLoop ? ([[`${label}: drain ÷ the throughput case's closed loop earlier in the run (${closedLoop}/s)`, `${Math.round((r.drainPerSec / closedLoop) * 100)}%`]] as [string, string][]) : []),
    [`${label}: how the sagas ended`, endedText(r)],
    [`${label}: step timeouts / retries (orchestrator's counters)`, `${r.stepTimeouts} / ${r.retries}`],
  ];
}

function jsonOf(prefix: string, r: BurstResult, closedLoop: number | undefined): Record<string, number> {
  return {
    [`${prefix}AcceptedPerSec`]: r.acceptedPerSec,
    [`${prefix}AcceptP99Ms`]: Math.round(percentile(r.acceptMs, 99)),
    [`${prefix}DrainPerSec`]: r.drainPerSec,
    [`${prefix}ReferencePerSec`]: r.referencePerSec,
    [`${prefix}DrainToReference`]: Math.round((r.drainPerSec / r.referencePerSec) * 100) / 100,
    ...(closedLoop ? { [`${prefix}DrainToClosedLoop`]: Math.round((r.drainPerSec / closedLoop) * 100) / 100 } : {}),
    ...Object.fromEntries(STATUSES.map((s) => [`${prefix}${s[0]!.toUpperCase()}${s.slice(1)}`, r.ended[s]])),
    [`${prefix}NotStarted`]: r.notStarted,
    [`${prefix}StepTimeouts`]: r.stepTimeouts,
    [`${prefix}Retries`]: r.retries,
  };
}

export async function burstCase(progress: Progress, earlier: Results): Promise<CaseResult> {
  const orders = envNumber('BENCH_BURST_ORDERS', 20_000);
  const declinedShare = envNumber('BENCH_BURST_DECLINED_SHARE', 0.1);
  const every = Math.max(1, Math.round(1 / declinedShare));
  const closedLoop = Number(earlier.sagasPerSec) || undefined;
  const happy = await burst('happy', orders, happyOrders, progress);
  const declined = await burst('declined', orders, withDeclines(every), progress);
  const declinedLabel = `1 in ${every} declined`;
  return {
    name: 'burst',
    rows: [
      ['orders per burst, clients', `${orders}, ${CLIENTS} (services' default configuration, WORKER_POOL_SIZE=64)`],
      ...rowsOf('happy', happy, closedLoop),
      ...rowsOf(declinedLabel, declined, closedLoop),
    ],
    json: { burstOrders: orders, ...jsonOf('burst', happy, closedLoop), ...jsonOf('burstDeclined', declined, closedLoop) },
  };
}
