/** Engine: the Wait state (AWS behaviour: inventory 2.9 and the runtime error causes). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../src/json.js';
import { START, entered, exited, prefixed, start, started, succeeded } from './harness.js';

const waitThen = (fields: Record<string, unknown>, name = 'W'): object => ({
  StartAt: name,
  States: { [name]: { Type: 'Wait', Next: 'Done', ...fields }, Done: { Type: 'Pass', End: true } },
});

describe('Wait', () => {
  test('Seconds: blocks on a timer, then exits at its due time', () => {
    const h = start(waitThen({ Seconds: 10 }), { a: 1 });
    assert.equal(h.status, 'RUNNING');
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ a: 1 })],
      ['WaitStateEntered', 2, 0, entered('W', { a: 1 })],
    ]);
    const timers = [...h.timers.values()];
    assert.equal(timers.length, 1);
    assert.equal(timers[0]?.kind, 'wait');
    assert.equal(timers[0]?.dueAt, START + 10_000);
    assert.equal(timers[0]?.threadId, 'root');
    const thread = h.threads.get('root');
    assert.equal(thread?.stateName, 'W');
    assert.deepEqual(thread?.wait, { kind: 'wait', timerId: timers[0]?.id, dueAt: START + 10_000 });

    h.advanceTo(START + 9_999);
    assert.equal(h.events.length, 2);
    h.advanceTo(START + 10_000);
    assert.deepEqual(h.history().slice(2), [
      ['WaitStateExited', 3, 2, exited('W', { a: 1 })],
      ['PassStateEntered', 4, 3, entered('Done', { a: 1 })],
      ['PassStateExited', 5, 4, exited('Done', { a: 1 })],
      ['ExecutionSucceeded', 6, 5, succeeded({ a: 1 })],
    ]);
    assert.deepEqual(
      h.events.map((e) => e.timestamp),
      [START, START, START + 10_000, START + 10_000, START + 10_000, START + 10_000],
    );
    assert.equal(h.status, 'SUCCEEDED');
    assert.equal(h.execution.stopDate, START + 10_000);
    assert.equal(h.timers.size, 0);
    assert.equal(h.threads.size, 0);
  });

  test('Seconds 0 completes within the same transition', () => {
    const h = start(waitThen({ Seconds: 0 }), {});
    assert.equal(h.status, 'SUCCEEDED');
    assert.equal(h.results.length, 1);
    assert.equal(h.timers.size, 0);
  });

  test('a Timestamp in the past completes within the same transition', () => {
    const h = start(waitThen({ Timestamp: '2016-03-14T01:59:00Z' }), { x: 'y' });
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ x: 'y' })],
      ['WaitStateEntered', 2, 0, entered('W', { x: 'y' })],
      ['WaitStateExited', 3, 2, exited('W', { x: 'y' })],
      ['PassStateEntered', 4, 3, entered('Done', { x: 'y' })],
      ['PassStateExited', 5, 4, exited('Done', { x: 'y' })],
      ['ExecutionSucceeded', 6, 5, succeeded({ x: 'y' })],
    ]);
    assert.equal(h.results.length, 1);
    assert.equal(h.timers.size, 0);
  });

  test('a Timestamp in the future waits until then', () => {
    const h = start(waitThen({ Timestamp: '2024-01-02T03:05:00Z' }), {});
    const due = Date.UTC(2024, 0, 2, 3, 5, 0);
    assert.deepEqual(
      [...h.timers.values()].map((t) => [t.kind, t.dueAt]),
      [['wait', due]],
    );
    h.advanceTo(due);
    assert.equal(h.status, 'SUCCEEDED');
    assert.equal(h.events[2]?.timestamp, due);
  });

  test('SecondsPath reads the effective input (after InputPath); OutputPath shapes the output', () => {
    const h = start(waitThen({ InputPath: '$.cfg', SecondsPath: '$.s', OutputPath: '$.s' }), {
      cfg: { s: 3 },
      z: 1,
    });
    assert.deepEqual(
      [...h.timers.values()].map((t) => t.dueAt),
      [START + 3000],
    );
    h.advance(3);
    assert.deepEqual(h.history()[2], ['WaitStateExited', 3, 2, exited('W', 3)]);
    assert.deepEqual(h.output(), 3);
  });

  test('TimestampPath in the future and in the past', () => {
    const future = start(waitThen({ TimestampPath: '$.at' }), { at: '2024-01-02T03:04:07.000Z' });
    assert.deepEqual(
      [...future.timers.values()].map((t) => t.dueAt),
      [START + 1322],
    );
    future.advance(2);
    assert.equal(future.status, 'SUCCEEDED');

    const past = start(waitThen({ TimestampPath: '$.at' }), { at: '2001-01-01T00:00:00+01:00' });
    assert.equal(past.status, 'SUCCEEDED');
    assert.equal(past.results.length, 1);
  });

  describe('States.Runtime failures, with the state prefix', () => {
    function failure(fields: Record<string, unknown>, input: Json, name: string): string {
      const h = start(waitThen(fields, name), input);
      assert.equal(h.status, 'FAILED');
      assert.equal(h.execution.error, 'States.Runtime');
      const cause = h.execution.cause;
      assert.ok(typeof cause === 'string');
      assert.deepEqual(h.history(), [
        ['ExecutionStarted', 1, 0, started(input)],
        ['WaitStateEntered', 2, 0, entered(name, input)],
        ['ExecutionFailed', 3, 2, { error: 'States.Runtime', cause }],
      ]);
      assert.equal(h.timers.size, 0);
      assert.equal(h.threads.size, 0);
      return cause;
    }

    test('SecondsPath to a negative value', () => {
      assert.equal(
        failure({ SecondsPath: '$.input.waitSeconds' }, { input: { waitSeconds: -1 } }, 'WaitState'),
        prefixed(
          'WaitState',
          2,
          'The SecondsPath parameter references a negative value: $.input.waitSeconds == -1',
        ),
      );
    });

    test('SecondsPath to a non-integer', () => {
      for (const value of [1.5, -1.5]) {
        assert.equal(
          failure({ SecondsPath: '$.input.waitSeconds' }, { input: { waitSeconds: value } }, 'WaitState'),
          prefixed(
            'WaitState',
            2,
            `The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == ${value}`,
          ),
        );
      }
    });

    test('SecondsPath to nothing', () => {
      assert.equal(
        failure({ SecondsPath: '$.input.waitSeconds' }, { input: {} }, 'WaitState'),
        prefixed(
          'WaitState',
          2,
          'The SecondsPath parameter does not reference an input value: $.input.waitSeconds',
        ),
      );
    });

    test('SecondsPath too long', () => {
      assert.equal(
        failure({ SecondsPath: '$.s' }, { s: 99_999_999_999 }, 'State_1'),
        prefixed('State_1', 2, 'Wait state delay is too long.'),
      );
    });

    test('TimestampPath to strings that are not ISO-8601 extended offset date-times', () => {
      for (const value of [
        '05-12-2016T21:29:29Z',
        '2016-12-05 21:29:29Z',
        '2016-12-05T21:29:29',
        '2016-12-05T25:29:29Z',
        '2016-13-05T21:29:29Z',
      ]) {
        assert.equal(
          failure({ TimestampPath: '$.TimestampValue' }, { TimestampValue: value }, 'WaitUntil'),
          prefixed(
            'WaitUntil',
            2,
            `The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.TimestampValue == ${value}`,
          ),
        );
      }
    });

    test('TimestampPath to nothing', () => {
      assert.equal(
        failure({ TimestampPath: '$.at' }, {}, 'WaitUntil'),
        prefixed('WaitUntil', 2, 'The TimestampPath parameter does not reference an input value: $.at'),
      );
    });

    test('the prefix names the event id of this visit’s WaitStateEntered', () => {
      const h = start(
        {
          StartAt: 'First',
          States: {
            First: { Type: 'Pass', Next: 'WaitState' },
            WaitState: { Type: 'Wait', SecondsPath: '$.s', End: true },
          },
        },
        { s: -4 },
      );
      assert.deepEqual(h.history().slice(3), [
        ['WaitStateEntered', 4, 3, entered('WaitState', { s: -4 })],
        [
          'ExecutionFailed',
          5,
          4,
          {
            error: 'States.Runtime',
            cause: prefixed(
              'WaitState',
              4,
              'The SecondsPath parameter references a negative value: $.s == -4',
            ),
          },
        ],
      ]);
    });
  });
});
