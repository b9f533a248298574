/**
 * Payload templates in JSONPath mode: Parameters, ResultSelector, ItemSelector, and Assign
 * values. A key ending in `.$` takes a path (`$…`), a context path (`$$…`), a variable
 * (`$name…`) or an intrinsic call (`States.…`), and loses its suffix; everything else is
 * copied, with nested objects and arrays walked.
 */
import type { Json, JsonObject } from '../json.js';
import { isJsonObject, toJsonText } from '../json.js';
import { StatesError, StatesErrorName } from './errors.js';
import type { ContextSource } from './jsonpath.js';
import { lookupPath, PathError, setOwnProperty } from './jsonpath.js';

export interface PayloadOptions {
  /** The state field being evaluated, e.g. 'Parameters'. */
  fieldName: string;
  /** Resolves `$name` references; without it such references are invalid. */
  variables?: ((name: string) => Json | undefined) | undefined;
  /** Evaluates a `States.…` call; `resolvePath` resolves its path arguments. */
  intrinsic?: ((expression: string, resolvePath: (path: string) => Json) => Json) | undefined;
}

const DYNAMIC_SUFFIX = '.$';

/**
 * Applies a payload template to `input`. The result may share structure with `input` (a
 * `"x.$": "$"` field is the input itself, not a copy): treat it as immutable.
 */
export function applyPayloadTemplate(
  template: Json,
  input: Json,
  context: ContextSource,
  options: PayloadOptions,
): Json {
  const resolvePath = (key: string, path: string): Json => {
    const kind = pathKind(path);
    if (kind === undefined || (kind === 'variable' && options.variables === undefined)) {
      throw invalidExpression(key);
    }
    let result;
    try {
      result = lookupPath(path, input, context, options.variables);
    } catch (error) {
      if (error instanceof PathError) throw invalidExpression(key);
      throw error;
    }
    if (!result.found) {
      throw new StatesError(
        StatesErrorName.Runtime,
        `The JSONPath '${path}' specified for the field '${key}' could not be found in the input '${toJsonText(input)}'`,
      );
    }
    return result.value;
  };

  const resolveDynamic = (key: string, expression: Json): Json => {
    if (typeof expression !== 'string') throw invalidExpression(key);
    if (expression.startsWith('States.')) {
      if (options.intrinsic === undefined) {
        throw new StatesError(
          StatesErrorName.Runtime,
          `Intrinsic functions are not supported in the field '${options.fieldName}': '${expression}' specified for the field '${key}'`,
        );
      }
      return options.intrinsic(expression, (path) => resolvePath(key, path));
    }
    return resolvePath(key, expression);
  };

  const transform = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(transform);
    if (!isJsonObject(value)) return value;
    const out: JsonObject = {};
    for (const { key, name, dynamic, member } of membersOf(value)) {
      setOwnProperty(out, name, dynamic ? resolveDynamic(key, member) : transform(member));
    }
    return out;
  };

  return transform(template);
}

interface TemplateMember {
  key: string;
  /** The output member's name: the key without its `.$`. */
  name: string;
  dynamic: boolean;
  member: Json;
}

/**
 * Each template object's members, sorted out once: templates are parts of a definition,
 * which never changes, and the same few are applied for every state and Map item (listing
 * and cutting the keys each time was ≈ a third of a Parameters evaluation).
 */
const MEMBERS = new WeakMap<JsonObject, readonly TemplateMember[]>();

function membersOf(template: JsonObject): readonly TemplateMember[] {
  let members = MEMBERS.get(template);
  if (members === undefined) {
    members = Object.keys(template).map((key) => {
      const dynamic = key.endsWith(DYNAMIC_SUFFIX);
      const name = dynamic ? key.slice(0, -DYNAMIC_SUFFIX.length) : key;
      return { key, name, dynamic, member: template[key] ?? null };
    });
    MEMBERS.set(template, members);
  }
  return members;
}

/** Which document a `.$` path reads, judged from its first characters alone. */
function pathKind(path: string): 'input' | 'context' | 'variable' | undefined {
  if (!path.startsWith('$')) return undefined;
  if (path.startsWith('$$')) return 'context';
  const second = path.charAt(1);
  if (second === '' || second === '.' || second === '[') return 'input';
  return /[\p{L}_]/u.test(second) ? 'variable' : undefined;
}

function invalidExpression(key: string): StatesError {
  return new StatesError(
    StatesErrorName.Runtime,
    `The value for the field '${key}' must be a valid JSONPath or a valid intrinsic function call`,
  );
}
