/**
 * How fast sagas start and finish as this instance sees them, and how long the work in front of
 * them takes to clear at that pace: what tells an operator in a spike that it is volume, not a fault.
 */
import type { Load } from '../../api/contract.ts';
import { isFinished, SERVICES, type Service } from '../../machines/index.ts';
import type { ConsumerProgress, QueueSnapshot } from './queue-progress.ts';
import { monotonicNow } from './server-clock.ts';
import type { SagaSummary } from './summary.ts';

/**
 * Events per second over a sliding window, kept in one-second buckets so memory stays fixed at
 * any rate; the bucket the window's start cuts through counts for the part of it inside.
 */
export class SlidingRate {
  private static readonly BUCKET_MS = 1000;
  private readonly counts: number[];
  /** Which second each slot counts now; a slot holding an older second is stale. */
  private readonly seconds: number[];
  private readonly since: number;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = monotonicNow,
  ) {
    const slots = Math.ceil(windowMs / SlidingRate.BUCKET_MS) + 1;
    this.counts = new Array<number>(slots).fill(0);
    this.seconds = new Array<number>(slots).fill(-Infinity);
    this.since = now();
  }

  add(): void {
    const second = Math.floor(this.now() / SlidingRate.BUCKET_MS);
    const slot = second % this.counts.length;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot]!++;
  }

  /** Over the window, or since this started when that is shorter (so a fresh start does not read low). */
  perSecond(): number {
    const bucketMs = SlidingRate.BUCKET_MS;
    const now = this.now();
    const windowStart = now - this.windowMs;
    let total = 0;
    for (let slot = 0; slot < this.counts.length; slot++) {
      const bucketStart = this.seconds[slot]! * bucketMs;
      if (bucketStart + bucketMs <= windowStart || bucketStart > now) continue;
      const inside = bucketStart >= windowStart ? 1 : (bucketStart + bucketMs - windowStart) / bucketMs;
      total += this.counts[slot]! * inside;
    }
    const spanMs = now - Math.max(windowStart, this.since);
    return total / (Math.max(bucketMs, spanMs) / 1000);
  }
}

/** The part of the saga catalog the meter follows. */
export interface SagaFeed {
  onChange(listener: (summary: Pick<SagaSummary, 'orderId' | 'status'>) => void): unknown;
  onRemove(listener: (orderId: string) => void): void;
  unfinished(): Iterable<Pick<SagaSummary, 'orderId' | 'status'>>;
}

export interface SagaRates {
  startedPerSecond: number;
  finishedPerSecond: number;
}

export class LoadMeter {
  /** Sagas seen running or stuck: only these can finish, so a later write to a finished saga never counts again. */
  private readonly active = new Set<string>();
  private readonly started: SlidingRate;
  private readonly finished: SlidingRate;

  constructor(windowMs = 60_000, now: () => number = monotonicNow) {
    this.started = new SlidingRate(windowMs, now);
    this.finished = new SlidingRate(windowMs, now);
  }

  /** Follow the catalog from now on; attach once it is ready, so its catch-up of stored sagas is not taken for traffic. */
  attach(feed: SagaFeed): void {
    for (const summary of feed.unfinished()) if (!isFinished(summary.status)) this.active.add(summary.orderId);
    feed.onChange((summary) => this.observe(summary));
    feed.onRemove((orderId) => this.active.delete(orderId));
  }

  /** A saga's latest status: one not yet seen active that runs has started; one seen active that reached a final status has finished. */
  observe({ orderId, status }: Pick<SagaSummary, 'orderId' | 'status'>): void {
    if (isFinished(status)) {
      if (this.active.delete(orderId)) this.finished.add();
    } else if (!this.active.has(orderId)) {
      this.active.add(orderId);
      this.started.add();
    }
  }

  rates(): SagaRates {
    return { startedPerSecond: this.started.perSecond(), finishedPerSecond: this.finished.perSecond() };
  }
}

/** Seconds until what waits and what runs now is done at the current pace; null while nothing finishes. */
export function clearsInSeconds(waiting: number, running: number, finishedPerSecond: number): number | null {
  return finishedPerSecond > 0 ? (waiting + running) / finishedPerSecond : null;
}

const waitingIn = (progress: ConsumerProgress): number => progress.pending + progress.ackPending;

/** Rates to the hundredth: enough to tell a trickle from nothing, without noise in the JSON. */
const hundredths = (value: number): number => Math.round(value * 100) / 100;

/** The overview's `load`, from what the queues hold, what runs now and the pace seen here. */
export function loadOf(queues: QueueSnapshot, running: number, maxActive: number, rates: SagaRates, sampledAt: Date): Load {
  const submissionsWaiting = waitingIn(queues.submissions);
  const clearsIn = clearsInSeconds(submissionsWaiting, running, rates.finishedPerSecond);
  return {
    submissionsWaiting,
    repliesWaiting: waitingIn(queues.replies),
    commandsWaiting: Object.fromEntries(SERVICES.map((service) => [service, waitingIn(queues.workers[service])])) as Record<Service, number>,
    running,
    maxActive,
    finishedPerSecond: hundredths(rates.finishedPerSecond),
    startedPerSecond: hundredths(rates.startedPerSecond),
    clearsInSeconds: clearsIn === null ? null : Math.ceil(clearsIn),
    sampledAt: sampledAt.toISOString(),
  };
}
