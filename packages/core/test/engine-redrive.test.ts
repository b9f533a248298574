/**
 * Engine: RedriveExecution. An execution that ended FAILED, TIMED_OUT or ABORTED keeps a redrive
 * snapshot of its threads; a redrive appends ExecutionRedriven and resumes each unfinished
 * thread where it stopped: the state it failed in is entered again with the same input,
 * Parallel branches and Map iterations that succeeded keep their results and only the others
 * run again. Retry counts start from zero; the machine's TimeoutSeconds counts from the redrive.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../src/json.js';
import type { ThreadRecord } from '../src/engine/types.js';
import { ACTIVITY_ARN, START, entered, exited, rejected, scheduled, start, succeeded } from './harness.js';
import type { Harness } from './harness.js';

const task = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  Type: 'Task',
  Resource: ACTIVITY_ARN,
  ...('Next' in fields ? {} : { End: true }),
  ...fields,
});

/** Pass, then a Task: the guide's own example of a redrive. */
const passThenTask = (
  taskFields: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): object => ({
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Pass', Result: { prepared: true }, ResultPath: '$.prep', Next: 'Work' },
    Work: task(taskFields),
  },
  ...top,
});

function snapshotIds(h: Harness): string[] {
  return h.redriveThreads.map((t) => t.id).sort();
}

function snapshotOf(h: Harness, id: string): ThreadRecord {
  const thread = h.redriveThreads.find((t) => t.id === id);
  assert.ok(thread !== undefined, `the snapshot holds ${id}`);
  return thread;
}

describe('Redrive: a Task that failed', () => {
  test('ExecutionRedriven follows the closing event, the failed state is entered again with its input', () => {
    const input = { order: 7 };
    const h = start(passThenTask(), input);
    const workInput = { order: 7, prep: { prepared: true } };
    h.now += 1000;
    assert.ok(h.fail(h.token(), 'Boom', 'broken').ok);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.threads.size, 0, 'a closed execution has no live threads');
    assert.deepEqual(snapshotIds(h), ['root']);
    assert.equal(snapshotOf(h, 'root').stateName, 'Work');
    assert.deepEqual(snapshotOf(h, 'root').input, workInput);
    assert.equal(snapshotOf(h, 'root').wait, null, 'the task it waited on is not part of the snapshot');

    h.now += 5000;
    const redriven = h.redrive();
    assert.ok(redriven.ok);
    assert.deepEqual(h.historyFrom(6), [
      ['ActivityFailed', 6, 5, { error: 'Boom', cause: 'broken' }],
      ['ExecutionFailed', 7, 6, { error: 'Boom', cause: 'broken' }],
      ['ExecutionRedriven', 8, 7, { redriveCount: 1 }],
      ['TaskStateEntered', 9, 8, entered('Work', workInput)],
      ['ActivityScheduled', 10, 9, scheduled(workInput)],
    ]);
    assert.equal(h.events[7]?.detailsMember, 'executionRedrivenEventDetails');
    assert.equal(h.events[7]?.timestamp, START + 6000);
    assert.equal(h.status, 'RUNNING');
    assert.equal(h.execution.redriveCount, 1);
    assert.equal(h.execution.redriveDate, START + 6000);
    assert.equal(h.execution.error, undefined);
    assert.equal(h.execution.cause, undefined);
    assert.equal(h.execution.stopDate, undefined);
    assert.deepEqual(h.redriveThreads, [], 'the redrive takes the snapshot up');
    assert.equal(h.task().input, JSON.stringify(workInput));

    assert.ok(h.succeed(h.token(), { done: true }).ok);
    assert.deepEqual(h.historyFrom(11), [
      ['ActivitySucceeded', 11, 10, succeeded({ done: true })],
      ['TaskStateExited', 12, 11, exited('Work', { done: true })],
      ['ExecutionSucceeded', 13, 12, succeeded({ done: true })],
    ]);
    assert.equal(h.status, 'SUCCEEDED');
    assert.deepEqual(h.output(), { done: true });
    assert.equal(h.threads.size, 0);
    assert.deepEqual(h.redriveThreads, []);
  });

  test('the states before the failure are not run again; a second redrive counts 2', () => {
    const h = start(passThenTask(), {});
    assert.ok(h.fail(h.token(), 'E1').ok);
    assert.ok(h.redrive().ok);
    assert.ok(h.fail(h.token(), 'E2').ok);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, 'E2');
    assert.ok(h.redrive().ok);
    const types = h.history().map(([type]) => type);
    assert.deepEqual(types, [
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityFailed',
      'ExecutionFailed',
      'ExecutionRedriven',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityFailed',
      'ExecutionFailed',
      'ExecutionRedriven',
      'TaskStateEntered',
      'ActivityScheduled',
    ]);
    assert.deepEqual(h.historyFrom(13)[0], ['ExecutionRedriven', 13, 12, { redriveCount: 2 }]);
    assert.equal(h.execution.redriveCount, 2);
  });

  test('retry counts start from zero again', () => {
    const h = start(
      passThenTask({ Retry: [{ ErrorEquals: ['E'], MaxAttempts: 1, IntervalSeconds: 1 }] }),
      {},
    );
    assert.ok(h.fail(h.token(), 'E').ok);
    h.advance(1);
    assert.ok(h.fail(h.token(), 'E').ok);
    assert.equal(h.status, 'FAILED');
    assert.ok(h.redrive().ok);
    assert.ok(h.fail(h.token(), 'E').ok);
    assert.equal(h.status, 'RUNNING', 'the retrier has its attempt again');
    h.advance(1);
    assert.ok(h.succeed(h.token(), 'ok').ok);
    assert.equal(h.status, 'SUCCEEDED');
  });

  test('a Fail state fails again; a state reached through Catch is where the redrive starts', () => {
    const h = start(
      {
        StartAt: 'Work',
        States: {
          Work: task({ Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }] }),
          Failed: { Type: 'Fail', Error: 'Caught', Cause: 'by Catch' },
        },
      },
      { a: 1 },
    );
    assert.ok(h.fail(h.token(), 'E', 'c').ok);
    assert.equal(h.status, 'FAILED');
    assert.equal(snapshotOf(h, 'root').stateName, 'Failed');
    assert.ok(h.redrive().ok);
    const caught = { Error: 'E', Cause: 'c' };
    assert.deepEqual(h.historyFrom(7), [
      ['ExecutionFailed', 7, 6, { error: 'Caught', cause: 'by Catch' }],
      ['ExecutionRedriven', 8, 7, { redriveCount: 1 }],
      ['FailStateEntered', 9, 8, entered('Failed', caught)],
      ['ExecutionFailed', 10, 9, { error: 'Caught', cause: 'by Catch' }],
    ]);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.redriveCount, 1);
    assert.equal(h.execution.redriveDate, h.now);
    assert.deepEqual(snapshotIds(h), ['root'], 'failing again leaves a new snapshot');
  });

  test('workflow variables assigned before the failure are still set', () => {
    const h = start(
      {
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { greeting: 'hello' }, Next: 'Work' },
          Work: task({ Parameters: { 'g.$': '$greeting' } }),
        },
      },
      {},
    );
    assert.ok(h.fail(h.token(), 'E').ok);
    assert.ok(h.redrive().ok);
    assert.equal(h.task().input, JSON.stringify({ g: 'hello' }));
  });

  test('the context object shows RedriveCount and RedriveTime', () => {
    const h = start(
      {
        StartAt: 'Work',
        States: {
          Work: task({ Next: 'Show' }),
          Show: {
            Type: 'Pass',
            Parameters: { 'count.$': '$$.Execution.RedriveCount', 'time.$': '$$.Execution.RedriveTime' },
            End: true,
          },
        },
      },
      {},
    );
    assert.ok(h.fail(h.token(), 'E').ok);
    h.now = Date.UTC(2024, 0, 3, 0, 0, 0, 5);
    assert.ok(h.redrive().ok);
    assert.ok(h.succeed(h.token(), {}).ok);
    assert.deepEqual(h.output(), { count: 1, time: '2024-01-03T00:00:00.005Z' });
  });
});

describe('Redrive: what can be redriven', () => {
  test('a running or succeeded execution is refused, and so is one without a snapshot', () => {
    const h = start(passThenTask(), {});
    assert.equal(rejected(h.redrive()), 'ExecutionNotRedrivable');
    assert.ok(h.succeed(h.token(), 'x').ok);
    assert.equal(rejected(h.redrive()), 'ExecutionNotRedrivable');

    const failed = start(passThenTask(), {});
    assert.ok(failed.fail(failed.token(), 'E').ok);
    failed.redriveThreads = [];
    assert.equal(rejected(failed.redrive()), 'ExecutionNotRedrivable');
  });

  test('an execution that ran out of history keeps no snapshot', () => {
    const h = start(passThenTask(), {}, { limits: { maxHistoryEvents: 6, maxPayloadBytes: 262_144 } });
    h.startActivity(h.token());
    assert.equal(h.status, 'FAILED');
    assert.deepEqual(h.redriveThreads, []);
    assert.equal(rejected(h.redrive()), 'ExecutionNotRedrivable');
  });
});

describe('Redrive: TIMED_OUT and ABORTED', () => {
  test('an aborted Task state is entered again; the execution timeout counts from the redrive', () => {
    const h = start(passThenTask({}, { TimeoutSeconds: 60 }), { x: 1 });
    h.now += 10_000;
    assert.ok(h.stop('Stopped', 'by hand').ok);
    assert.equal(h.status, 'ABORTED');
    assert.equal(h.timers.size, 0);
    assert.equal(h.tasks.size, 0);
    h.now += 120_000;
    assert.ok(h.redrive().ok);
    const timeout = [...h.timers.values()].find((t) => t.kind === 'executionTimeout');
    assert.equal(timeout?.dueAt, h.now + 60_000);
    assert.deepEqual(
      h.historyFrom(6).map(([type, id, previous]) => [type, id, previous]),
      [
        ['ExecutionAborted', 6, 0],
        ['ExecutionRedriven', 7, 6],
        ['TaskStateEntered', 8, 7],
        ['ActivityScheduled', 9, 8],
      ],
    );
    h.advance(60);
    assert.equal(h.status, 'TIMED_OUT');
    assert.equal(snapshotOf(h, 'root').stateName, 'Work');
    assert.ok(h.redrive().ok);
    assert.equal(h.execution.redriveCount, 2);
    assert.ok(h.succeed(h.token(), 'late').ok);
    assert.equal(h.status, 'SUCCEEDED');
  });

  test('a Wait state stopped part way waits its whole time again', () => {
    const h = start({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 30, End: true } } }, {});
    h.now += 10_000;
    assert.ok(h.stop().ok);
    assert.ok(h.redrive().ok);
    const wait = [...h.timers.values()].find((t) => t.kind === 'wait');
    assert.equal(wait?.dueAt, h.now + 30_000);
  });
});

/** A Parallel of three activity branches, each named by its input's `branch`. */
const parallel = (fields: Record<string, unknown> = {}): object => ({
  StartAt: 'P',
  States: {
    P: {
      Type: 'Parallel',
      Branches: [0, 1, 2].map((i) => ({
        StartAt: `B${i}`,
        States: { [`B${i}`]: task({ Parameters: { branch: i } }) },
      })),
      End: true,
      ...fields,
    },
  },
});

describe('Redrive: Parallel', () => {
  test('only the branches that failed or were aborted run again; the others keep their results', () => {
    const h = start(parallel(), { in: 1 });
    assert.ok(h.succeed(h.tokenOf('root/0'), 'zero').ok);
    assert.ok(h.fail(h.tokenOf('root/1'), 'BranchError', 'b1').ok);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.tasks.size, 0, 'the running branch was stopped');
    assert.deepEqual(snapshotIds(h), ['root', 'root/0', 'root/1', 'root/2']);
    assert.equal(snapshotOf(h, 'root').wait?.kind, 'children');
    assert.equal(snapshotOf(h, 'root/0').phase, 'done');
    assert.equal(snapshotOf(h, 'root/1').failed, true);
    const before = h.events.length;
    assert.ok(h.redrive().ok);
    const redrivenId = before + 1;
    assert.deepEqual(
      h
        .historyFrom(redrivenId)
        .map(([type, id, previous, details]) => [type, id, previous, details?.['name']]),
      [
        ['ExecutionRedriven', redrivenId, redrivenId - 1, undefined],
        ['TaskStateEntered', redrivenId + 1, redrivenId, 'B1'],
        ['ActivityScheduled', redrivenId + 2, redrivenId + 1, undefined],
        ['TaskStateEntered', redrivenId + 3, redrivenId, 'B2'],
        ['ActivityScheduled', redrivenId + 4, redrivenId + 3, undefined],
      ],
    );
    assert.deepEqual([...h.tasks.values()].map((t) => t.threadId).sort(), ['root/1', 'root/2']);
    assert.ok(h.succeed(h.tokenOf('root/2'), 'two').ok);
    assert.ok(h.succeed(h.tokenOf('root/1'), 'one').ok);
    assert.equal(h.status, 'SUCCEEDED');
    assert.deepEqual(h.output(), ['zero', 'one', 'two']);
    const tail = h.history().slice(-3);
    assert.deepEqual(
      tail.map(([type]) => type),
      ['ParallelStateSucceeded', 'ParallelStateExited', 'ExecutionSucceeded'],
    );
    assert.equal(h.threads.size, 0);
  });

  test('a nested Parallel resumes its own failed branch; the branches that succeeded stay done', () => {
    const h = start(
      {
        StartAt: 'Outer',
        States: {
          Outer: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'A', States: { A: task({ Parameters: { a: 1 } }) } },
              {
                StartAt: 'Inner',
                States: {
                  Inner: {
                    Type: 'Parallel',
                    Branches: [
                      { StartAt: 'X', States: { X: task({ Parameters: { x: 1 } }) } },
                      { StartAt: 'Y', States: { Y: task({ Parameters: { y: 1 } }) } },
                    ],
                    End: true,
                  },
                },
              },
            ],
            End: true,
          },
        },
      },
      {},
    );
    assert.ok(h.succeed(h.tokenOf('root/0'), 'a').ok);
    assert.ok(h.succeed(h.tokenOf('root/1/0'), 'x').ok);
    assert.ok(h.fail(h.tokenOf('root/1/1'), 'E').ok);
    assert.equal(h.status, 'FAILED');
    assert.deepEqual(snapshotIds(h), ['root', 'root/0', 'root/1', 'root/1/0', 'root/1/1']);
    assert.ok(h.redrive().ok);
    assert.deepEqual(
      [...h.tasks.values()].map((t) => t.threadId),
      ['root/1/1'],
      'only Y runs again',
    );
    assert.ok(h.succeed(h.tokenOf('root/1/1'), 'y').ok);
    assert.equal(h.status, 'SUCCEEDED');
    assert.deepEqual(h.output(), ['a', ['x', 'y']]);
  });
});

/** An inline Map of activity iterations over `$.items`. */
const inlineMap = (fields: Record<string, unknown> = {}): object => ({
  StartAt: 'M',
  States: {
    M: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: { StartAt: 'T', States: { T: task() } },
      End: true,
      ...fields,
    },
  },
});

describe('Redrive: inline Map', () => {
  test('iterations that failed or were aborted run again; the ones that succeeded keep their output', () => {
    const h = start(inlineMap(), { items: ['a', 'b', 'c', 'd'] });
    assert.ok(h.succeed(h.tokenOf('root/0'), 'A').ok);
    assert.ok(h.succeed(h.tokenOf('root/3'), 'D').ok);
    assert.ok(h.fail(h.tokenOf('root/1'), 'E').ok);
    assert.equal(h.status, 'FAILED');
    const before = h.events.length;
    assert.ok(h.redrive().ok);
    const redriven = before + 1;
    assert.deepEqual(
      h.historyFrom(redriven).map(([type, id, previous, details]) => [type, id, previous, details]),
      [
        ['ExecutionRedriven', redriven, redriven - 1, { redriveCount: 1 }],
        ['MapIterationStarted', redriven + 1, redriven, { index: 1, name: 'M' }],
        ['TaskStateEntered', redriven + 2, redriven + 1, entered('T', 'b')],
        ['ActivityScheduled', redriven + 3, redriven + 2, scheduled('b')],
        ['MapIterationStarted', redriven + 4, redriven + 3, { index: 2, name: 'M' }],
        ['TaskStateEntered', redriven + 5, redriven + 4, entered('T', 'c')],
        ['ActivityScheduled', redriven + 6, redriven + 5, scheduled('c')],
      ],
    );
    assert.ok(h.succeed(h.tokenOf('root/2'), 'C').ok);
    assert.ok(h.succeed(h.tokenOf('root/1'), 'B').ok);
    assert.equal(h.status, 'SUCCEEDED');
    assert.deepEqual(h.output(), ['A', 'B', 'C', 'D']);
    assert.deepEqual(
      h
        .history()
        .slice(-3)
        .map(([type]) => type),
      ['MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded'],
    );
  });

  test('MaxConcurrency: tolerated failures run again first, one at a time, then the items not started', () => {
    const h = start(inlineMap({ MaxConcurrency: 1, ToleratedFailureCount: 1 }), {
      items: ['a', 'b', 'c', 'd'],
    });
    assert.ok(h.fail(h.tokenOf('root/0'), 'E').ok, 'tolerated');
    assert.ok(h.succeed(h.tokenOf('root/1'), 'B').ok);
    assert.ok(h.fail(h.tokenOf('root/2'), 'E').ok, 'over the threshold');
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, 'States.ExceedToleratedFailureThreshold');
    assert.equal(snapshotOf(h, 'root/3').phase, 'pending');
    assert.ok(h.redrive().ok);
    const order: string[] = [];
    for (const [id, output] of [
      ['root/0', 'A'],
      ['root/2', 'C'],
      ['root/3', 'D'],
    ] as const) {
      assert.equal(h.tasks.size, 1, 'one iteration at a time');
      order.push(h.task().threadId);
      assert.ok(h.succeed(h.tokenOf(id), output).ok);
    }
    assert.deepEqual(order, ['root/0', 'root/2', 'root/3']);
    assert.equal(h.status, 'SUCCEEDED');
    assert.deepEqual(h.output(), ['A', 'B', 'C', 'D']);
  });

  test('a Parallel inside an iteration resumes its own failed branch only', () => {
    const h = start(
      {
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            ItemProcessor: {
              StartAt: 'P',
              States: {
                P: {
                  Type: 'Parallel',
                  Branches: [
                    { StartAt: 'L', States: { L: task({ Parameters: { 'side.$': '$' } }) } },
                    { StartAt: 'R', States: { R: task({ Parameters: { 'other.$': '$' } }) } },
                  ],
                  End: true,
                },
              },
            },
            End: true,
          },
        },
      },
      [1, 2],
    );
    assert.ok(h.succeed(h.tokenOf('root/0/0'), 'L1').ok);
    assert.ok(h.succeed(h.tokenOf('root/0/1'), 'R1').ok);
    assert.ok(h.succeed(h.tokenOf('root/1/0'), 'L2').ok);
    assert.ok(h.fail(h.tokenOf('root/1/1'), 'E').ok);
    assert.equal(h.status, 'FAILED');
    assert.ok(h.redrive().ok);
    assert.deepEqual(
      [...h.tasks.values()].map((t) => t.threadId),
      ['root/1/1'],
    );
    assert.ok(h.succeed(h.tokenOf('root/1/1'), 'R2').ok);
    assert.deepEqual(h.output(), [
      ['L1', 'R1'],
      ['L2', 'R2'],
    ]);
  });

  test('an iteration aborted in a Wait, then the Map stopped by StopExecution, resumes', () => {
    const h = start(
      {
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            ItemProcessor: {
              StartAt: 'W',
              States: { W: { Type: 'Wait', Seconds: 5, Next: 'Done' }, Done: { Type: 'Pass', End: true } },
            },
            End: true,
          },
        },
      },
      ['x', 'y'],
    );
    assert.ok(h.stop().ok);
    assert.equal(h.status, 'ABORTED');
    assert.ok(h.redrive().ok);
    h.advance(5);
    assert.equal(h.status, 'SUCCEEDED');
    assert.deepEqual(h.output(), ['x', 'y']);
  });
});

describe('Redrive: Distributed Map', () => {
  const definition = {
    StartAt: 'M',
    States: {
      M: {
        Type: 'Map',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Inner',
          States: { Inner: { Type: 'Pass', End: true } },
        },
        End: true,
      },
    },
  };

  test('a failed Map Run is redriven (MapRunRedriven), not started anew', () => {
    const h = start(definition, [1, 2]);
    h.advance(0);
    const arn = h.mapRunsStarted[0]?.mapRunArn as string;
    assert.ok(
      h.mapRunEnded(arn, 'FAILED', { error: 'States.ExceedToleratedFailureThreshold', cause: 'c' }).ok,
    );
    assert.equal(h.status, 'FAILED');
    assert.equal(snapshotOf(h, 'root').wait?.kind, 'mapRun');
    const before = h.events.length;
    assert.ok(h.redrive().ok);
    assert.deepEqual(h.historyFrom(before + 1), [
      ['ExecutionRedriven', before + 1, before, { redriveCount: 1 }],
      ['MapRunRedriven', before + 2, before + 1, { mapRunArn: arn, redriveCount: 1 }],
    ]);
    assert.equal(h.events.at(-1)?.detailsMember, 'mapRunRedrivenEventDetails');
    assert.deepEqual(
      [...h.timers.values()].map((t) => [t.id, t.kind, t.dueAt]).sort(),
      [
        [`${arn}#redrive`, 'mapRunRedrive', h.now],
        [`${arn}#start`, 'mapRunStart', h.now],
      ],
      'the runtime redrives the run through its timer; the start timer starts it if it never did',
    );
    h.advance(0);
    assert.equal(h.timers.size, 0);
    assert.equal(h.mapRunsStarted.length, 2, 'starting is asked for again (a no-op for a run that exists)');
    assert.equal(h.mapRunsStarted[1]?.mapRunArn, arn, 'the same Map Run, not a new one');
    assert.ok(h.mapRunEnded(arn, 'SUCCEEDED', { outputs: [1, 2] as Json[] }).ok);
    assert.equal(h.status, 'SUCCEEDED');
    assert.deepEqual(h.output(), [1, 2]);
  });

  test('a parent stopped while its Map Run ran redrives that run', () => {
    const h = start(definition, [1]);
    h.advance(0);
    const arn = h.mapRunsStarted[0]?.mapRunArn as string;
    assert.ok(h.stop().ok);
    assert.deepEqual(h.mapRunsAborted, [arn]);
    assert.ok(h.redrive().ok);
    assert.ok([...h.timers.keys()].includes(`${arn}#redrive`));
    assert.equal(rejected(h.redrive()), 'ExecutionNotRedrivable', 'running again');
  });
});
