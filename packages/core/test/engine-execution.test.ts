/** Engine: the execution's own end: TimeoutSeconds, StopExecution, and cleanup when it closes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS } from '../src/engine/step.js';
import {
  ACTIVITY_ARN,
  EXECUTION_ARN,
  START,
  entered,
  exited,
  rejected,
  scheduled,
  start,
  started,
  succeeded,
} from './harness.js';

const activity = (extra: Record<string, unknown> = {}): object => ({
  StartAt: 'T',
  States: {
    T: { Type: 'Task', Resource: ACTIVITY_ARN, TimeoutSeconds: 50, HeartbeatSeconds: 20, End: true },
  },
  ...extra,
});

describe('execution TimeoutSeconds', () => {
  test('arms one timer at startDate + TimeoutSeconds; expiry is ExecutionTimedOut', () => {
    const h = start(
      { TimeoutSeconds: 10, StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 100, End: true } } },
      { a: 1 },
    );
    const timers = [...h.timers.values()].sort((a, b) => a.dueAt - b.dueAt);
    assert.deepEqual(
      timers.map((t) => [t.kind, t.dueAt]),
      [
        ['executionTimeout', START + 10_000],
        ['wait', START + 100_000],
      ],
    );
    assert.equal(timers[0]?.id, `${EXECUTION_ARN}#timeout`);
    assert.equal(timers[0]?.executionArn, EXECUTION_ARN);

    h.advance(9.999);
    assert.equal(h.status, 'RUNNING');
    h.advance(0.001);
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ a: 1 })],
      ['WaitStateEntered', 2, 0, entered('W', { a: 1 })],
      ['ExecutionTimedOut', 3, 0, { error: 'States.Timeout' }],
    ]);
    assert.equal(h.events[2]?.detailsMember, 'executionTimedOutEventDetails');
    assert.equal(h.events[2]?.timestamp, START + 10_000);
    assert.equal(h.status, 'TIMED_OUT');
    assert.equal(h.execution.error, 'States.Timeout');
    assert.equal(h.execution.cause, null);
    assert.equal(h.execution.output, undefined);
    assert.equal(h.execution.stopDate, START + 10_000);
    assert.equal(h.timers.size, 0, 'the Wait timer is deleted');
    assert.equal(h.threads.size, 0);
    // A timer that fires anyway (deleted too late) changes nothing.
    const late = h.deliver({ type: 'TimerFired', timer: timers[1]! });
    assert.ok(late.ok);
    assert.equal(late.events.length, 0);
    assert.equal(late.execution.status, 'TIMED_OUT');
  });

  test('an activity in flight is deleted with its timers, and its token goes stale', () => {
    const h = start(activity({ TimeoutSeconds: 30 }), {});
    h.advance(5);
    h.startActivity();
    const token = h.token();
    assert.equal(h.timers.size, 3);
    h.advance(15);
    h.heartbeat(token);
    h.advance(10);
    assert.deepEqual(h.history().slice(3), [
      ['ActivityStarted', 4, 3, {}],
      ['ExecutionTimedOut', 5, 0, { error: 'States.Timeout' }],
    ]);
    assert.equal(h.status, 'TIMED_OUT');
    assert.equal(h.tasks.size, 0);
    assert.equal(h.timers.size, 0);
    assert.equal(rejected(h.succeed(token, {})), 'TaskTimedOut');
  });

  test('a queued activity task is deleted too', () => {
    const h = start(activity({ TimeoutSeconds: 30 }), {});
    assert.equal(h.tasks.size, 1);
    h.advance(30);
    assert.equal(h.status, 'TIMED_OUT');
    assert.equal(h.tasks.size, 0);
    assert.equal(h.timers.size, 0);
  });

  test('a pending retry is deleted', () => {
    const h = start(
      {
        TimeoutSeconds: 3,
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: ACTIVITY_ARN,
            Retry: [{ ErrorEquals: ['E'], IntervalSeconds: 10 }],
            End: true,
          },
        },
      },
      {},
    );
    h.startActivity();
    h.fail(h.token(), 'E', null);
    assert.deepEqual([...h.timers.values()].map((t) => t.kind).sort(), ['executionTimeout', 'retry']);
    h.advance(3);
    assert.equal(h.status, 'TIMED_OUT');
    assert.equal(h.timers.size, 0);
    assert.deepEqual(h.history().at(-1), ['ExecutionTimedOut', 6, 0, { error: 'States.Timeout' }]);
  });

  test('an execution that ends in its first transition leaves no timer', () => {
    const h = start({ TimeoutSeconds: 10, StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, 1);
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(1)],
      ['PassStateEntered', 2, 0, entered('P', 1)],
      ['PassStateExited', 3, 2, exited('P', 1)],
      ['ExecutionSucceeded', 4, 3, succeeded(1)],
    ]);
    assert.equal(h.timers.size, 0);
  });

  test('an execution that ends first deletes the timeout timer', () => {
    const h = start(
      { TimeoutSeconds: 10, StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 2, End: true } } },
      {},
    );
    h.advance(2);
    assert.equal(h.status, 'SUCCEEDED');
    assert.equal(h.timers.size, 0);
  });
});

describe('StopExecution', () => {
  test('while in a Wait: ExecutionAborted with details {} and previousEventId 0', () => {
    const h = start({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 100, End: true } } }, {});
    h.advance(3);
    assert.ok(h.stop().ok);
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['WaitStateEntered', 2, 0, entered('W', {})],
      ['ExecutionAborted', 3, 0, {}],
    ]);
    assert.equal(h.events[2]?.detailsMember, 'executionAbortedEventDetails');
    assert.equal(h.status, 'ABORTED');
    assert.equal(h.execution.error, null);
    assert.equal(h.execution.cause, null);
    assert.equal(h.execution.stopDate, START + 3000);
    assert.equal(h.execution.output, undefined);
    assert.equal(h.timers.size, 0);
    assert.equal(h.threads.size, 0);
  });

  test('error and cause, when given, are recorded', () => {
    const h = start({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 100, End: true } } }, {});
    h.stop('Operator.Stop', 'maintenance');
    assert.deepEqual(h.history().at(-1), [
      'ExecutionAborted',
      3,
      0,
      { error: 'Operator.Stop', cause: 'maintenance' },
    ]);
    assert.equal(h.execution.error, 'Operator.Stop');
    assert.equal(h.execution.cause, 'maintenance');
  });

  test('while an activity runs: the task and all its timers are deleted; the token goes stale', () => {
    const h = start(activity({ TimeoutSeconds: 1000 }), { x: 1 });
    h.startActivity(h.token(), 'w');
    const token = h.token();
    assert.equal(h.timers.size, 3);
    const result = h.stop();
    assert.ok(result.ok);
    assert.deepEqual(result.effects.map((e) => e.kind).sort(), [
      'deleteActivityTask',
      'deleteTimer',
      'deleteTimer',
      'deleteTimer',
    ]);
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ x: 1 })],
      ['TaskStateEntered', 2, 0, entered('T', { x: 1 })],
      ['ActivityScheduled', 3, 2, scheduled({ x: 1 }, { timeoutInSeconds: 50, heartbeatInSeconds: 20 })],
      ['ActivityStarted', 4, 3, { workerName: 'w' }],
      ['ExecutionAborted', 5, 0, {}],
    ]);
    assert.equal(h.tasks.size, 0);
    assert.equal(h.timers.size, 0);
    assert.equal(rejected(h.succeed(token, {})), 'TaskTimedOut');
    assert.equal(rejected(h.heartbeat(token)), 'TaskTimedOut');
  });

  test('a closed execution cannot be stopped', () => {
    const h = start({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, {});
    assert.equal(rejected(h.stop()), 'ExecutionNotRunning');
    assert.equal(h.status, 'SUCCEEDED');
    const aborted = start({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 9, End: true } } }, {});
    aborted.stop();
    assert.equal(rejected(aborted.stop()), 'ExecutionNotRunning');
    assert.equal(aborted.events.length, 3);
  });
});

describe('history limit while an activity is in flight', () => {
  test('the execution fails and its task and timers are deleted', () => {
    const h = start(
      activity({ TimeoutSeconds: 100 }),
      {},
      { limits: { ...DEFAULT_LIMITS, maxHistoryEvents: 4 } },
    );
    const token = h.token();
    assert.ok(h.startActivity(token).ok);
    assert.deepEqual(h.history().slice(3), [
      [
        'ExecutionFailed',
        4,
        0,
        { error: 'States.Runtime', cause: 'The execution reached the maximum number of history events (4).' },
      ],
    ]);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.tasks.size, 0);
    assert.equal(h.timers.size, 0);
    assert.equal(h.threads.size, 0);
    assert.equal(rejected(h.succeed(token, {})), 'TaskTimedOut');
  });
});
