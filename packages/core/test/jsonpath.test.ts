import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../src/json.js';
import { StatesError } from '../src/asl/errors.js';
import {
  evaluatePath,
  isValidPath,
  isValidReferencePath,
  lookupPath,
  parsePath,
  PathError,
  pathMissCause,
  setAtReferencePath,
} from '../src/asl/jsonpath.js';

const store: Json = {
  store: {
    book: [
      { category: 'reference', author: 'Nigel Rees', title: 'Sayings', price: 8.95 },
      { category: 'fiction', author: 'Evelyn Waugh', title: 'Sword', price: 12.99 },
      { category: 'fiction', author: 'Herman Melville', title: 'Moby Dick', isbn: '0-553', price: 8.99 },
      { category: 'fiction', author: 'J. R. R. Tolkien', title: 'LOTR', isbn: '0-395', price: 22.99 },
    ],
    bicycle: { color: 'red', price: 19.95 },
  },
  expensive: 10,
};

const eq = (path: string, expected: Json, input: Json = store, context: Json = null): void => {
  assert.deepEqual(evaluatePath(path, input, context), expected, path);
};

void test('definite paths return the value itself', () => {
  eq('$', store);
  eq('$.expensive', 10);
  eq('$.store.bicycle.color', 'red');
  eq("$['store']['bicycle']['color']", 'red');
  eq('$["store"]["bicycle"]["price"]', 19.95);
  eq('$.store.book[0].author', 'Nigel Rees');
  eq('$.store.book[-1].title', 'LOTR');
  eq('$.store.book[-4].title', 'Sayings');
  eq('$.a', null, { a: null });
});

void test('field names: hyphens, unicode, quotes and blanks in brackets', () => {
  const input = { 'error-info': 1, 'ünï ✓': 2, 'a b': 3, "it's": 4, 'a.b': 5, '': 6 };
  eq('$.error-info', 1, input);
  eq('$.ünï✓', 7, { 'ünï✓': 7 });
  eq("$['ünï ✓']", 2, input);
  eq("$['a b']", 3, input);
  eq("$['it\\'s']", 4, input);
  eq('$["it\'s"]', 4, input);
  eq("$['a.b']", 5, input);
  eq("$['']", 6, input);
  assert.equal(isValidPath('$.a b'), false, 'Jayway refuses blanks in dot notation');
});

void test('indefinite paths return arrays of matches', () => {
  eq('$.store.book[*].author', ['Nigel Rees', 'Evelyn Waugh', 'Herman Melville', 'J. R. R. Tolkien']);
  eq('$..author', ['Nigel Rees', 'Evelyn Waugh', 'Herman Melville', 'J. R. R. Tolkien']);
  eq('$.store..price', [8.95, 12.99, 8.99, 22.99, 19.95]);
  eq('$..book[2].title', ['Moby Dick']);
  eq('$..book[-1:].title', ['LOTR']);
  eq('$..book[0,1].title', ['Sayings', 'Sword']);
  eq('$..book[:2].title', ['Sayings', 'Sword']);
  eq('$.store.book[1:3].title', ['Sword', 'Moby Dick']);
  eq('$.store.book[1:].price', [12.99, 8.99, 22.99]);
  eq('$.store.book[-2:].price', [8.99, 22.99]);
  eq('$.store.book[:-3].price', [8.95]);
  eq('$.store.book[5:9]', []);
  eq('$.*', [store.store, 10] as Json);
  eq('$.store.bicycle.*', ['red', 19.95]);
  eq('$[*]', [1, 2], [1, 2]);
  eq('$..isbn', ['0-553', '0-395']);
});

void test('filters', () => {
  eq('$.store.book[?(@.isbn)].title', ['Moby Dick', 'LOTR']);
  eq('$.store.book[?(!@.isbn)].title', ['Sayings', 'Sword']);
  eq('$.store.book[?(@.price < 10)].title', ['Sayings', 'Moby Dick']);
  eq('$.store.book[?(@.price <= 8.99)].title', ['Sayings', 'Moby Dick']);
  eq('$.store.book[?(@.price > $.expensive)].title', ['Sword', 'LOTR']);
  eq("$.store.book[?(@.category == 'reference')].title", ['Sayings']);
  eq('$.store.book[?(@.category != "fiction")].title', ['Sayings']);
  eq("$.store.book[?(@.category == 'fiction' && @.price < 10)].title", ['Moby Dick']);
  eq("$.store.book[?(@.category == 'reference' || @.price > 20)].title", ['Sayings', 'LOTR']);
  eq('$.store.book[?((@.price > 20 || @.price < 9) && @.isbn)].title', ['Moby Dick', 'LOTR']);
  eq('$.store.book[?(@.author =~ /.*melville/i)].title', ['Moby Dick']);
  eq('$.store.book[?(@.author =~ /Melville/)].title', [], store);
  eq("$.store.book[?(@.category in ['reference', 'poetry'])].title", ['Sayings']);
  eq("$.store.book[?(@.category nin ['fiction'])].title", ['Sayings']);
  eq('$.store.book[?(@.title size 4)].title', ['LOTR']);
  eq('$[?(@ > 1)]', [2, 3], [1, 2, 3]);
  eq('$[?(@.x == 1)]', [{ x: 1 }], [{ x: 1 }, { x: 2 }, 3]);
  // Jayway compares a number and a string that spells it as equal.
  eq("$[?(@.status == '0')].id", ['a'], [{ id: 'a', status: 0 }]);
  eq('$.users[?(@.status == 0)]', [{ year: 1997, status: 0 }], {
    users: [
      { year: 1997, status: 0 },
      { year: 1998, status: 1 },
    ],
  });
  eq('$..[?(@.price > 20)].title', ['LOTR']);
});

void test('indefinite paths never fail, even through missing parents', () => {
  eq('$[*]', [], {});
  eq('$.items[1:]', [], {});
  eq('$.item.items[*]', [], {});
  eq('$.item.items[1:5]', [], {});
  eq('$.items[*].itemValue', [], {});
  eq('$.items[:1].itemValue', [], {});
  eq('$.a[*]', [], { a: 'text' });
  eq('$..x', [], 5);
});

void test('context paths query the context object', () => {
  const context = { Execution: { Input: { a: 1 }, Name: 'n' }, Map: { Item: { Index: 2 } } };
  eq('$$', context, {}, context);
  eq('$$.Execution.Name', 'n', {}, context);
  eq('$$.Map.Item.Index', 2, {}, context);
  eq('$$.Execution.Input.a', 1, {}, context);
});

void test('variables resolve through the lookup', () => {
  const vars: Record<string, Json> = { answer: { x: [1, 2] } };
  const lookup = (name: string): Json | undefined => vars[name];
  assert.deepEqual(evaluatePath('$answer', {}, null, lookup), { x: [1, 2] });
  assert.deepEqual(evaluatePath('$answer.x[1]', {}, null, lookup), 2);
  assert.deepEqual(evaluatePath('$answer.x[*]', {}, null, lookup), [1, 2]);
  assert.equal(lookupPath('$nope', {}, null, lookup).found, false);
  assert.equal(lookupPath('$answer', {}, null).found, false);
});

void test('a definite miss throws PathError with Jayway wording', () => {
  assert.throws(
    () => evaluatePath('$.X', { a: 1 }, null),
    (error: unknown) => error instanceof PathError && error.kind === 'missing',
  );
  assert.equal(pathMissCause('$.X', { a: 1 }), "Invalid path '$.X' : No results for path: $['X']");
  assert.equal(
    pathMissCause('$.NoSuchOutputPath', { 'int-literal': 0 }),
    "Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']",
  );
  assert.equal(
    pathMissCause('$.no.such.result.path', {}),
    "Invalid path '$.no.such.result.path' : Missing property in path $['no']",
  );
  assert.equal(pathMissCause('$.a.b', { a: {} }), "Invalid path '$.a.b' : No results for path: $['a']['b']");
  assert.equal(pathMissCause('$.a[3]', { a: [1] }), "Invalid path '$.a[3]' : No results for path: $['a'][3]");
  assert.match(pathMissCause('$.a.b', { a: 'x' }), /^Invalid path '\$\.a\.b' : Expected to find an object/);
  assert.equal(
    pathMissCause('$$.Execution.Nope', {}, { Execution: {} }),
    "Invalid path '$$.Execution.Nope' : No results for path: $['Execution']['Nope']",
  );
  // Inherited members of Object.prototype are not properties of the JSON.
  assert.equal(lookupPath('$.constructor', {}, null).found, false);
  assert.equal(lookupPath('$.__proto__', {}, null).found, false);
});

void test('syntax', () => {
  for (const good of [
    '$',
    '$.a',
    '$.a.b',
    "$['a']",
    '$["a"]',
    '$.a[0]',
    '$.a[-1]',
    '$.a[*]',
    '$.*',
    '$..x',
    '$..*',
    '$..[0]',
    '$.a[1:3]',
    '$.a[:2]',
    '$.a[1:]',
    '$.a[0,1]',
    "$['a','b']",
    '$.a[?(@.x > 1)]',
    "$.a[?(@.x == 'y')]",
    '$.a[?(@.x)]',
    '$.a[?(@.x && @.y || !@.z)]',
    '$$',
    '$$.Execution.Input',
    '$var',
    '$var.x[0]',
    '$.a[ 0 ]',
    "$[ 'a' , 'b' ]",
  ]) {
    assert.equal(isValidPath(good), true, good);
  }
  for (const bad of [
    '',
    'a',
    '.a',
    '$.',
    '$..',
    '$a b',
    '$.a b',
    '$[a]',
    '$[',
    '$[0',
    "$['a",
    '$.a[?(@.x]',
    '$.a[::2]',
    '$.a.length()',
    '$ .a',
    '$@',
  ]) {
    assert.equal(isValidPath(bad), false, bad);
  }
  assert.throws(
    () => parsePath('$.'),
    (error: unknown) => error instanceof PathError && error.kind === 'syntax',
  );
  assert.equal(parsePath('$.a.b'), parsePath('$.a.b'), 'parsed paths are cached');
  assert.equal(parsePath('$.a[0]').definite, true);
  assert.equal(parsePath("$['a','b']").definite, true);
  assert.equal(parsePath("$['a','b'].c").definite, false);
  assert.equal(parsePath('$.a[0,1]').definite, false);
});

void test('reference paths name a single node', () => {
  for (const good of ['$', '$.a', "$['a'].b[0]", '$.a[-1]', '$$.Execution.Input', '$.error-info']) {
    assert.equal(isValidReferencePath(good), true, good);
  }
  for (const bad of [
    '$.a[*]',
    '$..a',
    '$.a[0:1]',
    '$.a[0,1]',
    "$['a','b']",
    '$.a[?(@.x)]',
    '$.*',
    '$.',
    'x',
  ]) {
    assert.equal(isValidReferencePath(bad), false, bad);
  }
});

void test('multi-property leaf merges into one object, as Jayway does', () => {
  eq("$['a','c']", { a: 1, c: 3 }, { a: 1, b: 2, c: 3 });
  eq("$['a','z']", { a: 1 }, { a: 1 });
  eq("$['a','b'].x", [1, 2], { a: { x: 1 }, b: { x: 2 } });
});

void test('setAtReferencePath', () => {
  const input = { a: 1, nested: { keep: true } };
  assert.deepEqual(setAtReferencePath(input, '$', 'r'), 'r');
  assert.deepEqual(setAtReferencePath(input, '$.result', 'r'), { a: 1, nested: { keep: true }, result: 'r' });
  assert.deepEqual(setAtReferencePath(input, '$.a', { x: 1 }), { a: { x: 1 }, nested: { keep: true } });
  assert.deepEqual(setAtReferencePath(input, '$.nested.deep.er', 2), {
    a: 1,
    nested: { keep: true, deep: { er: 2 } },
  });
  assert.deepEqual(input, { a: 1, nested: { keep: true } }, 'the target is not mutated');
  assert.deepEqual(setAtReferencePath({ arr: [1, 2, 3] }, '$.arr[1]', 'x'), { arr: [1, 'x', 3] });
  assert.deepEqual(setAtReferencePath({ arr: [{}, {}] }, '$.arr[-1].v', 1), { arr: [{}, { v: 1 }] });
  assert.deepEqual(setAtReferencePath({}, "$['odd key']", 1), { 'odd key': 1 });

  const proto = setAtReferencePath({}, "$['__proto__']", { polluted: true });
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(Object.keys(proto as object), ['__proto__']);

  const failsWith = (target: Json, path: string, cause: string): void => {
    assert.throws(
      () => setAtReferencePath(target, path, 1),
      (error: unknown) =>
        error instanceof StatesError &&
        error.name === 'States.ResultPathMatchFailure' &&
        error.cause === cause,
      path,
    );
  };
  failsWith('input1', '$.someTaskResult', 'Unable to apply ReferencePath $.someTaskResult to input "input1"');
  failsWith({ a: 5 }, '$.a.b', 'Unable to apply ReferencePath $.a.b to input {"a":5}');
  failsWith({ a: [1] }, '$.a[3]', 'Unable to apply ReferencePath $.a[3] to input {"a":[1]}');
  failsWith({ a: {} }, '$.a[0]', 'Unable to apply ReferencePath $.a[0] to input {"a":{}}');
  failsWith([1], '$.a', 'Unable to apply ReferencePath $.a to input [1]');
  assert.throws(() => setAtReferencePath({}, '$.a[*]', 1), PathError);
  assert.throws(() => setAtReferencePath({}, '$$.a', 1), PathError);
});

void test('results share structure with the input rather than copying it', () => {
  const inner = { deep: [1, 2] };
  assert.equal(evaluatePath('$.inner', { inner }, null), inner);
});
