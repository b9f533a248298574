/**
 * Shared state and value checks for the definition validator. Messages follow the wording AWS
 * uses where it is known; the rest follow the same patterns.
 */
import { jsonataSyntaxError } from './jsonata.js';
import type { Json, JsonObject } from '../json.js';
import { isJsonObject } from '../json.js';
import type { QueryLanguage } from './definition.js';
import { isValidIntrinsic } from './intrinsics.js';
import { isValidPath, isValidReferencePath } from './jsonpath.js';

export type DiagnosticSeverity = 'ERROR' | 'WARNING';

export interface Diagnostic {
  severity: DiagnosticSeverity;
  code: string;
  message: string;
  /** A pointer such as `/States/X/Next`; `''` when AWS gives no location (MISSING_END_STATE). */
  location: string;
}

export const Code = {
  InvalidJson: 'INVALID_JSON_DESCRIPTION',
  MissingDescription: 'MISSING_DESCRIPTION',
  Schema: 'SCHEMA_VALIDATION_FAILED',
  MissingTarget: 'MISSING_TRANSITION_TARGET',
  MissingEnd: 'MISSING_END_STATE',
  DuplicateStateName: 'DUPLICATE_STATE_NAME',
  InvalidStateName: 'INVALID_STATE_NAME',
  DuplicateLabel: 'DUPLICATE_LABEL_NAME',
  InvalidLabel: 'INVALID_LABEL_NAME',
  TooDeeplyNested: 'TOO_DEEPLY_NESTED',
  ReservedVariable: 'RESERVED_VARIABLE_NAME',
  InvalidVariable: 'INVALID_VARIABLE_NAME',
} as const;

export interface Edge {
  target: string;
  location: string;
}

/** One `StartAt`/`States` block: transitions resolve only inside it. */
export interface Scope {
  /** Location of the object holding `StartAt` and `States` (`''` for the machine itself). */
  base: string;
  startAt: string | undefined;
  names: string[];
  nameSet: Set<string>;
  edges: Map<string, Edge[]>;
  hasTerminal: boolean;
  /** False when `States` is missing or malformed: transitions are then not worth checking. */
  hasStates: boolean;
}

export class Context {
  readonly diagnostics: Diagnostic[] = [];
  readonly scopes: Scope[] = [];
  /** Every state name in the machine, nested ones included: names must be unique machine-wide. */
  readonly stateNames = new Set<string>();
  readonly labels = new Set<string>();

  constructor(
    readonly machineLanguage: QueryLanguage,
    readonly express: boolean,
    readonly duplicates: WeakMap<JsonObject, string[]>,
  ) {}

  error(code: string, message: string, location: string): void {
    this.diagnostics.push({ severity: 'ERROR', code, message, location });
  }

  /** A schema problem; the machine's own object is reported at `/`. */
  schema(message: string, location: string): void {
    this.error(Code.Schema, message, location === '' ? '/' : location);
  }

  required(obj: JsonObject, fields: readonly string[], location: string): void {
    const missing = fields.filter((f) => obj[f] === undefined);
    if (missing.length > 0) this.schema(`These fields are required: [${missing.join(', ')}]`, location);
  }

  unsupported(field: string, location: string): void {
    this.schema(`Field '${field}' is not supported`, location);
  }

  languageMismatch(language: QueryLanguage, field: string, location: string): void {
    const other: QueryLanguage = language === 'JSONPath' ? 'JSONata' : 'JSONPath';
    this.schema(
      `The QueryLanguage is set to '${language}', but field '${field}' is only supported for the '${other}' QueryLanguage`,
      location,
    );
  }

  /** At most one of `fields` (when `atLeastOne`, exactly one). Returns how many are present. */
  exclusive(obj: JsonObject, fields: readonly string[], location: string, atLeastOne = false): number {
    const present = fields.filter((f) => obj[f] !== undefined).length;
    if (present > 1) {
      this.schema(`There should only be one of the following fields: [${fields.join(', ')}]`, location);
    } else if (present === 0 && atLeastOne) {
      this.schema(
        `This object should have only one of the following fields: [${fields.join(', ')}]`,
        location,
      );
    }
    return present;
  }

  string(value: Json | undefined, location: string): value is string {
    if (value === undefined) return false;
    if (typeof value === 'string') return true;
    this.schema('Value should be a string', location);
    return false;
  }

  boolean(value: Json | undefined, location: string): value is boolean {
    if (value === undefined) return false;
    if (typeof value === 'boolean') return true;
    this.schema('Value should be a boolean', location);
    return false;
  }

  object(value: Json | undefined, location: string): value is JsonObject {
    if (value === undefined) return false;
    if (isJsonObject(value)) return true;
    this.schema('Value should be an object', location);
    return false;
  }

  array(value: Json | undefined, location: string, nonEmpty = false): value is Json[] {
    if (value === undefined) return false;
    if (!Array.isArray(value)) {
      this.schema('Value should be an array', location);
      return false;
    }
    if (nonEmpty && value.length === 0) {
      this.schema('Value cannot be empty', location);
      return false;
    }
    return true;
  }

  enumeration(value: Json | undefined, allowed: readonly string[], location: string): void {
    if (value === undefined) return;
    if (typeof value !== 'string' || !allowed.includes(value)) {
      this.schema(`Value should be one of the following: [${allowed.join(', ')}]`, location);
    }
  }

  /**
   * A numeric field; under JSONata it may instead be a `{% %}` expression. Returns the number
   * when it is a literal.
   */
  number(
    value: Json | undefined,
    location: string,
    limits: { integer: boolean; min?: number; max?: number; jsonata?: boolean },
  ): number | undefined {
    if (value === undefined) return undefined;
    if (limits.jsonata === true && typeof value === 'string' && isJsonataExpression(value)) {
      this.jsonataExpression(value, location);
      return undefined;
    }
    if (typeof value !== 'number' || (limits.integer && !Number.isInteger(value))) {
      this.schema(limits.integer ? 'Value should be an integer' : 'Value should be a number', location);
      return undefined;
    }
    if (limits.min !== undefined && value < limits.min) {
      this.schema(`Value should be greater than or equal to ${limits.min}`, location);
      return undefined;
    }
    if (limits.max !== undefined && value > limits.max) {
      this.schema(`Value should be less than or equal to ${limits.max}`, location);
      return undefined;
    }
    return value;
  }

  /** InputPath / OutputPath: a JSONPath (which may select several nodes) or null. */
  path(field: string, value: Json | undefined, location: string): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'string' || !isValidPath(value)) {
      this.schema(`The value for the field '${field}' must be a valid JSONPath`, location);
    }
  }

  /** A path that must address one node: ItemsPath, SecondsPath and the other `*Path` fields. */
  referencePath(field: string, value: Json | undefined, location: string): void {
    if (value === undefined) return;
    if (typeof value !== 'string' || !isValidReferencePath(value)) {
      this.schema(`The value for the field '${field}' must be a valid ReferencePath`, location);
    }
  }

  /** ResultPath writes into the state's input, so it cannot address the context object or a variable. */
  resultPath(value: Json | undefined, location: string): void {
    if (value === undefined || value === null) return;
    if (
      typeof value !== 'string' ||
      value.startsWith('$$') ||
      /^\$[^.[]/.test(value) ||
      !isValidReferencePath(value)
    ) {
      this.schema(`The value for the field 'ResultPath' must be a valid ReferencePath`, location);
    }
  }

  /** ErrorPath / CausePath: a reference path or an intrinsic function call. */
  pathOrIntrinsic(field: string, value: Json | undefined, location: string): void {
    if (value === undefined) return;
    if (typeof value !== 'string' || !(isValidReferencePath(value) || looksLikeIntrinsic(value))) {
      this.schema(
        `The value for the field '${field}' must be a valid ReferencePath or a valid intrinsic function call`,
        location,
      );
    }
  }

  /**
   * A JSONPath payload template: keys ending in `.$` carry a path or an intrinsic call. Nested
   * objects, also inside arrays, are templates too.
   */
  payloadTemplate(value: Json, location: string): void {
    if (Array.isArray(value)) {
      value.forEach((item, i) => this.payloadTemplate(item, `${location}[${i}]`));
      return;
    }
    if (!isJsonObject(value)) return;
    const seen = new Set<string>();
    for (const [key, item] of Object.entries(value)) {
      const dynamic = key.endsWith('.$');
      const name = dynamic ? key.slice(0, -2) : key;
      if (seen.has(name)) {
        this.schema(
          `The field '${name}' is defined more than once (with and without the '.$' suffix)`,
          location,
        );
      }
      seen.add(name);
      if (dynamic) {
        if (typeof item !== 'string' || !isDynamicValue(item)) {
          this.schema(
            `The value for the field '${key}' must be a valid JSONPath or a valid intrinsic function call`,
            location,
          );
        }
      } else {
        this.payloadTemplate(item, `${location}/${key}`);
      }
    }
  }

  /** Every string inside a JSONata-capable value that opens `{%` must be a well-formed expression. */
  jsonataValue(value: Json, location: string): void {
    if (typeof value === 'string') {
      if (value.startsWith('{%')) this.jsonataExpression(value, location);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => this.jsonataValue(item, `${location}[${i}]`));
      return;
    }
    if (isJsonObject(value)) {
      for (const [key, item] of Object.entries(value)) this.jsonataValue(item, `${location}/${key}`);
    }
  }

  jsonataExpression(text: string, location: string): void {
    if (!isJsonataExpression(text)) {
      this.schema('JSONata string must start with {% and end with %}', location);
      return;
    }
    const problem = jsonataProblem(text.slice(2, -2));
    if (problem !== undefined) this.schema(problem, location);
  }

  /** Assign: names are identifiers, `states` is reserved; values are templates (JSONPath) or JSONata. */
  assign(value: Json | undefined, language: QueryLanguage, location: string): void {
    if (!this.object(value, location)) return;
    for (const key of Object.keys(value)) {
      const name = language === 'JSONPath' && key.endsWith('.$') ? key.slice(0, -2) : key;
      if (name === 'states') {
        this.error(Code.ReservedVariable, "Cannot assign to reserved variable '$states'.", location);
      } else if (!VARIABLE_NAME.test(name)) {
        this.error(
          Code.InvalidVariable,
          `Invalid variable name '${name}': the variable name contains invalid characters.`,
          location,
        );
      } else if ([...name].length > 80) {
        this.error(
          Code.InvalidVariable,
          `Invalid variable name '${name}': the variable name exceeds the 80 character limit.`,
          location,
        );
      }
    }
    if (language === 'JSONPath') this.payloadTemplate(value, location);
    else this.jsonataValue(value, location);
  }
}

const VARIABLE_NAME = /^\p{ID_Start}\p{ID_Continue}*$/u;

export function isJsonataExpression(text: string): boolean {
  return text.length >= 4 && text.startsWith('{%') && text.endsWith('%}');
}

/** A `.$` value: a path (`$`, `$$`, a variable) or an intrinsic call. */
export function isDynamicValue(text: string): boolean {
  return looksLikeIntrinsic(text) || isValidPath(text);
}

/**
 * An intrinsic call as the intrinsics parser reads it (names, arity of nesting, literals). The
 * cheap shape check first keeps plain paths away from the parser.
 */
export function looksLikeIntrinsic(text: string): boolean {
  return hasIntrinsicShape(text) && isValidIntrinsic(text);
}

/** The name prefix and balanced parentheses, with quoted arguments skipped. */
function hasIntrinsicShape(text: string): boolean {
  if (!/^States\.[A-Za-z0-9]+\s*\(/.test(text)) return false;
  let depth = 0;
  let closedAt = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === "'") {
      i++;
      while (i < text.length && text.charAt(i) !== "'") {
        if (text.charAt(i) === '\\') i++;
        i++;
      }
      if (i >= text.length) return false;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')') {
      depth--;
      if (depth < 0) return false;
      if (depth === 0) {
        closedAt = i;
        break;
      }
    }
  }
  return closedAt >= 0 && text.slice(closedAt + 1).trim() === '';
}

/**
 * Restrictions AWS puts on JSONata expressions, checked on the text with string literals and
 * comments removed: `$eval` is not offered, and the expression may not read the root context
 * with `$$` or start from a bare `$`.
 */
function jsonataProblem(body: string): string | undefined {
  const code = stripJsonataLiterals(body).trim();
  if (code === '') return 'The JSONata expression cannot be empty';
  if (/\$eval\s*\(/.test(code)) return "The JSONata function '$eval' is not supported";
  if (code.includes('$$')) return "The JSONata expression cannot use '$$'";
  if (/^\$(?![\p{ID_Continue}$])/u.test(code)) {
    return "The JSONata expression cannot use '$' at the top level";
  }
  // A syntax error would otherwise surface only when an execution reaches the field.
  const syntax = jsonataSyntaxError(body.trim());
  if (syntax !== null) return `The JSONata expression '${body.trim()}' is not valid: ${syntax}`;
  return undefined;
}

function stripJsonataLiterals(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body.charAt(i);
    if (ch === '"' || ch === "'" || ch === '`') {
      const quote = ch;
      i++;
      while (i < body.length && body.charAt(i) !== quote) {
        if (body.charAt(i) === '\\') i++;
        i++;
      }
      out += '""';
    } else if (ch === '/' && body.charAt(i + 1) === '*') {
      const end = body.indexOf('*/', i + 2);
      i = end < 0 ? body.length : end + 1;
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

/** RFC 3339 as AWS applies it: uppercase `T` and `Z`, real calendar dates and clock times. */
export function isRfc3339(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  if (day > days || hour > 23 || minute > 59 || second > 59) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}
