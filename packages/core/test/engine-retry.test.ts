/** Engine: Retry and Catch on activity tasks (inventory 2.7). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Harness, HistoryTuple } from './harness.js';
import {
  ACTIVITY_ARN,
  START,
  entered,
  exited,
  prefixed,
  scheduled,
  start,
  started,
  succeeded,
} from './harness.js';

function machine(fields: Record<string, unknown>, extraStates: Record<string, unknown> = {}): object {
  return {
    StartAt: 'T',
    States: { T: { Type: 'Task', Resource: ACTIVITY_ARN, End: true, ...fields }, ...extraStates },
  };
}

/** Starts the live task and fails it; answers the retry delay armed, if any (ms). */
function failAttempt(h: Harness, error: string | null, cause: string | null = null): number | undefined {
  h.startActivity();
  h.fail(h.token(), error, cause);
  const retry = [...h.timers.values()].filter((t) => t.kind === 'retry');
  assert.ok(retry.length <= 1);
  const timer = retry[0];
  return timer === undefined ? undefined : timer.dueAt - h.now;
}

/** Fires the pending retry timer. */
function fireRetry(h: Harness): void {
  const timer = [...h.timers.values()].find((t) => t.kind === 'retry');
  assert.ok(timer !== undefined, 'a retry is pending');
  h.advanceTo(timer.dueAt);
}

/** The three events one failed attempt writes, from `first` on. */
function attempt(first: number, input: unknown, error: Record<string, string>): HistoryTuple[] {
  return [
    ['ActivityScheduled', first, first - 1, scheduled(input as never)],
    ['ActivityStarted', first + 1, first, {}],
    ['ActivityFailed', first + 2, first + 1, error],
  ];
}

describe('Retry', () => {
  test('defaults: MaxAttempts 3, IntervalSeconds 1, BackoffRate 2; attempts chain inside one state visit', () => {
    const h = start(machine({ Retry: [{ ErrorEquals: ['States.ALL'] }] }), { a: 1 });
    const delays: (number | undefined)[] = [];
    const scheduledAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      scheduledAt.push(h.events.at(-1)?.timestamp ?? -1);
      delays.push(failAttempt(h, 'Boom', `try ${i}`));
      if (i < 3) fireRetry(h);
    }
    assert.deepEqual(delays, [1000, 2000, 4000, undefined]);
    assert.deepEqual(scheduledAt, [START, START + 1000, START + 3000, START + 7000]);
    const e = (i: number): Record<string, string> => ({ error: 'Boom', cause: `try ${i}` });
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ a: 1 })],
      ['TaskStateEntered', 2, 0, entered('T', { a: 1 })],
      ...attempt(3, { a: 1 }, e(0)),
      ...attempt(6, { a: 1 }, e(1)),
      ...attempt(9, { a: 1 }, e(2)),
      ...attempt(12, { a: 1 }, e(3)),
      ['ExecutionFailed', 15, 14, e(3)],
    ]);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, 'Boom');
    assert.equal(h.execution.cause, 'try 3');
    assert.equal(h.timers.size, 0);
    assert.equal(h.tasks.size, 0);
  });

  test('a retried attempt that succeeds exits the state normally', () => {
    const h = start(machine({ Retry: [{ ErrorEquals: ['States.ALL'] }] }), {});
    failAttempt(h, 'E');
    fireRetry(h);
    h.startActivity();
    h.succeed(h.token(), 'ok');
    assert.deepEqual(h.historyFrom(6), [
      ['ActivityScheduled', 6, 5, scheduled({})],
      ['ActivityStarted', 7, 6, {}],
      ['ActivitySucceeded', 8, 7, succeeded('ok')],
      ['TaskStateExited', 9, 8, exited('T', 'ok')],
      ['ExecutionSucceeded', 10, 9, succeeded('ok')],
    ]);
  });

  test('MaxAttempts 0 never retries', () => {
    const h = start(machine({ Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 0 }] }), {});
    assert.equal(failAttempt(h, 'E', 'c'), undefined);
    assert.equal(h.status, 'FAILED');
    assert.deepEqual(h.history().at(-1), ['ExecutionFailed', 6, 5, { error: 'E', cause: 'c' }]);
  });

  test('IntervalSeconds × BackoffRate^n, capped by MaxDelaySeconds', () => {
    const h = start(
      machine({
        Retry: [
          { ErrorEquals: ['E'], IntervalSeconds: 3, BackoffRate: 1.5, MaxDelaySeconds: 5, MaxAttempts: 5 },
        ],
      }),
      {},
    );
    const delays: (number | undefined)[] = [];
    for (let i = 0; i < 6; i++) {
      delays.push(failAttempt(h, 'E'));
      if (i < 5) fireRetry(h);
    }
    assert.deepEqual(delays, [3000, 4500, 5000, 5000, 5000, undefined]);
    assert.equal(h.status, 'FAILED');
  });

  test('BackoffRate 1 keeps the interval', () => {
    const h = start(machine({ Retry: [{ ErrorEquals: ['E'], IntervalSeconds: 2, BackoffRate: 1 }] }), {});
    const delays: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(failAttempt(h, 'E'));
      if (i < 3) fireRetry(h);
    }
    assert.deepEqual(delays, [2000, 2000, 2000, undefined]);
  });

  test('JitterStrategy FULL draws each delay within [0, the computed interval]', () => {
    const h = start(
      machine({
        Retry: [
          {
            ErrorEquals: ['E'],
            IntervalSeconds: 4,
            BackoffRate: 2,
            MaxAttempts: 6,
            MaxDelaySeconds: 60,
            JitterStrategy: 'FULL',
          },
        ],
      }),
      {},
    );
    const bounds = [4000, 8000, 16000, 32000, 60000, 60000];
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const delay = failAttempt(h, 'E');
      assert.ok(delay !== undefined);
      assert.ok(
        delay >= 0 && delay <= (bounds[i] as number),
        `attempt ${i}: ${delay} within [0, ${bounds[i]}]`,
      );
      delays.push(delay);
      fireRetry(h);
    }
    assert.ok(
      delays.some((d, i) => d !== bounds[i]),
      'jitter changes at least one delay',
    );
    assert.equal(failAttempt(h, 'E'), undefined);
  });

  test('each retrier counts its own attempts', () => {
    const h = start(
      machine({
        Retry: [
          { ErrorEquals: ['A'], MaxAttempts: 1 },
          { ErrorEquals: ['B'], MaxAttempts: 2 },
        ],
      }),
      {},
    );
    assert.equal(failAttempt(h, 'A'), 1000);
    fireRetry(h);
    assert.deepEqual(h.threads.get('root')?.retryCounts, [1, 0]);
    // B's own count starts at 0: its first delay is the base interval.
    assert.equal(failAttempt(h, 'B'), 1000);
    fireRetry(h);
    assert.equal(failAttempt(h, 'B'), 2000);
    fireRetry(h);
    assert.deepEqual(h.threads.get('root')?.retryCounts, [1, 2]);
    assert.equal(failAttempt(h, 'A'), undefined);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, 'A');
  });

  test('the first matching retrier wins, even when it is exhausted', () => {
    const h = start(
      machine({
        Retry: [
          { ErrorEquals: ['A'], MaxAttempts: 0 },
          { ErrorEquals: ['States.ALL'], MaxAttempts: 5 },
        ],
      }),
      {},
    );
    assert.equal(failAttempt(h, 'A'), undefined);
    assert.equal(h.status, 'FAILED');

    const other = start(
      machine({
        Retry: [
          { ErrorEquals: ['A', 'B'], IntervalSeconds: 7 },
          { ErrorEquals: ['B'], IntervalSeconds: 9 },
        ],
      }),
      {},
    );
    assert.equal(failAttempt(other, 'B'), 7000);
  });

  test('retry, then Catch once the retrier is exhausted', () => {
    const h = start(
      machine(
        {
          Retry: [{ ErrorEquals: ['E'], MaxAttempts: 1 }],
          Catch: [{ ErrorEquals: ['E'], ResultPath: '$.err', Next: 'Handler' }],
        },
        { Handler: { Type: 'Pass', End: true } },
      ),
      { in: true },
    );
    assert.equal(failAttempt(h, 'E', 'first'), 1000);
    fireRetry(h);
    assert.equal(failAttempt(h, 'E', 'second'), undefined);
    const output = { in: true, err: { Error: 'E', Cause: 'second' } };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ in: true })],
      ['TaskStateEntered', 2, 0, entered('T', { in: true })],
      ...attempt(3, { in: true }, { error: 'E', cause: 'first' }),
      ...attempt(6, { in: true }, { error: 'E', cause: 'second' }),
      ['TaskStateExited', 9, 8, exited('T', output)],
      ['PassStateEntered', 10, 9, entered('Handler', output)],
      ['PassStateExited', 11, 10, exited('Handler', output)],
      ['ExecutionSucceeded', 12, 11, succeeded(output)],
    ]);
  });

  test('States.TaskFailed matches a failure but not States.Timeout', () => {
    const failed = start(machine({ Retry: [{ ErrorEquals: ['States.TaskFailed'] }] }), {});
    assert.equal(failAttempt(failed, 'Anything'), 1000);

    const nullError = start(machine({ Retry: [{ ErrorEquals: ['States.TaskFailed'] }] }), {});
    assert.equal(failAttempt(nullError, null), 1000);

    const timedOut = start(
      machine({ TimeoutSeconds: 5, Retry: [{ ErrorEquals: ['States.TaskFailed'] }] }),
      {},
    );
    timedOut.startActivity();
    timedOut.advance(5);
    assert.equal(timedOut.status, 'FAILED');
    assert.equal(timedOut.execution.error, 'States.Timeout');
    assert.deepEqual(timedOut.historyFrom(5), [
      ['ActivityTimedOut', 5, 4, { error: 'States.Timeout' }],
      ['ExecutionFailed', 6, 5, { error: 'States.Timeout' }],
    ]);
  });

  test('a timeout is retried by States.Timeout; the retry arms fresh timeouts', () => {
    const h = start(
      machine({ TimeoutSeconds: 5, Retry: [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 1 }] }),
      {},
    );
    h.startActivity();
    h.advance(5);
    assert.deepEqual(
      [...h.timers.values()].map((t) => [t.kind, t.dueAt]),
      [['retry', START + 6000]],
    );
    h.advance(1);
    h.startActivity();
    assert.deepEqual(
      [...h.timers.values()].map((t) => [t.kind, t.dueAt]),
      [['taskTimeout', START + 11_000]],
    );
    h.advance(5);
    assert.deepEqual(h.historyFrom(5), [
      ['ActivityTimedOut', 5, 4, { error: 'States.Timeout' }],
      ['ActivityScheduled', 6, 5, scheduled({}, { timeoutInSeconds: 5 })],
      ['ActivityStarted', 7, 6, {}],
      ['ActivityTimedOut', 8, 7, { error: 'States.Timeout' }],
      ['ExecutionFailed', 9, 8, { error: 'States.Timeout' }],
    ]);
  });

  test('$$.State.RetryCount is visible in Parameters on each attempt', () => {
    const h = start(
      machine({
        Parameters: { 'retry.$': '$$.State.RetryCount', 'entered.$': '$$.State.EnteredTime' },
        Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }],
      }),
      {},
    );
    failAttempt(h, 'E');
    fireRetry(h);
    failAttempt(h, 'E');
    fireRetry(h);
    const inputs = h.events
      .filter((e) => e.type === 'ActivityScheduled')
      .map((e) => JSON.parse(e.details?.['input'] as string) as unknown);
    // EnteredTime stays the time the state was entered: retries do not re-enter it.
    assert.deepEqual(inputs, [
      { retry: 0, entered: '2024-01-02T03:04:05.678Z' },
      { retry: 1, entered: '2024-01-02T03:04:05.678Z' },
      { retry: 2, entered: '2024-01-02T03:04:05.678Z' },
    ]);
  });

  test('retry counters reset when the state is entered again', () => {
    const h = start(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: ACTIVITY_ARN,
            Retry: [{ ErrorEquals: ['E'], MaxAttempts: 1 }],
            Next: 'Again?',
          },
          'Again?': {
            Type: 'Choice',
            Choices: [{ Variable: '$.again', BooleanEquals: true, Next: 'T' }],
            Default: 'Done',
          },
          Done: { Type: 'Succeed' },
        },
      },
      {},
    );
    assert.equal(failAttempt(h, 'E'), 1000);
    fireRetry(h);
    h.startActivity();
    h.succeed(h.token(), { again: true });
    assert.deepEqual(h.threads.get('root')?.retryCounts, [0]);
    assert.equal(failAttempt(h, 'E'), 1000, 'the second visit may retry again');
    fireRetry(h);
    h.startActivity();
    h.succeed(h.token(), { again: false });
    assert.equal(h.status, 'SUCCEEDED');
  });

  test('States.Runtime is never retried nor caught, not even by an explicit ["States.Runtime"]', () => {
    const h = start(
      machine(
        {
          Parameters: { 'value.$': '$.missing' },
          Retry: [{ ErrorEquals: ['States.Runtime'] }, { ErrorEquals: ['States.ALL'] }],
          Catch: [
            { ErrorEquals: ['States.Runtime'], Next: 'Caught' },
            { ErrorEquals: ['States.ALL'], Next: 'Caught' },
          ],
        },
        { Caught: { Type: 'Pass', End: true } },
      ),
      { present: 1 },
    );
    const cause = prefixed(
      'T',
      2,
      `The JSONPath '$.missing' specified for the field 'value.$' could not be found in the input '{"present":1}'`,
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ present: 1 })],
      ['TaskStateEntered', 2, 0, entered('T', { present: 1 })],
      ['ExecutionFailed', 3, 2, { error: 'States.Runtime', cause }],
    ]);
    assert.equal(h.timers.size, 0);
  });

  test('a worker-reported "States.Runtime" is not retried or caught either', () => {
    const h = start(
      machine(
        {
          Retry: [{ ErrorEquals: ['States.ALL'] }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
        },
        { Caught: { Type: 'Pass', End: true } },
      ),
      {},
    );
    assert.equal(failAttempt(h, 'States.Runtime', 'from the worker'), undefined);
    assert.deepEqual(h.historyFrom(5), [
      ['ActivityFailed', 5, 4, { error: 'States.Runtime', cause: 'from the worker' }],
      ['ExecutionFailed', 6, 5, { error: 'States.Runtime', cause: 'from the worker' }],
    ]);
  });
});

describe('Catch', () => {
  test('the first matching catcher wins; ResultPath default replaces the input with the Error Output', () => {
    const h = start(
      machine(
        {
          Catch: [
            { ErrorEquals: ['Other'], Next: 'A' },
            { ErrorEquals: ['E', 'F'], Next: 'B' },
            { ErrorEquals: ['States.ALL'], Next: 'A' },
          ],
        },
        { A: { Type: 'Pass', Result: 'A', End: true }, B: { Type: 'Pass', End: true } },
      ),
      { lost: true },
    );
    failAttempt(h, 'F', 'why');
    assert.deepEqual(h.output(), { Error: 'F', Cause: 'why' });
    assert.deepEqual(h.historyFrom(6).slice(0, 2), [
      ['TaskStateExited', 6, 5, exited('T', { Error: 'F', Cause: 'why' })],
      ['PassStateEntered', 7, 6, entered('B', { Error: 'F', Cause: 'why' })],
    ]);
  });

  test('Catch ResultPath null keeps the input', () => {
    const h = start(
      machine(
        { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'Caught' }] },
        { Caught: { Type: 'Pass', End: true } },
      ),
      { keep: 1 },
    );
    failAttempt(h, 'E', 'c');
    assert.deepEqual(h.output(), { keep: 1 });
  });

  test('a catcher whose ResultPath cannot apply fails the execution', () => {
    const h = start(
      machine(
        { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.err', Next: 'Caught' }] },
        { Caught: { Type: 'Pass', End: true } },
      ),
      'text',
    );
    failAttempt(h, 'E', 'c');
    assert.deepEqual(h.historyFrom(5), [
      ['ActivityFailed', 5, 4, { error: 'E', cause: 'c' }],
      [
        'ExecutionFailed',
        6,
        5,
        {
          error: 'States.ResultPathMatchFailure',
          cause: 'Unable to apply ReferencePath $.err to input "text"',
        },
      ],
    ]);
  });
});
