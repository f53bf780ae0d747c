/** New sagas start only while fewer than the limit run, counting starts under way. */
import { expect, it } from 'vitest';
import { Admission } from '../../orchestrator/saga/admission.ts';

it('answers how many may start, holds starts while full, and lets them in as sagas finish', async () => {
  let running = 8;
  let starting = 1;
  const admission = new Admission(10, () => running, () => starting, 10_000);
  expect(await admission.waitForRoom()).toBe(1);

  starting = 2;
  let admitted: number | undefined;
  void admission.waitForRoom().then((room) => (admitted = room));
  await Promise.resolve();
  expect(admitted).toBeUndefined();
  expect(admission.queued).toBe(1);

  running = 5;
  admission.changed();
  await Promise.resolve();
  expect(admitted).toBe(3);
  expect(admission.queued).toBe(0);
});

it('looks again by itself: the count also changes through other instances', async () => {
  let running = 3;
  const admission = new Admission(3, () => running, () => 0, 20);
  const waiting = admission.waitForRoom();
  running = 1;
  expect(await waiting).toBe(2);
});
