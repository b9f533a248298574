/**
 * Task timeouts, heartbeats, execution timeouts, Retry back-off, Catch of timeouts and
 * StopExecution, driven through @aws-sdk/client-sfn against an in-process server. Timing is
 * checked by order and lower bounds (history timestamps), never by tight upper bounds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { TimerService } from '../src/runtime/timer-service.js';
import { MemoryStore } from '../src/store/memory.js';
import { sdkClient, startTestServer } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';
import {
  assertWellFormed,
  createActivity,
  createMachine,
  describeExecution,
  eventOf,
  history,
  ms,
  poll,
  pollUntilTask,
  sleep,
  start,
  taskMachine,
  types,
  waitForEnd,
} from './helpers/sfn.js';

let server: TestServer;
let client: SFNClient;

before(async () => {
  server = await startTestServer({ pollHoldMs: 1500 });
  client = sdkClient(server.url);
});

after(async () => {
  client?.destroy();
  await server?.stop();
});

const success = (taskToken: string, output: unknown = {}) =>
  client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
const heartbeat = (taskToken: string) => client.send(new SendTaskHeartbeatCommand({ taskToken }));

/** A one-Task execution on a fresh activity, already handed to a worker. */
async function startedTask(task: Record<string, unknown>, input: unknown = {}) {
  const activityArn = await createActivity(client);
  const machineArn = await createMachine(client, taskMachine(activityArn, task));
  const executionArn = await start(client, machineArn, input);
  const { taskToken } = await pollUntilTask(client, activityArn);
  return { activityArn, machineArn, executionArn, taskToken, startedAt: Date.now() };
}

// The tests below mostly wait on timers, so they run side by side, each on its own activity.
describe('timeouts', { concurrency: true }, () => {
  test('a worker that heartbeats keeps the task alive past several heartbeat periods', async () => {
    const { executionArn, taskToken } = await startedTask({ HeartbeatSeconds: 1 });
    const until = Date.now() + 3500;
    while (Date.now() < until) {
      await heartbeat(taskToken);
      await sleep(250);
    }
    await success(taskToken, { done: true });
    const out = await waitForEnd(client, executionArn);
    assert.equal(out.status, 'SUCCEEDED');
    assert.equal(out.output, '{"done":true}');
    const events = await history(client, executionArn);
    assertWellFormed(events);
    assert.deepEqual(types(events), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityStarted',
      'ActivitySucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    assert.equal(eventOf(events, 'ActivityScheduled').activityScheduledEventDetails?.heartbeatInSeconds, 1);
    // Well past three heartbeat periods between start and success.
    assert.ok(ms(eventOf(events, 'ActivitySucceeded')) - ms(eventOf(events, 'ActivityStarted')) >= 3000);
  });

  test('a worker that stops heartbeating times out with States.Timeout; its token then answers TaskTimedOut', async () => {
    const { executionArn, taskToken } = await startedTask({ HeartbeatSeconds: 1 });
    await heartbeat(taskToken);
    await sleep(300);
    await heartbeat(taskToken);
    const lastBeat = Date.now();
    const out = await waitForEnd(client, executionArn);
    assert.equal(out.status, 'FAILED');
    assert.equal(out.error, 'States.Timeout');
    const events = await history(client, executionArn);
    assertWellFormed(events);
    assert.deepEqual(types(events), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityStarted',
      'ActivityTimedOut',
      'ExecutionFailed',
    ]);
    const timedOut = eventOf(events, 'ActivityTimedOut');
    assert.equal(timedOut.activityTimedOutEventDetails?.error, 'States.Timeout');
    assert.equal(eventOf(events, 'ExecutionFailed').executionFailedEventDetails?.error, 'States.Timeout');
    // The deadline counts from the last heartbeat, not from the start.
    assert.ok(ms(timedOut) >= lastBeat + 1000 - 50, `timed out ${lastBeat + 1000 - ms(timedOut)} ms early`);
    await assert.rejects(success(taskToken), TaskTimedOut);
    await assert.rejects(heartbeat(taskToken), TaskTimedOut);
    await assert.rejects(client.send(new SendTaskFailureCommand({ taskToken, error: 'Late' })), TaskTimedOut);
  });

  test('task TimeoutSeconds counts from ActivityStarted, not from scheduling', async () => {
    const activityArn = await createActivity(client);
    const machineArn = await createMachine(client, taskMachine(activityArn, { TimeoutSeconds: 1 }));
    const executionArn = await start(client, machineArn);
    await sleep(1800); // queued longer than TimeoutSeconds
    const queued = await history(client, executionArn);
    assert.equal((await describeExecution(client, executionArn)).status, 'RUNNING');
    assert.deepEqual(types(queued), ['ExecutionStarted', 'TaskStateEntered', 'ActivityScheduled']);
    assert.equal(eventOf(queued, 'ActivityScheduled').activityScheduledEventDetails?.timeoutInSeconds, 1);

    const task = await pollUntilTask(client, activityArn);
    const out = await waitForEnd(client, executionArn);
    assert.equal(out.status, 'FAILED');
    assert.equal(out.error, 'States.Timeout');
    const events = await history(client, executionArn);
    assertWellFormed(events);
    assert.deepEqual(types(events), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityStarted',
      'ActivityTimedOut',
      'ExecutionFailed',
    ]);
    const started = ms(eventOf(events, 'ActivityStarted'));
    assert.ok(started - ms(eventOf(events, 'ActivityScheduled')) >= 1800 - 50);
    assert.ok(ms(eventOf(events, 'ActivityTimedOut')) - started >= 1000 - 5);
    await assert.rejects(success(task.taskToken), TaskTimedOut);
  });

  test('TimeoutSecondsPath takes the timeout from the input', async () => {
    const { executionArn, taskToken } = await startedTask(
      { TimeoutSecondsPath: '$.limits.timeout' },
      { limits: { timeout: 1 } },
    );
    const out = await waitForEnd(client, executionArn);
    assert.equal(out.status, 'FAILED');
    assert.equal(out.error, 'States.Timeout');
    const events = await history(client, executionArn);
    assertWellFormed(events);
    assert.equal(eventOf(events, 'ActivityScheduled').activityScheduledEventDetails?.timeoutInSeconds, 1);
    assert.equal(eventOf(events, 'ActivityTimedOut').activityTimedOutEventDetails?.error, 'States.Timeout');
    assert.ok(ms(eventOf(events, 'ActivityTimedOut')) - ms(eventOf(events, 'ActivityStarted')) >= 1000 - 5);
    await assert.rejects(success(taskToken), TaskTimedOut);
  });

  test('HeartbeatSecondsPath takes the heartbeat period from the input', async () => {
    const { executionArn } = await startedTask(
      { TimeoutSecondsPath: '$.timeout', HeartbeatSecondsPath: '$.heartbeat' },
      { timeout: 60, heartbeat: 1 },
    );
    const out = await waitForEnd(client, executionArn);
    assert.equal(out.status, 'FAILED');
    assert.equal(out.error, 'States.Timeout');
    const events = await history(client, executionArn);
    const details = eventOf(events, 'ActivityScheduled').activityScheduledEventDetails;
    assert.equal(details?.timeoutInSeconds, 60);
    assert.equal(details?.heartbeatInSeconds, 1);
    const elapsed = ms(eventOf(events, 'ActivityTimedOut')) - ms(eventOf(events, 'ActivityStarted'));
    assert.ok(elapsed >= 1000 - 5 && elapsed < 30_000, `timed out after ${elapsed} ms`);
  });

  test('machine-level TimeoutSeconds ends the execution TIMED_OUT with ExecutionTimedOut', async () => {
    const activityArn = await createActivity(client);
    const machineArn = await createMachine(client, { TimeoutSeconds: 1, ...taskMachine(activityArn) });
    const executionArn = await start(client, machineArn);
    const out = await waitForEnd(client, executionArn);
    assert.equal(out.status, 'TIMED_OUT');
    assert.ok(out.stopDate instanceof Date && out.startDate instanceof Date);
    assert.ok(out.stopDate.getTime() - out.startDate.getTime() >= 1000 - 5);
    const events = await history(client, executionArn);
    assertWellFormed(events);
    assert.deepEqual(types(events), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ExecutionTimedOut',
    ]);
    assert.equal(eventOf(events, 'ExecutionTimedOut').executionTimedOutEventDetails?.error, 'States.Timeout');
    // The queued task went with the execution: nobody receives it any more.
    assert.equal(await poll(client, activityArn), undefined);
  });

  test('machine-level TimeoutSeconds while a worker holds the task: the token then answers TaskTimedOut', async () => {
    const activityArn = await createActivity(client);
    const machineArn = await createMachine(client, { TimeoutSeconds: 1, ...taskMachine(activityArn) });
    const executionArn = await start(client, machineArn);
    const { taskToken } = await pollUntilTask(client, activityArn);
    await heartbeat(taskToken); // accepted: the task has no HeartbeatSeconds, but it is live
    const out = await waitForEnd(client, executionArn);
    assert.equal(out.status, 'TIMED_OUT');
    const events = await history(client, executionArn);
    assertWellFormed(events);
    assert.deepEqual(types(events), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityStarted',
      'ExecutionTimedOut',
    ]);
    await assert.rejects(success(taskToken), TaskTimedOut);
  });

  test('Retry repeats the activity inside one state visit, with back-off between attempts', async () => {
    const activityArn = await createActivity(client);
    const machineArn = await createMachine(
      client,
      taskMachine(activityArn, {
        Retry: [{ ErrorEquals: ['Boom'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 2 }],
      }),
    );
    const executionArn = await start(client, machineArn, { n: 1 });
    for (let attempt = 0; attempt < 2; attempt++) {
      const task = await pollUntilTask(client, activityArn);
      assert.equal(task.input, '{"n":1}');
      await client.send(
        new SendTaskFailureCommand({ taskToken: task.taskToken, error: 'Boom', cause: `#${attempt}` }),
      );
    }
    const last = await pollUntilTask(client, activityArn);
    await success(last.taskToken, { ok: 3 });
    const out = await waitForEnd(client, executionArn);
    assert.equal(out.status, 'SUCCEEDED');
    assert.equal(out.output, '{"ok":3}');

    const events = await history(client, executionArn);
    assertWellFormed(events);
    const attempt = ['ActivityScheduled', 'ActivityStarted', 'ActivityFailed'];
    assert.deepEqual(types(events), [
      'ExecutionStarted',
      'TaskStateEntered',
      ...attempt,
      ...attempt,
      'ActivityScheduled',
      'ActivityStarted',
      'ActivitySucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    // Each attempt chains on the previous one.
    for (let i = 3; i < events.length - 1; i++) {
      assert.equal(
        events[i]!.previousEventId,
        events[i - 1]!.id,
        `event ${events[i]!.id} ${events[i]!.type}`,
      );
    }
    assert.equal(eventOf(events, 'ActivityFailed', 1).activityFailedEventDetails?.cause, '#1');
    // Back-off: 1 s, then 1 s × 2.
    const gap1 = ms(eventOf(events, 'ActivityScheduled', 1)) - ms(eventOf(events, 'ActivityFailed', 0));
    const gap2 = ms(eventOf(events, 'ActivityScheduled', 2)) - ms(eventOf(events, 'ActivityFailed', 1));
    assert.ok(gap1 >= 1000 - 5, `first retry after ${gap1} ms`);
    assert.ok(gap2 >= 2000 - 5, `second retry after ${gap2} ms`);
  });

  test('after MaxAttempts the Catch takes the error (retries inside one state visit)', async () => {
    const activityArn = await createActivity(client);
    const machineArn = await createMachine(client, {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: activityArn,
          Retry: [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, MaxAttempts: 1 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      },
    });
    const executionArn = await start(client, machineArn, { id: 7 });
    for (let attempt = 0; attempt < 2; attempt++) {
      const task = await pollUntilTask(client, activityArn);
      await client.send(
        new SendTaskFailureCommand({ taskToken: task.taskToken, error: 'Nope', cause: 'no' }),
      );
    }
    const out = await waitForEnd(client, executionArn);
    assert.equal(out.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(out.output!), { id: 7, error: { Error: 'Nope', Cause: 'no' } });
    const events = await history(client, executionArn);
    assertWellFormed(events);
    assert.deepEqual(types(events), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityStarted',
      'ActivityFailed',
      'ActivityScheduled',
      'ActivityStarted',
      'ActivityFailed',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
  });

  test('Catch of States.Timeout takes a task timeout', async () => {
    const activityArn = await createActivity(client);
    const machineArn = await createMachine(client, {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: activityArn,
          TimeoutSeconds: 1,
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'TooSlow' }],
          End: true,
        },
        TooSlow: { Type: 'Pass', End: true },
      },
    });
    const executionArn = await start(client, machineArn, { id: 1 });
    await pollUntilTask(client, activityArn);
    const out = await waitForEnd(client, executionArn);
    assert.equal(out.status, 'SUCCEEDED');
    const output = JSON.parse(out.output!) as { id: number; error: { Error: string } };
    assert.equal(output.id, 1);
    assert.equal(output.error.Error, 'States.Timeout');
    const events = await history(client, executionArn);
    assertWellFormed(events);
    assert.deepEqual(types(events), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityStarted',
      'ActivityTimedOut',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
  });

  test('Catch of States.HeartbeatTimeout takes a missed heartbeat, recorded as States.Timeout', async () => {
    const activityArn = await createActivity(client);
    const machineArn = await createMachine(client, {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: activityArn,
          HeartbeatSeconds: 1,
          Catch: [{ ErrorEquals: ['States.HeartbeatTimeout'], ResultPath: '$.error', Next: 'Lost' }],
          End: true,
        },
        Lost: { Type: 'Pass', End: true },
      },
    });
    const executionArn = await start(client, machineArn, {});
    await pollUntilTask(client, activityArn);
    const out = await waitForEnd(client, executionArn);
    assert.equal(out.status, 'SUCCEEDED');
    const events = await history(client, executionArn);
    assertWellFormed(events);
    assert.equal(eventOf(events, 'ActivityTimedOut').activityTimedOutEventDetails?.error, 'States.Timeout');
    assert.deepEqual(types(events).slice(-4), [
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
  });

  test('Catch of States.HeartbeatTimeout does not take a plain task timeout', async () => {
    const activityArn = await createActivity(client);
    const machineArn = await createMachine(client, {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: activityArn,
          TimeoutSeconds: 1,
          Catch: [{ ErrorEquals: ['States.HeartbeatTimeout'], Next: 'Lost' }],
          End: true,
        },
        Lost: { Type: 'Pass', End: true },
      },
    });
    const executionArn = await start(client, machineArn, {});
    await pollUntilTask(client, activityArn);
    const out = await waitForEnd(client, executionArn);
    assert.equal(out.status, 'FAILED');
    assert.equal(out.error, 'States.Timeout');
    const events = await history(client, executionArn);
    assert.deepEqual(types(events).slice(-2), ['ActivityTimedOut', 'ExecutionFailed']);
  });

  test('StopExecution while a worker holds the task: ExecutionAborted, and the token answers TaskTimedOut', async () => {
    const { executionArn, taskToken } = await startedTask({ HeartbeatSeconds: 30 });
    const stopped = await client.send(
      new StopExecutionCommand({ executionArn, error: 'Halt', cause: 'by test' }),
    );
    assert.ok(stopped.stopDate instanceof Date);
    const out = await describeExecution(client, executionArn);
    assert.equal(out.status, 'ABORTED');
    assert.equal(out.error, 'Halt');
    assert.equal(out.cause, 'by test');
    assert.equal(out.stopDate?.getTime(), stopped.stopDate.getTime());
    const events = await history(client, executionArn);
    assertWellFormed(events);
    assert.deepEqual(types(events), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityStarted',
      'ExecutionAborted',
    ]);
    const aborted = eventOf(events, 'ExecutionAborted');
    assert.equal(aborted.previousEventId, 0);
    assert.deepEqual(aborted.executionAbortedEventDetails, { error: 'Halt', cause: 'by test' });
    await assert.rejects(success(taskToken), TaskTimedOut);
    await assert.rejects(heartbeat(taskToken), TaskTimedOut);
  });

  test('StopExecution while the task is still queued: no worker receives it afterwards', async () => {
    const activityArn = await createActivity(client);
    const machineArn = await createMachine(client, taskMachine(activityArn));
    const executionArn = await start(client, machineArn);
    await client.send(new StopExecutionCommand({ executionArn }));
    assert.equal((await describeExecution(client, executionArn)).status, 'ABORTED');
    assert.equal(await poll(client, activityArn), undefined);
    const events = await history(client, executionArn);
    assert.deepEqual(types(events), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ExecutionAborted',
    ]);
    assert.deepEqual(eventOf(events, 'ExecutionAborted').executionAbortedEventDetails, {});
  });

  test('StopExecution while in a Wait state', async () => {
    const machineArn = await createMachine(client, {
      StartAt: 'Nap',
      States: { Nap: { Type: 'Wait', Seconds: 600, Next: 'Done' }, Done: { Type: 'Succeed' } },
    });
    const executionArn = await start(client, machineArn);
    await client.send(new StopExecutionCommand({ executionArn }));
    const out = await describeExecution(client, executionArn);
    assert.equal(out.status, 'ABORTED');
    const events = await history(client, executionArn);
    assert.deepEqual(
      events.map((e) => [e.id, e.type, e.previousEventId]),
      [
        [1, 'ExecutionStarted', 0],
        [2, 'WaitStateEntered', 0],
        [3, 'ExecutionAborted', 0],
      ],
    );
  });
});

describe('timer service', () => {
  test('a timer whose firing fails is tried again after a short back-off, not a whole lease later', async () => {
    const store = new MemoryStore();
    const arn = 'arn:aws:states:us-east-1:123456789012:execution:m:flaky';
    const created = await store.createExecution(
      {
        executionArn: arn,
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:m',
        name: 'flaky',
        status: 'RUNNING',
        input: '{}',
        startDate: 0,
        revisionKey: 'r0',
        nextEventId: 1,
        version: 0,
        redriveCount: 0,
      },
      {
        executionArn: arn,
        expectedVersion: 0,
        execution: { status: 'RUNNING', nextEventId: 1 },
        events: [],
        threadsPut: [],
        threadsDeleted: [],
        tasksPut: [],
        tasksDeleted: [],
        timersPut: [{ id: 'w1', executionArn: arn, threadId: 'root', kind: 'wait', dueAt: Date.now() }],
        timersDeleted: [],
      },
    );
    assert.equal(created.created, true);
    const attempts: number[] = [];
    const service = new TimerService(store, async (timer) => {
      attempts.push(Date.now());
      // The first firing fails (a database hiccup, say); the second succeeds and deletes the timer.
      if (attempts.length === 1) throw new Error('transient');
      await store.commitTransition({
        executionArn: arn,
        expectedVersion: 1,
        execution: { status: 'RUNNING', nextEventId: 1 },
        events: [],
        threadsPut: [],
        threadsDeleted: [],
        tasksPut: [],
        tasksDeleted: [],
        timersPut: [],
        timersDeleted: [timer.id],
      });
    });
    const quiet = console.error;
    console.error = () => undefined;
    try {
      await service.start();
      const deadline = Date.now() + 5000;
      while (attempts.length < 2 && Date.now() < deadline) await sleep(50);
    } finally {
      service.close();
      console.error = quiet;
    }
    assert.equal(attempts.length, 2, 'fired again well before the 30 s lease ended');
    const gap = (attempts[1] ?? 0) - (attempts[0] ?? 0);
    assert.ok(gap >= 900 && gap < 3000, `retried after ${gap} ms`);
    assert.equal(await store.nextTimerDue(), undefined);
  });
});
