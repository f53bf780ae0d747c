/**
 * How the chart is read: three boxes, left to right. The forward path (from the start), the
 * compensation path (the router and the undo steps), and where a saga stops (stuck, waiting
 * for an operator, and the final states). Which transitions are lines and which are markers
 * on their state is decided here too.
 */
import type { ChartEdge, ChartGraph, ChartNode } from './graph.ts';

export type GroupId = 'forward' | 'compensation' | 'outcomes';

export const GROUP_ORDER: readonly GroupId[] = ['forward', 'compensation', 'outcomes'];

export const GROUP_TITLES: Record<GroupId, string> = {
  forward: 'forward path',
  compensation: 'compensation path',
  outcomes: 'stuck and final states',
};

export function groupOf(node: Pick<ChartNode, 'kind'>): GroupId {
  switch (node.kind) {
    case 'start':
    case 'step':
      return 'forward';
    case 'routing':
    case 'compensation':
      return 'compensation';
    default:
      return 'outcomes';
  }
}

/**
 * Retries in place, parking in stuck and an operator's way back out of it are markers on their
 * states: drawn as lines they made a web from every state. Out of stuck, the way into the
 * compensation path stays a line.
 */
export function isLine(edge: ChartEdge, graph: ChartGraph): boolean {
  if (edge.kind === 'retry' || edge.kind === 'park') return false;
  if (edge.kind === 'operator') return graph.nodes.find((node) => node.id === edge.target)?.kind === 'routing';
  return true;
}

/**
 * Edges laid out against their direction, so the flow reads left to right: an undo step's
 * return to the router that sent it (the pair is drawn as one line with two heads), and an
 * operator's way from stuck into compensation.
 */
export function isLaidOutReversed(edge: ChartEdge, graph: ChartGraph): boolean {
  if (edge.kind === 'operator') return true;
  const intoRouter = graph.nodes.find((node) => node.id === edge.target)?.kind === 'routing';
  return intoRouter && graph.edges.some((other) => other.source === edge.target && other.target === edge.source);
}
