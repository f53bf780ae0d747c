/** How a state, the start and a group box are drawn. Every label is plain text. */
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo, type CSSProperties } from 'react';
import type { PlacedGroup, PlacedNode } from './layout.ts';
import type { Marker } from './markers.ts';

export interface StateNodeData extends Record<string, unknown> {
  node: PlacedNode;
  current: boolean;
  visited: boolean;
  /** An order's page: this state is off the order's path. */
  dimmed: boolean;
  markers: Marker[];
  /** Sagas in this state right now (overview), and the heat 0..1 relative to the busiest state. */
  count?: number;
  heat?: number;
  selected: boolean;
  clickable: boolean;
  /** More to say in the tooltip (how a saga leaves stuck). */
  note: string;
}

export type StateFlowNode = Node<StateNodeData, 'state'>;
// Not React Flow's own `group` type, which brings a style of its own.
export type GroupFlowNode = Node<{ group: PlacedGroup }, 'chartGroup'>;

/** The handles React Flow wants before it draws an edge; the routes come from the layout. */
function Handles() {
  return (
    <>
      <Handle type="target" position={Position.Left} isConnectable={false} className="sc-handle" />
      <Handle type="source" position={Position.Right} isConnectable={false} className="sc-handle" />
    </>
  );
}

function classesOf(data: StateNodeData): string {
  const { node, current, visited, dimmed, selected, clickable, heat, count } = data;
  const classes = ['sc-node', `sc-node--${node.kind}`];
  if (current) classes.push('is-current');
  else if (visited) classes.push('is-visited');
  if (dimmed) classes.push('is-dimmed');
  if (selected) classes.push('is-selected');
  if (clickable) classes.push('is-clickable');
  // Final states only ever fill up; the heat shows where sagas in flight pile up.
  if (heat !== undefined && count && node.kind !== 'final') classes.push('has-heat');
  return classes.join(' ');
}

function tooltipOf({ node, current, visited, count, note }: StateNodeData): string {
  const where = current ? ' (current state)' : visited ? ' (on this order’s path)' : '';
  const sagas = count !== undefined ? `: ${count} sagas` : '';
  const what = node.step ? `step ${node.step} by the ${node.caption} service` : node.caption;
  return `${node.id}${where}${sagas} · ${what}${note}`;
}

export const StateNode = memo(function StateNode({ data }: NodeProps<StateFlowNode>) {
  const { node, current, visited, count, heat, markers } = data;
  const style = { width: node.width, height: node.height, '--heat': heat ?? 0 } as CSSProperties;
  return (
    <div
      className={classesOf(data)}
      style={style}
      data-state={node.id}
      data-current={current ? 'true' : undefined}
      data-visited={visited ? 'true' : undefined}
      title={tooltipOf(data)}
    >
      <Handles />
      {node.kind === 'start' ? (
        <div className="sc-start">
          <span className="sc-start__dot" aria-hidden="true" />
          <span className="sc-node__name">{node.id}</span>
        </div>
      ) : (
        <>
          <div className="sc-node__name">{node.id}</div>
          <div className="sc-node__foot">
            {/* Where this order came from and went says more on the waiting state than its caption. */}
            {!(node.kind === 'waiting' && markers.length > 0) && (
              <span className="sc-node__caption">{current ? `current · ${node.caption}` : node.caption}</span>
            )}
            {markers.length > 0 && <Markers markers={markers} />}
          </div>
        </>
      )}
      {count !== undefined && node.kind !== 'start' && (
        <div className={`sc-node__count${count === 0 ? ' is-zero' : ''}`} aria-label={`${count} sagas`}>
          {count.toLocaleString('en-US')}
        </div>
      )}
    </div>
  );
});

function Markers({ markers }: { markers: Marker[] }) {
  return (
    <span className="sc-markers">
      {markers.map((marker) => (
        <span
          key={marker.id}
          className={`sc-marker sc-marker--${marker.kind}${marker.taken ? ' is-taken' : ''}`}
          title={marker.title}
          data-marker={marker.id}
          data-taken={marker.taken ? 'true' : undefined}
        >
          {marker.text}
        </span>
      ))}
    </span>
  );
}

/** A group's box with its title; drawn behind the lines and the states. */
export const GroupNode = memo(function GroupNode({ data }: NodeProps<GroupFlowNode>) {
  const { group } = data;
  return (
    <div className={`sc-group sc-group--${group.id}`} style={{ width: group.width, height: group.height }} data-group={group.id}>
      <span className="sc-group__title">{group.title}</span>
    </div>
  );
});
