/**
 * Every error shape of issue 2's "Bad input", through real clients against a real server:
 * the error name (JS SDK `err.name`, boto3 `e.response['Error']['Code']`), the HTTP status and
 * AWS's exact message where ../shared/reference records one. Also: a rejected request changes
 * nothing, and the idempotent operations are idempotent.
 *
 * Most checks use @aws-sdk/client-sfn; one Python process runs a representative subset through
 * boto3, so that both clients are proven to map the shapes to their modeled exceptions.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  DeleteActivityCommand,
  DeleteStateMachineCommand,
  DescribeActivityCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetActivityTaskCommand,
  GetExecutionHistoryCommand,
  ListActivitiesCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNServiceException,
  StartExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionStatus, SFNClient, StartExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { encodeTaskToken } from '../../core/src/engine/tokens.js';

import { awsEnv, sdkClient, startTestServer } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';

const run = promisify(execFile);

const PREFIX = 'arn:aws:states:us-east-1:123456789012';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/errors';
const ACTIVITY = 'errors-activity';
const ACTIVITY_ARN = `${PREFIX}:activity:${ACTIVITY}`;
const SM = 'errors-sm';
const SM_ARN = `${PREFIX}:stateMachine:${SM}`;
const MISSING_ACTIVITY = `${PREFIX}:activity:no-such-activity`;
const MISSING_SM = `${PREFIX}:stateMachine:no-such-machine`;
const MISSING_EXECUTION = `${PREFIX}:execution:${SM}:no-such-execution`;

const TASK_DEFINITION = JSON.stringify({
  StartAt: 'Work',
  States: { Work: { Type: 'Task', Resource: ACTIVITY_ARN, End: true } },
});
const PASS_DEFINITION = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });

const SCHEMA = (text: string): string =>
  `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ${text}'`;
const BAD_TYPE =
  "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]";
const TASK_TIMED_OUT = "Task Timed Out: 'Provided task does not exist anymore'";
const INVALID_TOKEN = "Invalid Token: 'Invalid token'";
const STATUS_ENUM =
  "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy constraint: " +
  'Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]';
const MAX_RESULTS =
  "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: " +
  'Member must have value less than or equal to 1000';
const MISSING_PARAMETER =
  'Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified';

let server: TestServer;
let sfn: SFNClient;

/** Asserts the JS SDK raised the modeled error `name` (400) with `message` where given. */
async function rejects(promise: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SFNServiceException, `expected ${name}, got ${String(error)}`);
    assert.equal(error.name, name);
    assert.equal(error.$fault, 'client');
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.equal(typeof error.$metadata.requestId, 'string', 'x-amzn-RequestId is sent with errors too');
    if (typeof message === 'string') assert.equal(error.message, message);
    else if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

/** A raw JSON 1.0 request, as a client without an SDK would send it. */
async function raw(
  target: string | undefined,
  body: string,
): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      ...(target !== undefined ? { 'X-Amz-Target': target } : {}),
    },
    body,
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function startTask(name: string, input = '{}'): Promise<{ executionArn: string; taskToken: string }> {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: SM_ARN, name, input }),
  );
  assert.ok(executionArn !== undefined);
  const task = await sfn.send(
    new GetActivityTaskCommand({ activityArn: ACTIVITY_ARN, workerName: 'errors' }),
  );
  assert.ok(task.taskToken !== undefined, 'a task was handed out');
  return { executionArn, taskToken: task.taskToken };
}

async function listStateMachineArns(): Promise<string[]> {
  const out = await sfn.send(new ListStateMachinesCommand({ maxResults: 1000 }));
  return (out.stateMachines ?? []).map((s) => s.stateMachineArn ?? '');
}

async function listExecutionArns(stateMachineArn = SM_ARN): Promise<string[]> {
  const out = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000 }));
  return (out.executions ?? []).map((e) => e.executionArn ?? '');
}

before(async () => {
  server = await startTestServer({ pollHoldMs: 1000 });
  sfn = sdkClient(server.url);
  await sfn.send(new CreateActivityCommand({ name: ACTIVITY }));
  await sfn.send(new CreateStateMachineCommand({ name: SM, definition: TASK_DEFINITION, roleArn: ROLE_ARN }));
});

after(async () => {
  sfn.destroy();
  await server.stop();
});

describe('InvalidArn and InvalidName', () => {
  test('a value that is not an ARN: InvalidArn with AWS wording on every operation that takes one', async () => {
    await rejects(
      sfn.send(new DescribeActivityCommand({ activityArn: 'no_an_activity_arn' })),
      'InvalidArn',
      "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'",
    );
    await rejects(
      sfn.send(new GetActivityTaskCommand({ activityArn: 'no_an_activity_arn' })),
      'InvalidArn',
      "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'",
    );
    await rejects(
      sfn.send(new DescribeStateMachineCommand({ stateMachineArn: 'not_a_valid_arn' })),
      'InvalidArn',
      "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'",
    );
    for (const command of [
      new DescribeExecutionCommand({ executionArn: 'invalid_state_machine_arn' }),
      new GetExecutionHistoryCommand({ executionArn: 'invalid_state_machine_arn' }),
      new ListExecutionsCommand({ stateMachineArn: 'invalid_state_machine_arn' }),
      new StopExecutionCommand({ executionArn: 'invalid_state_machine_arn' }),
      new StartExecutionCommand({ stateMachineArn: 'invalid_state_machine_arn' }),
      new DeleteStateMachineCommand({ stateMachineArn: 'invalid_state_machine_arn' }),
      new DeleteActivityCommand({ activityArn: 'invalid_state_machine_arn' }),
    ]) {
      await rejects(
        sfn.send(command as Parameters<SFNClient['send']>[0]),
        'InvalidArn',
        "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'",
      );
    }
  });

  test('an ARN of the wrong resource type is InvalidArn', async () => {
    await rejects(sfn.send(new DescribeActivityCommand({ activityArn: SM_ARN })), 'InvalidArn');
    await rejects(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: ACTIVITY_ARN })), 'InvalidArn');
    await rejects(sfn.send(new DescribeExecutionCommand({ executionArn: SM_ARN })), 'InvalidArn');
  });

  test('names with forbidden characters: InvalidName "Invalid Name: \'<name>\'"', async () => {
    const names = [
      'activity name',
      'activity"name',
      'activity#name',
      'activity%name',
      'activity/name',
      'activity:name',
      'activity?name',
      'activity*name',
      'activity<name',
      'activity{name',
      'activity\\name',
      'activity`name',
      'activity$name',
      'activity,name',
      'activity\x1f',
      'activity\x7f',
      'tab\tname',
    ];
    for (const name of names) {
      await rejects(sfn.send(new CreateActivityCommand({ name })), 'InvalidName', `Invalid Name: '${name}'`);
    }
    await rejects(
      sfn.send(
        new CreateStateMachineCommand({ name: 'bad name', definition: PASS_DEFINITION, roleArn: ROLE_ARN }),
      ),
      'InvalidName',
      "Invalid Name: 'bad name'",
    );
    await rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'bad:name' })),
      'InvalidName',
      "Invalid Name: 'bad:name'",
    );
  });

  test('names AWS accepts are accepted', async () => {
    for (const name of ['activity.name.v2', 'ACTIVITY_NAME_ABC', 'a'.repeat(80), 'ünïcødé-名前']) {
      const out = await sfn.send(new CreateActivityCommand({ name }));
      assert.equal(out.activityArn, `${PREFIX}:activity:${name}`);
      await sfn.send(new DeleteActivityCommand({ activityArn: out.activityArn }));
    }
  });
});

describe('resources that do not exist', () => {
  test('ActivityDoesNotExist', async () => {
    const message = `Activity Does Not Exist: '${MISSING_ACTIVITY}'`;
    await rejects(
      sfn.send(new DescribeActivityCommand({ activityArn: MISSING_ACTIVITY })),
      'ActivityDoesNotExist',
      message,
    );
    await rejects(
      sfn.send(new GetActivityTaskCommand({ activityArn: MISSING_ACTIVITY, workerName: 'w' })),
      'ActivityDoesNotExist',
      message,
    );
  });

  test('StateMachineDoesNotExist', async () => {
    const message = `State Machine Does Not Exist: '${MISSING_SM}'`;
    await rejects(
      sfn.send(new DescribeStateMachineCommand({ stateMachineArn: MISSING_SM })),
      'StateMachineDoesNotExist',
      message,
    );
    await rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn: MISSING_SM, input: '{}' })),
      'StateMachineDoesNotExist',
      message,
    );
    await rejects(
      sfn.send(new ListExecutionsCommand({ stateMachineArn: MISSING_SM })),
      'StateMachineDoesNotExist',
      message,
    );
    await rejects(
      sfn.send(new UpdateStateMachineCommand({ stateMachineArn: MISSING_SM, definition: PASS_DEFINITION })),
      'StateMachineDoesNotExist',
      message,
    );
  });

  test('ExecutionDoesNotExist', async () => {
    const message = `Execution Does Not Exist: '${MISSING_EXECUTION}'`;
    await rejects(
      sfn.send(new DescribeExecutionCommand({ executionArn: MISSING_EXECUTION })),
      'ExecutionDoesNotExist',
      message,
    );
    await rejects(
      sfn.send(new GetExecutionHistoryCommand({ executionArn: MISSING_EXECUTION })),
      'ExecutionDoesNotExist',
      message,
    );
    await rejects(
      sfn.send(new StopExecutionCommand({ executionArn: MISSING_EXECUTION })),
      'ExecutionDoesNotExist',
      message,
    );
    await rejects(
      sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: MISSING_EXECUTION })),
      'ExecutionDoesNotExist',
      message,
    );
  });
});

describe('an activity deleted before its task is scheduled', () => {
  test('the execution fails with States.Runtime, as AWS records it', async () => {
    const { activityArn } = await sfn.send(new CreateActivityCommand({ name: 'deleted-later' }));
    assert.ok(activityArn !== undefined);
    const definition = JSON.stringify({
      StartAt: 'ActivityTask',
      States: { ActivityTask: { Type: 'Task', Resource: activityArn, End: true } },
    });
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: 'uses-deleted-activity', definition, roleArn: ROLE_ARN }),
    );
    await sfn.send(new DeleteActivityCommand({ activityArn }));
    await rejects(sfn.send(new DescribeActivityCommand({ activityArn })), 'ActivityDoesNotExist');
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }));
    const cause =
      "An error occurred while executing the state 'ActivityTask' (entered at the event id #2). " +
      `The activity ${activityArn} does not exist.`;
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    assert.equal(d.status, 'FAILED');
    assert.equal(d.error, 'States.Runtime');
    assert.equal(d.cause, cause);
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    assert.deepEqual(
      events.map((e) => [e.id, e.previousEventId, e.type]),
      [
        [1, 0, 'ExecutionStarted'],
        [2, 0, 'TaskStateEntered'],
        [3, 2, 'ExecutionFailed'],
      ],
    );
    assert.deepEqual(events[2]?.executionFailedEventDetails, { error: 'States.Runtime', cause });
  });
});

describe('conflicts and idempotency', () => {
  test('ExecutionAlreadyExists: same name, different input; same input while running is idempotent', async () => {
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'dup', input: '{"a":1}' }),
    );
    const arn = `${PREFIX}:execution:${SM}:dup`;
    assert.equal(first.executionArn, arn);

    const again = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'dup', input: '{"a":1}' }),
    );
    assert.equal(again.executionArn, arn);
    assert.equal(again.startDate?.getTime(), first.startDate?.getTime(), 'the original start is answered');

    await rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'dup', input: '{"a":2}' })),
      'ExecutionAlreadyExists',
      `Execution Already Exists: '${arn}'`,
    );
    assert.equal((await listExecutionArns()).filter((a) => a === arn).length, 1, 'still one execution');

    // Once it is closed, even the same input is refused.
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
    await rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'dup', input: '{"a":1}' })),
      'ExecutionAlreadyExists',
      `Execution Already Exists: '${arn}'`,
    );
  });

  test('concurrent StartExecution with one name: same input shares one execution, different inputs only one wins', async () => {
    const same = await Promise.all(
      Array.from({ length: 5 }, () =>
        sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'race-same', input: '{"n":0}' })),
      ),
    );
    assert.deepEqual(
      new Set(same.map((s) => s.executionArn)),
      new Set([`${PREFIX}:execution:${SM}:race-same`]),
    );
    const settled = await Promise.allSettled(
      Array.from({ length: 5 }, (_, n) =>
        sfn.send(
          new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'race-diff', input: `{"n":${n}}` }),
        ),
      ),
    );
    assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 1);
    for (const s of settled) {
      if (s.status === 'rejected') assert.equal((s.reason as Error).name, 'ExecutionAlreadyExists');
    }
    const arns = await listExecutionArns();
    assert.equal(arns.filter((a) => a.endsWith(':race-same')).length, 1);
    assert.equal(arns.filter((a) => a.endsWith(':race-diff')).length, 1);
    for (const name of ['race-same', 'race-diff']) {
      await sfn.send(new StopExecutionCommand({ executionArn: `${PREFIX}:execution:${SM}:${name}` }));
    }
  });

  test('StateMachineAlreadyExists: same name, different definition; same definition is idempotent', async () => {
    const before = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: SM_ARN }));
    await rejects(
      sfn.send(new CreateStateMachineCommand({ name: SM, definition: PASS_DEFINITION, roleArn: ROLE_ARN })),
      'StateMachineAlreadyExists',
      `State Machine Already Exists: '${SM_ARN}'`,
    );
    // A different roleArn alone does not make it a different machine.
    const same = await sfn.send(
      new CreateStateMachineCommand({
        name: SM,
        definition: TASK_DEFINITION,
        roleArn: 'arn:aws:iam::123456789012:role/other',
      }),
    );
    assert.equal(same.stateMachineArn, SM_ARN);
    assert.equal(same.creationDate?.getTime(), before.creationDate?.getTime());
    const after = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: SM_ARN }));
    assert.equal(after.definition, TASK_DEFINITION);
    assert.equal(after.roleArn, ROLE_ARN);
  });

  test('CreateActivity twice with the same name gives the same ARN and creation date', async () => {
    const a = await sfn.send(new CreateActivityCommand({ name: 'twice' }));
    const b = await sfn.send(new CreateActivityCommand({ name: 'twice' }));
    assert.equal(a.activityArn, `${PREFIX}:activity:twice`);
    assert.equal(b.activityArn, a.activityArn);
    assert.equal(b.creationDate?.getTime(), a.creationDate?.getTime());
    const listed = await sfn.send(new ListActivitiesCommand({}));
    assert.equal((listed.activities ?? []).filter((x) => x.name === 'twice').length, 1);
  });

  test('deleting a missing activity or state machine answers 200', async () => {
    const a = await sfn.send(new DeleteActivityCommand({ activityArn: MISSING_ACTIVITY }));
    assert.equal(a.$metadata.httpStatusCode, 200);
    const s = await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: MISSING_SM }));
    assert.equal(s.$metadata.httpStatusCode, 200);
  });
});

describe('InvalidDefinition', () => {
  const create = (definition: string, name = 'bad-definition'): Promise<unknown> =>
    sfn.send(new CreateStateMachineCommand({ name, definition, roleArn: ROLE_ARN }));

  test('missing States', async () => {
    await rejects(
      create(JSON.stringify({ StartAt: 'A' })),
      'InvalidDefinition',
      SCHEMA('These fields are required: [States] at /'),
    );
  });

  test('an unknown state Type, with its location', async () => {
    await rejects(
      create(JSON.stringify({ StartAt: 'X', States: { X: { Type: 'Bogus', End: true } } })),
      'InvalidDefinition',
      SCHEMA(`${BAD_TYPE} at /States/X/Type`),
    );
  });

  test('Next to a state that does not exist', async () => {
    await rejects(
      create(
        JSON.stringify({
          StartAt: 'A',
          States: { A: { Type: 'Pass', Next: 'Nope' }, B: { Type: 'Succeed' } },
        }),
      ),
      'InvalidDefinition',
      /^Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at \/States\/A\/Next[,']/,
    );
    // A Choice whose Default names no state; everything else is sound.
    const choice = {
      StartAt: 'A',
      States: {
        A: { Type: 'Choice', Choices: [{ Variable: '$.x', IsPresent: true, Next: 'Done' }], Default: 'Nope' },
        Done: { Type: 'Succeed' },
      },
    };
    await rejects(
      create(JSON.stringify(choice)),
      'InvalidDefinition',
      "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/A/Default'",
    );
  });

  test('several problems are all reported, each with its location', async () => {
    const definition = JSON.stringify({
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Next: 'Nope' },
        B: { Type: 'Bogus', End: true },
        C: { Type: 'Pass', Next: 'Missing' },
      },
    });
    await rejects(create(definition), 'InvalidDefinition', /^Invalid State Machine Definition: '.*'$/s);
    const error: unknown = await create(definition).then(
      () => undefined,
      (e: unknown) => e,
    );
    const message = error instanceof Error ? error.message : '';
    assert.ok(message.includes(`SCHEMA_VALIDATION_FAILED: ${BAD_TYPE} at /States/B/Type`), message);
    assert.ok(
      message.includes("MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/A/Next"),
      message,
    );
    assert.ok(
      message.includes("MISSING_TRANSITION_TARGET: Missing 'Next' target: Missing at /States/C/Next"),
      message,
    );
  });

  test('a definition that is not JSON', async () => {
    await rejects(
      create('{"StartAt": "A", '),
      'InvalidDefinition',
      /^Invalid State Machine Definition: '.+'$/s,
    );
  });

  test('UpdateStateMachine checks the definition too, and leaves the machine as it was', async () => {
    await rejects(
      sfn.send(
        new UpdateStateMachineCommand({
          stateMachineArn: SM_ARN,
          definition: JSON.stringify({ StartAt: 'A' }),
        }),
      ),
      'InvalidDefinition',
      SCHEMA('These fields are required: [States] at /'),
    );
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: SM_ARN }));
    assert.equal(described.definition, TASK_DEFINITION);
    assert.equal(described.revisionId, undefined, 'no revision was made');
  });
});

describe('payloads', () => {
  test('InvalidExecutionInput: not JSON, and the empty string', async () => {
    await rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, input: 'not json' })),
      'InvalidExecutionInput',
      /^Invalid State Machine Execution Input: '.+'$/s,
    );
    await rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, input: '{"age": 30' })),
      'InvalidExecutionInput',
      /^Invalid State Machine Execution Input: '.+'$/s,
    );
    await rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, input: '' })),
      'InvalidExecutionInput',
      "Invalid State Machine Execution Input: 'Invalid execution input.'",
    );
  });

  test('any JSON text is valid input: null, a number, a bare string', async () => {
    const pass = await sfn.send(
      new CreateStateMachineCommand({ name: 'errors-pass', definition: PASS_DEFINITION, roleArn: ROLE_ARN }),
    );
    const stateMachineArn: string | undefined = pass.stateMachineArn;
    assert.ok(stateMachineArn !== undefined);
    for (const input of ['null', '5', '"str"', '[1,2]']) {
      const started: StartExecutionCommandOutput = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, input }),
      );
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      assert.equal(d.status, 'SUCCEEDED', input);
      assert.equal(d.output, input);
    }
  });

  test('InvalidOutput leaves the task open; a valid answer then completes it', async () => {
    const { executionArn, taskToken } = await startTask('invalid-output');
    await rejects(sfn.send(new SendTaskSuccessCommand({ taskToken, output: 'not json' })), 'InvalidOutput');
    await rejects(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{"a":' })), 'InvalidOutput');
    const running = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    assert.equal(running.status, 'RUNNING');
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    assert.equal(history.events?.at(-1)?.type, 'ActivityStarted', 'the rejected answer wrote no event');
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{"ok":true}' }));
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    assert.equal(done.status, 'SUCCEEDED');
    assert.equal(done.output, '{"ok":true}');
  });
});

describe('task tokens', () => {
  test('InvalidToken for a garbage token, on every SendTask* operation', async () => {
    const taskToken = 'garbage-token';
    await rejects(
      sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })),
      'InvalidToken',
      INVALID_TOKEN,
    );
    await rejects(
      sfn.send(new SendTaskFailureCommand({ taskToken, error: 'e' })),
      'InvalidToken',
      INVALID_TOKEN,
    );
    await rejects(sfn.send(new SendTaskHeartbeatCommand({ taskToken })), 'InvalidToken', INVALID_TOKEN);
  });

  test('InvalidToken for a pagination token that was never issued', async () => {
    await rejects(
      sfn.send(new ListExecutionsCommand({ stateMachineArn: SM_ARN, nextToken: 'not-a-token' })),
      'InvalidToken',
      INVALID_TOKEN,
    );
    await rejects(
      sfn.send(new ListStateMachinesCommand({ nextToken: 'not-a-token' })),
      'InvalidToken',
      INVALID_TOKEN,
    );
    await rejects(
      sfn.send(new ListActivitiesCommand({ nextToken: 'not-a-token' })),
      'InvalidToken',
      INVALID_TOKEN,
    );
  });

  test('TaskTimedOut for the token of a finished task', async () => {
    const { executionArn, taskToken } = await startTask('finished-task');
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }));
    assert.equal((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status, 'SUCCEEDED');
    await rejects(
      sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })),
      'TaskTimedOut',
      TASK_TIMED_OUT,
    );
    await rejects(
      sfn.send(new SendTaskFailureCommand({ taskToken, error: 'late' })),
      'TaskTimedOut',
      TASK_TIMED_OUT,
    );
    await rejects(sfn.send(new SendTaskHeartbeatCommand({ taskToken })), 'TaskTimedOut', TASK_TIMED_OUT);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    assert.equal(history.events?.at(-1)?.type, 'ExecutionSucceeded', 'late answers wrote nothing');
  });

  test('TaskTimedOut for a token after StopExecution', async () => {
    const { executionArn, taskToken } = await startTask('stopped-task');
    await sfn.send(new StopExecutionCommand({ executionArn }));
    await rejects(
      sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })),
      'TaskTimedOut',
      TASK_TIMED_OUT,
    );
    await rejects(sfn.send(new SendTaskFailureCommand({ taskToken })), 'TaskTimedOut', TASK_TIMED_OUT);
    await rejects(sfn.send(new SendTaskHeartbeatCommand({ taskToken })), 'TaskTimedOut', TASK_TIMED_OUT);
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    assert.equal(d.status, 'ABORTED');
  });

  test('TaskDoesNotExist for a well-formed token whose execution never existed', async () => {
    const taskToken = encodeTaskToken({
      executionArn: MISSING_EXECUTION,
      threadId: 'root',
      nonce: '00'.repeat(16),
    });
    await rejects(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })), 'TaskDoesNotExist');
    await rejects(sfn.send(new SendTaskHeartbeatCommand({ taskToken })), 'TaskDoesNotExist');
  });
});

describe('request validation and the protocol edge', () => {
  test('ValidationException: maxResults 1001, exact Smithy text', async () => {
    await rejects(
      sfn.send(new ListExecutionsCommand({ stateMachineArn: SM_ARN, maxResults: 1001 })),
      'ValidationException',
      MAX_RESULTS,
    );
    await rejects(
      sfn.send(new ListStateMachinesCommand({ maxResults: 1001 })),
      'ValidationException',
      MAX_RESULTS,
    );
    await rejects(
      sfn.send(new ListActivitiesCommand({ maxResults: 1001 })),
      'ValidationException',
      MAX_RESULTS,
    );
    await rejects(
      sfn.send(new GetExecutionHistoryCommand({ executionArn: MISSING_EXECUTION, maxResults: 1001 })),
      'ValidationException',
      MAX_RESULTS,
    );
  });

  test('ValidationException: a statusFilter outside the enum, exact Smithy text', async () => {
    await rejects(
      sfn.send(
        new ListExecutionsCommand({ stateMachineArn: SM_ARN, statusFilter: 'succeeded' as ExecutionStatus }),
      ),
      'ValidationException',
      STATUS_ENUM,
    );
  });

  test('ValidationException: an error longer than 256 characters in SendTaskFailure', async () => {
    const error = 'e'.repeat(257);
    await rejects(
      sfn.send(new SendTaskFailureCommand({ taskToken: 'garbage-token', error })),
      'ValidationException',
      // `error` is a sensitive member: AWS's validator does not echo its value.
      "1 validation error detected: Value at 'error' failed to satisfy constraint: " +
        'Member must have length less than or equal to 256',
    );
  });

  test('MissingRequiredParameter: UpdateStateMachine with nothing to update', async () => {
    await rejects(
      sfn.send(new UpdateStateMachineCommand({ stateMachineArn: SM_ARN })),
      'MissingRequiredParameter',
      MISSING_PARAMETER,
    );
  });

  test('UnknownOperationException for an unknown X-Amz-Target', async () => {
    const answer = await raw('AWSStepFunctions.LaunchRockets', '{}');
    assert.equal(answer.status, 400);
    assert.equal(answer.type, 'application/x-amz-json-1.0');
    assert.equal(answer.body['__type'], 'UnknownOperationException');
    assert.equal(typeof answer.body['message'], 'string');
    const missing = await raw(undefined, '{}');
    assert.equal(missing.status, 400);
    assert.equal(missing.body['__type'], 'UnknownOperationException');
  });

  test('SerializationException for a body that is not JSON', async () => {
    for (const body of ['this is not json', '{"name": ', '[1, 2]']) {
      const answer = await raw('AWSStepFunctions.CreateActivity', body);
      assert.equal(answer.status, 400, body);
      assert.equal(answer.body['__type'], 'SerializationException', body);
      assert.equal(typeof answer.body['message'], 'string');
    }
  });

  test('a required member missing on the wire is a ValidationException', async () => {
    const answer = await raw('AWSStepFunctions.CreateActivity', '{}');
    assert.equal(answer.status, 400);
    assert.equal(answer.body['__type'], 'ValidationException');
    assert.equal(
      answer.body['message'],
      "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    );
  });
});

describe('a failed request changes nothing', () => {
  test('rejected CreateStateMachine calls leave ListStateMachines unchanged', async () => {
    const before = await listStateMachineArns();
    await rejects(
      sfn.send(
        new CreateStateMachineCommand({ name: 'never', definition: '{"StartAt":"A"}', roleArn: ROLE_ARN }),
      ),
      'InvalidDefinition',
    );
    await rejects(
      sfn.send(
        new CreateStateMachineCommand({ name: 'never ever', definition: PASS_DEFINITION, roleArn: ROLE_ARN }),
      ),
      'InvalidName',
    );
    await rejects(
      sfn.send(new CreateStateMachineCommand({ name: SM, definition: PASS_DEFINITION, roleArn: ROLE_ARN })),
      'StateMachineAlreadyExists',
    );
    assert.deepEqual(await listStateMachineArns(), before);
    await rejects(
      sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${PREFIX}:stateMachine:never` })),
      'StateMachineDoesNotExist',
    );
  });

  test('rejected StartExecution calls create no execution', async () => {
    const before = await listExecutionArns();
    await rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'never', input: 'not json' })),
      'InvalidExecutionInput',
    );
    await rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'never', input: '' })),
      'InvalidExecutionInput',
    );
    await rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'nev er' })),
      'InvalidName',
    );
    assert.deepEqual(await listExecutionArns(), before);
    await rejects(
      sfn.send(new DescribeExecutionCommand({ executionArn: `${PREFIX}:execution:${SM}:never` })),
      'ExecutionDoesNotExist',
    );
    // Nothing was queued for the activity either.
    const poll = await sfn.send(
      new GetActivityTaskCommand({ activityArn: ACTIVITY_ARN, workerName: 'errors' }),
    );
    assert.equal(poll.taskToken, undefined);
  });

  test('a rejected CreateActivity leaves ListActivities unchanged', async () => {
    const names = async (): Promise<string[]> =>
      ((await sfn.send(new ListActivitiesCommand({ maxResults: 1000 }))).activities ?? []).map(
        (a) => a.name ?? '',
      );
    const before = await names();
    await rejects(sfn.send(new CreateActivityCommand({ name: 'bad/name' })), 'InvalidName');
    assert.deepEqual(await names(), before);
  });

  test('a rejected UpdateStateMachine leaves the machine unchanged', async () => {
    await rejects(
      sfn.send(new UpdateStateMachineCommand({ stateMachineArn: SM_ARN })),
      'MissingRequiredParameter',
    );
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: SM_ARN }));
    assert.equal(described.definition, TASK_DEFINITION);
    assert.equal(described.revisionId, undefined);
  });
});

describe('the same errors through boto3', () => {
  interface Result {
    code?: string;
    message?: string;
    status?: number;
    modeled?: boolean;
    ok?: unknown;
  }

  test('boto3 raises the modeled exception with AWS wording', async () => {
    const finished = await startTask('boto3-finished');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: finished.taskToken, output: '{}' }));
    const open = await startTask('boto3-open');
    await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'boto3-dup', input: '{"a":1}' }),
    );

    const script = `
import json, os, boto3
from botocore.exceptions import ClientError
A = json.loads(os.environ['ARGS'])
sfn = boto3.client('stepfunctions')
results = {}
def check(label, fn):
    try:
        out = fn()
        out.pop('ResponseMetadata', None)
        results[label] = {'ok': out}
    except ClientError as e:
        code = e.response['Error']['Code']
        modeled = hasattr(sfn.exceptions, code) and isinstance(e, getattr(sfn.exceptions, code))
        results[label] = {'code': code, 'message': e.response['Error']['Message'],
                          'status': e.response['ResponseMetadata']['HTTPStatusCode'], 'modeled': modeled}
check('InvalidArn', lambda: sfn.describe_activity(activityArn='no_an_activity_arn'))
check('InvalidName', lambda: sfn.create_activity(name='activity name'))
check('ActivityDoesNotExist', lambda: sfn.get_activity_task(activityArn=A['missingActivity'], workerName='w'))
check('StateMachineDoesNotExist', lambda: sfn.describe_state_machine(stateMachineArn=A['missingSm']))
check('ExecutionDoesNotExist', lambda: sfn.get_execution_history(executionArn=A['missingExecution']))
check('ExecutionAlreadyExists', lambda: sfn.start_execution(stateMachineArn=A['sm'], name='boto3-dup', input='{"a":2}'))
check('ExecutionIdempotent', lambda: {'executionArn': sfn.start_execution(stateMachineArn=A['sm'], name='boto3-dup', input='{"a":1}')['executionArn']})
check('StateMachineAlreadyExists', lambda: sfn.create_state_machine(name=A['smName'], definition=A['pass'], roleArn=A['role']))
check('InvalidDefinition', lambda: sfn.create_state_machine(name='boto3-bad', definition='{"StartAt":"A"}', roleArn=A['role']))
check('InvalidExecutionInput', lambda: sfn.start_execution(stateMachineArn=A['sm'], input=''))
check('InvalidOutput', lambda: sfn.send_task_success(taskToken=A['openToken'], output='not json'))
check('InvalidToken', lambda: sfn.send_task_success(taskToken='garbage-token', output='{}'))
check('TaskTimedOut', lambda: sfn.send_task_failure(taskToken=A['finishedToken'], error='late'))
check('ValidationException', lambda: sfn.list_executions(stateMachineArn=A['sm'], statusFilter='succeeded'))
check('MissingRequiredParameter', lambda: sfn.update_state_machine(stateMachineArn=A['sm']))
check('DeleteMissingActivity', lambda: sfn.delete_activity(activityArn=A['missingActivity']))
check('CreateActivityTwice', lambda: {'same': sfn.create_activity(name=A['activity'])['activityArn'] == sfn.create_activity(name=A['activity'])['activityArn']})
print(json.dumps(results))
`;
    const { stdout } = await run('python3', ['-c', script], {
      env: {
        ...awsEnv(server.url),
        ARGS: JSON.stringify({
          missingActivity: MISSING_ACTIVITY,
          missingSm: MISSING_SM,
          missingExecution: MISSING_EXECUTION,
          sm: SM_ARN,
          smName: SM,
          pass: PASS_DEFINITION,
          role: ROLE_ARN,
          finishedToken: finished.taskToken,
          openToken: open.taskToken,
          activity: ACTIVITY,
        }),
      },
      timeout: 30_000,
    });
    const results = JSON.parse(stdout) as Record<string, Result>;
    const expectError = (label: string, code: string, message?: string | RegExp): void => {
      const r = results[label];
      assert.ok(r !== undefined, label);
      assert.equal(r.code, code, `${label}: ${JSON.stringify(r)}`);
      assert.equal(r.status, 400, label);
      assert.equal(r.modeled, true, `${label}: boto3 raises sfn.exceptions.${code}`);
      if (typeof message === 'string') assert.equal(r.message, message, label);
      else if (message !== undefined) assert.match(r.message ?? '', message, label);
    };
    expectError('InvalidArn', 'InvalidArn', "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'");
    expectError('InvalidName', 'InvalidName', "Invalid Name: 'activity name'");
    expectError(
      'ActivityDoesNotExist',
      'ActivityDoesNotExist',
      `Activity Does Not Exist: '${MISSING_ACTIVITY}'`,
    );
    expectError(
      'StateMachineDoesNotExist',
      'StateMachineDoesNotExist',
      `State Machine Does Not Exist: '${MISSING_SM}'`,
    );
    expectError(
      'ExecutionDoesNotExist',
      'ExecutionDoesNotExist',
      `Execution Does Not Exist: '${MISSING_EXECUTION}'`,
    );
    expectError(
      'ExecutionAlreadyExists',
      'ExecutionAlreadyExists',
      `Execution Already Exists: '${PREFIX}:execution:${SM}:boto3-dup'`,
    );
    assert.deepEqual(results['ExecutionIdempotent'], {
      ok: { executionArn: `${PREFIX}:execution:${SM}:boto3-dup` },
    });
    expectError(
      'StateMachineAlreadyExists',
      'StateMachineAlreadyExists',
      `State Machine Already Exists: '${SM_ARN}'`,
    );
    expectError('InvalidDefinition', 'InvalidDefinition', SCHEMA('These fields are required: [States] at /'));
    expectError(
      'InvalidExecutionInput',
      'InvalidExecutionInput',
      "Invalid State Machine Execution Input: 'Invalid execution input.'",
    );
    expectError('InvalidOutput', 'InvalidOutput');
    expectError('InvalidToken', 'InvalidToken', INVALID_TOKEN);
    expectError('TaskTimedOut', 'TaskTimedOut', TASK_TIMED_OUT);
    expectError('ValidationException', 'ValidationException', STATUS_ENUM);
    expectError('MissingRequiredParameter', 'MissingRequiredParameter', MISSING_PARAMETER);
    assert.deepEqual(results['DeleteMissingActivity'], { ok: {} });
    assert.deepEqual(results['CreateActivityTwice'], { ok: { same: true } });
  });
});
