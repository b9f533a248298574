/** Engine: Task states on activities (inventory 3.3 sequences, 2.3 data flow, 2.7 timeouts). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../src/json.js';
import {
  ACTIVITY_ARN,
  EXECUTION_ARN,
  START,
  entered,
  exited,
  prefixed,
  rejected,
  scheduled,
  start,
  started,
  succeeded,
} from './harness.js';

const task = (fields: Record<string, unknown> = {}, name = 'T'): object => ({
  StartAt: name,
  States: { [name]: { Type: 'Task', Resource: ACTIVITY_ARN, End: true, ...fields } },
});

describe('activity task: the happy path', () => {
  test('scheduled, started, succeeded: the AWS sequence and the task records', () => {
    const h = start(task(), { age: 20 });
    assert.equal(h.status, 'RUNNING');
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ age: 20 })],
      ['TaskStateEntered', 2, 0, entered('T', { age: 20 })],
      ['ActivityScheduled', 3, 2, scheduled({ age: 20 })],
    ]);
    assert.equal(h.events[2]?.detailsMember, 'activityScheduledEventDetails');
    const token = h.token();
    assert.ok(token.length <= 2048);
    assert.deepEqual(h.tasks.get(token), {
      token,
      activityArn: ACTIVITY_ARN,
      executionArn: EXECUTION_ARN,
      threadId: 'root',
      input: '{"age":20}',
      status: 'queued',
      scheduledAt: START,
    });
    assert.equal(h.timers.size, 0);

    h.now += 1000;
    assert.ok(h.startActivity(token, 'worker-1').ok);
    assert.deepEqual(h.history()[3], ['ActivityStarted', 4, 3, { workerName: 'worker-1' }]);
    assert.equal(h.tasks.get(token)?.status, 'started');
    assert.equal(h.tasks.get(token)?.workerName, 'worker-1');
    assert.equal(h.timers.size, 0, 'no timeouts without TimeoutSeconds/HeartbeatSeconds');

    h.now += 1000;
    assert.ok(h.succeed(token, { type: 'adult', message: 'allowed' }).ok);
    const result = { type: 'adult', message: 'allowed' };
    assert.deepEqual(h.history().slice(4), [
      ['ActivitySucceeded', 5, 4, succeeded(result)],
      ['TaskStateExited', 6, 5, exited('T', result)],
      ['ExecutionSucceeded', 7, 6, succeeded(result)],
    ]);
    assert.equal(h.status, 'SUCCEEDED');
    assert.deepEqual(h.output(), result);
    assert.equal(h.execution.stopDate, START + 2000);
    assert.equal(h.tasks.size, 0);
    assert.equal(h.threads.size, 0);
  });

  test('ActivityStarted without a worker name has empty details', () => {
    const h = start(task(), {});
    h.startActivity();
    assert.deepEqual(h.history()[3], ['ActivityStarted', 4, 3, {}]);
    assert.equal(h.task().workerName, undefined);
  });

  test('ActivityScheduled input is the effective input after InputPath and Parameters', () => {
    const h = start(
      task({
        InputPath: '$.request',
        Parameters: { 'who.$': '$.name', 'exec.$': '$$.Execution.Name', fixed: [1] },
      }),
      { request: { name: 'ann' }, other: true },
    );
    const taskInput = { who: 'ann', exec: 'exec-1', fixed: [1] };
    assert.deepEqual(h.history()[2], ['ActivityScheduled', 3, 2, scheduled(taskInput)]);
    assert.equal(h.task().input, JSON.stringify(taskInput));
  });

  test('timeoutInSeconds and heartbeatInSeconds appear only when set', () => {
    const both = start(task({ TimeoutSeconds: 30, HeartbeatSeconds: 10 }), {});
    assert.deepEqual(both.history()[2], [
      'ActivityScheduled',
      3,
      2,
      scheduled({}, { timeoutInSeconds: 30, heartbeatInSeconds: 10 }),
    ]);
    const timeoutOnly = start(task({ TimeoutSeconds: 30 }), {});
    assert.deepEqual(timeoutOnly.history()[2], [
      'ActivityScheduled',
      3,
      2,
      scheduled({}, { timeoutInSeconds: 30 }),
    ]);
    const heartbeatOnly = start(task({ HeartbeatSeconds: 7 }), {});
    assert.deepEqual(heartbeatOnly.history()[2], [
      'ActivityScheduled',
      3,
      2,
      scheduled({}, { heartbeatInSeconds: 7 }),
    ]);
  });

  test('TimeoutSecondsPath and HeartbeatSecondsPath read the effective input', () => {
    const h = start(task({ InputPath: '$.cfg', TimeoutSecondsPath: '$.t', HeartbeatSecondsPath: '$.hb' }), {
      cfg: { t: 60, hb: 20 },
    });
    assert.deepEqual(h.history()[2], [
      'ActivityScheduled',
      3,
      2,
      scheduled({ t: 60, hb: 20 }, { timeoutInSeconds: 60, heartbeatInSeconds: 20 }),
    ]);
  });

  test('a TimeoutSecondsPath that finds nothing is States.Runtime', () => {
    const h = start(task({ TimeoutSecondsPath: '$.NoSuchTimeoutSecondsPath' }, 'task'), {});
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['TaskStateEntered', 2, 0, entered('task', {})],
      [
        'ExecutionFailed',
        3,
        2,
        {
          error: 'States.Runtime',
          cause: prefixed(
            'task',
            2,
            `Invalid path '$.NoSuchTimeoutSecondsPath' : No results for path: $['NoSuchTimeoutSecondsPath']`,
          ),
        },
      ],
    ]);
    assert.equal(h.tasks.size, 0);
  });

  test('ResultSelector, ResultPath and OutputPath apply to the result', () => {
    const h = start(
      task({
        ResultSelector: { 'code.$': '$.status', 'first.$': '$.items[0]', 'state.$': '$$.State.Name' },
        ResultPath: '$.result',
        OutputPath: '$.result',
      }),
      { keep: 1 },
    );
    h.startActivity();
    h.succeed(h.token(), { status: 200, items: ['a', 'b'], noise: {} });
    const output = { code: 200, first: 'a', state: 'T' };
    assert.deepEqual(h.history().slice(4), [
      ['ActivitySucceeded', 5, 4, succeeded({ status: 200, items: ['a', 'b'], noise: {} })],
      ['TaskStateExited', 6, 5, exited('T', output)],
      ['ExecutionSucceeded', 7, 6, succeeded(output)],
    ]);
  });

  test('ResultPath merges into the raw input; ResultPath null keeps it', () => {
    const merged = start(task({ InputPath: '$.a', ResultPath: '$.a.r' }), { a: { x: 1 }, b: 2 });
    merged.startActivity();
    merged.succeed(merged.token(), 'done');
    assert.deepEqual(merged.output(), { a: { x: 1, r: 'done' }, b: 2 });

    const discarded = start(task({ ResultPath: null }), { a: 1 });
    discarded.startActivity();
    discarded.succeed(discarded.token(), 'ignored');
    assert.deepEqual(discarded.output(), { a: 1 });
  });

  test('an OutputPath miss after ActivitySucceeded is States.Runtime, not caught: no TaskStateExited', () => {
    const h = start(
      {
        StartAt: 'RaiseRuntime',
        States: {
          RaiseRuntime: {
            Type: 'Task',
            Resource: ACTIVITY_ARN,
            OutputPath: '$.no.such.result.path',
            Retry: [{ ErrorEquals: ['States.Runtime'] }],
            Catch: [{ ErrorEquals: ['States.Runtime'], Next: 'Caught' }],
            End: true,
          },
          Caught: { Type: 'Pass', End: true },
        },
      },
      {},
    );
    h.startActivity();
    h.succeed(h.token(), { result: 1 });
    const cause = prefixed(
      'RaiseRuntime',
      2,
      `Invalid path '$.no.such.result.path' : Missing property in path $['no']`,
    );
    assert.deepEqual(h.history().slice(4), [
      ['ActivitySucceeded', 5, 4, succeeded({ result: 1 })],
      ['ExecutionFailed', 6, 5, { error: 'States.Runtime', cause }],
    ]);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.timers.size, 0);
  });

  test('a ResultPath that cannot apply is States.ResultPathMatchFailure, which Catch handles', () => {
    const h = start(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: ACTIVITY_ARN,
            ResultPath: '$.r',
            Catch: [{ ErrorEquals: ['States.ResultPathMatchFailure'], Next: 'Caught' }],
            End: true,
          },
          Caught: { Type: 'Pass', End: true },
        },
      },
      'text',
    );
    h.startActivity();
    h.succeed(h.token(), 1);
    const errorOutput = {
      Error: 'States.ResultPathMatchFailure',
      Cause: 'Unable to apply ReferencePath $.r to input "text"',
    };
    assert.deepEqual(h.history().slice(4, 7), [
      ['ActivitySucceeded', 5, 4, succeeded(1)],
      ['TaskStateExited', 6, 5, exited('T', errorOutput)],
      ['PassStateEntered', 7, 6, entered('Caught', errorOutput)],
    ]);
    assert.deepEqual(h.output(), errorOutput);
  });
});

describe('activity task: failure', () => {
  test('SendTaskFailure without a Catch: ActivityFailed then ExecutionFailed, no TaskStateExited', () => {
    const h = start(task(), { age: 10 });
    h.startActivity();
    h.fail(h.token(), 'age check failed', 'child under 18 is not allowed!');
    const failure = { error: 'age check failed', cause: 'child under 18 is not allowed!' };
    assert.deepEqual(h.history().slice(3), [
      ['ActivityStarted', 4, 3, {}],
      ['ActivityFailed', 5, 4, failure],
      ['ExecutionFailed', 6, 5, failure],
    ]);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, 'age check failed');
    assert.equal(h.execution.cause, 'child under 18 is not allowed!');
    assert.equal(h.tasks.size, 0);
  });

  test('SendTaskFailure without error or cause: details {} throughout', () => {
    const h = start(task(), {});
    h.startActivity();
    h.fail(h.token(), null, null);
    assert.deepEqual(h.history().slice(4), [
      ['ActivityFailed', 5, 4, {}],
      ['ExecutionFailed', 6, 5, {}],
    ]);
    assert.equal(h.execution.error, null);
    assert.equal(h.execution.cause, null);
  });

  test('SendTaskFailure without error or cause: a States.ALL catcher sees {"Error":null,"Cause":null}', () => {
    const h = start(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: ACTIVITY_ARN,
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'After' }],
            End: true,
          },
          After: { Type: 'Pass', End: true },
        },
      },
      { in: 1 },
    );
    h.startActivity();
    h.fail(h.token(), null, null);
    const errorOutput = { Error: null, Cause: null };
    assert.deepEqual(h.history().slice(4), [
      ['ActivityFailed', 5, 4, {}],
      ['TaskStateExited', 6, 5, exited('T', errorOutput)],
      ['PassStateEntered', 7, 6, entered('After', errorOutput)],
      ['PassStateExited', 8, 7, exited('After', errorOutput)],
      ['ExecutionSucceeded', 9, 8, succeeded(errorOutput)],
    ]);
  });

  test('only an error, no cause', () => {
    const h = start(task(), {});
    h.startActivity();
    h.fail(h.token(), 'E', null);
    assert.deepEqual(h.history().slice(4), [
      ['ActivityFailed', 5, 4, { error: 'E' }],
      ['ExecutionFailed', 6, 5, { error: 'E' }],
    ]);
  });

  test('the seed: Catch with ResultPath "$.error-info" merges the Error Output into the input, then Fail', () => {
    const definition = {
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
    };
    const h = start(definition, { age: 10 });
    assert.deepEqual(
      [...h.timers.values()].map((t) => [t.kind, t.dueAt]),
      [['executionTimeout', START + 300_000]],
    );
    h.now += 2000;
    h.startActivity(h.token(), 'abc');
    h.now += 500;
    h.fail(h.token(), 'age check failed', 'child under 18 is not allowed!');
    const caught = {
      age: 10,
      'error-info': { Error: 'age check failed', Cause: 'child under 18 is not allowed!' },
    };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ age: 10 })],
      ['TaskStateEntered', 2, 0, entered('ContentBrowsedAllowed?', { age: 10 })],
      ['ActivityScheduled', 3, 2, scheduled({ age: 10 })],
      ['ActivityStarted', 4, 3, { workerName: 'abc' }],
      ['ActivityFailed', 5, 4, { error: 'age check failed', cause: 'child under 18 is not allowed!' }],
      ['TaskStateExited', 6, 5, exited('ContentBrowsedAllowed?', caught)],
      ['FailStateEntered', 7, 6, entered('Failure', caught)],
      ['ExecutionFailed', 8, 7, { error: 'CheckFailed', cause: 'Invalid response.' }],
    ]);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, 'CheckFailed');
    assert.equal(h.execution.cause, 'Invalid response.');
    assert.equal(h.execution.stopDate, START + 2500);
    assert.equal(h.tasks.size, 0);
    assert.equal(h.timers.size, 0, 'the execution timeout is deleted when the execution closes');
    assert.equal(h.threads.size, 0);
  });

  test('the seed, success path: Next Succeed', () => {
    const h = start(
      {
        StartAt: 'Check',
        States: {
          Check: {
            Type: 'Task',
            Resource: ACTIVITY_ARN,
            Next: 'Succeed',
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error-info', Next: 'Failure' }],
          },
          Failure: { Type: 'Fail', Cause: 'Invalid response.', Error: 'CheckFailed' },
          Succeed: { Type: 'Succeed' },
        },
      },
      { age: 30 },
    );
    h.startActivity();
    const output = { type: 'adult', message: 'allowed' };
    h.succeed(h.token(), output);
    assert.deepEqual(h.history().slice(4), [
      ['ActivitySucceeded', 5, 4, succeeded(output)],
      ['TaskStateExited', 6, 5, exited('Check', output)],
      ['SucceedStateEntered', 7, 6, entered('Succeed', output)],
      ['SucceedStateExited', 8, 7, exited('Succeed', output)],
      ['ExecutionSucceeded', 9, 8, succeeded(output)],
    ]);
  });
});

describe('activity task: timeouts', () => {
  test('TimeoutSeconds counts from ActivityStarted; expiry is ActivityTimedOut States.Timeout', () => {
    const h = start(task({ TimeoutSeconds: 5 }), {});
    assert.equal(h.timers.size, 0, 'nothing is armed while the task is queued');
    h.advance(100);
    assert.equal(h.status, 'RUNNING');
    h.startActivity();
    const timers = [...h.timers.values()];
    assert.deepEqual(
      timers.map((t) => [t.kind, t.dueAt]),
      [['taskTimeout', START + 105_000]],
    );
    const token = h.token();
    h.advance(4.999);
    assert.equal(h.events.length, 4);
    h.advance(0.001);
    assert.deepEqual(h.history().slice(3), [
      ['ActivityStarted', 4, 3, {}],
      ['ActivityTimedOut', 5, 4, { error: 'States.Timeout' }],
      ['ExecutionFailed', 6, 5, { error: 'States.Timeout' }],
    ]);
    assert.equal(h.events[4]?.timestamp, START + 105_000);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, 'States.Timeout');
    assert.equal(h.execution.cause, null);
    assert.equal(h.tasks.size, 0);
    assert.equal(h.timers.size, 0);
    // The worker reports late: its token is stale.
    assert.equal(rejected(h.succeed(token, {})), 'TaskTimedOut');
    assert.equal(rejected(h.fail(token, 'E', 'c')), 'TaskTimedOut');
    assert.equal(rejected(h.heartbeat(token)), 'TaskTimedOut');
    assert.equal(h.events.length, 6);
  });

  test('success before the timeout deletes the timeout timer', () => {
    const h = start(task({ TimeoutSeconds: 5, HeartbeatSeconds: 2 }), {});
    h.startActivity();
    assert.equal(h.timers.size, 2);
    h.advance(1);
    h.succeed(h.token(), 1);
    assert.equal(h.status, 'SUCCEEDED');
    assert.equal(h.timers.size, 0);
  });

  test('heartbeats re-arm the heartbeat timer and write no history; a missed one times the task out', () => {
    const h = start(task({ TimeoutSeconds: 100, HeartbeatSeconds: 10 }), {});
    h.startActivity();
    const token = h.token();
    const kinds = (): [string, number][] =>
      [...h.timers.values()].map((t) => [t.kind, t.dueAt] as [string, number]).sort((a, b) => a[1] - b[1]);
    assert.deepEqual(kinds(), [
      ['heartbeatTimeout', START + 10_000],
      ['taskTimeout', START + 100_000],
    ]);
    h.advance(8);
    assert.ok(h.heartbeat(token).ok);
    assert.equal(h.events.length, 4, 'a heartbeat writes no history');
    assert.deepEqual(kinds(), [
      ['heartbeatTimeout', START + 18_000],
      ['taskTimeout', START + 100_000],
    ]);
    h.advance(9.999);
    assert.equal(h.status, 'RUNNING');
    h.advance(0.001);
    assert.deepEqual(h.history().slice(4), [
      ['ActivityTimedOut', 5, 4, { error: 'States.Timeout' }],
      ['ExecutionFailed', 6, 5, { error: 'States.Timeout' }],
    ]);
    assert.equal(h.events[4]?.timestamp, START + 18_000);
    assert.equal(h.timers.size, 0);
    assert.equal(h.tasks.size, 0);
  });

  test('a superseded heartbeat timer that fires anyway changes nothing', () => {
    const h = start(task({ HeartbeatSeconds: 10 }), {});
    h.startActivity();
    const old = [...h.timers.values()][0];
    assert.ok(old !== undefined);
    h.advance(5);
    h.heartbeat(h.token());
    assert.equal(h.timers.has(old.id), false, 'the old timer is deleted by the heartbeat');
    h.now = old.dueAt;
    const late = h.deliver({ type: 'TimerFired', timer: old });
    assert.ok(late.ok);
    assert.deepEqual(late.events, []);
    assert.equal(h.status, 'RUNNING');
    assert.equal(h.tasks.size, 1);
  });

  test('a heartbeat without HeartbeatSeconds is accepted and changes nothing', () => {
    const h = start(task({ TimeoutSeconds: 100 }), {});
    h.startActivity();
    const before = [...h.timers.keys()];
    assert.ok(h.heartbeat(h.token()).ok);
    assert.deepEqual([...h.timers.keys()], before);
  });

  const catching = (errorEquals: string[][]): object => ({
    StartAt: 'T',
    States: {
      T: {
        Type: 'Task',
        Resource: ACTIVITY_ARN,
        TimeoutSeconds: 30,
        HeartbeatSeconds: 10,
        Catch: errorEquals.map((e, i) => ({ ErrorEquals: e, Next: `C${i}` })),
        End: true,
      },
      ...Object.fromEntries(errorEquals.map((_, i) => [`C${i}`, { Type: 'Pass', Result: i, End: true }])),
    },
  });

  test('States.HeartbeatTimeout in ErrorEquals matches a heartbeat expiry', () => {
    const h = start(catching([['States.HeartbeatTimeout'], ['States.Timeout']]), { x: 1 });
    h.startActivity();
    h.advance(10);
    const errorOutput = { Error: 'States.Timeout', Cause: null };
    assert.deepEqual(h.history().slice(4), [
      ['ActivityTimedOut', 5, 4, { error: 'States.Timeout' }],
      ['TaskStateExited', 6, 5, exited('T', errorOutput)],
      ['PassStateEntered', 7, 6, entered('C0', errorOutput)],
      ['PassStateExited', 8, 7, exited('C0', 0)],
      ['ExecutionSucceeded', 9, 8, succeeded(0)],
    ]);
  });

  test('States.Timeout in ErrorEquals matches a heartbeat expiry too', () => {
    const h = start(catching([['States.Timeout']]), {});
    h.startActivity();
    h.advance(10);
    assert.deepEqual(h.output(), 0);
  });

  test('States.HeartbeatTimeout does not match a plain task timeout', () => {
    const h = start(catching([['States.HeartbeatTimeout'], ['States.Timeout']]), {});
    h.startActivity();
    for (let i = 0; i < 3; i++) {
      h.advance(8);
      h.heartbeat(h.token());
    }
    h.advance(6);
    assert.deepEqual(h.output(), 1);
    assert.equal(h.events[4]?.timestamp, START + 30_000);

    const uncaught = start(catching([['States.HeartbeatTimeout']]), {});
    uncaught.startActivity();
    for (let i = 0; i < 3; i++) {
      uncaught.advance(8);
      uncaught.heartbeat(uncaught.token());
    }
    uncaught.advance(6);
    assert.deepEqual(uncaught.history().slice(4), [
      ['ActivityTimedOut', 5, 4, { error: 'States.Timeout' }],
      ['ExecutionFailed', 6, 5, { error: 'States.Timeout' }],
    ]);
  });

  test('States.TaskFailed does not match a timeout', () => {
    const h = start(catching([['States.TaskFailed']]), {});
    h.startActivity();
    h.advance(10);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, 'States.Timeout');
  });
});

describe('activity task: the activity does not exist', () => {
  test('States.Runtime with AWS’s cause, no ActivityScheduled, never caught or retried', () => {
    const h = start(
      {
        StartAt: 'ActivityTask',
        States: {
          ActivityTask: {
            Type: 'Task',
            Resource: ACTIVITY_ARN,
            Retry: [{ ErrorEquals: ['States.Runtime'] }, { ErrorEquals: ['States.ALL'] }],
            Catch: [
              { ErrorEquals: ['States.Runtime'], Next: 'Caught' },
              { ErrorEquals: ['States.ALL'], Next: 'Caught' },
            ],
            End: true,
          },
          Caught: { Type: 'Pass', End: true },
        },
      },
      { a: 1 },
      { activities: [] },
    );
    const cause = prefixed('ActivityTask', 2, `The activity ${ACTIVITY_ARN} does not exist.`);
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ a: 1 })],
      ['TaskStateEntered', 2, 0, entered('ActivityTask', { a: 1 })],
      ['ExecutionFailed', 3, 2, { error: 'States.Runtime', cause }],
    ]);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, 'States.Runtime');
    assert.equal(h.execution.cause, cause);
    assert.equal(h.tasks.size, 0);
    assert.equal(h.timers.size, 0);
  });

  test('an activity deleted before a retry fails the execution at the retry', () => {
    const h = start(
      {
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: ACTIVITY_ARN, Retry: [{ ErrorEquals: ['States.ALL'] }], End: true },
        },
      },
      {},
    );
    h.startActivity();
    h.fail(h.token(), 'E', 'c');
    h.activities.clear();
    h.advance(1);
    assert.deepEqual(h.history().slice(4), [
      ['ActivityFailed', 5, 4, { error: 'E', cause: 'c' }],
      [
        'ExecutionFailed',
        6,
        5,
        { error: 'States.Runtime', cause: prefixed('T', 2, `The activity ${ACTIVITY_ARN} does not exist.`) },
      ],
    ]);
  });
});

describe('activity task: tokens', () => {
  test('a second ActivityStarted for the same token is rejected', () => {
    const h = start(task({ TimeoutSeconds: 10 }), {});
    const token = h.token();
    assert.ok(h.startActivity(token, 'one').ok);
    const timers = [...h.timers.keys()];
    assert.equal(rejected(h.startActivity(token, 'two')), 'TaskTimedOut');
    assert.equal(h.events.length, 4);
    assert.deepEqual([...h.timers.keys()], timers);
    assert.equal(h.task().workerName, 'one');
  });

  test('tokens that do not belong to a live task are rejected as TaskTimedOut', () => {
    const h = start(task(), {});
    const token = h.token();
    const nextEventId = h.execution.nextEventId;
    for (const bogus of ['', 'not-a-token', `${token}x`, token.slice(0, -2)]) {
      for (const send of [
        () => h.startActivity(bogus),
        () => h.succeed(bogus, {}),
        () => h.fail(bogus, 'E', 'c'),
        () => h.heartbeat(bogus),
      ]) {
        assert.equal(rejected(send()), 'TaskTimedOut');
      }
    }
    assert.equal(h.execution.nextEventId, nextEventId);
    assert.equal(h.status, 'RUNNING');
  });

  test('the token of an earlier attempt is stale after a retry', () => {
    const h = start(
      {
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: ACTIVITY_ARN, Retry: [{ ErrorEquals: ['States.ALL'] }], End: true },
        },
      },
      {},
    );
    const first = h.token();
    h.startActivity(first);
    h.fail(first, 'E', 'c');
    h.advance(1);
    const second = h.token();
    assert.notEqual(second, first);
    for (const send of [() => h.startActivity(first), () => h.succeed(first, 1), () => h.heartbeat(first)]) {
      assert.equal(rejected(send()), 'TaskTimedOut');
    }
    h.startActivity(second);
    assert.ok(h.succeed(second, 2).ok);
    assert.deepEqual(h.output(), 2);
  });

  test('a token of a closed execution is rejected', () => {
    const h = start(task(), {});
    const token = h.token();
    h.startActivity(token);
    h.succeed(token, {});
    assert.equal(rejected(h.succeed(token, {})), 'TaskTimedOut');
    assert.equal(rejected(h.fail(token, null, null)), 'TaskTimedOut');
  });

  test('the task input is what GetActivityTask hands out', () => {
    const inputs: Json[] = [{}, [1, 2], 'text', 0, null];
    for (const input of inputs) {
      const h = start(task(), input);
      assert.equal(h.task().input, JSON.stringify(input));
    }
  });
});
