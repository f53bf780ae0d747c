/** How one state and one edge are drawn. Every label is plain text. */
import { BaseEdge, EdgeLabelRenderer, Handle, Position, type Edge, type EdgeProps, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { splinePath, type PlacedEdge, type PlacedNode } from './layout.ts';

export interface StateNodeData extends Record<string, unknown> {
  node: PlacedNode;
  current: boolean;
  visited: boolean;
  /** Sagas in this state right now (overview), and the heat 0..1 relative to the busiest state. */
  count?: number;
  heat?: number;
  selected: boolean;
  clickable: boolean;
}

export type StateFlowNode = Node<StateNodeData, 'state'>;

export interface RoutedEdgeData extends Record<string, unknown> {
  edge: PlacedEdge;
  visited: boolean;
  last: boolean;
  /** Text on the edge: the events this order took it with (only the path is labelled). */
  labels: string[] | null;
}

export type RoutedFlowEdge = Edge<RoutedEdgeData, 'routed'>;

function heatColor(heat: number): string {
  // Pale amber (a few) to a light red (where sagas pile up); light enough for dark text.
  const hue = 46 - 40 * heat;
  const lightness = 93 - 21 * heat;
  return `hsl(${hue} 95% ${lightness}%)`;
}

export const StateNode = memo(function StateNode({ data }: NodeProps<StateFlowNode>) {
  const { node, current, visited, count, heat, selected, clickable } = data;
  const classes = ['sc-node', `sc-node--${node.kind}`];
  if (current) classes.push('is-current');
  else if (visited) classes.push('is-visited');
  if (selected) classes.push('is-selected');
  if (clickable) classes.push('is-clickable');
  // Final states only ever fill up; the heat shows where sagas in flight pile up.
  const style = heat !== undefined && count && node.kind !== 'final' ? { background: heatColor(heat) } : undefined;
  const label = `${node.id}${current ? ' (current state)' : visited ? ' (visited)' : ''}${count !== undefined ? `: ${count} sagas` : ''}`;
  return (
    <div
      className={classes.join(' ')}
      style={style}
      data-state={node.id}
      data-current={current ? 'true' : undefined}
      data-visited={visited ? 'true' : undefined}
      title={label}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} className="sc-handle" />
      <div className="sc-node__name">{node.id}</div>
      <div className="sc-node__caption">{current ? `current · ${node.caption}` : node.caption}</div>
      {count !== undefined && (
        <div className={`sc-node__count${count === 0 ? ' is-zero' : ''}`} aria-label={`${count} sagas`}>
          {count.toLocaleString('en-US')}
        </div>
      )}
      <Handle type="source" position={Position.Right} isConnectable={false} className="sc-handle" />
    </div>
  );
});

export const RoutedEdge = memo(function RoutedEdge({ id, data, markerEnd }: EdgeProps<RoutedFlowEdge>) {
  if (!data) return null;
  const { edge, visited, last, labels } = data;
  const classes = ['sc-edge', `sc-edge--${edge.kind}`];
  if (visited) classes.push('is-visited');
  if (last) classes.push('is-last');
  return (
    <>
      <BaseEdge id={id} path={splinePath(edge.points)} markerEnd={markerEnd} className={classes.join(' ')} />
      {labels && labels.length > 0 && (
        <EdgeLabelRenderer>
          <div
            className={`sc-edge-label${last ? ' is-last' : ''}`}
            style={{ transform: `translate(-50%, -50%) translate(${edge.labelAt.x}px, ${edge.labelAt.y}px)` }}
            data-edge={edge.id}
          >
            {labels.map((label) => (
              <div key={label}>{label}</div>
            ))}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
});
