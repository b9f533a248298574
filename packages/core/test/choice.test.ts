import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Json, JsonObject } from '../src/json.js';
import type { ChoiceRule, ChoiceState } from '../src/asl/definition.js';
import { StatesError } from '../src/asl/errors.js';
import {
  COMPARATORS,
  compareCodePoints,
  evaluateChoiceRule,
  isValidTimestamp,
  parseTimestamp,
  selectChoice,
} from '../src/asl/choice.js';

const CONFORMANCE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/conformance/cases.jsonl',
);

const rule = (fields: Record<string, unknown>): ChoiceRule => fields as ChoiceRule;
const check = (fields: Record<string, unknown>, input: Json, context: Json = null): boolean =>
  evaluateChoiceRule(rule(fields), input, context);

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

void test('there are 39 comparators', () => {
  assert.equal(COMPARATORS.size, 39);
});

void test('string comparators', () => {
  const v = (Variable: string, fields: Record<string, unknown>): boolean =>
    check({ Variable: '$.v', ...fields }, { v: Variable });
  assert.equal(v('abc', { StringEquals: 'abc' }), true);
  assert.equal(v('abc', { StringEquals: 'ABC' }), false);
  assert.equal(v('a', { StringLessThan: 'b' }), true);
  assert.equal(v('b', { StringLessThan: 'b' }), false);
  assert.equal(v('b', { StringLessThanEquals: 'b' }), true);
  assert.equal(v('c', { StringGreaterThan: 'b' }), true);
  assert.equal(v('AB', { StringGreaterThanEquals: 'A' }), true);
  assert.equal(v('A', { StringGreaterThanEquals: 'AB' }), false);
  assert.equal(check({ Variable: '$.v', StringEquals: '1' }, { v: 1 }), false, 'type mismatch is false');
  assert.equal(check({ Variable: '$.v', StringEqualsPath: '$.w' }, { v: 'x', w: 'x' }), true);
  assert.equal(check({ Variable: '$.v', StringLessThanPath: '$.w' }, { v: 'x', w: 'y' }), true);
  assert.equal(check({ Variable: '$.v', StringEqualsPath: '$.w' }, { v: 'x', w: 1 }), false);
});

void test('strings order by code point', () => {
  // U+FF21 (one UTF-16 unit) sorts before U+1F600 (a surrogate pair) by code point.
  assert.ok(compareCodePoints('\uFF21', '\u{1F600}') < 0);
  assert.ok(compareCodePoints('a', 'ab') < 0);
  assert.equal(compareCodePoints('x', 'x'), 0);
  assert.equal(check({ Variable: '$.v', StringLessThan: '\u{1F600}' }, { v: '\uFF21' }), true);
});

void test('StringMatches', () => {
  const m = (value: unknown, pattern: string): boolean =>
    check({ Variable: '$.v', StringMatches: pattern }, { v: value as Json });
  assert.equal(m('log-2024.txt', 'log-*.txt'), true);
  assert.equal(m('log-2024.csv', 'log-*.txt'), false);
  assert.equal(m('anything', '*'), true);
  assert.equal(m('', '*'), true);
  assert.equal(m('a*b', 'a\\*b'), true);
  assert.equal(m('axb', 'a\\*b'), false);
  assert.equal(m('a\\b', 'a\\\\b'), true);
  assert.equal(m('a.b', 'a.b'), true);
  assert.equal(m('axb', 'a.b'), false, 'regex characters are literal');
  assert.equal(m('(x)', '(*)'), true);
  assert.equal(m('multi\nline', 'multi*'), true);
  assert.equal(m(5, '*'), false);
  assert.match(
    runtimeCause(() => m('a', 'a\\')),
    /backslash/,
  );
});

void test('numeric comparators', () => {
  const n = (value: unknown, fields: Record<string, unknown>): boolean =>
    check({ Variable: '$.v', ...fields }, { v: value as Json, w: 2 });
  assert.equal(n(0, { NumericEquals: 0.0 }), true);
  assert.equal(n(2.22, { NumericEquals: 2.22 }), true);
  assert.equal(n(1, { NumericLessThan: 2 }), true);
  assert.equal(n(2, { NumericLessThan: 2 }), false);
  assert.equal(n(2, { NumericLessThanEquals: 2 }), true);
  assert.equal(n(3, { NumericGreaterThan: 2 }), true);
  assert.equal(n(2, { NumericGreaterThanEquals: 2 }), true);
  assert.equal(n('1', { NumericEquals: 1 }), false);
  assert.equal(n(true, { NumericEquals: 1 }), false);
  assert.equal(n(null, { NumericEquals: 0 }), false);
  assert.equal(n(2, { NumericEqualsPath: '$.w' }), true);
  assert.equal(n(1, { NumericLessThanPath: '$.w' }), true);
  assert.equal(n(3, { NumericGreaterThanEqualsPath: '$.w' }), true);
});

void test('boolean comparators', () => {
  assert.equal(check({ Variable: '$.v', BooleanEquals: true }, { v: true }), true);
  assert.equal(check({ Variable: '$.v', BooleanEquals: false }, { v: false }), true);
  assert.equal(check({ Variable: '$.v', BooleanEquals: true }, { v: 'true' }), false);
  assert.equal(check({ Variable: '$.v', BooleanEquals: false }, { v: 0 }), false);
  assert.equal(check({ Variable: '$.v', BooleanEqualsPath: '$.w' }, { v: true, w: true }), true);
  assert.equal(check({ Variable: '$.v', BooleanEqualsPath: '$.w' }, { v: true, w: 'true' }), false);
});

void test('timestamp comparators', () => {
  const t = (value: unknown, fields: Record<string, unknown>): boolean =>
    check({ Variable: '$.v', ...fields }, { v: value as Json });
  assert.equal(t('2012-10-09T19:00:55Z', { TimestampEquals: '2012-10-09T19:00:55Z' }), true);
  assert.equal(
    t('2012-10-09T20:00:55+01:00', { TimestampEquals: '2012-10-09T19:00:55Z' }),
    true,
    'offsets are honoured',
  );
  assert.equal(t('2012-10-09T19:00:55.000Z', { TimestampEquals: '2012-10-09T19:00:55Z' }), true);
  assert.equal(
    t('2012-10-09T19:00:55.0000001Z', { TimestampGreaterThan: '2012-10-09T19:00:55Z' }),
    true,
    'nanoseconds count',
  );
  assert.equal(t('2012-10-09T19:00:55Z', { TimestampLessThan: '2012-10-09T19:00:56Z' }), true);
  assert.equal(t('2012-10-09T19:00:56Z', { TimestampGreaterThan: '2012-10-09T19:00:55Z' }), true);
  assert.equal(t('2012-10-09T19:00:55Z', { TimestampLessThanEquals: '2012-10-09T19:00:55Z' }), true);
  assert.equal(t('2012-10-09T19:00:55Z', { TimestampGreaterThanEquals: '2012-10-09T19:00:56Z' }), false);
  assert.equal(
    t('2012-10-09T19:00:55', { TimestampEquals: '2012-10-09T19:00:55Z' }),
    false,
    'no offset: not a timestamp',
  );
  assert.equal(t('2023-02-24 12:15:56.832957', { TimestampEquals: '2012-10-09T19:00:55Z' }), false);
  assert.equal(t(0, { TimestampEquals: '2012-10-09T19:00:55Z' }), false);
  assert.equal(
    check(
      { Variable: '$.v', TimestampLessThanPath: '$.w' },
      { v: '2012-10-09T19:00:55Z', w: '2012-10-09T19:00:56Z' },
    ),
    true,
  );
});

void test('timestamps: RFC 3339 with uppercase T and Z and a required offset', () => {
  for (const good of [
    '2016-03-14T01:59:00Z',
    '2016-03-14T01:59:00.123Z',
    '2016-03-14T01:59:00.123456789Z',
    '2016-03-14T01:59:00+01:00',
    '2016-03-14T01:59:00-05:30',
    '2016-02-29T00:00:00Z',
    '2000-02-29T23:59:59Z',
    '0001-01-01T00:00:00Z',
  ]) {
    assert.equal(isValidTimestamp(good), true, good);
  }
  for (const bad of [
    '2016-03-14t01:59:00Z',
    '2016-03-14T01:59:00z',
    '2016-03-14T01:59:00',
    '2016-03-14 01:59:00Z',
    '05-12-2016T21:29:29Z',
    '2016-12-05T25:29:29Z',
    '2016-13-05T21:29:29Z',
    '2015-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2016-04-31T00:00:00Z',
    '2016-03-14T01:60:00Z',
    '2016-03-14T01:59:60Z',
    '2016-03-14T01:59Z',
    '2016-03-14T01:59:00.Z',
    '2016-03-14T01:59:00.1234567890Z',
    '2016-03-14T01:59:00+0100',
    '2016-03-14T01:59:00+19:00',
    '2016-03-14',
    '',
    ' 2016-03-14T01:59:00Z',
  ]) {
    assert.equal(isValidTimestamp(bad), false, bad);
  }
  assert.equal(parseTimestamp('1970-01-01T00:00:00Z'), 0);
  assert.equal(parseTimestamp('2016-03-14T01:59:00Z'), Date.UTC(2016, 2, 14, 1, 59, 0));
  assert.equal(parseTimestamp('2016-03-14T01:59:00.1239Z'), Date.UTC(2016, 2, 14, 1, 59, 0, 123));
  assert.equal(parseTimestamp('2016-03-14T02:59:00+01:00'), Date.UTC(2016, 2, 14, 1, 59, 0));
  assert.equal(parseTimestamp('0050-06-01T00:00:00Z'), new Date('0050-06-01T00:00:00Z').getTime());
  assert.equal(parseTimestamp('nope'), undefined);
});

void test('type tests, with false inverting', () => {
  const values: Json[] = [null, 0, 1.5, '', 'text', '2016-03-14T01:59:00Z', true, false, [], {}];
  for (const value of values) {
    const input = { v: value };
    assert.equal(check({ Variable: '$.v', IsNull: true }, input), value === null);
    assert.equal(check({ Variable: '$.v', IsNull: false }, input), value !== null);
    assert.equal(check({ Variable: '$.v', IsNumeric: true }, input), typeof value === 'number');
    assert.equal(check({ Variable: '$.v', IsString: true }, input), typeof value === 'string');
    assert.equal(check({ Variable: '$.v', IsBoolean: true }, input), typeof value === 'boolean');
    assert.equal(check({ Variable: '$.v', IsTimestamp: true }, input), value === '2016-03-14T01:59:00Z');
    assert.equal(check({ Variable: '$.v', IsPresent: true }, input), true);
  }
});

void test('IsPresent never fails; other comparators fail on a missing Variable', () => {
  assert.equal(check({ Variable: '$.missing', IsPresent: true }, {}), false);
  assert.equal(check({ Variable: '$.missing', IsPresent: false }, {}), true);
  assert.equal(check({ Variable: '$.a.b.c', IsPresent: false }, { a: 1 }), true);
  assert.equal(check({ Variable: '$.a', IsPresent: true }, { a: null }), true);
  assert.equal(
    runtimeCause(() => check({ Variable: '$.missing', NumericEquals: 1 }, {})),
    "Invalid path '$.missing': The choice state's condition path references an invalid value.",
  );
  assert.match(
    runtimeCause(() => check({ Variable: '$.missing', IsNull: true }, {})),
    /\$\.missing/,
  );
  assert.equal(
    runtimeCause(() => check({ Variable: '$.v', StringEqualsPath: '$.nope' }, { v: 'x' })),
    "Invalid path '$.nope': The choice state's condition path references an invalid value.",
  );
});

void test('context paths and variables as Variable', () => {
  const context = { Execution: { Name: 'run-1' } };
  assert.equal(check({ Variable: '$$.Execution.Name', StringEquals: 'run-1' }, {}, context), true);
  const variables = (name: string): Json | undefined => (name === 'guess' ? 42 : undefined);
  assert.equal(
    evaluateChoiceRule(rule({ Variable: '$guess', NumericEquals: 42 }), {}, null, variables),
    true,
  );
  assert.equal(evaluateChoiceRule(rule({ Variable: '$other', IsPresent: false }), {}, null, variables), true);
});

void test('And, Or, Not', () => {
  const input = { a: 1, b: 'x' };
  const a1 = { Variable: '$.a', NumericEquals: 1 };
  const a2 = { Variable: '$.a', NumericEquals: 2 };
  assert.equal(check({ And: [a1, { Variable: '$.b', StringEquals: 'x' }] }, input), true);
  assert.equal(check({ And: [a1, a2] }, input), false);
  assert.equal(check({ Or: [a2, a1] }, input), true);
  assert.equal(check({ Or: [a2, a2] }, input), false);
  assert.equal(check({ Not: a2 }, input), true);
  assert.equal(check({ Not: { And: [a1, { Not: a2 }] } }, input), false);
  // Evaluation stops at the first deciding rule, so a later missing path is not reached.
  assert.equal(check({ Or: [a1, { Variable: '$.missing', NumericEquals: 1 }] }, input), true);
});

void test('selectChoice returns the Next of the first matching rule', () => {
  const state = {
    Type: 'Choice',
    Choices: [
      { Variable: '$.n', NumericLessThan: 0, Next: 'Negative' },
      { Variable: '$.n', NumericLessThan: 10, Next: 'Small' },
      { Variable: '$.n', NumericGreaterThanEquals: 0, Next: 'NonNegative' },
    ],
    Default: 'Other',
  } as ChoiceState;
  assert.equal(selectChoice(state, { n: -1 }, null), 'Negative');
  assert.equal(selectChoice(state, { n: 5 }, null), 'Small');
  assert.equal(selectChoice(state, { n: 50 }, null), 'NonNegative');
  assert.equal(selectChoice(state, { n: 'x' }, null), undefined);
});

// --- recorded AWS cases: a Choice followed by Pass states; the branch taken decides the output.

interface Case {
  id: string;
  topic: string;
  definition: { StartAt: string; QueryLanguage?: string; States: Record<string, JsonObject> };
  input: Json;
  expected: { status: string; output?: Json };
}

function loadCases(): Case[] | undefined {
  if (!existsSync(CONFORMANCE)) return undefined;
  return readFileSync(CONFORMANCE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Case);
}

/** The output of a Pass state with no data-flow fields beyond Result. */
function simplePassOutput(state: JsonObject | undefined, input: Json): Json | undefined {
  if (state === undefined || state.Type !== 'Pass' || state.End !== true) return undefined;
  const extra = Object.keys(state).filter((key) => !['Type', 'End', 'Result', 'Comment'].includes(key));
  if (extra.length > 0) return undefined;
  return state.Result ?? input;
}

void test('recorded AWS choice cases', (t) => {
  const cases = loadCases();
  if (cases === undefined) {
    t.skip('conformance cases not present');
    return;
  }
  let ran = 0;
  for (const c of cases) {
    if (c.topic !== 'choice_operators' && c.topic !== 'choice') continue;
    if (c.expected.status !== 'SUCCEEDED' || c.definition.QueryLanguage === 'JSONata') continue;
    const start = c.definition.States[c.definition.StartAt];
    if (start === undefined || start.Type !== 'Choice' || start.QueryLanguage === 'JSONata') continue;
    const others = Object.entries(c.definition.States).filter(([name]) => name !== c.definition.StartAt);
    if (others.some(([, state]) => simplePassOutput(state, null) === undefined)) continue;
    const choice = start as unknown as ChoiceState;
    const next = selectChoice(choice, c.input, null) ?? choice.Default;
    assert.ok(next !== undefined, c.id);
    assert.deepEqual(simplePassOutput(c.definition.States[next], c.input), c.expected.output, c.id);
    ran++;
  }
  t.diagnostic(`ran ${ran} recorded cases`);
  assert.ok(ran >= 200, `ran ${ran} cases`);
});
