/**
 * A definition's graph (core's buildGraph: the same model the CLI draws) laid out by ELK:
 * states as nodes, Parallel branches and Map item processors as nested groups, labelled edges.
 * The result is positioned data for React Flow; statuses are merged in at render time, so a
 * running execution re-colours nodes without laying them out again.
 */
import type { ELK as ElkLayout, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk.bundled.js';
import { buildGraph } from '@stepwise/core/graph';
import type { GraphEdgeKind, GraphGroup, GraphNode } from '@stepwise/core/graph';

export interface LaidOutNode {
  id: string;
  kind: 'state' | 'group' | 'terminal';
  /** Relative to the parent, as React Flow nests them. */
  x: number;
  y: number;
  width: number;
  height: number;
  parentId?: string;
  /** State nodes: the state's name and type; groups: their label; terminals: Start/End. */
  label: string;
  stateType?: string;
  resource?: string;
  isStart?: boolean;
}

export interface LaidOutEdge {
  id: string;
  source: string;
  target: string;
  kind: GraphEdgeKind | 'start' | 'end';
  label?: string;
  /**
   * ELK's orthogonal route in absolute coordinates (start, bends, end): each outgoing edge
   * leaves from its own port (Next/Choice/Default at the bottom, Catch on the right side), so
   * edges from one state never share their first segment.
   */
  points?: { x: number; y: number }[];
  /** The label's centre, absolute. */
  labelAt?: { x: number; y: number };
}

export interface LaidOutGraph {
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
  /** State name → node id. */
  byName: Map<string, string>;
  /** State name → type. */
  types: Map<string, string>;
}

const STATE_WIDTH = 190;
const STATE_HEIGHT = 54;
const HEADER = 34;

/** ELK is most of the bundle: loaded on the first graph, so list pages render without it. */
let elk: Promise<ElkLayout> | undefined;
function loadElk(): Promise<ElkLayout> {
  elk ??= import('elkjs/lib/elk.bundled.js').then(({ default: ELK }) => new ELK());
  return elk;
}

const LAYOUT: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.layered.spacing.nodeNodeBetweenLayers': '46',
  'elk.spacing.nodeNode': '30',
  'elk.spacing.edgeLabel': '4',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.edgeLabels.inline': 'true',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.edgeNodeBetweenLayers': '16',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeEdge': '10',
};

/** Outgoing edges get ports: one per edge, Catch edges on the east side, the rest south. */
const PORTED = { 'elk.portConstraints': 'FIXED_SIDE' };

const PADDING = `[top=${HEADER},left=14,bottom=14,right=14]`;

function labelSize(label: string): { width: number; height: number } {
  return { width: Math.min(240, 7 * label.length + 8), height: 16 };
}

export async function layoutDefinition(definition: unknown): Promise<LaidOutGraph> {
  // buildGraph trusts a validated definition; for one being edited, a throw here just means
  // "no picture yet" and the caller keeps the last one.
  const root = buildGraph(definition as Parameters<typeof buildGraph>[0]);
  const byName = new Map<string, string>();
  const types = new Map<string, string>();
  const info = new Map<string, GraphNode>();
  const groupLabels = new Map<string, string>();

  const toElkGroup = (
    group: GraphGroup,
    isRoot: boolean,
  ): { children: ElkNode[]; edges: ElkExtendedEdge[] } => {
    // Each edge out of a state has its own port (ELK spreads ports along the side).
    const out: ElkExtendedEdge[] = group.edges.map((edge, i) => ({
      id: `${group.id}-e${i}`,
      sources: [`${group.id}-e${i}-p`],
      targets: [edge.to],
      ...(edge.label !== undefined ? { labels: [{ text: edge.label, ...labelSize(edge.label) }] } : {}),
    }));
    const portsOf = new Map<string, NonNullable<ElkNode['ports']>>();
    const addPort = (node: string, id: string, side: 'SOUTH' | 'EAST'): void => {
      const list = portsOf.get(node) ?? [];
      list.push({ id, width: 1, height: 1, layoutOptions: { 'elk.port.side': side } });
      portsOf.set(node, list);
    };
    group.edges.forEach((edge, i) =>
      addPort(edge.from, `${group.id}-e${i}-p`, edge.kind === 'catch' ? 'EAST' : 'SOUTH'),
    );
    if (isRoot) for (const node of group.nodes) if (node.end) addPort(node.id, `end-${node.id}-p`, 'SOUTH');
    const children: ElkNode[] = group.nodes.map((node) => {
      byName.set(node.name, node.id);
      types.set(node.name, node.type);
      info.set(node.id, node);
      const ports = portsOf.get(node.id) ?? [];
      if (node.groups !== undefined && node.groups.length > 0) {
        return {
          id: node.id,
          ports,
          layoutOptions: {
            ...LAYOUT,
            ...PORTED,
            'elk.padding': PADDING,
            'elk.direction': 'RIGHT',
            // Branches side by side in definition order.
            'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
            'elk.layered.considerModelOrder.components': 'MODEL_ORDER',
          },
          children: node.groups.map((g) => {
            groupLabels.set(g.id, g.label);
            const inner = toElkGroup(g, false);
            return {
              id: g.id,
              layoutOptions: { ...LAYOUT, 'elk.padding': PADDING },
              children: inner.children,
              edges: inner.edges,
            };
          }),
        };
      }
      return { id: node.id, width: STATE_WIDTH, height: STATE_HEIGHT, ports, layoutOptions: PORTED };
    });
    const edges = out;
    if (isRoot) {
      children.unshift({ id: '__start', width: 70, height: 30 });
      children.push({ id: '__end', width: 70, height: 30 });
      if (group.startAt !== undefined)
        edges.push({ id: 'start-edge', sources: ['__start'], targets: [group.startAt] });
      for (const node of group.nodes)
        if (node.end) edges.push({ id: `end-${node.id}`, sources: [`end-${node.id}-p`], targets: ['__end'] });
    }
    return { children, edges };
  };

  const top = toElkGroup(root, true);
  const laidOut = await (
    await loadElk()
  ).layout({
    id: 'root',
    // Routes come back in root coordinates, whatever group an edge lives in.
    layoutOptions: { ...LAYOUT, 'elk.json.edgeCoords': 'ROOT' },
    children: top.children,
    edges: top.edges,
  });

  const routes = new Map<string, Pick<LaidOutEdge, 'points' | 'labelAt'>>();
  const collectRoutes = (node: ElkNode): void => {
    for (const edge of node.edges ?? []) {
      const section = edge.sections?.[0];
      if (section === undefined || (edge.sections?.length ?? 0) !== 1) continue;
      const route: Pick<LaidOutEdge, 'points' | 'labelAt'> = {
        points: [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map((p) => ({
          x: p.x,
          y: p.y,
        })),
      };
      const label = edge.labels?.[0];
      if (label?.x !== undefined && label.y !== undefined)
        route.labelAt = { x: label.x + (label.width ?? 0) / 2, y: label.y + (label.height ?? 0) / 2 };
      routes.set(edge.id, route);
    }
    for (const child of node.children ?? []) collectRoutes(child);
  };
  collectRoutes(laidOut);

  const nodes: LaidOutNode[] = [];
  const walk = (children: ElkNode[] | undefined, parentId: string | undefined): void => {
    for (const child of children ?? []) {
      const base = {
        id: child.id,
        x: child.x ?? 0,
        y: child.y ?? 0,
        width: child.width ?? STATE_WIDTH,
        height: child.height ?? STATE_HEIGHT,
        ...(parentId !== undefined ? { parentId } : {}),
      };
      if (child.id === '__start' || child.id === '__end') {
        nodes.push({ ...base, kind: 'terminal', label: child.id === '__start' ? 'Start' : 'End' });
        continue;
      }
      const state = info.get(child.id);
      if (state !== undefined) {
        nodes.push({
          ...base,
          kind: (child.children?.length ?? 0) > 0 ? 'group' : 'state',
          label: state.name,
          stateType: state.type,
          ...(state.resource !== undefined ? { resource: state.resource } : {}),
        });
      } else {
        nodes.push({ ...base, kind: 'group', label: groupLabels.get(child.id) ?? child.id });
      }
      walk(child.children, child.id);
    }
  };
  walk(laidOut.children, undefined);

  const edges: LaidOutEdge[] = [];
  const collect = (group: GraphGroup): void => {
    group.edges.forEach((edge, i) => {
      edges.push({
        id: `${group.id}-e${i}`,
        source: edge.from,
        target: edge.to,
        kind: edge.kind,
        ...(edge.label !== undefined ? { label: edge.label } : {}),
        ...routes.get(`${group.id}-e${i}`),
      });
    });
    for (const node of group.nodes) for (const child of node.groups ?? []) collect(child);
  };
  collect(root);
  if (root.startAt !== undefined)
    edges.push({
      id: 'start-edge',
      source: '__start',
      target: root.startAt,
      kind: 'start',
      ...routes.get('start-edge'),
    });
  for (const node of root.nodes)
    if (node.end)
      edges.push({
        id: `end-${node.id}`,
        source: node.id,
        target: '__end',
        kind: 'end',
        ...routes.get(`end-${node.id}`),
      });
  const startIds = new Set<string>();
  const markStarts = (group: GraphGroup): void => {
    if (group.startAt !== undefined) startIds.add(group.startAt);
    for (const node of group.nodes) for (const child of node.groups ?? []) markStarts(child);
  };
  markStarts(root);
  for (const node of nodes) if (startIds.has(node.id)) node.isStart = true;
  return { nodes, edges, byName, types };
}
