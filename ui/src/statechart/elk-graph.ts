/**
 * The statechart as ELK's input: one compound node per group, each state with one port in
 * (west) and one out (east) at its middle, so the forward path runs straight and the edges
 * into a state meet at one point. ELK's layered algorithm places the states left to right and
 * routes every line orthogonally around them.
 */
import type { ElkExtendedEdge, ElkNode, ElkPort, LayoutOptions } from 'elkjs/lib/elk.bundled.js';
import type { ChartEdge, ChartGraph, ChartNode } from './graph.ts';
import { GROUP_ORDER, groupOf, isLaidOutReversed, isLine } from './groups.ts';

export const NODE_SIZE = { width: 172, height: 56 };
export const START_SIZE = { width: 118, height: 34 };
/** The waiting state lists where an order parked from and how it left: room for two rows. */
export const WAITING_SIZE = { width: 172, height: 74 };
/** Room above a group's states for its title. */
export const GROUP_TITLE_HEIGHT = 26;

/** Spacing is set per graph: the root's spaces the groups, each group's its states. */
const SPACING: LayoutOptions = {
  // Room between two states for an event's name, wrapped at its underscores.
  'elk.layered.spacing.nodeNodeBetweenLayers': '80',
  'elk.spacing.nodeNode': '24',
  'elk.layered.spacing.edgeNodeBetweenLayers': '18',
  'elk.spacing.edgeNode': '16',
  'elk.spacing.edgeEdge': '10',
};

const ROOT_OPTIONS: LayoutOptions = {
  ...SPACING,
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  // One layout across the groups, so lines between them are routed too.
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  // Keep the machine's order (forward steps first) where it costs no crossing.
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  // Every coordinate in the answer relative to the whole chart.
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
};

const GROUP_OPTIONS: LayoutOptions = {
  ...SPACING,
  'elk.padding': `[top=${GROUP_TITLE_HEIGHT + 10},left=14,bottom=14,right=14]`,
};

/** The forward path is the line an operator follows first: keep it straight. */
const STRAIGHT: LayoutOptions = { 'elk.layered.priority.straightness': '10', 'elk.layered.priority.direction': '10' };

export const portIn = (state: string) => `${state}:in`;
export const portOut = (state: string) => `${state}:out`;
export const groupNodeId = (group: string) => `group:${group}`;

function stateNode(node: ChartNode): ElkNode {
  const size = node.kind === 'start' ? START_SIZE : node.kind === 'waiting' ? WAITING_SIZE : NODE_SIZE;
  const port = (id: string, side: 'WEST' | 'EAST'): ElkPort => ({
    id,
    x: side === 'WEST' ? 0 : size.width,
    y: size.height / 2,
    width: 0,
    height: 0,
    layoutOptions: { 'elk.port.side': side },
  });
  return {
    id: node.id,
    ...size,
    layoutOptions: { 'elk.portConstraints': 'FIXED_POS' },
    ports: [port(portIn(node.id), 'WEST'), port(portOut(node.id), 'EAST')],
  };
}

function layoutEdge(edge: ChartEdge, reversed: boolean): ElkExtendedEdge {
  const [from, to] = reversed ? [edge.target, edge.source] : [edge.source, edge.target];
  return {
    id: edge.id,
    sources: [portOut(from)],
    targets: [portIn(to)],
    ...(edge.kind === 'forward' || edge.kind === 'start' ? { layoutOptions: STRAIGHT } : {}),
  };
}

export interface ElkInput {
  graph: ElkNode;
  /** Edges laid out target to source: their routes are turned around when drawn. */
  reversed: Set<string>;
  /** The edges drawn as lines (the rest are markers on their states). */
  lines: ChartEdge[];
}

export function elkInputOf(graph: ChartGraph): ElkInput {
  const nodes = [graph.start.node, ...graph.nodes];
  const lines = [graph.start.edge, ...graph.edges.filter((edge) => isLine(edge, graph))];
  const reversed = new Set(lines.filter((edge) => isLaidOutReversed(edge, graph)).map((edge) => edge.id));
  const groups: ElkNode[] = GROUP_ORDER.map((group) => ({
    id: groupNodeId(group),
    layoutOptions: GROUP_OPTIONS,
    children: nodes.filter((node) => groupOf(node) === group).map(stateNode),
  })).filter((group) => group.children && group.children.length > 0);
  return {
    graph: {
      id: 'statechart',
      layoutOptions: ROOT_OPTIONS,
      children: groups,
      edges: lines.map((edge) => layoutEdge(edge, reversed.has(edge.id))),
    },
    reversed,
    lines,
  };
}
