import { useMemo } from 'react';
import { Background, Controls, Handle, MarkerType, Position, ReactFlow } from '@xyflow/react';
import type { Edge, Node, NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import type { LaidOutGraph } from '../graph-layout';
import type { StateSummary } from '../execution-state';
import { STATUS_LABELS } from '../execution-state';

interface StateData extends Record<string, unknown> {
  name: string;
  stateType: string;
  status?: StateSummary['status'];
  retried: boolean;
  selected: boolean;
  isStart: boolean;
  onSelect?: (name: string) => void;
}

interface GroupData extends Record<string, unknown> {
  label: string;
  stateType?: string;
  status?: StateSummary['status'];
  onSelect?: (name: string) => void;
}

type StateNodeType = Node<StateData, 'state'>;
type GroupNodeType = Node<GroupData, 'group'>;
type TerminalNodeType = Node<{ label: string }, 'terminal'>;

function StateNode({ data }: NodeProps<StateNodeType>) {
  const status = data.status ?? 'notReached';
  const statusText =
    data.status !== undefined ? STATUS_LABELS[status] + (data.retried ? ', retried' : '') : '';
  return (
    <div
      className={`state-node status-${status}${data.selected ? ' selected' : ''}`}
      data-state={data.name}
      data-status={data.status ?? ''}
    >
      <Handle type="target" position={Position.Top} />
      <button
        type="button"
        className="state-node-button"
        onClick={() => data.onSelect?.(data.name)}
        title={`${data.name} (${data.stateType})${statusText !== '' ? ` — ${statusText}` : ''}`}
        aria-label={`State ${data.name}, ${data.stateType}${statusText !== '' ? `, ${statusText}` : ''}`}
        aria-pressed={data.selected}
      >
        <span className="state-name">{data.name}</span>
        <span className="state-type">
          {data.stateType}
          {data.isStart ? ' · start' : ''}
          {data.retried ? ' · retried' : ''}
          {data.status !== undefined && data.status !== 'notReached' ? ` · ${STATUS_LABELS[status]}` : ''}
        </span>
      </button>
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}

function GroupNode({ data }: NodeProps<GroupNodeType>) {
  const status = data.status ?? 'notReached';
  return (
    <div className={`group-node${data.stateType !== undefined ? ` state-group status-${status}` : ''}`}>
      <Handle type="target" position={Position.Top} />
      {data.stateType !== undefined ? (
        <button type="button" className="group-label" onClick={() => data.onSelect?.(data.label)}>
          {data.label} <span className="state-type">{data.stateType}</span>
        </button>
      ) : (
        <div className="group-label">{data.label}</div>
      )}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}

function TerminalNode({ data }: NodeProps<TerminalNodeType>) {
  return (
    <div className="terminal-node">
      <Handle type="target" position={Position.Top} />
      {data.label}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}

const nodeTypes = { state: StateNode, group: GroupNode, terminal: TerminalNode };

export function GraphView(props: {
  graph: LaidOutGraph;
  statuses?: Map<string, StateSummary>;
  selected?: string | undefined;
  onSelect?: (name: string) => void;
  height?: number | string;
}) {
  const { graph, statuses, selected, onSelect } = props;
  const nodes = useMemo(
    () =>
      graph.nodes.map((n): StateNodeType | GroupNodeType | TerminalNodeType => {
        const common = {
          id: n.id,
          position: { x: n.x, y: n.y },
          width: n.width,
          height: n.height,
          ...(n.parentId !== undefined ? { parentId: n.parentId } : {}),
          draggable: false,
          selectable: false,
          connectable: false,
        };
        if (n.kind === 'terminal') return { ...common, type: 'terminal', data: { label: n.label } };
        const summary = n.stateType !== undefined ? statuses?.get(n.label) : undefined;
        if (n.kind === 'group')
          return {
            ...common,
            type: 'group',
            zIndex: -1,
            data: {
              label: n.label,
              ...(n.stateType !== undefined ? { stateType: n.stateType } : {}),
              ...(statuses !== undefined && n.stateType !== undefined
                ? { status: summary?.status ?? 'notReached' }
                : {}),
              ...(onSelect !== undefined ? { onSelect } : {}),
            },
          };
        return {
          ...common,
          type: 'state',
          data: {
            name: n.label,
            stateType: n.stateType ?? '',
            ...(statuses !== undefined ? { status: summary?.status ?? 'notReached' } : {}),
            retried: summary?.retried ?? false,
            selected: selected === n.label,
            isStart: n.isStart === true,
            ...(onSelect !== undefined ? { onSelect } : {}),
          },
        };
      }),
    [graph, statuses, selected, onSelect],
  );
  const edges = useMemo(
    () =>
      graph.edges.map((e): Edge => ({
        id: e.id,
        source: e.source,
        target: e.target,
        type: 'smoothstep',
        className: `edge-${e.kind}`,
        markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
        ...(e.label !== undefined ? { label: e.label } : {}),
        labelBgPadding: [4, 2] as [number, number],
        labelBgBorderRadius: 3,
        focusable: false,
      })),
    [graph],
  );
  return (
    <div className="graph" style={{ height: props.height ?? 460 }} data-testid="graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1.1 }}
        minZoom={0.05}
        nodesDraggable={false}
        nodesConnectable={false}
        onNodeClick={(_, node) => {
          const name = graph.nodes.find((n) => n.id === node.id);
          if (name !== undefined && name.stateType !== undefined) onSelect?.(name.label);
        }}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
