/**
 * The transitions drawn as small markers on their state instead of lines: a retry in place
 * (↻), parking in stuck (→ stuck), and, on an order's page, the operator's way out of stuck
 * that this order took (RETRY → creatingShipment).
 */
import type { ChartEdge, ChartGraph } from './graph.ts';
import type { PlacedNode } from './layout.ts';
import type { VisitedPath } from './path.ts';

export interface Marker {
  id: string;
  kind: 'retry' | 'park' | 'operator' | 'parkedFrom';
  text: string;
  title: string;
  /** This order took it. */
  taken: boolean;
}

function markerOf(edge: ChartEdge, taken: string[] | undefined): Marker | null {
  const events = edge.events.join(', ');
  if (edge.kind === 'retry') {
    return {
      id: edge.id,
      kind: 'retry',
      text: '↻',
      title: `${taken ? `retried here (${taken.join(', ')})` : `retries itself on ${events}`} while attempts last`,
      taken: Boolean(taken),
    };
  }
  if (edge.kind === 'park') {
    return {
      id: edge.id,
      kind: 'park',
      text: `→ ${edge.target}`,
      title: `${taken ? `parked in ${edge.target} on ${taken.join(', ')}` : `parks in ${edge.target} on ${events}`} once its attempts are used up`,
      taken: Boolean(taken),
    };
  }
  // An operator's way out of stuck is only worth a marker where this order took it.
  if (!taken) return null;
  return { id: edge.id, kind: 'operator', text: `${taken.join(', ')} → ${edge.target}`, title: `left ${edge.source} by ${taken.join(', ')} into ${edge.target}`, taken: true };
}

export function markersOf(graph: ChartGraph, node: PlacedNode, visited: VisitedPath | null | undefined): Marker[] {
  const out = node.markers.map((edge) => markerOf(edge, visited?.edges.get(edge.id))).filter((marker): marker is Marker => marker !== null);
  return [...parkedFrom(graph, node.id, visited), ...out];
}

/** On the waiting state: where this order parked from, the other end of the step's marker. */
function parkedFrom(graph: ChartGraph, state: string, visited: VisitedPath | null | undefined): Marker[] {
  if (!visited) return [];
  return graph.edges
    .filter((edge) => edge.kind === 'park' && edge.target === state && visited.edges.has(edge.id))
    .map((edge) => ({
      id: `${edge.id}:from`,
      kind: 'parkedFrom',
      text: `← ${edge.source}`,
      title: `parked here from ${edge.source} on ${visited.edges.get(edge.id)!.join(', ')}`,
      taken: true,
    }));
}

/** How an operator gets a saga out of a waiting state, for its tooltip. */
export function exitsOf(graph: ChartGraph, state: string): string {
  const events = [...new Set(graph.edges.filter((edge) => edge.source === state && edge.kind === 'operator').flatMap((edge) => edge.events))];
  return events.length > 0 ? `; an operator moves it on: ${events.join(', ')}` : '';
}
