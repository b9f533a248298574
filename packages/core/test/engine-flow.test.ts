/**
 * Engine: the states that run without anything external (Pass, Choice, Succeed, Fail), the
 * JSONPath data flow through them, the context object, the history limit and determinism.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../src/json.js';
import { transition } from '../src/engine/transition.js';
import { DEFAULT_LIMITS } from '../src/engine/step.js';
import type { EngineEnvironment, ExecutionSnapshot } from '../src/engine/types.js';
import {
  ACTIVITY_ARN,
  EXECUTION_ARN,
  Harness,
  ROLE_ARN,
  START,
  STATE_MACHINE_ARN,
  entered,
  exited,
  parseDefinition,
  prefixed,
  start,
  started,
  succeeded,
} from './harness.js';

/** Runs a one-Pass-state machine and checks the four events it must write. */
function runPass(fields: Record<string, unknown>, input: Json): Json {
  const h = start({ StartAt: 'P', States: { P: { Type: 'Pass', End: true, ...fields } } }, input);
  const output = h.output();
  assert.deepEqual(h.history(), [
    ['ExecutionStarted', 1, 0, started(input)],
    ['PassStateEntered', 2, 0, entered('P', input)],
    ['PassStateExited', 3, 2, exited('P', output)],
    ['ExecutionSucceeded', 4, 3, succeeded(output)],
  ]);
  assert.equal(h.status, 'SUCCEEDED');
  assert.equal(h.execution.stopDate, START);
  assert.equal(h.threads.size, 0);
  assert.equal(h.tasks.size, 0);
  assert.equal(h.timers.size, 0);
  return output;
}

/** Runs a machine whose first state fails with an engine error; answers [error, cause]. */
function failedWith(h: Harness): [string | null | undefined, string | null | undefined] {
  assert.equal(h.status, 'FAILED');
  return [h.execution.error, h.execution.cause];
}

describe('ExecutionStarted and the first state', () => {
  test('ExecutionStarted carries the input and the role; the first StateEntered follows event 0', () => {
    const input = { a: 1, nested: { list: [1, 'two', null] } };
    const h = start({ StartAt: 'Only', States: { Only: { Type: 'Pass', End: true } } }, input);
    assert.deepEqual(h.history(), [
      [
        'ExecutionStarted',
        1,
        0,
        { input: JSON.stringify(input), inputDetails: { truncated: false }, roleArn: ROLE_ARN },
      ],
      [
        'PassStateEntered',
        2,
        0,
        { name: 'Only', input: JSON.stringify(input), inputDetails: { truncated: false } },
      ],
      [
        'PassStateExited',
        3,
        2,
        { name: 'Only', output: JSON.stringify(input), outputDetails: { truncated: false } },
      ],
      ['ExecutionSucceeded', 4, 3, { output: JSON.stringify(input), outputDetails: { truncated: false } }],
    ]);
    assert.equal(h.status, 'SUCCEEDED');
    assert.equal(h.execution.output, JSON.stringify(input));
    assert.equal(h.execution.nextEventId, 5);
    for (const event of h.events) {
      assert.equal(event.timestamp, START);
      assert.equal(
        event.detailsMember,
        {
          ExecutionStarted: 'executionStartedEventDetails',
          PassStateEntered: 'stateEnteredEventDetails',
          PassStateExited: 'stateExitedEventDetails',
          ExecutionSucceeded: 'executionSucceededEventDetails',
        }[event.type],
      );
    }
  });

  test('the compact JSON text of scalars and empty inputs', () => {
    for (const input of [{}, [], 'text', 42, true, null] as Json[]) {
      assert.deepEqual(runPass({}, input), input);
    }
  });
});

describe('Pass', () => {
  test('a chain of Pass states: each Exited feeds the next Entered', () => {
    const h = start(
      {
        StartAt: 'One',
        States: {
          One: { Type: 'Pass', Result: { step: 1 }, ResultPath: '$.one', Next: 'Two' },
          Two: { Type: 'Pass', Result: 'second', ResultPath: '$.two', Next: 'Three' },
          Three: { Type: 'Pass', End: true },
        },
      },
      { start: true },
    );
    const afterOne = { start: true, one: { step: 1 } };
    const afterTwo = { ...afterOne, two: 'second' };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ start: true })],
      ['PassStateEntered', 2, 0, entered('One', { start: true })],
      ['PassStateExited', 3, 2, exited('One', afterOne)],
      ['PassStateEntered', 4, 3, entered('Two', afterOne)],
      ['PassStateExited', 5, 4, exited('Two', afterTwo)],
      ['PassStateEntered', 6, 5, entered('Three', afterTwo)],
      ['PassStateExited', 7, 6, exited('Three', afterTwo)],
      ['ExecutionSucceeded', 8, 7, succeeded(afterTwo)],
    ]);
    assert.deepEqual(h.output(), afterTwo);
  });

  test('Result replaces the input by default', () => {
    assert.deepEqual(runPass({ Result: { x: [1, 2] } }, { old: true }), { x: [1, 2] });
    assert.deepEqual(runPass({ Result: null }, { old: true }), null);
  });

  test('Parameters with .$ paths, intrinsics, static members and nesting', () => {
    const output = runPass(
      {
        Parameters: {
          'picked.$': '$.b.c',
          'all.$': '$',
          literal: 'as is',
          nested: { 'list.$': '$.list[1]', fixed: [1, { k: 'v' }] },
          'formatted.$': "States.Format('{}-{}', $.b.c, $.list[0])",
        },
      },
      { b: { c: 'see' }, list: [10, 20] },
    );
    assert.deepEqual(output, {
      picked: 'see',
      all: { b: { c: 'see' }, list: [10, 20] },
      literal: 'as is',
      nested: { list: 20, fixed: [1, { k: 'v' }] },
      formatted: 'see-10',
    });
  });

  test('Parameters read the context object ($$)', () => {
    const input = { k: 'v' };
    const output = runPass(
      {
        Parameters: {
          'id.$': '$$.Execution.Id',
          'name.$': '$$.Execution.Name',
          'input.$': '$$.Execution.Input',
          'role.$': '$$.Execution.RoleArn',
          'startTime.$': '$$.Execution.StartTime',
          'redriveCount.$': '$$.Execution.RedriveCount',
          'state.$': '$$.State.Name',
          'enteredTime.$': '$$.State.EnteredTime',
          'machineId.$': '$$.StateMachine.Id',
          'machineName.$': '$$.StateMachine.Name',
        },
      },
      input,
    );
    assert.deepEqual(output, {
      id: EXECUTION_ARN,
      name: 'exec-1',
      input,
      role: ROLE_ARN,
      startTime: '2024-01-02T03:04:05.678Z',
      redriveCount: 0,
      state: 'P',
      enteredTime: '2024-01-02T03:04:05.678Z',
      machineId: STATE_MACHINE_ARN,
      machineName: 'Machine',
    });
  });

  test('$$.State.EnteredTime is the time the state was entered, not the start', () => {
    const h = start(
      {
        StartAt: 'W',
        States: {
          W: { Type: 'Wait', Seconds: 5, Next: 'P' },
          P: {
            Type: 'Pass',
            Parameters: { 't.$': '$$.State.EnteredTime', 's.$': '$$.Execution.StartTime' },
            End: true,
          },
        },
      },
      {},
    );
    h.advance(5);
    assert.deepEqual(h.output(), { t: '2024-01-02T03:04:10.678Z', s: '2024-01-02T03:04:05.678Z' });
  });

  test('a Parameters path that finds nothing is States.Runtime with the field named', () => {
    const h = start(
      {
        StartAt: 'pass',
        States: { pass: { Type: 'Pass', Parameters: { 'value.$': '$.no_such_jsonpath' }, End: true } },
      },
      { a: 1 },
    );
    assert.deepEqual(failedWith(h), [
      'States.Runtime',
      prefixed(
        'pass',
        2,
        `The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"a":1}'`,
      ),
    ]);
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ a: 1 })],
      ['PassStateEntered', 2, 0, entered('pass', { a: 1 })],
      ['ExecutionFailed', 3, 2, { error: 'States.Runtime', cause: h.execution.cause as string }],
    ]);
  });

  describe('ResultPath', () => {
    const input = { a: 1, b: { c: 2 } };
    test('absent and "$" replace the input with the result', () => {
      assert.deepEqual(runPass({ Result: 'r' }, input), 'r');
      assert.deepEqual(runPass({ Result: 'r', ResultPath: '$' }, input), 'r');
    });
    test('null discards the result', () => {
      assert.deepEqual(runPass({ Result: 'r', ResultPath: null }, input), input);
    });
    test('a path merges the result into the input', () => {
      assert.deepEqual(runPass({ Result: { r: 1 }, ResultPath: '$.res' }, input), {
        ...input,
        res: { r: 1 },
      });
      assert.deepEqual(runPass({ Result: 9, ResultPath: '$.b.c' }, input), { a: 1, b: { c: 9 } });
      assert.deepEqual(runPass({ Result: 9, ResultPath: '$.a' }, input), { a: 9, b: { c: 2 } });
    });
    test('missing intermediate objects are created', () => {
      assert.deepEqual(runPass({ Result: true, ResultPath: '$.x.y.z' }, input), {
        ...input,
        x: { y: { z: true } },
      });
      assert.deepEqual(runPass({ Result: true, ResultPath: '$.b.d.e' }, input), {
        a: 1,
        b: { c: 2, d: { e: true } },
      });
    });
    test('ResultPath applies to the raw input, not the effective input', () => {
      assert.deepEqual(runPass({ InputPath: '$.b', Result: 'r', ResultPath: '$.out' }, input), {
        ...input,
        out: 'r',
      });
    });
    test('a ResultPath into a string is States.ResultPathMatchFailure', () => {
      const h = start(
        { StartAt: 'P', States: { P: { Type: 'Pass', Result: 1, ResultPath: '$.x', End: true } } },
        'text',
      );
      assert.deepEqual(failedWith(h), [
        'States.ResultPathMatchFailure',
        'Unable to apply ReferencePath $.x to input "text"',
      ]);
      assert.deepEqual(h.history().at(-1), [
        'ExecutionFailed',
        3,
        2,
        {
          error: 'States.ResultPathMatchFailure',
          cause: 'Unable to apply ReferencePath $.x to input "text"',
        },
      ]);
    });
  });

  describe('InputPath and OutputPath', () => {
    const input = { a: 1, b: { c: 2 } };
    test('InputPath null gives {} as effective input', () => {
      assert.deepEqual(runPass({ InputPath: null }, input), {});
      assert.deepEqual(runPass({ InputPath: null, Parameters: { 'x.$': '$' } }, input), { x: {} });
    });
    test('InputPath selects part of the input', () => {
      assert.deepEqual(runPass({ InputPath: '$.b' }, input), { c: 2 });
      assert.deepEqual(runPass({ InputPath: '$.b.c' }, input), 2);
      assert.deepEqual(runPass({ InputPath: '$$.Execution.Name' }, input), 'exec-1');
    });
    test('OutputPath null gives {}', () => {
      assert.deepEqual(runPass({ OutputPath: null }, input), {});
    });
    test('OutputPath selects part of the output', () => {
      assert.deepEqual(runPass({ Result: { r: 5 }, ResultPath: '$.res', OutputPath: '$.res' }, input), {
        r: 5,
      });
      assert.deepEqual(runPass({ OutputPath: '$.b.c' }, input), 2);
    });
    test('an InputPath that finds nothing is States.Runtime', () => {
      const h = start(
        { StartAt: 'pass', States: { pass: { Type: 'Pass', InputPath: '$.NoSuchInputPath', End: true } } },
        {},
      );
      assert.deepEqual(failedWith(h), [
        'States.Runtime',
        prefixed('pass', 2, `Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']`),
      ]);
    });
    test('an OutputPath that finds nothing is States.Runtime, not caught by States.ALL', () => {
      const h = start(
        {
          StartAt: 'first',
          States: {
            first: { Type: 'Pass', Next: 'pass' },
            pass: { Type: 'Pass', OutputPath: '$.NoSuchOutputPath', End: true },
          },
        },
        { z: 0 },
      );
      const cause = prefixed(
        'pass',
        4,
        `Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']`,
      );
      assert.deepEqual(failedWith(h), ['States.Runtime', cause]);
      assert.deepEqual(h.history(), [
        ['ExecutionStarted', 1, 0, started({ z: 0 })],
        ['PassStateEntered', 2, 0, entered('first', { z: 0 })],
        ['PassStateExited', 3, 2, exited('first', { z: 0 })],
        ['PassStateEntered', 4, 3, entered('pass', { z: 0 })],
        ['ExecutionFailed', 5, 4, { error: 'States.Runtime', cause }],
      ]);
    });
  });
});

describe('Choice', () => {
  const machine = {
    StartAt: 'C',
    States: {
      C: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.n', NumericGreaterThan: 10, Next: 'Big' },
          { Variable: '$.n', NumericEquals: 5, Next: 'Five' },
        ],
        Default: 'Small',
      },
      Big: { Type: 'Pass', Result: 'big', End: true },
      Five: { Type: 'Pass', Result: 'five', End: true },
      Small: { Type: 'Succeed' },
    },
  };

  test('a matching rule: ChoiceStateExited with the input, then the rule’s Next', () => {
    const h = start(machine, { n: 11 });
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ n: 11 })],
      ['ChoiceStateEntered', 2, 0, entered('C', { n: 11 })],
      ['ChoiceStateExited', 3, 2, exited('C', { n: 11 })],
      ['PassStateEntered', 4, 3, entered('Big', { n: 11 })],
      ['PassStateExited', 5, 4, exited('Big', 'big')],
      ['ExecutionSucceeded', 6, 5, succeeded('big')],
    ]);
    assert.equal(h.status, 'SUCCEEDED');
  });

  test('the first matching rule wins', () => {
    const h = start(
      {
        ...machine,
        States: {
          Big: machine.States.Big,
          Five: machine.States.Five,
          C: {
            Type: 'Choice',
            Choices: [
              { Variable: '$.n', NumericEquals: 5, Next: 'Five' },
              { Variable: '$.n', NumericLessThan: 10, Next: 'Big' },
            ],
          },
        },
      },
      { n: 5 },
    );
    assert.deepEqual(h.output(), 'five');
  });

  test('Default when nothing matches; Succeed ends the execution', () => {
    const h = start(machine, { n: 1 });
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ n: 1 })],
      ['ChoiceStateEntered', 2, 0, entered('C', { n: 1 })],
      ['ChoiceStateExited', 3, 2, exited('C', { n: 1 })],
      ['SucceedStateEntered', 4, 3, entered('Small', { n: 1 })],
      ['SucceedStateExited', 5, 4, exited('Small', { n: 1 })],
      ['ExecutionSucceeded', 6, 5, succeeded({ n: 1 })],
    ]);
    assert.deepEqual(h.output(), { n: 1 });
  });

  test('InputPath and OutputPath of a Choice', () => {
    const h = start(
      {
        StartAt: 'C',
        States: {
          C: {
            Type: 'Choice',
            InputPath: '$.inner',
            OutputPath: '$.keep',
            Choices: [{ Variable: '$.n', NumericEquals: 1, Next: 'End' }],
          },
          End: { Type: 'Succeed' },
        },
      },
      { inner: { n: 1, keep: { k: true } }, other: 0 },
    );
    assert.deepEqual(h.history().slice(2, 4), [
      ['ChoiceStateExited', 3, 2, exited('C', { k: true })],
      ['SucceedStateEntered', 4, 3, entered('End', { k: true })],
    ]);
  });

  test('no match and no Default: States.NoChoiceMatched fails the execution', () => {
    const { Default: _default, ...noDefault } = machine.States.C;
    const h = start(
      { StartAt: 'C', States: { C: noDefault, Big: machine.States.Big, Five: machine.States.Five } },
      {
        n: 7,
      },
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ n: 7 })],
      ['ChoiceStateEntered', 2, 0, entered('C', { n: 7 })],
      ['ExecutionFailed', 3, 2, { error: 'States.NoChoiceMatched' }],
    ]);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, 'States.NoChoiceMatched');
    assert.equal(h.execution.cause, null);
    assert.equal(h.execution.output, undefined);
  });
});

describe('Succeed', () => {
  test('InputPath and OutputPath apply; Exited precedes ExecutionSucceeded', () => {
    const h = start(
      { StartAt: 'S', States: { S: { Type: 'Succeed', InputPath: '$.a', OutputPath: '$.b' } } },
      { a: { b: [1] } },
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ a: { b: [1] } })],
      ['SucceedStateEntered', 2, 0, entered('S', { a: { b: [1] } })],
      ['SucceedStateExited', 3, 2, exited('S', [1])],
      ['ExecutionSucceeded', 4, 3, succeeded([1])],
    ]);
    assert.equal(h.execution.output, '[1]');
  });
});

describe('Fail', () => {
  test('Error and Cause: ExecutionFailed follows FailStateEntered, no Exited', () => {
    const h = start(
      {
        StartAt: 'P',
        States: {
          P: { Type: 'Pass', Next: 'F' },
          F: { Type: 'Fail', Error: 'CheckFailed', Cause: 'Invalid response.' },
        },
      },
      { x: 1 },
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ x: 1 })],
      ['PassStateEntered', 2, 0, entered('P', { x: 1 })],
      ['PassStateExited', 3, 2, exited('P', { x: 1 })],
      ['FailStateEntered', 4, 3, entered('F', { x: 1 })],
      ['ExecutionFailed', 5, 4, { error: 'CheckFailed', cause: 'Invalid response.' }],
    ]);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, 'CheckFailed');
    assert.equal(h.execution.cause, 'Invalid response.');
    assert.equal(h.execution.output, undefined);
    assert.equal(h.execution.stopDate, START);
  });

  test('neither Error nor Cause: ExecutionFailed has empty details', () => {
    const h = start({ StartAt: 'F', States: { F: { Type: 'Fail' } } }, {});
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['FailStateEntered', 2, 0, entered('F', {})],
      ['ExecutionFailed', 3, 2, {}],
    ]);
    assert.equal(h.execution.error, null);
    assert.equal(h.execution.cause, null);
  });

  test('only an Error', () => {
    const h = start({ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'E' } } }, {});
    assert.deepEqual(h.history().at(-1), ['ExecutionFailed', 3, 2, { error: 'E' }]);
  });

  test('ErrorPath and CausePath read the input (and intrinsics)', () => {
    const h = start(
      {
        StartAt: 'F',
        States: { F: { Type: 'Fail', ErrorPath: '$.err', CausePath: "States.Format('bad {}', $.n)" } },
      },
      { err: 'Custom.Error', n: 3 },
    );
    assert.deepEqual(h.history().at(-1), [
      'ExecutionFailed',
      3,
      2,
      { error: 'Custom.Error', cause: 'bad 3' },
    ]);
    assert.equal(h.execution.error, 'Custom.Error');
    assert.equal(h.execution.cause, 'bad 3');
  });

  test('an ErrorPath that finds nothing is States.Runtime with AWS’s cause', () => {
    const h = start(
      { StartAt: 'fail', States: { fail: { Type: 'Fail', ErrorPath: '$.ErrorX', Cause: 'c' } } },
      {
        a: 1,
      },
    );
    const cause = prefixed(
      'fail',
      2,
      `The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in the input '{"a":1}'`,
    );
    assert.deepEqual(h.history().at(-1), ['ExecutionFailed', 3, 2, { error: 'States.Runtime', cause }]);
  });

  test('a CausePath that finds nothing is States.Runtime', () => {
    const h = start(
      { StartAt: 'fail', States: { fail: { Type: 'Fail', Error: 'E', CausePath: '$.NoSuchCausePath' } } },
      {},
    );
    assert.deepEqual(failedWith(h), [
      'States.Runtime',
      prefixed(
        'fail',
        2,
        `The JSONPath '$.NoSuchCausePath' specified for the field 'CausePath' could not be found in the input '{}'`,
      ),
    ]);
  });
});

describe('history limit', () => {
  const loop = {
    StartAt: 'Count',
    States: {
      Count: { Type: 'Pass', Next: 'Again?' },
      'Again?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.stop', BooleanEquals: true, Next: 'Done' }],
        Default: 'Count',
      },
      Done: { Type: 'Succeed' },
    },
  };

  test('a Pass loop through a Choice fails the execution at the limit without exceeding it', () => {
    const h = start(loop, { stop: false }, { limits: { ...DEFAULT_LIMITS, maxHistoryEvents: 20 } });
    assert.equal(h.status, 'FAILED');
    assert.equal(h.events.length, 20);
    assert.equal(h.execution.nextEventId, 21);
    const last = h.history().at(-1);
    assert.deepEqual(last, [
      'ExecutionFailed',
      20,
      0,
      {
        error: 'States.Runtime',
        cause: 'The execution reached the maximum number of history events (20).',
      },
    ]);
    assert.equal(h.execution.error, 'States.Runtime');
    // Every event before it is the loop, in order and chained.
    const types = h
      .history()
      .slice(1, 19)
      .map(([type]) => type);
    assert.deepEqual(
      types,
      Array.from(
        { length: 18 },
        (_, i) => ['PassStateEntered', 'PassStateExited', 'ChoiceStateEntered', 'ChoiceStateExited'][i % 4],
      ),
    );
    for (const [, id, previous] of h.history().slice(2, 19)) assert.equal(previous, id - 1);
    assert.equal(h.threads.size, 0);
  });

  test('an execution that ends below the limit is untouched by it', () => {
    const h = start(loop, { stop: true }, { limits: { ...DEFAULT_LIMITS, maxHistoryEvents: 20 } });
    assert.equal(h.status, 'SUCCEEDED');
    assert.equal(h.events.length, 8);
  });
});

describe('determinism', () => {
  const definition = parseDefinition({
    StartAt: 'P',
    States: {
      P: {
        Type: 'Pass',
        Parameters: {
          'id.$': 'States.UUID()',
          'r.$': 'States.MathRandom(1, 1000000)',
          'now.$': '$$.State.EnteredTime',
        },
        Next: 'T',
      },
      T: {
        Type: 'Task',
        Resource: ACTIVITY_ARN,
        TimeoutSeconds: 30,
        Retry: [{ ErrorEquals: ['States.ALL'], JitterStrategy: 'FULL' }],
        End: true,
      },
    },
  });
  const execution: ExecutionSnapshot = {
    executionArn: EXECUTION_ARN,
    stateMachineArn: STATE_MACHINE_ARN,
    stateMachineName: 'Machine',
    name: 'exec-1',
    roleArn: ROLE_ARN,
    input: { a: [1, 2] },
    startDate: START,
    status: 'RUNNING',
    nextEventId: 1,
    redriveCount: 0,
  };
  const env = (nonce: string, now = START): EngineEnvironment => ({
    now,
    nonce,
    activityExists: (arn) => arn === ACTIVITY_ARN,
  });

  test('the same inputs give the same TransitionResult', () => {
    const a = transition(definition, execution, [], { type: 'StartExecution' }, env('ab'.repeat(16)));
    const b = transition(definition, execution, [], { type: 'StartExecution' }, env('ab'.repeat(16)));
    assert.deepEqual(a, b);
    assert.ok(a.ok);
    // And again for an event on a running execution.
    const threads = a.threadsPut;
    const token = a.effects.flatMap((e) => (e.kind === 'putActivityTask' ? [e.task.token] : []))[0];
    assert.ok(token !== undefined);
    const next = { ...execution, nextEventId: a.execution.nextEventId };
    const failed = (): unknown =>
      transition(
        definition,
        next,
        threads,
        { type: 'TaskFailed', token, error: 'E', cause: 'c' },
        env('cd'.repeat(16), START + 5000),
      );
    assert.deepEqual(failed(), failed());
  });

  test('a different nonce changes only what the nonce feeds', () => {
    const a = transition(definition, execution, [], { type: 'StartExecution' }, env('ab'.repeat(16)));
    const b = transition(definition, execution, [], { type: 'StartExecution' }, env('ef'.repeat(16)));
    assert.ok(a.ok && b.ok);
    assert.deepEqual(
      a.events.map((e) => e.type),
      b.events.map((e) => e.type),
    );
    assert.notDeepEqual(a.events[2]?.details, b.events[2]?.details);
  });

  test('the engine does not mutate what it is given', () => {
    const h = new Harness(
      {
        StartAt: 'T',
        States: { T: { Type: 'Task', Resource: ACTIVITY_ARN, ResultPath: '$.r', End: true } },
      },
      { a: 1 },
    );
    h.start();
    const threads = [...h.threads.values()];
    const frozen = structuredClone(threads);
    const snapshot = h.snapshot();
    const frozenSnapshot = structuredClone(snapshot);
    transition(
      h.definition,
      snapshot,
      threads,
      { type: 'TaskSucceeded', token: h.token(), output: { ok: 1 } },
      env('00'.repeat(16)),
    );
    assert.deepEqual(threads, frozen);
    assert.deepEqual(snapshot, frozenSnapshot);
  });
});
