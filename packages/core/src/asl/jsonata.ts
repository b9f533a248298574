/**
 * JSONata mode: evaluating `"{% … %}"` field values the way Step Functions does.
 *
 * AWS runs the `jsonata` package at version 2.0.6, whose `evaluate()` is asynchronous all the
 * way down, while the engine is synchronous and pure. Rather than fork the library, it is loaded
 * unmodified into its own V8 realm (a `node:vm` context) created with
 * `microtaskMode: 'afterEvaluate'`: every promise job queued inside that realm is run before
 * `runInContext` returns. None of the functions we give it are asynchronous, so by then the
 * evaluation has finished and its outcome can be read synchronously. The only I/O is reading the
 * package's bundled source once, lazily, the first time an expression is evaluated.
 *
 * The realm also keeps `$shuffle`, `$random`, `$now` and `$millis` off the host's randomness and
 * clock: they are routed to the injected `env.random` (and the optional `env.now`).
 *
 * Failures are `States.QueryEvaluationError` with AWS's cause texts, minus the
 * "An error occurred while executing the state …" prefix that the engine adds.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createContext, Script, type Context } from 'node:vm';

import type { Json, JsonObject } from '../json.js';
import { StatesError, StatesErrorName } from './errors.js';

/** The `$states` binding AWS provides. */
export interface StatesBinding {
  input: Json;
  context: Json;
  result?: Json;
  errorOutput?: Json;
}

/** Bounds on one evaluation. Every expression gets them; AWS does not document its own. */
export interface JsonataLimits {
  /**
   * Wall-clock budget of one expression, checked between evaluation steps. Default 1000 ms.
   * A single long native call (a catastrophic regular expression, sorting millions of items)
   * cannot be interrupted: V8's watchdog (`runInContext`'s `timeout`) could, but terminating
   * a realm mid-job corrupts Node's async-hook stack and aborts the process.
   */
  timeoutMs: number;
  /**
   * Most evaluation steps pending at once: the nesting of a (possibly recursive) evaluation,
   * plus the items of an array or object constructor, which jsonata evaluates side by side.
   * It bounds the memory a runaway recursion can take. Default 100 000.
   */
  maxDepth: number;
}

export interface JsonataEnv {
  states: StatesBinding;
  /** Workflow variables by name; undefined when no such variable is in scope. */
  variables: (name: string) => Json | undefined;
  /** Injected because the engine is pure: `$random()` and `$shuffle` draw from it. */
  random: () => number;
  /** `$uuid()`. */
  uuid: () => string;
  /** Epoch milliseconds for `$now()` and `$millis()`; without it they read the host clock. */
  now?: () => number;
  limits?: Partial<JsonataLimits>;
}

export type JsonataExpectedType = 'array' | 'boolean' | 'string' | 'number' | 'integer' | 'object';

const DEFAULT_LIMITS: JsonataLimits = { timeoutMs: 1000, maxDepth: 100_000 };
/** Distinct expression texts kept compiled; a definition rarely has more than a few hundred. */
const CACHE_SIZE = 2000;
/** `$range` refuses to build more than this, like jsonata's own `[a..b]` operator (D2014). */
const MAX_RANGE_ITEMS = 10_000_000;

/** True when a string is exactly a JSONata template: "{% … %}" with nothing outside the delimiters. */
export function isJsonataTemplate(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 4 && value.startsWith('{%') && value.endsWith('%}');
}

/** The expression inside a template, as AWS quotes it in causes ("{% $x %}" → "$x"). */
export function jsonataExpressionOf(template: string): string {
  return template.slice(2, -2).trim();
}

/**
 * Evaluates a field value in JSONata mode: a template string is evaluated; objects and arrays are
 * walked and every nested template evaluated (paths grow as `Field/key` and `Field[index]`); any
 * other value, including strings that merely contain `{% %}`, is returned as it is.
 */
export function evaluateJsonataField(value: Json, fieldPath: string, env: JsonataEnv): Json {
  if (typeof value === 'string') {
    return isJsonataTemplate(value) ? evaluateExpression(jsonataExpressionOf(value), fieldPath, env) : value;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => evaluateJsonataField(item, `${fieldPath}[${index}]`, env));
  }
  if (value !== null && typeof value === 'object') {
    const result: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      setKey(result, key, evaluateJsonataField(item, `${fieldPath}/${key}`, env));
    }
    return result;
  }
  return value;
}

/** Evaluates a field whose value must have one type, failing as AWS does when it does not. */
export function evaluateJsonataTyped(
  value: Json,
  fieldPath: string,
  expected: JsonataExpectedType,
  env: JsonataEnv,
): Json {
  const result = evaluateJsonataField(value, fieldPath, env);
  if (hasType(result, expected)) return result;
  const found = `Expected '${expected}', but was '${typeName(result)}' for value: ${JSON.stringify(result)}`;
  if (isJsonataTemplate(value)) {
    throw queryError(
      `${subject(jsonataExpressionOf(value), fieldPath)} returned an unexpected result type. ${found}`,
      fieldPath,
    );
  }
  // A literal of the wrong type is normally refused when the definition is validated.
  throw queryError(
    `The value specified for the field '${fieldPath}' has an unexpected type. ${found}`,
    fieldPath,
  );
}

/** The syntax error of an expression as "<code>: <message>", or null when it parses. */
export function jsonataSyntaxError(expression: string): string | null {
  const compiled = compile(expression);
  return compiled.ok ? null : describeThrown(compiled.error);
}

// ---------------------------------------------------------------------------------------------
// Evaluation

function evaluateExpression(expression: string, fieldPath: string, env: JsonataEnv): Json {
  const compiled = compile(expression);
  if (!compiled.ok) {
    throw queryError(
      `${subject(expression, fieldPath)} threw an error during evaluation. ${describeThrown(compiled.error)}`,
      fieldPath,
    );
  }
  const limits: JsonataLimits = { ...DEFAULT_LIMITS, ...env.limits };
  const bindings: Record<string, unknown> = { states: statesBinding(env.states) };
  for (const name of compiled.variables) {
    const variable = env.variables(name);
    if (variable !== undefined) bindings[name] = variable;
  }

  const realm = getRealm();
  const outcome = realm.run(compiled.expression, bindings, env, limits);
  if (!outcome.ok) {
    throw queryError(
      `${subject(expression, fieldPath)} threw an error during evaluation. ${describeThrown(outcome.error)}`,
      fieldPath,
    );
  }
  if (outcome.value === undefined)
    throw queryError(`${subject(expression, fieldPath)} returned nothing (undefined).`, fieldPath);
  const json = toJson(outcome.value);
  if (json === UNSUPPORTED)
    throw queryError(`${subject(expression, fieldPath)} returned an unsupported result type.`, fieldPath);
  return json;
}

/** AWS lists only the members a field may use; `result`/`errorOutput` exist only when given. */
function statesBinding(states: StatesBinding): JsonObject {
  const binding: JsonObject = { input: states.input, context: states.context };
  if (states.result !== undefined) binding.result = states.result;
  if (states.errorOutput !== undefined) binding.errorOutput = states.errorOutput;
  return binding;
}

function subject(expression: string, fieldPath: string): string {
  return `The JSONata expression '${expression}' specified for the field '${fieldPath}'`;
}

/** `location`: the field (path) being evaluated, which AWS reports in EvaluationFailed. */
function queryError(cause: string, location: string): StatesError {
  return new StatesError(StatesErrorName.QueryEvaluationError, cause, { location });
}

function typeName(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function hasType(value: Json, expected: JsonataExpectedType): boolean {
  switch (expected) {
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
    case 'string':
    case 'number':
      return typeof value === expected;
  }
}

/** jsonata throws plain objects `{code, message, position, token}`; AWS shows "<code>: <message>". */
function describeThrown(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const code = readString(error, 'code');
    const message = readString(error, 'message') ?? '';
    return code === undefined ? message : `${code}: ${message}`;
  }
  return String(error);
}

function readString(object: object, key: string): string | undefined {
  const value: unknown = Reflect.get(object, key);
  return typeof value === 'string' ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Results: jsonata values from the realm → plain host JSON

const UNSUPPORTED = Symbol('unsupported');

/**
 * Copies a result into plain JSON of this realm: drops jsonata's sequence markers (`sequence`,
 * `keepSingleton`… are own properties of its arrays), turns -0 into 0, and refuses functions and
 * non-finite numbers anywhere, which JSON cannot carry. Undefined members vanish as in JSON text.
 */
function toJson(value: unknown): Json | typeof UNSUPPORTED {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) return UNSUPPORTED;
      return value === 0 ? 0 : value;
    case 'object': {
      if (value === null) return null;
      if (isJsonataFunction(value)) return UNSUPPORTED;
      if (Array.isArray(value)) {
        const items: Json[] = [];
        for (const item of value as unknown[]) {
          const json = item === undefined ? null : toJson(item);
          if (json === UNSUPPORTED) return UNSUPPORTED;
          items.push(json);
        }
        return items;
      }
      const result: JsonObject = {};
      for (const key of Object.keys(value)) {
        const member: unknown = Reflect.get(value, key);
        if (member === undefined) continue;
        const json = toJson(member);
        if (json === UNSUPPORTED) return UNSUPPORTED;
        setKey(result, key, json);
      }
      return result;
    }
    case 'function': // regexes and native functions evaluate to JS functions
    case 'symbol':
    case 'bigint':
    case 'undefined':
      return UNSUPPORTED;
  }
}

/** Lambdas and registered functions are objects flagged by jsonata rather than JS functions. */
function isJsonataFunction(value: object): boolean {
  return Reflect.get(value, '_jsonata_lambda') === true || Reflect.get(value, '_jsonata_function') === true;
}

/** Plain assignment of "__proto__" would replace the prototype instead of adding a key. */
function setKey(object: JsonObject, key: string, value: Json): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

// ---------------------------------------------------------------------------------------------
// Compilation cache

type Compiled =
  { ok: true; expression: RealmExpression; variables: readonly string[] } | { ok: false; error: unknown };

const cache = new Map<string, Compiled>();

function compile(text: string): Compiled {
  const hit = cache.get(text);
  if (hit !== undefined) {
    // Least recently used goes first: re-inserting moves the entry to the end.
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const compiled = getRealm().compile(text);
  if (cache.size >= CACHE_SIZE) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(text, compiled);
  return compiled;
}

/**
 * The names an expression reads as `$name`: only those are looked up among the workflow
 * variables, since `env.variables` answers lookups and cannot be enumerated.
 */
function referencedVariables(ast: unknown): string[] {
  const names = new Set<string>();
  const seen = new Set<object>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node as unknown[]) visit(item);
      return;
    }
    const type: unknown = Reflect.get(node, 'type');
    const value: unknown = Reflect.get(node, 'value');
    // `$` and `$$` parse as variables named '' and '$'; `states` is ours.
    if (
      type === 'variable' &&
      typeof value === 'string' &&
      value !== '' &&
      value !== '$' &&
      value !== 'states'
    ) {
      names.add(value);
    }
    for (const key of Object.keys(node)) visit(Reflect.get(node, key));
  };
  visit(ast);
  return [...names];
}

// ---------------------------------------------------------------------------------------------
// The realm that runs jsonata

/** The part of a jsonata `Expression` (living in the realm) that this module uses. */
interface RealmExpression {
  assign(name: string | symbol, value: unknown): void;
  registerFunction(name: string, implementation: (...args: unknown[]) => unknown, signature: string): void;
  ast(): unknown;
}

function isRealmExpression(value: unknown): value is RealmExpression {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof Reflect.get(value, 'assign') === 'function' &&
    typeof Reflect.get(value, 'registerFunction') === 'function' &&
    typeof Reflect.get(value, 'ast') === 'function'
  );
}

type Callable = (...args: unknown[]) => unknown;

function isCallable(value: unknown): value is Callable {
  return typeof value === 'function';
}

interface Box {
  done: boolean;
  ok: boolean;
  value: unknown;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Realm {
  compile(text: string): Compiled;
  run(
    expression: RealmExpression,
    bindings: Record<string, unknown>,
    env: JsonataEnv,
    limits: JsonataLimits,
  ): Outcome;
}

/** Per-evaluation state the realm's hooks and our functions read; evaluation is never re-entered. */
interface Current {
  env: JsonataEnv;
  limits: JsonataLimits;
  deadline: number;
  steps: number;
  pending: number;
  nowMillis: number | undefined;
}

let current: Current | null = null;
let realm: Realm | null = null;
let jsonataSource: string | null = null;

function getRealm(): Realm {
  realm ??= createRealm();
  return realm;
}

/** Loaded after the bundle: a compile helper and the runner whose promise settles into a box. */
const REALM_PRELUDE = `
var module = { exports: {} };
var exports = module.exports;
`;
const REALM_EPILOGUE = `
;(function (jsonata) {
  var fromMillis;
  // $now(picture, zone) must format like jsonata's own; borrow its $fromMillis once.
  jsonata('$fromMillis').evaluate(undefined).then(function (f) { fromMillis = f; });
  globalThis.__stepwiseCompile = function (text) { return jsonata(text); };
  globalThis.__stepwiseFormatMillis = function (millis, picture, zone) {
    return fromMillis.implementation(millis, picture, zone);
  };
  globalThis.__stepwiseRun = function (args) {
    var box = args.box;
    args.expression.evaluate(undefined, args.bindings).then(
      function (value) { box.done = true; box.ok = true; box.value = value; },
      function (error) { box.done = true; box.ok = false; box.value = error; }
    );
  };
  // $shuffle draws from Math.random; the engine's randomness is injected.
  Math.random = function () { return __stepwiseRandom(); };
})(module.exports);
`;

const RUN_SCRIPT = new Script('__stepwiseRun(__stepwiseArgs)', { filename: 'stepwise-jsonata-run.js' });

function createRealm(): Realm {
  jsonataSource ??= readFileSync(createRequire(import.meta.url).resolve('jsonata'), 'utf8');
  const globals: Record<string, unknown> = {
    // jsonata's $base64encode/$base64decode reach Node's Buffer through `global`.
    global: { Buffer },
    __stepwiseRandom: () => (current === null ? 0 : current.env.random()),
  };
  const context: Context = createContext(globals, {
    name: 'stepwise-jsonata',
    microtaskMode: 'afterEvaluate',
    // Nothing in jsonata needs eval or wasm; refusing them keeps expressions from reaching them.
    codeGeneration: { strings: false, wasm: false },
  });
  new Script(REALM_PRELUDE + jsonataSource + REALM_EPILOGUE, { filename: 'jsonata.js' }).runInContext(
    context,
  );
  const compileInRealm = globals.__stepwiseCompile;
  const formatMillis = globals.__stepwiseFormatMillis;
  if (!isCallable(compileInRealm) || !isCallable(formatMillis)) {
    throw new Error('jsonata failed to load in its realm');
  }

  const functions = stepFunctionsFunctions((millis, picture, zone) => formatMillis(millis, picture, zone));

  return {
    compile(text) {
      let expression: unknown;
      try {
        expression = compileInRealm(text);
      } catch (error) {
        return { ok: false, error };
      }
      if (!isRealmExpression(expression))
        return { ok: false, error: { message: 'jsonata returned no expression' } };
      expression.assign(Symbol.for('jsonata.__evaluate_entry'), onEntry);
      expression.assign(Symbol.for('jsonata.__evaluate_exit'), onExit);
      for (const [name, signature, implementation] of functions) {
        expression.registerFunction(name, implementation, signature);
      }
      return { ok: true, expression, variables: referencedVariables(expression.ast()) };
    },

    run(expression, bindings, env, limits) {
      const box: Box = { done: false, ok: false, value: undefined };
      globals.__stepwiseArgs = { expression, bindings, box };
      current = {
        env,
        limits,
        deadline: performance.now() + limits.timeoutMs,
        steps: 0,
        pending: 0,
        nowMillis: undefined,
      };
      try {
        RUN_SCRIPT.runInContext(context);
      } finally {
        current = null;
        globals.__stepwiseArgs = undefined;
      }
      if (!box.done) return { ok: false, error: { message: 'The evaluation did not complete' } };
      return box.ok ? { ok: true, value: box.value } : { ok: false, error: box.value };
    },
  };
}

/**
 * An error in jsonata's shape: it reads `code` (filling in `message` for codes it knows) and
 * adds `position` and `token`, and AWS shows it as "<code>: <message>".
 */
class JsonataError extends Error {
  readonly code: string;
  constructor(code: string, message = '') {
    super(message);
    this.code = code;
  }
}

// Wording of the runaway errors follows the timebox jsonata documents; AWS's own is unrecorded.
function timeoutError(): JsonataError {
  return new JsonataError('U1001', 'Expression evaluation timeout: Check for infinite loop');
}

function depthError(): JsonataError {
  return new JsonataError(
    'U1001',
    'Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.',
  );
}

/** Called by jsonata before each evaluation step; a throw here fails the evaluation. */
function onEntry(): void {
  if (current === null) return;
  current.pending += 1;
  current.steps += 1;
  if (current.pending > current.limits.maxDepth) throw depthError();
  // Reading the clock on every step would dominate small expressions.
  if ((current.steps & 0xff) === 0 && performance.now() > current.deadline) throw timeoutError();
}

function onExit(_expression: unknown, _input: unknown, _environment: unknown, result: unknown): void {
  if (current !== null) current.pending -= 1;
  // A path ending in `[]` marks its result `keepSingleton`, and when that result is an array of
  // the caller's data the mark lands on the caller's array. jsonata reads the mark only on its own
  // sequences, so taking it off anything else changes no result and leaves our JSON untouched.
  if (
    Array.isArray(result) &&
    Object.hasOwn(result, 'keepSingleton') &&
    Reflect.get(result, 'sequence') !== true
  ) {
    Reflect.deleteProperty(result, 'keepSingleton');
  }
}

// ---------------------------------------------------------------------------------------------
// The functions Step Functions adds (and the one it takes away)

type FunctionSpec = [name: string, signature: string, implementation: (...args: unknown[]) => unknown];

/** A jsonata-style error, so the cause reads "<code>: <message>" like the library's own. */
function functionError(message: string): JsonataError {
  return new JsonataError('D3137', message);
}

const HASH_ALGORITHMS: Readonly<Record<string, string>> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

function stepFunctionsFunctions(
  formatMillis: (millis: number, picture: unknown, zone: unknown) => unknown,
): FunctionSpec[] {
  const clock = (): number => {
    if (current === null) return Date.now();
    current.nowMillis ??= current.env.now === undefined ? Date.now() : current.env.now();
    return current.nowMillis;
  };
  return [
    ['partition', '<an:a>', (array, size) => partition(asArray(array), asNumber(size))],
    [
      'range',
      '<nnn?:a>',
      (start, end, step) => range(asNumber(start), asNumber(end), step === undefined ? 1 : asNumber(step)),
    ],
    ['hash', '<js:s>', (value, algorithm) => hash(value, algorithm)],
    [
      'random',
      '<n?:n>',
      (seed) => (seed === undefined ? (current?.env.random() ?? 0) : seededRandom(asNumber(seed))),
    ],
    ['uuid', '<:s>', () => current?.env.uuid() ?? ''],
    ['parse', '<s:j>', (text) => parse(text)],
    // AWS refuses $eval ($parse replaces it); calling it fails as calling an unknown function does.
    [
      'eval',
      '<x*:x>',
      () => {
        throw new JsonataError('T1006');
      },
    ],
    // $now/$millis are pinned to one instant per evaluation, as jsonata does, but an injected one.
    ['now', '<s?s?:s>', (picture, zone) => formatMillis(clock(), picture, zone)],
    ['millis', '<:n>', () => clock()],
  ];
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [value];
}

function asNumber(value: unknown): number {
  return typeof value === 'number' ? value : NaN;
}

function partition(array: unknown[], size: number): unknown[][] {
  if (!Number.isInteger(size) || size <= 0) {
    throw functionError('The size argument of $partition must be a positive integer');
  }
  const chunks: unknown[][] = [];
  for (let index = 0; index < array.length; index += size) chunks.push(array.slice(index, index + size));
  return chunks;
}

/** Both ends included: AWS documents `$range(0, 10, 2)` as [0, 2, 4, 6, 8, 10]. */
function range(start: number, end: number, step: number): number[] {
  if (![start, end, step].every(Number.isFinite) || step === 0) {
    throw functionError('The arguments of $range must be finite numbers with a non-zero step');
  }
  const count = Math.floor((end - start) / step) + 1;
  if (count > MAX_RANGE_ITEMS)
    throw functionError(`$range cannot produce more than ${MAX_RANGE_ITEMS} items`);
  const items: number[] = [];
  for (let index = 0; index < count; index += 1) items.push(start + index * step);
  return items;
}

function hash(value: unknown, algorithm: unknown): string {
  const name = typeof algorithm === 'string' ? HASH_ALGORITHMS[algorithm] : undefined;
  if (name === undefined) {
    throw functionError(`The hash algorithm must be one of ${Object.keys(HASH_ALGORITHMS).join(', ')}`);
  }
  // Like States.Hash: data that is not a string is hashed as its JSON text.
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return createHash(name).update(text, 'utf8').digest('hex');
}

function parse(text: unknown): unknown {
  try {
    return JSON.parse(String(text));
  } catch {
    throw functionError('The argument of $parse is not valid JSON');
  }
}

// java.util.Random, whose seeded draws AWS's seeded States.MathRandom is known to match; the
// seeded $random is assumed to come from the same generator (nextDouble).
const LCG_MULTIPLIER = 0x5deece66dn;
const LCG_INCREMENT = 0xbn;
const LCG_MASK = (1n << 48n) - 1n;

function seededRandom(seed: number): number {
  if (!Number.isFinite(seed)) throw functionError('The seed of $random must be a finite number');
  let state = (BigInt.asIntN(64, BigInt(Math.trunc(seed))) ^ LCG_MULTIPLIER) & LCG_MASK;
  const next = (bits: bigint): bigint => {
    state = (state * LCG_MULTIPLIER + LCG_INCREMENT) & LCG_MASK;
    return state >> (48n - bits);
  };
  const high = next(26n);
  const low = next(27n);
  return Number((high << 27n) + low) / 2 ** 53;
}
