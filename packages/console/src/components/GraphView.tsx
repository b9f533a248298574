import { useMemo } from 'react';
import {
  Background,
  BaseEdge,
  Controls,
  Handle,
  MarkerType,
  MiniMap,
  Position,
  ReactFlow,
} from '@xyflow/react';
import type { Edge, EdgeProps, FitViewOptions, Node, NodeProps } from '@xyflow/react';
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
    <div
      className={`group-node${data.stateType !== undefined ? ` state-group status-${status}` : ''}`}
      {...(data.stateType !== undefined
        ? { 'data-state': data.label, 'data-status': data.status ?? '' }
        : { 'data-group': data.label })}
    >
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

interface RouteData extends Record<string, unknown> {
  points: { x: number; y: number }[];
  labelAt?: { x: number; y: number };
}
type RoutedEdgeType = Edge<RouteData, 'routed'>;

/** ELK's orthogonal route, drawn as it was laid out (corners slightly rounded). */
function RoutedEdge({
  id,
  data,
  label,
  markerEnd,
  labelBgPadding,
  labelBgBorderRadius,
}: EdgeProps<RoutedEdgeType>) {
  const points = data?.points ?? [];
  let path = '';
  points.forEach((p, i) => {
    const prev = points[i - 1];
    const next = points[i + 1];
    if (prev === undefined) {
      path += `M ${p.x} ${p.y}`;
      return;
    }
    if (next === undefined) {
      path += ` L ${p.x} ${p.y}`;
      return;
    }
    // Round the bend: stop short of it, curve through it.
    const r = Math.min(
      6,
      Math.hypot(p.x - prev.x, p.y - prev.y) / 2,
      Math.hypot(next.x - p.x, next.y - p.y) / 2,
    );
    const towards = (a: { x: number; y: number }, d: number): string => {
      const len = Math.hypot(a.x - p.x, a.y - p.y) || 1;
      return `${p.x + ((a.x - p.x) / len) * d} ${p.y + ((a.y - p.y) / len) * d}`;
    };
    path += ` L ${towards(prev, r)} Q ${p.x} ${p.y} ${towards(next, r)}`;
  });
  return (
    <BaseEdge
      id={id}
      path={path}
      {...(markerEnd !== undefined ? { markerEnd } : {})}
      {...(label !== undefined && data?.labelAt !== undefined
        ? { label, labelX: data.labelAt.x, labelY: data.labelAt.y, labelShowBg: true }
        : {})}
      {...(labelBgPadding !== undefined ? { labelBgPadding } : {})}
      {...(labelBgBorderRadius !== undefined ? { labelBgBorderRadius } : {})}
    />
  );
}

const nodeTypes = { state: StateNode, group: GroupNode, terminal: TerminalNode };
const edgeTypes = { routed: RoutedEdge };

/** Above this many nodes the first view shows the start at a readable zoom, not everything. */
const LARGE = 40;

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
        ...(e.points !== undefined && e.points.length >= 2
          ? {
              type: 'routed',
              data: { points: e.points, ...(e.labelAt !== undefined ? { labelAt: e.labelAt } : {}) },
            }
          : { type: 'smoothstep' }),
        className: `edge-${e.kind}`,
        markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
        ...(e.label !== undefined ? { label: e.label } : {}),
        labelBgPadding: [4, 2] as [number, number],
        labelBgBorderRadius: 3,
        focusable: false,
      })),
    [graph],
  );
  const large = graph.nodes.length > LARGE;
  const initialView = useMemo((): FitViewOptions => {
    if (!large) return { padding: 0.15, maxZoom: 1.1 };
    // A big machine opens on its first states (the top of the layout), readable; the fit
    // button and the minimap show the whole of it.
    const top = graph.nodes.filter((n) => n.parentId === undefined).sort((a, b) => a.y - b.y || a.x - b.x);
    const first = top[0]?.y ?? 0;
    const shown = top.filter((n) => n.y < first + 520);
    return { padding: 0.1, maxZoom: 1, minZoom: 0.5, nodes: shown.map((n) => ({ id: n.id })) };
  }, [graph, large]);
  return (
    <div
      className="graph"
      style={{ height: props.height ?? 460 }}
      data-testid="graph"
      data-nodes={graph.nodes.length}
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        fitView
        fitViewOptions={initialView}
        minZoom={0.02}
        nodesDraggable={false}
        nodesConnectable={false}
        onNodeClick={(_, node) => {
          const name = graph.nodes.find((n) => n.id === node.id);
          if (name !== undefined && name.stateType !== undefined) onSelect?.(name.label);
        }}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} fitViewOptions={{ padding: 0.05 }} />
        {large ? (
          <MiniMap pannable zoomable ariaLabel="Overview of the whole machine" nodeStrokeWidth={2} />
        ) : null}
      </ReactFlow>
    </div>
  );
}
