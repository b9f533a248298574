/**
 * TestState in the engine: one state run in isolation. The expected inspection data and
 * statuses follow responses AWS recorded (LocalStack's TestState snapshots, taken against AWS
 * in 2025): which steps of the data flow each state type reports, the RETRIABLE back-off, the
 * CAUGHT_ERROR output, the Map thresholds. A cross-check runs the states that need nothing
 * external through `transition()` as well: both must agree on output, next state and error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json, JsonObject } from '../src/json.js';
import type { TestStateRequest, TestStateResult } from '../src/engine/test-state.js';
import { TestStateRejected, testState } from '../src/engine/test-state.js';
import { ACTIVITY_ARN, ROLE_ARN, start } from './harness.js';

const NOW = Date.UTC(2025, 10, 14, 16, 38, 49, 123);
const NOW_ISO = '2025-11-14T16:38:49.123Z';
const IDENTITY = {
  executionArn: 'arn:aws:states:us-east-1:123456789012:express:test-sm:test-exec:0001',
  executionName: 'test-exec',
  stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:test-sm',
  stateMachineName: 'test-sm',
};
const LAMBDA = 'arn:aws:states:::lambda:invoke';
const MOCK_ERROR = { errorOutput: { error: 'MockException', cause: 'Mock the cause of the error.' } };

function run(
  definition: object,
  input: Json,
  extra: Omit<TestStateRequest, 'definition' | 'input'> = {},
): TestStateResult {
  return testState(
    { definition: JSON.stringify(definition), input, inspectionLevel: 'DEBUG', ...extra },
    { now: NOW, nonce: '0123456789abcdef0123456789abcdef', identity: IDENTITY },
  );
}

function rejects(
  definition: object | string,
  extra: Omit<TestStateRequest, 'definition' | 'input'>,
  shape: string,
  message: string | RegExp,
): void {
  const text = typeof definition === 'string' ? definition : JSON.stringify(definition);
  assert.throws(
    () => testState({ definition: text, input: {}, ...extra }, { now: NOW, nonce: '00', identity: IDENTITY }),
    (error: unknown) => {
      assert.ok(error instanceof TestStateRejected, String(error));
      assert.equal(error.shape, shape);
      if (typeof message === 'string') assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
  );
}

const NESTED = {
  initialData: { fieldFromInput: 'value from input', otherField: 'other' },
  unrelatedData: { someOtherField: 1234 },
};

describe('TestState: states that need nothing external (JSONPath)', () => {
  test('Pass without Result: every step of the input processing', () => {
    const input = { Value: 'HelloWorld' };
    const result = run({ Type: 'Pass', End: true }, input);
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output: input,
      inspectionData: {
        input,
        afterInputPath: input,
        afterParameters: input,
        afterResultSelector: input,
        afterResultPath: input,
      },
    });
  });

  test('Pass with InputPath, Parameters and ResultPath (IO_PASS_STATE as recorded)', () => {
    const result = run(
      {
        Type: 'Pass',
        InputPath: '$.initialData',
        Parameters: { staticValue: 'some value', 'inputValue.$': '$.fieldFromInput' },
        ResultPath: '$.modifiedData',
        End: true,
      },
      NESTED,
    );
    const parameters = { staticValue: 'some value', inputValue: 'value from input' };
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output: { ...NESTED, modifiedData: parameters },
      inspectionData: {
        input: NESTED,
        afterInputPath: NESTED.initialData,
        afterParameters: parameters,
        afterResultSelector: parameters,
        afterResultPath: { ...NESTED, modifiedData: parameters },
      },
    });
  });

  test('Pass with Result: the result is reported, the input processing before it is not', () => {
    const result = run(
      {
        Type: 'Pass',
        InputPath: '$.initialData',
        Parameters: { staticValue: 'some value', 'inputValue.$': '$.fieldFromInput' },
        Result: { resultKey: 'result value' },
        ResultPath: '$.modifiedData',
        End: true,
      },
      NESTED,
    );
    const output = { ...NESTED, modifiedData: { resultKey: 'result value' } };
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output,
      inspectionData: {
        input: NESTED,
        result: { resultKey: 'result value' },
        afterResultSelector: { resultKey: 'result value' },
        afterResultPath: output,
      },
    });
  });

  test('INFO (the default) answers no inspection data', () => {
    const result = testState(
      { definition: JSON.stringify({ Type: 'Pass', Next: 'After' }), input: { a: 1 } },
      { now: NOW, nonce: '00', identity: IDENTITY },
    );
    assert.deepEqual(result, { status: 'SUCCEEDED', output: { a: 1 }, nextState: 'After' });
  });

  test('TRACE on a state that is not an HTTP Task is DEBUG', () => {
    const input = { a: 1 };
    const debug = run({ Type: 'Pass', End: true }, input);
    const trace = run({ Type: 'Pass', End: true }, input, { inspectionLevel: 'TRACE' });
    assert.deepEqual(trace, debug);
  });

  test('Choice: the matching rule gives nextState; the output is the input', () => {
    const choice = {
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.value', NumericGreaterThanEquals: 20 },
            { Variable: '$.value', NumericLessThan: 30 },
          ],
          Next: 'ValueInTwenties',
        },
      ],
      Default: 'DefaultState',
    };
    const input = { type: 'Private', value: 22 };
    assert.deepEqual(run(choice, input), {
      status: 'SUCCEEDED',
      output: input,
      nextState: 'ValueInTwenties',
      inspectionData: { input, afterInputPath: input },
    });
    assert.equal(run(choice, { value: 5 }).nextState, 'DefaultState');
  });

  test('Choice with no match and no Default fails with States.NoChoiceMatched', () => {
    const result = run({ Type: 'Choice', Choices: [{ Variable: '$.x', IsPresent: true, Next: 'A' }] }, {});
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'States.NoChoiceMatched');
    assert.equal(result.output, undefined);
  });

  test('Wait does not wait: it answers its next state at once', () => {
    const began = Date.now();
    const result = run({ Type: 'Wait', Seconds: 86_400, Next: 'Later' }, { a: 1 });
    assert.ok(Date.now() - began < 1000);
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output: { a: 1 },
      nextState: 'Later',
      inspectionData: { input: { a: 1 }, afterInputPath: { a: 1 } },
    });
  });

  test('Wait still checks its delay: a TimestampPath that is no timestamp fails the state', () => {
    const result = run({ Type: 'Wait', TimestampPath: '$.when', Next: 'Later' }, { when: 'soon' });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'States.Runtime');
    assert.match(result.cause ?? '', /TimestampPath parameter does not reference a valid ISO-8601/);
  });

  test('Succeed: the input after InputPath and OutputPath, no next state', () => {
    const result = run({ Type: 'Succeed', InputPath: '$.a', OutputPath: '$.b' }, { a: { b: 2 } });
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output: 2,
      inspectionData: { input: { a: { b: 2 } }, afterInputPath: { b: 2 } },
    });
  });

  test('Fail: FAILED with its error and cause', () => {
    const input = { Value: 'HelloWorld' };
    assert.deepEqual(
      run(
        { Type: 'Fail', Error: 'SomeFailure', Cause: "This state machines raises a 'SomeFailure' failure." },
        input,
      ),
      {
        status: 'FAILED',
        error: 'SomeFailure',
        cause: "This state machines raises a 'SomeFailure' failure.",
        inspectionData: { input, afterInputPath: input },
      },
    );
    const fromPaths = run(
      { Type: 'Fail', ErrorPath: '$.e', CausePath: "States.Format('c{}', $.n)" },
      { e: 'E', n: 7 },
    );
    assert.equal(fromPaths.error, 'E');
    assert.equal(fromPaths.cause, 'c7');
  });

  test('a path that misses fails with States.Runtime, which Retry and Catch never take', () => {
    const result = run(
      {
        Type: 'Task',
        Resource: ACTIVITY_ARN,
        InputPath: '$.missing',
        Retry: [{ ErrorEquals: ['States.ALL'] }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handler' }],
        End: true,
      },
      { a: 1 },
      { mock: { result: '{}' } },
    );
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'States.Runtime');
    assert.equal(result.inspectionData?.errorDetails, undefined);
  });
});

describe('TestState: JSONata states', () => {
  test('Pass: Output and Assign see $states and the given variables; variables are reported', () => {
    const result = run(
      {
        Type: 'Pass',
        QueryLanguage: 'JSONata',
        Assign: { doubled: '{% $base * 2 %}' },
        Output: {
          sum: '{% $sum($states.input.values) %}',
          base: '{% $base %}',
          stateName: '{% $states.context.State.Name %}',
        },
        End: true,
      },
      { values: [1, 2, 3] },
      { variables: JSON.stringify({ base: 8 }) },
    );
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output: { sum: 6, base: 8, stateName: 'StateName' },
      inspectionData: { input: { values: [1, 2, 3] }, variables: { base: 8, doubled: 16 } },
    });
  });

  test('Choice: the first true Condition, with its own Output', () => {
    const result = run(
      {
        Type: 'Choice',
        QueryLanguage: 'JSONata',
        Choices: [
          { Condition: '{% $states.input.cost < 10 %}', Next: 'Purchase Approved', Output: { ok: true } },
        ],
        Default: 'Ask for Approval',
      },
      { cost: 9 },
    );
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output: { ok: true },
      nextState: 'Purchase Approved',
      inspectionData: { input: { cost: 9 } },
    });
    assert.equal(
      run(
        {
          Type: 'Choice',
          QueryLanguage: 'JSONata',
          Choices: [{ Condition: '{% false %}', Next: 'A' }],
          Default: 'B',
        },
        {},
      ).nextState,
      'B',
    );
  });

  test('Wait, Succeed and Fail', () => {
    assert.deepEqual(
      run(
        { Type: 'Wait', QueryLanguage: 'JSONata', Seconds: '{% 3600 %}', Output: '{% 1 %}', Next: 'N' },
        {},
      ),
      {
        status: 'SUCCEEDED',
        output: 1,
        nextState: 'N',
        inspectionData: { input: {} },
      },
    );
    assert.deepEqual(
      run({ Type: 'Succeed', QueryLanguage: 'JSONata', Output: '{% $states.input.a %}' }, { a: 'x' }),
      {
        status: 'SUCCEEDED',
        output: 'x',
        inspectionData: { input: { a: 'x' } },
      },
    );
    assert.deepEqual(
      run(
        { Type: 'Fail', QueryLanguage: 'JSONata', Error: '{% "E" & $states.input.n %}', Cause: 'why' },
        { n: 1 },
      ),
      { status: 'FAILED', error: 'E1', cause: 'why', inspectionData: { input: { n: 1 } } },
    );
  });

  test('a failing expression is States.QueryEvaluationError', () => {
    const result = run(
      { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $number("x") %}', End: true },
      {},
    );
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'States.QueryEvaluationError');
  });
});

describe('TestState: Task states with a mock', () => {
  test('JSONPath: the mock is the result, through ResultSelector, ResultPath and OutputPath', () => {
    const result = run(
      {
        Type: 'Task',
        Resource: ACTIVITY_ARN,
        InputPath: '$.order',
        Parameters: { 'id.$': '$.id' },
        ResultSelector: { 'verdict.$': '$.ok' },
        ResultPath: '$.check',
        OutputPath: '$.check',
        Next: 'Ship',
      },
      { order: { id: 7 } },
      { mock: { result: '{"ok":true,"extra":1}' } },
    );
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output: { verdict: true },
      nextState: 'Ship',
      inspectionData: {
        input: { order: { id: 7 } },
        afterInputPath: { id: 7 },
        afterParameters: { id: 7 },
        result: { ok: true, extra: 1 },
        afterResultSelector: { verdict: true },
        afterResultPath: { order: { id: 7 }, check: { verdict: true } },
      },
    });
  });

  test('JSONata: afterArguments and the result; Output sees $states.result', () => {
    const result = run(
      {
        Type: 'Task',
        QueryLanguage: 'JSONata',
        Resource: 'arn:aws:states:::http:invoke',
        Arguments: { Method: 'POST', RequestBody: { cost: '{% $states.input.cost %}' } },
        Output: '{% $merge([$states.input, $states.result]) %}',
        Next: 'Check Approval',
      },
      { cost: 10 },
      { mock: { result: '{"approval": true }' }, inspectionLevel: 'TRACE' },
    );
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output: { cost: 10, approval: true },
      nextState: 'Check Approval',
      inspectionData: {
        input: { cost: 10 },
        afterArguments: { Method: 'POST', RequestBody: { cost: 10 } },
        result: { approval: true },
      },
    });
  });

  test('a mocked error without a matching retrier or catcher: FAILED', () => {
    const result = run({ Type: 'Task', Resource: ACTIVITY_ARN, End: true }, {}, { mock: MOCK_ERROR });
    assert.deepEqual(result, {
      status: 'FAILED',
      error: 'MockException',
      cause: 'Mock the cause of the error.',
      inspectionData: { input: {}, afterInputPath: {}, afterParameters: {} },
    });
  });

  test('Retry (as recorded): retries left give RETRIABLE and the back-off; none left give FAILED', () => {
    const task = {
      QueryLanguage: 'JSONata',
      Type: 'Task',
      Resource: LAMBDA,
      Arguments: { FunctionName: 'foo', Payload: 'bar' },
      Retry: [{ ErrorEquals: ['MockException'], IntervalSeconds: 1, MaxAttempts: 5, BackoffRate: 2.0 }],
      End: true,
    };
    const input = { Values: ['first', 'second', 'third'] };
    const afterArguments = { FunctionName: 'foo', Payload: 'bar' };
    assert.deepEqual(run(task, input, { mock: MOCK_ERROR, stateConfiguration: { retrierRetryCount: 4 } }), {
      status: 'RETRIABLE',
      error: 'MockException',
      cause: 'Mock the cause of the error.',
      inspectionData: {
        input,
        afterArguments,
        errorDetails: { retryIndex: 0, retryBackoffIntervalSeconds: 16 },
      },
    });
    assert.deepEqual(run(task, input, { mock: MOCK_ERROR, stateConfiguration: { retrierRetryCount: 5 } }), {
      status: 'FAILED',
      error: 'MockException',
      cause: 'Mock the cause of the error.',
      inspectionData: { input, afterArguments, errorDetails: { retryIndex: 0 } },
    });
  });

  test('the back-off uses the retrier defaults and MaxDelaySeconds, without jitter', () => {
    const backoff = (retrier: object, count?: number): number | undefined =>
      run(
        { Type: 'Task', Resource: ACTIVITY_ARN, Retry: [{ ErrorEquals: ['X'] }, retrier], End: true },
        {},
        {
          mock: { errorOutput: { error: 'E' } },
          ...(count !== undefined ? { stateConfiguration: { retrierRetryCount: count } } : {}),
        },
      ).inspectionData?.errorDetails?.retryBackoffIntervalSeconds;
    assert.equal(backoff({ ErrorEquals: ['States.ALL'] }), 1);
    assert.equal(backoff({ ErrorEquals: ['States.ALL'] }, 2), 4);
    assert.equal(
      backoff({ ErrorEquals: ['E'], IntervalSeconds: 3, BackoffRate: 3, MaxDelaySeconds: 20 }, 2),
      20,
    );
    assert.equal(backoff({ ErrorEquals: ['E'], IntervalSeconds: 10, JitterStrategy: 'FULL' }, 1), 20);
    const second = run(
      {
        Type: 'Task',
        Resource: ACTIVITY_ARN,
        Retry: [{ ErrorEquals: ['X'] }, { ErrorEquals: ['E'] }],
        End: true,
      },
      {},
      { mock: { errorOutput: { error: 'E' } } },
    );
    assert.equal(second.status, 'RETRIABLE');
    assert.equal(second.inspectionData?.errorDetails?.retryIndex, 1);
  });

  test('Catch (as recorded): CAUGHT_ERROR with the catcher index, its Next and its output', () => {
    const task = {
      QueryLanguage: 'JSONata',
      Type: 'Task',
      Resource: LAMBDA,
      Arguments: { FunctionName: 'foo', Payload: 'bar' },
      Catch: [
        { ErrorEquals: ['MockException'], Output: '{% $states %}', Next: 'HandleMockError' },
        { ErrorEquals: ['States.TaskFailed'], Output: '{% $states %}', Next: 'HandleThreshold' },
      ],
      End: true,
    };
    const input = { Value: 'HelloWorld' };
    const context = {
      Execution: {
        Id: IDENTITY.executionArn,
        Input: input,
        Name: IDENTITY.executionName,
        RoleArn: ROLE_ARN,
        StartTime: NOW_ISO,
      },
      StateMachine: { Id: IDENTITY.stateMachineArn, Name: IDENTITY.stateMachineName },
      State: { Name: 'StateName', EnteredTime: NOW_ISO, RetryCount: 0 },
    };
    const caught = run(task, input, { mock: MOCK_ERROR, roleArn: ROLE_ARN });
    assert.deepEqual(caught, {
      status: 'CAUGHT_ERROR',
      error: 'MockException',
      cause: 'Mock the cause of the error.',
      nextState: 'HandleMockError',
      output: {
        input,
        context,
        errorOutput: { Error: 'MockException', Cause: 'Mock the cause of the error.' },
      },
      inspectionData: {
        input,
        afterArguments: { FunctionName: 'foo', Payload: 'bar' },
        errorDetails: { catchIndex: 0 },
      },
    });
    const second = run(task, input, {
      mock: { errorOutput: { error: 'States.TaskFailed', cause: 'The task failed.' } },
    });
    assert.equal(second.status, 'CAUGHT_ERROR');
    assert.equal(second.nextState, 'HandleThreshold');
    assert.deepEqual(second.inspectionData?.errorDetails, { catchIndex: 1 });
  });

  test('JSONPath Catch: the error output at ResultPath, Assign with $ as the error output', () => {
    const result = run(
      {
        Type: 'Task',
        Resource: ACTIVITY_ARN,
        Retry: [{ ErrorEquals: ['Boom'], MaxAttempts: 2 }],
        Catch: [
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.error',
            Assign: { 'why.$': '$.Cause' },
            Next: 'Rejected',
          },
        ],
        End: true,
      },
      { user: 'u1' },
      {
        mock: { errorOutput: { error: 'Boom', cause: 'too young' } },
        stateConfiguration: { retrierRetryCount: 2 },
      },
    );
    assert.deepEqual(result, {
      status: 'CAUGHT_ERROR',
      error: 'Boom',
      cause: 'too young',
      nextState: 'Rejected',
      output: { user: 'u1', error: { Error: 'Boom', Cause: 'too young' } },
      inspectionData: {
        input: { user: 'u1' },
        afterInputPath: { user: 'u1' },
        afterParameters: { user: 'u1' },
        errorDetails: { retryIndex: 0, catchIndex: 0 },
        variables: { why: 'too young' },
      },
    });
  });

  test('a mocked error without a cause answers no cause', () => {
    const result = run(
      { Type: 'Task', Resource: ACTIVITY_ARN, End: true },
      {},
      { mock: { errorOutput: { error: 'E' } } },
    );
    assert.equal(result.error, 'E');
    assert.equal('cause' in result, false);
  });
});

describe('TestState: Map and Parallel with a mock', () => {
  const jsonataMap = (extra: object = {}): object => ({
    Type: 'Map',
    QueryLanguage: 'JSONata',
    Items: '{% $states.input.Values %}',
    ItemProcessor: {
      ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
      StartAt: 'TestState',
      States: {
        TestState: {
          Type: 'Task',
          QueryLanguage: 'JSONata',
          Resource: LAMBDA,
          Arguments: { FunctionName: 'f' },
          End: true,
        },
      },
    },
    End: true,
    ...extra,
  });
  const input = { Values: ['first', 'second', 'third'] };

  test('the mock is the Map result; thresholds and MaxConcurrency are reported (as recorded)', () => {
    const result = run(jsonataMap({ ToleratedFailureCount: 1, MaxConcurrency: '{% 2 %}' }), input, {
      mock: { result: '[1, 1, 1]' },
    });
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output: [1, 1, 1],
      inspectionData: { input, maxConcurrency: 2, toleratedFailureCount: 1 },
    });
  });

  test('mapIterationFailureCount beyond the threshold: States.ExceedToleratedFailureThreshold, then Retry/Catch', () => {
    const failing = { mock: { result: '[0, 0, 1]' }, stateConfiguration: { mapIterationFailureCount: 2 } };
    const caught = run(
      jsonataMap({
        ToleratedFailureCount: 1,
        Catch: [
          { ErrorEquals: ['MockException'], Next: 'HandleMockError' },
          { ErrorEquals: ['States.ExceedToleratedFailureThreshold'], Next: 'HandleThreshold' },
        ],
      }),
      input,
      failing,
    );
    assert.equal(caught.status, 'CAUGHT_ERROR');
    assert.equal(caught.error, 'States.ExceedToleratedFailureThreshold');
    assert.equal(caught.cause, 'The specified tolerated failure threshold was exceeded');
    assert.equal(caught.nextState, 'HandleThreshold');
    assert.deepEqual(caught.inspectionData?.errorDetails, { catchIndex: 1 });

    const retried = run(
      jsonataMap({
        ToleratedFailureCount: 1,
        Retry: [
          { ErrorEquals: ['MockException'], MaxAttempts: 3 },
          { ErrorEquals: ['States.ExceedToleratedFailureThreshold'], MaxAttempts: 2 },
        ],
      }),
      input,
      failing,
    );
    assert.equal(retried.status, 'RETRIABLE');
    assert.deepEqual(retried.inspectionData?.errorDetails, { retryIndex: 1, retryBackoffIntervalSeconds: 1 });

    const within = run(jsonataMap({ ToleratedFailureCount: 2 }), input, failing);
    assert.equal(within.status, 'SUCCEEDED');
    const byPercentage = run(jsonataMap({ ToleratedFailurePercentage: 50 }), input, failing);
    assert.equal(byPercentage.error, 'States.ExceedToleratedFailureThreshold');
    assert.equal(byPercentage.inspectionData?.toleratedFailurePercentage, 50);
    // No threshold declared: AWS lets the failed iterations pass.
    assert.equal(run(jsonataMap(), input, failing).status, 'SUCCEEDED');
  });

  test('a mocked error fails the Map with it, whatever the thresholds', () => {
    const result = run(jsonataMap({ ToleratedFailureCount: 2 }), input, {
      mock: MOCK_ERROR,
      stateConfiguration: { errorCausedByState: 'TestState', mapIterationFailureCount: 0 },
    });
    assert.deepEqual(result, {
      status: 'FAILED',
      error: 'MockException',
      cause: 'Mock the cause of the error.',
      inspectionData: { input, maxConcurrency: 0, toleratedFailureCount: 2 },
    });
  });

  test('JSONPath: items, ItemSelector, ItemBatcher and the result path are all reported', () => {
    const result = run(
      {
        Type: 'Map',
        InputPath: '$.order',
        ItemsPath: '$.lines',
        ItemSelector: { 'sku.$': '$$.Map.Item.Value.sku', 'at.$': '$$.Map.Item.Index' },
        ItemBatcher: { MaxItemsPerBatch: 2 },
        MaxConcurrencyPath: '$.parallel',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Line',
          States: { Line: { Type: 'Pass', End: true } },
        },
        ResultSelector: { 'count.$': 'States.ArrayLength($)' },
        ResultPath: '$.summary',
        Next: 'Done',
      },
      { order: { parallel: 4, lines: [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }] } },
      { mock: { result: '[{"ok":1},{"ok":2}]' } },
    );
    const order = { parallel: 4, lines: [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }] };
    const selected = [
      { sku: 'a', at: 0 },
      { sku: 'b', at: 1 },
      { sku: 'c', at: 2 },
    ];
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output: { order, summary: { count: 2 } },
      nextState: 'Done',
      inspectionData: {
        input: { order },
        afterInputPath: order,
        afterItemsPath: order.lines,
        afterItemSelector: selected,
        afterItemBatcher: [{ Items: selected.slice(0, 2) }, { Items: selected.slice(2) }],
        maxConcurrency: 4,
        afterResultSelector: { count: 2 },
        afterResultPath: { order, summary: { count: 2 } },
      },
    });
  });

  test('ItemsPath that is no array fails with States.Runtime (as recorded)', () => {
    const result = run(
      { Type: 'Map', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true },
      { not: 'an array' },
      { mock: { result: '[]' } },
    );
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'States.Runtime');
    assert.equal(result.cause, 'Reference path "$" must point to array.');
  });

  test('an ItemReader reads mapItemReaderData instead of S3', () => {
    const result = run(
      {
        Type: 'Map',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { 'Bucket.$': '$.Bucket', 'Key.$': '$.Key' },
        },
        ItemSelector: { 'v.$': '$$.Map.Item.Value' },
        MaxConcurrency: 1,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Square',
          States: { Square: { Type: 'Pass', End: true } },
        },
        End: true,
      },
      { Bucket: 'test-bucket', Key: 'test-key' },
      { mock: { result: '[1, 4, 9]' }, stateConfiguration: { mapItemReaderData: '[1, 2, 3]' } },
    );
    assert.equal(result.status, 'SUCCEEDED');
    assert.deepEqual(result.output, [1, 4, 9]);
    assert.deepEqual(result.inspectionData?.afterItemSelector, [{ v: 1 }, { v: 2 }, { v: 3 }]);
    assert.equal(result.inspectionData?.afterItemsPath, undefined);
    assert.equal(result.inspectionData?.maxConcurrency, 1);
  });

  const parallel = {
    Type: 'Parallel',
    Branches: [
      { StartAt: 'B1', States: { B1: { Type: 'Pass', End: true } } },
      { StartAt: 'B2', States: { B2: { Type: 'Task', Resource: ACTIVITY_ARN, End: true } } },
    ],
    InputPath: '$.in',
    ResultPath: '$.out',
    Retry: [{ ErrorEquals: ['Branch.Error'], IntervalSeconds: 2 }],
    Next: 'After',
  };

  test('Parallel: one result per branch, through ResultPath', () => {
    const result = run(parallel, { in: { x: 1 } }, { mock: { result: '[{"a":1},{"b":2}]' } });
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output: { in: { x: 1 }, out: [{ a: 1 }, { b: 2 }] },
      nextState: 'After',
      inspectionData: {
        input: { in: { x: 1 } },
        afterInputPath: { x: 1 },
        afterParameters: { x: 1 },
        afterResultSelector: [{ a: 1 }, { b: 2 }],
        afterResultPath: { in: { x: 1 }, out: [{ a: 1 }, { b: 2 }] },
      },
    });
  });

  test('Parallel: a branch error goes through the Parallel state’s Retry', () => {
    const result = run(
      parallel,
      { in: {} },
      {
        mock: { errorOutput: { error: 'Branch.Error' } },
        stateConfiguration: { errorCausedByState: 'B2', retrierRetryCount: 1 },
      },
    );
    assert.equal(result.status, 'RETRIABLE');
    assert.deepEqual(result.inspectionData?.errorDetails, { retryIndex: 0, retryBackoffIntervalSeconds: 4 });
  });

  test('JSONata Parallel: afterArguments, and Output over $states.result', () => {
    const result = run(
      {
        Type: 'Parallel',
        QueryLanguage: 'JSONata',
        Arguments: { n: '{% $states.input.n %}' },
        Branches: [{ StartAt: 'B', States: { B: { Type: 'Pass', End: true } } }],
        Output: '{% $states.result[0].n + 1 %}',
        End: true,
      },
      { n: 1, other: true },
      { mock: { result: '[{"n":1}]' } },
    );
    assert.deepEqual(result, {
      status: 'SUCCEEDED',
      output: 2,
      inspectionData: { input: { n: 1, other: true }, afterArguments: { n: 1 } },
    });
  });
});

describe('TestState: a state of a whole state machine (stateName)', () => {
  const machine = {
    StartAt: 'State0',
    States: {
      State0: { Type: 'Pass', Next: 'State1' },
      State1: {
        Type: 'Map',
        ItemProcessor: {
          StartAt: 'HandleItem',
          States: { HandleItem: { Type: 'Pass', Result: 'r', End: true } },
        },
        Next: 'State2',
      },
      State2: { Type: 'Fail', Error: 'SomeFailure' },
    },
  };

  test('the named state runs, with its name in the context object and its transitions', () => {
    const result = run(machine, { Value: 'HelloWorld' }, { stateName: 'State0', inspectionLevel: 'INFO' });
    assert.deepEqual(result, { status: 'SUCCEEDED', output: { Value: 'HelloWorld' }, nextState: 'State1' });
    assert.equal(run(machine, {}, { stateName: 'State2' }).error, 'SomeFailure');
    assert.equal(run(machine, {}, { stateName: 'HandleItem' }).output, 'r');
  });

  test("the machine's QueryLanguage applies to its states", () => {
    const jsonata = {
      QueryLanguage: 'JSONata',
      StartAt: 'P',
      States: { P: { Type: 'Pass', Output: '{% $states.context.State.Name %}', End: true } },
    };
    assert.equal(run(jsonata, {}, { stateName: 'P' }).output, 'P');
  });

  test('an unknown state name', () => {
    rejects(machine, { stateName: 'dne' }, 'ValidationException', 'State not found in definition');
  });

  test('the whole machine is validated', () => {
    const invalid = { ...machine, States: { ...machine.States, State2: { Type: 'Unknown' } } };
    rejects(
      invalid,
      { stateName: 'State0' },
      'InvalidDefinition',
      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map] at /States/State2/Type'",
    );
  });
});

describe('TestState: the context object', () => {
  test('by default, an express execution made for the test; RetryCount for states that retry', () => {
    const read = (state: object, extra: Omit<TestStateRequest, 'definition' | 'input'> = {}): Json =>
      run(state, { in: 1 }, extra).output ?? null;
    assert.deepEqual(read({ Type: 'Pass', Parameters: { 'c.$': '$$' }, End: true }, { roleArn: ROLE_ARN }), {
      c: {
        Execution: {
          Id: IDENTITY.executionArn,
          Input: { in: 1 },
          Name: 'test-exec',
          RoleArn: ROLE_ARN,
          StartTime: NOW_ISO,
        },
        StateMachine: { Id: IDENTITY.stateMachineArn, Name: 'test-sm' },
        State: { Name: 'StateName', EnteredTime: NOW_ISO },
      },
    });
    assert.deepEqual(
      read(
        {
          Type: 'Task',
          Resource: ACTIVITY_ARN,
          ResultSelector: { 'state.$': '$$.State', 'role.$': '$$.Execution.RoleArn' },
          End: true,
        },
        { mock: { result: '{}' }, stateConfiguration: { retrierRetryCount: 2 } },
      ),
      { state: { Name: 'StateName', EnteredTime: NOW_ISO, RetryCount: 2 }, role: null },
    );
  });

  test('a given context object replaces the default one (as recorded, even when empty)', () => {
    const task = { Type: 'Task', Resource: LAMBDA, ResultSelector: { 'c.$': '$$' }, End: true };
    const context: JsonObject = {
      Execution: {
        Id: 'arn:aws:states:::execution:MyStateMachine:execution-name-12345',
        Input: { v: 0 },
        Name: 'n',
      },
      State: { EnteredTime: '2025-01-15T10:30:01.500Z', Name: 'MyTaskState', RetryCount: 0 },
      StateMachine: { Id: 'arn:aws:states:::stateMachine:MyStateMachine', Name: 'MyStateMachine' },
    };
    const mock = { result: '{}' };
    assert.deepEqual(run(task, {}, { mock, context: JSON.stringify(context) }).output, { c: context });
    assert.deepEqual(run(task, {}, { mock, context: '{}' }).output, { c: {} });
  });

  test('what AWS refuses in a context object', () => {
    const task = { Type: 'Task', Resource: LAMBDA, End: true };
    const mock = { result: '{}' };
    const invalid = (context: object, message: string): void =>
      rejects(
        task,
        { mock, context: JSON.stringify(context) },
        'ValidationException',
        `Invalid Context object provided: ${message}`,
      );
    invalid({ Execution: { Id: 1 } }, 'Execution.Id must be a string');
    invalid({ Map: {} }, "'Map' field is not supported when mocking a Context object");
    invalid({ Execution: { pokemon: 'squirtle' } }, "Field 'pokemon' is not allowed");
    invalid({ Pokedex: {} }, "Field 'Pokedex' is not allowed");
    invalid(
      { Task: { Token: 'abcd123' } },
      "Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern",
    );
    const callback = {
      Type: 'Task',
      Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
      Parameters: { 'token.$': '$$.Task.Token' },
      End: true,
    };
    assert.deepEqual(
      run(callback, {}, { mock, context: '{"Task":{"Token":"abcd123"}}' }).inspectionData?.afterParameters,
      {
        token: 'abcd123',
      },
    );
  });
});

describe('TestState: requests AWS refuses', () => {
  const pass = { Type: 'Pass', End: true };
  const task = { Type: 'Task', Resource: ACTIVITY_ARN, End: true };
  const map = {
    Type: 'Map',
    ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
    End: true,
  };

  test('mock rules (recorded messages)', () => {
    rejects(
      task,
      { mock: { result: '1', errorOutput: { error: 'E' } } },
      'ValidationException',
      'A test mock should have only one of the following fields: [result, errorOutput].',
    );
    rejects(
      task,
      { mock: { result: '1' }, revealSecrets: true },
      'ValidationException',
      'TestState does not support RevealSecrets when a mock is specified.',
    );
    rejects(
      task,
      { stateConfiguration: { mapIterationFailureCount: 1 } },
      'ValidationException',
      'TestState does not support MapIterationFailureCount when a mock is not specified.',
    );
    for (const type of ['Pass', 'Succeed', 'Fail'] as const) {
      rejects(
        { Type: type, ...(type === 'Pass' ? { End: true } : {}) },
        { mock: { result: '{}' } },
        'ValidationException',
        `State type '${type}' is not supported when a mock is specified`,
      );
    }
    rejects(
      map,
      {},
      'InvalidDefinition',
      'TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]',
    );
    rejects(
      task,
      { mock: { result: 'not JSON string' } },
      'ValidationException',
      'Mocked result must be valid JSON',
    );
    rejects(map, { mock: { result: '{}' } }, 'ValidationException', 'Mocked result must be an array.');
    rejects(
      {
        ...map,
        ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'b', Prefix: 'p' } },
      },
      { mock: { result: '[]' } },
      'ValidationException',
      'Mocked result must be a JSON object.',
    );
    rejects(
      map,
      { mock: { result: '[1]' }, stateConfiguration: { mapIterationFailureCount: 2 } },
      'ValidationException',
      'Map iteration failure count must be less than or equal to the number of Map iterations',
    );
    const parallel = {
      Type: 'Parallel',
      Branches: [{ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }],
      End: true,
    };
    rejects(parallel, { mock: { result: '{}' } }, 'ValidationException', 'Mocked result must be an array.');
    rejects(
      parallel,
      { mock: { result: '[1, 2]' } },
      'ValidationException',
      'Mocked result must contain the same number of items as number of Parallel branches.',
    );
  });

  test('Task states without a mock', () => {
    rejects(
      { Type: 'Task', Resource: LAMBDA, End: true },
      {},
      'ValidationException',
      'RoleArn must be specified when testing a Task state',
    );
    rejects(
      task,
      { roleArn: ROLE_ARN },
      'ValidationException',
      'TestState does not support Activity tasks when a mock is not specified.',
    );
    rejects(
      { Type: 'Task', Resource: LAMBDA, End: true },
      { roleArn: ROLE_ARN },
      'ValidationException',
      /does not support the resource arn:aws:states:::lambda:invoke yet/,
    );
  });

  test('a bad state definition is InvalidDefinition, located as AWS locates it', () => {
    rejects(
      { Type: 'Parallel', Branches: [], End: true },
      { mock: { result: '[]' } },
      'InvalidDefinition',
      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/StateName/Branches'",
    );
    rejects(
      '{"Type": "Pass"',
      {},
      'InvalidDefinition',
      /^Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: /,
    );
    // A single state's transitions lead out of the test: they are not resolved.
    assert.equal(run({ Type: 'Pass', Next: 'Elsewhere' }, {}).nextState, 'Elsewhere');
  });

  test('context, variables and stateConfiguration that do not fit', () => {
    rejects(
      pass,
      { context: '{}' },
      'ValidationException',
      'TestState does not support Context when a mock is not specified.',
    );
    rejects(pass, { variables: '[1]' }, 'ValidationException', /^Invalid variables provided/);
    rejects(
      task,
      { mock: { result: '{}' }, stateConfiguration: { mapIterationFailureCount: 0 } },
      'ValidationException',
      /MapIterationFailureCount for a state of type 'Task'/,
    );
    rejects(
      map,
      { mock: { result: '[]' }, stateConfiguration: { errorCausedByState: 'Nope' } },
      'ValidationException',
      /ErrorCausedByState 'Nope'/,
    );
    rejects(
      map,
      { mock: { result: '[]' }, stateConfiguration: { mapItemReaderData: '[]' } },
      'ValidationException',
      /MapItemReaderData/,
    );
    rejects(task, { mock: { errorOutput: {} } }, 'ValidationException', /must have an error/);
  });
});

describe('TestState agrees with the engine', () => {
  /** Runs the state as the first of a machine and answers its output, next state or failure. */
  function viaEngine(
    state: JsonObject,
    input: Json,
  ): { output?: Json; next?: string; error?: string | null; cause?: string | null } {
    const targets = new Set<string>();
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value !== null && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          if ((key === 'Next' || key === 'Default') && typeof inner === 'string') targets.add(inner);
          else collect(inner);
        }
      }
    };
    collect(state);
    const states: Record<string, object> = { S: state };
    for (const target of targets) states[target] = { Type: 'Pass', Result: target, End: true };
    const h = start({ StartAt: 'S', States: states }, input);
    if (h.status === 'FAILED') return { error: h.execution.error ?? null, cause: h.execution.cause ?? null };
    const exitedS = h.events.find((e) => e.type.endsWith('StateExited') && e.details?.['name'] === 'S');
    const text = exitedS?.details?.['output'];
    assert.equal(typeof text, 'string');
    const output = JSON.parse(text as string) as Json;
    const next = h.output();
    return typeof next === 'string' && targets.has(next) ? { output, next } : { output };
  }

  const cases: [string, JsonObject, Json][] = [
    [
      'Pass with paths',
      {
        Type: 'Pass',
        InputPath: '$.a',
        Parameters: { 'x.$': '$.b', y: [1] },
        ResultPath: '$.r',
        OutputPath: '$.r',
        Next: 'T',
      },
      { a: { b: 2 } },
    ],
    ['Pass with Result', { Type: 'Pass', Result: { k: 'v' }, ResultPath: '$.k', End: true }, { z: 0 }],
    [
      'Pass with intrinsics',
      {
        Type: 'Pass',
        Parameters: { 'f.$': "States.Format('{}-{}', $.a, $.b)", 'n.$': 'States.MathAdd($.b, 1)' },
        End: true,
      },
      { a: 'x', b: 2 },
    ],
    [
      'Choice',
      {
        Type: 'Choice',
        Choices: [{ Variable: '$.n', NumericGreaterThan: 3, Next: 'Big' }],
        Default: 'Small',
        OutputPath: '$.n',
      },
      { n: 5 },
    ],
    [
      'Choice default',
      { Type: 'Choice', Choices: [{ Variable: '$.n', StringEquals: 'x', Next: 'X' }], Default: 'Other' },
      { n: 'y' },
    ],
    ['Succeed', { Type: 'Succeed', InputPath: '$.a' }, { a: [1, 2] }],
    ['Fail', { Type: 'Fail', ErrorPath: '$.e', CausePath: '$.c' }, { e: 'E', c: 'C' }],
    ['Wait 0s', { Type: 'Wait', Seconds: 0, OutputPath: '$.a', Next: 'T' }, { a: 1 }],
    [
      'JSONata Pass',
      { Type: 'Pass', QueryLanguage: 'JSONata', Output: { s: '{% $sum($states.input.v) %}' }, End: true },
      { v: [1, 2] },
    ],
    [
      'JSONata Choice',
      {
        Type: 'Choice',
        QueryLanguage: 'JSONata',
        Choices: [{ Condition: '{% $states.input.v > 1 %}', Next: 'Yes', Output: '{% "big" %}' }],
        Default: 'No',
      },
      { v: 2 },
    ],
    [
      'JSONata Fail',
      { Type: 'Fail', QueryLanguage: 'JSONata', Error: '{% "E" %}', Cause: '{% $string($states.input.v) %}' },
      { v: 3 },
    ],
    ['path miss', { Type: 'Pass', InputPath: '$.nope', End: true }, {}],
  ];
  for (const [name, state, input] of cases) {
    test(name, () => {
      const engine = viaEngine(state, input);
      const tested = run(state, input);
      if (engine.error !== undefined) {
        assert.equal(tested.status, 'FAILED');
        assert.equal(tested.error ?? null, engine.error);
        // The engine prefixes its own errors' causes with the state and event; TestState does not.
        assert.ok((engine.cause ?? '').endsWith(tested.cause ?? ''), `${engine.cause} / ${tested.cause}`);
        return;
      }
      assert.equal(tested.status, 'SUCCEEDED');
      assert.deepEqual(tested.output, engine.output);
      assert.equal(tested.nextState, engine.next);
    });
  }
});
