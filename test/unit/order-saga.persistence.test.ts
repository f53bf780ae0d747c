/**
 * A saga stored as JSON and restored (getPersistedSnapshot → JSON → resolveState) must be the same
 * saga: same state, context, status and offered actions, and it must continue exactly like the
 * saga that was never stored.
 */
import { describe, expect, it } from 'vitest';
import { allowedActions, orderSagaV1, statusOf } from '../../machines/index.ts';
import {
  ALL_EVENT_TYPES,
  eventOf,
  issuedCommandIds,
  mulberry32,
  observable,
  operatorRetries,
  randomEvent,
  SCENARIOS,
  send,
  stateOf,
  workerSucceeds,
} from './order-saga.harness.ts';
import type { Saga } from './order-saga.harness.ts';

/** What the store keeps, as it comes back from the store. */
function storeAndLoad(saga: Saga): Saga {
  const stored = JSON.stringify(orderSagaV1.getPersistedSnapshot(saga));
  const { value, context } = JSON.parse(stored) as { value: Saga['value']; context: Saga['context'] };
  return orderSagaV1.resolveState({ value, context });
}

function expectSameSaga(restored: Saga, original: Saga) {
  expect(observable(restored)).toEqual(observable(original));
  expect(allowedActions(restored)).toEqual(allowedActions(original));
  expect(statusOf(stateOf(restored))).toBe(statusOf(stateOf(original)));
}

/** Drive a saga to its end the friendly way: workers succeed, operators retry. */
function driveToEnd(saga: Saga): Saga[] {
  const trail: Saga[] = [];
  let current = saga;
  for (let i = 0; i < 20 && current.status === 'active'; i++) {
    current = stateOf(current) === 'stuck' ? operatorRetries(current) : workerSucceeds(current);
    trail.push(current);
  }
  return trail;
}

describe.each(SCENARIOS)('$name', (scenario) => {
  const original = scenario.reach();
  const restored = storeAndLoad(original);

  it('restores to the same saga', () => {
    expectSameSaga(restored, original);
  });

  it('answers every event exactly like the original', () => {
    const commandIds = [...new Set([...issuedCommandIds(original), 'some-other-order:reserveInventory:1'])];
    for (const type of ALL_EVENT_TYPES) {
      for (const commandId of commandIds) {
        const event = eventOf(type, commandId);
        expectSameSaga(send(restored, event), send(original, event));
      }
    }
  });

  it('runs to the same end', () => {
    const fromOriginal = driveToEnd(original);
    const fromRestored = driveToEnd(restored);
    expect(fromRestored.map(observable)).toEqual(fromOriginal.map(observable));
    const end = fromOriginal.at(-1) ?? original;
    expect(['completed', 'cancelled', 'failed']).toContain(stateOf(end));
  });

  it('follows the same random continuation, stored and reloaded after every event', () => {
    const rand = mulberry32(0x5a6a + scenario.name.length);
    let direct = original;
    let reloaded = restored;
    for (let i = 0; i < 40; i++) {
      const event = randomEvent(rand, direct);
      direct = send(direct, event);
      reloaded = storeAndLoad(send(reloaded, event));
      expectSameSaga(reloaded, direct);
    }
  });
});
