/**
 * The statechart as a graph, derived from the machine definition that runs (never a copy):
 * nodes are the root's state nodes, edges are their transitions (`on` and `always`), with
 * the events that take each edge. Parallel transitions between the same two states merge
 * into one edge that lists all their events. The start (`submitted`, before the saga's first
 * state) is drawn too, beside the machine's states.
 */
import { STEPS, isForwardStep, type OrderSagaMachine, type StepName } from '../../../machines/index.ts';

export type NodeKind = 'start' | 'step' | 'compensation' | 'routing' | 'waiting' | 'final';

export interface ChartNode {
  id: string;
  kind: NodeKind;
  /** What the state does, in a few words (the service of its step, "final"...). */
  caption: string;
  step?: StepName;
}

/**
 * `retry` loops on its state; `park` goes to the state that waits for an operator and
 * `operator` leaves it again.
 */
export type EdgeKind = 'start' | 'forward' | 'retry' | 'park' | 'operator' | 'routing' | 'failure';

export interface ChartEdge {
  id: string;
  source: string;
  target: string;
  /** Event types (or `always [guard]` for eventless routing) that take this edge. */
  events: string[];
  kind: EdgeKind;
}

export interface ChartGraph {
  /** The state a saga starts in. */
  initial: string;
  /** The machine's states. */
  nodes: ChartNode[];
  edges: ChartEdge[];
  /** Where an order is before its saga starts, and the edge into the initial state. */
  start: { node: ChartNode; edge: ChartEdge };
}

/**
 * The API shows an order as `submitted` until the saga starts; the orchestrator records that
 * first transition (from nothing into the initial state) as ORDER_SUBMITTED.
 */
export const START_STATE = 'submitted';
export const START_EVENT = 'ORDER_SUBMITTED';

export const edgeId = (source: string, target: string) => `${source}->${target}`;

interface TransitionLike {
  target?: ReadonlyArray<{ key: string }> | undefined;
  guard?: unknown;
}

function guardName(guard: unknown): string | null {
  if (!guard) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String((guard as { type: unknown }).type);
  if (typeof guard === 'function') return guard.name || null;
  return null;
}

function stepOfState(state: string): StepName | undefined {
  return (Object.keys(STEPS) as StepName[]).find((step) => STEPS[step].state === state);
}

function edgeKind(source: string, target: string, events: string[], forwardStates: Set<string>, waitingStates: Set<string>): EdgeKind {
  if (source === target) return 'retry';
  if (events.every((event) => event.startsWith('always'))) return 'routing';
  // Only an operator moves a saga out of the state that waits for one.
  if (waitingStates.has(source)) return 'operator';
  if (waitingStates.has(target)) return 'park';
  if (forwardStates.has(source) && forwardStates.has(target)) return 'forward';
  if (forwardStates.has(source) && target === 'completed') return 'forward';
  return 'failure';
}

const cache = new WeakMap<object, ChartGraph>();

export function graphOf(machine: OrderSagaMachine): ChartGraph {
  const cached = cache.get(machine);
  if (cached) return cached;

  const states = machine.root.states;
  const forwardStates = new Set<string>();
  const nodes: ChartNode[] = Object.entries(states).map(([id, node]) => {
    const step = stepOfState(id);
    if (step) {
      const forward = isForwardStep(step);
      if (forward) forwardStates.add(id);
      return { id, kind: forward ? 'step' : 'compensation', caption: STEPS[step].service, step };
    }
    if (node.type === 'final') return { id, kind: 'final', caption: 'final' };
    if (node.always && node.always.length > 0) return { id, kind: 'routing', caption: 'routes the undo' };
    return { id, kind: 'waiting', caption: 'waits for an operator' };
  });
  const waitingStates = new Set(nodes.filter((node) => node.kind === 'waiting').map((node) => node.id));

  const byPair = new Map<string, { source: string; target: string; events: string[] }>();
  const add = (source: string, target: string, label: string) => {
    const id = edgeId(source, target);
    const edge = byPair.get(id) ?? { source, target, events: [] };
    if (!edge.events.includes(label)) edge.events.push(label);
    byPair.set(id, edge);
  };
  for (const [source, node] of Object.entries(states)) {
    for (const [event, definitions] of node.transitions) {
      for (const definition of definitions as ReadonlyArray<TransitionLike>) {
        for (const target of definition.target ?? []) add(source, target.key, event);
      }
    }
    for (const definition of (node.always ?? []) as ReadonlyArray<TransitionLike>) {
      const guard = guardName(definition.guard);
      for (const target of definition.target ?? []) add(source, target.key, guard ? `always [${guard}]` : 'always');
    }
  }
  const edges: ChartEdge[] = [...byPair.entries()].map(([id, edge]) => ({
    id,
    ...edge,
    kind: edgeKind(edge.source, edge.target, edge.events, forwardStates, waitingStates),
  }));

  const initial = machine.root.initial?.target[0]?.key ?? nodes[0]?.id ?? '';
  const start = {
    node: { id: START_STATE, kind: 'start', caption: 'stored, saga not started' } satisfies ChartNode,
    edge: { id: edgeId(START_STATE, initial), source: START_STATE, target: initial, events: [START_EVENT], kind: 'start' } satisfies ChartEdge,
  };
  const graph = { initial, nodes, edges, start };
  cache.set(machine, graph);
  return graph;
}
