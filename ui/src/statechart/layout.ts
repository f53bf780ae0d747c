/**
 * Lays the statechart out with dagre, left to right. Dagre ranks the states and routes every
 * edge around them; the overview and an order's page share one layout, so a state is in the
 * same place on both.
 */
import dagre from '@dagrejs/dagre';
import type { ChartEdge, ChartGraph, ChartNode } from './graph.ts';

export const NODE_WIDTH = 176;
export const NODE_HEIGHT = 58;

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode extends ChartNode {
  /** Top-left corner. */
  x: number;
  y: number;
}

export interface PlacedEdge extends ChartEdge {
  points: Point[];
  /** Where a label goes when the edge is labelled (the middle of its route). */
  labelAt: Point;
}

export interface ChartLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  /** Everything drawn: nodes, routed edges, count badges. */
  bounds: { x: number; y: number; width: number; height: number };
}

/**
 * Which edges go "backwards". Dagre ranks a DAG; left to itself it picks which edges of a
 * cycle to turn around, and picks badly for a saga. We choose: operator edges (from `stuck`
 * back to work) and every edge that returns to a state already on the way from the initial
 * state (a depth-first walk that tries the happy path first) are laid out reversed.
 */
const KIND_ORDER: Record<string, number> = { forward: 0, failure: 1, routing: 2, park: 3, operator: 4, retry: 5 };

function backEdges(graph: ChartGraph): Set<string> {
  const back = new Set<string>();
  const seen = new Map<string, 'open' | 'done'>();
  const outgoing = (id: string) =>
    graph.edges
      .filter((edge) => edge.source === id && edge.kind !== 'retry' && edge.kind !== 'operator')
      .sort((a, b) => (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9));
  const visit = (id: string) => {
    seen.set(id, 'open');
    for (const edge of outgoing(id)) {
      const state = seen.get(edge.target);
      if (state === 'open') back.add(edge.id);
      else if (!state) visit(edge.target);
    }
    seen.set(id, 'done');
  };
  visit(graph.initial);
  for (const node of graph.nodes) if (!seen.has(node.id)) visit(node.id);
  for (const edge of graph.edges) if (edge.kind === 'operator') back.add(edge.id);
  return back;
}

const cache = new WeakMap<ChartGraph, ChartLayout>();

export function layoutOf(graph: ChartGraph): ChartLayout {
  const cached = cache.get(graph);
  if (cached) return cached;

  const reversed = backEdges(graph);
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 20, ranksep: 96, edgesep: 12, marginx: 24, marginy: 24, ranker: 'network-simplex', align: 'UL' });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of graph.edges) {
    if (edge.source === edge.target) continue; // self-loops are drawn on the node, not routed
    const back = reversed.has(edge.id);
    const label = { weight: edge.kind === 'forward' ? 8 : back ? 1 : 2, minlen: 1 };
    g.setEdge(back ? edge.target : edge.source, back ? edge.source : edge.target, label, edge.id);
  }
  dagre.layout(g);

  const nodes: PlacedNode[] = graph.nodes.map((node) => {
    const placed = g.node(node.id) as { x: number; y: number };
    return { ...node, x: placed.x - NODE_WIDTH / 2, y: placed.y - NODE_HEIGHT / 2 };
  });
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const edges: PlacedEdge[] = graph.edges.map((edge) => {
    if (edge.source === edge.target) {
      const points = selfLoop(byId.get(edge.source)!);
      return { ...edge, points, labelAt: { x: (points[1]!.x + points[2]!.x) / 2, y: points[1]!.y - 10 } };
    }
    const back = reversed.has(edge.id);
    const placed = g.edge(back ? edge.target : edge.source, back ? edge.source : edge.target, edge.id) as { points?: Point[] };
    const points = back ? (placed.points ?? []).slice().reverse() : (placed.points ?? []);
    return { ...edge, points, labelAt: middleOf(points) };
  });
  const result = { nodes, edges, bounds: boundsOf(nodes, edges) };
  cache.set(graph, result);
  return result;
}

function middleOf(points: Point[]): Point {
  if (points.length === 0) return { x: 0, y: 0 };
  if (points.length % 2 === 1) return points[(points.length - 1) / 2]!;
  const a = points[points.length / 2 - 1]!;
  const b = points[points.length / 2]!;
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

function boundsOf(nodes: PlacedNode[], edges: PlacedEdge[]): ChartLayout['bounds'] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const take = (x: number, y: number) => {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  };
  for (const node of nodes) {
    take(node.x, node.y - 14); // the count badge sticks out above
    take(node.x + NODE_WIDTH + 10, node.y + NODE_HEIGHT);
  }
  for (const edge of edges) for (const point of edge.points) take(point.x, point.y);
  if (minX === Infinity) return { x: 0, y: 0, width: 0, height: 0 };
  return { x: minX - 8, y: minY - 8, width: maxX - minX + 16, height: maxY - minY + 16 };
}

/** A small loop over the node's top edge, from its right half back into its left half. */
function selfLoop(node: PlacedNode): Point[] {
  const cx = node.x + NODE_WIDTH / 2;
  const top = node.y;
  return [
    { x: cx + 26, y: top },
    { x: cx + 22, y: top - 20 },
    { x: cx - 22, y: top - 20 },
    { x: cx - 26, y: top },
  ];
}

/** A smooth path through dagre's points (the B-spline d3's curveBasis draws). */
export function splinePath(points: Point[]): string {
  if (points.length === 0) return '';
  const [first] = points as [Point];
  if (points.length === 1) return `M${first.x},${first.y}`;
  if (points.length === 2) return `M${first.x},${first.y}L${points[1]!.x},${points[1]!.y}`;
  let d = '';
  let x0 = NaN;
  let y0 = NaN;
  let x1 = NaN;
  let y1 = NaN;
  let n = 0;
  const curve = (x: number, y: number) => {
    d += `C${(2 * x0 + x1) / 3},${(2 * y0 + y1) / 3},${(x0 + 2 * x1) / 3},${(y0 + 2 * y1) / 3},${(x0 + 4 * x1 + x) / 6},${(y0 + 4 * y1 + y) / 6}`;
  };
  for (const { x, y } of points) {
    if (n === 0) d += `M${x},${y}`;
    else if (n === 2) {
      d += `L${(5 * x0 + x1) / 6},${(5 * y0 + y1) / 6}`;
      curve(x, y);
    } else if (n > 2) curve(x, y);
    n++;
    x0 = x1;
    x1 = x;
    y0 = y1;
    y1 = y;
  }
  curve(x1, y1);
  d += `L${x1},${y1}`;
  return d;
}
