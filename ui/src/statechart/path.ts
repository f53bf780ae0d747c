/**
 * The way one order went through the statechart, from its history: the states it was in and
 * the edges it took. A transition through the eventless `compensating` router is recorded as
 * one row (from → final target); it is drawn as the two edges it really took. The first row
 * (from nothing) is the start edge out of `submitted`. An operator's pause and resume take no
 * edge (the state stays) and are passed over.
 */
import { HOLD_EVENTS, type HistoryRow } from '../api/types.ts';
import { edgeId, type ChartGraph } from './graph.ts';

export interface VisitedPath {
  states: Set<string>;
  /** Each edge taken, with the events that took it (in order, no repeats). */
  edges: Map<string, string[]>;
  /** The edges of the last transition, drawn as "just happened". */
  lastEdges: Set<string>;
}

/** The edges one history row took, each with the event (or eventless guard) that took it. */
export function edgesOfRow(graph: ChartGraph, row: Pick<HistoryRow, 'from' | 'to' | 'event'>): { id: string; label: string }[] {
  if (!row.from) return row.to === graph.start.edge.target ? [{ id: graph.start.edge.id, label: row.event }] : [];
  const has = (source: string, target: string) => graph.edges.find((edge) => edge.id === edgeId(source, target));
  const direct = has(row.from, row.to);
  if (direct && direct.events.includes(row.event)) return [{ id: direct.id, label: row.event }];
  // Through an eventless router: from → router (on this event) → target (always).
  for (const router of graph.edges.filter((edge) => edge.source === row.from && edge.events.includes(row.event))) {
    const onward = has(router.target, row.to);
    if (onward && onward.kind === 'routing') {
      return [
        { id: router.id, label: row.event },
        { id: onward.id, label: onward.events[0] ?? 'always' },
      ];
    }
  }
  return direct ? [{ id: direct.id, label: row.event }] : [];
}

export function visitedPath(graph: ChartGraph, rows: readonly Pick<HistoryRow, 'from' | 'to' | 'event'>[]): VisitedPath {
  const states = new Set<string>();
  const edges = new Map<string, string[]>();
  let lastEdges: { id: string; label: string }[] = [];
  const all = [graph.start.edge, ...graph.edges];
  for (const row of rows) {
    // A pause or a resume takes no edge: the saga stays where it is.
    if (HOLD_EVENTS.has(row.event)) continue;
    states.add(row.from ?? graph.start.node.id);
    states.add(row.to);
    lastEdges = edgesOfRow(graph, row);
    for (const { id, label } of lastEdges) {
      const labels = edges.get(id) ?? [];
      if (!labels.includes(label)) labels.push(label);
      edges.set(id, labels);
      const target = all.find((edge) => edge.id === id)?.target;
      if (target) states.add(target);
    }
  }
  return { states, edges, lastEdges: new Set(lastEdges.map((edge) => edge.id)) };
}
