/**
 * The 18 JSONPath intrinsic functions (`States.Format(...)` and friends): a parser that runs once
 * per expression text, and an evaluator that is pure apart from the injected `random`/`uuid`.
 *
 * Error behaviour follows what AWS does, not what the spec says: every failure of an intrinsic at
 * run time (wrong arity, wrong argument type, a limit exceeded) surfaces as `States.Runtime` with
 * the cause `Invalid arguments in States.<Name>`, which means it cannot be caught or retried.
 * Malformed expressions are rejected by AWS when the definition is created, hence a separate
 * `IntrinsicSyntaxError` for the validator.
 */
import { createHash } from 'node:crypto';

import type { Json, JsonObject } from '../json.js';
import { isJsonObject, toJsonText } from '../json.js';
import { StatesError, StatesErrorName } from './errors.js';

export const INTRINSIC_NAMES = [
  'States.Format',
  'States.StringToJson',
  'States.JsonToString',
  'States.Array',
  'States.ArrayPartition',
  'States.ArrayContains',
  'States.ArrayRange',
  'States.ArrayGetItem',
  'States.ArrayLength',
  'States.ArrayUnique',
  'States.Base64Encode',
  'States.Base64Decode',
  'States.Hash',
  'States.JsonMerge',
  'States.MathRandom',
  'States.MathAdd',
  'States.StringSplit',
  'States.UUID',
] as const;

export type IntrinsicName = (typeof INTRINSIC_NAMES)[number];

/** Literal strings keep where their unescaped `{}` were, because `\{}` must not be a placeholder. */
export interface StringLiteralArg {
  kind: 'string';
  value: string;
  /** The text split at unescaped `{}`; null when a lone `{` or `}` makes it unusable as a template. */
  templatePieces: string[] | null;
}

export type IntrinsicArg =
  | StringLiteralArg
  | { kind: 'literal'; value: number | boolean | null }
  | { kind: 'path'; path: string }
  | IntrinsicCall;

export interface IntrinsicCall {
  kind: 'call';
  name: IntrinsicName;
  args: IntrinsicArg[];
}

export interface IntrinsicEnv {
  random: () => number;
  uuid: () => string;
}

export class IntrinsicSyntaxError extends Error {
  override readonly name = 'IntrinsicSyntaxError';
}

/** AWS documents 10 nested intrinsics per field. */
export const MAX_INTRINSIC_NESTING = 10;
const MAX_ARRAY_RANGE_ITEMS = 1000;
const MAX_ENCODED_CHARS = 10_000;

const KNOWN_NAMES: ReadonlySet<string> = new Set(INTRINSIC_NAMES);

// ---------------------------------------------------------------------------------------------
// Parsing

/** Definitions are finite, but a long-running server sees many; the cap keeps memory bounded. */
const CACHE_LIMIT = 10_000;
const parseCache = new Map<string, IntrinsicCall | IntrinsicSyntaxError>();

export function parseIntrinsic(expression: string): IntrinsicCall {
  let parsed = parseCache.get(expression);
  if (parsed === undefined) {
    try {
      parsed = new Parser(expression).parseWhole();
    } catch (error) {
      if (!(error instanceof IntrinsicSyntaxError)) throw error;
      parsed = error;
    }
    if (parseCache.size >= CACHE_LIMIT) parseCache.clear();
    parseCache.set(expression, parsed);
  }
  if (parsed instanceof IntrinsicSyntaxError) throw parsed;
  return parsed;
}

export function isValidIntrinsic(expression: string): boolean {
  try {
    parseIntrinsic(expression);
    return true;
  } catch (error) {
    if (error instanceof IntrinsicSyntaxError) return false;
    throw error;
  }
}

const NUMBER_PATTERN = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/;

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseWhole(): IntrinsicCall {
    this.skipSpace();
    const call = this.parseCall(1);
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('unexpected text after the closing parenthesis');
    return call;
  }

  private fail(message: string): never {
    throw new IntrinsicSyntaxError(`Invalid intrinsic function '${this.text}' at ${this.pos}: ${message}`);
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text.charAt(this.pos))) this.pos++;
  }

  private parseCall(depth: number): IntrinsicCall {
    if (depth > MAX_INTRINSIC_NESTING) {
      this.fail(`intrinsic functions nest deeper than ${MAX_INTRINSIC_NESTING} levels`);
    }
    const match = /^States\.[A-Za-z0-9]+/.exec(this.text.slice(this.pos));
    if (match === null) this.fail('expected an intrinsic function name (States.Name)');
    const name = match[0];
    if (!KNOWN_NAMES.has(name)) this.fail(`unknown intrinsic function ${name}`);
    this.pos += name.length;
    this.skipSpace();
    if (this.peek() !== '(') this.fail(`expected '(' after ${name}`);
    this.pos++;
    const args: IntrinsicArg[] = [];
    this.skipSpace();
    if (this.peek() === ')') {
      this.pos++;
    } else {
      for (;;) {
        this.skipSpace();
        args.push(this.parseArg(depth));
        this.skipSpace();
        const next = this.peek();
        this.pos++;
        if (next === ')') break;
        if (next !== ',') this.fail("expected ',' or ')' after an argument");
      }
    }
    return { kind: 'call', name: name as IntrinsicName, args };
  }

  private parseArg(depth: number): IntrinsicArg {
    const c = this.peek();
    if (c === undefined) this.fail('unexpected end of expression');
    if (c === "'") return this.parseString();
    if (c === '$') return { kind: 'path', path: this.parsePath() };
    if (this.text.startsWith('States.', this.pos)) return this.parseCall(depth + 1);
    const rest = this.text.slice(this.pos);
    for (const [word, value] of [
      ['null', null],
      ['true', true],
      ['false', false],
    ] as const) {
      if (rest.startsWith(word) && !/[A-Za-z0-9_]/.test(rest.charAt(word.length))) {
        this.pos += word.length;
        return { kind: 'literal', value };
      }
    }
    const number = NUMBER_PATTERN.exec(rest);
    if (number !== null && !/[A-Za-z0-9_.]/.test(rest.charAt(number[0].length))) {
      const value = Number(number[0]);
      if (!Number.isFinite(value)) this.fail(`number ${number[0]} is out of range`);
      this.pos += number[0].length;
      return { kind: 'literal', value: value === 0 ? 0 : value };
    }
    return this.fail('expected a string, number, boolean, null, path or intrinsic function');
  }

  /** `'...'` with the escapes `\'`, `\{`, `\}` and `\\`; any other backslash is invalid, as in AWS. */
  private parseString(): StringLiteralArg {
    this.pos++;
    let value = '';
    let piece = '';
    let pieces: string[] | null = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('unterminated string literal');
      this.pos++;
      if (c === "'") break;
      if (c === '\\') {
        const escaped = this.peek();
        if (escaped !== "'" && escaped !== '{' && escaped !== '}' && escaped !== '\\') {
          this.fail("a backslash must escape one of ' { } \\");
        }
        this.pos++;
        value += escaped;
        piece += escaped;
      } else if (c === '{' && this.peek() === '}') {
        this.pos++;
        value += '{}';
        pieces?.push(piece);
        piece = '';
      } else {
        // A lone brace is legal text, but makes the string unusable as a Format template.
        if (c === '{' || c === '}') pieces = null;
        value += c;
        piece += c;
      }
    }
    pieces?.push(piece);
    return { kind: 'string', value, templatePieces: pieces };
  }

  /** A path runs to the next top-level `,` or `)`; brackets may hold quoted names and filters. */
  private parsePath(): string {
    const start = this.pos;
    let brackets = 0;
    let parens = 0;
    let quote: string | null = null;
    while (this.pos < this.text.length) {
      const c = this.text.charAt(this.pos);
      if (quote !== null) {
        if (c === '\\') this.pos++;
        else if (c === quote) quote = null;
      } else if (brackets > 0 && (c === "'" || c === '"')) {
        quote = c;
      } else if (c === '[') {
        brackets++;
      } else if (c === ']') {
        brackets--;
        if (brackets < 0) this.fail("unbalanced ']' in path");
      } else if (brackets > 0 && c === '(') {
        parens++;
      } else if (brackets > 0 && c === ')') {
        parens--;
      } else if (brackets === 0 && (c === ',' || c === ')' || /\s/.test(c))) {
        break;
      }
      this.pos++;
    }
    if (quote !== null || brackets !== 0 || parens !== 0) this.fail('unterminated path');
    return this.text.slice(start, this.pos);
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export function evaluateIntrinsic(
  expression: string,
  resolvePath: (path: string) => Json,
  env: IntrinsicEnv,
): Json {
  return evaluateCall(parseIntrinsic(expression), resolvePath, env);
}

/** For callers that hold a parsed form already (the engine may pre-parse definitions). */
export function evaluateCall(
  call: IntrinsicCall,
  resolvePath: (path: string) => Json,
  env: IntrinsicEnv,
): Json {
  const values: Json[] = [];
  for (const arg of call.args) values.push(evaluateArg(arg, resolvePath, env));
  const fail: () => never = () => {
    throw new StatesError(StatesErrorName.Runtime, `Invalid arguments in ${call.name}`);
  };
  const args = new Args(values, fail);

  switch (call.name) {
    case 'States.Format': {
      const first = args.string(0);
      const head = call.args[0];
      // A literal template knows its escaped braces; a computed one is scanned as plain text.
      const pieces = head?.kind === 'string' ? head.templatePieces : templatePiecesOf(first);
      if (pieces === null || pieces.length !== values.length) fail();
      let out = pieces[0] ?? '';
      for (let i = 1; i < values.length; i++) out += formatScalar(args.at(i), fail) + (pieces[i] ?? '');
      return out;
    }
    case 'States.StringToJson': {
      args.arity(1);
      const text = args.string(0).trim();
      // AWS yields null for blank text rather than failing.
      if (text === '') return null;
      try {
        return JSON.parse(text, (_key, value: Json) => (value === 0 ? 0 : value)) as Json;
      } catch {
        return fail();
      }
    }
    case 'States.JsonToString':
      args.arity(1);
      return toJsonText(args.at(0));
    case 'States.Array':
      return values;
    case 'States.ArrayPartition': {
      args.arity(2);
      const array = args.array(0);
      const size = args.integer(1);
      if (size <= 0) fail();
      const chunks: Json[] = [];
      for (let i = 0; i < array.length; i += size) chunks.push(array.slice(i, i + size));
      return chunks;
    }
    case 'States.ArrayContains': {
      args.arity(2);
      const needle = args.at(1);
      return args.array(0).some((item) => sameJson(item, needle));
    }
    case 'States.ArrayRange': {
      args.arity(3);
      const start = args.integer(0);
      const end = args.integer(1);
      const step = args.integer(2);
      if (step === 0) fail();
      const count = (end - start) / step < 0 ? 0 : Math.floor((end - start) / step) + 1;
      if (count > MAX_ARRAY_RANGE_ITEMS) fail();
      return Array.from({ length: count }, (_, i) => start + i * step);
    }
    case 'States.ArrayGetItem': {
      args.arity(2);
      const array = args.array(0);
      const index = args.integer(1);
      // Observed on AWS: any index into an empty array gives null instead of failing.
      if (array.length === 0) return null;
      const item = index >= 0 ? array[index] : undefined;
      return item === undefined ? fail() : item;
    }
    case 'States.ArrayLength':
      args.arity(1);
      return args.array(0).length;
    case 'States.ArrayUnique': {
      args.arity(1);
      const unique: Json[] = [];
      for (const item of args.array(0)) {
        if (!unique.some((seen) => sameJson(seen, item))) unique.push(item);
      }
      return unique;
    }
    case 'States.Base64Encode': {
      args.arity(1);
      const text = args.string(0);
      if (text.length > MAX_ENCODED_CHARS) fail();
      return Buffer.from(text, 'utf8').toString('base64');
    }
    case 'States.Base64Decode': {
      args.arity(1);
      const text = args.string(0);
      if (text.length > MAX_ENCODED_CHARS) fail();
      // Lenient like AWS: characters outside the alphabet and missing padding are tolerated.
      return Buffer.from(text, 'base64').toString('utf8');
    }
    case 'States.Hash': {
      args.arity(2);
      const algorithm = HASH_ALGORITHMS[args.string(1)];
      if (algorithm === undefined) fail();
      // AWS hashes non-string data by its JSON text rather than refusing it.
      const data = args.at(0);
      const text = typeof data === 'string' ? data : toJsonText(data);
      if (text.length > MAX_ENCODED_CHARS) fail();
      return createHash(algorithm).update(text, 'utf8').digest('hex');
    }
    case 'States.JsonMerge': {
      args.arity(3);
      const left = args.object(0);
      const right = args.object(1);
      // Step Functions only supports shallow merging; anything but a literal true is taken as false.
      if (args.at(2) === true) fail();
      const merged: JsonObject = {};
      for (const [key, value] of Object.entries(left)) defineKey(merged, key, value);
      for (const [key, value] of Object.entries(right)) defineKey(merged, key, value);
      return merged;
    }
    case 'States.MathRandom': {
      if (values.length !== 2 && values.length !== 3) fail();
      const start = args.integer(0);
      const end = args.integer(1);
      if (start >= end) fail();
      const bound = end - start;
      if (values.length === 3) return start + seededInt(args.integer(2), bound);
      return start + Math.min(bound - 1, Math.floor(env.random() * bound));
    }
    case 'States.MathAdd': {
      args.arity(2);
      const sum = args.int32(0) + args.int32(1);
      if (sum < INT32_MIN || sum > INT32_MAX) fail();
      return sum;
    }
    case 'States.StringSplit': {
      args.arity(2);
      return tokenize(args.string(0), args.string(1));
    }
    case 'States.UUID':
      args.arity(0);
      return env.uuid();
  }
}

function evaluateArg(arg: IntrinsicArg, resolvePath: (path: string) => Json, env: IntrinsicEnv): Json {
  switch (arg.kind) {
    case 'string':
    case 'literal':
      return arg.value;
    case 'path':
      return resolvePath(arg.path);
    case 'call':
      return evaluateCall(arg, resolvePath, env);
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const HASH_ALGORITHMS: Readonly<Record<string, string>> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

class Args {
  constructor(
    private readonly values: readonly Json[],
    private readonly fail: () => never,
  ) {}

  arity(count: number): void {
    if (this.values.length !== count) this.fail();
  }

  at(index: number): Json {
    const value = this.values[index];
    return value === undefined ? this.fail() : value;
  }

  string(index: number): string {
    const value = this.at(index);
    return typeof value === 'string' ? value : this.fail();
  }

  array(index: number): Json[] {
    const value = this.at(index);
    return Array.isArray(value) ? value : this.fail();
  }

  object(index: number): JsonObject {
    const value = this.at(index);
    return isJsonObject(value) ? value : this.fail();
  }

  /** AWS truncates fractional arguments toward zero (ArrayRange(1.6, 1.4, 1) is [1]). */
  integer(index: number): number {
    const value = this.at(index);
    if (typeof value !== 'number') this.fail();
    const truncated = Math.trunc(value);
    return truncated === 0 ? 0 : truncated;
  }

  /** MathAdd alone rounds to the nearest integer, and works in 32-bit integers. */
  int32(index: number): number {
    const value = this.at(index);
    if (typeof value !== 'number') this.fail();
    const rounded = Math.round(value);
    if (rounded < INT32_MIN || rounded > INT32_MAX) this.fail();
    return rounded;
  }
}

function templatePiecesOf(template: string): string[] | null {
  const pieces: string[] = [];
  let piece = '';
  for (let i = 0; i < template.length; i++) {
    const c = template.charAt(i);
    if (c === '{' && template.charAt(i + 1) === '}') {
      pieces.push(piece);
      piece = '';
      i++;
    } else if (c === '{' || c === '}') {
      return null;
    } else {
      piece += c;
    }
  }
  pieces.push(piece);
  return pieces;
}

function formatScalar(value: Json, fail: () => never): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return fail();
}

/**
 * Membership as AWS observes it: containers compare structurally with key order significant, while
 * scalars compare by their text, so `true` matches `"true"` and `1` matches `"1"`.
 */
function sameJson(a: Json, b: Json): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => {
        const other = b[i];
        return other !== undefined && sameJson(item, other);
      })
    );
  }
  if (isJsonObject(a) || isJsonObject(b)) {
    if (!isJsonObject(a) || !isJsonObject(b)) return false;
    const left = Object.entries(a);
    const right = Object.entries(b);
    return (
      left.length === right.length &&
      left.every(([key, value], i) => {
        const other = right[i];
        return other !== undefined && other[0] === key && sameJson(value, other[1]);
      })
    );
  }
  return String(a) === String(b);
}

/** Plain assignment would treat `__proto__` as the prototype rather than as data. */
function defineKey(target: JsonObject, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Each character of the delimiter separates tokens and empty tokens are dropped, as AWS does
 * (`",,,,"` gives `[]`, `"a,,b"` gives `["a","b"]`).
 */
function tokenize(text: string, delimiters: string): string[] {
  const separators = new Set(Array.from(delimiters));
  const tokens: string[] = [];
  let token = '';
  for (const c of text) {
    if (separators.has(c)) {
      if (token !== '') tokens.push(token);
      token = '';
    } else {
      token += c;
    }
  }
  if (token !== '') tokens.push(token);
  return tokens;
}

// java.util.Random's generator: AWS's seeded MathRandom matches it (seed 42 over [-5, 5) gives -5).
const LCG_MULTIPLIER = 0x5deece66dn;
const LCG_INCREMENT = 0xbn;
const LCG_MASK = (1n << 48n) - 1n;

function seededInt(seed: number, bound: number): number {
  let state = (BigInt.asIntN(64, BigInt(seed)) ^ LCG_MULTIPLIER) & LCG_MASK;
  const next31 = (): number => {
    state = (state * LCG_MULTIPLIER + LCG_INCREMENT) & LCG_MASK;
    return Number(state >> 17n);
  };
  if (bound > INT32_MAX) {
    // Beyond Java's int range nextInt is unavailable; scale a 31-bit draw instead.
    return Math.floor((next31() / 2 ** 31) * bound);
  }
  if ((bound & (bound - 1)) === 0) return Number((BigInt(bound) * BigInt(next31())) >> 31n);
  let bits = next31();
  let value = bits % bound;
  while (bits - value + (bound - 1) > INT32_MAX) {
    bits = next31();
    value = bits % bound;
  }
  return value;
}
