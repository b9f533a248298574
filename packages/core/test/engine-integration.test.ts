/**
 * Task states that call service integrations and Lambda functions: the events the engine writes
 * (TaskScheduled/TaskStarted/TaskSubmitted/TaskSucceeded… as AWS records them), the calls it
 * asks the runtime to make, and what the runtime's answers do (Retry, Catch, nested `.sync`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Json } from '../src/json.js';
import type { ChildExecutionSummary } from '../src/engine/types.js';
import { unsupportedFeatures } from '../src/engine/support.js';
import { parseTaskResource } from '../src/engine/resources.js';
import {
  EXECUTION_ARN,
  REGION_ACCOUNT,
  entered,
  exited,
  parseDefinition,
  prefixed,
  rejected,
  start,
  text,
} from './harness.js';

const LAMBDA = 'arn:aws:states:::lambda:invoke';
const CHILD_MACHINE = `arn:aws:states:${REGION_ACCOUNT}:stateMachine:Child`;
const CHILD = `arn:aws:states:${REGION_ACCOUNT}:execution:Child:run-1`;
const GUARD_MS = 60_000;

/** `Caught` and `Done` are there for a state with a `Next`. */
function lambdaMachine(extra: object = {}): object {
  const targets =
    'Next' in extra ? { Caught: { Type: 'Pass', End: true }, Done: { Type: 'Pass', End: true } } : {};
  return {
    StartAt: 'Invoke',
    States: {
      ...targets,
      Invoke: {
        Type: 'Task',
        Resource: LAMBDA,
        Parameters: { FunctionName: 'hello', 'Payload.$': '$' },
        ResultSelector: { 'body.$': '$.Payload.body' },
        End: true,
        ...extra,
      },
    },
  };
}

function nested(resource: string, extra: object = {}): object {
  return {
    StartAt: 'Run',
    States: {
      Run: {
        Type: 'Task',
        Resource: `arn:aws:states:::states:${resource}`,
        Parameters: {
          StateMachineArn: CHILD_MACHINE,
          Input: { 'n.$': '$.n', 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' },
        },
        End: true,
        ...extra,
      },
    },
  };
}

function child(
  status: ChildExecutionSummary['status'],
  extra: Partial<ChildExecutionSummary> = {},
): ChildExecutionSummary {
  return {
    executionArn: CHILD,
    stateMachineArn: CHILD_MACHINE,
    name: 'run-1',
    status,
    input: '{"n":1}',
    startDate: 1_700_000_000_000,
    stopDate: 1_700_000_001_000,
    ...extra,
  };
}

describe('service integration Task states', () => {
  it('lambda:invoke: TaskScheduled names the service, the runtime is asked to call it, its answer goes through ResultSelector', () => {
    const h = start(lambdaMachine(), { name: 'x' });
    assert.deepEqual(h.historyFrom(3), [
      [
        'TaskScheduled',
        3,
        2,
        {
          resourceType: 'lambda',
          resource: 'invoke',
          region: 'us-east-1',
          parameters: text({ FunctionName: 'hello', Payload: { name: 'x' } }),
        },
      ],
    ]);
    const call = h.lastCall();
    assert.equal(call.stateName, 'Invoke');
    assert.equal(call.resource, LAMBDA);
    assert.deepEqual(call.parameters, { FunctionName: 'hello', Payload: { name: 'x' } });
    assert.equal(call.invocation, undefined, 'only executions with a test case count invocations');
    assert.ok(
      [...h.timers.values()].some((t) => t.kind === 'integration'),
      'a guard stands for the call',
    );

    const response = { StatusCode: 200, Payload: { body: 'hi' } };
    assert.ok(h.deliver({ type: 'IntegrationSucceeded', token: call.token, output: response }).ok);
    assert.deepEqual(h.historyFrom(4), [
      ['TaskStarted', 4, 3, { resourceType: 'lambda', resource: 'invoke' }],
      [
        'TaskSucceeded',
        5,
        4,
        {
          resourceType: 'lambda',
          resource: 'invoke',
          output: text(response),
          outputDetails: { truncated: false },
        },
      ],
      ['TaskStateExited', 6, 5, exited('Invoke', { body: 'hi' })],
      ['ExecutionSucceeded', 7, 6, { output: text({ body: 'hi' }), outputDetails: { truncated: false } }],
    ]);
    assert.equal(h.timers.size, 0, 'the guard went with the task');
    assert.equal(
      rejected(h.deliver({ type: 'IntegrationSucceeded', token: call.token, output: {} })),
      'TaskTimedOut',
    );
  });

  it('a failure is retried (a new TaskScheduled each attempt) and then caught; invocations count across retries', () => {
    const h = start(
      lambdaMachine({
        Retry: [{ ErrorEquals: ['Lambda.TimeoutException'], IntervalSeconds: 2, MaxAttempts: 1 }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught', ResultPath: '$.error' }],
        End: undefined,
        Next: 'Done',
      }),
      {},
      { testCase: 'RetryPath' },
    );
    const first = h.lastCall();
    assert.equal(first.invocation, 0);
    h.deliver({
      type: 'IntegrationFailed',
      token: first.token,
      error: 'Lambda.TimeoutException',
      cause: 'slow',
    });
    h.advance(2);
    const second = h.lastCall();
    assert.notEqual(second.token, first.token);
    assert.equal(second.invocation, 1);
    h.deliver({
      type: 'IntegrationFailed',
      token: second.token,
      error: 'Lambda.TimeoutException',
      cause: 'slow',
    });
    assert.deepEqual(
      h.history().map(([type]) => type),
      [
        'ExecutionStarted',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskFailed',
        'TaskScheduled',
        'TaskStarted',
        'TaskFailed',
        'TaskStateExited',
        'PassStateEntered',
        'PassStateExited',
        'ExecutionSucceeded',
      ],
    );
    assert.deepEqual(h.historyFrom(5)[0], [
      'TaskFailed',
      5,
      4,
      { resourceType: 'lambda', resource: 'invoke', error: 'Lambda.TimeoutException', cause: 'slow' },
    ]);
    assert.deepEqual(h.output(), { error: { Error: 'Lambda.TimeoutException', Cause: 'slow' } });
  });

  it('a call nothing can make is TaskStartFailed with States.Runtime: no Retry or Catch, the execution fails', () => {
    const h = start(
      lambdaMachine({
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
        End: undefined,
        Next: 'Done',
      }),
      {},
    );
    const call = h.lastCall();
    h.deliver({
      type: 'IntegrationFailed',
      token: call.token,
      error: 'States.Runtime',
      cause: 'nope',
      notStarted: true,
    });
    const cause = prefixed('Invoke', 2, 'nope');
    assert.deepEqual(h.historyFrom(4), [
      [
        'TaskStartFailed',
        4,
        3,
        { resourceType: 'lambda', resource: 'invoke', error: 'States.Runtime', cause },
      ],
      ['ExecutionFailed', 5, 4, { error: 'States.Runtime', cause }],
    ]);
    assert.equal(h.status, 'FAILED');
  });

  it('invocations count across later visits of a state, through other states in between', () => {
    const h = start(
      {
        StartAt: 'Invoke',
        States: {
          Invoke: { Type: 'Task', Resource: LAMBDA, Parameters: { FunctionName: 'f' }, Next: 'Between' },
          Between: { Type: 'Pass', Next: 'Again' },
          Again: {
            Type: 'Choice',
            Choices: [{ Variable: '$.Payload.again', BooleanEquals: true, Next: 'Invoke' }],
            Default: 'Done',
          },
          Done: { Type: 'Succeed' },
        },
      },
      {},
      { testCase: 'Loop' },
    );
    const first = h.lastCall();
    assert.equal(first.invocation, 0);
    assert.ok(
      h.deliver({ type: 'IntegrationSucceeded', token: first.token, output: { Payload: { again: true } } })
        .ok,
    );
    const second = h.lastCall();
    assert.notEqual(second.token, first.token);
    assert.equal(second.invocation, 1, 'the second visit is the second invocation');
    assert.ok(
      h.deliver({ type: 'IntegrationSucceeded', token: second.token, output: { Payload: { again: false } } })
        .ok,
    );
    assert.equal(h.status, 'SUCCEEDED');
  });

  it('the guard makes the call again when the runtime has not answered, keeping the invocation', () => {
    const h = start(lambdaMachine(), {}, { testCase: 'HappyPath' });
    const call = h.lastCall();
    h.advance(GUARD_MS / 1000);
    assert.equal(h.calls.length, 2);
    assert.deepEqual(h.lastCall(), call, 'the same call: same token, same invocation');
    assert.equal(h.events.length, 3, 'no history for a repeated call');
    assert.ok(
      h.deliver({ type: 'IntegrationSucceeded', token: call.token, output: { Payload: { body: 'x' } } }).ok,
    );
    assert.equal(h.status, 'SUCCEEDED');
  });

  it('a Lambda function by ARN writes the LambdaFunction… events and returns its result as is', () => {
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:hello';
    const h = start(
      { StartAt: 'L', States: { L: { Type: 'Task', Resource: arn, TimeoutSeconds: 5, End: true } } },
      { a: 1 },
    );
    const call = h.lastCall();
    h.deliver({ type: 'IntegrationSucceeded', token: call.token, output: { b: 2 } });
    assert.deepEqual(h.historyFrom(3), [
      [
        'LambdaFunctionScheduled',
        3,
        2,
        { resource: arn, input: text({ a: 1 }), inputDetails: { truncated: false }, timeoutInSeconds: 5 },
      ],
      ['LambdaFunctionStarted', 4, 3, undefined],
      ['LambdaFunctionSucceeded', 5, 4, { output: text({ b: 2 }), outputDetails: { truncated: false } }],
      ['TaskStateExited', 6, 5, exited('L', { b: 2 })],
      ['ExecutionSucceeded', 7, 6, { output: text({ b: 2 }), outputDetails: { truncated: false } }],
    ]);
  });

  it('TimeoutSeconds: TaskTimedOut with States.Timeout', () => {
    const h = start(lambdaMachine({ TimeoutSeconds: 3 }), {});
    h.advance(3);
    assert.deepEqual(h.historyFrom(4), [
      ['TaskTimedOut', 4, 3, { resourceType: 'lambda', resource: 'invoke', error: 'States.Timeout' }],
      ['ExecutionFailed', 5, 4, { error: 'States.Timeout' }],
    ]);
    assert.equal(h.timers.size, 0);
  });
});

describe('nested executions (states:startExecution)', () => {
  const submittedOutput = { ExecutionArn: CHILD, StartDate: 1_700_000_000_000 };

  it('request-response: the StartExecution response is the result; $$.Execution.Id links the child', () => {
    const h = start(nested('startExecution'), { n: 1 });
    const call = h.lastCall();
    assert.deepEqual(call.parameters, {
      StateMachineArn: CHILD_MACHINE,
      Input: { n: 1, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: EXECUTION_ARN },
    });
    assert.deepEqual(h.historyFrom(3)[0]?.[3], {
      resourceType: 'states',
      resource: 'startExecution',
      region: 'us-east-1',
      parameters: text(call.parameters),
    });
    h.deliver({ type: 'IntegrationSucceeded', token: call.token, output: submittedOutput });
    assert.deepEqual(h.output(), submittedOutput);
  });

  it('.sync: TaskSubmitted, then the child’s DescribeExecution with Input and Output as text', () => {
    const h = start(nested('startExecution.sync'), { n: 1 });
    const call = h.lastCall();
    // The child's end before the submission is recorded is not for this task yet.
    h.deliver({
      type: 'ChildExecutionEnded',
      token: call.token,
      child: child('SUCCEEDED', { output: '{"r":2}' }),
    });
    assert.equal(h.events.length, 3);
    h.deliver({
      type: 'IntegrationSubmitted',
      token: call.token,
      output: submittedOutput,
      childExecutionArn: CHILD,
    });
    h.deliver({
      type: 'IntegrationSubmitted',
      token: call.token,
      output: submittedOutput,
      childExecutionArn: CHILD,
    });
    assert.deepEqual(h.historyFrom(4), [
      ['TaskStarted', 4, 3, { resourceType: 'states', resource: 'startExecution.sync' }],
      [
        'TaskSubmitted',
        5,
        4,
        {
          resourceType: 'states',
          resource: 'startExecution.sync',
          output: text(submittedOutput),
          outputDetails: { truncated: false },
        },
      ],
    ]);
    // While it waits, the guard keeps looking at the child.
    h.advance(GUARD_MS / 1000);
    assert.equal(h.lastCall().childExecutionArn, CHILD);
    assert.equal(h.lastCall().submitted, true);
    h.deliver({
      type: 'ChildExecutionEnded',
      token: call.token,
      child: child('SUCCEEDED', { output: '{"r":2}' }),
    });
    assert.deepEqual(h.output(), {
      ExecutionArn: CHILD,
      Input: '{"n":1}',
      InputDetails: { Included: true },
      Name: 'run-1',
      Output: '{"r":2}',
      OutputDetails: { Included: true },
      StartDate: 1_700_000_000_000,
      StateMachineArn: CHILD_MACHINE,
      Status: 'SUCCEEDED',
      StopDate: 1_700_000_001_000,
    });
    assert.deepEqual(Object.keys(h.output() as object), [
      'ExecutionArn',
      'Input',
      'InputDetails',
      'Name',
      'Output',
      'OutputDetails',
      'StartDate',
      'StateMachineArn',
      'Status',
      'StopDate',
    ]);
    assert.equal(h.timers.size, 0);
  });

  it('.sync:2: Input and Output as JSON', () => {
    const h = start(nested('startExecution.sync:2'), { n: 1 });
    const { token } = h.lastCall();
    h.deliver({ type: 'IntegrationSubmitted', token, output: submittedOutput, childExecutionArn: CHILD });
    h.deliver({ type: 'ChildExecutionEnded', token, child: child('SUCCEEDED', { output: '{"r":2}' }) });
    const output = h.output() as Record<string, Json>;
    assert.deepEqual(output['Input'], { n: 1 });
    assert.deepEqual(output['Output'], { r: 2 });
  });

  it('a child that fails fails the task with States.TaskFailed and the child’s description as cause', () => {
    const h = start(nested('startExecution.sync'), { n: 1 });
    const { token } = h.lastCall();
    h.deliver({ type: 'IntegrationSubmitted', token, output: submittedOutput, childExecutionArn: CHILD });
    h.deliver({
      type: 'ChildExecutionEnded',
      token,
      child: child('FAILED', { error: 'Boom', cause: 'it broke' }),
    });
    const cause = text({
      Cause: 'it broke',
      Error: 'Boom',
      ExecutionArn: CHILD,
      Input: '{"n":1}',
      InputDetails: { Included: true },
      Name: 'run-1',
      StartDate: 1_700_000_000_000,
      StateMachineArn: CHILD_MACHINE,
      Status: 'FAILED',
      StopDate: 1_700_000_001_000,
    });
    assert.deepEqual(h.historyFrom(6), [
      [
        'TaskFailed',
        6,
        5,
        { resourceType: 'states', resource: 'startExecution.sync', error: 'States.TaskFailed', cause },
      ],
      ['ExecutionFailed', 7, 6, { error: 'States.TaskFailed', cause }],
    ]);
  });

  it('stopping the parent stops a .sync child; a .waitForTaskToken child is left alone', () => {
    const sync = start(nested('startExecution.sync'), { n: 1 });
    sync.deliver({
      type: 'IntegrationSubmitted',
      token: sync.lastCall().token,
      output: submittedOutput,
      childExecutionArn: CHILD,
    });
    sync.stop();
    assert.deepEqual(sync.childrenStopped, [CHILD]);
    assert.equal(sync.timers.size, 0);

    const callback = start(nested('startExecution.waitForTaskToken'), { n: 1 });
    callback.deliver({
      type: 'IntegrationSubmitted',
      token: callback.lastCall().token,
      output: submittedOutput,
      childExecutionArn: CHILD,
    });
    callback.stop();
    assert.deepEqual(callback.childrenStopped, []);
  });

  it('a .sync task that times out stops its child', () => {
    const h = start(nested('startExecution.sync', { TimeoutSeconds: 10 }), { n: 1 });
    h.deliver({
      type: 'IntegrationSubmitted',
      token: h.lastCall().token,
      output: submittedOutput,
      childExecutionArn: CHILD,
    });
    h.advance(10);
    assert.deepEqual(h.childrenStopped, [CHILD]);
    assert.equal(h.status, 'FAILED');
  });

  it('.waitForTaskToken: $$.Task.Token is the call’s token, and SendTaskSuccess ends the task', () => {
    const h = start(
      nested('startExecution.waitForTaskToken', {
        Parameters: { StateMachineArn: CHILD_MACHINE, Input: { 'token.$': '$$.Task.Token' } },
        HeartbeatSeconds: 30,
      }),
      {},
    );
    const call = h.lastCall();
    assert.deepEqual(call.parameters, { StateMachineArn: CHILD_MACHINE, Input: { token: call.token } });
    assert.equal(h.historyFrom(3)[0]?.[3]?.['heartbeatInSeconds'], 30);
    h.deliver({
      type: 'IntegrationSubmitted',
      token: call.token,
      output: submittedOutput,
      childExecutionArn: CHILD,
    });
    assert.equal(
      [...h.timers.values()].filter((t) => t.kind === 'integration').length,
      0,
      'nothing left for the runtime to watch',
    );
    h.advance(20);
    assert.ok(h.heartbeat(call.token).ok);
    h.advance(20);
    assert.equal(h.status, 'RUNNING', 'the heartbeat pushed the deadline back');
    assert.ok(h.succeed(call.token, { done: true }).ok);
    assert.deepEqual(h.historyFrom(6), [
      [
        'TaskSucceeded',
        6,
        5,
        {
          resourceType: 'states',
          resource: 'startExecution.waitForTaskToken',
          output: text({ done: true }),
          outputDetails: { truncated: false },
        },
      ],
      ['TaskStateExited', 7, 6, exited('Run', { done: true })],
      ['ExecutionSucceeded', 8, 7, { output: text({ done: true }), outputDetails: { truncated: false } }],
    ]);
  });

  it('SendTask* cannot answer a task that is not a callback', () => {
    const h = start(nested('startExecution.sync'), { n: 1 });
    const { token } = h.lastCall();
    assert.equal(rejected(h.succeed(token, {})), 'TaskTimedOut');
    assert.equal(rejected(h.fail(token, 'E')), 'TaskTimedOut');
    assert.equal(rejected(h.deliver({ type: 'ActivityStarted', token })), 'TaskTimedOut');
  });

  it('JSONata: Arguments, $states.context.Task.Token and Output', () => {
    const h = start(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Run',
        States: {
          Run: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
            Arguments: {
              MessageBody: { token: '{% $states.context.Task.Token %}', n: '{% $states.input.n %}' },
            },
            Output: '{% $states.result.answer %}',
            End: true,
          },
        },
      },
      { n: 3 },
    );
    const call = h.lastCall();
    assert.deepEqual(call.parameters, { MessageBody: { token: call.token, n: 3 } });
    h.deliver({ type: 'IntegrationSucceeded', token: call.token, output: { answer: 42 } });
    assert.deepEqual(h.output(), 42);
  });

  it('Map iterations count invocations of the same state across iterations', () => {
    const h = start(
      {
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            MaxConcurrency: 1,
            ItemProcessor: {
              StartAt: 'Invoke',
              States: { Invoke: { Type: 'Task', Resource: LAMBDA, End: true } },
            },
            End: true,
          },
        },
      },
      [1, 2],
      { testCase: 'T' },
    );
    const first = h.lastCall();
    assert.equal(first.invocation, 0);
    h.deliver({ type: 'IntegrationSucceeded', token: first.token, output: 'a' });
    const second = h.lastCall();
    assert.equal(second.invocation, 1);
    h.deliver({ type: 'IntegrationSucceeded', token: second.token, output: 'b' });
    assert.deepEqual(h.output(), ['a', 'b']);
    assert.deepEqual(h.history()[1], ['MapStateEntered', 2, 0, entered('M', [1, 2])]);
  });
});

describe('which Task resources run', () => {
  it('parses integrations, patterns and Lambda ARNs', () => {
    assert.deepEqual(parseTaskResource('arn:aws:states:::states:startExecution.sync:2'), {
      kind: 'integration',
      arn: 'arn:aws:states:::states:startExecution.sync:2',
      resourceType: 'states',
      resource: 'startExecution.sync:2',
      action: 'startExecution',
      pattern: 'sync2',
    });
    const sdk = parseTaskResource('arn:aws:states:::aws-sdk:s3:getObject');
    assert.equal(
      sdk?.kind === 'integration' ? `${sdk.resourceType}/${sdk.resource}` : '',
      'aws-sdk:s3/getObject',
    );
    assert.equal(parseTaskResource('arn:aws:lambda:us-east-1:123456789012:function:f:prod')?.kind, 'lambda');
    assert.equal(parseTaskResource(`arn:aws:states:${REGION_ACCOUNT}:activity:a`)?.kind, 'activity');
    assert.equal(parseTaskResource('arn:aws:sns:us-east-1:123456789012:topic'), undefined);
  });

  it('CreateStateMachine accepts integrations and Lambda functions, still refuses other resources', () => {
    const ok = parseDefinition({
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Resource: LAMBDA, Next: 'B' },
        B: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f', End: true },
      },
    });
    assert.deepEqual(unsupportedFeatures(ok), []);
    const refused = parseDefinition({
      StartAt: 'A',
      States: { A: { Type: 'Task', Resource: 'arn:aws:sns:us-east-1:123456789012:topic', End: true } },
    });
    assert.deepEqual(
      unsupportedFeatures(refused).map((d) => [d.code, d.location]),
      [['UNSUPPORTED_FEATURE', '/States/A/Resource']],
    );
  });
});
