/** A passed deadline judged against what JetStream says waits in the queues (DESIGN rule 9). */
import { describe, expect, it } from 'vitest';
import { judgeDeadline, marksAt } from '../../orchestrator/saga/deadline-verdict.ts';
import type { ConsumerProgress, QueueSnapshot } from '../../orchestrator/saga/queue-progress.ts';

const idle: ConsumerProgress = { pending: 0, ackPending: 0, deliveredSeq: 0, ackFloorSeq: 0 };

function snapshot(change: Partial<QueueSnapshot> & { shipping?: Partial<ConsumerProgress> } = {}): QueueSnapshot {
  const { shipping, ...rest } = change;
  return {
    at: 0,
    eventsLastSeq: 500,
    commandsLastSeq: 300,
    replies: idle,
    submissions: idle,
    workers: { inventory: idle, payment: idle, shipping: { ...idle, deliveredSeq: 300, ...shipping } },
    ...rest,
  };
}

const LIMITS = { stalledQueueMs: 30_000, repliesWaitCapMs: 60_000 };

describe('a step whose deadline passed', () => {
  it('is timed out when its command reached the worker and every reply stored by then was read', () => {
    const now = snapshot();
    expect(judgeDeadline(marksAt(now, 'shipping', 1_000), now, 'shipping', 1_000, LIMITS)).toEqual({ kind: 'fire' });
  });

  it('waits while its command is still queued for a worker, then gets its own timeout once a worker takes it', () => {
    const queued = snapshot({ shipping: { pending: 4_000, deliveredSeq: 120 } });
    const marks = marksAt(queued, 'shipping', 1_000);
    expect(judgeDeadline(marks, queued, 'shipping', 1_000, LIMITS)).toEqual({ kind: 'wait' });
    // Newer commands keep arriving: the mark stays where the command was.
    const stillQueued = snapshot({ commandsLastSeq: 900, shipping: { pending: 2_000, deliveredSeq: 299 } });
    expect(judgeDeadline(marks, stillQueued, 'shipping', 9_000, LIMITS)).toEqual({ kind: 'wait' });
    const takenNow = snapshot({ commandsLastSeq: 1_200, shipping: { pending: 800, deliveredSeq: 300 } });
    expect(judgeDeadline(marks, takenNow, 'shipping', 10_000, LIMITS)).toEqual({ kind: 'restart' });
  });

  it('times out once its queue has delivered nothing for a whole step timeout: no worker takes commands', () => {
    const queued = snapshot({ shipping: { pending: 12, deliveredSeq: 120 } });
    const marks = marksAt(queued, 'shipping', 1_000);
    expect(judgeDeadline(marks, queued, 'shipping', 1_000, LIMITS)).toEqual({ kind: 'wait' });
    expect(judgeDeadline(marks, queued, 'shipping', 1_000 + LIMITS.stalledQueueMs - 1, LIMITS)).toEqual({ kind: 'wait' });
    // It moved once: the wait starts over from then.
    const moved = snapshot({ shipping: { pending: 11, deliveredSeq: 121 } });
    expect(judgeDeadline(marks, moved, 'shipping', 20_000, LIMITS)).toEqual({ kind: 'wait' });
    expect(judgeDeadline(marks, moved, 'shipping', 20_000 + LIMITS.stalledQueueMs, LIMITS)).toEqual({ kind: 'fire' });
  });

  it("is not held up by another service's queue", () => {
    const now = snapshot({ workers: { inventory: { ...idle, pending: 9_000 }, payment: idle, shipping: { ...idle, deliveredSeq: 300 } } });
    expect(judgeDeadline(marksAt(now, 'shipping', 0), now, 'shipping', 0, LIMITS)).toEqual({ kind: 'fire' });
  });

  it('waits for replies stored before the deadline that are not read yet, and no longer than the cap', () => {
    const behind = snapshot({ replies: { pending: 700, ackPending: 64, deliveredSeq: 410, ackFloorSeq: 380 } });
    const marks = marksAt(behind, 'shipping', 1_000);
    expect(judgeDeadline(marks, behind, 'shipping', 1_000, LIMITS)).toEqual({ kind: 'wait' });
    const readUpToMark = snapshot({ eventsLastSeq: 800, replies: { pending: 200, ackPending: 10, deliveredSeq: 700, ackFloorSeq: 500 } });
    expect(judgeDeadline(marks, readUpToMark, 'shipping', 2_000, LIMITS)).toEqual({ kind: 'fire' });
    expect(judgeDeadline(marks, behind, 'shipping', 1_000 + LIMITS.repliesWaitCapMs, LIMITS)).toEqual({ kind: 'fire' });
  });
});
