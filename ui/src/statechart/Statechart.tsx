/**
 * The order-saga statechart, drawn from the machine that runs. The overview shows how many
 * sagas sit in each state (a heat map); an order's page shows its current state and the path
 * it took, labelled with the events that took it. The chart always fits its box.
 */
import { MarkerType, ReactFlow, useReactFlow, useStore, type NodeMouseHandler } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { memo, useEffect, useMemo } from 'react';
import type { OrderSagaMachine } from '../../../machines/index.ts';
import { graphOf } from './graph.ts';
import { layoutOf, type ChartLayout } from './layout.ts';
import { RoutedEdge, StateNode, type RoutedFlowEdge, type StateFlowNode } from './nodes.tsx';
import type { VisitedPath } from './path.ts';

const nodeTypes = { state: StateNode };
const edgeTypes = { routed: RoutedEdge };

export interface StatechartProps {
  machine: OrderSagaMachine;
  /** The state to highlight. */
  current?: string | null;
  visited?: VisitedPath | null;
  /** Sagas per state: draws the heat map. */
  counts?: Record<string, number> | null;
  /** The state the list is filtered by. */
  selected?: string | null;
  onStateClick?: (state: string) => void;
  height: number;
  label: string;
}

export const Statechart = memo(function Statechart({ machine, current, visited, counts, selected, onStateClick, height, label }: StatechartProps) {
  const layout = useMemo(() => layoutOf(graphOf(machine)), [machine]);
  const max = useMemo(() => {
    const inFlight = layout.nodes.filter((node) => node.kind !== 'final').map((node) => counts?.[node.id] ?? 0);
    return Math.max(1, ...inFlight);
  }, [layout, counts]);

  const nodes = useMemo<StateFlowNode[]>(
    () =>
      layout.nodes.map((node) => {
        const count = counts ? (counts[node.id] ?? 0) : undefined;
        return {
          id: node.id,
          type: 'state',
          position: { x: node.x, y: node.y },
          draggable: false,
          connectable: false,
          selectable: false,
          focusable: false,
          data: {
            node,
            current: node.id === current,
            visited: visited?.states.has(node.id) ?? false,
            count,
            heat: count !== undefined ? count / max : undefined,
            selected: node.id === selected,
            clickable: Boolean(onStateClick),
          },
        };
      }),
    [layout, counts, max, current, visited, selected, onStateClick],
  );

  const edges = useMemo<RoutedFlowEdge[]>(
    () =>
      layout.edges.map((edge) => {
        const isVisited = visited?.edges.has(edge.id) ?? false;
        const isLast = visited?.lastEdges.has(edge.id) ?? false;
        return {
          id: edge.id,
          source: edge.source,
          target: edge.target,
          type: 'routed',
          selectable: false,
          focusable: false,
          zIndex: isVisited ? 1 : 0,
          markerEnd: {
            type: MarkerType.ArrowClosed,
            width: 16,
            height: 16,
            color: isLast ? '#1d4ed8' : isVisited ? '#2563eb' : '#94a3b8',
          },
          // Eventless routing edges carry no event: the highlight says enough.
          data: { edge, visited: isVisited, last: isLast, labels: edge.kind === 'routing' ? null : (visited?.edges.get(edge.id) ?? null) },
        };
      }),
    [layout, visited],
  );

  const onNodeClick: NodeMouseHandler<StateFlowNode> | undefined = onStateClick
    ? (_, node) => onStateClick(node.id)
    : undefined;

  return (
    <div className="statechart" style={{ height }} role="figure" aria-label={label} data-testid="statechart">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodeClick={onNodeClick}
        minZoom={0.2}
        maxZoom={2}
        nodesDraggable={false}
        nodesConnectable={false}
        nodesFocusable={false}
        edgesFocusable={false}
        elementsSelectable={false}
        panOnDrag={false}
        zoomOnScroll={false}
        zoomOnPinch={false}
        zoomOnDoubleClick={false}
        preventScrolling={false}
        proOptions={{ hideAttribution: false }}
      >
        <FitOnResize bounds={layout.bounds} />
      </ReactFlow>
    </div>
  );
});

/** Keep the whole chart in view when its box changes size (window resize, side panels). */
function FitOnResize({ bounds }: { bounds: ChartLayout['bounds'] }) {
  const width = useStore((state) => state.width);
  const height = useStore((state) => state.height);
  const ready = useStore((state) => state.panZoom !== null);
  const { fitBounds } = useReactFlow();
  useEffect(() => {
    if (ready && width > 0 && height > 0) void fitBounds(bounds, { padding: 0.02 });
  }, [ready, width, height, bounds, fitBounds]);
  return null;
}
