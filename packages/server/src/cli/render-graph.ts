/**
 * The workflow graph (core's `buildGraph`) as mermaid, Graphviz dot, or a self-contained SVG.
 * The SVG layout is a small layered one (longest path from Start, one barycentre pass to cut
 * crossings, back edges routed around the right side); Parallel and Map states are drawn as
 * boxes holding their branches, each laid out the same way. Good enough for docs, with no
 * dependency.
 */
import type { GraphEdge, GraphGroup, GraphNode } from '@stepwise/core';

const START = 'sw_start';
const END = 'sw_end';

// ---------------------------------------------------------------- mermaid

function mermaidText(text: string): string {
  return text.replace(/#/g, '#35;').replace(/"/g, '#34;').replace(/</g, '#60;').replace(/>/g, '#62;');
}

function mermaidNode(node: GraphNode): string {
  const label = `"${mermaidText(node.name)}<br/><small>${node.type}</small>"`;
  switch (node.type) {
    case 'Choice':
      return `${node.id}{${label}}`;
    case 'Succeed':
    case 'Fail':
      return `${node.id}([${label}])`;
    case 'Task':
    case 'Pass':
    case 'Wait':
    case 'Parallel':
    case 'Map':
      return `${node.id}[${label}]`;
  }
}

function mermaidEdge(edge: GraphEdge): string {
  const arrow = edge.kind === 'catch' ? '-.->' : '-->';
  const label = edge.label === undefined ? '' : `|"${mermaidText(edge.label)}"|`;
  return `${edge.from} ${arrow}${label} ${edge.to}`;
}

export function toMermaid(root: GraphGroup): string {
  const lines = ['flowchart TD', `  ${START}(("Start"))`];
  const group = (g: GraphGroup, indent: string): void => {
    for (const node of g.nodes) {
      if (node.groups === undefined) {
        lines.push(`${indent}${mermaidNode(node)}`);
        continue;
      }
      lines.push(`${indent}subgraph ${node.id} ["${mermaidText(`${node.name} (${node.type})`)}"]`);
      lines.push(`${indent}  direction TB`);
      for (const child of node.groups) {
        lines.push(`${indent}  subgraph ${child.id} ["${mermaidText(child.label)}"]`);
        lines.push(`${indent}    direction TB`);
        group(child, `${indent}    `);
        lines.push(`${indent}  end`);
      }
      lines.push(`${indent}end`);
    }
    for (const edge of g.edges) lines.push(`${indent}${mermaidEdge(edge)}`);
  };
  group(root, '  ');
  lines.push(`  ${END}(("End"))`);
  if (root.startAt !== undefined) lines.push(`  ${START} --> ${root.startAt}`);
  for (const node of root.nodes) if (node.end) lines.push(`  ${node.id} --> ${END}`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- dot

function dotText(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const DOT_SHAPES: Record<string, string> = {
  Choice: 'diamond',
  Succeed: 'box, style="rounded,filled", fillcolor="#d9f2d9"',
  Fail: 'box, style="rounded,filled", fillcolor="#f8d7d7"',
};

export function toDot(root: GraphGroup): string {
  const lines = [
    'digraph workflow {',
    '  compound=true;',
    '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
    `  ${START} [label="Start", shape=circle];`,
    `  ${END} [label="End", shape=doublecircle];`,
  ];
  /** Compound states are clusters; edges attach to an anchor node inside them. */
  const compound = new Set<string>();
  const group = (g: GraphGroup, indent: string): void => {
    for (const node of g.nodes) {
      const label = dotText(`${node.name}\n${node.type}`);
      if (node.groups === undefined) {
        lines.push(
          `${indent}${node.id} [label=${label}${DOT_SHAPES[node.type] ? `, shape=${DOT_SHAPES[node.type]}` : ''}];`,
        );
        continue;
      }
      compound.add(node.id);
      lines.push(`${indent}subgraph cluster_${node.id} {`);
      lines.push(`${indent}  label=${dotText(node.type)}; style=dashed;`);
      lines.push(`${indent}  ${node.id} [label=${label}, style="rounded,bold"];`);
      for (const child of node.groups) {
        lines.push(`${indent}  subgraph cluster_${child.id} {`);
        lines.push(`${indent}    label=${dotText(child.label)}; style=dotted;`);
        group(child, `${indent}    `);
        lines.push(`${indent}  }`);
        if (child.startAt !== undefined)
          lines.push(`${indent}  ${node.id} -> ${child.startAt} [style=dotted, arrowhead=none];`);
      }
      lines.push(`${indent}}`);
    }
    for (const edge of g.edges) {
      const attrs: string[] = [];
      if (edge.label !== undefined) attrs.push(`label=${dotText(edge.label)}`);
      if (edge.kind === 'catch') attrs.push('style=dashed', 'color="#c0392b"');
      if (compound.has(edge.from)) attrs.push(`ltail=cluster_${edge.from}`);
      if (compound.has(edge.to)) attrs.push(`lhead=cluster_${edge.to}`);
      lines.push(`${indent}${edge.from} -> ${edge.to}${attrs.length > 0 ? ` [${attrs.join(', ')}]` : ''};`);
    }
  };
  group(root, '  ');
  if (root.startAt !== undefined) lines.push(`  ${START} -> ${root.startAt};`);
  for (const node of root.nodes) if (node.end) lines.push(`  ${node.id} -> ${END};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- svg

const CHAR_W = 7;
const NODE_H = 40;
const RANK_GAP = 46;
const NODE_GAP = 28;
const PAD = 14;
const HEADER = 22;

interface Item {
  id: string;
  node?: GraphNode;
  label: string;
  sublabel: string;
  w: number;
  h: number;
  x: number;
  y: number;
  /** Laid-out branches of a Parallel or Map. */
  children: Layout[];
  pseudo?: 'start' | 'end';
}

interface Layout {
  label: string;
  w: number;
  h: number;
  items: Item[];
  edges: { from: Item; to: Item; edge: GraphEdge | undefined; back: boolean }[];
}

function layoutGroup(group: GraphGroup, isRoot: boolean): Layout {
  const items: Item[] = [];
  const byId = new Map<string, Item>();
  const add = (item: Item): void => {
    items.push(item);
    byId.set(item.id, item);
  };
  if (isRoot)
    add({ id: START, label: 'Start', sublabel: '', w: 56, h: 28, x: 0, y: 0, children: [], pseudo: 'start' });
  for (const node of group.nodes) {
    const children = (node.groups ?? []).map((g) => layoutGroup(g, false));
    const textW = Math.max(node.name.length, node.type.length) * CHAR_W + 2 * PAD;
    if (children.length === 0) {
      add({
        id: node.id,
        node,
        label: node.name,
        sublabel: node.type,
        w: textW,
        h: NODE_H,
        x: 0,
        y: 0,
        children,
      });
    } else {
      const inner = children.reduce((sum, c) => sum + c.w, 0) + NODE_GAP * (children.length - 1);
      const innerH = Math.max(...children.map((c) => c.h));
      add({
        id: node.id,
        node,
        label: node.name,
        sublabel: node.type,
        w: Math.max(textW, inner + 2 * PAD),
        h: innerH + HEADER + 2 * PAD,
        x: 0,
        y: 0,
        children,
      });
    }
  }
  if (isRoot)
    add({ id: END, label: 'End', sublabel: '', w: 56, h: 28, x: 0, y: 0, children: [], pseudo: 'end' });

  const edges: GraphEdge[] = [...group.edges];
  if (isRoot && group.startAt !== undefined) edges.push({ from: START, to: group.startAt, kind: 'next' });
  if (isRoot)
    for (const node of group.nodes) if (node.end) edges.push({ from: node.id, to: END, kind: 'next' });

  // Back edges: those closing a cycle in a depth-first walk from the start.
  const out = new Map<string, GraphEdge[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e]);
  const back = new Set<GraphEdge>();
  const state = new Map<string, 'open' | 'done'>();
  const order: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'open');
    order.push(id);
    for (const e of out.get(id) ?? []) {
      const s = state.get(e.to);
      if (s === 'open') back.add(e);
      else if (s === undefined) visit(e.to);
    }
    state.set(id, 'done');
  };
  const first = isRoot ? START : group.startAt;
  if (first !== undefined) visit(first);
  for (const item of items) if (!state.has(item.id)) visit(item.id);

  // Longest-path layering over forward edges, in topological (finish) order.
  const rank = new Map<string, number>(items.map((i) => [i.id, 0]));
  const forward = edges.filter((e) => !back.has(e));
  for (let changed = true, guard = 0; changed && guard < items.length + 1; guard++) {
    changed = false;
    for (const e of forward) {
      const want = (rank.get(e.from) ?? 0) + 1;
      if ((rank.get(e.to) ?? 0) < want) {
        rank.set(e.to, want);
        changed = true;
      }
    }
  }
  const ranks: Item[][] = [];
  const position = new Map(order.map((id, i) => [id, i]));
  for (const item of items) {
    const r = rank.get(item.id) ?? 0;
    (ranks[r] ??= []).push(item);
  }
  for (const layer of ranks) layer?.sort((a, b) => (position.get(a.id) ?? 0) - (position.get(b.id) ?? 0));
  // One downward barycentre pass: order each layer by the mean x-order of its predecessors.
  const index = new Map<string, number>();
  for (const layer of ranks) {
    if (layer === undefined) continue;
    const bary = (item: Item): number => {
      const preds = forward.filter((e) => e.to === item.id).map((e) => index.get(e.from) ?? 0);
      return preds.length === 0
        ? (position.get(item.id) ?? 0)
        : preds.reduce((a, b) => a + b, 0) / preds.length;
    };
    layer.sort((a, b) => bary(a) - bary(b));
    layer.forEach((item, i) => index.set(item.id, i));
  }

  let y = 0;
  let width = 0;
  const rows = ranks.filter((layer): layer is Item[] => layer !== undefined && layer.length > 0);
  for (const layer of rows) {
    width = Math.max(width, layer.reduce((s, i) => s + i.w, 0) + NODE_GAP * (layer.length - 1));
  }
  for (const layer of rows) {
    const layerW = layer.reduce((s, i) => s + i.w, 0) + NODE_GAP * (layer.length - 1);
    const h = Math.max(...layer.map((i) => i.h));
    let x = (width - layerW) / 2;
    for (const item of layer) {
      item.x = x;
      item.y = y + (h - item.h) / 2;
      x += item.w + NODE_GAP;
    }
    y += h + RANK_GAP;
  }
  const laidEdges = edges.flatMap((e) => {
    const from = byId.get(e.from);
    const to = byId.get(e.to);
    if (from === undefined || to === undefined) return [];
    const isPseudo = e.from === START || e.to === END;
    return [{ from, to, edge: isPseudo ? undefined : e, back: back.has(e) }];
  });
  return { label: group.label, w: width + 80, h: Math.max(0, y - RANK_GAP), items, edges: laidEdges };
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const FILL: Record<string, string> = {
  Task: '#e8f0fe',
  Choice: '#fff4d6',
  Pass: '#f1f3f4',
  Wait: '#f3e8fd',
  Succeed: '#d9f2d9',
  Fail: '#f8d7d7',
  Parallel: '#ffffff',
  Map: '#ffffff',
};

function drawLayout(layout: Layout, ox: number, oy: number, out: string[]): void {
  const shift = 40; // room on the right of every group for back edges
  for (const { from, to, edge, back } of layout.edges) {
    const colour = edge?.kind === 'catch' ? '#c0392b' : '#5f6368';
    const dash = edge?.kind === 'catch' ? ' stroke-dasharray="5,4"' : '';
    let path: string;
    let lx: number;
    let ly: number;
    if (back) {
      const x1 = ox + from.x + from.w;
      const y1 = oy + from.y + from.h / 2;
      const x2 = ox + to.x + to.w;
      const y2 = oy + to.y + to.h / 2;
      const bulge = Math.max(x1, x2) + shift;
      path = `M${x1},${y1} C${bulge},${y1} ${bulge},${y2} ${x2},${y2}`;
      lx = bulge - 6;
      ly = (y1 + y2) / 2;
    } else {
      const x1 = ox + from.x + from.w / 2;
      const y1 = oy + from.y + from.h;
      const x2 = ox + to.x + to.w / 2;
      const y2 = oy + to.y;
      const my = (y1 + y2) / 2;
      path = `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`;
      lx = (x1 + x2) / 2 + 4;
      ly = my;
    }
    out.push(
      `<path d="${path}" fill="none" stroke="${colour}" stroke-width="1.3"${dash} marker-end="url(#arrow)"/>`,
    );
    if (edge?.label !== undefined) {
      out.push(`<text x="${lx}" y="${ly}" class="edge">${xml(edge.label)}</text>`);
    }
  }
  for (const item of layout.items) {
    const x = ox + item.x;
    const y = oy + item.y;
    if (item.pseudo !== undefined) {
      out.push(`<rect x="${x}" y="${y}" width="${item.w}" height="${item.h}" rx="14" fill="#202124"/>`);
      out.push(`<text x="${x + item.w / 2}" y="${y + item.h / 2 + 4}" class="pseudo">${item.label}</text>`);
      continue;
    }
    const type = item.node?.type ?? 'Task';
    if (item.children.length > 0) {
      out.push(
        `<rect x="${x}" y="${y}" width="${item.w}" height="${item.h}" rx="8" fill="#fafafa" stroke="#5f6368" stroke-dasharray="4,3"/>`,
      );
      out.push(`<text x="${x + PAD}" y="${y + 16}" class="group">${xml(`${item.label} (${type})`)}</text>`);
      let cx =
        x +
        (item.w - (item.children.reduce((s, c) => s + c.w, 0) + NODE_GAP * (item.children.length - 1))) / 2;
      for (const child of item.children) {
        const cy = y + HEADER + PAD;
        out.push(
          `<rect x="${cx}" y="${cy - 4}" width="${child.w}" height="${child.h + 8}" rx="6" fill="none" stroke="#dadce0"/>`,
        );
        out.push(`<text x="${cx + 6}" y="${cy + 8}" class="branch">${xml(child.label)}</text>`);
        drawLayout(child, cx, cy + 14, out);
        cx += child.w + NODE_GAP;
      }
      continue;
    }
    const rx = type === 'Choice' ? 18 : 6;
    out.push(
      `<rect x="${x}" y="${y}" width="${item.w}" height="${item.h}" rx="${rx}" fill="${FILL[type] ?? '#fff'}" stroke="#5f6368"/>`,
    );
    out.push(`<text x="${x + item.w / 2}" y="${y + 17}" class="name">${xml(item.label)}</text>`);
    out.push(`<text x="${x + item.w / 2}" y="${y + 31}" class="type">${xml(item.sublabel)}</text>`);
  }
}

export function toSvg(root: GraphGroup): string {
  const layout = layoutGroup(root, true);
  const margin = 20;
  const body: string[] = [];
  drawLayout(layout, margin, margin, body);
  const w = Math.ceil(layout.w + 2 * margin);
  const h = Math.ceil(layout.h + 2 * margin);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="Helvetica, Arial, sans-serif">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5f6368"/></marker>
<style>.name{font-size:12px;text-anchor:middle;fill:#202124}.type{font-size:10px;text-anchor:middle;fill:#5f6368}.edge{font-size:10px;fill:#3c4043}.pseudo{font-size:11px;text-anchor:middle;fill:#fff}.group{font-size:12px;font-weight:bold;fill:#202124}.branch{font-size:10px;fill:#5f6368}</style></defs>
<rect width="100%" height="100%" fill="#fff"/>
${body.join('\n')}
</svg>
`;
}
