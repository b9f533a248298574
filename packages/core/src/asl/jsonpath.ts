/**
 * JSONPath as AWS Step Functions uses it: Jayway JsonPath semantics, hand-written.
 *
 * Two behaviours matter more than any other:
 * - A *definite* path (names and single indexes only) yields one value, and a miss is an error
 *   whose wording AWS copies from Jayway into its `States.Runtime` causes.
 * - An *indefinite* path (wildcard, deep scan, slice, union, filter) yields an array of matches
 *   and never fails: AWS answers `[]` even where Jayway itself would throw on a missing parent.
 *
 * Parsed paths are cached by their text, since the same few paths are evaluated for every
 * state entered.
 */
import type { Json, JsonObject } from '../json.js';
import { isJsonObject, toJsonText } from '../json.js';
import { StatesError, StatesErrorName } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Types

export type PathRoot =
  | { readonly kind: 'input' }
  | { readonly kind: 'context' }
  /** `$name…`: a workflow variable (Assign), resolved through a caller-supplied lookup. */
  | { readonly kind: 'variable'; readonly name: string };

export type Segment =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'names'; readonly names: readonly string[] }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'indexes'; readonly indexes: readonly number[] }
  | { readonly kind: 'wildcard' }
  | { readonly kind: 'slice'; readonly start: number | undefined; readonly end: number | undefined }
  | { readonly kind: 'filter'; readonly filter: FilterExpr }
  | { readonly kind: 'scan'; readonly target: Segment };

export type FilterOperand =
  | { readonly kind: 'path'; readonly base: 'current' | 'root'; readonly segments: readonly Segment[] }
  | { readonly kind: 'literal'; readonly value: Json }
  | { readonly kind: 'regex'; readonly regex: RegExp };

export type FilterOperator =
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '=~'
  | 'in'
  | 'nin'
  | 'subsetof'
  | 'anyof'
  | 'noneof'
  | 'size'
  | 'empty'
  | 'contains';

export type FilterExpr =
  | { readonly kind: 'and'; readonly left: FilterExpr; readonly right: FilterExpr }
  | { readonly kind: 'or'; readonly left: FilterExpr; readonly right: FilterExpr }
  | { readonly kind: 'not'; readonly operand: FilterExpr }
  | { readonly kind: 'exists'; readonly operand: FilterOperand }
  | {
      readonly kind: 'compare';
      readonly op: FilterOperator;
      readonly left: FilterOperand;
      readonly right: FilterOperand;
    };

export interface ParsedPath {
  readonly source: string;
  readonly root: PathRoot;
  readonly segments: readonly Segment[];
  /** Yields a single value (and a miss is an error) rather than an array of matches. */
  readonly definite: boolean;
  /** Only names and single integer indexes: the shape ASL calls a Reference Path. */
  readonly reference: boolean;
}

export type VariableLookup = (name: string) => Json | undefined;

/**
 * `syntax`: the text is not a path. `missing`: a definite path found nothing; `detail` is
 * Jayway's explanation (`No results for path: $['x']`, `Missing property in path $['no']`…),
 * which AWS appends to its own `Invalid path '…' : ` prefix.
 */
export class PathError extends Error {
  override readonly name = 'PathError';
  readonly kind: 'syntax' | 'missing';
  readonly path: string;
  readonly detail: string;

  constructor(kind: 'syntax' | 'missing', path: string, detail: string) {
    super(kind === 'syntax' ? `Invalid path '${path}': ${detail}` : `Invalid path '${path}' : ${detail}`);
    this.kind = kind;
    this.path = path;
    this.detail = detail;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

const CACHE_LIMIT = 10_000;
const cache = new Map<string, ParsedPath>();

const VARIABLE_START = /[\p{L}_]/u;
const VARIABLE_PART = /[\p{L}\p{N}_]/u;

export function parsePath(path: string): ParsedPath {
  const cached = cache.get(path);
  if (cached !== undefined) return cached;
  const parsed = new Parser(path).parseRootPath();
  // Paths come from definitions, so the set is small; the cap only guards against a caller
  // that builds paths from data.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(path, parsed);
  return parsed;
}

export function isValidPath(path: string): boolean {
  try {
    parsePath(path);
    return true;
  } catch (error) {
    if (error instanceof PathError) return false;
    throw error;
  }
}

/**
 * A path that names exactly one node. The root (`$`, `$$`, `$var`) is not checked: the
 * validator decides where `$$` and variables are allowed (ResultPath takes neither).
 */
export function isValidReferencePath(path: string): boolean {
  try {
    return parsePath(path).reference;
  } catch (error) {
    if (error instanceof PathError) return false;
    throw error;
  }
}

function isDefiniteSegment(segment: Segment, leaf: boolean): boolean {
  switch (segment.kind) {
    case 'name':
    case 'index':
      return true;
    case 'names':
      // Jayway merges a multi-property leaf into one object, so it still names one value.
      return leaf;
    case 'indexes':
    case 'wildcard':
    case 'slice':
    case 'filter':
    case 'scan':
      return false;
  }
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseRootPath(): ParsedPath {
    const text = this.text;
    if (!text.startsWith('$')) this.fail("a path must start with '$'");
    let root: PathRoot;
    if (text.startsWith('$$')) {
      root = { kind: 'context' };
      this.pos = 2;
    } else if (text.length > 1 && VARIABLE_START.test(text.charAt(1))) {
      let end = 2;
      while (end < text.length && VARIABLE_PART.test(text.charAt(end))) end++;
      root = { kind: 'variable', name: text.slice(1, end) };
      this.pos = end;
    } else {
      root = { kind: 'input' };
      this.pos = 1;
    }
    const segments = this.parseSegments(false);
    if (this.pos !== text.length) this.fail(`unexpected '${text.charAt(this.pos)}'`);
    let definite = true;
    let reference = true;
    segments.forEach((segment, i) => {
      if (!isDefiniteSegment(segment, i === segments.length - 1)) definite = false;
      if (segment.kind !== 'name' && segment.kind !== 'index') reference = false;
    });
    return { source: text, root, segments, definite, reference };
  }

  private fail(message: string): never {
    throw new PathError('syntax', this.text, `${message} at position ${this.pos}`);
  }

  private peek(offset = 0): string {
    return this.text.charAt(this.pos + offset);
  }

  private skipSpaces(): void {
    while (this.pos < this.text.length && /\s/.test(this.peek())) this.pos++;
  }

  private expect(char: string): void {
    if (this.peek() !== char) this.fail(`expected '${char}'`);
    this.pos++;
  }

  /** In a filter, a path ends where the expression goes on (an operator, `)`, a space…). */
  private parseSegments(inFilter: boolean): Segment[] {
    const segments: Segment[] = [];
    while (this.pos < this.text.length) {
      const c = this.peek();
      if (c === '.') {
        if (this.peek(1) === '.') {
          this.pos += 2;
          segments.push({ kind: 'scan', target: this.parseScanTarget(inFilter) });
        } else {
          this.pos++;
          if (this.peek() === '*') {
            this.pos++;
            segments.push({ kind: 'wildcard' });
          } else {
            segments.push({ kind: 'name', name: this.readDotName(inFilter) });
          }
        }
      } else if (c === '[') {
        segments.push(this.parseBracket());
      } else if (inFilter) {
        break;
      } else {
        this.fail(`unexpected '${c}'`);
      }
    }
    return segments;
  }

  private parseScanTarget(inFilter: boolean): Segment {
    const c = this.peek();
    if (c === '[') return this.parseBracket();
    if (c === '*') {
      this.pos++;
      return { kind: 'wildcard' };
    }
    if (c === '' || c === '.') this.fail("a path must not end with '..'");
    return { kind: 'name', name: this.readDotName(inFilter) };
  }

  private readDotName(inFilter: boolean): string {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.peek();
      if (c === '.' || c === '[') break;
      // Jayway refuses blanks in dot notation (bracket notation takes them) and reads `(` as a
      // function call, which AWS does not offer.
      if (/\s/.test(c)) {
        if (inFilter) break;
        this.fail("use bracket notation ['my prop'] for a property with blank characters");
      }
      if (c === '(') this.fail('path functions are not supported');
      if (inFilter && ')=!<>&|,]'.includes(c)) break;
      this.pos++;
    }
    if (this.pos === start) this.fail("a path must not end with '.'");
    return this.text.slice(start, this.pos);
  }

  private parseBracket(): Segment {
    this.expect('[');
    this.skipSpaces();
    const c = this.peek();
    let segment: Segment;
    if (c === '?') {
      this.pos++;
      this.skipSpaces();
      this.expect('(');
      const filter = this.parseOr();
      this.skipSpaces();
      this.expect(')');
      segment = { kind: 'filter', filter };
    } else if (c === '*') {
      this.pos++;
      segment = { kind: 'wildcard' };
    } else if (c === "'" || c === '"') {
      const names: string[] = [this.readQuoted()];
      this.skipSpaces();
      while (this.peek() === ',') {
        this.pos++;
        this.skipSpaces();
        if (this.peek() !== "'" && this.peek() !== '"') this.fail('expected a quoted property name');
        names.push(this.readQuoted());
        this.skipSpaces();
      }
      const [only] = names;
      segment =
        names.length === 1 && only !== undefined ? { kind: 'name', name: only } : { kind: 'names', names };
    } else if (c === ':' || c === '-' || isDigit(c)) {
      segment = this.parseIndexOrSlice();
    } else {
      this.fail('expected a quoted name, an index, a slice, * or a filter in brackets');
    }
    this.skipSpaces();
    this.expect(']');
    return segment;
  }

  private parseIndexOrSlice(): Segment {
    const first = this.peek() === ':' ? undefined : this.readInteger();
    this.skipSpaces();
    if (this.peek() === ':') {
      this.pos++;
      this.skipSpaces();
      const end = this.peek() === ']' ? undefined : this.readInteger();
      this.skipSpaces();
      // Jayway slices take no step.
      if (this.peek() === ':') this.fail('slice steps are not supported');
      return { kind: 'slice', start: first, end };
    }
    if (first === undefined) this.fail('expected an index');
    const indexes = [first];
    while (this.peek() === ',') {
      this.pos++;
      this.skipSpaces();
      indexes.push(this.readInteger());
      this.skipSpaces();
    }
    return indexes.length === 1 ? { kind: 'index', index: first } : { kind: 'indexes', indexes };
  }

  private readInteger(): number {
    const match = /^-?\d+/.exec(this.text.slice(this.pos));
    if (match === null) this.fail('expected an integer');
    this.pos += match[0].length;
    const value = Number(match[0]);
    if (!Number.isSafeInteger(value)) this.fail('index out of range');
    return value;
  }

  private readQuoted(): string {
    const quote = this.peek();
    this.pos++;
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.peek();
      if (c === quote) {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        const next = this.peek(1);
        this.pos += 2;
        switch (next) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'u': {
            const hex = this.text.slice(this.pos, this.pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
            out += String.fromCharCode(parseInt(hex, 16));
            this.pos += 4;
            break;
          }
          case '':
            this.fail('unterminated string');
            break;
          default:
            out += next;
        }
        continue;
      }
      out += c;
      this.pos++;
    }
    this.fail('unterminated string');
  }

  // --- filter expressions: `||` binds looser than `&&`, `!` and parentheses bind tightest.

  private parseOr(): FilterExpr {
    let left = this.parseAnd();
    for (;;) {
      this.skipSpaces();
      if (!this.text.startsWith('||', this.pos)) return left;
      this.pos += 2;
      left = { kind: 'or', left, right: this.parseAnd() };
    }
  }

  private parseAnd(): FilterExpr {
    let left = this.parseUnary();
    for (;;) {
      this.skipSpaces();
      if (!this.text.startsWith('&&', this.pos)) return left;
      this.pos += 2;
      left = { kind: 'and', left, right: this.parseUnary() };
    }
  }

  private parseUnary(): FilterExpr {
    this.skipSpaces();
    const c = this.peek();
    if (c === '!' && this.peek(1) !== '=') {
      this.pos++;
      return { kind: 'not', operand: this.parseUnary() };
    }
    if (c === '(') {
      this.pos++;
      const inner = this.parseOr();
      this.skipSpaces();
      this.expect(')');
      return inner;
    }
    const left = this.parseOperand();
    this.skipSpaces();
    const op = this.readOperator();
    if (op === undefined) {
      if (left.kind !== 'path') this.fail('expected a comparison operator');
      return { kind: 'exists', operand: left };
    }
    this.skipSpaces();
    return { kind: 'compare', op, left, right: this.parseOperand() };
  }

  private readOperator(): FilterOperator | undefined {
    for (const symbol of ['==', '!=', '<=', '>=', '=~', '<', '>'] as const) {
      if (this.text.startsWith(symbol, this.pos)) {
        this.pos += symbol.length;
        return symbol;
      }
    }
    const word = /^[a-z]+/.exec(this.text.slice(this.pos));
    if (word === null) return undefined;
    switch (word[0]) {
      case 'in':
      case 'nin':
      case 'subsetof':
      case 'anyof':
      case 'noneof':
      case 'size':
      case 'empty':
      case 'contains':
        this.pos += word[0].length;
        return word[0];
      default:
        return undefined;
    }
  }

  private parseOperand(): FilterOperand {
    this.skipSpaces();
    const c = this.peek();
    if (c === '@' || c === '$') {
      this.pos++;
      return { kind: 'path', base: c === '@' ? 'current' : 'root', segments: this.parseSegments(true) };
    }
    if (c === '/') return { kind: 'regex', regex: this.readRegex() };
    return { kind: 'literal', value: this.readLiteral() };
  }

  private readLiteral(): Json {
    const c = this.peek();
    if (c === "'" || c === '"') return this.readQuoted();
    if (c === '[') {
      this.pos++;
      const items: Json[] = [];
      this.skipSpaces();
      if (this.peek() === ']') {
        this.pos++;
        return items;
      }
      for (;;) {
        this.skipSpaces();
        items.push(this.readLiteral());
        this.skipSpaces();
        if (this.peek() === ',') {
          this.pos++;
          continue;
        }
        this.expect(']');
        return items;
      }
    }
    const number = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.pos));
    if (number !== null) {
      this.pos += number[0].length;
      return Number(number[0]);
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    this.fail('expected a value');
  }

  private readRegex(): RegExp {
    this.expect('/');
    let source = '';
    while (this.pos < this.text.length && this.peek() !== '/') {
      if (this.peek() === '\\') {
        source += this.text.slice(this.pos, this.pos + 2);
        this.pos += 2;
      } else {
        source += this.peek();
        this.pos++;
      }
    }
    this.expect('/');
    const flags = /^[a-z]*/.exec(this.text.slice(this.pos))?.[0] ?? '';
    this.pos += flags.length;
    try {
      // Jayway matches the whole string (Java's Matcher.matches), hence the anchors.
      return new RegExp(`^(?:${source})$`, flags.includes('i') ? 'i' : '');
    } catch {
      this.fail('invalid regular expression');
    }
  }
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

// ---------------------------------------------------------------------------------------------
// Evaluation

function ownValue(object: JsonObject, key: string): Json | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** Assignment that cannot reach `Object.prototype` through a `__proto__` key. */
export function setOwnProperty(object: JsonObject, key: string, value: Json): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

function arrayIndex(length: number, index: number): number | undefined {
  const effective = index < 0 ? length + index : index;
  return effective >= 0 && effective < length ? effective : undefined;
}

function sliceBounds(length: number, start: number | undefined, end: number | undefined): [number, number] {
  let from = start ?? 0;
  let to = end ?? length;
  if (from < 0) from = Math.max(0, length + from);
  if (to < 0) to = length + to;
  to = Math.min(length, to);
  return [from, to];
}

/**
 * The Context Object (`$$`), or a function that builds it. The engine passes a function: few
 * paths read `$$`, and building the object for every state was ≈ 10% of a Pass state's cost.
 */
export type ContextSource = Json | (() => Json);

function rootDocument(
  parsed: ParsedPath,
  input: Json,
  context: ContextSource,
  variables: VariableLookup | undefined,
): Json | undefined {
  switch (parsed.root.kind) {
    case 'input':
      return input;
    case 'context':
      return typeof context === 'function' ? context() : context;
    case 'variable':
      return variables?.(parsed.root.name);
  }
}

export type PathLookup =
  { readonly found: true; readonly value: Json } | { readonly found: false; readonly error: PathError };

/**
 * Evaluates without throwing on a miss: for callers that branch on presence (Choice's
 * IsPresent, payload templates). Syntax errors still throw.
 */
export function lookupPath(
  path: string,
  input: Json,
  context: ContextSource,
  variables?: VariableLookup,
): PathLookup {
  const parsed = parsePath(path);
  const document = rootDocument(parsed, input, context, variables);
  if (document === undefined) {
    const root = parsed.root.kind === 'variable' ? `$${parsed.root.name}` : '$';
    return { found: false, error: new PathError('missing', path, `No results for path: ${root}`) };
  }
  if (!parsed.definite) return { found: true, value: collect(parsed.segments, document, document) };
  const walked = walkDefinite(parsed, document);
  if (typeof walked === 'string') return { found: false, error: new PathError('missing', path, walked) };
  return { found: true, value: walked.value };
}

/**
 * `$…` queries `input`, `$$…` queries `context`, `$name…` a variable. A definite path returns
 * its value and throws `PathError('missing')` on a miss; an indefinite one returns the array
 * of matches. The result may share structure with the document: treat it as immutable.
 */
export function evaluatePath(
  path: string,
  input: Json,
  context: ContextSource,
  variables?: VariableLookup,
): Json {
  const result = lookupPath(path, input, context, variables);
  if (!result.found) throw result.error;
  return result.value;
}

/**
 * AWS's cause for an InputPath/OutputPath (or other `*Path`) miss:
 * `Invalid path '$.X' : No results for path: $['X']`. `input` is the document the path was
 * applied to; pass `context` for `$$` paths.
 */
export function pathMissCause(
  path: string,
  input: Json,
  context?: ContextSource,
  variables?: VariableLookup,
): string {
  let detail: string;
  try {
    const result = lookupPath(path, input, context ?? input, variables);
    detail = result.found ? `No results for path: ${path}` : result.error.detail;
  } catch (error) {
    if (!(error instanceof PathError)) throw error;
    detail = error.detail;
  }
  return `Invalid path '${path}' : ${detail}`;
}

function fragment(segment: Segment): string {
  switch (segment.kind) {
    case 'name':
      return `['${segment.name}']`;
    case 'names':
      return `[${segment.names.map((name) => `'${name}'`).join(', ')}]`;
    case 'index':
      return `[${segment.index}]`;
    case 'indexes':
      return `[${segment.indexes.join(',')}]`;
    case 'wildcard':
      return '[*]';
    case 'slice':
      return `[${segment.start ?? ''}:${segment.end ?? ''}]`;
    case 'filter':
      return '[?]';
    case 'scan':
      return `..${fragment(segment.target)}`;
  }
}

/** What Jayway's default JSON provider reports as the Java type of a node. */
function javaTypeName(value: Json): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'java.lang.String';
  if (typeof value === 'boolean') return 'java.lang.Boolean';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'java.lang.Double';
    return Math.abs(value) <= 2147483647 ? 'java.lang.Integer' : 'java.lang.Long';
  }
  return Array.isArray(value) ? 'net.minidev.json.JSONArray' : 'net.minidev.json.JSONObject';
}

/** The value, or Jayway's explanation of the miss. */
function walkDefinite(parsed: ParsedPath, document: Json): { value: Json } | string {
  const segments = parsed.segments;
  // Jayway names the path walked so far; built only on a miss, as the hit path is hot.
  const upTo = (end: number): string => `$${segments.slice(0, end).map(fragment).join('')}`;
  let node = document;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment === undefined) break;
    switch (segment.kind) {
      case 'name':
      case 'names': {
        if (!isJsonObject(node)) {
          return (
            `Expected to find an object with property ${fragment(segment)} in path ${upTo(i)} but found ` +
            `'${javaTypeName(node)}'. This is not a json object according to the JsonProvider: ` +
            `'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.`
          );
        }
        if (segment.kind === 'names') {
          const merged: JsonObject = {};
          for (const name of segment.names) {
            const value = ownValue(node, name);
            if (value !== undefined) setOwnProperty(merged, name, value);
          }
          node = merged;
          break;
        }
        const value = ownValue(node, segment.name);
        if (value === undefined) {
          const leaf = i === segments.length - 1;
          return leaf
            ? `No results for path: ${upTo(segments.length)}`
            : `Missing property in path ${upTo(i + 1)}`;
        }
        node = value;
        break;
      }
      case 'index': {
        if (node === null) return `The path ${upTo(i)} is null`;
        if (!Array.isArray(node)) {
          return `Filter: ${fragment(segment)} can only be applied to arrays. Current context is: ${toJsonText(node)}`;
        }
        const index = arrayIndex(node.length, segment.index);
        const value = index === undefined ? undefined : node[index];
        if (value === undefined) return `No results for path: ${upTo(segments.length)}`;
        node = value;
        break;
      }
      case 'indexes':
      case 'wildcard':
      case 'slice':
      case 'filter':
      case 'scan':
        throw new Error(`indefinite segment in a definite path: ${parsed.source}`);
    }
  }
  return { value: node };
}

function collect(segments: readonly Segment[], document: Json, root: Json): Json[] {
  const out: Json[] = [];
  collectInto(segments, 0, document, root, out);
  return out;
}

function collectInto(segments: readonly Segment[], i: number, node: Json, root: Json, out: Json[]): void {
  const segment = segments[i];
  if (segment === undefined) {
    out.push(node);
    return;
  }
  if (segment.kind === 'scan') {
    scan(segment.target, node, root, (hit) => collectInto(segments, i + 1, hit, root, out));
    return;
  }
  if (segment.kind === 'names' && i === segments.length - 1) {
    // A multi-property leaf is merged into one object, as Jayway does.
    if (!isJsonObject(node)) return;
    const merged: JsonObject = {};
    for (const name of segment.names) {
      const value = ownValue(node, name);
      if (value !== undefined) setOwnProperty(merged, name, value);
    }
    out.push(merged);
    return;
  }
  select(segment, node, root, (child) => collectInto(segments, i + 1, child, root, out));
}

/** The children one (non-scan) segment selects from `node`, in document order. */
function select(segment: Segment, node: Json, root: Json, emit: (child: Json) => void): void {
  switch (segment.kind) {
    case 'name': {
      if (!isJsonObject(node)) return;
      const value = ownValue(node, segment.name);
      if (value !== undefined) emit(value);
      return;
    }
    case 'names': {
      if (!isJsonObject(node)) return;
      for (const name of segment.names) {
        const value = ownValue(node, name);
        if (value !== undefined) emit(value);
      }
      return;
    }
    case 'index': {
      if (!Array.isArray(node)) return;
      const index = arrayIndex(node.length, segment.index);
      const value = index === undefined ? undefined : node[index];
      if (value !== undefined) emit(value);
      return;
    }
    case 'indexes': {
      if (!Array.isArray(node)) return;
      for (const raw of segment.indexes) {
        const index = arrayIndex(node.length, raw);
        const value = index === undefined ? undefined : node[index];
        if (value !== undefined) emit(value);
      }
      return;
    }
    case 'wildcard': {
      if (Array.isArray(node)) node.forEach(emit);
      else if (isJsonObject(node)) for (const key of Object.keys(node)) emit(node[key] ?? null);
      return;
    }
    case 'slice': {
      if (!Array.isArray(node)) return;
      const [from, to] = sliceBounds(node.length, segment.start, segment.end);
      for (let k = from; k < to; k++) emit(node[k] ?? null);
      return;
    }
    case 'filter': {
      // Jayway applies a filter to an array's elements, but to an object itself.
      if (Array.isArray(node)) {
        for (const element of node) if (testFilter(segment.filter, element, root)) emit(element);
      } else if (isJsonObject(node) && testFilter(segment.filter, node, root)) {
        emit(node);
      }
      return;
    }
    case 'scan':
      scan(segment.target, node, root, emit);
      return;
  }
}

/** Deep scan: the target is applied to the node and to every descendant, pre-order. */
function scan(target: Segment, node: Json, root: Json, emit: (hit: Json) => void): void {
  if (target.kind === 'filter') {
    // Scanned filters test each object or value in place; testing arrays' elements as well
    // would report each element twice.
    if (!Array.isArray(node) && testFilter(target.filter, node, root)) emit(node);
  } else {
    select(target, node, root, emit);
  }
  if (Array.isArray(node)) {
    for (const element of node) scan(target, element, root, emit);
  } else if (isJsonObject(node)) {
    for (const key of Object.keys(node)) scan(target, node[key] ?? null, root, emit);
  }
}

// --- filters

type Operand = { readonly present: true; readonly value: Json } | { readonly present: false };

const ABSENT: Operand = { present: false };

function resolveOperand(operand: FilterOperand, current: Json, root: Json): Operand {
  switch (operand.kind) {
    case 'literal':
      return { present: true, value: operand.value };
    case 'regex':
      return ABSENT;
    case 'path': {
      const base = operand.base === 'current' ? current : root;
      const segments = operand.segments;
      const definite = segments.every((segment, i) => isDefiniteSegment(segment, i === segments.length - 1));
      if (!definite) {
        const matches = collect(segments, base, root);
        return matches.length === 0 ? ABSENT : { present: true, value: matches };
      }
      let node: Json = base;
      for (const segment of segments) {
        let next: Json | undefined;
        if (segment.kind === 'names') {
          if (!isJsonObject(node)) return ABSENT;
          const merged: JsonObject = {};
          for (const name of segment.names) {
            const value = ownValue(node, name);
            if (value !== undefined) setOwnProperty(merged, name, value);
          }
          next = merged;
        } else {
          select(segment, node, root, (child) => {
            next = child;
          });
        }
        if (next === undefined) return ABSENT;
        node = next;
      }
      return { present: true, value: node };
    }
  }
}

function testFilter(expr: FilterExpr, current: Json, root: Json): boolean {
  switch (expr.kind) {
    case 'and':
      return testFilter(expr.left, current, root) && testFilter(expr.right, current, root);
    case 'or':
      return testFilter(expr.left, current, root) || testFilter(expr.right, current, root);
    case 'not':
      return !testFilter(expr.operand, current, root);
    case 'exists':
      return resolveOperand(expr.operand, current, root).present;
    case 'compare':
      return compare(expr, current, root);
  }
}

function compare(expr: Extract<FilterExpr, { kind: 'compare' }>, current: Json, root: Json): boolean {
  const left = resolveOperand(expr.left, current, root);
  if (expr.op === '=~') {
    if (!left.present || expr.right.kind !== 'regex') return false;
    const value = left.value;
    const text =
      typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : undefined;
    return text !== undefined && expr.right.regex.test(text);
  }
  const right = resolveOperand(expr.right, current, root);
  switch (expr.op) {
    case '==':
      return left.present && right.present && looselyEqual(left.value, right.value);
    case '!=':
      return !(left.present && right.present && looselyEqual(left.value, right.value));
    case '<':
    case '<=':
    case '>':
    case '>=': {
      if (!left.present || !right.present) return false;
      const a = left.value;
      const b = right.value;
      let order: number;
      if (typeof a === 'number' && typeof b === 'number') order = a - b;
      else if (typeof a === 'string' && typeof b === 'string') order = a < b ? -1 : a > b ? 1 : 0;
      else return false;
      if (Number.isNaN(order)) return false;
      if (expr.op === '<') return order < 0;
      if (expr.op === '<=') return order <= 0;
      if (expr.op === '>') return order > 0;
      return order >= 0;
    }
    case 'in':
      return left.present && right.present && Array.isArray(right.value) && includes(right.value, left.value);
    case 'nin':
      return !(
        left.present &&
        right.present &&
        Array.isArray(right.value) &&
        includes(right.value, left.value)
      );
    case 'subsetof':
    case 'anyof':
    case 'noneof': {
      if (!left.present || !right.present || !Array.isArray(right.value)) return false;
      const pool = right.value;
      const items = Array.isArray(left.value) ? left.value : [left.value];
      if (expr.op === 'subsetof') return items.every((item) => includes(pool, item));
      if (expr.op === 'anyof') return items.some((item) => includes(pool, item));
      return !items.some((item) => includes(pool, item));
    }
    case 'contains': {
      if (!left.present || !right.present) return false;
      if (typeof left.value === 'string')
        return typeof right.value === 'string' && left.value.includes(right.value);
      return Array.isArray(left.value) && includes(left.value, right.value);
    }
    case 'size': {
      if (!left.present || !right.present || typeof right.value !== 'number') return false;
      const value = left.value;
      if (typeof value === 'string') return [...value].length === right.value;
      return Array.isArray(value) && value.length === right.value;
    }
    case 'empty': {
      if (!left.present || !right.present || typeof right.value !== 'boolean') return false;
      const value = left.value;
      if (typeof value === 'string' || Array.isArray(value)) return (value.length === 0) === right.value;
      return false;
    }
  }
}

function includes(pool: readonly Json[], value: Json): boolean {
  return pool.some((item) => looselyEqual(item, value));
}

/** A decimal the way Java's BigDecimal reads one (Jayway converts strings with it). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Jayway's `==`: deep for containers, and a number equals a string that spells it. */
function looselyEqual(a: Json, b: Json): boolean {
  if (typeof a === 'number' && typeof b === 'string') return DECIMAL.test(b) && Number(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return DECIMAL.test(a) && Number(a) === b;
  return deepEqual(a, b);
}

export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i] ?? null));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => {
      const other = ownValue(b, key);
      return other !== undefined && deepEqual(a[key] ?? null, other);
    });
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// ResultPath

/**
 * Places `value` at a reference path, as ResultPath does. `$` replaces the whole document;
 * missing intermediate objects are created. Returns a new document (only the nodes along the
 * path are copied; the rest is shared). A path that cannot be applied, such as a field of a
 * string input, is `States.ResultPathMatchFailure` with AWS's cause
 * `Unable to apply ReferencePath $.x to input "text"`.
 */
export function setAtReferencePath(target: Json, path: string, value: Json): Json {
  const parsed = parsePath(path);
  if (!parsed.reference || parsed.root.kind !== 'input') {
    throw new PathError('syntax', path, 'a ResultPath must be a reference path on the state input');
  }
  const failure = (): StatesError =>
    new StatesError(
      StatesErrorName.ResultPathMatchFailure,
      `Unable to apply ReferencePath ${path} to input ${toJsonText(target)}`,
    );
  const place = (node: Json | undefined, i: number): Json => {
    const segment = parsed.segments[i];
    if (segment === undefined) return value;
    if (segment.kind === 'name') {
      const object = node === undefined ? {} : node;
      if (!isJsonObject(object)) throw failure();
      const copy: JsonObject = { ...object };
      setOwnProperty(copy, segment.name, place(ownValue(object, segment.name), i + 1));
      return copy;
    }
    if (segment.kind === 'index') {
      if (!Array.isArray(node)) throw failure();
      const index = arrayIndex(node.length, segment.index);
      if (index === undefined) throw failure();
      const copy = node.slice();
      copy[index] = place(node[index], i + 1);
      return copy;
    }
    throw failure();
  };
  return place(target, 0);
}
