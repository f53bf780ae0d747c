/**
 * The runtime steps machines with one inert actor scope per machine (machines/pure-steps.ts)
 * instead of XState's `initialTransition`/`transition`, which build a throwaway actor per call.
 * Both must agree on every step: same state, same context, and the same "not accepted"
 * answer (the snapshot object itself comes back), on every machine version.
 */
import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { MACHINES, type OrderSagaMachine } from '../../machines/index.ts';
import { firstSnapshot, nextSnapshot } from '../../machines/pure-steps.ts';
import { mulberry32, observable, ORDER, randomEvent, type Saga } from './order-saga.harness.ts';

const SEQUENCES = 200;
const MAX_LENGTH = 40;

describe.each(Object.entries(MACHINES) as [string, OrderSagaMachine][])('%s', (_version, machine) => {
  it('starts every saga where initialTransition does', () => {
    const input = { order: ORDER, maxAttempts: 3 };
    expect(observable(firstSnapshot(machine, input))).toEqual(observable(initialTransition(machine, input)[0]));
  });

  it(`agrees with transition on ${SEQUENCES} random event sequences`, () => {
    let steps = 0;
    let refused = 0;
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const rand = mulberry32(seed);
      let ours: Saga = firstSnapshot(machine, { order: ORDER, maxAttempts: 1 + (seed % 3) });
      let theirs: Saga = initialTransition(machine, { order: ORDER, maxAttempts: 1 + (seed % 3) })[0];
      for (let i = 0; i < MAX_LENGTH && ours.status === 'active'; i++) {
        const event = randomEvent(rand, ours);
        const nextOurs = nextSnapshot(machine, ours, event);
        const [nextTheirs] = transition(machine, theirs, event);
        expect(observable(nextOurs), `seed ${seed}, step ${i}: ${event.type}`).toEqual(observable(nextTheirs));
        expect(nextOurs === ours, `seed ${seed}, step ${i}: ${event.type} accepted by one only`).toBe(nextTheirs === theirs);
        if (nextOurs === ours) refused++;
        ours = nextOurs;
        theirs = nextTheirs;
        steps++;
      }
    }
    // The walks must cover both accepted and refused events to mean anything.
    expect(steps).toBeGreaterThan(SEQUENCES * 5);
    expect(refused).toBeGreaterThan(SEQUENCES);
  });
});
