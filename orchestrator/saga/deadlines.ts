/**
 * Durable step timeouts. A deadline lives in the saga's entry (so it survives restarts);
 * this scheduler only keeps a min-heap of them, fed by the catalog, and when one passes it
 * applies STEP_TIMED_OUT through the runtime. The event id is derived from the command id,
 * so however many instances fire it, the saga applies it once.
 *
 * A deadline is a duration, run on this process's monotonic clock from when the write that set
 * it was stored (the catalog tells, from the server's timestamp: server-clock.ts). No wall clock
 * takes part, so instances whose clocks disagree, or a clock that steps, fire it at the same
 * moment; and a restart does not grant a pending step a fresh timeout.
 *
 * A deadline that passes times the step out only if the step itself is late: while its command
 * still waits for a worker, or a reply stored in time is not read yet, it waits; a command that
 * reached a worker only after the deadline gets its own timeout from then (deadline-verdict.ts).
 */
import type { Logger } from '../../lib/logger.ts';
import { STEPS, type Service, type StepName } from '../../machines/index.ts';
import { judgeDeadline, marksAt, type DeadlineMarks } from './deadline-verdict.ts';
import type { QueueSnapshot } from './queue-progress.ts';
import type { SagaCatalog, SagaSummary } from './catalog.ts';
import { timeoutEventId } from './entry.ts';
import type { SagaRuntime } from './runtime.ts';
import { monotonicNow } from './server-clock.ts';

interface Timer {
  /** When it is due, on the local monotonic clock. */
  at: number;
  orderId: string;
  commandId: string;
  /** The entry's own `deadline.at`: which arming of the command this is (a resume arms the same command again). */
  armedAs: number;
  timeoutMs: number;
  /** Who performs the step (unknown for deadlines armed without a pending step). */
  service?: Service;
  /** The command's place in its stream, as bounded when the deadline first fell due. */
  commandsSeq?: number;
  /** What the queues held when this deadline fell due; set while it waits. */
  marks?: DeadlineMarks;
}

/** Where a deadline learns what waits in the queues; without one, deadlines fire when due. */
export interface QueueWatch {
  snapshot(): Promise<QueueSnapshot>;
}

const WAIT_RECHECK_MS = 250;

export class DeadlineScheduler {
  private readonly heap: Timer[] = [];
  /**
   * The timer of the deadline each saga has now; heap items that are not it are stale and
   * skipped. The timer itself, not its command id: a saga deleted and created again has the
   * same first command id, and its old timer must not fire it.
   */
  private readonly current = new Map<string, Timer>();
  private readonly firing = new Set<string>();
  private interval: NodeJS.Timeout | undefined;

  /**
   * `fallbackTimeoutMs`: for deadlines stored before they carried their duration.
   * `now`: the local monotonic clock the write times are on.
   */
  constructor(
    private readonly runtime: Pick<SagaRuntime, 'apply'>,
    private readonly logger: Logger,
    private readonly fallbackTimeoutMs: number,
    private readonly tickMs = 100,
    private readonly now: () => number = monotonicNow,
    private readonly queues?: QueueWatch,
    private readonly repliesWaitCapMs = 60_000,
  ) {}

  attach(catalog: SagaCatalog): void {
    for (const summary of catalog.unfinished()) this.track(summary, catalog.writtenAtOf(summary.orderId) ?? this.now());
    catalog.onChange((summary, writtenAt) => this.track(summary, writtenAt));
    catalog.onRemove((orderId) => this.current.delete(orderId));
  }

  /**
   * Arm the saga's deadline, if it has a new one: due `timeoutMs` after `writtenAt` (on the
   * local monotonic clock). Later writes that keep the same deadline do not move it; a new
   * command, or the same one armed again (a resume), does, whether or not the writes between
   * (the pause) were seen here.
   */
  track(summary: SagaSummary, writtenAt: number): void {
    const deadline = summary.deadline;
    if (!deadline) {
      this.current.delete(summary.orderId);
      return;
    }
    const current = this.current.get(summary.orderId);
    if (current?.commandId === deadline.commandId && current.armedAs === deadline.at) return;
    const timeoutMs = deadline.timeoutMs ?? this.fallbackTimeoutMs;
    const step = summary.pending?.commandId === deadline.commandId ? (summary.pending.step as StepName) : undefined;
    const service = step && Object.hasOwn(STEPS, step) ? STEPS[step].service : undefined;
    const timer: Timer = { at: writtenAt + timeoutMs, orderId: summary.orderId, commandId: deadline.commandId, armedAs: deadline.at, timeoutMs, ...(service ? { service } : {}) };
    this.current.set(summary.orderId, timer);
    this.push(timer);
    // Most timers go stale long before they are due (the reply came): drop them in bulk, so the
    // heap holds about the deadlines armed now, not every step of the last STEP_TIMEOUT_MS.
    if (this.heap.length > 2 * this.current.size + 1024) this.dropStale();
  }

  private dropStale(): void {
    const live = this.heap.filter((timer) => this.isCurrent(timer));
    this.heap.length = 0;
    for (const timer of live) this.push(timer);
  }

  start(): void {
    this.interval = setInterval(() => this.fireDue(this.now()), this.tickMs);
    this.interval.unref();
  }

  stop(): void {
    clearInterval(this.interval);
  }

  /** Fire every deadline due by `now` (local monotonic ms); the interval calls it every tick. */
  fireDue(now: number): void {
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const timer = this.pop()!;
      if (!this.isCurrent(timer) || this.firing.has(timer.commandId)) continue;
      this.firing.add(timer.commandId);
      void this.fire(timer).finally(() => this.firing.delete(timer.commandId));
    }
  }

  private async fire(timer: Timer): Promise<void> {
    try {
      if (await this.onlyQueued(timer)) return;
      const outcome = await this.runtime.apply(
        timer.orderId,
        { type: 'STEP_TIMED_OUT', commandId: timer.commandId },
        timeoutEventId(timer.commandId),
      );
      if (outcome.kind === 'applied') this.logger.warn({ orderId: timer.orderId, commandId: timer.commandId }, 'step timed out');
    } catch (error) {
      // NATS may be down: try again shortly; the deadline stays in the entry meanwhile.
      this.logger.warn({ err: error, orderId: timer.orderId }, 'could not fire a step deadline; will retry');
      if (!this.isCurrent(timer)) return;
      this.rearm({ ...timer, at: this.now() + 1000 });
    }
  }

  /** True when the step only waited in a queue: the deadline is armed again instead of fired. */
  private async onlyQueued(timer: Timer): Promise<boolean> {
    if (!this.queues || !timer.service) return false;
    const snapshot = await this.queues.snapshot();
    const now = this.now();
    const commandsSeq = timer.commandsSeq ?? snapshot.commandsLastSeq;
    const marks = timer.marks ?? { ...marksAt(snapshot, timer.service, now), commandsSeq };
    const verdict = judgeDeadline(marks, snapshot, timer.service, now, { stalledQueueMs: timer.timeoutMs, repliesWaitCapMs: this.repliesWaitCapMs });
    if (verdict.kind === 'fire') return false;
    if (!this.isCurrent(timer)) return true;
    if (verdict.kind === 'wait') {
      this.rearm({ ...timer, at: now + WAIT_RECHECK_MS, commandsSeq, marks });
    } else {
      this.logger.info({ orderId: timer.orderId, commandId: timer.commandId, waitedMs: Math.round(now - marks.dueSince) }, 'step command reached a worker after its deadline: its own timeout starts now');
      const { marks: _done, ...rest } = timer;
      this.rearm({ ...rest, at: now + timer.timeoutMs, commandsSeq });
    }
    return true;
  }

  private rearm(timer: Timer): void {
    this.current.set(timer.orderId, timer);
    this.push(timer);
  }

  private isCurrent(timer: Timer): boolean {
    return this.current.get(timer.orderId) === timer;
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && heap[left]!.at < heap[smallest]!.at) smallest = left;
        if (right < heap.length && heap[right]!.at < heap[smallest]!.at) smallest = right;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}
