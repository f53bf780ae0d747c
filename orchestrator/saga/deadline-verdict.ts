/**
 * Whether a step whose deadline has passed is late itself, or only waited in our queues (DESIGN
 * rule 9: queueing is capacity, not failure; Temporal's schedule-to-start vs start-to-close).
 * Pure: it judges one QueueSnapshot against marks taken when the deadline fell due.
 */
import type { Service } from '../../machines/index.ts';
import type { QueueSnapshot } from './queue-progress.ts';

/** What the queues held when the deadline first fell due. */
export interface DeadlineMarks {
  /** The commands stream's last sequence then: the step's command is at or before it. */
  commandsSeq: number;
  /** The events stream's last sequence then: replies stored by the deadline are at or before it. */
  eventsSeq: number;
  /** When the deadline fell due, on the local monotonic clock. */
  dueSince: number;
  /** The command was seen still waiting for a worker after its deadline. */
  waitedForWorker: boolean;
  /** The worker consumer's last delivered sequence as last seen, and when it last moved. */
  workerDelivered: number;
  workerMovedAt: number;
}

export type DeadlineVerdict =
  /** The step itself is late: time it out. */
  | { kind: 'fire' }
  /** Its command still waits in a queue that moves, or a reply stored in time is not read yet: look again shortly. */
  | { kind: 'wait' }
  /** Its command reached a worker only after the deadline: the step's own time starts now. */
  | { kind: 'restart' };

export const marksAt = (snapshot: QueueSnapshot, service: Service, now: number): DeadlineMarks => ({
  commandsSeq: snapshot.commandsLastSeq,
  eventsSeq: snapshot.eventsLastSeq,
  dueSince: now,
  waitedForWorker: false,
  workerDelivered: snapshot.workers[service].deliveredSeq,
  workerMovedAt: now,
});

/**
 * `stalledQueueMs`: a worker queue that delivers nothing for this long is not busy but unserved
 * (no worker runs): a step waiting in it is lost, and times out (the step's own timeout).
 * `repliesWaitCapMs`: how long past the deadline replies stored in time are waited for; a
 * consumer that never gets there (a message stuck unacknowledged) must not hold a timeout forever.
 */
export function judgeDeadline(
  marks: DeadlineMarks,
  snapshot: QueueSnapshot,
  service: Service,
  now: number,
  limits: { stalledQueueMs: number; repliesWaitCapMs: number },
): DeadlineVerdict {
  const worker = snapshot.workers[service];
  // Deliveries go in stream order: once the worker's consumer delivered past the mark, or has
  // nothing left to deliver, the command has reached a worker.
  const reachedWorker = worker.pending === 0 || worker.deliveredSeq >= marks.commandsSeq;
  if (!reachedWorker) {
    if (worker.deliveredSeq !== marks.workerDelivered) {
      marks.workerDelivered = worker.deliveredSeq;
      marks.workerMovedAt = now;
    }
    if (now - marks.workerMovedAt >= limits.stalledQueueMs) return { kind: 'fire' };
    marks.waitedForWorker = true;
    return { kind: 'wait' };
  }
  if (marks.waitedForWorker) return { kind: 'restart' };
  const replies = snapshot.replies;
  const repliesRead = (replies.pending === 0 && replies.ackPending === 0) || replies.ackFloorSeq >= marks.eventsSeq;
  if (!repliesRead && now - marks.dueSince < limits.repliesWaitCapMs) return { kind: 'wait' };
  return { kind: 'fire' };
}
