/**
 * Choice rules in JSONPath mode: And/Or/Not and the 39 data-test comparators, plus the
 * RFC 3339 timestamp reading that Choice, Wait and the validator share.
 */
import type { Json } from '../json.js';
import type { ChoiceRule, ChoiceState } from './definition.js';
import { StatesError, StatesErrorName } from './errors.js';
import type { ContextSource, VariableLookup } from './jsonpath.js';
import { lookupPath, PathError } from './jsonpath.js';

type Kind = 'String' | 'Numeric' | 'Boolean' | 'Timestamp';
type Relation = 'Equals' | 'LessThan' | 'GreaterThan' | 'LessThanEquals' | 'GreaterThanEquals';
type TypeTest = 'IsNull' | 'IsPresent' | 'IsNumeric' | 'IsString' | 'IsBoolean' | 'IsTimestamp';

type Comparator =
  | { readonly kind: 'relation'; readonly type: Kind; readonly relation: Relation; readonly path: boolean }
  | { readonly kind: 'matches' }
  | { readonly kind: 'test'; readonly test: TypeTest };

const RELATIONS: readonly Relation[] = [
  'Equals',
  'LessThan',
  'GreaterThan',
  'LessThanEquals',
  'GreaterThanEquals',
];

/** Every comparator name AWS accepts, with what it means. */
export const COMPARATORS: ReadonlyMap<string, Comparator> = (() => {
  const table = new Map<string, Comparator>();
  for (const type of ['String', 'Numeric', 'Timestamp'] as const) {
    for (const relation of RELATIONS) {
      table.set(`${type}${relation}`, { kind: 'relation', type, relation, path: false });
      table.set(`${type}${relation}Path`, { kind: 'relation', type, relation, path: true });
    }
  }
  table.set('BooleanEquals', { kind: 'relation', type: 'Boolean', relation: 'Equals', path: false });
  table.set('BooleanEqualsPath', { kind: 'relation', type: 'Boolean', relation: 'Equals', path: true });
  table.set('StringMatches', { kind: 'matches' });
  for (const test of ['IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'] as const) {
    table.set(test, { kind: 'test', test });
  }
  return table;
})();

/** The Next of the first rule that matches, or undefined (the caller applies Default). */
export function selectChoice(
  state: ChoiceState,
  input: Json,
  context: ContextSource,
  variables?: VariableLookup,
): string | undefined {
  for (const rule of state.Choices) {
    if (evaluateChoiceRule(rule, input, context, variables)) return rule.Next;
  }
  return undefined;
}

export function evaluateChoiceRule(
  rule: ChoiceRule,
  input: Json,
  context: ContextSource,
  variables?: VariableLookup,
): boolean {
  if (rule.And !== undefined)
    return rule.And.every((inner) => evaluateChoiceRule(inner, input, context, variables));
  if (rule.Or !== undefined)
    return rule.Or.some((inner) => evaluateChoiceRule(inner, input, context, variables));
  if (rule.Not !== undefined) return !evaluateChoiceRule(rule.Not, input, context, variables);

  const { name, comparator } = findComparator(rule);
  const operand = rule[name];
  if (rule.Variable === undefined) throw runtime('a Choice rule needs a Variable');
  const variable = resolve(rule.Variable, input, context, variables);

  if (comparator.kind === 'test') {
    if (typeof operand !== 'boolean') throw runtime(`the value of ${name} must be a boolean`);
    if (comparator.test === 'IsPresent') return (variable !== undefined) === operand;
    if (variable === undefined) throw invalidPath(rule.Variable);
    return typeTest(comparator.test, variable) === operand;
  }
  if (variable === undefined) throw invalidPath(rule.Variable);

  if (comparator.kind === 'matches') {
    if (typeof operand !== 'string') throw runtime('the value of StringMatches must be a string');
    return typeof variable === 'string' && matchesPattern(variable, operand);
  }

  let expected: Json;
  if (comparator.path) {
    if (typeof operand !== 'string') throw runtime(`the value of ${name} must be a path`);
    const resolved = resolve(operand, input, context, variables);
    if (resolved === undefined) throw invalidPath(operand);
    expected = resolved;
  } else {
    if (typeof operand !== 'string' && typeof operand !== 'number' && typeof operand !== 'boolean') {
      throw runtime(`invalid value for ${name}`);
    }
    expected = operand;
  }
  return relate(comparator.type, comparator.relation, variable, expected);
}

function findComparator(rule: ChoiceRule): { name: string; comparator: Comparator } {
  for (const name of Object.keys(rule)) {
    const comparator = COMPARATORS.get(name);
    if (comparator !== undefined) return { name, comparator };
  }
  throw runtime('a Choice rule needs a comparator');
}

function resolve(
  path: string,
  input: Json,
  context: ContextSource,
  variables: VariableLookup | undefined,
): Json | undefined {
  try {
    const result = lookupPath(path, input, context, variables);
    return result.found ? result.value : undefined;
  } catch (error) {
    if (error instanceof PathError) throw invalidPath(path);
    throw error;
  }
}

function invalidPath(path: string): StatesError {
  return new StatesError(
    StatesErrorName.Runtime,
    `Invalid path '${path}': The choice state's condition path references an invalid value.`,
  );
}

function runtime(message: string): StatesError {
  return new StatesError(StatesErrorName.Runtime, message);
}

function typeTest(test: Exclude<TypeTest, 'IsPresent'>, value: Json): boolean {
  switch (test) {
    case 'IsNull':
      return value === null;
    case 'IsNumeric':
      return typeof value === 'number';
    case 'IsString':
      return typeof value === 'string';
    case 'IsBoolean':
      return typeof value === 'boolean';
    case 'IsTimestamp':
      return typeof value === 'string' && isValidTimestamp(value);
  }
}

/** A type mismatch (either side) is false, never an error. */
function relate(type: Kind, relation: Relation, actual: Json, expected: Json): boolean {
  let order: number;
  switch (type) {
    case 'String':
      if (typeof actual !== 'string' || typeof expected !== 'string') return false;
      order = compareCodePoints(actual, expected);
      break;
    case 'Numeric':
      if (typeof actual !== 'number' || typeof expected !== 'number') return false;
      if (actual === expected) order = 0;
      else if (actual < expected) order = -1;
      else if (actual > expected) order = 1;
      else return false;
      break;
    case 'Boolean':
      return typeof actual === 'boolean' && typeof expected === 'boolean' && actual === expected;
    case 'Timestamp': {
      if (typeof actual !== 'string' || typeof expected !== 'string') return false;
      const a = readInstant(actual);
      const b = readInstant(expected);
      if (a === undefined || b === undefined) return false;
      order = a.seconds !== b.seconds ? Math.sign(a.seconds - b.seconds) : Math.sign(a.nanos - b.nanos);
      break;
    }
  }
  switch (relation) {
    case 'Equals':
      return order === 0;
    case 'LessThan':
      return order < 0;
    case 'GreaterThan':
      return order > 0;
    case 'LessThanEquals':
      return order <= 0;
    case 'GreaterThanEquals':
      return order >= 0;
  }
}

/**
 * Orders by Unicode code point. Plain `<` orders UTF-16 code units, which puts astral
 * characters (surrogate pairs) before U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return liftSurrogate(x) - liftSurrogate(y);
    return x - y;
  }
  return a.length - b.length;
}

function liftSurrogate(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

// --- StringMatches

const patternCache = new Map<string, RegExp>();

/**
 * `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. A
 * backslash at the end of the pattern escapes nothing and is an error.
 */
function matchesPattern(value: string, pattern: string): boolean {
  let regex = patternCache.get(pattern);
  if (regex === undefined) {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern.charAt(i);
      if (c === '*') {
        source += '[\\s\\S]*';
      } else if (c === '\\') {
        i++;
        if (i >= pattern.length) {
          throw runtime(`The StringMatches pattern '${pattern}' ends with an unescaped backslash`);
        }
        source += escapeRegex(pattern.charAt(i));
      } else {
        source += escapeRegex(c);
      }
    }
    regex = new RegExp(`^${source}$`);
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(pattern, regex);
  }
  return regex.test(value);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

// --- timestamps

/**
 * RFC 3339 date-time as AWS reads it: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, uppercase
 * `T` and `Z`, an offset required, the calendar checked (no 2016-02-30, no hour 24).
 */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

interface Instant {
  /** Whole seconds since the epoch, UTC. */
  seconds: number;
  nanos: number;
}

function readInstant(text: string): Instant | undefined {
  const match = TIMESTAMP.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zulu, sign, oh = '0', om = '0'] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (zulu === undefined) {
    const offsetHours = Number(oh);
    const offsetMinutes = Number(om);
    // Java's ZoneOffset stops at ±18:00.
    if (offsetMinutes > 59 || offsetHours * 60 + offsetMinutes > 18 * 60) return undefined;
    offset = (sign === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  }
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  return { seconds, nanos: Number(fraction.padEnd(9, '0')) };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 in the proleptic Gregorian calendar (valid for years 0–9999). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

export function isValidTimestamp(text: string): boolean {
  return readInstant(text) !== undefined;
}

/** Epoch milliseconds (sub-millisecond digits truncated), or undefined if not a timestamp. */
export function parseTimestamp(text: string): number | undefined {
  const instant = readInstant(text);
  if (instant === undefined) return undefined;
  return instant.seconds * 1000 + Math.floor(instant.nanos / 1_000_000);
}
