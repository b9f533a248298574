import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { StatesError } from '../src/asl/errors.js';
import type { JsonataEnv, StatesBinding } from '../src/asl/jsonata.js';
import {
  evaluateJsonataField,
  evaluateJsonataTyped,
  isJsonataTemplate,
  jsonataSyntaxError,
} from '../src/asl/jsonata.js';
import type { Json, JsonObject } from '../src/json.js';
import { isJsonObject } from '../src/json.js';

function makeEnv(
  states: Partial<StatesBinding> = {},
  variables: Record<string, Json> = {},
  extra: Partial<JsonataEnv> = {},
): JsonataEnv {
  return {
    states: { input: {}, context: {}, ...states },
    variables: (name) => (Object.hasOwn(variables, name) ? variables[name] : undefined),
    random: () => 0.25,
    uuid: () => '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
    ...extra,
  };
}

const env = makeEnv({ input: { a: [1, 2, 3], name: 'Ann', nested: { k: 'v' } } }, { x: 5, list: [1, 2] });

function evaluate(value: Json, environment: JsonataEnv = env, fieldPath = 'Output'): Json {
  return evaluateJsonataField(value, fieldPath, environment);
}

/** The cause of the StatesError `run` throws; fails the test when it throws something else. */
function causeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof StatesError, `expected a StatesError, got ${String(error)}`);
    assert.equal(error.name, 'States.QueryEvaluationError');
    return error.cause ?? '';
  }
  assert.fail('expected a States.QueryEvaluationError');
}

void describe('isJsonataTemplate', () => {
  it('accepts exactly "{% … %}"', () => {
    assert.equal(isJsonataTemplate('{% $x %}'), true);
    assert.equal(isJsonataTemplate('{%$x%}'), true);
  });
  it('refuses whitespace outside the delimiters, embedded templates and non-strings', () => {
    assert.equal(isJsonataTemplate(' {% $x %}'), false);
    assert.equal(isJsonataTemplate('{% $x %} '), false);
    assert.equal(isJsonataTemplate('Hello {% $x %}'), false);
    assert.equal(isJsonataTemplate('{%}'), false);
    assert.equal(isJsonataTemplate(42), false);
    assert.equal(isJsonataTemplate(null), false);
  });
});

void describe('evaluateJsonataField', () => {
  it('evaluates a template against $states and variables', () => {
    assert.equal(evaluate('{% $sum($states.input.a) + $x %}'), 11);
    assert.equal(evaluate("{% 'Hello ' & $states.input.name %}"), 'Hello Ann');
    assert.deepEqual(evaluate('{% $list %}'), [1, 2]);
  });

  it('walks objects and arrays, leaving literals (and non-template strings) alone', () => {
    const value: Json = {
      literal: 'constant',
      padded: ' {% $states.input %} ',
      jsonPathLike: '$.a',
      nested: { list: [null, 0, 0.1, true, '{% $states.input.nested.k %}', { deep: '{% $x * 2 %}' }] },
    };
    assert.deepEqual(evaluate(value), {
      literal: 'constant',
      padded: ' {% $states.input %} ',
      jsonPathLike: '$.a',
      nested: { list: [null, 0, 0.1, true, 'v', { deep: 10 }] },
    });
    assert.equal(evaluate(7), 7);
    assert.equal(evaluate(null), null);
  });

  it('keeps keys named __proto__ as keys', () => {
    const value = JSON.parse('{"__proto__": "{% 1 %}"}') as Json;
    const result = evaluate(value);
    assert.ok(isJsonObject(result));
    assert.deepEqual(Object.keys(result), ['__proto__']);
    assert.equal(Object.getPrototypeOf(result), Object.prototype);
  });

  it('exposes $states.result and errorOutput only when given', () => {
    assert.deepEqual(evaluate('{% $states.result %}', makeEnv({ result: { r: 1 } })), { r: 1 });
    assert.equal(evaluate('{% $states.errorOutput.Error %}', makeEnv({ errorOutput: { Error: 'E' } })), 'E');
    assert.equal(evaluate('{% $exists($states.result) %}', env), false);
    assert.deepEqual(evaluate('{% $keys($states) %}', env), ['input', 'context']);
    assert.deepEqual(
      evaluate('{% $states.context.Execution.Id %}', makeEnv({ context: { Execution: { Id: 'e' } } })),
      'e',
    );
  });

  it('returns plain JSON: sequences become ordinary arrays', () => {
    const result = evaluate('{% $states.input.a.($ * 2) %}');
    assert.deepEqual(result, [2, 4, 6]);
    assert.ok(Array.isArray(result));
    assert.deepEqual(Object.keys(result), ['0', '1', '2']);
    assert.equal(Object.getPrototypeOf(result), Array.prototype);
    assert.equal(JSON.stringify(result), '[2,4,6]');
    // A one-item sequence is a single value in JSONata; `[]` keeps the array.
    assert.equal(evaluate('{% $states.input.a[0] %}'), 1);
    assert.deepEqual(evaluate('{% $states.input.a[0][] %}'), [1]);
    const object = evaluate('{% {"k": $states.input.a} %}');
    assert.equal(Object.getPrototypeOf(object), Object.prototype);
    assert.deepEqual(object, { k: [1, 2, 3] });
    assert.ok(Object.is(evaluate('{% -0 %}'), 0));
  });

  it('does not change the values it reads', () => {
    const input: Json = { a: [1, 2, 3], o: { b: [{ c: 1 }] } };
    const snapshot = structuredClone(input);
    const environment = makeEnv({ input });
    for (const expression of [
      '{% $states.input.a[] %}',
      '{% $states.input.a[][0] %}',
      '{% $states.input.o.b[] %}',
      '{% $states.input.a %}',
      '{% $states.input.o.b[0] %}',
      '{% $states.input ~> |o|{"x": 1}| %}',
      '{% $sort($states.input.a, function($l, $r){ $l < $r }) %}',
      '{% $states.input.o.b.c %}',
    ]) {
      evaluate(expression, environment);
    }
    assert.deepStrictEqual(input, snapshot);
    assert.deepEqual(evaluate('{% $states.input.one[] %}', makeEnv({ input: { one: [1] } })), [1]);
    assert.deepEqual(evaluate('{% $states.input.one[] %}', makeEnv({ input: { one: [[1]] } })), [[1]]);
  });

  it('keeps workflow variables apart from the names an expression binds itself', () => {
    assert.equal(evaluate('{% ($x := 1; $x) %}'), 1);
    assert.equal(evaluate('{% $x %}'), 5);
    assert.deepEqual(evaluate('{% $map($states.input.a, function($v) { $v + $x }) %}'), [6, 7, 8]);
  });

  it('reports an expression that returns nothing, with the field path', () => {
    assert.equal(
      causeOf(() => evaluate({ result: '{% $doesNotExist %}' })),
      "The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined).",
    );
    assert.equal(
      causeOf(() => evaluateJsonataField('{% $doesNotExist %}', 'Arguments', env)),
      "The JSONata expression '$doesNotExist' specified for the field 'Arguments' returned nothing (undefined).",
    );
    assert.equal(
      causeOf(() => evaluateJsonataField({ FunctionName: '{% $doesNotExist %}' }, 'Arguments', env)),
      "The JSONata expression '$doesNotExist' specified for the field 'Arguments/FunctionName' returned nothing (undefined).",
    );
    assert.equal(
      causeOf(() => evaluate({ list: [1, '{% $nope %}'] })),
      "The JSONata expression '$nope' specified for the field 'Output/list[1]' returned nothing (undefined).",
    );
  });

  it('refuses functions and non-finite numbers as results', () => {
    assert.equal(
      causeOf(() => evaluateJsonataField('{% $fn := function($x){$x} %}', 'Items', env)),
      "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' returned an unsupported result type.",
    );
    assert.match(
      causeOf(() => evaluate('{% $sum %}')),
      /returned an unsupported result type\.$/,
    );
    assert.match(
      causeOf(() => evaluate('{% {"f": $uppercase} %}')),
      /returned an unsupported result type\.$/,
    );
    assert.match(
      causeOf(() => evaluate('{% 1/0 %}')),
      /returned an unsupported result type\.$/,
    );
  });

  it('reports jsonata errors as "<code>: <message>"', () => {
    assert.equal(
      causeOf(() => evaluate({ FunctionResult: '{% $randomSeeded($states.input.FunctionInput.fst) %}' })),
      "The JSONata expression '$randomSeeded($states.input.FunctionInput.fst)' specified for the field 'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function",
    );
    assert.match(
      causeOf(() => evaluate('{% 1 + "a" %}')),
      /threw an error during evaluation\. T2002: /,
    );
    assert.match(
      causeOf(() => evaluate("{% $error('boom') %}")),
      /threw an error during evaluation\. D3137: boom$/,
    );
    assert.match(
      causeOf(() => evaluate('{% 1 + %}')),
      /threw an error during evaluation\. S0207: /,
    );
  });

  it('bounds evaluation time', () => {
    const started = performance.now();
    const cause = causeOf(() =>
      evaluate('{% ($f := function($n){ $f($n + 1) }; $f(0)) %}', { ...env, limits: { timeoutMs: 100 } }),
    );
    assert.match(cause, /threw an error during evaluation\. U1001: Expression evaluation timeout/);
    assert.ok(performance.now() - started < 1000);
  });

  it('bounds evaluation depth', () => {
    const cause = causeOf(() =>
      evaluate('{% ($f := function($n){ 1 + $f($n + 1) }; $f(0)) %}', { ...env, limits: { maxDepth: 500 } }),
    );
    assert.match(cause, /threw an error during evaluation\. U1001: Stack overflow error/);
  });

  it('compiles each expression once and reuses it', () => {
    for (let index = 0; index < 1000; index += 1) {
      assert.equal(evaluate('{% $x + 1 %}', makeEnv({}, { x: index })), index + 1);
    }
  });
});

void describe('Step Functions functions', () => {
  it('$partition splits into chunks, the last one shorter', () => {
    assert.deepEqual(evaluate('{% $partition([1,2,3,4,5,6,7,8,9], 3) %}'), [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    assert.deepEqual(evaluate('{% $partition([1,2,3,4,5], 2) %}'), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(evaluate('{% $partition([], 2) %}'), []);
    assert.match(
      causeOf(() => evaluate('{% $partition([1], 0) %}')),
      /threw an error during evaluation/,
    );
  });

  it('$range includes its end and accepts a negative step', () => {
    assert.deepEqual(evaluate('{% $range(0, 10, 2) %}'), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(evaluate('{% $range(5, 1, -2) %}'), [5, 3, 1]);
    assert.deepEqual(evaluate('{% $range(1, 3) %}'), [1, 2, 3]);
    assert.deepEqual(evaluate('{% $range(1, 0, 1) %}'), []);
    assert.match(
      causeOf(() => evaluate('{% $range(1, 3, 0) %}')),
      /threw an error during evaluation/,
    );
  });

  it('$hash supports MD5 and the SHA family', () => {
    for (const [name, node] of [
      ['MD5', 'md5'],
      ['SHA-1', 'sha1'],
      ['SHA-256', 'sha256'],
      ['SHA-384', 'sha384'],
      ['SHA-512', 'sha512'],
    ] as const) {
      assert.equal(
        evaluate(`{% $hash('input data', '${name}') %}`),
        createHash(node).update('input data').digest('hex'),
      );
    }
    assert.match(
      causeOf(() => evaluate("{% $hash('x', 'SHA-999') %}")),
      /threw an error during evaluation/,
    );
  });

  it('$random draws from env.random; seeded it is deterministic', () => {
    assert.equal(evaluate('{% $random() %}'), 0.25);
    const first = evaluate('{% $random(42) %}');
    assert.equal(first, evaluate('{% $random(42) %}', makeEnv({}, {}, { random: () => 0.9 })));
    assert.notEqual(first, evaluate('{% $random(43) %}'));
    assert.ok(typeof first === 'number' && first >= 0 && first < 1);
    // java.util.Random(42).nextDouble()
    assert.equal(first, 0.7275636800328681);
  });

  it('$uuid comes from env.uuid', () => {
    assert.equal(evaluate('{% $uuid() %}'), '3f2504e0-4f89-41d3-9a0c-0305e82c3301');
  });

  it('$parse reads JSON text', () => {
    assert.deepEqual(evaluate('{% $parse(\'{"a":[1,true,null]}\') %}'), { a: [1, true, null] });
    assert.equal(evaluate('{% $parse(\'"s"\') %}'), 's');
    assert.match(
      causeOf(() => evaluate("{% $parse('{nope') %}")),
      /threw an error during evaluation/,
    );
  });

  it('$eval is unavailable', () => {
    assert.match(
      causeOf(() => evaluate("{% $eval('1 + 1') %}")),
      /threw an error during evaluation\. T1006: Attempted to invoke a non-function$/,
    );
  });

  it('$shuffle, $now and $millis use the injected randomness and clock', () => {
    const fixed = makeEnv({}, {}, { now: () => Date.UTC(2024, 10, 24, 17, 22, 32), random: () => 0 });
    assert.equal(evaluate('{% $now() %}', fixed), '2024-11-24T17:22:32.000Z');
    assert.equal(evaluate('{% $millis() %}', fixed), Date.UTC(2024, 10, 24, 17, 22, 32));
    assert.equal(evaluate("{% $now('[Y0001]') %}", fixed), '2024');
    const shuffled = evaluate('{% $shuffle([1,2,3,4]) %}', fixed);
    assert.deepEqual(shuffled, evaluate('{% $shuffle([1,2,3,4]) %}', fixed));
  });

  it('keeps the other built-in functions', () => {
    assert.equal(evaluate("{% $contains('hello$world', /^hello\\$/) %}"), true);
    assert.equal(evaluate('{% $number("2") %}'), 2);
    assert.equal(evaluate("{% $base64encode('hi') %}"), 'aGk=');
    assert.equal(evaluate("{% $string({'a': 1}) %}"), '{"a":1}');
  });
});

void describe('evaluateJsonataTyped', () => {
  it('returns values of the expected type', () => {
    assert.deepEqual(evaluateJsonataTyped('{% [0] %}', 'Items', 'array', env), [0]);
    assert.deepEqual(evaluateJsonataTyped([1, '{% $number("2") %}', 3], 'Items', 'array', env), [1, 2, 3]);
    assert.equal(evaluateJsonataTyped('{% $x > 1 %}', 'Condition', 'boolean', env), true);
    assert.equal(evaluateJsonataTyped(true, 'Condition', 'boolean', env), true);
    assert.equal(evaluateJsonataTyped('{% $x %}', 'TimeoutSeconds', 'integer', env), 5);
    assert.equal(evaluateJsonataTyped('{% 1.5 %}', 'Seconds', 'number', env), 1.5);
    assert.equal(evaluateJsonataTyped('{% $states.input.name %}', 'Error', 'string', env), 'Ann');
    assert.deepEqual(evaluateJsonataTyped('{% $states.input.nested %}', 'Arguments', 'object', env), {
      k: 'v',
    });
  });

  it('reports other types as AWS does', () => {
    const cases: [string, string][] = [
      ["{'foo': 'bar'}", `Expected 'array', but was 'object' for value: {"foo":"bar"}`],
      ['null', "Expected 'array', but was 'null' for value: null"],
      ['true', "Expected 'array', but was 'boolean' for value: true"],
      ['1', "Expected 'array', but was 'number' for value: 1"],
      ["'string'", `Expected 'array', but was 'string' for value: "string"`],
    ];
    for (const [expression, found] of cases) {
      assert.equal(
        causeOf(() => evaluateJsonataTyped(`{% ${expression} %}`, 'Items', 'array', env)),
        `The JSONata expression '${expression}' specified for the field 'Items' returned an unexpected result type. ${found}`,
      );
    }
    assert.match(
      causeOf(() => evaluateJsonataTyped('{% 1.5 %}', 'TimeoutSeconds', 'integer', env)),
      /Expected 'integer', but was 'number' for value: 1\.5$/,
    );
    assert.match(
      causeOf(() => evaluateJsonataTyped('{% $nothing %}', 'Items', 'array', env)),
      /returned nothing \(undefined\)\.$/,
    );
  });
});

void describe('jsonataSyntaxError', () => {
  it('names the syntax error of an expression, or null', () => {
    assert.equal(jsonataSyntaxError('$x + 1'), null);
    assert.match(jsonataSyntaxError('$x +') ?? '', /^S0207: /);
  });
});

// ---------------------------------------------------------------------------------------------
// Recorded AWS executions: a small interpreter for definitions made only of JSONata Pass,
// Choice, Map (trivial processor), Fail and Succeed states, enough to replay the recordings
// whose outcome depends on expressions alone.

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const casesFile = resolve(repoRoot, '../shared/conformance/cases.jsonl');

interface RecordedCase {
  id: string;
  topic?: string;
  category?: string;
  definition: Json;
  input: Json;
  expected: { status: string; output?: Json; error?: string; cause?: string };
}

type Outcome =
  { status: 'SUCCEEDED'; output: Json } | { status: 'FAILED'; error: string; cause: string | null };

class Unsupported extends Error {}

const PREFIX = /^An error occurred while executing the state '[^']*' \(entered at the event id #\d+\)\. /;
const PLAIN_KEYS = new Set(['Type', 'Next', 'End', 'Comment', 'QueryLanguage']);

function replay(definition: JsonObject, input: Json): Outcome {
  const states = definition.States;
  if (!isJsonObject(states) || typeof definition.StartAt !== 'string') throw new Unsupported('shape');
  const topLanguage = definition.QueryLanguage === 'JSONata' ? 'JSONata' : 'JSONPath';
  const variables: Record<string, Json> = {};
  let name: string = definition.StartAt;
  let current = input;
  for (let step = 0; step < 20; step += 1) {
    const state = states[name];
    if (!isJsonObject(state)) throw new Unsupported('missing state');
    const jsonata = (state.QueryLanguage ?? topLanguage) === 'JSONata';
    const stateEnv = makeEnv({ input: current }, variables);
    const fields = Object.keys(state).filter((key) => !PLAIN_KEYS.has(key));
    let output: Json = current;
    let next: Json | undefined = state.Next;
    try {
      if (!jsonata) {
        // JSONPath states only when they pass their input through (constant Assign allowed).
        if (fields.some((key) => key !== 'Assign') || state.Type !== 'Pass')
          throw new Unsupported('JSONPath');
        if (isJsonObject(state.Assign)) {
          if (Object.keys(state.Assign).some((key) => key.endsWith('.$')))
            throw new Unsupported('JSONPath Assign');
          Object.assign(variables, state.Assign);
        }
      } else if (state.Type === 'Pass') {
        if (fields.some((key) => key !== 'Output' && key !== 'Assign')) throw new Unsupported('Pass field');
        if (state.Output !== undefined) output = evaluateJsonataField(state.Output, 'Output', stateEnv);
        if (state.Assign !== undefined) assign(state.Assign, stateEnv, variables);
      } else if (state.Type === 'Map') {
        const processor = state.ItemProcessor;
        if (!isJsonObject(processor) || !isJsonObject(processor.States)) throw new Unsupported('Map');
        const inner = Object.values(processor.States);
        if (
          inner.length !== 1 ||
          !isJsonObject(inner[0]) ||
          Object.keys(inner[0]).some((k) => !PLAIN_KEYS.has(k))
        ) {
          throw new Unsupported('Map processor');
        }
        if (fields.some((key) => !['Items', 'ItemProcessor', 'MaxConcurrency'].includes(key)))
          throw new Unsupported('Map field');
        if (state.Items === undefined) throw new Unsupported('Map input check belongs to the engine');
        output = evaluateJsonataTyped(state.Items, 'Items', 'array', stateEnv);
      } else if (state.Type === 'Choice') {
        if (fields.some((key) => !['Choices', 'Default', 'Output'].includes(key)))
          throw new Unsupported('Choice field');
        if (!Array.isArray(state.Choices)) throw new Unsupported('Choices');
        next = state.Default;
        let outputField: Json | undefined = state.Output;
        let fieldName = 'Output';
        for (const [index, rule] of state.Choices.entries()) {
          if (!isJsonObject(rule) || rule.Condition === undefined) throw new Unsupported('rule');
          if (
            evaluateJsonataTyped(rule.Condition, `Choices[${index}]/Condition`, 'boolean', stateEnv) === true
          ) {
            next = rule.Next;
            outputField = rule.Output;
            fieldName = `Choices[${index}]/Output`;
            break;
          }
        }
        if (outputField !== undefined) output = evaluateJsonataField(outputField, fieldName, stateEnv);
      } else if (state.Type === 'Fail') {
        const error =
          state.Error === undefined ? null : evaluateJsonataTyped(state.Error, 'Error', 'string', stateEnv);
        const cause =
          state.Cause === undefined ? null : evaluateJsonataTyped(state.Cause, 'Cause', 'string', stateEnv);
        return {
          status: 'FAILED',
          error: typeof error === 'string' ? error : '',
          cause: typeof cause === 'string' ? cause : null,
        };
      } else if (state.Type === 'Succeed') {
        if (fields.length > 0) throw new Unsupported('Succeed field');
        return { status: 'SUCCEEDED', output: current };
      } else {
        throw new Unsupported(JSON.stringify(state.Type));
      }
    } catch (error) {
      if (error instanceof StatesError) return { status: 'FAILED', error: error.name, cause: error.cause };
      throw error;
    }
    current = output;
    if (state.End === true) return { status: 'SUCCEEDED', output: current };
    if (typeof next !== 'string') throw new Unsupported('no next');
    name = next;
  }
  throw new Unsupported('too long');
}

/** Right-hand sides see the values at state entry; the new values land together afterwards. */
function assign(spec: Json, stateEnv: JsonataEnv, variables: Record<string, Json>): void {
  if (!isJsonObject(spec)) throw new Unsupported('Assign');
  const assigned: Record<string, Json> = {};
  for (const [key, value] of Object.entries(spec))
    assigned[key] = evaluateJsonataField(value, `Assign/${key}`, stateEnv);
  Object.assign(variables, assigned);
}

void describe(
  'recorded AWS JSONata executions',
  { skip: !existsSync(casesFile) && 'no ../shared/conformance' },
  () => {
    if (!existsSync(casesFile)) return;
    const cases = readFileSync(casesFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as RecordedCase)
      .filter((c) => JSON.stringify(c.definition).includes('"QueryLanguage":"JSONata"'));

    cases.forEach((recorded, index) => {
      const title = `${index}: ${recorded.id.split('::').pop() ?? recorded.id}`;
      let outcome: Outcome | null = null;
      let skip: string | false = false;
      try {
        if (!isJsonObject(recorded.definition)) throw new Unsupported('definition');
        outcome = replay(recorded.definition, recorded.input);
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        skip = `outside this replay: ${error.message}`;
      }
      void it(title, { skip }, () => {
        if (outcome === null) return;
        const expected = recorded.expected;
        assert.equal(outcome.status, expected.status);
        if (outcome.status === 'SUCCEEDED') {
          // Outputs that are not objects are recorded as their JSON text.
          const output =
            typeof expected.output === 'string' ? (JSON.parse(expected.output) as Json) : expected.output;
          assert.deepStrictEqual(outcome.output, output);
        } else {
          assert.equal(outcome.error, expected.error);
          if (expected.cause !== undefined) assert.equal(outcome.cause, expected.cause.replace(PREFIX, ''));
        }
      });
    });
  },
);
