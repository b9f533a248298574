/**
 * The seed scenario (../shared/seed/000_1c0cd47e02f705c6.txt) driven as its users drive it: an
 * "age check" activity shared by two state machines, ContentBrowse (exactly the blog's ASL)
 * and AppDownload (a different flow around the same activity), answered by
 *   - the blog's boto3 worker loop (fixtures/age_check_worker.py) in its own Python process,
 *   - the aws CLI (`get-activity-task`, `send-task-success`, `send-task-failure`),
 *   - @aws-sdk/client-sfn.
 * Every execution's status, output, error/cause and full history (types, ids,
 * previousEventIds, details) is checked against what AWS records (reference §3.3).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetActivityTaskCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionListItem, ExecutionStatus, HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';

import { awsEnv, sdkClient, startTestServer, tempDir } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL('./fixtures/age_check_worker.py', import.meta.url));

const PREFIX = 'arn:aws:states:us-east-1:123456789012';
const ACTIVITY_ARN = `${PREFIX}:activity:ageCheck`;
const CONTENT_BROWSE_ARN = `${PREFIX}:stateMachine:ContentBrowse`;
const APP_DOWNLOAD_ARN = `${PREFIX}:stateMachine:AppDownload`;
const ROLE_ARN = 'arn:aws:iam::123456789012:role/service-role/StepFunctions-ageCheck-role';

const ADULT_OUTPUT = '{"type":"adult","message":"allowed"}';
const CHECK_FAILED = { Error: 'age check failed', Cause: 'child under 18 is not allowed!' };

/** The blog's ContentBrowse machine, verbatim but for the activity ARN. */
const CONTENT_BROWSE = JSON.stringify(
  {
    Comment: 'An example using a Task state.',
    StartAt: 'ContentBrowsedAllowed?',
    Version: '1.0',
    TimeoutSeconds: 300,
    States: {
      'ContentBrowsedAllowed?': {
        Type: 'Task',
        Resource: ACTIVITY_ARN,
        Next: 'Succeed',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error-info', Next: 'Failure' }],
      },
      Failure: { Type: 'Fail', Cause: 'Invalid response.', Error: 'CheckFailed' },
      Succeed: { Type: 'Succeed' },
    },
  },
  null,
  2,
);

/** "Create AppDownload similarly; its flow may differ, only the age check is shared." */
const APP = { name: 'stepwise-demo', size: 42 };
const APP_DOWNLOAD = JSON.stringify(
  {
    Comment: 'App download: look the app up, check the age, then download.',
    StartAt: 'LookupApp',
    TimeoutSeconds: 300,
    States: {
      LookupApp: { Type: 'Pass', Result: APP, ResultPath: '$.app', Next: 'AgeCheck' },
      AgeCheck: {
        Type: 'Task',
        Resource: ACTIVITY_ARN,
        ResultPath: '$.check',
        Next: 'Allowed?',
        Catch: [{ ErrorEquals: ['age check failed'], ResultPath: '$.error-info', Next: 'Denied' }],
      },
      'Allowed?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.check.type', StringEquals: 'adult', Next: 'Download' }],
        Default: 'Denied',
      },
      Download: { Type: 'Pass', Parameters: { 'app.$': '$.app.name', status: 'downloading' }, End: true },
      Denied: { Type: 'Fail', Error: 'DownloadDenied', Cause: 'Under-age users may not download apps.' },
    },
  },
  null,
  2,
);

// --- expected histories (payloads compared as parsed JSON) ------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Expected {
  id: number;
  previousEventId: number;
  type: string;
  [member: string]: unknown;
}

const NOT_TRUNCATED = { truncated: false };

function ev(id: number, previousEventId: number, type: string, member?: string, details?: object): Expected {
  return member === undefined
    ? { id, previousEventId, type }
    : { id, previousEventId, type, [member]: details };
}
const entered = (id: number, prev: number, type: string, name: string, input: Json): Expected =>
  ev(id, prev, type, 'stateEnteredEventDetails', { name, input, inputDetails: NOT_TRUNCATED });
const exited = (id: number, prev: number, type: string, name: string, output: Json): Expected =>
  ev(id, prev, type, 'stateExitedEventDetails', { name, output, outputDetails: NOT_TRUNCATED });
const started = (input: Json): Expected =>
  ev(1, 0, 'ExecutionStarted', 'executionStartedEventDetails', {
    input,
    inputDetails: NOT_TRUNCATED,
    roleArn: ROLE_ARN,
  });
/** ActivityScheduled, ActivityStarted from id `first`; the state was entered at `first - 1`. */
const activity = (first: number, input: Json, workerName: string): Expected[] => [
  ev(first, first - 1, 'ActivityScheduled', 'activityScheduledEventDetails', {
    resource: ACTIVITY_ARN,
    input,
    inputDetails: NOT_TRUNCATED,
  }),
  ev(first + 1, first, 'ActivityStarted', 'activityStartedEventDetails', { workerName }),
];

const TASK = 'ContentBrowsedAllowed?';

function contentBrowseSucceeded(age: number, workerName: string): Expected[] {
  const input = { age };
  const output = JSON.parse(ADULT_OUTPUT) as Json;
  return [
    started(input),
    entered(2, 0, 'TaskStateEntered', TASK, input),
    ...activity(3, input, workerName),
    ev(5, 4, 'ActivitySucceeded', 'activitySucceededEventDetails', { output, outputDetails: NOT_TRUNCATED }),
    exited(6, 5, 'TaskStateExited', TASK, output),
    entered(7, 6, 'SucceedStateEntered', 'Succeed', output),
    exited(8, 7, 'SucceedStateExited', 'Succeed', output),
    ev(9, 8, 'ExecutionSucceeded', 'executionSucceededEventDetails', {
      output,
      outputDetails: NOT_TRUNCATED,
    }),
  ];
}

function contentBrowseCaught(age: number, workerName: string): Expected[] {
  const input = { age };
  const caught = { age, 'error-info': CHECK_FAILED };
  return [
    started(input),
    entered(2, 0, 'TaskStateEntered', TASK, input),
    ...activity(3, input, workerName),
    ev(5, 4, 'ActivityFailed', 'activityFailedEventDetails', {
      error: CHECK_FAILED.Error,
      cause: CHECK_FAILED.Cause,
    }),
    exited(6, 5, 'TaskStateExited', TASK, caught),
    entered(7, 6, 'FailStateEntered', 'Failure', caught),
    ev(8, 7, 'ExecutionFailed', 'executionFailedEventDetails', {
      error: 'CheckFailed',
      cause: 'Invalid response.',
    }),
  ];
}

function appDownloadSucceeded(age: number, workerName: string): Expected[] {
  const input = { age };
  const withApp = { age, app: APP };
  const checked = { ...withApp, check: JSON.parse(ADULT_OUTPUT) as Json };
  const output = { app: APP.name, status: 'downloading' };
  return [
    started(input),
    entered(2, 0, 'PassStateEntered', 'LookupApp', input),
    exited(3, 2, 'PassStateExited', 'LookupApp', withApp),
    entered(4, 3, 'TaskStateEntered', 'AgeCheck', withApp),
    ...activity(5, withApp, workerName),
    ev(7, 6, 'ActivitySucceeded', 'activitySucceededEventDetails', {
      output: JSON.parse(ADULT_OUTPUT) as Json,
      outputDetails: NOT_TRUNCATED,
    }),
    exited(8, 7, 'TaskStateExited', 'AgeCheck', checked),
    entered(9, 8, 'ChoiceStateEntered', 'Allowed?', checked),
    exited(10, 9, 'ChoiceStateExited', 'Allowed?', checked),
    entered(11, 10, 'PassStateEntered', 'Download', checked),
    exited(12, 11, 'PassStateExited', 'Download', output),
    ev(13, 12, 'ExecutionSucceeded', 'executionSucceededEventDetails', {
      output,
      outputDetails: NOT_TRUNCATED,
    }),
  ];
}

function appDownloadCaught(age: number, workerName: string): Expected[] {
  const input = { age };
  const withApp = { age, app: APP };
  const caught = { ...withApp, 'error-info': CHECK_FAILED };
  return [
    started(input),
    entered(2, 0, 'PassStateEntered', 'LookupApp', input),
    exited(3, 2, 'PassStateExited', 'LookupApp', withApp),
    entered(4, 3, 'TaskStateEntered', 'AgeCheck', withApp),
    ...activity(5, withApp, workerName),
    ev(7, 6, 'ActivityFailed', 'activityFailedEventDetails', {
      error: CHECK_FAILED.Error,
      cause: CHECK_FAILED.Cause,
    }),
    exited(8, 7, 'TaskStateExited', 'AgeCheck', caught),
    entered(9, 8, 'FailStateEntered', 'Denied', caught),
    ev(10, 9, 'ExecutionFailed', 'executionFailedEventDetails', {
      error: 'DownloadDenied',
      cause: 'Under-age users may not download apps.',
    }),
  ];
}

/**
 * An event as any client returned it, minus the timestamp (checked to be present), with the
 * JSON text of `input`/`output` parsed so that expectations can be written as values.
 */
function normalize(event: Record<string, unknown>): Record<string, unknown> {
  const { timestamp, ...rest } = event;
  assert.ok(timestamp !== undefined && timestamp !== null, `event ${String(rest['id'])} has a timestamp`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    if (key.endsWith('EventDetails') && typeof value === 'object' && value !== null) {
      const details: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        details[k] = (k === 'input' || k === 'output') && typeof v === 'string' ? JSON.parse(v) : v;
      }
      out[key] = details;
    } else {
      out[key] = value;
    }
  }
  return out;
}

function assertHistory(events: readonly object[], expected: Expected[], label: string): void {
  const actual = events.map((e) => normalize(e as Record<string, unknown>));
  assert.deepEqual(
    actual.map((e) => `${String(e['id'])}←${String(e['previousEventId'])} ${String(e['type'])}`),
    expected.map((e) => `${e.id}←${e.previousEventId} ${e.type}`),
    `${label}: event sequence`,
  );
  assert.deepEqual(actual, expected, `${label}: event details`);
}

// --- clients --------------------------------------------------------------------------------

let server: TestServer;
let sfn: SFNClient;
const children = new Set<ChildProcess>();

/** Runs a Python/boto3 snippet with ARGS (JSON) in its environment; returns its JSON output. */
async function boto3<T>(code: string, args: unknown = {}): Promise<T> {
  const prelude = [
    'import json, os, sys, boto3',
    "ARGS = json.loads(os.environ['ARGS'])",
    "sfn = boto3.client('stepfunctions')",
    'def emit(value): print(json.dumps(value, default=lambda o: o.timestamp()))',
  ].join('\n');
  const { stdout } = await run('python3', ['-c', `${prelude}\n${code}`], {
    env: { ...awsEnv(server.url), ARGS: JSON.stringify(args) },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as T;
}

/** `aws stepfunctions …`; returns the parsed JSON output ({} when the CLI prints nothing). */
async function aws(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run('aws', ['stepfunctions', ...args, '--output', 'json'], {
    env: awsEnv(server.url),
    timeout: 30_000,
  });
  return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
}

/** The seed's worker in its own process; its JSON lines are collected as they arrive. */
function startWorker(args: string[]): {
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
  child: ChildProcess;
} {
  const child = spawn('python3', [WORKER, ...args], {
    env: awsEnv(server.url),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      if (code !== 0) console.error(`worker exited with ${code}:\n${stderr}`);
      resolve(code);
    }),
  );
  return { lines, exited, child };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

before(async () => {
  // A short long-poll hold, so that the workers' empty polls happen within the test's time.
  server = await startTestServer({ pollHoldMs: 1000 });
  sfn = sdkClient(server.url);
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  sfn.destroy();
  await server.stop();
});

// --- boto3 ----------------------------------------------------------------------------------

describe('seed scenario through boto3 and the seed worker loop', () => {
  interface Outcome {
    describe: Record<string, unknown>;
    events: Record<string, unknown>[];
  }

  test('both state machines share the ageCheck activity; adults pass, children are caught', async () => {
    const created = await boto3<{ activityArn: string; contentBrowse: string; appDownload: string }>(
      `
a = sfn.create_activity(name='ageCheck')
cb = sfn.create_state_machine(name='ContentBrowse', definition=ARGS['cb'], roleArn=ARGS['role'])
ad = sfn.create_state_machine(name='AppDownload', definition=ARGS['ad'], roleArn=ARGS['role'])
emit({'activityArn': a['activityArn'], 'contentBrowse': cb['stateMachineArn'], 'appDownload': ad['stateMachineArn']})
`,
      { cb: CONTENT_BROWSE, ad: APP_DOWNLOAD, role: ROLE_ARN },
    );
    assert.deepEqual(created, {
      activityArn: ACTIVITY_ARN,
      contentBrowse: CONTENT_BROWSE_ARN,
      appDownload: APP_DOWNLOAD_ARN,
    });

    const worker = startWorker([
      ACTIVITY_ARN,
      '--worker-name',
      'abc',
      '--max-tasks',
      '4',
      '--empty-sleep',
      '0.05',
    ]);
    try {
      // The worker polls before there is any work: an empty answer must not break its loop.
      await waitFor('an empty poll', () => worker.lines.some((l) => l['event'] === 'empty'));

      const runs = [
        { sm: CONTENT_BROWSE_ARN, name: 'boto3-cb-adult', age: 30 },
        { sm: CONTENT_BROWSE_ARN, name: 'boto3-cb-child', age: 12 },
        { sm: APP_DOWNLOAD_ARN, name: 'boto3-ad-adult', age: 30 },
        { sm: APP_DOWNLOAD_ARN, name: 'boto3-ad-child', age: 12 },
      ];
      const arns = await boto3<string[]>(
        `
emit([sfn.start_execution(stateMachineArn=r['sm'], name=r['name'], input=json.dumps({'age': r['age']}))['executionArn']
      for r in ARGS])
`,
        runs,
      );
      assert.deepEqual(
        arns,
        runs.map((r) => `${PREFIX}:execution:${r.sm.split(':').pop() ?? ''}:${r.name}`),
      );

      assert.equal(await withTimeout(worker.exited, 30_000, 'the worker to handle 4 tasks'), 0);
      const tasks = worker.lines.filter((l) => l['event'] === 'task');
      assert.deepEqual(tasks.map((t) => `${String(t['age'])}:${String(t['answer'])}`).sort(), [
        '12:failure',
        '12:failure',
        '30:success',
        '30:success',
      ]);
      assert.deepEqual(worker.lines.at(-1), { event: 'done', handled: 4 });

      const outcomes = await boto3<Outcome[]>(
        `
out = []
for arn in ARGS:
    d = sfn.describe_execution(executionArn=arn)
    d.pop('ResponseMetadata')
    events = [e for page in sfn.get_paginator('get_execution_history').paginate(executionArn=arn) for e in page['events']]
    out.append({'describe': d, 'events': events})
emit(out)
`,
        arns,
      );
      const [cbAdult, cbChild, adAdult, adChild] = outcomes;
      assert.ok(cbAdult && cbChild && adAdult && adChild);

      // json.dumps({'age': 30}) is '{"age": 30}': AWS echoes the execution input verbatim.
      assert.equal(cbAdult.describe['input'], '{"age": 30}');
      assert.equal(cbAdult.describe['status'], 'SUCCEEDED');
      assert.equal(cbAdult.describe['output'], ADULT_OUTPUT);
      assert.equal(cbAdult.describe['error'], undefined);
      assert.equal(typeof cbAdult.describe['stopDate'], 'number');
      assertHistory(cbAdult.events, contentBrowseSucceeded(30, 'abc'), 'ContentBrowse age 30');

      assert.equal(cbChild.describe['status'], 'FAILED');
      assert.equal(cbChild.describe['error'], 'CheckFailed');
      assert.equal(cbChild.describe['cause'], 'Invalid response.');
      assert.equal(cbChild.describe['output'], undefined);
      assertHistory(cbChild.events, contentBrowseCaught(12, 'abc'), 'ContentBrowse age 12');

      assert.equal(adAdult.describe['status'], 'SUCCEEDED');
      assert.deepEqual(JSON.parse(String(adAdult.describe['output'])), {
        app: APP.name,
        status: 'downloading',
      });
      assertHistory(adAdult.events, appDownloadSucceeded(30, 'abc'), 'AppDownload age 30');

      assert.equal(adChild.describe['status'], 'FAILED');
      assert.equal(adChild.describe['error'], 'DownloadDenied');
      assert.equal(adChild.describe['cause'], 'Under-age users may not download apps.');
      assertHistory(adChild.events, appDownloadCaught(12, 'abc'), 'AppDownload age 12');
    } finally {
      worker.child.kill('SIGKILL');
    }
  });

  test('the worker stops on its flag file while idle', async () => {
    const dir = tempDir();
    const stopFile = `${dir.path}/stop`;
    const worker = startWorker([ACTIVITY_ARN, '--stop-file', stopFile, '--empty-sleep', '0.05']);
    try {
      await waitFor('an empty poll', () => worker.lines.some((l) => l['event'] === 'empty'));
      writeFileSync(stopFile, '');
      assert.equal(await withTimeout(worker.exited, 10_000, 'the worker to stop'), 0);
      assert.deepEqual(worker.lines.at(-1), { event: 'done', handled: 0 });
    } finally {
      worker.child.kill('SIGKILL');
      dir.remove();
    }
  });
});

// --- aws CLI --------------------------------------------------------------------------------

describe('seed scenario through the aws CLI', () => {
  test('create-activity and create-state-machine are idempotent for the same name and definition', async () => {
    assert.equal((await aws('create-activity', '--name', 'ageCheck'))['activityArn'], ACTIVITY_ARN);
    const sm = await aws(
      'create-state-machine',
      '--name',
      'ContentBrowse',
      '--definition',
      CONTENT_BROWSE,
      '--role-arn',
      ROLE_ARN,
    );
    assert.equal(sm['stateMachineArn'], CONTENT_BROWSE_ARN);
  });

  test('start-execution, get-activity-task, send-task-success, describe-execution, get-execution-history', async () => {
    const startedExec = await aws(
      'start-execution',
      '--state-machine-arn',
      CONTENT_BROWSE_ARN,
      '--name',
      'cli-adult',
      '--input',
      '{"age":30}',
    );
    const executionArn = String(startedExec['executionArn']);
    assert.equal(executionArn, `${PREFIX}:execution:ContentBrowse:cli-adult`);
    assert.ok(startedExec['startDate'] !== undefined);

    const running = await aws('describe-execution', '--execution-arn', executionArn);
    assert.equal(running['status'], 'RUNNING');

    const task = await aws(
      'get-activity-task',
      '--activity-arn',
      ACTIVITY_ARN,
      '--worker-name',
      'cli-worker',
    );
    assert.equal(typeof task['taskToken'], 'string');
    assert.deepEqual(JSON.parse(String(task['input'])), { age: 30 });

    const answered = await aws(
      'send-task-success',
      '--task-token',
      String(task['taskToken']),
      '--task-output',
      ADULT_OUTPUT,
    );
    assert.deepEqual(answered, {});

    const described = await aws('describe-execution', '--execution-arn', executionArn);
    assert.equal(described['status'], 'SUCCEEDED');
    assert.equal(described['input'], '{"age":30}');
    assert.equal(described['output'], ADULT_OUTPUT);

    const history = await aws('get-execution-history', '--execution-arn', executionArn);
    assertHistory(history['events'] as object[], contentBrowseSucceeded(30, 'cli-worker'), 'CLI success');
  });

  test('send-task-failure is caught into the Fail state', async () => {
    const { executionArn } = (await aws(
      'start-execution',
      '--state-machine-arn',
      CONTENT_BROWSE_ARN,
      '--name',
      'cli-child',
      '--input',
      '{"age":12}',
    )) as { executionArn: string };
    const task = await aws(
      'get-activity-task',
      '--activity-arn',
      ACTIVITY_ARN,
      '--worker-name',
      'cli-worker',
    );
    assert.deepEqual(JSON.parse(String(task['input'])), { age: 12 });
    await aws(
      'send-task-failure',
      '--task-token',
      String(task['taskToken']),
      '--error',
      CHECK_FAILED.Error,
      '--cause',
      CHECK_FAILED.Cause,
    );
    const described = await aws('describe-execution', '--execution-arn', executionArn);
    assert.equal(described['status'], 'FAILED');
    assert.equal(described['error'], 'CheckFailed');
    assert.equal(described['cause'], 'Invalid response.');
    const history = await aws('get-execution-history', '--execution-arn', executionArn);
    assertHistory(history['events'] as object[], contentBrowseCaught(12, 'cli-worker'), 'CLI caught failure');
  });

  test('get-activity-task with nothing queued prints nothing and exits 0', async () => {
    const empty = await aws(
      'get-activity-task',
      '--activity-arn',
      ACTIVITY_ARN,
      '--worker-name',
      'cli-worker',
    );
    assert.deepEqual(empty, {});
  });
});

// --- @aws-sdk/client-sfn --------------------------------------------------------------------

describe('seed scenario through @aws-sdk/client-sfn', () => {
  /** The seed's loop in JavaScript: poll, skip empty answers, judge the age, answer. */
  async function ageCheckWorker(tasks: number, workerName: string): Promise<string[]> {
    const handled: string[] = [];
    while (handled.length < tasks) {
      const task = await sfn.send(new GetActivityTaskCommand({ activityArn: ACTIVITY_ARN, workerName }));
      if (task.taskToken === undefined) continue;
      const { age } = JSON.parse(task.input ?? '{}') as { age: number };
      if (age < 18) {
        await sfn.send(
          new SendTaskFailureCommand({
            taskToken: task.taskToken,
            error: CHECK_FAILED.Error,
            cause: CHECK_FAILED.Cause,
          }),
        );
        handled.push(`${age}:failure`);
      } else {
        await sfn.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: ADULT_OUTPUT }));
        handled.push(`${age}:success`);
      }
    }
    return handled;
  }

  async function history(
    executionArn: string,
    maxResults?: number,
    reverseOrder?: boolean,
  ): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new GetExecutionHistoryCommand({
          executionArn,
          ...(maxResults !== undefined ? { maxResults } : {}),
          ...(reverseOrder !== undefined ? { reverseOrder } : {}),
          ...(nextToken !== undefined ? { nextToken } : {}),
        }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return events;
  }

  async function listAll(
    stateMachineArn: string,
    statusFilter?: ExecutionStatus,
  ): Promise<ExecutionListItem[]> {
    const items: ExecutionListItem[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({
          stateMachineArn,
          maxResults: 1,
          ...(statusFilter !== undefined ? { statusFilter } : {}),
          ...(nextToken !== undefined ? { nextToken } : {}),
        }),
      );
      assert.ok((page.executions ?? []).length <= 1, 'maxResults 1 gives at most one item per page');
      items.push(...(page.executions ?? []));
      nextToken = page.nextToken;
      assert.ok(++pages < 100, 'pagination ends');
    } while (nextToken !== undefined);
    return items;
  }

  const runs = [
    { sm: CONTENT_BROWSE_ARN, name: 'js-cb-adult', age: 30 },
    { sm: CONTENT_BROWSE_ARN, name: 'js-cb-child', age: 12 },
    { sm: APP_DOWNLOAD_ARN, name: 'js-ad-adult', age: 30 },
    { sm: APP_DOWNLOAD_ARN, name: 'js-ad-child', age: 12 },
  ];
  const arns: string[] = [];

  test('the activity and both machines, created again, keep their ARNs', async () => {
    assert.equal((await sfn.send(new CreateActivityCommand({ name: 'ageCheck' }))).activityArn, ACTIVITY_ARN);
    for (const [name, definition, arn] of [
      ['ContentBrowse', CONTENT_BROWSE, CONTENT_BROWSE_ARN],
      ['AppDownload', APP_DOWNLOAD, APP_DOWNLOAD_ARN],
    ] as const) {
      const created = await sfn.send(new CreateStateMachineCommand({ name, definition, roleArn: ROLE_ARN }));
      assert.equal(created.stateMachineArn, arn);
    }
  });

  test('GetActivityTask, SendTaskSuccess, SendTaskFailure on both machines', async () => {
    for (const r of runs) {
      const out = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: r.sm,
          name: r.name,
          input: JSON.stringify({ age: r.age }),
        }),
      );
      assert.ok(out.executionArn !== undefined && out.startDate instanceof Date);
      arns.push(out.executionArn);
    }
    const handled = await withTimeout(ageCheckWorker(4, 'js-worker'), 20_000, 'the JS worker');
    assert.deepEqual(handled.sort(), ['12:failure', '12:failure', '30:success', '30:success']);

    const expected = [
      contentBrowseSucceeded(30, 'js-worker'),
      contentBrowseCaught(12, 'js-worker'),
      appDownloadSucceeded(30, 'js-worker'),
      appDownloadCaught(12, 'js-worker'),
    ];
    const statuses = ['SUCCEEDED', 'FAILED', 'SUCCEEDED', 'FAILED'];
    for (const [i, arn] of arns.entries()) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
      assert.equal(d.status, statuses[i], arn);
      assert.equal(d.name, runs[i]?.name);
      assert.equal(d.stateMachineArn, runs[i]?.sm);
      assert.ok(d.startDate instanceof Date && d.stopDate instanceof Date);
      assert.ok(d.stopDate.getTime() >= d.startDate.getTime());
      assertHistory(await history(arn), expected[i] ?? [], `JS ${runs[i]?.name ?? ''}`);
    }
    const [cbAdult, cbChild, adAdult, adChild] = await Promise.all(
      arns.map((executionArn) => sfn.send(new DescribeExecutionCommand({ executionArn }))),
    );
    assert.equal(cbAdult?.output, ADULT_OUTPUT);
    assert.equal(cbChild?.error, 'CheckFailed');
    assert.equal(cbChild?.cause, 'Invalid response.');
    assert.deepEqual(JSON.parse(adAdult?.output ?? 'null'), { app: APP.name, status: 'downloading' });
    assert.equal(adChild?.error, 'DownloadDenied');
  });

  test('GetExecutionHistory pages and reverses consistently', async () => {
    const arn = arns[2];
    assert.ok(arn !== undefined);
    const whole = await history(arn);
    assert.equal(whole.length, 13);
    const paged = await history(arn, 3);
    assert.deepEqual(paged, whole);
    const reversed = await history(arn, 4, true);
    assert.deepEqual(reversed, [...whole].reverse());
    const first = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 5 }));
    assert.equal(first.events?.length, 5);
    assert.equal(typeof first.nextToken, 'string');
    const noData = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: arn, includeExecutionData: false }),
    );
    const startedEvent = noData.events?.[0]?.executionStartedEventDetails;
    assert.equal(startedEvent?.input, undefined, 'includeExecutionData=false drops payloads');
  });

  test('ListExecutions filters by status and paginates newest first', async () => {
    // One more execution that stays queued: nobody polls for it.
    const pending = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: CONTENT_BROWSE_ARN,
        name: 'js-cb-pending',
        input: '{"age":40}',
      }),
    );
    assert.ok(pending.executionArn !== undefined);

    const all = await listAll(CONTENT_BROWSE_ARN);
    const names = all.map((e) => e.name);
    assert.equal(new Set(names).size, names.length, 'no execution appears twice across pages');
    for (const name of ['js-cb-adult', 'js-cb-child', 'js-cb-pending']) assert.ok(names.includes(name), name);
    assert.ok(!names.some((n) => n?.startsWith('js-ad-')), 'only this state machine');
    for (let i = 1; i < all.length; i++) {
      assert.ok(
        (all[i - 1]?.startDate?.getTime() ?? 0) >= (all[i]?.startDate?.getTime() ?? 0),
        'newest first',
      );
    }
    assert.equal(all[0]?.name, 'js-cb-pending');

    for (const status of ['SUCCEEDED', 'FAILED', 'RUNNING', 'ABORTED'] as const) {
      const filtered = await listAll(CONTENT_BROWSE_ARN, status);
      assert.deepEqual(
        filtered.map((e) => e.executionArn),
        all.filter((e) => e.status === status).map((e) => e.executionArn),
        status,
      );
    }
    const running = await listAll(CONTENT_BROWSE_ARN, 'RUNNING');
    assert.deepEqual(
      running.map((e) => e.name),
      ['js-cb-pending'],
    );

    // Stopped while queued: ABORTED, and the task is never handed out afterwards.
    const stopped = await sfn.send(
      new StopExecutionCommand({
        executionArn: pending.executionArn,
        error: 'Cancelled',
        cause: 'by the test',
      }),
    );
    assert.ok(stopped.stopDate instanceof Date);
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: pending.executionArn }));
    assert.equal(d.status, 'ABORTED');
    const events = await history(pending.executionArn);
    assert.deepEqual(events.at(-1)?.executionAbortedEventDetails, {
      error: 'Cancelled',
      cause: 'by the test',
    });
    assert.equal(events.at(-1)?.type, 'ExecutionAborted');
    const poll = await sfn.send(
      new GetActivityTaskCommand({ activityArn: ACTIVITY_ARN, workerName: 'js-worker' }),
    );
    assert.equal(poll.taskToken, undefined, 'a stopped execution leaves no task behind');

    assert.deepEqual(
      (await listAll(CONTENT_BROWSE_ARN, 'ABORTED')).map((e) => e.name),
      ['js-cb-pending'],
    );
    assert.deepEqual(await listAll(CONTENT_BROWSE_ARN, 'RUNNING'), []);
  });
});
