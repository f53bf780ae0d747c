/** How one transition is drawn: its routed line, its arrowhead and, on the order's path, its events. */
import { BaseEdge, EdgeLabelRenderer, type Edge, type EdgeProps } from '@xyflow/react';
import { Fragment, memo } from 'react';
import { arrowPath, routePath, type PlacedEdge } from './layout.ts';

export interface RoutedEdgeData extends Record<string, unknown> {
  edge: PlacedEdge;
  visited: boolean;
  last: boolean;
  /** An order's page: this edge is off the order's path. */
  dimmed: boolean;
  /** Text on the edge: the events this order took it with (only the path is labelled). */
  labels: string[] | null;
}

export type RoutedFlowEdge = Edge<RoutedEdgeData, 'routed'>;

function classesOf({ edge, visited, last, dimmed }: RoutedEdgeData): string {
  const classes = ['sc-edge', `sc-edge--${edge.kind}`];
  if (visited) classes.push('is-visited');
  if (last) classes.push('is-last');
  if (dimmed) classes.push('is-dimmed');
  return classes.join(' ');
}

/** Event names may break after their underscores when the label must wrap to fit its run. */
function Breakable({ text }: { text: string }) {
  const parts = text.split('_');
  return parts.map((part, index) => (
    <Fragment key={index}>
      {part}
      {index < parts.length - 1 && (
        <>
          _<wbr />
        </>
      )}
    </Fragment>
  ));
}

/** The label's box relative to its spot: centred on it, or just beside it. */
const ANCHORED = {
  center: 'translate(-50%, -50%)',
  left: 'translate(calc(-100% - 4px), -50%)',
  right: 'translate(4px, -50%)',
} as const;

export const RoutedEdge = memo(function RoutedEdge({ id, data }: EdgeProps<RoutedFlowEdge>) {
  if (!data) return null;
  const { edge, last, labels } = data;
  const classes = classesOf(data);
  return (
    <>
      <BaseEdge id={id} path={routePath(edge.points)} className={classes} />
      <path d={arrowPath(edge.points)} className={`sc-arrow ${classes}`} />
      {labels && labels.length > 0 && (
        <EdgeLabelRenderer>
          <div
            className={`sc-edge-label${last ? ' is-last' : ''}`}
            style={{ transform: `${ANCHORED[edge.label.anchor]} translate(${edge.label.x}px, ${edge.label.y}px)`, maxWidth: edge.label.maxWidth }}
            data-edge={edge.id}
            title={`${edge.source} → ${edge.target}: ${labels.join(', ')}`}
          >
            {labels.map((label) => (
              <div key={label}>
                <Breakable text={label} />
              </div>
            ))}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
});
