/**
 * Lays the statechart out with ELK (the layered algorithm, orthogonal edges), once per machine.
 * The overview and an order's page share one layout, so a state is in the same place on both.
 * ELK's bundled build runs in the page itself (no worker, no eval: the CSP holds) and is
 * loaded only when a chart is first drawn.
 */
import type { ElkEdgeSection, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk.bundled.js';
import { useEffect, useState } from 'react';
import { elkInputOf, groupNodeId } from './elk-graph.ts';
import type { ChartEdge, ChartGraph, ChartNode } from './graph.ts';
import { GROUP_ORDER, GROUP_TITLES, groupOf, type GroupId } from './groups.ts';

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedNode extends ChartNode, Box {
  group: GroupId;
  /** Transitions out of this state drawn as markers on it rather than as lines. */
  markers: ChartEdge[];
}

export interface PlacedGroup extends Box {
  id: GroupId;
  title: string;
}

export interface PlacedEdge extends ChartEdge {
  /** The route, source to target: straight segments, each horizontal or vertical. */
  points: Point[];
  /** Where its label goes, on which side of that point, and how wide it may be there. */
  label: Point & { anchor: 'center' | 'left' | 'right'; maxWidth: number };
}

export interface ChartLayout {
  nodes: PlacedNode[];
  groups: PlacedGroup[];
  edges: PlacedEdge[];
  /** Everything drawn: groups, states, routes, count badges. */
  bounds: Box;
}

type Engine = { layout(graph: ElkNode): Promise<ElkNode> };
let engine: Promise<Engine> | null = null;

function elk(): Promise<Engine> {
  engine ??= import('elkjs/lib/elk.bundled.js').then(({ default: ELK }) => new ELK({ algorithms: ['layered'] }));
  return engine;
}

const pending = new WeakMap<ChartGraph, Promise<ChartLayout>>();
const done = new WeakMap<ChartGraph, ChartLayout>();

export function layoutOf(graph: ChartGraph): Promise<ChartLayout> {
  let layout = pending.get(graph);
  if (!layout) {
    const input = elkInputOf(graph);
    layout = elk()
      .then((engine) => engine.layout(input.graph))
      .then((result) => {
        const placed = placedLayout(graph, result, input.reversed, input.lines);
        done.set(graph, placed);
        return placed;
      });
    // A failed layout may be tried again (the chunk may have failed to load).
    layout.catch(() => pending.delete(graph));
    pending.set(graph, layout);
  }
  return layout;
}

/** The layout of `graph` once ELK has answered (at once when it already has), or why it failed. */
export function useChartLayout(graph: ChartGraph): { layout: ChartLayout | null; error: Error | null } {
  const [failure, setFailure] = useState<{ graph: ChartGraph; error: Error } | null>(null);
  const [, setAnswered] = useState(0);
  useEffect(() => {
    if (done.has(graph)) return;
    let current = true;
    layoutOf(graph).then(
      () => current && setAnswered((count) => count + 1),
      (error: unknown) => current && setFailure({ graph, error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return () => {
      current = false;
    };
  }, [graph]);
  return { layout: done.get(graph) ?? null, error: failure?.graph === graph ? failure.error : null };
}

function placedLayout(graph: ChartGraph, result: ElkNode, reversed: Set<string>, lines: ChartEdge[]): ChartLayout {
  const boxes = new Map<string, Box>();
  const visit = (node: ElkNode) => {
    boxes.set(node.id, { x: node.x ?? 0, y: node.y ?? 0, width: node.width ?? 0, height: node.height ?? 0 });
    for (const child of node.children ?? []) visit(child);
  };
  visit(result);

  const lineIds = new Set(lines.map((edge) => edge.id));
  const markersOf = (state: string) => graph.edges.filter((edge) => edge.source === state && !lineIds.has(edge.id));
  const nodes: PlacedNode[] = [graph.start.node, ...graph.nodes].map((node) => ({
    ...node,
    ...boxes.get(node.id)!,
    group: groupOf(node),
    markers: markersOf(node.id),
  }));
  const groups: PlacedGroup[] = GROUP_ORDER.filter((id) => boxes.has(groupNodeId(id))).map((id) => ({
    id,
    title: GROUP_TITLES[id],
    ...boxes.get(groupNodeId(id))!,
  }));
  const routes = new Map((result.edges ?? []).map((edge) => [edge.id, routeOf(edge)]));
  const edges: PlacedEdge[] = lines.map((edge) => {
    const route = routes.get(edge.id) ?? [];
    const points = reversed.has(edge.id) ? route.slice().reverse() : route;
    return { ...edge, points, label: labelSpot(points, edge.events, nodes) };
  });
  return { nodes, groups, edges, bounds: boundsOf(nodes, groups, edges) };
}

/** An edge's route as one list of points: ELK splits a route where it crosses a group's border. */
function routeOf(edge: ElkExtendedEdge): Point[] {
  const sections = edge.sections ?? [];
  const byId = new Map(sections.map((section) => [section.id, section]));
  let section: ElkEdgeSection | undefined = sections.find((candidate) => !candidate.incomingSections?.length) ?? sections[0];
  const points: Point[] = [];
  const seen = new Set<string>();
  while (section && !seen.has(section.id)) {
    seen.add(section.id);
    points.push(section.startPoint, ...(section.bendPoints ?? []), section.endPoint);
    section = section.outgoingSections?.[0] ? byId.get(section.outgoingSections[0]) : undefined;
  }
  return simplified(points);
}

/** Without repeated points and without points in the middle of a straight run. */
function simplified(points: Point[]): Point[] {
  const out: Point[] = [];
  for (const point of points) {
    const last = out[out.length - 1];
    if (last && Math.abs(last.x - point.x) < 0.5 && Math.abs(last.y - point.y) < 0.5) continue;
    const before = out[out.length - 2];
    if (before && last && ((before.x === last.x && last.x === point.x) || (before.y === last.y && last.y === point.y))) out.pop();
    out.push({ x: point.x, y: point.y });
  }
  return out;
}

/** Label text size as drawn (10px monospace, 4px padding, a border). */
const CHAR_WIDTH = 6.1;
const LINE_HEIGHT = 12;
const labelWidth = (chars: number) => chars * CHAR_WIDTH + 10;
const labelHeight = (lines: number) => lines * LINE_HEIGHT + 4;

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/**
 * Where the label of a route goes: on its longest run where the text fits without covering a
 * state; on a horizontal run it is centred (wrapped at the underscores of the event names when
 * the run is short), beside a vertical run it sits to one side.
 */
function labelSpot(points: Point[], events: string[], boxes: Box[]): PlacedEdge['label'] {
  const longest = Math.max(1, ...events.map((event) => event.length));
  const parts = events.flatMap((event) => event.split(/(?<=_)/));
  const widestPart = Math.max(1, ...parts.map((part) => part.length));
  const partLines = Math.max(1, ...events.map((event) => event.split(/(?<=_)/).length));
  const segments = points.slice(1).map((b, index) => {
    const a = points[index]!;
    return { a, b, length: Math.abs(b.x - a.x) + Math.abs(b.y - a.y), horizontal: a.y === b.y };
  });
  segments.sort((one, other) => other.length - one.length);
  const free = (box: Box) => !boxes.some((node) => overlaps(box, { x: node.x - 2, y: node.y - 2, width: node.width + 4, height: node.height + 4 }));
  for (const { a, b, length, horizontal } of segments) {
    const middle = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    if (horizontal) {
      for (const [width, height] of [
        [labelWidth(longest), labelHeight(events.length)],
        [labelWidth(widestPart), labelHeight(partLines * events.length)],
      ] as const) {
        const box = { x: middle.x - width / 2, y: middle.y - height / 2, width, height };
        if (width <= length - 6 && free(box)) return { ...middle, anchor: 'center', maxWidth: Math.max(width, length - 8) };
      }
    } else {
      const width = labelWidth(longest);
      const height = labelHeight(events.length);
      for (const anchor of ['right', 'left'] as const) {
        const x = anchor === 'right' ? middle.x + 4 : middle.x - 4 - width;
        if (free({ x, y: middle.y - height / 2, width, height })) return { ...middle, anchor, maxWidth: width + 2 };
      }
    }
  }
  const [first] = segments;
  const fallback = first ? { x: (first.a.x + first.b.x) / 2, y: (first.a.y + first.b.y) / 2 } : { x: 0, y: 0 };
  return { ...fallback, anchor: 'center', maxWidth: Math.max(48, (first?.length ?? 0) - 8) };
}

function boundsOf(nodes: PlacedNode[], groups: PlacedGroup[], edges: PlacedEdge[]): Box {
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
  for (const box of [...nodes, ...groups]) {
    take(box.x, box.y - 14); // a state's count badge sticks out above
    take(box.x + box.width + 10, box.y + box.height);
  }
  for (const edge of edges) for (const point of edge.points) take(point.x, point.y);
  if (minX === Infinity) return { x: 0, y: 0, width: 0, height: 0 };
  return { x: minX - 6, y: minY - 6, width: maxX - minX + 12, height: maxY - minY + 12 };
}

const ARROW_LENGTH = 8;
const ARROW_HALF_WIDTH = 4.5;

/** The route with its corners rounded; it stops where the arrowhead begins. */
export function routePath(points: Point[], radius = 7): string {
  if (points.length < 2) return '';
  const last = points[points.length - 1]!;
  const direction = unit(points[points.length - 2]!, last);
  const end = { x: last.x - direction.x * (ARROW_LENGTH - 1), y: last.y - direction.y * (ARROW_LENGTH - 1) };
  const route = [...points.slice(0, -1), end];
  let d = `M${route[0]!.x},${route[0]!.y}`;
  for (let index = 1; index < route.length - 1; index++) {
    const previous = route[index - 1]!;
    const corner = route[index]!;
    const next = route[index + 1]!;
    const r = Math.min(radius, distance(previous, corner) / 2, distance(corner, next) / 2);
    const into = unit(previous, corner);
    const out = unit(corner, next);
    d += `L${corner.x - into.x * r},${corner.y - into.y * r}Q${corner.x},${corner.y},${corner.x + out.x * r},${corner.y + out.y * r}`;
  }
  return `${d}L${end.x},${end.y}`;
}

/** A filled arrowhead at the route's end, pointing along its last segment. */
export function arrowPath(points: Point[]): string {
  if (points.length < 2) return '';
  const tip = points[points.length - 1]!;
  const direction = unit(points[points.length - 2]!, tip);
  const base = { x: tip.x - direction.x * ARROW_LENGTH, y: tip.y - direction.y * ARROW_LENGTH };
  const side = { x: -direction.y * ARROW_HALF_WIDTH, y: direction.x * ARROW_HALF_WIDTH };
  return `M${tip.x},${tip.y}L${base.x + side.x},${base.y + side.y}L${base.x - side.x},${base.y - side.y}Z`;
}

function distance(a: Point, b: Point): number {
  return Math.hypot(b.x - a.x, b.y - a.y);
}

function unit(from: Point, to: Point): Point {
  const length = distance(from, to) || 1;
  return { x: (to.x - from.x) / length, y: (to.y - from.y) / length };
}
