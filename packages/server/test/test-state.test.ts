/**
 * TestState through real clients: @aws-sdk/client-sfn (with `disableHostPrefix`, as the model
 * gives TestState the `sync-` host prefix), boto3 (`Config(inject_host_prefix=False)`) and the
 * aws CLI (`AWS_DISABLE_HOST_PREFIX_INJECTION`). Each status (SUCCEEDED, FAILED, RETRIABLE,
 * CAUGHT_ERROR), the inspection data at each level, and the error shapes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { SFNClient, SFNServiceException, TestStateCommand } from '@aws-sdk/client-sfn';
import type { TestStateCommandInput, TestStateCommandOutput } from '@aws-sdk/client-sfn';
import { awsEnv, startTestServer } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';
import { ROLE } from './helpers/sfn.js';

const run = promisify(execFile);

const ACTIVITY = 'arn:aws:states:us-east-1:123456789012:activity:age-check';
const MOCK_ERROR = { errorOutput: { error: 'MockException', cause: 'Mock the cause of the error.' } };

let server: TestServer;
let sfn: SFNClient;

before(async () => {
  server = await startTestServer();
  sfn = new SFNClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    // TestState has the `sync-` host prefix: without this the SDK calls sync-127.0.0.1.
    disableHostPrefix: true,
  });
});

after(async () => {
  sfn.destroy();
  await server.stop();
});

function testState(input: Omit<TestStateCommandInput, 'definition'> & { definition: object | string }) {
  const definition =
    typeof input.definition === 'string' ? input.definition : JSON.stringify(input.definition);
  return sfn.send(new TestStateCommand({ ...input, definition }));
}

/** The response without the SDK's metadata, payload texts parsed. */
function body(out: TestStateCommandOutput): Record<string, unknown> {
  const { $metadata: _metadata, ...rest } = out;
  const parsed: Record<string, unknown> = { ...rest };
  if (out.output !== undefined) parsed['output'] = JSON.parse(out.output);
  if (out.inspectionData !== undefined) {
    const data: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(out.inspectionData)) {
      if (value === undefined) continue;
      data[key] = typeof value === 'string' ? JSON.parse(value) : value;
    }
    parsed['inspectionData'] = data;
  }
  return parsed;
}

async function rejects(promise: Promise<unknown>, name: string, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SFNServiceException, `expected ${name}, got ${String(error)}`);
    assert.equal(error.name, name);
    assert.equal(error.$metadata.httpStatusCode, 400);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('TestState through @aws-sdk/client-sfn', () => {
  test('SUCCEEDED: a Pass state, with every step of its data flow at DEBUG', async () => {
    const input = { initialData: { fieldFromInput: 'value from input', otherField: 'other' }, unrelated: 1 };
    const out = await testState({
      definition: {
        Type: 'Pass',
        InputPath: '$.initialData',
        Parameters: { staticValue: 'some value', 'inputValue.$': '$.fieldFromInput' },
        ResultPath: '$.modifiedData',
        Next: 'After',
      },
      input: JSON.stringify(input),
      inspectionLevel: 'DEBUG',
    });
    const parameters = { staticValue: 'some value', inputValue: 'value from input' };
    assert.equal(typeof out.output, 'string', 'payloads travel as JSON text');
    assert.equal(typeof out.inspectionData?.afterParameters, 'string');
    assert.deepEqual(body(out), {
      status: 'SUCCEEDED',
      nextState: 'After',
      output: { ...input, modifiedData: parameters },
      inspectionData: {
        input,
        afterInputPath: input.initialData,
        afterParameters: parameters,
        afterResultSelector: parameters,
        afterResultPath: { ...input, modifiedData: parameters },
      },
    });
  });

  test('INFO (the default): status, output and next state only', async () => {
    const out = await testState({
      definition: {
        Type: 'Choice',
        Choices: [{ Variable: '$.value', NumericGreaterThanEquals: 20, Next: 'ValueInTwenties' }],
        Default: 'Other',
      },
      input: '{"type":"Private","value":22}',
    });
    assert.deepEqual(body(out), {
      status: 'SUCCEEDED',
      nextState: 'ValueInTwenties',
      output: { type: 'Private', value: 22 },
    });
  });

  test('TRACE on a state that is no HTTP Task answers what DEBUG does', async () => {
    const out = await testState({
      definition: { Type: 'Wait', Seconds: 3600, Next: 'Later' },
      input: '{"a":1}',
      inspectionLevel: 'TRACE',
    });
    assert.deepEqual(body(out), {
      status: 'SUCCEEDED',
      nextState: 'Later',
      output: { a: 1 },
      inspectionData: { input: { a: 1 }, afterInputPath: { a: 1 } },
    });
  });

  test('FAILED: a Fail state, and a JSONata expression that fails', async () => {
    const failed = await testState({
      definition: { Type: 'Fail', Error: 'SomeFailure', Cause: 'because' },
      input: '{}',
    });
    assert.deepEqual(body(failed), { status: 'FAILED', error: 'SomeFailure', cause: 'because' });
    const jsonata = await testState({
      definition: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $number("x") %}', End: true },
    });
    assert.equal(jsonata.status, 'FAILED');
    assert.equal(jsonata.error, 'States.QueryEvaluationError');
  });

  test('a Task on an activity, mocked: the result through ResultSelector and ResultPath', async () => {
    const out = await testState({
      definition: {
        Type: 'Task',
        Resource: ACTIVITY,
        ResultSelector: { 'adult.$': '$.age_ok' },
        ResultPath: '$.check',
        Next: 'Download',
      },
      input: '{"user":"u1"}',
      inspectionLevel: 'DEBUG',
      mock: { result: '{"age_ok":true}' },
    });
    assert.deepEqual(body(out), {
      status: 'SUCCEEDED',
      nextState: 'Download',
      output: { user: 'u1', check: { adult: true } },
      inspectionData: {
        input: { user: 'u1' },
        afterInputPath: { user: 'u1' },
        afterParameters: { user: 'u1' },
        result: { age_ok: true },
        afterResultSelector: { adult: true },
        afterResultPath: { user: 'u1', check: { adult: true } },
      },
    });
  });

  test('RETRIABLE: the retrier that takes the error, and its back-off', async () => {
    const definition = {
      QueryLanguage: 'JSONata',
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: { FunctionName: 'foo', Payload: 'bar' },
      Retry: [{ ErrorEquals: ['MockException'], IntervalSeconds: 1, MaxAttempts: 5, BackoffRate: 2.0 }],
      End: true,
    };
    const retriable = await testState({
      definition,
      input: '{}',
      inspectionLevel: 'DEBUG',
      mock: MOCK_ERROR,
      stateConfiguration: { retrierRetryCount: 4 },
    });
    assert.deepEqual(body(retriable), {
      status: 'RETRIABLE',
      error: 'MockException',
      cause: 'Mock the cause of the error.',
      inspectionData: {
        input: {},
        afterArguments: { FunctionName: 'foo', Payload: 'bar' },
        errorDetails: { retryIndex: 0, retryBackoffIntervalSeconds: 16 },
      },
    });
    const exhausted = await testState({
      definition,
      inspectionLevel: 'DEBUG',
      mock: MOCK_ERROR,
      stateConfiguration: { retrierRetryCount: 5 },
    });
    assert.equal(exhausted.status, 'FAILED');
    assert.deepEqual(exhausted.inspectionData?.errorDetails, { retryIndex: 0 });
  });

  test('CAUGHT_ERROR: the catcher, its next state and the error output it passes on', async () => {
    const out = await testState({
      definition: {
        Type: 'Task',
        Resource: ACTIVITY,
        Catch: [
          { ErrorEquals: ['Other'], Next: 'Elsewhere' },
          { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Rejected' },
        ],
        End: true,
      },
      input: '{"user":"u1"}',
      inspectionLevel: 'DEBUG',
      mock: { errorOutput: { error: 'TooYoung', cause: 'age 12' } },
    });
    assert.deepEqual(body(out), {
      status: 'CAUGHT_ERROR',
      error: 'TooYoung',
      cause: 'age 12',
      nextState: 'Rejected',
      output: { user: 'u1', error: { Error: 'TooYoung', Cause: 'age 12' } },
      inspectionData: {
        input: { user: 'u1' },
        afterInputPath: { user: 'u1' },
        afterParameters: { user: 'u1' },
        errorDetails: { catchIndex: 1 },
      },
    });
  });

  test('a Map state: its thresholds against mapIterationFailureCount, reported as numbers', async () => {
    const definition = {
      Type: 'Map',
      ItemsPath: '$.Values',
      ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } },
      ToleratedFailurePercentage: 40,
      MaxConcurrency: 2,
      Catch: [{ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], Next: 'HandleThreshold' }],
      End: true,
    };
    const input = '{"Values":["first","second","third"]}';
    const below = await testState({
      definition,
      input,
      inspectionLevel: 'DEBUG',
      mock: { result: '[1, 1, 1]' },
      stateConfiguration: { mapIterationFailureCount: 1 },
    });
    assert.deepEqual(body(below), {
      status: 'SUCCEEDED',
      output: [1, 1, 1],
      inspectionData: {
        input: { Values: ['first', 'second', 'third'] },
        afterInputPath: { Values: ['first', 'second', 'third'] },
        afterItemsPath: ['first', 'second', 'third'],
        maxConcurrency: 2,
        toleratedFailurePercentage: 40,
        afterResultSelector: [1, 1, 1],
        afterResultPath: [1, 1, 1],
      },
    });
    assert.equal(typeof below.inspectionData?.maxConcurrency, 'number');
    const exceeded = await testState({
      definition,
      input,
      mock: { result: '[0, 0, 1]' },
      stateConfiguration: { mapIterationFailureCount: 2 },
    });
    assert.equal(exceeded.status, 'CAUGHT_ERROR');
    assert.equal(exceeded.error, 'States.ExceedToleratedFailureThreshold');
    assert.equal(exceeded.cause, 'The specified tolerated failure threshold was exceeded');
    assert.equal(exceeded.nextState, 'HandleThreshold');
  });

  test('a Parallel state: one mocked result per branch', async () => {
    const out = await testState({
      definition: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
          { StartAt: 'B', States: { B: { Type: 'Pass', End: true } } },
        ],
        ResultSelector: { 'first.$': '$[0]' },
        End: true,
      },
      mock: { result: '["a", "b"]' },
    });
    assert.deepEqual(body(out), { status: 'SUCCEEDED', output: { first: 'a' } });
  });

  test('a state of a whole state machine, with variables and a context object', async () => {
    const machine = {
      QueryLanguage: 'JSONata',
      StartAt: 'Check',
      States: {
        Check: {
          Type: 'Task',
          Resource: ACTIVITY,
          Output: {
            who: '{% $states.context.Execution.Name %}',
            limit: '{% $limit %}',
            ok: '{% $states.result.age >= $limit %}',
          },
          Assign: { checked: true },
          Next: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    };
    const out = await testState({
      definition: machine,
      stateName: 'Check',
      input: '{}',
      inspectionLevel: 'DEBUG',
      variables: '{"limit":18}',
      context: JSON.stringify({ Execution: { Name: 'exec-42' } }),
      mock: { result: '{"age":20}' },
      roleArn: ROLE,
    });
    assert.deepEqual(body(out), {
      status: 'SUCCEEDED',
      nextState: 'Done',
      output: { who: 'exec-42', limit: 18, ok: true },
      inspectionData: { input: {}, result: { age: 20 }, variables: { limit: 18, checked: true } },
    });
  });

  test('InvalidDefinition for a bad state, located as AWS locates it', async () => {
    await rejects(
      testState({ definition: { Type: 'Parallel', Branches: [], End: true }, mock: { result: '[]' } }),
      'InvalidDefinition',
      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/StateName/Branches'",
    );
    await rejects(
      testState({
        definition: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
          End: true,
        },
      }),
      'InvalidDefinition',
      'TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]',
    );
  });

  test('InvalidExecutionInput for input that is no JSON', async () => {
    await rejects(
      testState({ definition: { Type: 'Pass', End: true }, input: "{'a': 1}" }),
      'InvalidExecutionInput',
      "Invalid State Machine Execution Input: 'Unexpected character (''' (code 39)): was expecting double-quote to start field name'",
    );
  });

  test('ValidationException for what TestState refuses', async () => {
    await rejects(
      testState({ definition: { Type: 'Pass', End: true }, mock: { result: '{}' } }),
      'ValidationException',
      "State type 'Pass' is not supported when a mock is specified",
    );
    await rejects(
      testState({ definition: { Type: 'Task', Resource: ACTIVITY, End: true } }),
      'ValidationException',
      'RoleArn must be specified when testing a Task state',
    );
    await rejects(
      testState({ definition: { Type: 'Task', Resource: ACTIVITY, End: true }, roleArn: ROLE }),
      'ValidationException',
      'TestState does not support Activity tasks when a mock is not specified.',
    );
    await rejects(
      testState({
        definition: { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
        stateName: 'dne',
      }),
      'ValidationException',
      'State not found in definition',
    );
    await rejects(
      testState({
        definition: { Type: 'Task', Resource: ACTIVITY, End: true },
        mock: { result: '1', errorOutput: { error: 'E' } },
      }),
      'ValidationException',
      'A test mock should have only one of the following fields: [result, errorOutput].',
    );
    await rejects(
      testState({ definition: { Type: 'Pass', End: true }, inspectionLevel: 'LOUD' as 'INFO' }),
      'ValidationException',
      /inspectionLevel/,
    );
  });
});

describe('TestState through boto3 and the aws CLI', () => {
  test('boto3 with inject_host_prefix=False: each status and the modeled exceptions', async () => {
    const script = `
import json, os, boto3
from botocore.config import Config
sfn = boto3.client('stepfunctions', endpoint_url=os.environ['URL'], config=Config(inject_host_prefix=False))
A = json.loads(os.environ['ARGS'])
results = {}
def call(label, **kwargs):
    try:
        out = sfn.test_state(**kwargs)
        out.pop('ResponseMetadata', None)
        results[label] = out
    except sfn.exceptions.ClientError as e:
        results[label] = {'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'],
                          'modeled': type(e).__name__ == e.response['Error']['Code']}
task = {'Type': 'Task', 'Resource': A['activity'],
        'Retry': [{'ErrorEquals': ['Busy'], 'IntervalSeconds': 3, 'BackoffRate': 1.5}],
        'Catch': [{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.err', 'Next': 'Handle'}], 'End': True}
call('succeeded', definition=json.dumps({'Type': 'Pass', 'Result': {'k': 'v'}, 'ResultPath': '$.r', 'End': True}),
     input='{"a": 1}', inspectionLevel='DEBUG')
call('retriable', definition=json.dumps(task), inspectionLevel='DEBUG',
     mock={'errorOutput': {'error': 'Busy', 'cause': 'later'}}, stateConfiguration={'retrierRetryCount': 1})
call('caught', definition=json.dumps(task), input='{"a": 1}', inspectionLevel='DEBUG',
     mock={'errorOutput': {'error': 'Busy', 'cause': 'later'}}, stateConfiguration={'retrierRetryCount': 3})
call('failed', definition=json.dumps({'Type': 'Fail', 'Error': 'E', 'Cause': 'C'}))
call('invalidDefinition', definition='{"Type": "Nope"}')
call('validation', definition=json.dumps({'Type': 'Succeed'}), mock={'result': '{}'})
call('invalidInput', definition=json.dumps({'Type': 'Succeed'}), input='not json')
print(json.dumps(results))
`;
    const { stdout } = await run('python3', ['-c', script], {
      env: { ...awsEnv(server.url), URL: server.url, ARGS: JSON.stringify({ activity: ACTIVITY }) },
      timeout: 30_000,
    });
    const results = JSON.parse(stdout) as Record<string, Record<string, unknown>>;
    const parse = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);
    const succeeded = results['succeeded'] ?? {};
    assert.equal(succeeded['status'], 'SUCCEEDED');
    assert.deepEqual(parse(succeeded['output']), { a: 1, r: { k: 'v' } });
    const data = succeeded['inspectionData'] as Record<string, unknown>;
    assert.deepEqual(parse(data['result']), { k: 'v' });
    assert.deepEqual(parse(data['afterResultPath']), { a: 1, r: { k: 'v' } });

    const retriable = results['retriable'] ?? {};
    assert.equal(retriable['status'], 'RETRIABLE');
    assert.deepEqual((retriable['inspectionData'] as Record<string, unknown>)['errorDetails'], {
      retryIndex: 0,
      retryBackoffIntervalSeconds: 5,
    });
    const caught = results['caught'] ?? {};
    assert.equal(caught['status'], 'CAUGHT_ERROR');
    assert.equal(caught['nextState'], 'Handle');
    assert.deepEqual(parse(caught['output']), { a: 1, err: { Error: 'Busy', Cause: 'later' } });
    assert.deepEqual((caught['inspectionData'] as Record<string, unknown>)['errorDetails'], {
      retryIndex: 0,
      catchIndex: 0,
    });
    assert.deepEqual(results['failed'], { status: 'FAILED', error: 'E', cause: 'C' });
    const expectError = (label: string, code: string, message: RegExp): void => {
      const r = results[label] ?? {};
      assert.equal(r['code'], code, `${label}: ${JSON.stringify(r)}`);
      assert.equal(r['modeled'], true, `${label}: boto3 raises sfn.exceptions.${code}`);
      assert.match(String(r['message']), message);
    };
    expectError('invalidDefinition', 'InvalidDefinition', /at \/States\/StateName\/Type/);
    expectError(
      'validation',
      'ValidationException',
      /State type 'Succeed' is not supported when a mock is specified/,
    );
    expectError(
      'invalidInput',
      'InvalidExecutionInput',
      /^Invalid State Machine Execution Input: 'Unrecognized token 'not'/,
    );
  });

  test('aws stepfunctions test-state with AWS_DISABLE_HOST_PREFIX_INJECTION', async () => {
    const { stdout } = await run(
      'aws',
      [
        'stepfunctions',
        'test-state',
        '--definition',
        JSON.stringify({
          Type: 'Choice',
          Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Yes' }],
          Default: 'No',
        }),
        '--input',
        '{"ok": true}',
        '--inspection-level',
        'DEBUG',
      ],
      { env: { ...awsEnv(server.url), AWS_DISABLE_HOST_PREFIX_INJECTION: 'true' }, timeout: 30_000 },
    );
    const out = JSON.parse(stdout) as {
      status: string;
      nextState: string;
      inspectionData: { afterInputPath: string };
    };
    assert.equal(out.status, 'SUCCEEDED');
    assert.equal(out.nextState, 'Yes');
    assert.deepEqual(JSON.parse(out.inspectionData.afterInputPath), { ok: true });
  });
});
