/**
 * A definition as a graph: states as nodes, transitions as labelled edges, Parallel branches
 * and Map item processors as nested groups. Pure data, so the CLI (mermaid, dot, svg) and the
 * console draw the same picture. Transitions never cross a StartAt/States block in ASL, so
 * each group holds exactly the edges between its own nodes.
 */
import type { Json } from '../json.js';
import type {
  ChoiceRule,
  ProcessorDefinition,
  State,
  StateMachineDefinition,
  StateType,
} from './definition.js';

export interface GraphNode {
  /** Unique in the whole graph and safe as an identifier in mermaid and dot (`s0`, `s1`…). */
  id: string;
  /** The state's name. */
  name: string;
  type: StateType;
  /** The workflow (or the branch) may end here: `End: true`, Succeed or Fail. */
  end: boolean;
  /** Task: the resource ARN. */
  resource?: string;
  comment?: string;
  /** Parallel: one group per branch; Map: one group, the item processor. */
  groups?: GraphGroup[];
}

export type GraphEdgeKind = 'next' | 'default' | 'choice' | 'catch';

export interface GraphEdge {
  /** Node ids in the same group. */
  from: string;
  to: string;
  kind: GraphEdgeKind;
  /** Choice: the rule in short form; Catch: the errors it matches; Default: "Default". */
  label?: string;
}

/** One StartAt/States block: the machine itself, a Parallel branch or a Map item processor. */
export interface GraphGroup {
  id: string;
  /** The machine's Comment or "Workflow"; "Branch N"; "Item processor". */
  label: string;
  /** The id of the StartAt node (undefined only if StartAt names no state). */
  startAt: string | undefined;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function buildGraph(definition: StateMachineDefinition): GraphGroup {
  let counter = 0;
  const nextId = (): string => `s${counter++}`;

  const buildGroup = (
    scope: { StartAt: string; States: Record<string, State> },
    id: string,
    label: string,
  ): GraphGroup => {
    const ids = new Map<string, string>();
    for (const name of Object.keys(scope.States)) ids.set(name, nextId());
    const nodes: GraphNode[] = [];
    const edges: GraphEdge[] = [];
    const edge = (from: string, target: string | undefined, kind: GraphEdgeKind, label?: string): void => {
      const to = target === undefined ? undefined : ids.get(target);
      if (to !== undefined) edges.push({ from, to, kind, ...(label !== undefined ? { label } : {}) });
    };
    for (const [name, state] of Object.entries(scope.States)) {
      const nodeId = ids.get(name) ?? nextId();
      const node: GraphNode = { id: nodeId, name, type: state.Type, end: isTerminal(state) };
      if (state.Comment !== undefined) node.comment = state.Comment;
      switch (state.Type) {
        case 'Task':
          node.resource = state.Resource;
          edge(nodeId, state.Next, 'next');
          break;
        case 'Choice':
          for (const rule of state.Choices) edge(nodeId, rule.Next, 'choice', describeChoiceRule(rule));
          edge(nodeId, state.Default, 'default', 'Default');
          break;
        case 'Parallel':
          node.groups = state.Branches.map((branch, i) =>
            buildProcessor(branch, `${nodeId}_b${i}`, `Branch ${i + 1}`),
          );
          edge(nodeId, state.Next, 'next');
          break;
        case 'Map': {
          const processor = state.ItemProcessor ?? state.Iterator;
          if (processor !== undefined)
            node.groups = [buildProcessor(processor, `${nodeId}_p`, 'Item processor')];
          edge(nodeId, state.Next, 'next');
          break;
        }
        case 'Pass':
        case 'Wait':
          edge(nodeId, state.Next, 'next');
          break;
        case 'Succeed':
        case 'Fail':
          break;
        default: {
          const never: never = state;
          throw new Error(`unknown state ${JSON.stringify(never)}`);
        }
      }
      if ('Catch' in state && state.Catch !== undefined) {
        for (const catcher of state.Catch)
          edge(nodeId, catcher.Next, 'catch', `Catch ${catcher.ErrorEquals.join(', ')}`);
      }
      nodes.push(node);
    }
    return { id, label, startAt: ids.get(scope.StartAt), nodes, edges };
  };

  const buildProcessor = (processor: ProcessorDefinition, id: string, label: string): GraphGroup =>
    buildGroup(processor, id, label);

  return buildGroup(definition, 'root', definition.Comment ?? 'Workflow');
}

function isTerminal(state: State): boolean {
  if (state.Type === 'Succeed' || state.Type === 'Fail') return true;
  return 'End' in state && state.End === true;
}

const RELATION_SYMBOLS: Record<string, string> = {
  Equals: '==',
  LessThan: '<',
  GreaterThan: '>',
  LessThanEquals: '<=',
  GreaterThanEquals: '>=',
};

const TYPE_TESTS: Record<string, string> = {
  IsNull: 'is null',
  IsPresent: 'is present',
  IsNumeric: 'is numeric',
  IsString: 'is string',
  IsBoolean: 'is boolean',
  IsTimestamp: 'is timestamp',
};

/** A Choice rule in short form for an edge label: `$.age < 18`, `not ($.x is present)`. */
export function describeChoiceRule(rule: ChoiceRule): string {
  if (rule.And !== undefined) return rule.And.map(describeNested).join(' and ');
  if (rule.Or !== undefined) return rule.Or.map(describeNested).join(' or ');
  if (rule.Not !== undefined) return `not ${describeNested(rule.Not)}`;
  if (rule.Condition !== undefined) return typeof rule.Condition === 'string' ? rule.Condition : 'Condition';
  const variable = rule.Variable ?? '?';
  for (const [key, value] of Object.entries(rule)) {
    if (key in TYPE_TESTS)
      return value === false
        ? `${variable} ${TYPE_TESTS[key] ?? key} = false`
        : `${variable} ${TYPE_TESTS[key] ?? key}`;
    if (key === 'StringMatches') return `${variable} matches ${show(value)}`;
    const match =
      /^(String|Numeric|Timestamp|Boolean)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals)(Path)?$/.exec(
        key,
      );
    if (match !== null) {
      const symbol = RELATION_SYMBOLS[match[2] ?? ''] ?? key;
      return `${variable} ${symbol} ${match[3] === 'Path' && typeof value === 'string' ? value : show(value)}`;
    }
  }
  return variable;
}

function describeNested(rule: ChoiceRule): string {
  const text = describeChoiceRule(rule);
  return rule.And !== undefined || rule.Or !== undefined ? `(${text})` : text;
}

function show(value: Json | ChoiceRule | ChoiceRule[] | undefined): string {
  return JSON.stringify(value) ?? '';
}

/** Every node of a group and of the groups nested in it, depth first. */
export function* allNodes(group: GraphGroup): Generator<GraphNode> {
  for (const node of group.nodes) {
    yield node;
    for (const child of node.groups ?? []) yield* allNodes(child);
  }
}
