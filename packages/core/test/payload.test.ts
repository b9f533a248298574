import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Json, JsonObject } from '../src/json.js';
import { isJsonObject, toJsonText } from '../src/json.js';
import { StatesError } from '../src/asl/errors.js';
import { applyPayloadTemplate } from '../src/asl/payload.js';
import { evaluatePath, PathError, pathMissCause, setAtReferencePath } from '../src/asl/jsonpath.js';

const CONFORMANCE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/conformance/cases.jsonl',
);

const options = { fieldName: 'Parameters' };

function runtimeCause(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof StatesError, `expected a StatesError, got ${String(error)}`);
    assert.equal(error.name, 'States.Runtime');
    return error.cause ?? '';
  }
  assert.fail('expected a States.Runtime error');
}

void test('static values are copied and .$ keys resolved with the suffix stripped', () => {
  const input = { a: 1, b: { c: [1, 2, 3] }, s: 'str' };
  const template: Json = {
    constant: 'text',
    number: 4,
    nothing: null,
    flag: false,
    'whole.$': '$',
    'a.$': '$.a',
    nested: { 'c.$': '$.b.c', deeper: { 'first.$': '$.b.c[0]', literal: '$.not-a-path' } },
    list: [{ 's.$': '$.s' }, 'plain', ['x', { 'y.$': '$.a' }]],
    'slice.$': '$.b.c[1:]',
  };
  assert.deepEqual(applyPayloadTemplate(template, input, null, options), {
    constant: 'text',
    number: 4,
    nothing: null,
    flag: false,
    whole: input,
    a: 1,
    nested: { c: [1, 2, 3], deeper: { first: 1, literal: '$.not-a-path' } },
    list: [{ s: 'str' }, 'plain', ['x', { y: 1 }]],
    slice: [2, 3],
  });
  assert.deepEqual(applyPayloadTemplate('just a string', input, null, options), 'just a string');
  assert.deepEqual(applyPayloadTemplate([{ 'x.$': '$.a' }], input, null, options), [{ x: 1 }]);
});

void test('context paths read the context object', () => {
  const context = { Execution: { Input: { q: 1 } }, Map: { Item: { Index: 3, Value: 'v' } } };
  assert.deepEqual(
    applyPayloadTemplate(
      { 'i.$': '$$.Map.Item.Index', 'v.$': '$$.Map.Item.Value', 'all.$': '$$' },
      {},
      context,
      options,
    ),
    { i: 3, v: 'v', all: context },
  );
});

void test("a missing path is States.Runtime with AWS's wording", () => {
  assert.equal(
    runtimeCause(() =>
      applyPayloadTemplate({ 'value.$': '$.no_such_jsonpath' }, { 'int-literal': 0 }, null, options),
    ),
    "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{\"int-literal\":0}'",
  );
  assert.equal(
    runtimeCause(() =>
      applyPayloadTemplate({ 'address.$': '$.application.address' }, { flagged: false }, null, options),
    ),
    "The JSONPath '$.application.address' specified for the field 'address.$' could not be found in the input '{\"flagged\":false}'",
  );
  assert.equal(
    runtimeCause(() =>
      applyPayloadTemplate(
        { 'value.$': '$$.Execution.Input.x' },
        { a: 1 },
        { Execution: { Input: {} } },
        options,
      ),
    ),
    "The JSONPath '$$.Execution.Input.x' specified for the field 'value.$' could not be found in the input '{\"a\":1}'",
  );
  assert.equal(
    runtimeCause(() => applyPayloadTemplate({ deep: { 'x.$': '$.x' } }, {}, null, options)),
    "The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '{}'",
  );
});

void test('invalid .$ values are States.Runtime', () => {
  for (const bad of ['not a path', '$.a b', 42, '$@', '']) {
    const cause = runtimeCause(() => applyPayloadTemplate({ 'x.$': bad }, { a: 1 }, null, options));
    assert.match(cause, /field 'x\.\$'/);
  }
});

void test('intrinsics go through the supplied evaluator, with path arguments resolved', () => {
  const seen: string[] = [];
  const intrinsic = (expression: string, resolvePath: (path: string) => Json): Json => {
    seen.push(expression);
    return { called: expression, arg: resolvePath('$.a'), ctx: resolvePath('$$.n') };
  };
  assert.deepEqual(
    applyPayloadTemplate(
      { 'r.$': "States.Format('{}', $.a)" },
      { a: 5 },
      { n: 'c' },
      { ...options, intrinsic },
    ),
    { r: { called: "States.Format('{}', $.a)", arg: 5, ctx: 'c' } },
  );
  assert.deepEqual(seen, ["States.Format('{}', $.a)"]);
  const missing = runtimeCause(() =>
    applyPayloadTemplate({ 'r.$': 'States.X($.zz)' }, {}, null, {
      ...options,
      intrinsic: (_e, resolvePath) => resolvePath('$.zz'),
    }),
  );
  assert.match(missing, /The JSONPath '\$\.zz' specified for the field 'r\.\$' could not be found/);
  assert.match(
    runtimeCause(() => applyPayloadTemplate({ 'r.$': 'States.UUID()' }, {}, null, options)),
    /not supported/,
  );
});

void test('variables resolve only when a lookup is supplied', () => {
  const variables = (name: string): Json | undefined => ({ answer: { v: 42 } })[name];
  assert.deepEqual(
    applyPayloadTemplate({ 'a.$': '$answer.v', 'b.$': '$answer' }, {}, null, { ...options, variables }),
    {
      a: 42,
      b: { v: 42 },
    },
  );
  assert.match(
    runtimeCause(() => applyPayloadTemplate({ 'a.$': '$answer' }, {}, null, options)),
    /field 'a\.\$'/,
  );
  assert.match(
    runtimeCause(() => applyPayloadTemplate({ 'a.$': '$other' }, {}, null, { ...options, variables })),
    /could not be found/,
  );
});

void test('a __proto__ key stays an ordinary property', () => {
  const template = JSON.parse('{"__proto__": {"polluted": true}, "x.$": "$.x"}') as Json;
  const out = applyPayloadTemplate(template, { x: 1 }, null, options);
  assert.ok(isJsonObject(out));
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.keys(out), ['__proto__', 'x']);
});

// --- recorded AWS cases: single Pass states run through InputPath → Parameters → Result →
// ResultPath → OutputPath with this module and the JSONPath one.

interface Case {
  id: string;
  topic: string;
  definition: { StartAt: string; States: Record<string, JsonObject> };
  input: Json;
  expected: { status: string; output?: Json; error?: string; cause?: string };
}

function loadCases(): Case[] | undefined {
  if (!existsSync(CONFORMANCE)) return undefined;
  return readFileSync(CONFORMANCE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Case);
}

const PREFIX = /^An error occurred while executing the state '[^']*' \(entered at the event id #\d+\)\. /;

function runSinglePass(state: JsonObject, input: Json, context: Json): Json {
  const select = (path: Json | undefined, value: Json): Json => {
    if (path === undefined) return value;
    if (path === null) return {};
    assert.equal(typeof path, 'string');
    try {
      return evaluatePath(path as string, value, context);
    } catch (error) {
      if (error instanceof PathError) {
        throw new StatesError('States.Runtime', pathMissCause(path as string, value, context));
      }
      throw error;
    }
  };
  const effective = select(state.InputPath, input);
  let result =
    state.Parameters === undefined
      ? effective
      : applyPayloadTemplate(state.Parameters, effective, context, { fieldName: 'Parameters' });
  if (state.Result !== undefined) result = state.Result;
  const resultPath = state.ResultPath;
  const merged =
    resultPath === undefined
      ? result
      : resultPath === null
        ? input
        : setAtReferencePath(input, resultPath as string, result);
  return select(state.OutputPath, merged);
}

void test('recorded AWS data-flow cases (single Pass state)', (t) => {
  const cases = loadCases();
  if (cases === undefined) {
    t.skip('conformance cases not present');
    return;
  }
  let ran = 0;
  for (const c of cases) {
    if (c.topic !== 'data_flow' && c.topic !== 'context_object') continue;
    const states = Object.values(c.definition.States);
    const [state] = states;
    if (states.length !== 1 || state === undefined || state.Type !== 'Pass') continue;
    // Only the execution input is known here; other context members were redacted.
    const text = JSON.stringify(state);
    if (/\$\$(?!\.Execution\.Input)/.test(text)) continue;
    const context: Json = { Execution: { Input: c.input } };
    ran++;
    if (c.expected.status === 'SUCCEEDED') {
      assert.deepEqual(runSinglePass(state, c.input, context), c.expected.output, c.id);
    } else {
      let caught: unknown;
      try {
        runSinglePass(state, c.input, context);
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof StatesError, c.id);
      assert.equal(caught.name, c.expected.error, c.id);
      const expectedCause = (c.expected.cause ?? '')
        .replace(PREFIX, '')
        .replace('<json-input:1>', toJsonText(c.input));
      assert.equal(caught.cause, expectedCause, c.id);
    }
  }
  t.diagnostic(`ran ${ran} recorded cases`);
  assert.ok(ran >= 8, `ran ${ran} cases`);
});
