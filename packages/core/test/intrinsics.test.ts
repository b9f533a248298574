import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  evaluateIntrinsic,
  IntrinsicSyntaxError,
  isValidIntrinsic,
  parseIntrinsic,
} from '../src/asl/intrinsics.js';
import { StatesError } from '../src/asl/errors.js';
import type { Json } from '../src/json.js';
import { isJsonObject } from '../src/json.js';

const env = { random: () => 0.5, uuid: () => '3f2504e0-4f89-41d3-9a0c-0305e82c3301' };

/** Just enough JSONPath for these tests: `$`, `$.a.b`, `$$.Execution.Input.a`. */
function resolver(input: Json): (path: string) => Json {
  return (path) => {
    const context: Json = { Execution: { Input: input } };
    const [root, rest] = path.startsWith('$$') ? [context, path.slice(2)] : [input, path.slice(1)];
    let value: Json = root;
    for (const key of rest.split('.').slice(1)) {
      const next: Json | undefined = isJsonObject(value) ? value[key] : undefined;
      if (next === undefined) {
        throw new StatesError(
          'States.Runtime',
          `The JSONPath '${path}' specified for the field 'value.$' could not be found in the input`,
        );
      }
      value = next;
    }
    return value;
  };
}

function run(expression: string, input: Json = {}, environment = env): Json {
  return evaluateIntrinsic(expression, resolver(input), environment);
}

function assertInvalidArgs(expression: string, input: Json = {}): void {
  const name = /^States\.[A-Za-z0-9]+/.exec(expression)?.[0] ?? '';
  assert.throws(
    () => run(expression, input),
    (error: unknown) =>
      error instanceof StatesError &&
      error.name === 'States.Runtime' &&
      error.cause === `Invalid arguments in ${name}`,
    expression,
  );
}

void describe('parseIntrinsic', () => {
  void it('parses literals, paths and nested calls', () => {
    const call = parseIntrinsic(
      "States.Array('a', -1.5e2, null, true, false, $.x, $$.Execution.Id, $v, States.UUID())",
    );
    assert.equal(call.name, 'States.Array');
    assert.deepEqual(
      call.args.map((arg) => arg.kind),
      ['string', 'literal', 'literal', 'literal', 'literal', 'path', 'path', 'path', 'call'],
    );
    assert.deepEqual(call.args[1], { kind: 'literal', value: -150 });
  });

  void it('caches the parsed form by expression text', () => {
    assert.equal(parseIntrinsic('States.Array(1)'), parseIntrinsic('States.Array(1)'));
  });

  void it('keeps bracketed path segments whole', () => {
    const call = parseIntrinsic("States.Array($.a['b,c'], $.d[?(@.e == 'f)')])");
    assert.deepEqual(
      call.args.map((arg) => (arg.kind === 'path' ? arg.path : null)),
      ["$.a['b,c']", "$.d[?(@.e == 'f)')]"],
    );
  });

  void it('accepts whitespace between arguments', () => {
    assert.deepEqual(run('States.Array( $.a , $.b )', { a: 1, b: 2 }), [1, 2]);
  });

  void it('allows 10 nested levels and rejects 11', () => {
    const nest = (depth: number): string =>
      depth === 1 ? 'States.Array(1)' : `States.Array(${nest(depth - 1)})`;
    assert.ok(isValidIntrinsic(nest(10)));
    assert.ok(!isValidIntrinsic(nest(11)));
  });

  for (const bad of [
    'States.Array(',
    'States.Array($.a) trailing',
    'States.Array([1,2])',
    'States.Array(1.)',
    'States.Array(.5)',
    'States.ArrayGetItem($.arr, )',
    'States.Nope(1)',
    'Format(1)',
    "States.Format('unterminated)",
    "States.Format('bad \\n escape')",
    'States.Array(1e999)',
    '$.a',
  ]) {
    void it(`rejects ${bad}`, () => {
      assert.ok(!isValidIntrinsic(bad));
      assert.throws(() => parseIntrinsic(bad), IntrinsicSyntaxError);
    });
  }
});

void describe('States.Format', () => {
  void it('fills placeholders in order with unquoted scalars', () => {
    assert.equal(run("States.Format('{} {} {} {}', $.a, 2, true, null)", { a: 'x' }), 'x 2 true null');
    assert.equal(run("States.Format('no placeholders')"), 'no placeholders');
    assert.equal(run("States.Format('{}', 1.1)"), '1.1');
  });

  void it('treats escaped braces, quotes and backslashes as text', () => {
    assert.equal(run("States.Format('\\{\\} {} \\'q\\' \\\\', 3)"), "{} 3 'q' \\");
  });

  void it('accepts a template from a path or variable', () => {
    assert.equal(run('States.Format($.t, $.n)', { t: "It's {}!", n: 'Pikachu' }), "It's Pikachu!");
  });

  void it('rejects mismatched counts, objects and stray braces', () => {
    assertInvalidArgs("States.Format('{} {}', 1)");
    assertInvalidArgs("States.Format('{}', 1, 2)");
    assertInvalidArgs("States.Format('{}', $.o)", { o: { k: 1 } });
    assertInvalidArgs("States.Format('{}', $.o)", { o: [1] });
    assertInvalidArgs("States.Format('Hello {', 1)");
    assertInvalidArgs("States.Format('Hello {{}}', 1)");
    assertInvalidArgs("States.Format('}')");
    assertInvalidArgs('States.Format($.t)', { t: 123 });
    assertInvalidArgs('States.Format()');
  });
});

void describe('States.StringToJson / JsonToString', () => {
  void it('parses JSON text', () => {
    assert.deepEqual(run('States.StringToJson($.s)', { s: ' {"a":[1,"x"]} ' }), { a: [1, 'x'] });
    assert.equal(run('States.StringToJson($.s)', { s: '-0' }), 0);
    assert.ok(Object.is(run('States.StringToJson($.s)', { s: '-0' }), 0));
  });

  void it('gives null for blank text', () => {
    assert.equal(run("States.StringToJson('')"), null);
    assert.equal(run("States.StringToJson('  ')"), null);
  });

  void it('rejects malformed text and non-strings', () => {
    assertInvalidArgs('States.StringToJson($.s)', { s: '{bad json}' });
    assertInvalidArgs('States.StringToJson($.s)', { s: 'undefined' });
    assertInvalidArgs('States.StringToJson($.s)', { s: 123 });
    assertInvalidArgs("States.StringToJson('1', '2')");
  });

  void it('serialises compactly', () => {
    assert.equal(run('States.JsonToString($.o)', { o: { a: [1, null], b: 'x' } }), '{"a":[1,null],"b":"x"}');
    assert.equal(run('States.JsonToString($.o)', { o: 'x' }), '"x"');
    assertInvalidArgs('States.JsonToString()');
  });
});

void describe('array intrinsics', () => {
  void it('States.Array', () => {
    assert.deepEqual(run('States.Array()'), []);
    assert.deepEqual(run("States.Array(1, States.Array(2, 'b'), $.o)", { o: { k: 1 } }), [
      1,
      [2, 'b'],
      { k: 1 },
    ]);
  });

  void it('States.ArrayPartition', () => {
    assert.deepEqual(run('States.ArrayPartition($.a, 2)', { a: [1, 2, 3, 4, 5] }), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(run('States.ArrayPartition($.a, 2.6)', { a: [1, 2, 3] }), [[1, 2], [3]]);
    assert.deepEqual(run('States.ArrayPartition($.a, 10)', { a: [] }), []);
    assertInvalidArgs('States.ArrayPartition($.a, 0)', { a: [1] });
    assertInvalidArgs('States.ArrayPartition($.a, 0.6)', { a: [1] });
    assertInvalidArgs('States.ArrayPartition($.a, -1)', { a: [1] });
    assertInvalidArgs("States.ArrayPartition($.a, '2')", { a: [1] });
    assertInvalidArgs("States.ArrayPartition('x', 2)");
    assertInvalidArgs('States.ArrayPartition($.a)', { a: [1] });
  });

  void it('States.ArrayContains', () => {
    assert.equal(run('States.ArrayContains($.a, 2)', { a: [1, 2, 3] }), true);
    assert.equal(run('States.ArrayContains($.a, 5)', { a: [1, 2, 3] }), false);
    assert.equal(run('States.ArrayContains($.a, null)', { a: [1, null] }), true);
    assert.equal(run('States.ArrayContains($.a, $.t)', { a: [[1, 2]], t: [1, 2] }), true);
    assert.equal(run('States.ArrayContains($.a, $.t)', { a: [{ a: 1 }], t: { a: 1 } }), true);
    assert.equal(run('States.ArrayContains($.a, $.t)', { a: [{ a: 1 }], t: { a: 1, x: null } }), false);
    // Observed on AWS: key order matters, and scalars match by their text.
    assert.equal(run('States.ArrayContains($.a, $.t)', { a: [{ a: 1, b: 2 }], t: { b: 2, a: 1 } }), false);
    assert.equal(run('States.ArrayContains($.a, true)', { a: ['true'] }), true);
    assert.equal(run('States.ArrayContains($.a, false)', { a: [0, 1] }), false);
    assertInvalidArgs("States.ArrayContains('x', 'x')");
    assertInvalidArgs('States.ArrayContains($.a)', { a: [] });
  });

  void it('States.ArrayRange', () => {
    assert.deepEqual(run('States.ArrayRange(1, 9, 2)'), [1, 3, 5, 7, 9]);
    assert.deepEqual(run('States.ArrayRange(0, 10, 3)'), [0, 3, 6, 9]);
    assert.deepEqual(run('States.ArrayRange(5, 1, -2)'), [5, 3, 1]);
    assert.deepEqual(run('States.ArrayRange(3, 3, -1)'), [3]);
    assert.deepEqual(run('States.ArrayRange(5, 1, 1)'), []);
    assert.deepEqual(run('States.ArrayRange(1.6, 1.4, 1)'), [1]);
    assert.deepEqual(run('States.ArrayRange(5.4, -0.6, -2.4)'), [5, 3, 1]);
    assert.equal((run('States.ArrayRange(1, 1000, 1)') as Json[]).length, 1000);
    assertInvalidArgs('States.ArrayRange(1, 1001, 1)');
    assertInvalidArgs('States.ArrayRange(1001, 1, -1)');
    assertInvalidArgs('States.ArrayRange(1, 10, 0)');
    assertInvalidArgs('States.ArrayRange(1, 10, 0.49)');
    assertInvalidArgs("States.ArrayRange('a', 5, 1)");
    assertInvalidArgs('States.ArrayRange(1, 5)');
  });

  void it('States.ArrayGetItem', () => {
    assert.equal(run('States.ArrayGetItem($.a, 1)', { a: ['a', 'b'] }), 'b');
    assert.equal(run('States.ArrayGetItem($.a, 1.2)', { a: [10, 20, 30] }), 20);
    assert.equal(run('States.ArrayGetItem($.a, 999)', { a: [] }), null);
    assertInvalidArgs('States.ArrayGetItem($.a, 3)', { a: [1, 2, 3] });
    assertInvalidArgs('States.ArrayGetItem($.a, -1)', { a: [1, 2, 3] });
    assertInvalidArgs("States.ArrayGetItem($.a, '1')", { a: [1, 2, 3] });
    assertInvalidArgs("States.ArrayGetItem('x', 0)");
  });

  void it('States.ArrayLength and States.ArrayUnique', () => {
    assert.equal(run('States.ArrayLength($.a)', { a: [[1], [2]] }), 2);
    assert.equal(run('States.ArrayLength(States.Array())'), 0);
    assertInvalidArgs('States.ArrayLength($.a)', { a: { k: 1 } });
    assert.deepEqual(
      run('States.ArrayUnique($.a)', { a: [1, 2, 2, 3, 3, 1, { k: 1 }, { k: 1 }, [1], [1]] }),
      [1, 2, 3, { k: 1 }, [1]],
    );
    assertInvalidArgs("States.ArrayUnique('x')");
  });
});

void describe('encoding and hashing', () => {
  void it('States.Base64Encode', () => {
    assert.equal(run("States.Base64Encode('hello')"), 'aGVsbG8=');
    assert.equal(run("States.Base64Encode('')"), '');
    assert.equal(run('States.Base64Encode($.s)', { s: 'こんにちは' }), '44GT44KT44Gr44Gh44Gv');
    assert.equal(typeof run('States.Base64Encode($.s)', { s: 'a'.repeat(10000) }), 'string');
    assertInvalidArgs('States.Base64Encode($.s)', { s: 'a'.repeat(10001) });
    assertInvalidArgs('States.Base64Encode(123)');
    assertInvalidArgs("States.Base64Encode('a', 'b')");
  });

  void it('States.Base64Decode', () => {
    assert.equal(run("States.Base64Decode('aGVsbG8=')"), 'hello');
    assert.equal(run("States.Base64Decode('4pyT')"), '✓');
    assert.equal(run('States.Base64Decode(States.Base64Encode($.s))', { s: 'abc\u0000def' }), 'abc\u0000def');
    assertInvalidArgs('States.Base64Decode($.s)', { s: 'A'.repeat(10001) });
    assertInvalidArgs('States.Base64Decode($.o)', { o: {} });
  });

  void it('States.Hash', () => {
    assert.equal(run("States.Hash('hello', 'MD5')"), '5d41402abc4b2a76b9719d911017c592');
    assert.equal(run("States.Hash('hello', 'SHA-1')"), 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d');
    assert.equal(
      run("States.Hash('', 'SHA-256')"),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    assert.equal((run("States.Hash('hello', 'SHA-384')") as string).length, 96);
    assert.equal((run("States.Hash('hello', 'SHA-512')") as string).length, 128);
    // Non-string data is hashed through its JSON text.
    assert.equal(run("States.Hash(123, 'MD5')"), run("States.Hash('123', 'MD5')"));
    assert.equal(typeof run("States.Hash($.s, 'SHA-256')", { s: 'a'.repeat(10000) }), 'string');
    assertInvalidArgs("States.Hash($.s, 'SHA-256')", { s: 'a'.repeat(10001) });
    for (const alg of ['sha-256', 'SHA256', 'MD-5', '', 'SHA-257']) {
      assertInvalidArgs(`States.Hash('x', '${alg}')`);
    }
    assertInvalidArgs("States.Hash('x', 123)");
    assertInvalidArgs("States.Hash('x')");
  });
});

void describe('States.JsonMerge', () => {
  void it('merges shallowly, the right side winning', () => {
    assert.deepEqual(
      run('States.JsonMerge($.a, $.b, false)', { a: { n: { x: 1 }, k: 1 }, b: { n: { y: 2 }, z: 3 } }),
      { n: { y: 2 }, k: 1, z: 3 },
    );
  });

  void it('keeps __proto__ as data', () => {
    const merged = run('States.JsonMerge(States.StringToJson($.a), $.b, false)', {
      a: '{"__proto__":{"polluted":true}}',
      b: { x: 1 },
    });
    assert.ok(isJsonObject(merged));
    assert.deepEqual(Object.keys(merged), ['__proto__', 'x']);
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  });

  void it('rejects deep merging, non-objects and bad arity', () => {
    assertInvalidArgs('States.JsonMerge($.a, $.b, true)', { a: {}, b: {} });
    assertInvalidArgs('States.JsonMerge($.a, $.b, false)', { a: [], b: {} });
    assertInvalidArgs('States.JsonMerge($.a, $.b, false)', { a: {}, b: null });
    assertInvalidArgs('States.JsonMerge($.a, $.b)', { a: {}, b: {} });
  });
});

void describe('math', () => {
  void it('States.MathRandom draws from [start, end) using the injected random', () => {
    assert.equal(run('States.MathRandom(1, 11)', {}, { ...env, random: () => 0 }), 1);
    assert.equal(run('States.MathRandom(1, 11)', {}, { ...env, random: () => 0.999999 }), 10);
    assert.equal(run('States.MathRandom(1.6, 5.4)', {}, { ...env, random: () => 0 }), 1);
    assertInvalidArgs('States.MathRandom(1, 1)');
    assertInvalidArgs('States.MathRandom(10, 5)');
    assertInvalidArgs('States.MathRandom(1.4, 1.6)');
    assertInvalidArgs("States.MathRandom('a', 10)");
    assertInvalidArgs('States.MathRandom(1, 10, null)');
    assertInvalidArgs('States.MathRandom(1)');
    assertInvalidArgs('States.MathRandom(1, 10, 5, 99)');
  });

  void it('States.MathRandom is deterministic for a seed, as java.util.Random', () => {
    const throwing = {
      ...env,
      random: () => {
        throw new Error('a seeded draw must not use the nonce');
      },
    };
    assert.equal(run('States.MathRandom(-5, 5, 42)', {}, throwing), -5);
    // Reference values from java.util.Random(seed).nextInt(bound).
    assert.equal(run('States.MathRandom(0, 100, 42)', {}, throwing), 30);
    assert.equal(run('States.MathRandom(0, 16, 1)', {}, throwing), 11);
    assert.equal(run('States.MathRandom(0, 999, -10)', {}, throwing), 144);
  });

  void it('States.MathAdd rounds operands and stays within 32 bits', () => {
    assert.equal(run('States.MathAdd($.v, -1)', { v: 111 }), 110);
    assert.equal(run('States.MathAdd($.a, $.b)', { a: 1.6, b: 2.7 }), 5);
    assert.equal(run('States.MathAdd(2147483646, 1)'), 2147483647);
    assert.equal(run('States.MathAdd(-2147483647, -1)'), -2147483648);
    assertInvalidArgs('States.MathAdd(2147483647, 1)');
    assertInvalidArgs('States.MathAdd(3000000000, 1)');
    assertInvalidArgs("States.MathAdd(1, 'NOT A NUMBER')");
    assertInvalidArgs('States.MathAdd(true, 1)');
    assertInvalidArgs('States.MathAdd(1)');
  });
});

void describe('States.StringSplit and States.UUID', () => {
  void it('splits on each delimiter character and drops empty tokens', () => {
    assert.deepEqual(run("States.StringSplit('a,b,c', ',')"), ['a', 'b', 'c']);
    assert.deepEqual(run("States.StringSplit('1a2b3ab4', 'ab')"), ['1', '2', '3', '4']);
    assert.deepEqual(run("States.StringSplit(',a,,b,', ',')"), ['a', 'b']);
    assert.deepEqual(run("States.StringSplit('', ',')"), []);
    assert.deepEqual(run("States.StringSplit('abc', '')"), ['abc']);
    assertInvalidArgs("States.StringSplit($.s, ',')", { s: 123 });
    assertInvalidArgs("States.StringSplit('a', $.d)", { d: [','] });
    assertInvalidArgs("States.StringSplit('a')");
  });

  void it('returns the injected UUID', () => {
    assert.equal(run('States.UUID()'), env.uuid());
    assertInvalidArgs('States.UUID(1)');
  });

  void it('lets path errors through untouched', () => {
    assert.throws(
      () => run('States.Base64Encode($.missing)'),
      (error: unknown) => error instanceof StatesError && /could not be found/.test(error.message),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Recorded AWS executions

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const casesFile = resolve(repoRoot, '../shared/conformance/cases.jsonl');

interface RecordedCase {
  id: string;
  topic?: string;
  definition: Json;
  input: Json;
  expected: { status: string; output?: Json; error?: string; cause?: string };
  meta: { test_transformers?: { type: string; args: Json[] }[] };
}

/** The single intrinsic of a one-Pass-state definition, or null when the case has another shape. */
function singleIntrinsic(definition: Json): { key: string; expression: string } | null {
  if (!isJsonObject(definition) || !isJsonObject(definition.States)) return null;
  const states = Object.values(definition.States);
  const state = states[0];
  if (states.length !== 1 || !isJsonObject(state) || state.Type !== 'Pass') return null;
  if (!isJsonObject(state.Parameters)) return null;
  const entries = Object.entries(state.Parameters);
  const entry = entries[0];
  if (entries.length !== 1 || entry === undefined) return null;
  const [key, expression] = entry;
  if (!key.endsWith('.$') || typeof expression !== 'string' || !expression.startsWith('States.')) return null;
  return { key: key.slice(0, -2), expression };
}

void describe(
  'recorded AWS intrinsic executions',
  { skip: !existsSync(casesFile) && 'no ../shared/conformance' },
  () => {
    if (!existsSync(casesFile)) return;
    const cases = readFileSync(casesFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as RecordedCase)
      .filter((c) => c.topic === 'intrinsic_functions');

    cases.forEach((recorded, index) => {
      const shape = singleIntrinsic(recorded.definition);
      const title = `${index}: ${recorded.id.split('::').pop() ?? recorded.id} ${shape?.expression ?? ''}`;
      void it(title, { skip: shape === null && 'not a single intrinsic in a Pass state' }, () => {
        if (shape === null) return;
        // Values AWS randomises are redacted in the recording; for those only success is checked.
        const redacted = new Set(
          (recorded.meta.test_transformers ?? [])
            .filter((t) => t.type === 'JsonpathTransformer')
            .map((t) => t.args[1]),
        );
        const evaluate = (): Json => evaluateIntrinsic(shape.expression, resolver(recorded.input), env);
        if (recorded.expected.status !== 'SUCCEEDED') {
          assert.throws(evaluate, (error: unknown) => {
            assert.ok(error instanceof StatesError);
            assert.equal(error.name, recorded.expected.error);
            assert.ok(recorded.expected.cause?.endsWith(error.cause ?? '\u0000'), String(error.cause));
            return true;
          });
          return;
        }
        const output = recorded.expected.output;
        const expected = isJsonObject(output) ? output[shape.key] : undefined;
        const actual = evaluate();
        if (expected !== undefined && redacted.has(expected)) {
          assert.ok(typeof actual === 'number' && Number.isInteger(actual));
        } else {
          assert.deepEqual(actual, expected);
        }
      });
    });
  },
);
