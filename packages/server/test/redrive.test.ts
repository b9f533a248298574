/**
 * RedriveExecution through real clients on a real server: @aws-sdk/client-sfn for the flows and
 * the histories event by event, boto3 for the error classes and messages, a SQLite restart for
 * durability. AWS's rules (the developer guide's "Redriving executions"): a STANDARD execution
 * that ended FAILED, TIMED_OUT or ABORTED in the last 14 days continues from the unsuccessful
 * step with the same input; successful steps, branches and iterations are not run again.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  DeleteStateMachineCommand,
  DescribeMapRunCommand,
  ExecutionNotRedrivable,
  ListExecutionsCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { startServer } from '../src/server.js';
import type { StepwiseServer } from '../src/server.js';
import { sdkClient, startTestServer, tempDir } from './helpers/server.js';
import { postgresSkip, testSchema } from './helpers/postgres.js';
import type { TestServer } from './helpers/server.js';
import {
  assertWellFormed,
  createActivity,
  createMachine,
  describeExecution,
  eventOf,
  history,
  pollUntilTask,
  start,
  types,
  waitForEnd,
} from './helpers/sfn.js';

const run = promisify(execFile);

let server: TestServer;
let sfn: SFNClient;

before(async () => {
  server = await startTestServer();
  sfn = sdkClient(server.url);
});

after(async () => {
  sfn.destroy();
  await server.stop();
});

async function fail(
  client: SFNClient,
  taskToken: string,
  error = 'Broken',
  cause = 'try again later',
): Promise<void> {
  await client.send(new SendTaskFailureCommand({ taskToken, error, cause }));
}

async function succeed(client: SFNClient, taskToken: string, output: unknown): Promise<void> {
  await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
}

async function redrive(client: SFNClient, executionArn: string, clientToken?: string): Promise<Date> {
  const out = await client.send(
    new RedriveExecutionCommand({ executionArn, ...(clientToken !== undefined ? { clientToken } : {}) }),
  );
  assert.ok(out.redriveDate instanceof Date);
  return out.redriveDate;
}

/** The events after the `n`th ExecutionRedriven (from 1), as [type, id, previousEventId]. */
function shape(events: HistoryEvent[]): [string, number, number][] {
  return events.map((e) => [e.type ?? '?', e.id ?? 0, e.previousEventId ?? 0]);
}

/** Pass, then a Task on an activity: the guide's own example. */
function passThenTask(activityArn: string, extra: Record<string, unknown> = {}): object {
  return {
    StartAt: 'Prepare',
    States: {
      Prepare: { Type: 'Pass', Result: 'prepared', ResultPath: '$.prep', Next: 'Work' },
      Work: { Type: 'Task', Resource: activityArn, End: true },
    },
    ...extra,
  };
}

describe('RedriveExecution: a Task that failed', () => {
  test('redriven, the Task runs again with its input and succeeds; the history goes on from the failure', async () => {
    const activity = await createActivity(sfn, 'work');
    const machine = await createMachine(sfn, passThenTask(activity));
    const arn = await start(sfn, machine, { order: 7 });
    const first = await pollUntilTask(sfn, activity);
    assert.deepEqual(JSON.parse(first.input), { order: 7, prep: 'prepared' });
    await fail(sfn, first.taskToken);
    const failed = await waitForEnd(sfn, arn);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.redriveStatus, 'REDRIVABLE');
    assert.equal(failed.redriveStatusReason, undefined);
    assert.equal(failed.redriveCount, 0);
    assert.equal(failed.redriveDate, undefined);

    const redriveDate = await redrive(sfn, arn);
    const running = await describeExecution(sfn, arn);
    assert.equal(running.status, 'RUNNING');
    assert.equal(running.redriveCount, 1);
    assert.equal(running.redriveDate?.getTime(), redriveDate.getTime());
    assert.equal(running.redriveStatus, 'NOT_REDRIVABLE');
    assert.equal(running.redriveStatusReason, 'Execution is RUNNING and cannot be redriven');
    assert.equal(running.stopDate, undefined, 'the previous stop is cleared');
    assert.equal(running.error, undefined);
    assert.equal(running.cause, undefined);
    assert.equal(running.startDate?.getTime(), failed.startDate?.getTime(), 'the same execution');

    const second = await pollUntilTask(sfn, activity);
    assert.equal(second.input, first.input, 'the same input as the failed state had');
    await succeed(sfn, second.taskToken, { done: true });
    const done = await waitForEnd(sfn, arn);
    assert.equal(done.status, 'SUCCEEDED');
    assert.equal(done.output, '{"done":true}');
    assert.equal(done.redriveCount, 1);
    assert.equal(done.redriveStatus, 'NOT_REDRIVABLE');
    assert.equal(done.redriveStatusReason, 'Execution is SUCCEEDED and cannot be redriven');

    const events = await history(sfn, arn);
    assertWellFormed(events);
    assert.deepEqual(shape(events), [
      ['ExecutionStarted', 1, 0],
      ['PassStateEntered', 2, 0],
      ['PassStateExited', 3, 2],
      ['TaskStateEntered', 4, 3],
      ['ActivityScheduled', 5, 4],
      ['ActivityStarted', 6, 5],
      ['ActivityFailed', 7, 6],
      ['ExecutionFailed', 8, 7],
      ['ExecutionRedriven', 9, 8],
      ['TaskStateEntered', 10, 9],
      ['ActivityScheduled', 11, 10],
      ['ActivityStarted', 12, 11],
      ['ActivitySucceeded', 13, 12],
      ['TaskStateExited', 14, 13],
      ['ExecutionSucceeded', 15, 14],
    ]);
    const redriven = eventOf(events, 'ExecutionRedriven');
    assert.deepEqual(redriven.executionRedrivenEventDetails, { redriveCount: 1 });
    assert.equal(redriven.timestamp?.getTime(), redriveDate.getTime());
    assert.deepEqual(eventOf(events, 'TaskStateEntered', 1).stateEnteredEventDetails, {
      name: 'Work',
      input: first.input,
      inputDetails: { truncated: false },
    });

    const redrivenList = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machine, redriveFilter: 'REDRIVEN' }),
    );
    assert.deepEqual(
      redrivenList.executions?.map((e) => [e.executionArn, e.redriveCount, e.redriveDate?.getTime()]),
      [[arn, 1, redriveDate.getTime()]],
    );
    const never = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machine, redriveFilter: 'NOT_REDRIVEN' }),
    );
    assert.deepEqual(never.executions, []);
  });

  test('the same clientToken answers the same redriveDate without redriving twice', async () => {
    const activity = await createActivity(sfn, 'idem');
    const machine = await createMachine(sfn, passThenTask(activity));
    const arn = await start(sfn, machine);
    await fail(sfn, (await pollUntilTask(sfn, activity)).taskToken);
    await waitForEnd(sfn, arn);
    const date = await redrive(sfn, arn, 'token-1');
    const again = await redrive(sfn, arn, 'token-1');
    assert.equal(again.getTime(), date.getTime());
    assert.equal(types(await history(sfn, arn)).filter((t) => t === 'ExecutionRedriven').length, 1);
    await assert.rejects(
      sfn.send(new RedriveExecutionCommand({ executionArn: arn, clientToken: 'token-2' })),
      (error: unknown) =>
        error instanceof ExecutionNotRedrivable &&
        error.message === 'Execution is RUNNING and cannot be redriven',
    );
    // After it fails again, the first token still answers its own redrive.
    await fail(sfn, (await pollUntilTask(sfn, activity)).taskToken);
    await waitForEnd(sfn, arn);
    assert.equal((await redrive(sfn, arn, 'token-1')).getTime(), date.getTime());
    assert.equal((await describeExecution(sfn, arn)).status, 'FAILED');
    const third = await redrive(sfn, arn, 'token-3');
    assert.ok(third.getTime() >= date.getTime());
    assert.equal((await describeExecution(sfn, arn)).redriveCount, 2);
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
  });

  test('ABORTED and TIMED_OUT executions are redriven; the machine timeout counts again from the redrive', async () => {
    const activity = await createActivity(sfn, 'slow');
    const machine = await createMachine(sfn, passThenTask(activity, { TimeoutSeconds: 1 }));
    const arn = await start(sfn, machine);
    const timedOut = await waitForEnd(sfn, arn, 5000);
    assert.equal(timedOut.status, 'TIMED_OUT');
    assert.equal(timedOut.redriveStatus, 'REDRIVABLE');
    const redriveDate = await redrive(sfn, arn);
    const again = await waitForEnd(sfn, arn, 5000);
    assert.equal(again.status, 'TIMED_OUT');
    assert.ok(
      (again.stopDate?.getTime() ?? 0) - redriveDate.getTime() >= 900,
      'a full TimeoutSeconds after the redrive, not after the start',
    );
    const events = await history(sfn, arn);
    assertWellFormed(events);
    assert.deepEqual(types(events).slice(-5), [
      'ExecutionTimedOut',
      'ExecutionRedriven',
      'TaskStateEntered',
      'ActivityScheduled',
      'ExecutionTimedOut',
    ]);

    const stopMachine = await createMachine(sfn, passThenTask(activity));
    const stopped = await start(sfn, stopMachine);
    await sfn.send(new StopExecutionCommand({ executionArn: stopped, error: 'Halt', cause: 'by hand' }));
    assert.equal((await describeExecution(sfn, stopped)).redriveStatus, 'REDRIVABLE');
    await redrive(sfn, stopped);
    await succeed(sfn, (await pollUntilTask(sfn, activity)).taskToken, 'late');
    assert.equal((await waitForEnd(sfn, stopped)).status, 'SUCCEEDED');
  });
});

describe('RedriveExecution: Parallel and inline Map', () => {
  test('Parallel: only the failed (and the aborted) branches run again', async () => {
    const activity = await createActivity(sfn, 'branch');
    const machine = await createMachine(sfn, {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [0, 1, 2].map((i) => ({
            StartAt: `B${i}`,
            States: { [`B${i}`]: { Type: 'Task', Resource: activity, Parameters: { branch: i }, End: true } },
          })),
          End: true,
        },
      },
    });
    const arn = await start(sfn, machine);
    const tasks = new Map<number, string>();
    while (tasks.size < 3) {
      const task = await pollUntilTask(sfn, activity);
      tasks.set((JSON.parse(task.input) as { branch: number }).branch, task.taskToken);
    }
    await succeed(sfn, tasks.get(0) ?? '', 'zero');
    await fail(sfn, tasks.get(1) ?? '');
    assert.equal((await waitForEnd(sfn, arn)).status, 'FAILED');
    const failedAt = (await history(sfn, arn)).length;

    await redrive(sfn, arn);
    const again = new Map<number, string>();
    while (again.size < 2) {
      const task = await pollUntilTask(sfn, activity);
      again.set((JSON.parse(task.input) as { branch: number }).branch, task.taskToken);
    }
    assert.deepEqual([...again.keys()].sort(), [1, 2], 'branch 0 succeeded and is not run again');
    await succeed(sfn, again.get(2) ?? '', 'two');
    await succeed(sfn, again.get(1) ?? '', 'one');
    const done = await waitForEnd(sfn, arn);
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(done.output ?? ''), ['zero', 'one', 'two']);

    const events = await history(sfn, arn);
    assertWellFormed(events);
    const after = events.slice(failedAt);
    assert.equal(after[0]?.type, 'ExecutionRedriven');
    assert.equal(after[0]?.previousEventId, failedAt);
    const reentered = after.filter((e) => e.type === 'TaskStateEntered');
    assert.deepEqual(
      reentered.map((e) => [e.stateEnteredEventDetails?.name, e.previousEventId]),
      [
        ['B1', failedAt + 1],
        ['B2', failedAt + 1],
      ],
    );
    assert.deepEqual(types(after).slice(-3), [
      'ParallelStateSucceeded',
      'ParallelStateExited',
      'ExecutionSucceeded',
    ]);
  });

  test('inline Map: the failed iterations run again, the others keep their results', async () => {
    const activity = await createActivity(sfn, 'item');
    const machine = await createMachine(sfn, {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemsPath: '$.items',
          ToleratedFailureCount: 1,
          ItemProcessor: { StartAt: 'T', States: { T: { Type: 'Task', Resource: activity, End: true } } },
          End: true,
        },
      },
    });
    const arn = await start(sfn, machine, { items: ['a', 'b', 'c', 'd'] });
    const tasks = new Map<string, string>();
    while (tasks.size < 4) {
      const task = await pollUntilTask(sfn, activity);
      tasks.set(JSON.parse(task.input) as string, task.taskToken);
    }
    await succeed(sfn, tasks.get('a') ?? '', 'A');
    await fail(sfn, tasks.get('b') ?? '');
    await succeed(sfn, tasks.get('d') ?? '', 'D');
    await fail(sfn, tasks.get('c') ?? '');
    const failed = await waitForEnd(sfn, arn);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error, 'States.ExceedToleratedFailureThreshold');
    const failedAt = (await history(sfn, arn)).length;

    await redrive(sfn, arn);
    const again = new Map<string, string>();
    while (again.size < 2) {
      const task = await pollUntilTask(sfn, activity);
      again.set(JSON.parse(task.input) as string, task.taskToken);
    }
    assert.deepEqual([...again.keys()].sort(), ['b', 'c']);
    await succeed(sfn, again.get('c') ?? '', 'C');
    await succeed(sfn, again.get('b') ?? '', 'B');
    const done = await waitForEnd(sfn, arn);
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(done.output ?? ''), ['A', 'B', 'C', 'D']);
    const after = (await history(sfn, arn)).slice(failedAt);
    assert.deepEqual(
      after
        .filter((e) => e.type === 'MapIterationStarted')
        .map((e) => e.mapIterationStartedEventDetails?.index)
        .sort(),
      [1, 2],
    );
  });
});

describe('RedriveExecution: what cannot be redriven', () => {
  test('boto3: errors are ExecutionNotRedrivable with the reason DescribeExecution gives', async () => {
    const activity = await createActivity(sfn, 'nr');
    const machine = await createMachine(sfn, passThenTask(activity));
    const doneArn = await start(sfn, machine);
    await succeed(sfn, (await pollUntilTask(sfn, activity)).taskToken, 'x');
    assert.equal((await waitForEnd(sfn, doneArn)).status, 'SUCCEEDED');
    const running = await start(sfn, machine);
    // Fourteen days and a second since it stopped: backdated in the store.
    const expired = await start(sfn, machine);
    await sfn.send(new StopExecutionCommand({ executionArn: expired }));
    const record = await server.store.getExecution(expired);
    assert.ok(record !== undefined);
    const longAgo = Date.now() - 14 * 24 * 3600 * 1000 - 1000;
    assert.ok(
      await server.store.commitTransition({
        executionArn: expired,
        expectedVersion: record.version,
        execution: { status: record.status, nextEventId: record.nextEventId, stopDate: longAgo },
        events: [],
        threadsPut: [],
        threadsDeleted: [],
        tasksPut: [],
        tasksDeleted: [],
        timersPut: [],
        timersDeleted: [],
      }),
    );
    assert.equal(
      (await describeExecution(sfn, expired)).redriveStatusReason,
      'Execution redrivable period exceeded',
    );
    // A deleted state machine's executions.
    const gone = await createMachine(sfn, passThenTask(activity));
    const orphan = await start(sfn, gone);
    await sfn.send(new StopExecutionCommand({ executionArn: orphan }));
    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: gone }));

    const missing = `${machine.replace(':stateMachine:', ':execution:')}:no-such-execution`;
    const calls = [running, doneArn, expired, orphan, missing, 'not-an-arn'].map((executionArn) => ({
      op: 'redrive_execution',
      params: { executionArn },
    }));
    const results = await boto(calls);
    assert.deepEqual(results, [
      {
        code: 'ExecutionNotRedrivable',
        message: 'Execution is RUNNING and cannot be redriven',
        modeled: 'ExecutionNotRedrivable',
      },
      {
        code: 'ExecutionNotRedrivable',
        message: 'Execution is SUCCEEDED and cannot be redriven',
        modeled: 'ExecutionNotRedrivable',
      },
      {
        code: 'ExecutionNotRedrivable',
        message: 'Execution redrivable period exceeded',
        modeled: 'ExecutionNotRedrivable',
      },
      {
        code: 'ExecutionNotRedrivable',
        message: 'State machine is in DELETING status',
        modeled: 'ExecutionNotRedrivable',
      },
      {
        code: 'ExecutionDoesNotExist',
        message: `Execution Does Not Exist: '${missing}'`,
        modeled: 'ExecutionDoesNotExist',
      },
      { code: 'InvalidArn', message: "Invalid Arn: 'Invalid ARN prefix: not-an-arn'", modeled: 'InvalidArn' },
    ]);
    await sfn.send(new StopExecutionCommand({ executionArn: running }));
  });

  test('boto3: redrive_execution answers redriveDate; ListExecutions filters by redriveFilter', async () => {
    const activity = await createActivity(sfn, 'boto');
    const machine = await createMachine(sfn, passThenTask(activity));
    const arn = await start(sfn, machine);
    const other = await start(sfn, machine);
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
    const out = await boto([
      { op: 'redrive_execution', params: { executionArn: arn } },
      { op: 'list_executions', params: { stateMachineArn: machine, redriveFilter: 'REDRIVEN' } },
      { op: 'list_executions', params: { stateMachineArn: machine, redriveFilter: 'NOT_REDRIVEN' } },
      { op: 'describe_execution', params: { executionArn: arn } },
    ]);
    const [redriven, listed, notListed, described] = out as { ok: Record<string, unknown> }[];
    assert.equal(typeof redriven?.ok['redriveDate'], 'string');
    const items = listed?.ok['executions'] as {
      executionArn: string;
      redriveCount: number;
      redriveDate: string;
    }[];
    assert.deepEqual(
      items.map((e) => [e.executionArn, e.redriveCount, e.redriveDate]),
      [[arn, 1, redriven?.ok['redriveDate']]],
    );
    assert.deepEqual(
      (notListed?.ok['executions'] as { executionArn: string }[]).map((e) => e.executionArn),
      [other],
    );
    assert.equal(described?.ok['redriveCount'], 1);
    assert.equal(described?.ok['redriveDate'], redriven?.ok['redriveDate']);
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
    await sfn.send(new StopExecutionCommand({ executionArn: other }));
  });
});

describe('RedriveExecution: Distributed Map', () => {
  test("the parent's redrive redrives its Map Run: only the failed child runs again", async () => {
    const activity = await createActivity(sfn, 'child');
    const machine = await createMachine(sfn, {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'T',
            States: { T: { Type: 'Task', Resource: activity, End: true } },
          },
          Label: 'Items',
          End: true,
        },
      },
    });
    const arn = await start(sfn, machine, ['a', 'b', 'c']);
    const tasks = new Map<string, string>();
    while (tasks.size < 3) {
      const task = await pollUntilTask(sfn, activity);
      tasks.set(JSON.parse(task.input) as string, task.taskToken);
    }
    await succeed(sfn, tasks.get('a') ?? '', 'A');
    await succeed(sfn, tasks.get('c') ?? '', 'C');
    await fail(sfn, tasks.get('b') ?? '');
    const failed = await waitForEnd(sfn, arn);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error, 'States.ExceedToleratedFailureThreshold');
    const mapRunArn =
      (await sfn.send(new ListMapRunsCommand({ executionArn: arn }))).mapRuns?.[0]?.mapRunArn ?? '';
    const children = await sfn.send(new ListExecutionsCommand({ mapRunArn }));
    const failedChild = children.executions?.find((e) => e.status === 'FAILED');
    assert.ok(failedChild?.executionArn !== undefined);
    const childState = await describeExecution(sfn, failedChild.executionArn);
    assert.equal(childState.redriveStatus, 'REDRIVABLE_BY_MAP_RUN');
    await assert.rejects(
      sfn.send(new RedriveExecutionCommand({ executionArn: failedChild.executionArn })),
      ExecutionNotRedrivable,
    );

    await redrive(sfn, arn);
    const retried = await pollUntilTask(sfn, activity);
    assert.equal(JSON.parse(retried.input), 'b');
    const child = await describeExecution(sfn, failedChild.executionArn);
    assert.equal(child.status, 'RUNNING', 'the same child execution, redriven');
    assert.equal(child.redriveCount, 1);
    await succeed(sfn, retried.taskToken, 'B');
    const done = await waitForEnd(sfn, arn);
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(done.output ?? ''), ['A', 'B', 'C']);

    const events = await history(sfn, arn);
    assertWellFormed(events);
    const redrivenAt = eventOf(events, 'ExecutionRedriven').id ?? 0;
    const mapRunRedriven = eventOf(events, 'MapRunRedriven');
    assert.equal(mapRunRedriven.previousEventId, redrivenAt);
    assert.deepEqual(mapRunRedriven.mapRunRedrivenEventDetails, { mapRunArn, redriveCount: 1 });
    assert.deepEqual(types(events).slice(-5), [
      'MapRunRedriven',
      'MapRunSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ]);
    const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
    assert.equal(run.status, 'SUCCEEDED');
    assert.equal(run.redriveCount, 1);
    assert.ok(run.redriveDate instanceof Date);
    assert.deepEqual(
      [run.executionCounts?.succeeded, run.executionCounts?.failed, run.executionCounts?.pendingRedrive],
      [3, 0, 0],
    );
    const all = await sfn.send(new ListExecutionsCommand({ mapRunArn }));
    assert.equal(all.executions?.length, 3, 'no new child execution');
  });
});

describe('RedriveExecution: Distributed Map stopped with its parent', () => {
  test('MaxConcurrency 1: the aborted child is redriven first, then the items never started', async () => {
    const activity = await createActivity(sfn, 'one-by-one');
    const machine = await createMachine(sfn, {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          MaxConcurrency: 1,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'T',
            States: { T: { Type: 'Task', Resource: activity, End: true } },
          },
          End: true,
        },
      },
    });
    const arn = await start(sfn, machine, ['a', 'b', 'c']);
    const a = await pollUntilTask(sfn, activity);
    assert.equal(JSON.parse(a.input), 'a');
    await succeed(sfn, a.taskToken, 'A');
    const b = await pollUntilTask(sfn, activity);
    assert.equal(JSON.parse(b.input), 'b');
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
    const mapRunArn =
      (await sfn.send(new ListMapRunsCommand({ executionArn: arn }))).mapRuns?.[0]?.mapRunArn ?? '';
    // The run is aborted with its parent, and so is its running child.
    for (let i = 0; i < 100; i++) {
      const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
      if (run.status === 'ABORTED' && run.executionCounts?.running === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const children = await sfn.send(new ListExecutionsCommand({ mapRunArn }));
    assert.deepEqual(children.executions?.map((e) => e.status).sort(), ['ABORTED', 'SUCCEEDED']);

    await redrive(sfn, arn);
    const again = await pollUntilTask(sfn, activity);
    assert.equal(JSON.parse(again.input), 'b', 'the aborted child first');
    const pending = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
    assert.equal(pending.status, 'RUNNING');
    assert.equal(pending.redriveCount, 1);
    assert.equal(pending.executionCounts?.pending, 1, 'c has not started: MaxConcurrency is 1');
    await succeed(sfn, again.taskToken, 'B');
    const c = await pollUntilTask(sfn, activity);
    assert.equal(JSON.parse(c.input), 'c');
    await succeed(sfn, c.taskToken, 'C');
    const done = await waitForEnd(sfn, arn);
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(done.output ?? ''), ['A', 'B', 'C']);
    const all = await sfn.send(new ListExecutionsCommand({ mapRunArn }));
    assert.equal(all.executions?.length, 3);
    assert.deepEqual(all.executions?.map((e) => e.redriveCount).sort(), [0, 0, 1]);
  });
});

describe('RedriveExecution: durable on SQLite', () => {
  test('a failed execution is redriven after a restart, and a redriven one continues after another', async () => {
    const dir = tempDir();
    let node: StepwiseServer | undefined = await startServer({ port: 0, dataDir: dir.path });
    let client = sdkClient(node.url);
    try {
      const activity = await createActivity(client, 'durable');
      const machine = await createMachine(client, passThenTask(activity));
      const arn = await start(client, machine, { n: 1 });
      await fail(client, (await pollUntilTask(client, activity)).taskToken);
      await waitForEnd(client, arn);

      const restart = async (): Promise<void> => {
        client.destroy();
        await node?.close();
        node = undefined;
        node = await startServer({ port: 0, dataDir: dir.path });
        client = sdkClient(node.url);
      };
      await restart();
      assert.equal((await describeExecution(client, arn)).redriveStatus, 'REDRIVABLE');
      await redrive(client, arn, 'durable-token');
      await restart();
      const task = await pollUntilTask(client, activity);
      assert.deepEqual(JSON.parse(task.input), { n: 1, prep: 'prepared' });
      assert.equal(
        (await redrive(client, arn, 'durable-token')).getTime() > 0,
        true,
        'the token survives too',
      );
      await succeed(client, task.taskToken, 'ok');
      const done = await waitForEnd(client, arn);
      assert.equal(done.status, 'SUCCEEDED');
      assert.equal(done.redriveCount, 1);
      assertWellFormed(await history(client, arn));
    } finally {
      client.destroy();
      await node?.close();
      dir.remove();
    }
  });
});

describe('RedriveExecution: on PostgreSQL', async () => {
  const skip = await postgresSkip();
  test(
    'a Parallel fails, is redriven on another node of the same database, and succeeds',
    { skip },
    async () => {
      const schema = testSchema();
      const dirs = [tempDir(), tempDir()];
      const nodes = [
        await startServer({ port: 0, dataDir: dirs[0]?.path ?? '', database: schema.url }),
        await startServer({ port: 0, dataDir: dirs[1]?.path ?? '', database: schema.url }),
      ];
      const [one, two] = nodes.map((node) => sdkClient(node.url));
      try {
        assert.ok(one !== undefined && two !== undefined);
        const activity = await createActivity(one, 'pg');
        const machine = await createMachine(one, {
          StartAt: 'P',
          States: {
            P: {
              Type: 'Parallel',
              Branches: [0, 1].map((i) => ({
                StartAt: `B${i}`,
                States: {
                  [`B${i}`]: { Type: 'Task', Resource: activity, Parameters: { branch: i }, End: true },
                },
              })),
              End: true,
            },
          },
        });
        const arn = await start(one, machine);
        const tasks = new Map<number, string>();
        while (tasks.size < 2) {
          const task = await pollUntilTask(one, activity);
          tasks.set((JSON.parse(task.input) as { branch: number }).branch, task.taskToken);
        }
        await succeed(one, tasks.get(0) ?? '', 'zero');
        await fail(one, tasks.get(1) ?? '');
        assert.equal((await waitForEnd(one, arn)).status, 'FAILED');
        assert.equal((await describeExecution(two, arn)).redriveStatus, 'REDRIVABLE');
        await redrive(two, arn, 'pg-token');
        assert.equal((await redrive(one, arn, 'pg-token')).getTime() > 0, true);
        const again = await pollUntilTask(one, activity);
        assert.deepEqual(JSON.parse(again.input), { branch: 1 });
        await succeed(one, again.taskToken, 'one');
        const done = await waitForEnd(two, arn);
        assert.equal(done.status, 'SUCCEEDED');
        assert.deepEqual(JSON.parse(done.output ?? ''), ['zero', 'one']);
        assert.equal(done.redriveCount, 1);
        const listed = await two.send(
          new ListExecutionsCommand({ stateMachineArn: machine, redriveFilter: 'REDRIVEN' }),
        );
        assert.deepEqual(
          listed.executions?.map((e) => e.executionArn),
          [arn],
        );
      } finally {
        one?.destroy();
        two?.destroy();
        for (const node of nodes) await node.close();
        for (const dir of dirs) dir?.remove();
        await schema.drop();
      }
    },
  );
});

interface BotoError {
  code: string;
  message: string;
  modeled: string;
}

async function boto(calls: { op: string; params: Record<string, unknown> }[]): Promise<unknown[]> {
  const script = `
import json, sys, datetime, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
c = boto3.client('stepfunctions', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='test', aws_secret_access_key='test',
                 config=Config(retries={'max_attempts': 0}))
def enc(o):
    if isinstance(o, datetime.datetime): return o.isoformat()
    raise TypeError(o)
out = []
for call in json.loads(sys.argv[2]):
    try:
        r = getattr(c, call['op'])(**call['params'])
        r.pop('ResponseMetadata', None)
        out.append({'ok': r})
    except ClientError as e:
        out.append({'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'],
                    'modeled': type(e).__name__})
print(json.dumps(out, default=enc))
`;
  const { stdout } = await run('python3', ['-c', script, server.url, JSON.stringify(calls)], {
    env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
  });
  return JSON.parse(stdout) as (BotoError | { ok: Record<string, unknown> })[];
}
