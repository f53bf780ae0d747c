/**
 * The order-saga statechart, drawn from the machine that runs. The overview shows how many
 * sagas sit in each state (a heat map); an order's page shows its current state and the path
 * it took, labelled with the events that took it, and dims the rest. The chart always fits its box.
 */
import { ReactFlow, useReactFlow, useStore, type NodeMouseHandler } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { memo, useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { OrderSagaMachine } from '../../../machines/index.ts';
import { RoutedEdge, type RoutedFlowEdge } from './edge.tsx';
import { graphOf, type ChartGraph } from './graph.ts';
import { useChartLayout, type Box, type ChartLayout } from './layout.ts';
import { exitsOf, markersOf } from './markers.ts';
import { GroupNode, StateNode, type GroupFlowNode, type StateFlowNode } from './nodes.tsx';
import type { VisitedPath } from './path.ts';
import { ChartLegend } from './ChartLegend.tsx';

const nodeTypes = { state: StateNode, chartGroup: GroupNode };
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
  /** The most the chart may take; it takes less when its box is too wide for its shape. */
  height: number;
  label: string;
}

export const Statechart = memo(function Statechart(props: StatechartProps) {
  const graph = graphOf(props.machine);
  const { layout, error } = useChartLayout(graph);
  const [box, height] = useFittedHeight(layout?.bounds ?? null, props.height);
  return (
    <div className="statechart-figure">
      <div ref={box} className="statechart" style={{ height }} role="figure" aria-label={props.label} aria-busy={!layout} data-testid="statechart">
        {layout ? (
          <ChartFlow {...props} graph={graph} layout={layout} />
        ) : (
          <p className={`statechart__msg${error ? ' error-text' : ''}`}>
            {error ? `The statechart could not be laid out: ${error.message}` : 'Laying out the statechart…'}
          </p>
        )}
      </div>
      <ChartLegend path={Boolean(props.visited)} />
    </div>
  );
});

type ChartFlowProps = StatechartProps & { graph: ChartGraph; layout: ChartLayout };

function ChartFlow({ graph, layout, current, visited, counts, selected, onStateClick }: ChartFlowProps) {
  const max = useMemo(() => {
    const inFlight = layout.nodes.filter((node) => node.kind !== 'final').map((node) => counts?.[node.id] ?? 0);
    return Math.max(1, ...inFlight);
  }, [layout, counts]);

  const nodes = useMemo<(StateFlowNode | GroupFlowNode)[]>(() => {
    const groups: GroupFlowNode[] = layout.groups.map((group) => ({
      id: `group:${group.id}`,
      type: 'chartGroup',
      position: { x: group.x, y: group.y },
      // Behind the lines, which are behind the states.
      zIndex: -1,
      draggable: false,
      connectable: false,
      selectable: false,
      focusable: false,
      data: { group },
    }));
    const states: StateFlowNode[] = layout.nodes.map((node) => {
      const count = counts && node.kind !== 'start' ? (counts[node.id] ?? 0) : undefined;
      const onPath = visited?.states.has(node.id) ?? false;
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
          visited: onPath,
          dimmed: Boolean(visited) && !onPath && node.id !== current,
          markers: markersOf(graph, node, visited),
          count,
          heat: count !== undefined ? count / max : undefined,
          selected: node.id === selected,
          clickable: Boolean(onStateClick) && node.kind !== 'start',
          note: node.kind === 'waiting' ? exitsOf(graph, node.id) : '',
        },
      };
    });
    return [...groups, ...states];
  }, [graph, layout, counts, max, current, visited, selected, onStateClick]);

  const edges = useMemo<RoutedFlowEdge[]>(
    () =>
      layout.edges.map((edge) => {
        const isVisited = visited?.edges.has(edge.id) ?? false;
        return {
          id: edge.id,
          source: edge.source,
          target: edge.target,
          type: 'routed',
          selectable: false,
          focusable: false,
          // The order's path is drawn over the lines it shares a run with.
          zIndex: isVisited ? 1 : 0,
          data: {
            edge,
            visited: isVisited,
            last: visited?.lastEdges.has(edge.id) ?? false,
            dimmed: Boolean(visited) && !isVisited,
            // Eventless routing edges carry no event: the highlight says enough.
            labels: edge.kind === 'routing' ? null : (visited?.edges.get(edge.id) ?? null),
          },
        };
      }),
    [layout, visited],
  );

  const onNodeClick: NodeMouseHandler<StateFlowNode | GroupFlowNode> | undefined = onStateClick
    ? (_, node) => {
        if (node.type === 'state' && node.data.clickable) onStateClick(node.id);
      }
    : undefined;

  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      onNodeClick={onNodeClick}
      minZoom={0.2}
      maxZoom={1.5}
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
  );
}

/**
 * As tall as the chart needs at the box's width, up to `max`: a wide chart in a wide box
 * leaves no empty band above and below it.
 */
function useFittedHeight(bounds: Box | null, max: number): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => setWidth(entry?.contentRect.width ?? 0));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  if (!bounds || width === 0 || bounds.width === 0) return [ref, max];
  return [ref, Math.round(Math.min(max, Math.max(160, (bounds.height * width) / bounds.width + 24)))];
}

/** Keep the whole chart in view when its box changes size (window resize, side panels). */
function FitOnResize({ bounds }: { bounds: Box }) {
  const width = useStore((state) => state.width);
  const height = useStore((state) => state.height);
  const ready = useStore((state) => state.panZoom !== null);
  const { fitBounds } = useReactFlow();
  useEffect(() => {
    if (ready && width > 0 && height > 0) void fitBounds(bounds, { padding: 0.02 });
  }, [ready, width, height, bounds, fitBounds]);
  return null;
}
