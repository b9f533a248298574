/**
 * Service-integration Task states on a real server, through boto3 and @aws-sdk/client-sfn:
 * mocked integrations as in AWS Step Functions Local (a mock config, StartExecution on
 * `<state machine ARN>#<test case>`), nested executions (`states:startExecution` and its
 * `.sync`, `.sync:2`, `.waitForTaskToken` forms) run for real, and a parent waiting on a `.sync`
 * child across a kill -9 of the server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import {
  PublishStateMachineVersionCommand,
  RedriveExecutionCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StopExecutionCommand,
  CreateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { SFNClient as Client } from '@aws-sdk/client-sfn';
import { MockConfig } from '../src/runtime/mocks.js';
import { REPO_ROOT, awsEnv, sdkClient, spawnServer, startTestServer, tempDir } from './helpers/server.js';
import type { ChildServer, TestServer } from './helpers/server.js';
import {
  ROLE,
  assertWellFormed,
  createActivity,
  createMachine,
  describeExecution,
  eventOf,
  history,
  pollUntilTask,
  start,
  types,
  unique,
  waitForEnd,
  waitForEvent,
} from './helpers/sfn.js';

const run = promisify(execFile);
const LAMBDA = 'arn:aws:states:::lambda:invoke';
const HELLO = { StatusCode: 200, Payload: { StatusCode: 200, body: 'Hello from Lambda!' } };

/** The Step Functions Local guide's example, with its state machine named per test run. */
function mockConfig(machine: string): object {
  return {
    StateMachines: {
      [machine]: {
        TestCases: {
          HappyPath: { LambdaState: 'MockedLambdaSuccess', SQSState: 'MockedSQSSuccess' },
          RetryPath: { LambdaState: 'MockedLambdaRetry', SQSState: 'MockedSQSSuccess' },
          HybridPath: { LambdaState: 'MockedLambdaSuccess' },
          CatchPath: { LambdaState: 'MockedLambdaNotReady' },
          Exhausted: { LambdaState: 'MockedLambdaNotReadyOnce' },
        },
      },
      [`${machine}-redrive`]: { TestCases: { FailOnce: { Call: 'MockedFailsThenReturns' } } },
      [`${machine}-callback`]: {
        TestCases: {
          Approved: { AskApproval: 'ApprovalGiven' },
          Refused: { AskApproval: 'ApprovalRefused' },
        },
      },
    },
    MockedResponses: {
      MockedLambdaSuccess: { '0': { Return: HELLO } },
      MockedLambdaNotReady: {
        '0-9': {
          Throw: { Error: 'Lambda.ResourceNotReadyException', Cause: 'Lambda resource is not ready.' },
        },
      },
      MockedLambdaNotReadyOnce: {
        '0': { Throw: { Error: 'Lambda.ResourceNotReadyException', Cause: 'Lambda resource is not ready.' } },
      },
      MockedFailsThenReturns: {
        '0': { Throw: { Error: 'Lambda.ServiceException', Cause: 'boom' } },
        '1': { Return: HELLO },
      },
      MockedSQSSuccess: { '0': { Return: { MD5OfMessageBody: '3bcb6e8e', MessageId: '3bcb6e8e-8b51' } } },
      ApprovalGiven: { '0': { Return: { approved: true } } },
      ApprovalRefused: { '0': { Throw: { Error: 'Refused', Cause: 'not today' } } },
      MockedLambdaRetry: {
        '0': { Throw: { Error: 'Lambda.ResourceNotReadyException', Cause: 'Lambda resource is not ready.' } },
        '1-2': { Throw: { Error: 'Lambda.TimeoutException', Cause: 'Lambda timed out.' } },
        '3': { Return: HELLO },
      },
    },
  };
}

/** LambdaState (retried on any error, caught when it keeps failing) then SQSState. */
function lambdaSqs(): object {
  return {
    StartAt: 'LambdaState',
    States: {
      LambdaState: {
        Type: 'Task',
        Resource: LAMBDA,
        Parameters: { 'Payload.$': '$', FunctionName: 'HelloWorldFunction' },
        ResultSelector: { 'body.$': '$.Payload.body' },
        Retry: [
          {
            ErrorEquals: ['Lambda.TimeoutException', 'Lambda.ResourceNotReadyException'],
            IntervalSeconds: 1,
            MaxAttempts: 3,
            BackoffRate: 1,
          },
        ],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
        Next: 'SQSState',
      },
      SQSState: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage',
        Parameters: {
          QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/myQueue',
          'MessageBody.$': '$',
        },
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  };
}

function detailsOf(event: HistoryEvent): Record<string, unknown> {
  const member = Object.entries(event).find(([key]) => key.endsWith('EventDetails'));
  return (member?.[1] ?? {}) as Record<string, unknown>;
}

describe('mocked service integrations (Step Functions Local mock config)', () => {
  const machineName = unique('LambdaSQSIntegration');
  let server: TestServer;
  let client: SFNClient;
  let machine: string;

  before(async () => {
    server = await startTestServer({ mocks: MockConfig.parse(JSON.stringify(mockConfig(machineName))) });
    client = sdkClient(server.url);
    const created = await client.send(
      new CreateStateMachineCommand({
        name: machineName,
        definition: JSON.stringify(lambdaSqs()),
        roleArn: ROLE,
      }),
    );
    machine = created.stateMachineArn!;
  });
  after(async () => {
    client?.destroy();
    await server?.stop();
  });

  test('boto3: HappyPath answers both states from their mocks, with the history AWS writes', async () => {
    const script = `
import json, sys, time, boto3
c = boto3.client('stepfunctions', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='t', aws_secret_access_key='t')
arn = c.start_execution(stateMachineArn=sys.argv[2] + '#HappyPath', name='happy', input='{"who":"me"}')['executionArn']
while c.describe_execution(executionArn=arn)['status'] == 'RUNNING':
    time.sleep(0.05)
d = c.describe_execution(executionArn=arn)
h = c.get_execution_history(executionArn=arn)['events']
print(json.dumps({'arn': arn, 'sm': d['stateMachineArn'], 'status': d['status'], 'output': d.get('output'),
                  'events': [{k: v for k, v in e.items() if k != 'timestamp'} for e in h]}))
`;
    const { stdout } = await run('python3', ['-c', script, server.url, machine], { env: awsEnv(server.url) });
    const result = JSON.parse(stdout) as {
      arn: string;
      sm: string;
      status: string;
      output: string;
      events: Record<string, unknown>[];
    };
    // As Step Functions Local records it: the execution belongs to the plain state machine.
    assert.equal(result.arn, machine.replace(':stateMachine:', ':execution:') + ':happy');
    assert.equal(result.sm, machine);
    assert.equal(result.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(result.output), { MD5OfMessageBody: '3bcb6e8e', MessageId: '3bcb6e8e-8b51' });
    assert.deepEqual(
      result.events.map((e) => e['type']),
      [
        'ExecutionStarted',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSucceeded',
        'TaskStateExited',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSucceeded',
        'TaskStateExited',
        'ExecutionSucceeded',
      ],
    );
    assert.deepEqual(result.events[2], {
      id: 3,
      previousEventId: 2,
      type: 'TaskScheduled',
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        region: 'us-east-1',
        parameters: JSON.stringify({ Payload: { who: 'me' }, FunctionName: 'HelloWorldFunction' }),
      },
    });
    assert.deepEqual(result.events[3], {
      id: 4,
      previousEventId: 3,
      type: 'TaskStarted',
      taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' },
    });
    assert.deepEqual(result.events[4], {
      id: 5,
      previousEventId: 4,
      type: 'TaskSucceeded',
      taskSucceededEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        output: JSON.stringify(HELLO),
        outputDetails: { truncated: false },
      },
    });
    assert.deepEqual(result.events[5]?.['stateExitedEventDetails'], {
      name: 'LambdaState',
      output: JSON.stringify({ body: 'Hello from Lambda!' }),
      outputDetails: { truncated: false },
    });
  });

  test('RetryPath: Throw on invocations 0, 1 and 2 are retried, invocation 3 returns', async () => {
    const arn = await start(client, `${machine}#RetryPath`, {});
    const done = await waitForEnd(client, arn, 20_000);
    assert.equal(done.status, 'SUCCEEDED');
    assert.equal(done.stateMachineArn, machine);
    const events = await history(client, arn);
    assertWellFormed(events);
    const lambda = events.filter((e) => detailsOf(e)['resourceType'] === 'lambda');
    assert.deepEqual(types(lambda), [
      ...['TaskScheduled', 'TaskStarted', 'TaskFailed'],
      ...['TaskScheduled', 'TaskStarted', 'TaskFailed'],
      ...['TaskScheduled', 'TaskStarted', 'TaskFailed'],
      ...['TaskScheduled', 'TaskStarted', 'TaskSucceeded'],
    ]);
    assert.deepEqual(
      events.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails?.error),
      ['Lambda.ResourceNotReadyException', 'Lambda.TimeoutException', 'Lambda.TimeoutException'],
    );
    assert.equal(
      eventOf(events, 'TaskFailed').taskFailedEventDetails?.cause,
      'Lambda resource is not ready.',
    );
  });

  test('CatchPath: a Throw the retries cannot get past is caught', async () => {
    const arn = await start(client, `${machine}#CatchPath`, { a: 1 });
    const done = await waitForEnd(client, arn, 20_000);
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(done.output!), {
      a: 1,
      error: { Error: 'Lambda.ResourceNotReadyException', Cause: 'Lambda resource is not ready.' },
    });
    assert.equal(types(await history(client, arn)).filter((t) => t === 'TaskFailed').length, 4);
  });

  test('a mocked response without an answer for the invocation fails the execution (States.Runtime)', async () => {
    const arn = await start(client, `${machine}#Exhausted`, {});
    const done = await waitForEnd(client, arn, 20_000);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.error, 'States.Runtime');
    assert.match(done.cause ?? '', /has no response for invocation 1/);
    const events = await history(client, arn);
    assert.deepEqual(types(events).slice(-2), ['TaskStartFailed', 'ExecutionFailed']);
  });

  test('a redriven execution goes on counting invocations: the failed call is invocation 0, the redrive 1', async () => {
    const created = await client.send(
      new CreateStateMachineCommand({
        name: `${machineName}-redrive`,
        definition: JSON.stringify({
          StartAt: 'Call',
          States: { Call: { Type: 'Task', Resource: LAMBDA, Parameters: { FunctionName: 'f' }, End: true } },
        }),
        roleArn: ROLE,
      }),
    );
    const arn = await start(client, `${created.stateMachineArn!}#FailOnce`, {});
    const failed = await waitForEnd(client, arn, 20_000);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error, 'Lambda.ServiceException');
    await client.send(new RedriveExecutionCommand({ executionArn: arn }));
    const done = await waitForEnd(client, arn, 20_000);
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(done.output ?? 'null'), HELLO);
    assert.equal(done.redriveCount, 1);
  });

  test('a state the test case does not map cannot be called: States.Runtime says how to mock it', async () => {
    const hybrid = await waitForEnd(client, await start(client, `${machine}#HybridPath`, {}));
    assert.equal(hybrid.status, 'FAILED');
    assert.equal(hybrid.error, 'States.Runtime');
    assert.match(
      hybrid.cause ?? '',
      /^An error occurred while executing the state 'SQSState' \(entered at the event id #\d+\)\. Stepwise cannot call the resource arn:aws:states:::sqs:sendMessage: .* The mock test case 'HybridPath' .* does not map the state 'SQSState'/,
    );
    const plain = await waitForEnd(client, await start(client, machine, {}));
    assert.equal(plain.error, 'States.Runtime', 'Catch on States.ALL does not catch it');
    assert.match(plain.cause ?? '', /--mock-config FILE, or SFN_MOCK_CONFIG/);
    assert.match(plain.cause ?? '', new RegExp(`start the execution on '${machine}#<test case>'`));
  });

  test('an unknown test case is refused at StartExecution', async () => {
    await assert.rejects(client.send(new StartExecutionCommand({ stateMachineArn: `${machine}#Nope` })), {
      name: 'ValidationException',
      message: `The mock config defines no test case 'Nope' for the state machine '${machineName}'`,
    });
  });

  test('.waitForTaskToken: the mock’s Return is the callback’s result, its Throw the callback’s failure', async () => {
    const created = await client.send(
      new CreateStateMachineCommand({
        name: `${machineName}-callback`,
        roleArn: ROLE,
        definition: JSON.stringify({
          StartAt: 'AskApproval',
          States: {
            AskApproval: {
              Type: 'Task',
              Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
              Parameters: {
                QueueUrl: 'https://sqs.example/approvals',
                MessageBody: { 'token.$': '$$.Task.Token' },
              },
              ResultPath: '$.approval',
              End: true,
            },
          },
        }),
      }),
    );
    const approved = await start(client, `${created.stateMachineArn}#Approved`, { order: 1 });
    const done = await waitForEnd(client, approved);
    assert.deepEqual(JSON.parse(done.output!), { order: 1, approval: { approved: true } });
    const events = await history(client, approved);
    assert.deepEqual(types(events).slice(2, -2), ['TaskScheduled', 'TaskStarted', 'TaskSucceeded']);
    const parameters = JSON.parse(
      eventOf(events, 'TaskScheduled').taskScheduledEventDetails!.parameters!,
    ) as {
      MessageBody: { token: string };
    };
    assert.match(parameters.MessageBody.token, /^sw1\./, 'a task token is generated for the mocked call');
    assert.equal(
      eventOf(events, 'TaskScheduled').taskScheduledEventDetails?.resource,
      'sendMessage.waitForTaskToken',
    );

    const refused = await waitForEnd(client, await start(client, `${created.stateMachineArn}#Refused`, {}));
    assert.equal(refused.error, 'Refused');
    assert.equal(refused.cause, 'not today');
  });

  test('EXPRESS machines run test cases too (StartSyncExecution)', async () => {
    const name = unique('Express');
    const config = MockConfig.parse(
      JSON.stringify({
        StateMachines: { [name]: { TestCases: { T: { Invoke: 'Ok' } } } },
        MockedResponses: { Ok: { '0': { Return: { Payload: 7 } } } },
      }),
    );
    const express = await startTestServer({ mocks: config });
    const sync = new Client({
      endpoint: express.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 't', secretAccessKey: 't' },
      disableHostPrefix: true,
    });
    try {
      const created = await sync.send(
        new CreateStateMachineCommand({
          name,
          type: 'EXPRESS',
          roleArn: ROLE,
          definition: JSON.stringify({
            StartAt: 'Invoke',
            States: { Invoke: { Type: 'Task', Resource: LAMBDA, OutputPath: '$.Payload', End: true } },
          }),
        }),
      );
      const out = await sync.send(
        new StartSyncExecutionCommand({ stateMachineArn: `${created.stateMachineArn}#T` }),
      );
      assert.equal(out.status, 'SUCCEEDED');
      assert.equal(out.output, '7');
    } finally {
      sync.destroy();
      await express.stop();
    }
  });
});

describe('a server without a mock config', () => {
  test('refuses test cases, and a Lambda Task fails saying how to mock it', async () => {
    const server = await startTestServer();
    const client = sdkClient(server.url);
    try {
      const machine = await createMachine(client, {
        StartAt: 'L',
        States: {
          L: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f', End: true },
        },
      });
      await assert.rejects(client.send(new StartExecutionCommand({ stateMachineArn: `${machine}#Any` })), {
        name: 'ValidationException',
        message:
          "Cannot run the test case 'Any': this server has no mock config (start it with --mock-config FILE, or set SFN_MOCK_CONFIG)",
      });
      const arn = await start(client, machine, {});
      const done = await waitForEnd(client, arn);
      assert.equal(done.error, 'States.Runtime');
      assert.deepEqual(types(await history(client, arn)), [
        'ExecutionStarted',
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStartFailed',
        'ExecutionFailed',
      ]);
    } finally {
      client.destroy();
      await server.stop();
    }
  });
});

describe('nested executions (states:startExecution)', () => {
  let server: TestServer;
  let client: SFNClient;
  let echo: string;
  let failing: string;

  before(async () => {
    server = await startTestServer();
    client = sdkClient(server.url);
    echo = await createMachine(
      client,
      { StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'got.$': '$' }, End: true } } },
      'echo',
    );
    failing = await createMachine(
      client,
      { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'Boom', Cause: 'it broke' } } },
      'failing',
    );
  });
  after(async () => {
    client?.destroy();
    await server?.stop();
  });

  function parent(resource: string, extra: Record<string, unknown> = {}): object {
    return {
      StartAt: 'Run',
      States: {
        Run: {
          Type: 'Task',
          Resource: `arn:aws:states:::states:${resource}`,
          Parameters: {
            'StateMachineArn.$': '$.target',
            Input: { n: 1, 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' },
          },
          End: true,
          ...extra,
        },
      },
    };
  }

  test('.sync:2: the child’s DescribeExecution with Input and Output as JSON; the child knows its parent', async () => {
    const machine = await createMachine(client, parent('startExecution.sync:2'), 'parent');
    const arn = await start(client, machine, { target: echo });
    const done = await waitForEnd(client, arn);
    assert.equal(done.status, 'SUCCEEDED');
    const output = JSON.parse(done.output!) as Record<string, unknown>;
    const childInput = { n: 1, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: arn };
    assert.deepEqual(Object.keys(output), [
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
    assert.deepEqual(output['Input'], childInput);
    assert.deepEqual(output['Output'], { got: childInput });
    assert.equal(output['Status'], 'SUCCEEDED');
    assert.equal(output['StateMachineArn'], echo);
    assert.equal(typeof output['StartDate'], 'number');
    const child = await describeExecution(client, output['ExecutionArn'] as string);
    assert.deepEqual(JSON.parse(child.input!), childInput);

    const events = await history(client, arn);
    assertWellFormed(events);
    assert.deepEqual(types(events), [
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    const submitted = JSON.parse(
      eventOf(events, 'TaskSubmitted').taskSubmittedEventDetails!.output!,
    ) as Record<string, unknown>;
    assert.deepEqual(Object.keys(submitted), [
      'ExecutionArn',
      'SdkHttpMetadata',
      'SdkResponseMetadata',
      'StartDate',
    ]);
    assert.equal(submitted['ExecutionArn'], output['ExecutionArn']);
  });

  test('a version ARN as StateMachineArn runs that version', async () => {
    const published = await client.send(new PublishStateMachineVersionCommand({ stateMachineArn: echo }));
    const machine = await createMachine(client, parent('startExecution.sync:2'), 'parent');
    const done = await waitForEnd(
      client,
      await start(client, machine, { target: published.stateMachineVersionArn }),
    );
    assert.equal(done.status, 'SUCCEEDED');
    const output = JSON.parse(done.output!) as { ExecutionArn: string; StateMachineArn: string };
    const child = await describeExecution(client, output.ExecutionArn);
    assert.equal(child.stateMachineVersionArn, published.stateMachineVersionArn);
  });

  test('.sync: a failed child fails the task with States.TaskFailed, its description as cause', async () => {
    const machine = await createMachine(client, parent('startExecution.sync'), 'parent');
    const arn = await start(client, machine, { target: failing });
    const done = await waitForEnd(client, arn);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.error, 'States.TaskFailed');
    const cause = JSON.parse(done.cause!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(cause), [
      'Cause',
      'Error',
      'ExecutionArn',
      'Input',
      'InputDetails',
      'Name',
      'StartDate',
      'StateMachineArn',
      'Status',
      'StopDate',
    ]);
    assert.equal(cause['Error'], 'Boom');
    assert.equal(cause['Cause'], 'it broke');
    assert.equal(cause['Status'], 'FAILED');
    assert.equal(typeof cause['Input'], 'string', '.sync gives the input as text');
    const failed = eventOf(await history(client, arn), 'TaskFailed');
    assert.equal(failed.taskFailedEventDetails?.resource, 'startExecution.sync');
    assert.equal(failed.taskFailedEventDetails?.resourceType, 'states');
  });

  test('request-response: the StartExecution response, the child runs on', async () => {
    const machine = await createMachine(
      client,
      parent('startExecution', { Parameters: { 'StateMachineArn.$': '$.target', Name: 'named-child' } }),
      'parent',
    );
    const arn = await start(client, machine, { target: echo });
    const done = await waitForEnd(client, arn);
    const output = JSON.parse(done.output!) as Record<string, unknown>;
    assert.equal(output['ExecutionArn'], echo.replace(':stateMachine:', ':execution:') + ':named-child');
    const child = await waitForEnd(client, output['ExecutionArn']);
    assert.equal(child.status, 'SUCCEEDED');
    assert.equal(child.input, '{}', 'no Input: the child starts with {}');
  });

  test('API errors of the start are TaskFailed with StepFunctions.<Shape>Exception', async () => {
    const machine = await createMachine(client, parent('startExecution.sync'), 'parent');
    const missing = echo.replace(/:stateMachine:.*/, ':stateMachine:nope');
    const done = await waitForEnd(client, await start(client, machine, { target: missing }));
    assert.equal(done.error, 'StepFunctions.StateMachineDoesNotExistException');
    assert.match(
      done.cause ?? '',
      new RegExp(
        `^State Machine Does Not Exist: '${missing}' \\(Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: [0-9a-f-]+; Proxy: null\\)$`,
      ),
    );
  });

  test('stopping a parent stops its .sync child', async () => {
    const activity = await createActivity(client);
    const slow = await createMachine(
      client,
      { StartAt: 'W', States: { W: { Type: 'Task', Resource: activity, End: true } } },
      'slow',
    );
    const machine = await createMachine(client, parent('startExecution.sync'), 'parent');
    const arn = await start(client, machine, { target: slow });
    const events = await waitForEvent(client, arn, 'TaskSubmitted');
    const childArn = (
      JSON.parse(eventOf(events, 'TaskSubmitted').taskSubmittedEventDetails!.output!) as {
        ExecutionArn: string;
      }
    ).ExecutionArn;
    await client.send(new StopExecutionCommand({ executionArn: arn }));
    const child = await waitForEnd(client, childArn);
    assert.equal(child.status, 'ABORTED');
  });

  test('.waitForTaskToken: the child gets $$.Task.Token, SendTaskSuccess with it ends the task', async () => {
    const machine = await createMachine(
      client,
      parent('startExecution.waitForTaskToken', {
        Parameters: { 'StateMachineArn.$': '$.target', Input: { 'token.$': '$$.Task.Token' } },
      }),
      'parent',
    );
    const arn = await start(client, machine, { target: echo });
    const events = await waitForEvent(client, arn, 'TaskSubmitted');
    const childArn = (
      JSON.parse(eventOf(events, 'TaskSubmitted').taskSubmittedEventDetails!.output!) as {
        ExecutionArn: string;
      }
    ).ExecutionArn;
    const child = await waitForEnd(client, childArn);
    const { token } = JSON.parse(child.input!) as { token: string };
    assert.equal(
      (await describeExecution(client, arn)).status,
      'RUNNING',
      'the child’s end does not end the task',
    );
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"answer":42}' }));
    const done = await waitForEnd(client, arn);
    assert.deepEqual(JSON.parse(done.output!), { answer: 42 });
    assert.deepEqual(types(await history(client, arn)).slice(2, 6), [
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
    ]);
  });
});

describe('durability: a parent waiting on a .sync child survives kill -9 (SQLite)', () => {
  const dir = tempDir('stepwise-nested-');
  let server: ChildServer | undefined;
  let client: SFNClient | undefined;
  after(async () => {
    client?.destroy();
    await server?.kill('SIGKILL');
    dir.remove();
  });

  test('the child’s end reaches the parent after the restart', async () => {
    server = await spawnServer(dir.path);
    client = sdkClient(server.url);
    const activity = await createActivity(client);
    const child = await createMachine(
      client,
      { StartAt: 'W', States: { W: { Type: 'Task', Resource: activity, End: true } } },
      'child',
    );
    const machine = await createMachine(
      client,
      {
        StartAt: 'Run',
        States: {
          Run: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Parameters: { StateMachineArn: child, 'Input.$': '$' },
            End: true,
          },
        },
      },
      'parent',
    );
    const arn = await start(client, machine, { n: 7 });
    await waitForEvent(client, arn, 'TaskSubmitted');
    await server.kill('SIGKILL');
    client.destroy();

    server = await spawnServer(dir.path);
    client = sdkClient(server.url);
    const task = await pollUntilTask(client, activity);
    assert.deepEqual(JSON.parse(task.input), { n: 7 });
    await client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{"done":true}' }));
    const done = await waitForEnd(client, arn);
    assert.equal(done.status, 'SUCCEEDED');
    const output = JSON.parse(done.output!) as Record<string, unknown>;
    assert.deepEqual(output['Output'], { done: true });
    assert.deepEqual(output['Input'], { n: 7 });
    assertWellFormed(await history(client, arn));
  });
});

test('CLI: stepwise run mocks a Lambda Task from the test case', async () => {
  const dir = tempDir('stepwise-cli-mock-');
  try {
    const definition = join(dir.path, 'hello.json');
    writeFileSync(definition, JSON.stringify(lambdaSqs()));
    const mocks = join(dir.path, 'mocks.json');
    writeFileSync(mocks, JSON.stringify(mockConfig('hello')));
    const cli = join(REPO_ROOT, 'packages/server/dist/cli/main.js');
    const { stdout } = await run(
      process.execPath,
      [cli, 'run', definition, '--mock-config', mocks, '--test-case', 'RetryPath', '--history'],
      {
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    const events = (JSON.parse(stdout) as { events: HistoryEvent[] }).events;
    assert.equal(events.filter((e) => e.type === 'TaskFailed').length, 3);
    assert.equal(events.at(-1)?.type, 'ExecutionSucceeded');
  } finally {
    dir.remove();
  }
});
