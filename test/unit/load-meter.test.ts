/** The load meter on a clock the test moves: rates over a sliding minute, each saga counted once, and the backlog estimate. */
import { describe, expect, it } from 'vitest';
import { clearsInSeconds, LoadMeter, loadOf, SlidingRate, type SagaFeed } from '../../orchestrator/saga/load-meter.ts';
import type { ConsumerProgress, QueueSnapshot } from '../../orchestrator/saga/queue-progress.ts';
import type { SagaStatus } from '../../machines/index.ts';

type Change = { orderId: string; status: SagaStatus };

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** A catalog stand-in: the sagas it holds unfinished, and the hand that pushes changes to its listeners. */
function feed(unfinished: Change[] = []) {
  const changes: ((summary: Change) => void)[] = [];
  const removals: ((orderId: string) => void)[] = [];
  const source: SagaFeed = {
    onChange: (listener) => changes.push(listener),
    onRemove: (listener) => removals.push(listener),
    unfinished: () => unfinished,
  };
  return {
    source,
    change: (orderId: string, status: SagaStatus) => changes.forEach((listener) => listener({ orderId, status })),
    remove: (orderId: string) => removals.forEach((listener) => listener(orderId)),
  };
}

describe('SlidingRate', () => {
  it('counts per second over the window, and forgets what slid out of it', () => {
    const time = clock();
    const rate = new SlidingRate(60_000, time.now);
    time.advance(60_000);
    for (let i = 0; i < 120; i++) rate.add();
    expect(rate.perSecond()).toBeCloseTo(2, 5);
    time.advance(30_000);
    for (let i = 0; i < 60; i++) rate.add();
    expect(rate.perSecond()).toBeCloseTo(3, 1);
    time.advance(45_000);
    // The first burst slid out; the second is still in.
    expect(rate.perSecond()).toBeCloseTo(1, 1);
    time.advance(60_000);
    expect(rate.perSecond()).toBe(0);
  });

  it('reads a steady pace as that pace at any moment, between bucket edges too', () => {
    const time = clock();
    const rate = new SlidingRate(60_000, time.now);
    for (let tick = 0; tick < 1_800; tick++) {
      time.advance(100);
      rate.add();
      if (tick > 700 && tick % 37 === 0) expect(rate.perSecond()).toBeCloseTo(10, 0);
    }
  });

  it('divides by the time it has been watching when that is under the window', () => {
    const time = clock();
    const rate = new SlidingRate(60_000, time.now);
    time.advance(10_000);
    for (let i = 0; i < 50; i++) rate.add();
    expect(rate.perSecond()).toBeCloseTo(5, 5);
  });
});

describe('LoadMeter', () => {
  it('counts a saga started when first seen running, and finished once when it reaches a final status', () => {
    const time = clock();
    const meter = new LoadMeter(60_000, time.now);
    const sagas = feed();
    meter.attach(sagas.source);
    time.advance(60_000);
    for (let i = 0; i < 30; i++) {
      sagas.change(`o${i}`, 'running');
      sagas.change(`o${i}`, 'running');
    }
    for (let i = 0; i < 12; i++) {
      sagas.change(`o${i}`, 'completed');
      // The watch brings the same write back, and a later write lands on the finished saga: neither counts again.
      sagas.change(`o${i}`, 'completed');
      sagas.change(`o${i}`, 'completed');
    }
    sagas.change('o20', 'stuck');
    sagas.change('o20', 'running');
    sagas.change('o20', 'cancelled');
    sagas.change('o21', 'failed');
    expect(meter.rates()).toEqual({ startedPerSecond: 30 / 60, finishedPerSecond: 14 / 60 });
  });

  it('takes the sagas stored before it attached for the state of things, not for traffic', () => {
    const time = clock();
    const meter = new LoadMeter(60_000, time.now);
    const sagas = feed([
      { orderId: 'old-running', status: 'running' },
      { orderId: 'old-stuck', status: 'stuck' },
    ]);
    meter.attach(sagas.source);
    time.advance(60_000);
    sagas.change('old-running', 'running');
    sagas.change('old-finished', 'completed');
    expect(meter.rates()).toEqual({ startedPerSecond: 0, finishedPerSecond: 0 });
    sagas.change('old-running', 'completed');
    sagas.change('old-stuck', 'cancelled');
    expect(meter.rates()).toEqual({ startedPerSecond: 0, finishedPerSecond: 2 / 60 });
  });

  it('forgets a saga whose entry was removed', () => {
    const time = clock();
    const meter = new LoadMeter(60_000, time.now);
    const sagas = feed();
    meter.attach(sagas.source);
    time.advance(60_000);
    sagas.change('gone', 'running');
    sagas.remove('gone');
    sagas.change('gone', 'completed');
    expect(meter.rates().finishedPerSecond).toBe(0);
  });
});

describe('the backlog estimate', () => {
  it('is what waits and runs over the pace of finishing, and null while nothing finishes', () => {
    expect(clearsInSeconds(12_400, 2_000, 480)).toBeCloseTo(30, 5);
    expect(clearsInSeconds(0, 0, 5)).toBe(0);
    expect(clearsInSeconds(100, 10, 0)).toBeNull();
  });

  it('builds the overview load from the queues, the running count and the rates', () => {
    const progress = (pending: number, ackPending: number): ConsumerProgress => ({ pending, ackPending, deliveredSeq: 0, ackFloorSeq: 0 });
    const queues: QueueSnapshot = {
      at: 0,
      eventsLastSeq: 0,
      commandsLastSeq: 0,
      submissions: progress(12_000, 400),
      replies: progress(3, 2),
      workers: { inventory: progress(10, 1), payment: progress(0, 4), shipping: progress(0, 0) },
    };
    const sampledAt = new Date('2025-11-28T09:00:00.000Z');
    expect(loadOf(queues, 2_000, 2_000, { startedPerSecond: 481.234, finishedPerSecond: 480 }, sampledAt)).toEqual({
      submissionsWaiting: 12_400,
      repliesWaiting: 5,
      commandsWaiting: { inventory: 11, payment: 4, shipping: 0 },
      running: 2_000,
      maxActive: 2_000,
      finishedPerSecond: 480,
      startedPerSecond: 481.23,
      clearsInSeconds: 30,
      sampledAt: '2025-11-28T09:00:00.000Z',
    });
    expect(loadOf(queues, 2_000, 2_000, { startedPerSecond: 0, finishedPerSecond: 0 }, sampledAt).clearsInSeconds).toBeNull();
  });
});
