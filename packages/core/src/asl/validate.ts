/**
 * Definition validation as AWS does it for ValidateStateMachineDefinition and, through
 * `formatInvalidDefinition`, for the InvalidDefinition error of CreateStateMachine and
 * UpdateStateMachine. Every problem is reported, each with its location; the work is linear in
 * the size of the definition.
 */
import type { JsonObject } from '../json.js';
import { isJsonObject } from '../json.js';
import type { QueryLanguage, StateMachineDefinition } from './definition.js';
import type { Diagnostic, Scope } from './validate-context.js';
import { Code, Context } from './validate-context.js';
import { JsonDepthError, JsonSyntaxError, parseJsonText } from './validate-json.js';
import { validateScope } from './validate-states.js';

export type { Diagnostic, DiagnosticSeverity } from './validate-context.js';

export interface ValidationResult {
  /** Present only when no diagnostic is an ERROR. */
  definition?: StateMachineDefinition;
  diagnostics: Diagnostic[];
}

export interface ValidateOptions {
  type?: 'STANDARD' | 'EXPRESS';
  /**
   * The text is one state rather than a machine (TestState): it is checked as the only state,
   * named so, of a machine around it (AWS reports its problems at `/States/<name>/…`). Its
   * transitions lead out of the test, so they are not resolved.
   */
  singleState?: string;
}

/**
 * Deeper JSON than this is refused before recursion can exhaust the stack; real definitions
 * stay far below it.
 */
const MAX_DEPTH = 1000;

export function validateDefinition(text: string, options: ValidateOptions = {}): ValidationResult {
  if (text.trim() === '') {
    return {
      diagnostics: [diagnostic(Code.MissingDescription, 'Received a null or empty workflow input.', '')],
    };
  }
  let parsed;
  try {
    parsed = parseJsonText(text, MAX_DEPTH);
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      const message = `${error.message} at line ${error.line}, column ${error.column}`;
      return { diagnostics: [diagnostic(Code.InvalidJson, message, '')] };
    }
    if (error instanceof JsonDepthError) {
      return { diagnostics: [diagnostic(Code.TooDeeplyNested, 'The states are too deeply nested.', '')] };
    }
    throw error;
  }

  const parsedRoot = parsed.value;
  if (!isJsonObject(parsedRoot)) {
    return { diagnostics: [diagnostic(Code.Schema, 'Value should be an object', '/')] };
  }
  const single = options.singleState;
  const root: JsonObject =
    single === undefined ? parsedRoot : { StartAt: single, States: { [single]: parsedRoot } };

  const declared = root['QueryLanguage'];
  const machineLanguage: QueryLanguage =
    declared === undefined || declared === 'JSONPath' ? 'JSONPath' : 'JSONata';
  const ctx = new Context(machineLanguage, options.type === 'EXPRESS', parsed.duplicates);

  ctx.enumeration(root['Version'], ['1.0'], '/Version');
  ctx.number(root['TimeoutSeconds'], '/TimeoutSeconds', { integer: true, min: 0, max: 99999999 });
  ctx.enumeration(declared, ['JSONPath', 'JSONata'], '/QueryLanguage');
  validateScope(ctx, root, '', {
    Version: 'both',
    TimeoutSeconds: 'both',
    QueryLanguage: 'both',
  });
  for (const scope of ctx.scopes) {
    if (single === undefined || scope.base !== '') checkTransitions(ctx, scope);
  }

  const diagnostics = ctx.diagnostics;
  if (diagnostics.some((d) => d.severity === 'ERROR')) return { diagnostics };
  return { definition: asDefinition(root), diagnostics };
}

/**
 * The message body AWS puts inside `Invalid State Machine Definition: '…'`: each error as
 * `CODE: message at location`, joined with ", ". A diagnostic without a location reads `at null`,
 * as AWS writes it for MISSING_END_STATE.
 */
export function formatInvalidDefinition(diagnostics: Diagnostic[]): string {
  return diagnostics
    .filter((d) => d.severity === 'ERROR')
    .map((d) => `${d.code}: ${d.message} at ${d.location === '' ? 'null' : d.location}`)
    .join(', ');
}

function diagnostic(code: string, message: string, location: string): Diagnostic {
  return { severity: 'ERROR', code, message, location };
}

/**
 * Targets that name no state of the same scope, then a scope without any terminal state, then
 * states the walk from StartAt never reaches. AWS skips the reachability walk when it reports
 * MISSING_END_STATE, and reports the missing targets first.
 */
function checkTransitions(ctx: Context, scope: Scope): void {
  const { startAt, nameSet } = scope;
  if (!scope.hasStates) return;
  if (startAt !== undefined && !nameSet.has(startAt)) {
    ctx.error(Code.MissingTarget, `Missing 'Next' target: ${startAt}`, `${scope.base}/StartAt`);
  }
  for (const name of scope.names) {
    for (const edge of scope.edges.get(name) ?? []) {
      if (!nameSet.has(edge.target)) {
        ctx.error(Code.MissingTarget, `Missing 'Next' target: ${edge.target}`, edge.location);
      }
    }
  }
  if (scope.names.length > 0 && !scope.hasTerminal) {
    ctx.error(Code.MissingEnd, 'Workflow has no terminal state', scope.base);
    return;
  }
  if (startAt === undefined) return;

  const reached = new Set<string>();
  const pending: string[] = [];
  if (nameSet.has(startAt)) {
    reached.add(startAt);
    pending.push(startAt);
  }
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const edge of scope.edges.get(next) ?? []) {
      if (nameSet.has(edge.target) && !reached.has(edge.target)) {
        reached.add(edge.target);
        pending.push(edge.target);
      }
    }
  }
  for (const name of scope.names) {
    if (!reached.has(name)) {
      ctx.error(Code.MissingTarget, `State "${name}" is not reachable.`, `${scope.base}/States/${name}`);
    }
  }
}

/**
 * The shapes were checked field by field above; TypeScript cannot follow that, so the one
 * conversion from parsed JSON to the typed definition happens here.
 */
function asDefinition(root: JsonObject): StateMachineDefinition {
  return root as unknown as StateMachineDefinition;
}
