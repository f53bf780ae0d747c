/**
 * The saga machines' pure steps, without XState's per-call actor: `transition` and
 * `initialTransition` build a throwaway actor on every call just to get an actor scope (the
 * dearest part of a step, bench/RESULTS.md). Our machines only assign context (no children, no
 * side-effect actions), so one inert scope per machine gives the same result
 * (test/unit/pure-steps.test.ts compares the two). The scope's shape is XState's internal
 * `AnyActorScope`: xstate is pinned to an exact version in package.json for it.
 */
import { createActor, type AnyActorScope } from 'xstate';
import type { OrderSagaMachine } from './index.ts';
import type { OrderSagaSnapshot } from './order-saga/status.ts';
import type { SagaEvent, SagaInput } from './order-saga/types.ts';

const scopes = new WeakMap<OrderSagaMachine, AnyActorScope>();

function scopeOf(machine: OrderSagaMachine): AnyActorScope {
  let scope = scopes.get(machine);
  if (!scope) {
    const self = createActor(machine, { input: undefined as never });
    const ignore = () => {};
    scope = { self, id: '', sessionId: '', logger: ignore, defer: ignore, emit: ignore, system: self.system, stopChild: ignore, actionExecutor: ignore };
    scopes.set(machine, scope);
  }
  return scope;
}

/** The snapshot a new saga starts in (same as XState's `initialTransition`). */
export function firstSnapshot(machine: OrderSagaMachine, input: SagaInput): OrderSagaSnapshot {
  return machine.getInitialSnapshot(scopeOf(machine), input) as OrderSagaSnapshot;
}

/** The snapshot after `event` (same as XState's `transition`); the same object if the event is not accepted. */
export function nextSnapshot(machine: OrderSagaMachine, snapshot: OrderSagaSnapshot, event: SagaEvent): OrderSagaSnapshot {
  return machine.transition(snapshot as never, event, scopeOf(machine)) as OrderSagaSnapshot;
}
