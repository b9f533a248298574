/**
 * Engine: the JSONata pipeline (Arguments → work → Output and Assign, with `$states`) in each
 * state type, and how its failures are recorded: EvaluationFailed (with the field's location)
 * before the state fails. Expected histories follow the AWS recordings in cases.jsonl
 * (test_undefined_reference, test_output_in_choice, test_wait_timestamp_jsonata,
 * test_fail_error_jsonata, test_base_map, test_map_state_items_*).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../src/json.js';
import {
  ACTIVITY_ARN,
  START,
  entered,
  evaluationFailed,
  exited,
  exitedAssigning,
  prefixed,
  scheduled,
  start,
  started,
  succeeded,
} from './harness.js';

const jsonata = (states: Record<string, unknown>, startAt = Object.keys(states)[0] as string): object => ({
  QueryLanguage: 'JSONata',
  StartAt: startAt,
  States: states,
});

/** ExecutionFailed after a JSONata failure: the same error and cause as the EvaluationFailed. */
const queryFailed = (cause: string): Record<string, Json> => ({
  error: 'States.QueryEvaluationError',
  cause,
});

describe('JSONata: Pass', () => {
  test('recorded case test_output_to_state[JSONATA_OUTPUT_TO_JSONPATH]: Output with $states.input, then a JSONPath state', () => {
    const h = start(
      {
        Comment: 'JSONATA_OUTPUT_TO_JSONPATH',
        StartAt: 'JSONataState',
        States: {
          JSONataState: {
            QueryLanguage: 'JSONata',
            Type: 'Pass',
            Output: { foo: 'foobar', bar: '{% $states.input %}' },
            Next: 'JSONPathState',
          },
          JSONPathState: { QueryLanguage: 'JSONPath', Type: 'Pass', End: true },
        },
      },
      { input_data: 'test' },
    );
    const input = { input_data: 'test' };
    const output = { foo: 'foobar', bar: input };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(input)],
      ['PassStateEntered', 2, 0, entered('JSONataState', input)],
      ['PassStateExited', 3, 2, exited('JSONataState', output)],
      ['PassStateEntered', 4, 3, entered('JSONPathState', output)],
      ['PassStateExited', 5, 4, exited('JSONPathState', output)],
      ['ExecutionSucceeded', 6, 5, succeeded(output)],
    ]);
  });

  test('recorded case test_base_cases[BASE_DIRECT_EXPR]: Output reads a variable a JSONPath state assigned', () => {
    const input = { input_value: 'string literal', input_values: [1, 2, 3] };
    const h = start(
      {
        StartAt: 'Init',
        States: {
          Init: { Type: 'Pass', Assign: { var_constant_1: 1 }, Next: 'State0' },
          State0: {
            QueryLanguage: 'JSONata',
            Type: 'Pass',
            Output: '{% $sum($states.input.input_values) + $var_constant_1 %}',
            End: true,
          },
        },
      },
      input,
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(input)],
      ['PassStateEntered', 2, 0, entered('Init', input)],
      ['PassStateExited', 3, 2, exitedAssigning('Init', input, { var_constant_1: 1 })],
      ['PassStateEntered', 4, 3, entered('State0', input)],
      ['PassStateExited', 5, 4, exited('State0', 7)],
      ['ExecutionSucceeded', 6, 5, succeeded(7)],
    ]);
  });

  test('Output and Assign see $states.context and the variables as they were at entry', () => {
    const h = start(
      jsonata({
        Init: { Type: 'Pass', Assign: { x: 1 }, Next: 'Step' },
        Step: {
          Type: 'Pass',
          Output: {
            x: '{% $x %}',
            state: '{% $states.context.State.Name %}',
            exec: '{% $states.context.Execution.Name %}',
          },
          Assign: { x: '{% $x + 1 %}', previous: '{% $x %}', fromInput: '{% $states.input.k %}' },
          Next: 'Read',
        },
        Read: { Type: 'Pass', Output: { x: '{% $x %}', previous: '{% $previous %}' }, End: true },
      }),
      { k: 'v' },
    );
    const stepOutput = { x: 1, state: 'Step', exec: 'exec-1' };
    assert.deepEqual(h.historyFrom(5), [
      ['PassStateExited', 5, 4, exitedAssigning('Step', stepOutput, { x: 2, previous: 1, fromInput: 'v' })],
      ['PassStateEntered', 6, 5, entered('Read', stepOutput)],
      ['PassStateExited', 7, 6, exited('Read', { x: 2, previous: 1 })],
      ['ExecutionSucceeded', 8, 7, succeeded({ x: 2, previous: 1 })],
    ]);
  });

  test('recorded case test_undefined_reference[BASE_UNDEFINED_OUTPUT_FIELD]: EvaluationFailed follows the event before the state', () => {
    const h = start(
      {
        Comment: 'BASE_UNDEFINED_OUTPUT_FIELD',
        StartAt: 'State0',
        QueryLanguage: 'JSONata',
        States: { State0: { Type: 'Pass', Output: { result: '{% $doesNotExist %}' }, End: true } },
      },
      {},
    );
    const cause = prefixed(
      'State0',
      2,
      "The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined).",
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('State0', {})],
      ['EvaluationFailed', 3, 0, evaluationFailed('State0', cause, 'Output/result')],
      ['ExecutionFailed', 4, 3, queryFailed(cause)],
    ]);
    assert.equal(h.events[2]?.detailsMember, 'evaluationFailedEventDetails');
    assert.equal(h.execution.error, 'States.QueryEvaluationError');
    assert.equal(h.execution.cause, cause);
  });

  test('recorded case test_undefined_reference[BASE_UNDEFINED_OUTPUT_MULTIPLE_STATES]', () => {
    const h = start(
      {
        Comment: 'BASE_UNDEFINED_MULTIPLE_STATES',
        StartAt: 'State0',
        QueryLanguage: 'JSONata',
        States: {
          State0: { Type: 'Pass', Next: 'State1' },
          State1: { Type: 'Pass', Next: 'State2' },
          State2: { Type: 'Pass', Output: { result: '{% $doesNotExist %}' }, End: true },
        },
      },
      {},
    );
    const cause = prefixed(
      'State2',
      6,
      "The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined).",
    );
    assert.deepEqual(h.historyFrom(5), [
      ['PassStateExited', 5, 4, exited('State1', {})],
      ['PassStateEntered', 6, 5, entered('State2', {})],
      ['EvaluationFailed', 7, 5, evaluationFailed('State2', cause, 'Output/result')],
      ['ExecutionFailed', 8, 7, queryFailed(cause)],
    ]);
  });
});

describe('JSONata: Task', () => {
  test('Arguments, TimeoutSeconds, Output and Assign with $states.input, $states.context and $states.result', () => {
    const h = start(
      jsonata({
        T: {
          Type: 'Task',
          Resource: ACTIVITY_ARN,
          Arguments: {
            who: '{% $states.input.name %}',
            exec: '{% $states.context.Execution.Name %}',
            state: '{% $states.context.State.Name %}',
          },
          TimeoutSeconds: '{% $states.input.limit %}',
          Output: { got: '{% $states.result.v %}', was: '{% $states.input.name %}' },
          Assign: { last: '{% $states.result.v %}', inputName: '{% $states.input.name %}' },
          Next: 'After',
        },
        After: { Type: 'Pass', Output: '{% $last & "/" & $inputName %}', End: true },
      }),
      { name: 'ann', limit: 30 },
    );
    const taskInput = { who: 'ann', exec: 'exec-1', state: 'T' };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ name: 'ann', limit: 30 })],
      ['TaskStateEntered', 2, 0, entered('T', { name: 'ann', limit: 30 })],
      ['ActivityScheduled', 3, 2, scheduled(taskInput, { timeoutInSeconds: 30 })],
    ]);
    assert.equal(h.task().input, JSON.stringify(taskInput));
    h.succeed(h.token(), { v: 'x' });
    const output = { got: 'x', was: 'ann' };
    assert.deepEqual(h.historyFrom(4), [
      ['ActivitySucceeded', 4, 3, succeeded({ v: 'x' })],
      ['TaskStateExited', 5, 4, exitedAssigning('T', output, { last: 'x', inputName: 'ann' })],
      ['PassStateEntered', 6, 5, entered('After', output)],
      ['PassStateExited', 7, 6, exited('After', 'x/ann')],
      ['ExecutionSucceeded', 8, 7, succeeded('x/ann')],
    ]);
  });

  test('without Output the result is the output; without Arguments the input is the task input', () => {
    const h = start(jsonata({ T: { Type: 'Task', Resource: ACTIVITY_ARN, End: true } }), { a: 1 });
    assert.equal(h.task().input, '{"a":1}');
    h.succeed(h.token(), { r: 2 });
    assert.deepEqual(h.output(), { r: 2 });
  });

  test('Arguments that fail: EvaluationFailed follows the event before the state; a catcher takes States.QueryEvaluationError', () => {
    const h = start(
      jsonata({
        Before: { Type: 'Pass', Next: 'T' },
        T: {
          Type: 'Task',
          Resource: ACTIVITY_ARN,
          Arguments: { x: '{% $states.input.missing %}' },
          Catch: [
            {
              ErrorEquals: ['States.QueryEvaluationError'],
              Output: { caught: '{% $states.errorOutput.Error %}', input: '{% $states.input %}' },
              Next: 'Caught',
            },
          ],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      }),
      { k: 1 },
    );
    const cause = prefixed(
      'T',
      4,
      "The JSONata expression '$states.input.missing' specified for the field 'Arguments/x' returned nothing (undefined).",
    );
    const output = { caught: 'States.QueryEvaluationError', input: { k: 1 } };
    assert.deepEqual(h.historyFrom(3), [
      ['PassStateExited', 3, 2, exited('Before', { k: 1 })],
      ['TaskStateEntered', 4, 3, entered('T', { k: 1 })],
      ['EvaluationFailed', 5, 3, evaluationFailed('T', cause, 'Arguments/x')],
      ['TaskStateExited', 6, 5, exited('T', output)],
      ['PassStateEntered', 7, 6, entered('Caught', output)],
      ['PassStateExited', 8, 7, exited('Caught', output)],
      ['ExecutionSucceeded', 9, 8, succeeded(output)],
    ]);
    assert.equal(h.tasks.size, 0, 'no task was scheduled');
  });

  test('Catch Output and Assign with $states.errorOutput replace the state’s own', () => {
    const h = start(
      jsonata({
        T: {
          Type: 'Task',
          Resource: ACTIVITY_ARN,
          Assign: { mine: 'never' },
          Catch: [
            {
              ErrorEquals: ['Boom'],
              Output: { err: '{% $states.errorOutput.Error %}', in: '{% $states.input.k %}' },
              Assign: { why: '{% $states.errorOutput.Cause %}' },
              Next: 'Caught',
            },
          ],
          End: true,
        },
        Caught: { Type: 'Pass', Output: { why: '{% $why %}', err: '{% $states.input.err %}' }, End: true },
      }),
      { k: 'v' },
    );
    h.fail(h.token(), 'Boom', 'bad');
    assert.deepEqual(h.historyFrom(4), [
      ['ActivityFailed', 4, 3, { error: 'Boom', cause: 'bad' }],
      ['TaskStateExited', 5, 4, exitedAssigning('T', { err: 'Boom', in: 'v' }, { why: 'bad' })],
      ['PassStateEntered', 6, 5, entered('Caught', { err: 'Boom', in: 'v' })],
      ['PassStateExited', 7, 6, exited('Caught', { why: 'bad', err: 'Boom' })],
      ['ExecutionSucceeded', 8, 7, succeeded({ why: 'bad', err: 'Boom' })],
    ]);
  });

  test('a catcher without Output passes the error output on', () => {
    const h = start(
      jsonata({
        T: {
          Type: 'Task',
          Resource: ACTIVITY_ARN,
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      }),
      {},
    );
    h.fail(h.token(), 'Boom', 'bad');
    assert.deepEqual(h.output(), { Error: 'Boom', Cause: 'bad' });
  });
});

describe('JSONata: Choice', () => {
  const machine = jsonata({
    C: {
      Type: 'Choice',
      Choices: [
        {
          Condition: '{% $states.input.n > 10 %}',
          Next: 'Big',
          Output: { size: 'big', n: '{% $states.input.n %}' },
          Assign: { size: 'big' },
        },
      ],
      Default: 'Small',
      Output: { size: '{% "small:" & $string($states.input.n) %}' },
      Assign: { size: 'small' },
    },
    Big: { Type: 'Pass', End: true },
    Small: { Type: 'Pass', Output: '{% $size %}', End: true },
  });

  test('recorded case test_output_in_choice[CONDITION_TRUE]: the matching rule’s Output', () => {
    const h = start(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'ChoiceState',
        States: {
          ChoiceState: {
            Type: 'Choice',
            Choices: [
              {
                Condition: '{% $states.input.condition %}',
                Next: 'ConditionTrue',
                Output: 'Condition Output block',
              },
            ],
            Default: 'DefaultState',
            Output: 'Default Output block',
          },
          ConditionTrue: { Type: 'Pass', End: true },
          DefaultState: { Type: 'Fail', Cause: 'Condition is false' },
        },
      },
      { condition: true },
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ condition: true })],
      ['ChoiceStateEntered', 2, 0, entered('ChoiceState', { condition: true })],
      ['ChoiceStateExited', 3, 2, exited('ChoiceState', 'Condition Output block')],
      ['PassStateEntered', 4, 3, entered('ConditionTrue', 'Condition Output block')],
      ['PassStateExited', 5, 4, exited('ConditionTrue', 'Condition Output block')],
      ['ExecutionSucceeded', 6, 5, succeeded('Condition Output block')],
    ]);
  });

  test('a matching rule: its Output and Assign', () => {
    const h = start(machine, { n: 30 });
    assert.deepEqual(h.history().slice(2), [
      ['ChoiceStateExited', 3, 2, exitedAssigning('C', { size: 'big', n: 30 }, { size: 'big' })],
      ['PassStateEntered', 4, 3, entered('Big', { size: 'big', n: 30 })],
      ['PassStateExited', 5, 4, exited('Big', { size: 'big', n: 30 })],
      ['ExecutionSucceeded', 6, 5, succeeded({ size: 'big', n: 30 })],
    ]);
  });

  test('Default: the state’s own Output and Assign', () => {
    const h = start(machine, { n: 3 });
    assert.deepEqual(h.history().slice(2), [
      ['ChoiceStateExited', 3, 2, exitedAssigning('C', { size: 'small:3' }, { size: 'small' })],
      ['PassStateEntered', 4, 3, entered('Small', { size: 'small:3' })],
      ['PassStateExited', 5, 4, exited('Small', 'small')],
      ['ExecutionSucceeded', 6, 5, succeeded('small')],
    ]);
  });

  test('no rule matches and no Default: States.NoChoiceMatched', () => {
    const h = start(
      jsonata({
        C: { Type: 'Choice', Choices: [{ Condition: '{% false %}', Next: 'X' }] },
        X: { Type: 'Succeed' },
      }),
      {},
    );
    assert.deepEqual(h.history().slice(2), [['ExecutionFailed', 3, 2, { error: 'States.NoChoiceMatched' }]]);
  });
});

describe('JSONata: Wait', () => {
  test('Seconds from a template', () => {
    const h = start(
      jsonata({
        W: { Type: 'Wait', Seconds: '{% $states.input.s * 2 %}', Next: 'P' },
        P: { Type: 'Pass', End: true },
      }),
      { s: 5 },
    );
    assert.deepEqual(
      [...h.timers.values()].map((t) => [t.kind, t.dueAt]),
      [['wait', START + 10_000]],
    );
    h.advance(10);
    assert.deepEqual(h.historyFrom(3), [
      ['WaitStateExited', 3, 2, exited('W', { s: 5 })],
      ['PassStateEntered', 4, 3, entered('P', { s: 5 })],
      ['PassStateExited', 5, 4, exited('P', { s: 5 })],
      ['ExecutionSucceeded', 6, 5, succeeded({ s: 5 })],
    ]);
  });

  test('Timestamp from a template; Output and Assign when the wait ends', () => {
    const due = new Date(START + 60_000).toISOString();
    const h = start(
      jsonata({
        W: {
          Type: 'Wait',
          Timestamp: '{% $states.input.at %}',
          Output: { waited: true },
          Assign: { at: '{% $states.input.at %}' },
          End: true,
        },
      }),
      { at: due },
    );
    assert.deepEqual(
      [...h.timers.values()].map((t) => [t.kind, t.dueAt]),
      [['wait', START + 60_000]],
    );
    h.advance(60);
    assert.deepEqual(h.historyFrom(3), [
      ['WaitStateExited', 3, 2, exitedAssigning('W', { waited: true }, { at: due })],
      ['ExecutionSucceeded', 4, 3, succeeded({ waited: true })],
    ]);
  });

  test('recorded case test_wait_timestamp_jsonata[NO_T]: an unparsable timestamp follows the state’s own last event', () => {
    const input = { TimestampValue: '2016-12-05 21:29:29Z' };
    const h = start(
      {
        Comment: 'WAIT_TIMESTAMP_JSONATA',
        QueryLanguage: 'JSONata',
        StartAt: 'WaitState',
        States: { WaitState: { Type: 'Wait', Timestamp: '{% $states.input.TimestampValue %}', End: true } },
      },
      input,
    );
    const cause = prefixed(
      'WaitState',
      2,
      'The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: 2016-12-05 21:29:29Z',
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(input)],
      ['WaitStateEntered', 2, 0, entered('WaitState', input)],
      ['EvaluationFailed', 3, 2, evaluationFailed('WaitState', cause, 'Timestamp')],
      ['ExecutionFailed', 4, 3, queryFailed(cause)],
    ]);
    assert.equal(h.timers.size, 0);
  });

  test('the two previousEventId rules side by side: a field that fails follows the event before the state', () => {
    const machine = (wait: Record<string, unknown>): object =>
      jsonata({ P: { Type: 'Pass', Next: 'W' }, W: { Type: 'Wait', End: true, ...wait } });
    const badField = start(machine({ Seconds: '{% $states.input.missing %}' }), {});
    const cause = prefixed(
      'W',
      4,
      "The JSONata expression '$states.input.missing' specified for the field 'Seconds' returned nothing (undefined).",
    );
    assert.deepEqual(badField.historyFrom(3), [
      ['PassStateExited', 3, 2, exited('P', {})],
      ['WaitStateEntered', 4, 3, entered('W', {})],
      ['EvaluationFailed', 5, 3, evaluationFailed('W', cause, 'Seconds')],
      ['ExecutionFailed', 6, 5, queryFailed(cause)],
    ]);

    const badTimestamp = start(machine({ Timestamp: '{% "not a time" %}' }), {});
    const timestampCause = prefixed(
      'W',
      4,
      'The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: not a time',
    );
    assert.deepEqual(badTimestamp.historyFrom(4), [
      ['WaitStateEntered', 4, 3, entered('W', {})],
      ['EvaluationFailed', 5, 4, evaluationFailed('W', timestampCause, 'Timestamp')],
      ['ExecutionFailed', 6, 5, queryFailed(timestampCause)],
    ]);
  });
});

describe('JSONata: Fail', () => {
  test('recorded case test_fail_error_jsonata: Error from a template', () => {
    const h = start(
      {
        Comment: 'RAISE_FAILURE_ERROR_JSONATA',
        QueryLanguage: 'JSONata',
        StartAt: 'FailState',
        States: { FailState: { Type: 'Fail', Error: '{% $states.input.error %}' } },
      },
      { error: 'Exception' },
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ error: 'Exception' })],
      ['FailStateEntered', 2, 0, entered('FailState', { error: 'Exception' })],
      ['ExecutionFailed', 3, 2, { error: 'Exception' }],
    ]);
  });

  test('Error and Cause templates read the input and variables', () => {
    const h = start(
      jsonata({
        Init: { Type: 'Pass', Assign: { code: 42 }, Next: 'F' },
        F: {
          Type: 'Fail',
          Error: '{% "E" & $string($code) %}',
          Cause: '{% "because " & $states.input.why %}',
        },
      }),
      { why: 'reasons' },
    );
    assert.deepEqual(h.history().at(-1), [
      'ExecutionFailed',
      5,
      4,
      { error: 'E42', cause: 'because reasons' },
    ]);
    assert.equal(h.execution.error, 'E42');
    assert.equal(h.execution.cause, 'because reasons');
  });
});

describe('JSONata: Map', () => {
  test('recorded case test_base_map[ITEMS]: Items with literals and templates', () => {
    const h = start(
      {
        Comment: 'BASE_MAP',
        QueryLanguage: 'JSONata',
        StartAt: 'Start',
        States: {
          Start: {
            Type: 'Map',
            Items: [1, '{% $number("2") %}', 3],
            MaxConcurrency: 1,
            ItemProcessor: { StartAt: 'Process', States: { Process: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      {},
    );
    const iteration = (
      first: number,
      previous: number,
      index: number,
    ): [string, number, number, Record<string, Json>][] => [
      ['MapIterationStarted', first, previous, { index, name: 'Start' }],
      ['PassStateEntered', first + 1, first, entered('Process', index + 1)],
      ['PassStateExited', first + 2, first + 1, exited('Process', index + 1)],
      ['MapIterationSucceeded', first + 3, first + 2, { index, name: 'Start' }],
    ];
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['MapStateEntered', 2, 0, entered('Start', {})],
      ['MapStateStarted', 3, 2, { length: 3 }],
      ...iteration(4, 3, 0),
      ...iteration(8, 6, 1),
      ...iteration(12, 10, 2),
      ['MapStateSucceeded', 16, 15, undefined],
      ['MapStateExited', 17, 15, exited('Start', [1, 2, 3])],
      ['ExecutionSucceeded', 18, 17, succeeded([1, 2, 3])],
    ]);
  });

  test('ItemSelector with $states.context.Map.Item; Output and Assign with $states.result', () => {
    const h = start(
      jsonata({
        M: {
          Type: 'Map',
          Items: '{% $states.input.list %}',
          ItemSelector: {
            i: '{% $states.context.Map.Item.Index %}',
            v: '{% $states.context.Map.Item.Value %}',
            tag: '{% $states.input.tag %}',
          },
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
          Output: { results: '{% $states.result %}', tag: '{% $states.input.tag %}' },
          Assign: { count: '{% $count($states.result) %}' },
          End: true,
        },
      }),
      { list: ['a', 'b'], tag: 't' },
    );
    const results = [
      { i: 0, v: 'a', tag: 't' },
      { i: 1, v: 'b', tag: 't' },
    ];
    assert.deepEqual(h.history().at(-2), [
      'MapStateExited',
      13,
      11,
      exitedAssigning('M', { results, tag: 't' }, { count: 2 }),
    ]);
  });

  test('recorded case test_map_state_items_eval_jsonata_fail[null]: EvaluationFailed, then MapStateFailed', () => {
    const h = start(
      {
        Comment: 'MAP_STATE_ITEMS_LITERAL',
        QueryLanguage: 'JSONata',
        StartAt: 'MapIterateState',
        States: {
          MapIterateState: {
            Type: 'Map',
            MaxConcurrency: 1,
            Items: '{% null %}',
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'Pass',
              States: { Pass: { Type: 'Pass', End: true } },
            },
            End: true,
          },
        },
      },
      {},
    );
    const cause = prefixed(
      'MapIterateState',
      2,
      "The JSONata expression 'null' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'null' for value: null",
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['MapStateEntered', 2, 0, entered('MapIterateState', {})],
      ['EvaluationFailed', 3, 0, evaluationFailed('MapIterateState', cause, 'Items')],
      ['MapStateFailed', 4, 3, undefined],
      ['ExecutionFailed', 5, 4, queryFailed(cause)],
    ]);
  });

  test('recorded case test_map_state_items_eval_jsonata_variable_sampling_fail[boolean]', () => {
    const h = start(
      {
        Comment: 'MAP_STATE_ITEMS_VARIABLE',
        QueryLanguage: 'JSONata',
        StartAt: 'Start',
        States: {
          Start: { Type: 'Pass', Assign: { ItemsVar: '{% true %}' }, Next: 'MapIterateState' },
          MapIterateState: {
            Type: 'Map',
            MaxConcurrency: 1,
            Items: '{% $ItemsVar %}',
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'Pass',
              States: { Pass: { Type: 'Pass', End: true } },
            },
            End: true,
          },
        },
      },
      {},
    );
    const cause = prefixed(
      'MapIterateState',
      4,
      "The JSONata expression '$ItemsVar' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'boolean' for value: true",
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('Start', {})],
      ['PassStateExited', 3, 2, exitedAssigning('Start', {}, { ItemsVar: true })],
      ['MapStateEntered', 4, 3, entered('MapIterateState', {})],
      ['EvaluationFailed', 5, 3, evaluationFailed('MapIterateState', cause, 'Items')],
      ['MapStateFailed', 6, 5, undefined],
      ['ExecutionFailed', 7, 6, queryFailed(cause)],
    ]);
  });

  test('recorded case test_map_state_items_input_types[number]: an input that is not an array has no location', () => {
    const h = start(
      {
        Comment: 'MAP_STATE_ITEMS',
        QueryLanguage: 'JSONata',
        StartAt: 'Start',
        States: {
          Start: { Type: 'Pass', Output: '{% $states.input.items %}', Next: 'MapIterateState' },
          MapIterateState: {
            Type: 'Map',
            MaxConcurrency: 1,
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'Pass',
              States: { Pass: { Type: 'Pass', End: true } },
            },
            End: true,
          },
        },
      },
      { items: 1 },
    );
    const cause = prefixed('MapIterateState', 4, 'Map state input must be an array but was: 1');
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ items: 1 })],
      ['PassStateEntered', 2, 0, entered('Start', { items: 1 })],
      ['PassStateExited', 3, 2, exited('Start', 1)],
      ['MapStateEntered', 4, 3, entered('MapIterateState', 1)],
      ['EvaluationFailed', 5, 3, evaluationFailed('MapIterateState', cause)],
      ['MapStateFailed', 6, 5, undefined],
      ['ExecutionFailed', 7, 6, queryFailed(cause)],
    ]);
  });

  test('a Map’s Catch takes the evaluation failure: MapStateExited follows MapStateFailed', () => {
    const h = start(
      jsonata({
        M: {
          Type: 'Map',
          Items: '{% $states.input.nope %}',
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
          Catch: [
            {
              ErrorEquals: ['States.QueryEvaluationError'],
              Output: '{% $states.errorOutput.Error %}',
              Next: 'C',
            },
          ],
          End: true,
        },
        C: { Type: 'Succeed' },
      }),
      {},
    );
    assert.deepEqual(
      h.history().map(([type, id, previous]) => [type, id, previous]),
      [
        ['ExecutionStarted', 1, 0],
        ['MapStateEntered', 2, 0],
        ['EvaluationFailed', 3, 0],
        ['MapStateFailed', 4, 3],
        ['MapStateExited', 5, 4],
        ['SucceedStateEntered', 6, 5],
        ['SucceedStateExited', 7, 6],
        ['ExecutionSucceeded', 8, 7],
      ],
    );
    assert.deepEqual(h.output(), 'States.QueryEvaluationError');
  });
});

describe('JSONata: Parallel', () => {
  test('Arguments give every branch its input; Output reads $states.result', () => {
    const h = start(
      jsonata({
        P: {
          Type: 'Parallel',
          Arguments: { n: '{% $states.input.n + 1 %}' },
          Branches: [
            {
              StartAt: 'A',
              States: { A: { Type: 'Pass', Output: '{% $states.input.n * 10 %}', End: true } },
            },
            { StartAt: 'B', States: { B: { Type: 'Pass', End: true } } },
          ],
          Output: { sum: '{% $states.result[0] + $states.result[1].n %}' },
          End: true,
        },
      }),
      { n: 1 },
    );
    assert.deepEqual(h.history()[3], ['PassStateEntered', 4, 3, entered('A', { n: 2 })]);
    assert.deepEqual(h.output(), { sum: 22 });
  });

  test('Arguments that fail: EvaluationFailed, then ParallelStateFailed', () => {
    const h = start(
      jsonata({
        P: {
          Type: 'Parallel',
          Arguments: '{% $states.input.missing %}',
          Branches: [{ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }],
          End: true,
        },
      }),
      {},
    );
    const cause = prefixed(
      'P',
      2,
      "The JSONata expression '$states.input.missing' specified for the field 'Arguments' returned nothing (undefined).",
    );
    assert.deepEqual(h.history().slice(2), [
      ['EvaluationFailed', 3, 0, evaluationFailed('P', cause, 'Arguments')],
      ['ParallelStateFailed', 4, 3, undefined],
      ['ExecutionFailed', 5, 4, queryFailed(cause)],
    ]);
  });
});
