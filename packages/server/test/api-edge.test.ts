/**
 * The protocol edge, driven by the real clients (@aws-sdk/client-sfn, boto3, the aws CLI)
 * against a fake operation table, plus unit tests of names, ARNs, validation and the JSON
 * error wording.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import {
  ActivityDoesNotExist,
  CreateActivityCommand,
  DescribeActivityCommand,
  GetActivityTaskCommand,
  InvalidName,
  ListExecutionsCommand,
  SFNClient,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TagResourceCommand,
} from '@aws-sdk/client-sfn';

import {
  activityArn,
  executionArn,
  parseActivityArn,
  parseArn,
  parseExecutionArn,
  parseStateMachineArn,
  stateMachineArn,
} from '../src/api/arn.js';
import {
  activityDoesNotExist,
  ApiError,
  invalidName,
  jsonSyntaxError,
  parseExecutionInput,
  parseTaskOutput,
} from '../src/api/errors.js';
import { createApiHandler } from '../src/api/http.js';
import type { OperationHandler } from '../src/api/http.js';
import { isValidName } from '../src/api/names.js';
import { serviceModel } from '../src/api/service-model.js';
import { validateInput } from '../src/api/validate.js';

const run = promisify(execFile);
const scope = { partition: 'aws', region: 'us-east-1', account: '123456789012' };
const ACTIVITY = activityArn(scope, 'age-check');
const CREATED = new Date(1700000000123);

// --- the fake operation table ---------------------------------------------------------------

const events = { pollAborted: 0, lastInput: undefined as Record<string, unknown> | undefined };
const logged: unknown[] = [];

const operations: Record<string, OperationHandler> = {
  DescribeActivity: (input) => {
    const arn = String(input.activityArn);
    const parsed = parseActivityArn(arn);
    if (parsed.name !== 'age-check') return Promise.reject(activityDoesNotExist(arn));
    return Promise.resolve({ activityArn: arn, name: parsed.name, creationDate: CREATED });
  },
  CreateActivity: (input) => {
    const name = String(input.name);
    if (!isValidName(name)) return Promise.reject(invalidName(name));
    return Promise.resolve({ activityArn: activityArn(scope, name), creationDate: CREATED });
  },
  ListExecutions: (input) => {
    events.lastInput = input;
    return Promise.resolve({
      executions: [
        {
          executionArn: executionArn(scope, 'sm', 'e1'),
          stateMachineArn: stateMachineArn(scope, 'sm'),
          name: 'e1',
          status: 'RUNNING',
          startDate: new Date(1700000000500),
        },
      ],
    });
  },
  StartExecution: (input) => {
    parseExecutionInput(typeof input.input === 'string' ? input.input : '{}');
    return Promise.reject(new Error('boom'));
  },
  SendTaskSuccess: (input) => {
    parseTaskOutput(String(input.output));
    return Promise.resolve({});
  },
  GetActivityTask: (_input, ctx) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve({}), 5_000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        events.pollAborted++;
        resolve({});
      });
    }),
};

let endpoint = '';
const server = createServer(
  createApiHandler(operations, {
    logError: (error) => logged.push(error),
    maxBodyBytes: 64 * 1024,
    fallback: (_req, res) => res.end('console'),
  }),
);
let sfn: SFNClient;

before(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sfn = new SFNClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
});

after(() => {
  sfn.destroy();
  server.closeAllConnections();
  server.close();
});

async function rawCall(
  target: string | undefined,
  body: string,
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-amz-json-1.0' };
  if (target !== undefined) headers['X-Amz-Target'] = target;
  const res = await fetch(endpoint, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

interface BotoResult {
  ok?: Record<string, unknown> & { ResponseMetadata: { RequestId: string } };
  error?: { code: string; message: string; status: number; modeled: string };
}

/** Runs boto3 calls in one Python process; each answer is {ok} or {error: {code, message, status}}. */
async function boto3(calls: { op: string; params: Record<string, unknown> }[]): Promise<BotoResult[]> {
  const script = `
import json, sys, datetime, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
c = boto3.client('stepfunctions', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='AKIDEXAMPLE', aws_secret_access_key='secret',
                 config=Config(retries={'max_attempts': 0}))
def enc(o):
    if isinstance(o, datetime.datetime): return {'datetime': o.isoformat()}
    raise TypeError(o)
out = []
for call in json.loads(sys.argv[2]):
    try:
        r = getattr(c, call['op'])(**call['params'])
        out.append({'ok': r})
    except ClientError as e:
        out.append({'error': {'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'],
                              'status': e.response['ResponseMetadata']['HTTPStatusCode'],
                              'modeled': type(e).__name__}})
print(json.dumps(out, default=enc))
`;
  const { stdout } = await run('python3', ['-c', script, endpoint, JSON.stringify(calls)], {
    env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
  });
  return JSON.parse(stdout) as BotoResult[];
}

// --- real clients ------------------------------------------------------------------------------

describe('@aws-sdk/client-sfn against the edge', () => {
  test('success: Date fields arrive as Dates with milliseconds, request id is exposed', async () => {
    const out = await sfn.send(new DescribeActivityCommand({ activityArn: ACTIVITY }));
    assert.equal(out.name, 'age-check');
    assert.ok(out.creationDate instanceof Date);
    assert.equal(out.creationDate.getTime(), CREATED.getTime());
    assert.match(out.$metadata.requestId ?? '', /^[0-9a-f-]{36}$/);
    const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stateMachineArn(scope, 'sm') }));
    assert.equal(list.executions?.[0]?.startDate?.getTime(), 1700000000500);
  });

  test('an ApiError surfaces as the modeled exception class with AWS wording', async () => {
    const arn = activityArn(scope, 'missing');
    const err = await sfn.send(new DescribeActivityCommand({ activityArn: arn })).catch((e: unknown) => e);
    assert.ok(err instanceof ActivityDoesNotExist);
    assert.equal(err.message, `Activity Does Not Exist: '${arn}'`);
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.equal(err.$fault, 'client');

    const bad = await sfn.send(new CreateActivityCommand({ name: 'activity name' })).catch((e: unknown) => e);
    assert.ok(bad instanceof InvalidName);
    assert.equal(bad.message, "Invalid Name: 'activity name'");

    const garbage = await sfn
      .send(new DescribeActivityCommand({ activityArn: 'no_an_activity_arn' }))
      .catch((e: unknown) => e);
    assert.equal((garbage as Error).name, 'InvalidArn');
    assert.equal((garbage as Error).message, "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'");
  });

  test('validation errors have the exact Smithy text', async () => {
    const err = await sfn
      .send(new ListExecutionsCommand({ stateMachineArn: stateMachineArn(scope, 'sm'), maxResults: 1001 }))
      .catch((e: unknown) => e);
    assert.equal((err as Error).name, 'ValidationException');
    assert.equal(
      (err as Error).message,
      "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
  });

  test('wrong JSON types are SerializationException; unprovided operations UnknownOperationException', async () => {
    const wrongType = await sfn
      .send(new ListExecutionsCommand({ maxResults: 'ten' as unknown as number }))
      .catch((e: unknown) => e);
    assert.equal((wrongType as Error).name, 'SerializationException');
    const missing = await sfn
      .send(new TagResourceCommand({ resourceArn: ACTIVITY, tags: [] }))
      .catch((e: unknown) => e);
    assert.equal((missing as Error).name, 'UnknownOperationException');
  });

  test('a handler crash is a 500 InternalFailure and is logged', async () => {
    const before = logged.length;
    const err = await sfn
      .send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(scope, 'sm'), input: '{}' }))
      .catch((e: unknown) => e);
    assert.equal((err as Error).name, 'InternalFailure');
    assert.equal((err as { $fault: string }).$fault, 'server');
    assert.equal(logged.length, before + 1);
  });

  test('bad execution input and task output carry the parser message', async () => {
    const input = await sfn
      .send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(scope, 'sm'), input: "{'a': 1}" }))
      .catch((e: unknown) => e);
    assert.equal((input as Error).name, 'InvalidExecutionInput');
    assert.equal(
      (input as Error).message,
      "Invalid State Machine Execution Input: 'Unexpected character (''' (code 39)): was expecting double-quote to start field name'",
    );
    const output = await sfn
      .send(new SendTaskSuccessCommand({ taskToken: 't', output: 'not json' }))
      .catch((e: unknown) => e);
    assert.equal((output as Error).name, 'InvalidOutput');
  });
});

describe('boto3 against the edge', () => {
  test('success, modeled errors, validation, unknown operations', async () => {
    const [ok, notFound, invalid, tooMany, enumErr, unknown] = await boto3([
      { op: 'describe_activity', params: { activityArn: ACTIVITY } },
      { op: 'describe_activity', params: { activityArn: activityArn(scope, 'missing') } },
      { op: 'create_activity', params: { name: 'bad/name' } },
      { op: 'list_executions', params: { stateMachineArn: stateMachineArn(scope, 'sm'), maxResults: 1001 } },
      {
        op: 'list_executions',
        params: { stateMachineArn: stateMachineArn(scope, 'sm'), statusFilter: 'succeeded' },
      },
      { op: 'tag_resource', params: { resourceArn: ACTIVITY, tags: [] } },
    ]);
    assert.deepEqual(ok?.ok?.creationDate, { datetime: '2023-11-14T22:13:20.123000+00:00' });
    assert.match(ok?.ok?.ResponseMetadata.RequestId ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(notFound?.error, {
      code: 'ActivityDoesNotExist',
      message: `Activity Does Not Exist: '${activityArn(scope, 'missing')}'`,
      status: 400,
      modeled: 'ActivityDoesNotExist',
    });
    assert.equal(invalid?.error?.modeled, 'InvalidName');
    assert.equal(invalid?.error?.message, "Invalid Name: 'bad/name'");
    assert.equal(tooMany?.error?.code, 'ValidationException');
    assert.equal(
      tooMany?.error?.message,
      "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
    assert.equal(
      enumErr?.error?.message,
      "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
    );
    assert.equal(unknown?.error?.code, 'UnknownOperationException');
  });
});

describe('aws CLI against the edge', () => {
  test('prints AWS-style errors; timestamps as sent (aws-cli v1 prints them raw)', async () => {
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
    };
    const args = ['stepfunctions', 'describe-activity', '--endpoint-url', endpoint, '--activity-arn'];
    const { stdout } = await run('aws', [...args, ACTIVITY], { env });
    assert.equal(JSON.parse(stdout).creationDate, 1700000000.123);
    const failed = await run('aws', [...args, activityArn(scope, 'missing')], { env }).catch(
      (e: { stderr: string; code: number }) => e,
    );
    assert.ok('code' in failed && failed.code !== 0);
    assert.match(
      failed.stderr,
      /An error occurred \(ActivityDoesNotExist\) when calling the DescribeActivity operation: Activity Does Not Exist: 'arn:aws:states:us-east-1:123456789012:activity:missing'/,
    );
  });
});

// --- the wire, directly ----------------------------------------------------------------------

describe('wire format', () => {
  test('headers and body of a success', async () => {
    const res = await rawCall('AWSStepFunctions.DescribeActivity', JSON.stringify({ activityArn: ACTIVITY }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-amz-json-1.0');
    assert.ok(res.headers.get('x-amzn-requestid'));
    assert.deepEqual(res.json, { activityArn: ACTIVITY, name: 'age-check', creationDate: 1700000000.123 });
  });

  test('protocol errors', async () => {
    const truncated = await rawCall('AWSStepFunctions.DescribeActivity', '{"activityArn":');
    assert.equal(truncated.status, 400);
    assert.deepEqual(truncated.json, {
      __type: 'SerializationException',
      message: 'Unexpected end-of-input: expected close marker for Object',
    });
    const bad = await rawCall('AWSStepFunctions.DescribeActivity', 'not json');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.__type, 'SerializationException');
    const array = await rawCall('AWSStepFunctions.DescribeActivity', '[]');
    assert.equal(array.json.__type, 'SerializationException');
    const noTarget = await rawCall(undefined, '{}');
    assert.equal(noTarget.status, 400);
    assert.equal(noTarget.json.__type, 'UnknownOperationException');
    const wrongService = await rawCall('DynamoDB_20120810.ListTables', '{}');
    assert.equal(wrongService.json.__type, 'UnknownOperationException');
    const required = await rawCall('AWSStepFunctions.DescribeActivity', '{}');
    assert.deepEqual(required.json, {
      __type: 'ValidationException',
      message:
        "1 validation error detected: Value null at 'activityArn' failed to satisfy constraint: Member must not be null",
    });
  });

  test('an empty body is an empty input; application/json is accepted', async () => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'AWSStepFunctions.ListExecutions', 'Content-Type': 'application/json' },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(events.lastInput, {});
  });

  test('bodies over the limit get 413 with an AWS-shaped error', async () => {
    const res = await rawCall(
      'AWSStepFunctions.CreateActivity',
      JSON.stringify({ name: 'x'.repeat(70 * 1024) }),
    );
    assert.equal(res.status, 413);
    assert.equal(res.json.__type, 'RequestEntityTooLargeException');
  });

  test('GET goes to the fallback', async () => {
    const res = await fetch(endpoint);
    assert.equal(await res.text(), 'console');
  });

  test('a client that hangs up aborts the handler signal', async () => {
    const before = events.pollAborted;
    const req = request(endpoint, {
      method: 'POST',
      headers: {
        'X-Amz-Target': 'AWSStepFunctions.GetActivityTask',
        'Content-Type': 'application/x-amz-json-1.0',
      },
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ activityArn: ACTIVITY }));
    await new Promise((r) => setTimeout(r, 100));
    req.destroy();
    for (let i = 0; i < 50 && events.pollAborted === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(events.pollAborted, before + 1);
  });

  test('keep-alive: several calls reuse one connection', async () => {
    const sockets = new Set<unknown>();
    const onConnection = (socket: unknown): void => void sockets.add(socket);
    server.on('connection', onConnection);
    try {
      const client = new SFNClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      for (let i = 0; i < 5; i++) await client.send(new DescribeActivityCommand({ activityArn: ACTIVITY }));
      await client.send(new DescribeActivityCommand({ activityArn: 'garbage' })).catch(() => undefined);
      await client.send(new DescribeActivityCommand({ activityArn: ACTIVITY }));
      client.destroy();
      assert.equal(sockets.size, 1);
    } finally {
      server.off('connection', onConnection);
    }
  });

  test('GetActivityTask with no task answers {}', async () => {
    const controller = new AbortController();
    const pending = sfn.send(new GetActivityTaskCommand({ activityArn: ACTIVITY }), {
      abortSignal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending);
  });
});

// --- units ---------------------------------------------------------------------------------------

describe('names', () => {
  test('AWS accepts these', () => {
    for (const name of [
      'activity.name.v2',
      'ACTIVITY_NAME_ABC',
      'a'.repeat(80),
      'ñame-ü',
      '年龄检查',
      'a😀b',
      'a-b_c+d=e!@(',
    ]) {
      assert.equal(isValidName(name), true, name);
    }
  });
  test('AWS rejects these', () => {
    const bad = [
      '',
      'a'.repeat(81),
      ...' <>{}[]?*"#%\\^|~`$&,;:/'.split('').map((c) => `activity${c}name`),
      '\u0000activity',
      'activity\u001f',
      'activity\u007f',
      'a\u0085b',
      'a\u00a0b',
      'a\tb',
      'a\ufffeb',
      'a\ud800b',
      'a\udc00',
    ];
    for (const name of bad) assert.equal(isValidName(name), false, JSON.stringify(name));
  });
});

describe('arn', () => {
  test('round trips', () => {
    assert.deepEqual(parseArn(activityArn(scope, 'age-check')), {
      kind: 'activity',
      arn: 'arn:aws:states:us-east-1:123456789012:activity:age-check',
      ...scope,
      name: 'age-check',
    });
    assert.deepEqual(parseExecutionArn('arn:aws-cn:states:cn-north-1:1:execution:sm:run-1'), {
      kind: 'execution',
      arn: 'arn:aws-cn:states:cn-north-1:1:execution:sm:run-1',
      partition: 'aws-cn',
      region: 'cn-north-1',
      account: '1',
      stateMachineName: 'sm',
      name: 'run-1',
    });
    assert.equal(parseStateMachineArn(`${stateMachineArn(scope, 'sm')}:3`).version, 3);
    assert.equal(parseStateMachineArn(`${stateMachineArn(scope, 'sm')}:PROD`).alias, 'PROD');
    assert.equal(parseStateMachineArn(`${stateMachineArn(scope, 'sm')}/label`).label, 'label');
    assert.equal(parseArn('arn:aws:states:r:a:mapRun:sm/lbl:uuid').kind, 'mapRun');
  });

  test('garbage and wrong types give AWS messages', () => {
    const message = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof ApiError);
        assert.equal(e.shape, 'InvalidArn');
        return e.message;
      }
      assert.fail('expected InvalidArn');
    };
    assert.equal(
      message(() => parseArn('no_an_activity_arn')),
      "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'",
    );
    assert.equal(
      message(() => parseArn('arn:aws:states:r:a:activity')),
      "Invalid Arn: 'Invalid ARN prefix: arn:aws:states:r:a:activity'",
    );
    assert.equal(
      message(() => parseArn('arn:aws:lambda:r:a:function:f')),
      "Invalid Arn: 'Invalid ARN prefix: arn:aws:lambda:r:a:function:f'",
    );
    assert.equal(
      message(() => parseExecutionArn('arn:aws:states:r:a:express:sm:e:uuid')),
      "Invalid Arn: 'Resource type not valid in this context: express'",
    );
    assert.equal(
      message(() => parseActivityArn(stateMachineArn(scope, 'sm'))),
      "Invalid Arn: 'Resource type not valid in this context: stateMachine'",
    );
  });
});

describe('validate', () => {
  const errorOf = (op: string, body: unknown): ApiError => {
    try {
      validateInput(op, body);
    } catch (e) {
      assert.ok(e instanceof ApiError);
      return e;
    }
    assert.fail('expected an error');
  };

  test('the model has the 37 operations', () => {
    assert.equal(Object.keys(serviceModel.operations).length, 37);
  });

  test('valid input passes; unknown members are ignored; null means absent', () => {
    validateInput('ListExecutions', { maxResults: 1000, statusFilter: 'RUNNING', extra: { x: 1 } });
    validateInput('StartExecution', { stateMachineArn: 'a', name: null });
  });

  test('several violations', () => {
    const e = errorOf('GetExecutionHistory', {
      executionArn: 'a',
      nextToken: 'x'.repeat(1025),
      maxResults: -1,
    });
    assert.equal(e.shape, 'ValidationException');
    assert.equal(
      e.message,
      `2 validation errors detected: Value '-1' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0; Value '${'x'.repeat(1025)}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1024`,
    );
  });

  test('ListExecutions nextToken may be up to 3096 characters', () => {
    validateInput('ListExecutions', { nextToken: 'x'.repeat(3096) });
    const e = errorOf('ListExecutions', { nextToken: 'x'.repeat(3097) });
    assert.match(e.message, /Member must have length less than or equal to 3096$/);
  });

  test('nested lists use 1-based member paths', () => {
    const e = errorOf('CreateStateMachineAlias', {
      name: 'PROD',
      routingConfiguration: [{ stateMachineVersionArn: 'a', weight: 101 }],
    });
    assert.equal(
      e.message,
      "1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
  });

  test('patterns apply to alias names, not to Name shapes', () => {
    const e = errorOf('CreateStateMachineAlias', {
      name: 'INVALID ALIAS',
      routingConfiguration: [{ stateMachineVersionArn: 'a', weight: 100 }],
    });
    assert.equal(
      e.message,
      "1 validation error detected: Value 'INVALID ALIAS' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$",
    );
    validateInput('CreateActivity', { name: 'bad name/with:chars' });
  });

  test('sensitive values are not echoed', () => {
    const e = errorOf('CreateStateMachine', { name: 'n', roleArn: 'r', definition: '' });
    assert.equal(
      e.message,
      "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  test('wrong JSON types are SerializationException', () => {
    assert.equal(errorOf('ListExecutions', { maxResults: '10' }).shape, 'SerializationException');
    assert.equal(errorOf('ListExecutions', { maxResults: 1.5 }).shape, 'SerializationException');
    assert.equal(errorOf('CreateActivity', { name: 'a', tags: {} }).shape, 'SerializationException');
    assert.equal(errorOf('CreateActivity', { name: 5 }).shape, 'SerializationException');
    // Types are checked before constraints, as deserialization precedes validation.
    assert.equal(
      errorOf('ListExecutions', { maxResults: 5000, nextToken: 5 }).shape,
      'SerializationException',
    );
  });
});

describe('JSON parse errors (Jackson wording)', () => {
  const cases: [string, string][] = [
    ["{'a': 1}", "Unexpected character (''' (code 39)): was expecting double-quote to start field name"],
    [
      'not json',
      "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
    ],
    [
      '{"a" 1}',
      "Unexpected character ('1' (code 49)): was expecting a colon to separate field name and value",
    ],
    [
      '{"a": 1 "b": 2}',
      "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries",
    ],
    ['[1 2]', "Unexpected character ('2' (code 50)): was expecting comma to separate Array entries"],
    ['{"a": 1', 'Unexpected end-of-input: expected close marker for Object'],
    ['"abc', 'Unexpected end-of-input: was expecting closing quote for a string value'],
    ['"a\\qb"', "Unrecognized character escape 'q' (code 113)"],
    [
      '"a\nb"',
      'Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped using backslash to be included in string value',
    ],
    ['01', 'Invalid numeric value: Leading zeroes not allowed'],
    ['{"a": 1,}', "Unexpected character ('}' (code 125)): was expecting double-quote to start field name"],
    [
      'tru',
      "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
    ],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.equal(jsonSyntaxError(text), expected));
  }

  test('valid JSON has no error, and any JSON text is execution input', () => {
    for (const text of ['null', '5', '"str"', '{"a":[1,2,{"b":null}]}', ' [ ] ', '-1.5e+3']) {
      assert.equal(jsonSyntaxError(text), undefined, text);
      parseExecutionInput(text);
    }
  });

  test('empty execution input', () => {
    assert.throws(() => parseExecutionInput(''), {
      shape: 'InvalidExecutionInput',
      message: "Invalid State Machine Execution Input: 'Invalid execution input.'",
    });
    assert.throws(() => parseExecutionInput('not json'), {
      message:
        "Invalid State Machine Execution Input: 'Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')'",
    });
  });
});
