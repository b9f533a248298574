/**
 * Engine: Parallel states. Branches are threads of their own (`root/<i>`); the state's result
 * is their outputs in branch order, whatever order they end in. Expected histories follow the
 * AWS recordings in cases.jsonl (test_parallel_state_*); where AWS interleaves branches, the
 * engine runs a branch that needs nothing external to its end before starting the next.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../src/json.js';
import { ACTIVITY_ARN, entered, exited, rejected, scheduled, start, started, succeeded } from './harness.js';

const pass = (name: string, fields: Record<string, unknown> = {}): object => ({
  StartAt: name,
  States: { [name]: { Type: 'Pass', End: true, ...fields } },
});

const activity = (name: string, fields: Record<string, unknown> = {}): object => ({
  StartAt: name,
  States: { [name]: { Type: 'Task', Resource: ACTIVITY_ARN, End: true, ...fields } },
});

describe('Parallel: results and history', () => {
  test('results in branch order; Started follows Entered, every branch follows Started; Succeeded and Exited share a predecessor', () => {
    const h = start(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [
              pass('B0', { Result: { branch: 0 } }),
              {
                StartAt: 'B1a',
                States: {
                  B1a: { Type: 'Pass', Result: { step: 1 }, Next: 'B1b' },
                  B1b: { Type: 'Pass', End: true },
                },
              },
              pass('B2', { Result: { branch: 2 } }),
            ],
            Next: 'After',
          },
          After: { Type: 'Pass', End: true },
        },
      },
      { in: true },
    );
    const input = { in: true };
    const result = [{ branch: 0 }, { step: 1 }, { branch: 2 }];
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(input)],
      ['ParallelStateEntered', 2, 0, entered('P', input)],
      ['ParallelStateStarted', 3, 2, undefined],
      ['PassStateEntered', 4, 3, entered('B0', input)],
      ['PassStateExited', 5, 4, exited('B0', { branch: 0 })],
      ['PassStateEntered', 6, 3, entered('B1a', input)],
      ['PassStateExited', 7, 6, exited('B1a', { step: 1 })],
      ['PassStateEntered', 8, 7, entered('B1b', { step: 1 })],
      ['PassStateExited', 9, 8, exited('B1b', { step: 1 })],
      ['PassStateEntered', 10, 3, entered('B2', input)],
      ['PassStateExited', 11, 10, exited('B2', { branch: 2 })],
      ['ParallelStateSucceeded', 12, 11, undefined],
      ['ParallelStateExited', 13, 11, exited('P', result)],
      ['PassStateEntered', 14, 13, entered('After', result)],
      ['PassStateExited', 15, 14, exited('After', result)],
      ['ExecutionSucceeded', 16, 15, succeeded(result)],
    ]);
    assert.equal(h.status, 'SUCCEEDED');
    assert.equal(h.threads.size, 0);
  });

  test('recorded case test_parallel_state[PARALLEL_STATE_PARAMETERS]: every branch gets the effective input', () => {
    const parameters = { 'static-input-0': 0, 'static-input-1': [1] };
    const h = start(
      {
        StartAt: 'TestState',
        States: {
          TestState: {
            Type: 'Parallel',
            Parameters: parameters,
            End: true,
            Branches: [pass('Branch0State0'), pass('Branch1State0')],
          },
        },
      },
      {},
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['ParallelStateEntered', 2, 0, entered('TestState', {})],
      ['ParallelStateStarted', 3, 2, undefined],
      ['PassStateEntered', 4, 3, entered('Branch0State0', parameters)],
      ['PassStateExited', 5, 4, exited('Branch0State0', parameters)],
      ['PassStateEntered', 6, 3, entered('Branch1State0', parameters)],
      ['PassStateExited', 7, 6, exited('Branch1State0', parameters)],
      ['ParallelStateSucceeded', 8, 7, undefined],
      ['ParallelStateExited', 9, 7, exited('TestState', [parameters, parameters])],
      ['ExecutionSucceeded', 10, 9, succeeded([parameters, parameters])],
    ]);
  });

  test('recorded case test_parallel_state_nested: a Parallel inside a branch', () => {
    const input: Json = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const h = start(
      {
        StartAt: 'ParallelStateL1',
        States: {
          ParallelStateL1: {
            Type: 'Parallel',
            End: true,
            Branches: [
              {
                StartAt: 'ParallelStateL2',
                States: {
                  ParallelStateL2: { Type: 'Parallel', End: true, Branches: [pass('BranchL2')] },
                },
              },
            ],
          },
        },
      },
      input,
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(input)],
      ['ParallelStateEntered', 2, 0, entered('ParallelStateL1', input)],
      ['ParallelStateStarted', 3, 2, undefined],
      ['ParallelStateEntered', 4, 3, entered('ParallelStateL2', input)],
      ['ParallelStateStarted', 5, 4, undefined],
      ['PassStateEntered', 6, 5, entered('BranchL2', input)],
      ['PassStateExited', 7, 6, exited('BranchL2', input)],
      ['ParallelStateSucceeded', 8, 7, undefined],
      ['ParallelStateExited', 9, 7, exited('ParallelStateL2', [input])],
      ['ParallelStateSucceeded', 10, 9, undefined],
      ['ParallelStateExited', 11, 9, exited('ParallelStateL1', [[input]])],
      ['ExecutionSucceeded', 12, 11, succeeded([[input]])],
    ]);
  });

  test('InputPath, Parameters, ResultSelector, ResultPath and OutputPath around the branches', () => {
    const h = start(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            InputPath: '$.request',
            Parameters: { 'n.$': '$.n', 'exec.$': '$$.Execution.Name' },
            Branches: [pass('A', { Parameters: { 'a.$': '$.n' } }), pass('B', { InputPath: '$.exec' })],
            ResultSelector: { 'first.$': '$[0].a', 'second.$': '$[1]' },
            ResultPath: '$.request.result',
            OutputPath: '$.request',
            End: true,
          },
        },
      },
      { request: { n: 7 }, other: 'dropped' },
    );
    const output = { n: 7, result: { first: 7, second: 'exec-1' } };
    assert.equal(h.status, 'SUCCEEDED');
    assert.deepEqual(h.output(), output);
    assert.deepEqual(h.history()[3], ['PassStateEntered', 4, 3, entered('A', { n: 7, exec: 'exec-1' })]);
    assert.deepEqual(h.history().at(-2), ['ParallelStateExited', 9, 7, exited('P', output)]);
  });
});

describe('Parallel: branches that block', () => {
  const machine = {
    StartAt: 'P',
    States: {
      P: {
        Type: 'Parallel',
        Branches: [activity('A'), activity('B'), pass('C', { Result: 'c' })],
        End: true,
      },
    },
  };

  test('branches blocking on activity tasks and ending in reverse order still give results in branch order', () => {
    const h = start(machine, { x: 1 });
    const input = { x: 1 };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(input)],
      ['ParallelStateEntered', 2, 0, entered('P', input)],
      ['ParallelStateStarted', 3, 2, undefined],
      ['TaskStateEntered', 4, 3, entered('A', input)],
      ['ActivityScheduled', 5, 4, scheduled(input)],
      ['TaskStateEntered', 6, 3, entered('B', input)],
      ['ActivityScheduled', 7, 6, scheduled(input)],
      ['PassStateEntered', 8, 3, entered('C', input)],
      ['PassStateExited', 9, 8, exited('C', 'c')],
    ]);
    assert.equal(h.tasks.size, 2);
    const [tokenA, tokenB] = [h.tokenOf('root/0'), h.tokenOf('root/1')];
    assert.equal(h.threads.get('root')?.wait?.kind, 'children');
    assert.equal(h.threads.get('root/2')?.phase, 'done');

    assert.ok(h.startActivity(tokenB).ok);
    assert.ok(h.succeed(tokenB, 'b').ok);
    assert.equal(h.status, 'RUNNING');
    assert.equal(h.threads.get('root/1')?.phase, 'done');
    assert.ok(h.startActivity(tokenA).ok);
    assert.ok(h.succeed(tokenA, 'a').ok);
    assert.deepEqual(h.historyFrom(10), [
      ['ActivityStarted', 10, 7, {}],
      ['ActivitySucceeded', 11, 10, succeeded('b')],
      ['TaskStateExited', 12, 11, exited('B', 'b')],
      ['ActivityStarted', 13, 5, {}],
      ['ActivitySucceeded', 14, 13, succeeded('a')],
      ['TaskStateExited', 15, 14, exited('A', 'a')],
      ['ParallelStateSucceeded', 16, 15, undefined],
      ['ParallelStateExited', 17, 15, exited('P', ['a', 'b', 'c'])],
      ['ExecutionSucceeded', 18, 17, succeeded(['a', 'b', 'c'])],
    ]);
    assert.deepEqual(h.output(), ['a', 'b', 'c']);
    assert.equal(h.threads.size, 0);
    assert.equal(h.tasks.size, 0);
  });

  test('branches ending in branch order give the same result', () => {
    const h = start(machine, {});
    const [tokenA, tokenB] = [h.tokenOf('root/0'), h.tokenOf('root/1')];
    h.succeed(tokenA, 'a');
    h.succeed(tokenB, 'b');
    assert.deepEqual(h.output(), ['a', 'b', 'c']);
    // Without ActivityStarted, ActivitySucceeded follows ActivityScheduled.
    assert.deepEqual(h.historyFrom(10), [
      ['ActivitySucceeded', 10, 5, succeeded('a')],
      ['TaskStateExited', 11, 10, exited('A', 'a')],
      ['ActivitySucceeded', 12, 7, succeeded('b')],
      ['TaskStateExited', 13, 12, exited('B', 'b')],
      ['ParallelStateSucceeded', 14, 13, undefined],
      ['ParallelStateExited', 15, 13, exited('P', ['a', 'b', 'c'])],
      ['ExecutionSucceeded', 16, 15, succeeded(['a', 'b', 'c'])],
    ]);
  });
});

describe('Parallel: failure', () => {
  test('recorded case test_parallel_state_fail: ParallelStateFailed follows the failing branch', () => {
    const h = start(
      {
        Comment: 'PARALLEL_STATE_FAIL',
        StartAt: 'ParallelState',
        States: {
          ParallelState: {
            Type: 'Parallel',
            End: true,
            Branches: [{ StartAt: 'Branch1', States: { Branch1: { Type: 'Fail', Error: 'FailureType' } } }],
          },
        },
      },
      {},
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['ParallelStateEntered', 2, 0, entered('ParallelState', {})],
      ['ParallelStateStarted', 3, 2, undefined],
      ['FailStateEntered', 4, 3, entered('Branch1', {})],
      ['ParallelStateFailed', 5, 4, undefined],
      ['ExecutionFailed', 6, 5, { error: 'FailureType' }],
    ]);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, 'FailureType');
    assert.equal(h.execution.cause, null);
  });

  test('a failing branch stops the others: their tasks and timers are deleted, their tokens go stale', () => {
    const h = start(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [activity('A', { TimeoutSeconds: 100, HeartbeatSeconds: 10 }), activity('B')],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
            End: true,
          },
          Caught: { Type: 'Wait', Seconds: 10, End: true },
        },
      },
      {},
    );
    const [tokenA, tokenB] = [h.tokenOf('root/0'), h.tokenOf('root/1')];
    h.startActivity(tokenA);
    h.startActivity(tokenB);
    const armed = [...h.timers.values()].filter((t) => t.threadId === 'root/0').map((t) => t.id);
    assert.equal(armed.length, 2);

    const result = h.fail(tokenB, 'Boom', 'bad');
    assert.ok(result.ok);
    const errorOutput = { Error: 'Boom', Cause: 'bad' };
    assert.deepEqual(h.historyFrom(8), [
      ['ActivityStarted', 8, 5, {}],
      ['ActivityStarted', 9, 7, {}],
      ['ActivityFailed', 10, 9, { error: 'Boom', cause: 'bad' }],
      ['ParallelStateFailed', 11, 10, undefined],
      ['ParallelStateExited', 12, 11, exited('P', errorOutput)],
      ['WaitStateEntered', 13, 12, entered('Caught', errorOutput)],
    ]);
    assert.equal(h.status, 'RUNNING');
    const effects = result.effects.map((e) =>
      e.kind === 'deleteActivityTask'
        ? `${e.kind} ${e.token}`
        : e.kind === 'deleteTimer'
          ? `${e.kind} ${e.timerId}`
          : e.kind,
    );
    assert.ok(effects.includes(`deleteActivityTask ${tokenA}`), 'the other branch’s task is deleted');
    assert.ok(effects.includes(`deleteActivityTask ${tokenB}`), 'the failed task is closed');
    for (const id of armed) assert.ok(effects.includes(`deleteTimer ${id}`), `timer ${id} is deleted`);
    assert.equal(h.tasks.size, 0);
    assert.deepEqual(
      [...h.timers.values()].map((t) => [t.threadId, t.kind]),
      [['root', 'wait']],
    );
    assert.deepEqual([...h.threads.keys()], ['root']);
    assert.equal(rejected(h.succeed(tokenA, 'late')), 'TaskTimedOut');
    assert.equal(rejected(h.heartbeat(tokenA)), 'TaskTimedOut');

    h.advance(10);
    assert.equal(h.status, 'SUCCEEDED');
    assert.deepEqual(h.output(), errorOutput);
  });

  test('Catch with ResultPath keeps the input; Next follows ParallelStateExited', () => {
    const h = start(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [
              pass('Ok'),
              { StartAt: 'Bad', States: { Bad: { Type: 'Fail', Error: 'FailureType', Cause: 'why' } } },
            ],
            Catch: [
              { ErrorEquals: ['Other'], Next: 'Wrong' },
              { ErrorEquals: ['FailureType'], ResultPath: '$.error', Next: 'Caught' },
            ],
            End: true,
          },
          Wrong: { Type: 'Fail', Error: 'Wrong' },
          Caught: { Type: 'Pass', End: true },
        },
      },
      { k: 1 },
    );
    const output = { k: 1, error: { Error: 'FailureType', Cause: 'why' } };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ k: 1 })],
      ['ParallelStateEntered', 2, 0, entered('P', { k: 1 })],
      ['ParallelStateStarted', 3, 2, undefined],
      ['PassStateEntered', 4, 3, entered('Ok', { k: 1 })],
      ['PassStateExited', 5, 4, exited('Ok', { k: 1 })],
      ['FailStateEntered', 6, 3, entered('Bad', { k: 1 })],
      ['ParallelStateFailed', 7, 6, undefined],
      ['ParallelStateExited', 8, 7, exited('P', output)],
      ['PassStateEntered', 9, 8, entered('Caught', output)],
      ['PassStateExited', 10, 9, exited('Caught', output)],
      ['ExecutionSucceeded', 11, 10, succeeded(output)],
    ]);
  });

  test('Retry re-runs the whole Parallel: ParallelStateStarted again, after the failed branch’s last event', () => {
    const h = start(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [activity('A')],
            Retry: [{ ErrorEquals: ['Boom'], IntervalSeconds: 2, MaxAttempts: 1 }],
            End: true,
          },
        },
      },
      { v: 1 },
    );
    h.startActivity(h.tokenOf('root/0'));
    h.fail(h.tokenOf('root/0'), 'Boom', 'first');
    assert.equal(h.status, 'RUNNING');
    const retry = [...h.timers.values()];
    assert.deepEqual(
      retry.map((t) => [t.threadId, t.kind, t.dueAt - h.now]),
      [['root', 'retry', 2000]],
    );
    assert.deepEqual([...h.threads.keys()], ['root'], 'the branches are gone during the back-off');
    h.advance(2);
    const token = h.tokenOf('root/0');
    h.startActivity(token);
    h.succeed(token, 'done');
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ v: 1 })],
      ['ParallelStateEntered', 2, 0, entered('P', { v: 1 })],
      ['ParallelStateStarted', 3, 2, undefined],
      ['TaskStateEntered', 4, 3, entered('A', { v: 1 })],
      ['ActivityScheduled', 5, 4, scheduled({ v: 1 })],
      ['ActivityStarted', 6, 5, {}],
      ['ActivityFailed', 7, 6, { error: 'Boom', cause: 'first' }],
      ['ParallelStateStarted', 8, 7, undefined],
      ['TaskStateEntered', 9, 8, entered('A', { v: 1 })],
      ['ActivityScheduled', 10, 9, scheduled({ v: 1 })],
      ['ActivityStarted', 11, 10, {}],
      ['ActivitySucceeded', 12, 11, succeeded('done')],
      ['TaskStateExited', 13, 12, exited('A', 'done')],
      ['ParallelStateSucceeded', 14, 13, undefined],
      ['ParallelStateExited', 15, 13, exited('P', ['done'])],
      ['ExecutionSucceeded', 16, 15, succeeded(['done'])],
    ]);
  });

  test('Retry exhausted: ParallelStateFailed after the last attempt, then the execution fails', () => {
    const h = start(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'E', Cause: 'c' } } }],
            Retry: [{ ErrorEquals: ['E'], IntervalSeconds: 1, MaxAttempts: 1 }],
            End: true,
          },
        },
      },
      {},
    );
    h.advance(1);
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['ParallelStateEntered', 2, 0, entered('P', {})],
      ['ParallelStateStarted', 3, 2, undefined],
      ['FailStateEntered', 4, 3, entered('F', {})],
      ['ParallelStateStarted', 5, 4, undefined],
      ['FailStateEntered', 6, 5, entered('F', {})],
      ['ParallelStateFailed', 7, 6, undefined],
      ['ExecutionFailed', 8, 7, { error: 'E', cause: 'c' }],
    ]);
  });
});
