/**
 * Engine: Map states, inline (iterations as threads `root/<i>`) and DISTRIBUTED (a Map Run the
 * runtime manages: the engine asks for it through the `startMapRun` effect of its start timer
 * and takes the `MapRunEnded` event). Expected histories follow the AWS recordings in
 * cases.jsonl (test_map_state_*, test_max_concurrency_path, test_reference_in_map_state).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../src/json.js';
import type { HistoryTuple } from './harness.js';
import {
  ACTIVITY_ARN,
  EXECUTION_ARN,
  Harness,
  STATE_MACHINE_ARN,
  entered,
  exited,
  prefixed,
  rejected,
  scheduled,
  start,
  started,
  succeeded,
} from './harness.js';

const EXCEEDED = {
  error: 'States.ExceedToleratedFailureThreshold',
  cause: 'The specified tolerated failure threshold was exceeded',
};

/**
 * The four events of an iteration whose processor is one Pass state, from `first` on; the
 * iteration starts after `previous`.
 */
function passIteration(
  first: number,
  previous: number,
  index: number,
  map: string,
  pass: string,
  input: Json,
  output: Json = input,
): HistoryTuple[] {
  return [
    ['MapIterationStarted', first, previous, { index, name: map }],
    ['PassStateEntered', first + 1, first, entered(pass, input)],
    ['PassStateExited', first + 2, first + 1, exited(pass, output)],
    ['MapIterationSucceeded', first + 3, first + 2, { index, name: map }],
  ];
}

const inline = (
  fields: Record<string, unknown>,
  processor: object,
  next: Record<string, unknown> = {},
): object => ({
  StartAt: 'M',
  States: {
    M: {
      Type: 'Map',
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...processor },
      End: true,
      ...fields,
    },
    ...next,
  },
});

const passProcessor = (fields: Record<string, unknown> = {}): object => ({
  StartAt: 'P',
  States: { P: { Type: 'Pass', End: true, ...fields } },
});

const taskProcessor = { StartAt: 'T', States: { T: { Type: 'Task', Resource: ACTIVITY_ARN, End: true } } };

/** Fails items that have `bad`, passes the others. */
const choosyProcessor = {
  StartAt: 'C',
  States: {
    C: { Type: 'Choice', Choices: [{ Variable: '$.bad', IsPresent: true, Next: 'F' }], Default: 'P' },
    F: { Type: 'Fail', Error: 'E', Cause: 'c' },
    P: { Type: 'Pass', End: true },
  },
};

describe('Map (inline): iterations and history', () => {
  test('recorded case test_map_state_item_selector_parameters: chaining, ItemsPath, ItemSelector with $$.Map.Item.Value', () => {
    const h = start(
      {
        Comment: 'MAP_STATE_ITEM_SELECTOR_PARAMETERS',
        StartAt: 'Start',
        States: {
          Start: {
            Type: 'Pass',
            Parameters: { bucket: 'test-bucket', values: ['1', '2', '3'] },
            ResultPath: '$.content',
            Next: 'MapState',
          },
          MapState: {
            Type: 'Map',
            MaxConcurrency: 1,
            ItemsPath: '$.content.values',
            ItemSelector: { 'bucketName.$': '$.content.bucket', 'value.$': '$$.Map.Item.Value' },
            ItemProcessor: {
              StartAt: 'EndState',
              ProcessorConfig: { Mode: 'INLINE' },
              States: {
                EndState: { Type: 'Pass', Parameters: { message: 'Processing item completed' }, End: true },
              },
            },
            ResultPath: null,
            End: true,
          },
        },
      },
      {},
    );
    const content = { content: { bucket: 'test-bucket', values: ['1', '2', '3'] } };
    const done = { message: 'Processing item completed' };
    const item = (value: string): Json => ({ bucketName: 'test-bucket', value });
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('Start', {})],
      ['PassStateExited', 3, 2, exited('Start', content)],
      ['MapStateEntered', 4, 3, entered('MapState', content)],
      ['MapStateStarted', 5, 4, { length: 3 }],
      ...passIteration(6, 5, 0, 'MapState', 'EndState', item('1'), done),
      ...passIteration(10, 8, 1, 'MapState', 'EndState', item('2'), done),
      ...passIteration(14, 12, 2, 'MapState', 'EndState', item('3'), done),
      ['MapStateSucceeded', 18, 17, undefined],
      ['MapStateExited', 19, 17, exited('MapState', content)],
      ['ExecutionSucceeded', 20, 19, succeeded(content)],
    ]);
    assert.equal(h.events[4]?.detailsMember, 'mapStateStartedEventDetails');
    assert.equal(h.events[5]?.detailsMember, 'mapIterationStartedEventDetails');
    assert.equal(h.events[8]?.detailsMember, 'mapIterationSucceededEventDetails');
    assert.equal(h.threads.size, 0);
  });

  test('recorded case test_map_state_legacy_config_inline_item_selector: Iterator, $ in ItemSelector is the effective input', () => {
    const h = start(
      {
        StartAt: 'MapState',
        States: {
          MapState: {
            Type: 'Map',
            MaxConcurrency: 1,
            ItemSelector: {
              constantValue: 'constant',
              'mapValue.$': '$$.Map.Item.Value',
              'fromInput.$': '$',
            },
            Iterator: {
              StartAt: 'IteratorInner',
              States: { IteratorInner: { Type: 'Pass', End: true } },
              ProcessorConfig: { Mode: 'INLINE' },
            },
            Next: 'Finish',
          },
          Finish: { Type: 'Succeed' },
        },
      },
      ['Hello', 'World'],
    );
    const input = ['Hello', 'World'];
    const item = (v: string): Json => ({ constantValue: 'constant', mapValue: v, fromInput: input });
    const output = [item('Hello'), item('World')];
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(input)],
      ['MapStateEntered', 2, 0, entered('MapState', input)],
      ['MapStateStarted', 3, 2, { length: 2 }],
      ...passIteration(4, 3, 0, 'MapState', 'IteratorInner', item('Hello')),
      ...passIteration(8, 6, 1, 'MapState', 'IteratorInner', item('World')),
      ['MapStateSucceeded', 12, 11, undefined],
      ['MapStateExited', 13, 11, exited('MapState', output)],
      ['SucceedStateEntered', 14, 13, entered('Finish', output)],
      ['SucceedStateExited', 15, 14, exited('Finish', output)],
      ['ExecutionSucceeded', 16, 15, succeeded(output)],
    ]);
  });

  test('ItemSelector reads $$.Map.Item.Index and Value; Parameters (legacy) works the same', () => {
    for (const field of ['ItemSelector', 'Parameters']) {
      const h = start(
        inline(
          {
            ItemsPath: '$.list',
            [field]: { 'i.$': '$$.Map.Item.Index', 'v.$': '$$.Map.Item.Value', 'tag.$': '$.tag' },
          },
          passProcessor(),
        ),
        { list: ['a', 'b'], tag: 't' },
      );
      assert.deepEqual(h.output(), [
        { i: 0, v: 'a', tag: 't' },
        { i: 1, v: 'b', tag: 't' },
      ]);
    }
  });

  test('an empty array: MapStateStarted with length 0, then Succeeded and Exited after it', () => {
    const h = start(inline({ ItemsPath: '$.items' }, passProcessor()), { items: [] });
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ items: [] })],
      ['MapStateEntered', 2, 0, entered('M', { items: [] })],
      ['MapStateStarted', 3, 2, { length: 0 }],
      ['MapStateSucceeded', 4, 3, undefined],
      ['MapStateExited', 5, 3, exited('M', [])],
      ['ExecutionSucceeded', 6, 5, succeeded([])],
    ]);
  });

  test('ResultSelector, ResultPath and OutputPath apply to the array of results', () => {
    const h = start(
      inline(
        {
          ItemsPath: '$.items',
          ResultSelector: { 'count.$': 'States.ArrayLength($)', 'all.$': '$' },
          ResultPath: '$.r',
          OutputPath: '$.r',
        },
        passProcessor(),
      ),
      { items: [1, 2] },
    );
    assert.deepEqual(h.output(), { count: 2, all: [1, 2] });
  });

  test('ItemsPath that is not an array: States.Runtime before MapStateStarted', () => {
    const h = start(inline({ ItemsPath: '$.items' }, passProcessor()), { items: { a: 1 } });
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({ items: { a: 1 } })],
      ['MapStateEntered', 2, 0, entered('M', { items: { a: 1 } })],
      [
        'ExecutionFailed',
        3,
        2,
        { error: 'States.Runtime', cause: prefixed('M', 2, 'Reference path "$.items" must point to array.') },
      ],
    ]);
  });
});

describe('Map (inline): iterations that block', () => {
  test('MaxConcurrency 1: one activity task at a time; the next iteration starts after the last event of the one before', () => {
    const h = start(inline({ ItemsPath: '$.items', MaxConcurrency: 1 }, taskProcessor), {
      items: ['a', 'b'],
    });
    const input = { items: ['a', 'b'] };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(input)],
      ['MapStateEntered', 2, 0, entered('M', input)],
      ['MapStateStarted', 3, 2, { length: 2 }],
      ['MapIterationStarted', 4, 3, { index: 0, name: 'M' }],
      ['TaskStateEntered', 5, 4, entered('T', 'a')],
      ['ActivityScheduled', 6, 5, scheduled('a')],
    ]);
    assert.equal(h.tasks.size, 1);
    assert.equal(h.task().threadId, 'root/0');
    assert.equal(h.threads.get('root/1')?.phase, 'pending');

    h.startActivity();
    h.succeed(h.token(), 'A');
    assert.equal(h.tasks.size, 1);
    assert.equal(h.task().threadId, 'root/1');
    h.succeed(h.token(), 'B');
    assert.deepEqual(h.historyFrom(7), [
      ['ActivityStarted', 7, 6, {}],
      ['ActivitySucceeded', 8, 7, succeeded('A')],
      ['TaskStateExited', 9, 8, exited('T', 'A')],
      ['MapIterationSucceeded', 10, 9, { index: 0, name: 'M' }],
      ['MapIterationStarted', 11, 9, { index: 1, name: 'M' }],
      ['TaskStateEntered', 12, 11, entered('T', 'b')],
      ['ActivityScheduled', 13, 12, scheduled('b')],
      ['ActivitySucceeded', 14, 13, succeeded('B')],
      ['TaskStateExited', 15, 14, exited('T', 'B')],
      ['MapIterationSucceeded', 16, 15, { index: 1, name: 'M' }],
      ['MapStateSucceeded', 17, 16, undefined],
      ['MapStateExited', 18, 16, exited('M', ['A', 'B'])],
      ['ExecutionSucceeded', 19, 18, succeeded(['A', 'B'])],
    ]);
    assert.equal(h.threads.size, 0);
  });

  test('MaxConcurrency 0: every iteration is scheduled at once; results keep item order whatever order they end in', () => {
    const h = start(inline({ MaxConcurrency: 0 }, taskProcessor), ['a', 'b', 'c']);
    assert.deepEqual(h.historyFrom(3), [
      ['MapStateStarted', 3, 2, { length: 3 }],
      ['MapIterationStarted', 4, 3, { index: 0, name: 'M' }],
      ['TaskStateEntered', 5, 4, entered('T', 'a')],
      ['ActivityScheduled', 6, 5, scheduled('a')],
      ['MapIterationStarted', 7, 6, { index: 1, name: 'M' }],
      ['TaskStateEntered', 8, 7, entered('T', 'b')],
      ['ActivityScheduled', 9, 8, scheduled('b')],
      ['MapIterationStarted', 10, 9, { index: 2, name: 'M' }],
      ['TaskStateEntered', 11, 10, entered('T', 'c')],
      ['ActivityScheduled', 12, 11, scheduled('c')],
    ]);
    assert.equal(h.tasks.size, 3);
    h.succeed(h.tokenOf('root/2'), 'C');
    h.succeed(h.tokenOf('root/0'), 'A');
    h.succeed(h.tokenOf('root/1'), 'B');
    assert.deepEqual(h.historyFrom(13), [
      ['ActivitySucceeded', 13, 12, succeeded('C')],
      ['TaskStateExited', 14, 13, exited('T', 'C')],
      ['MapIterationSucceeded', 15, 14, { index: 2, name: 'M' }],
      ['ActivitySucceeded', 16, 6, succeeded('A')],
      ['TaskStateExited', 17, 16, exited('T', 'A')],
      ['MapIterationSucceeded', 18, 17, { index: 0, name: 'M' }],
      ['ActivitySucceeded', 19, 9, succeeded('B')],
      ['TaskStateExited', 20, 19, exited('T', 'B')],
      ['MapIterationSucceeded', 21, 20, { index: 1, name: 'M' }],
      ['MapStateSucceeded', 22, 21, undefined],
      ['MapStateExited', 23, 21, exited('M', ['A', 'B', 'C'])],
      ['ExecutionSucceeded', 24, 23, succeeded(['A', 'B', 'C'])],
    ]);
  });

  test('MaxConcurrency 2 over 3 items: the third starts when one of the first two ends', () => {
    const h = start(inline({ MaxConcurrency: 2 }, taskProcessor), ['a', 'b', 'c']);
    assert.deepEqual(
      [...h.tasks.values()].map((t) => t.threadId),
      ['root/0', 'root/1'],
    );
    h.succeed(h.tokenOf('root/1'), 'B');
    assert.deepEqual(
      [...h.tasks.values()].map((t) => t.threadId),
      ['root/0', 'root/2'],
    );
    // The third iteration follows the last event of the iteration that ended.
    assert.deepEqual(h.historyFrom(10), [
      ['ActivitySucceeded', 10, 9, succeeded('B')],
      ['TaskStateExited', 11, 10, exited('T', 'B')],
      ['MapIterationSucceeded', 12, 11, { index: 1, name: 'M' }],
      ['MapIterationStarted', 13, 11, { index: 2, name: 'M' }],
      ['TaskStateEntered', 14, 13, entered('T', 'c')],
      ['ActivityScheduled', 15, 14, scheduled('c')],
    ]);
    h.succeed(h.tokenOf('root/2'), 'C');
    h.succeed(h.tokenOf('root/0'), 'A');
    assert.deepEqual(h.output(), ['A', 'B', 'C']);
  });
});

describe('Map (inline): failure', () => {
  test('recorded case test_map_state_catch: MapIterationFailed and MapStateFailed both follow the failed state', () => {
    const h = start(
      {
        StartAt: 'StartState',
        States: {
          StartState: { Type: 'Pass', Result: [1], ResultPath: '$.arr', Next: 'MapState' },
          MapState: {
            Type: 'Map',
            ResultPath: null,
            InputPath: '$.arr',
            MaxConcurrency: 1,
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'HandleItemFail',
              States: {
                HandleItemFail: { Type: 'Fail', Error: 'HandleItemFailError', Cause: 'HandleItemFailCause' },
              },
            },
            Catch: [{ ErrorEquals: ['HandleItemFailError'], Next: 'FinalCaught' }],
            Next: 'Final',
          },
          FinalCaught: { Type: 'Pass', End: true },
          Final: { Type: 'Pass', End: true },
        },
      },
      {},
    );
    const errorOutput = { Error: 'HandleItemFailError', Cause: 'HandleItemFailCause' };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('StartState', {})],
      ['PassStateExited', 3, 2, exited('StartState', { arr: [1] })],
      ['MapStateEntered', 4, 3, entered('MapState', { arr: [1] })],
      ['MapStateStarted', 5, 4, { length: 1 }],
      ['MapIterationStarted', 6, 5, { index: 0, name: 'MapState' }],
      ['FailStateEntered', 7, 6, entered('HandleItemFail', 1)],
      ['MapIterationFailed', 8, 7, { index: 0, name: 'MapState' }],
      ['MapStateFailed', 9, 7, undefined],
      ['MapStateExited', 10, 9, exited('MapState', errorOutput)],
      ['PassStateEntered', 11, 10, entered('FinalCaught', errorOutput)],
      ['PassStateExited', 12, 11, exited('FinalCaught', errorOutput)],
      ['ExecutionSucceeded', 13, 12, succeeded(errorOutput)],
    ]);
    assert.equal(h.events[7]?.detailsMember, 'mapIterationFailedEventDetails');
  });

  test('recorded case test_map_state_retry: each retry runs MapStateStarted again after the failed iteration', () => {
    const h = start(
      {
        StartAt: 'StartState',
        States: {
          StartState: { Type: 'Pass', Result: [1], ResultPath: '$.arr', Next: 'MapState' },
          MapState: {
            Type: 'Map',
            ResultPath: null,
            InputPath: '$.arr',
            MaxConcurrency: 1,
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'HandleItemFail',
              States: {
                HandleItemFail: { Type: 'Fail', Error: 'HandleItemFailError', Cause: 'HandleItemFailCause' },
              },
            },
            Retry: [{ ErrorEquals: ['HandleItemFailError'], MaxAttempts: 2 }],
            Next: 'Final',
          },
          Final: { Type: 'Pass', End: true },
        },
      },
      {},
    );
    assert.deepEqual(
      [...h.timers.values()].map((t) => [t.kind, t.dueAt - h.now]),
      [['retry', 1000]],
    );
    h.advance(1);
    assert.deepEqual(
      [...h.timers.values()].map((t) => [t.kind, t.dueAt - h.now]),
      [['retry', 2000]],
    );
    h.advance(2);
    const attempt = (first: number, previous: number): HistoryTuple[] => [
      ['MapStateStarted', first, previous, { length: 1 }],
      ['MapIterationStarted', first + 1, first, { index: 0, name: 'MapState' }],
      ['FailStateEntered', first + 2, first + 1, entered('HandleItemFail', 1)],
      ['MapIterationFailed', first + 3, first + 2, { index: 0, name: 'MapState' }],
    ];
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('StartState', {})],
      ['PassStateExited', 3, 2, exited('StartState', { arr: [1] })],
      ['MapStateEntered', 4, 3, entered('MapState', { arr: [1] })],
      ...attempt(5, 4),
      ...attempt(9, 7),
      ...attempt(13, 11),
      ['MapStateFailed', 17, 15, undefined],
      ['ExecutionFailed', 18, 17, { error: 'HandleItemFailError', cause: 'HandleItemFailCause' }],
    ]);
    assert.equal(h.status, 'FAILED');
  });

  test('recorded case test_map_state_break_condition: a failing iteration ends the Map; later items never start', () => {
    const h = start(
      {
        StartAt: 'StartState',
        States: {
          StartState: {
            Type: 'Pass',
            Result: [1, 'Hello', {}, 3.3, 3, 4, 5],
            ResultPath: '$.arr',
            Next: 'MapState',
          },
          MapState: {
            Type: 'Map',
            ResultPath: null,
            InputPath: '$.arr',
            MaxConcurrency: 1,
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'Equals3',
              States: {
                Equals3: {
                  Choices: [
                    {
                      And: [
                        { IsPresent: true, Variable: '$' },
                        {
                          And: [
                            { IsNumeric: true, Variable: '$' },
                            { NumericEquals: 3, Variable: '$' },
                          ],
                        },
                      ],
                      Next: 'Break',
                    },
                  ],
                  Default: 'Pass',
                  Type: 'Choice',
                },
                Break: {
                  Type: 'Fail',
                  Error: 'SomeFailure',
                  Cause: "This state machines raises a 'SomeFailure' failure.",
                },
                Pass: { Type: 'Pass', End: true },
              },
            },
            Next: 'Final',
          },
          Final: { Type: 'Pass', End: true },
        },
      },
      {},
    );
    const arr: Json[] = [1, 'Hello', {}, 3.3, 3, 4, 5];
    const passing = (first: number, previous: number, index: number): HistoryTuple[] => {
      const item = arr[index] as Json;
      return [
        ['MapIterationStarted', first, previous, { index, name: 'MapState' }],
        ['ChoiceStateEntered', first + 1, first, entered('Equals3', item)],
        ['ChoiceStateExited', first + 2, first + 1, exited('Equals3', item)],
        ['PassStateEntered', first + 3, first + 2, entered('Pass', item)],
        ['PassStateExited', first + 4, first + 3, exited('Pass', item)],
        ['MapIterationSucceeded', first + 5, first + 4, { index, name: 'MapState' }],
      ];
    };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('StartState', {})],
      ['PassStateExited', 3, 2, exited('StartState', { arr })],
      ['MapStateEntered', 4, 3, entered('MapState', { arr })],
      ['MapStateStarted', 5, 4, { length: 7 }],
      ...passing(6, 5, 0),
      ...passing(12, 10, 1),
      ...passing(18, 16, 2),
      ...passing(24, 22, 3),
      ['MapIterationStarted', 30, 28, { index: 4, name: 'MapState' }],
      ['ChoiceStateEntered', 31, 30, entered('Equals3', 3)],
      ['ChoiceStateExited', 32, 31, exited('Equals3', 3)],
      ['FailStateEntered', 33, 32, entered('Break', 3)],
      ['MapIterationFailed', 34, 33, { index: 4, name: 'MapState' }],
      ['MapStateFailed', 35, 33, undefined],
      [
        'ExecutionFailed',
        36,
        35,
        { error: 'SomeFailure', cause: "This state machines raises a 'SomeFailure' failure." },
      ],
    ]);
  });

  test('a failing iteration stops the running ones: their tasks are deleted, their tokens go stale', () => {
    const h = start(
      inline({ Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }] }, taskProcessor, {
        Caught: { Type: 'Wait', Seconds: 5, End: true },
      }),
      ['a', 'b', 'c'],
    );
    const tokens = ['root/0', 'root/1', 'root/2'].map((id) => h.tokenOf(id));
    const result = h.fail(tokens[1] as string, 'Boom', 'bad');
    assert.ok(result.ok);
    const deleted = result.effects.flatMap((e) => (e.kind === 'deleteActivityTask' ? [e.token] : []));
    assert.deepEqual(new Set(deleted), new Set(tokens));
    assert.equal(h.tasks.size, 0);
    assert.deepEqual([...h.threads.keys()], ['root']);
    assert.deepEqual(h.historyFrom(13), [
      ['ActivityFailed', 13, 9, { error: 'Boom', cause: 'bad' }],
      ['MapIterationFailed', 14, 13, { index: 1, name: 'M' }],
      ['MapStateFailed', 15, 13, undefined],
      ['MapStateExited', 16, 15, exited('M', { Error: 'Boom', Cause: 'bad' })],
      ['WaitStateEntered', 17, 16, entered('Caught', { Error: 'Boom', Cause: 'bad' })],
    ]);
    assert.equal(rejected(h.succeed(tokens[0] as string, 'late')), 'TaskTimedOut');
  });
});

describe('Map (inline): tolerated failures', () => {
  test('ToleratedFailureCount not exceeded: the Map succeeds; a failed slot holds its error output', () => {
    const h = start(inline({ ToleratedFailureCount: 1 }, choosyProcessor), [{ ok: 1 }, { bad: true }]);
    const output = [{ ok: 1 }, { Error: 'E', Cause: 'c' }];
    assert.deepEqual(h.historyFrom(3), [
      ['MapStateStarted', 3, 2, { length: 2 }],
      ['MapIterationStarted', 4, 3, { index: 0, name: 'M' }],
      ['ChoiceStateEntered', 5, 4, entered('C', { ok: 1 })],
      ['ChoiceStateExited', 6, 5, exited('C', { ok: 1 })],
      ['PassStateEntered', 7, 6, entered('P', { ok: 1 })],
      ['PassStateExited', 8, 7, exited('P', { ok: 1 })],
      ['MapIterationSucceeded', 9, 8, { index: 0, name: 'M' }],
      ['MapIterationStarted', 10, 8, { index: 1, name: 'M' }],
      ['ChoiceStateEntered', 11, 10, entered('C', { bad: true })],
      ['ChoiceStateExited', 12, 11, exited('C', { bad: true })],
      ['FailStateEntered', 13, 12, entered('F', { bad: true })],
      ['MapIterationFailed', 14, 13, { index: 1, name: 'M' }],
      ['MapStateSucceeded', 15, 14, undefined],
      ['MapStateExited', 16, 14, exited('M', output)],
      ['ExecutionSucceeded', 17, 16, succeeded(output)],
    ]);
  });

  test('ToleratedFailureCount exceeded: States.ExceedToleratedFailureThreshold, Catch sees it', () => {
    const h = start(
      inline(
        { ToleratedFailureCount: 1, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }] },
        choosyProcessor,
        {
          Caught: { Type: 'Pass', End: true },
        },
      ),
      [{ bad: 1 }, { bad: 2 }, { ok: 3 }],
    );
    const errorOutput = { Error: EXCEEDED.error, Cause: EXCEEDED.cause };
    assert.deepEqual(h.historyFrom(3), [
      ['MapStateStarted', 3, 2, { length: 3 }],
      ['MapIterationStarted', 4, 3, { index: 0, name: 'M' }],
      ['ChoiceStateEntered', 5, 4, entered('C', { bad: 1 })],
      ['ChoiceStateExited', 6, 5, exited('C', { bad: 1 })],
      ['FailStateEntered', 7, 6, entered('F', { bad: 1 })],
      ['MapIterationFailed', 8, 7, { index: 0, name: 'M' }],
      ['MapIterationStarted', 9, 7, { index: 1, name: 'M' }],
      ['ChoiceStateEntered', 10, 9, entered('C', { bad: 2 })],
      ['ChoiceStateExited', 11, 10, exited('C', { bad: 2 })],
      ['FailStateEntered', 12, 11, entered('F', { bad: 2 })],
      ['MapIterationFailed', 13, 12, { index: 1, name: 'M' }],
      ['MapStateFailed', 14, 12, undefined],
      ['MapStateExited', 15, 14, exited('M', errorOutput)],
      ['PassStateEntered', 16, 15, entered('Caught', errorOutput)],
      ['PassStateExited', 17, 16, exited('Caught', errorOutput)],
      ['ExecutionSucceeded', 18, 17, succeeded(errorOutput)],
    ]);
  });

  test('ToleratedFailureCount 0 is set: the first failure exceeds it', () => {
    const h = start(inline({ ToleratedFailureCount: 0 }, choosyProcessor), [{ bad: 1 }]);
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, EXCEEDED.error);
    assert.equal(h.execution.cause, EXCEEDED.cause);
  });

  test('without a threshold the iteration’s own error fails the Map', () => {
    const h = start(inline({}, choosyProcessor), [{ bad: 1 }]);
    assert.equal(h.execution.error, 'E');
    assert.equal(h.execution.cause, 'c');
  });

  test('ToleratedFailurePercentage: 50% of 4 tolerated, 2 of 3 exceed 50%', () => {
    const ok = start(inline({ ToleratedFailurePercentage: 50 }, choosyProcessor), [
      {},
      { bad: 1 },
      {},
      { bad: 2 },
    ]);
    assert.equal(ok.status, 'SUCCEEDED');
    const failed = { Error: 'E', Cause: 'c' };
    assert.deepEqual(ok.output(), [{}, failed, {}, failed]);

    const over = start(inline({ ToleratedFailurePercentage: 50 }, choosyProcessor), [
      { bad: 1 },
      { bad: 2 },
      {},
    ]);
    assert.equal(over.status, 'FAILED');
    assert.equal(over.execution.error, EXCEEDED.error);
    // The third item never started.
    assert.deepEqual(
      over.events.filter((e) => e.type === 'MapIterationStarted').map((e) => e.details?.['index']),
      [0, 1],
    );
  });

  test('both thresholds set: exceeding either fails the Map', () => {
    const items = [{ bad: 1 }, {}, {}, {}];
    const byCount = start(
      inline({ ToleratedFailureCount: 0, ToleratedFailurePercentage: 100 }, choosyProcessor),
      items,
    );
    assert.equal(byCount.execution.error, EXCEEDED.error);
    const byPercentage = start(
      inline({ ToleratedFailureCount: 5, ToleratedFailurePercentage: 20 }, choosyProcessor),
      items,
    );
    assert.equal(byPercentage.execution.error, EXCEEDED.error);
    const neither = start(
      inline({ ToleratedFailureCount: 1, ToleratedFailurePercentage: 25 }, choosyProcessor),
      items,
    );
    assert.equal(neither.status, 'SUCCEEDED');
  });
});

describe('Map: MaxConcurrencyPath', () => {
  const machine = {
    Comment: 'MAX_CONCURRENCY_PATH',
    StartAt: 'MapState',
    States: {
      MapState: {
        Type: 'Map',
        ItemsPath: '$.Values',
        MaxConcurrencyPath: '$.MaxConcurrencyValue',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'HandleItem',
          States: { HandleItem: { Type: 'Pass', End: true } },
        },
        Next: 'Final',
      },
      Final: { Type: 'Pass', End: true },
    },
  };

  test('recorded case test_max_concurrency_path[1]', () => {
    const input = { MaxConcurrencyValue: 1, Values: ['HelloWorld'] };
    const h = start(machine, input);
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(input)],
      ['MapStateEntered', 2, 0, entered('MapState', input)],
      ['MapStateStarted', 3, 2, { length: 1 }],
      ...passIteration(4, 3, 0, 'MapState', 'HandleItem', 'HelloWorld'),
      ['MapStateSucceeded', 8, 7, undefined],
      ['MapStateExited', 9, 7, exited('MapState', ['HelloWorld'])],
      ['PassStateEntered', 10, 9, entered('Final', ['HelloWorld'])],
      ['PassStateExited', 11, 10, exited('Final', ['HelloWorld'])],
      ['ExecutionSucceeded', 12, 11, succeeded(['HelloWorld'])],
    ]);
  });

  test('recorded cases test_max_concurrency_path[NoNumber] and [max_concurrency_value0]: States.Runtime before MapStateStarted', () => {
    for (const [value, shown] of [
      ['NoNumber', 'NoNumber'],
      [{}, '{}'],
    ] as const) {
      const input = { MaxConcurrencyValue: value, Values: ['HelloWorld'] };
      const h = start(machine, input);
      const cause = prefixed(
        'MapState',
        2,
        `The MaxConcurrencyPath field refers to value "${shown}" which is not a valid integer: $.MaxConcurrencyValue`,
      );
      assert.deepEqual(h.history(), [
        ['ExecutionStarted', 1, 0, started(input)],
        ['MapStateEntered', 2, 0, entered('MapState', input)],
        ['ExecutionFailed', 3, 2, { error: 'States.Runtime', cause }],
      ]);
    }
  });

  test('MaxConcurrencyPath bounds the iterations that run at once', () => {
    const h = start(inline({ ItemsPath: '$.items', MaxConcurrencyPath: '$.limit' }, taskProcessor), {
      items: [1, 2, 3],
      limit: 2,
    });
    assert.equal(h.tasks.size, 2);
  });
});

// --- DISTRIBUTED ----------------------------------------------------------------------------

const MAP_RUN_ARN =
  /^arn:aws:states:us-east-1:123456789012:mapRun:Machine\/([^:/]+):[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const distributed = (fields: Record<string, unknown>, next: Record<string, unknown> = {}): object => ({
  StartAt: 'M',
  States: {
    M: {
      Type: 'Map',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'Inner',
        States: { Inner: { Type: 'Pass', End: true } },
      },
      ...('Next' in fields ? {} : { End: true }),
      ...fields,
    },
    ...next,
  },
});

/** The Map Run's ARN, from MapRunStarted. */
function mapRunArn(h: Harness): string {
  const event = h.events.find((e) => e.type === 'MapRunStarted');
  const arn = event?.details?.['mapRunArn'];
  assert.equal(typeof arn, 'string', 'MapRunStarted names the Map Run');
  return arn as string;
}

/** Fires the start timer; answers the one Map Run the engine asked for. */
function startRun(h: Harness): (typeof h.mapRunsStarted)[number] {
  const before = h.mapRunsStarted.length;
  h.advance(0);
  assert.equal(h.mapRunsStarted.length, before + 1, 'the start timer asks for the Map Run');
  return h.mapRunsStarted.at(-1) as (typeof h.mapRunsStarted)[number];
}

describe('Map (DISTRIBUTED): starting the Map Run', () => {
  test('recorded case test_map_state_label: MapRunStarted, then the startMapRun effect through its timer', () => {
    const input = ['Hello', 'World'];
    const h = start(
      {
        Comment: 'MAP_STATE_LABEL_JSON',
        StartAt: 'MapState',
        States: {
          MapState: {
            Type: 'Map',
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
              StartAt: 'IteratorInner',
              States: { IteratorInner: { Type: 'Pass', End: true } },
            },
            Label: 'TestMap',
            End: true,
          },
        },
      },
      input,
    );
    const arn = mapRunArn(h);
    assert.equal(MAP_RUN_ARN.exec(arn)?.[1], 'TestMap');
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(input)],
      ['MapStateEntered', 2, 0, entered('MapState', input)],
      ['MapStateStarted', 3, 2, { length: 2 }],
      ['MapRunStarted', 4, 3, { mapRunArn: arn }],
    ]);
    assert.equal(h.events[3]?.detailsMember, 'mapRunStartedEventDetails');
    // The run starts only through its timer, due at once (a durable outbox).
    assert.deepEqual(h.mapRunsStarted, []);
    assert.deepEqual(
      [...h.timers.values()].map((t) => [t.id, t.kind, t.threadId, t.dueAt]),
      [[`${arn}#start`, 'mapRunStart', 'root', h.now]],
    );
    const run = startRun(h);
    assert.deepEqual(run, {
      mapRunArn: arn,
      executionArn: EXECUTION_ARN,
      threadId: 'root',
      stateMachineArn: `${STATE_MACHINE_ARN}/TestMap`,
      definition: JSON.stringify({
        StartAt: 'IteratorInner',
        States: { IteratorInner: { Type: 'Pass', End: true } },
      }),
      executionType: 'STANDARD',
      items: input,
      maxConcurrency: 0,
      toleratedFailureCount: 0,
      toleratedFailurePercentage: 0,
    });
    assert.equal(h.events.length, 4, 'starting the run writes no event');
    assert.equal(h.timers.size, 0);

    assert.ok(h.mapRunEnded(arn, 'SUCCEEDED', { outputs: input }).ok);
    assert.deepEqual(h.historyFrom(5), [
      ['MapRunSucceeded', 5, 4, undefined],
      ['MapStateSucceeded', 6, 5, undefined],
      ['MapStateExited', 7, 5, exited('MapState', input)],
      ['ExecutionSucceeded', 8, 7, succeeded(input)],
    ]);
    assert.equal(h.status, 'SUCCEEDED');
    assert.equal(h.threads.size, 0);
  });

  test('without a Label the run is named after the state; the child machine keeps the QueryLanguage', () => {
    const h = start(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Fan',
        States: {
          Fan: {
            Type: 'Map',
            MaxConcurrency: 3,
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
              StartAt: 'Inner',
              States: { Inner: { Type: 'Pass', End: true } },
            },
            End: true,
          },
        },
      },
      [1],
    );
    const run = startRun(h);
    assert.equal(MAP_RUN_ARN.exec(run.mapRunArn)?.[1], 'Fan');
    assert.equal(run.stateMachineArn, `${STATE_MACHINE_ARN}/Fan`);
    assert.equal(run.executionType, 'EXPRESS');
    assert.equal(run.maxConcurrency, 3);
    assert.deepEqual(JSON.parse(run.definition), {
      StartAt: 'Inner',
      States: { Inner: { Type: 'Pass', End: true } },
      QueryLanguage: 'JSONata',
    });
  });

  test('recorded case test_map_state_legacy_config_distributed_parameters: the items are the selected inputs', () => {
    const input = ['Hello', 'World'];
    const h = start(
      {
        StartAt: 'MapState',
        States: {
          MapState: {
            Type: 'Map',
            MaxConcurrency: 1,
            Parameters: { constantValue: 'constant', 'mapValue.$': '$$.Map.Item.Value', 'fromInput.$': '$' },
            Iterator: {
              StartAt: 'IteratorInner',
              States: { IteratorInner: { Type: 'Pass', End: true } },
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            },
            Next: 'Finish',
          },
          Finish: { Type: 'Succeed' },
        },
      },
      input,
    );
    const item = (v: string): Json => ({ constantValue: 'constant', mapValue: v, fromInput: input });
    const run = startRun(h);
    assert.deepEqual(run.items, [item('Hello'), item('World')]);
    assert.equal(run.maxConcurrency, 1);
    h.mapRunEnded(run.mapRunArn, 'SUCCEEDED', { outputs: run.items });
    const output = [item('Hello'), item('World')];
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(input)],
      ['MapStateEntered', 2, 0, entered('MapState', input)],
      ['MapStateStarted', 3, 2, { length: 2 }],
      ['MapRunStarted', 4, 3, { mapRunArn: run.mapRunArn }],
      ['MapRunSucceeded', 5, 4, undefined],
      ['MapStateSucceeded', 6, 5, undefined],
      ['MapStateExited', 7, 5, exited('MapState', output)],
      ['SucceedStateEntered', 8, 7, entered('Finish', output)],
      ['SucceedStateExited', 9, 8, exited('Finish', output)],
      ['ExecutionSucceeded', 10, 9, succeeded(output)],
    ]);
  });

  test('tolerance encoding: unset → 0/0; only a percentage → count = item count; only a count → percentage 100', () => {
    const items = [1, 2, 3, 4];
    const tolerance = (fields: Record<string, unknown>): [number, number] => {
      const run = startRun(start(distributed(fields), items));
      return [run.toleratedFailureCount, run.toleratedFailurePercentage];
    };
    assert.deepEqual(tolerance({}), [0, 0]);
    assert.deepEqual(tolerance({ ToleratedFailurePercentage: 25 }), [4, 25]);
    assert.deepEqual(tolerance({ ToleratedFailureCount: 2 }), [2, 100]);
    assert.deepEqual(tolerance({ ToleratedFailureCount: 2, ToleratedFailurePercentage: 10 }), [2, 10]);
    assert.deepEqual(tolerance({ ToleratedFailureCount: 0 }), [0, 100]);
    assert.deepEqual(tolerance({ ToleratedFailurePercentage: 0 }), [4, 0]);
  });

  const toleratedFailurePathMachine = {
    Comment: 'MAP_STATE_REFERENCE_IN_TOLERATED_FAILURE_PATH',
    StartAt: 'Start',
    States: {
      Start: {
        Type: 'Pass',
        Assign: { toleratedFailurePercentage: '1', toleratedFailureCount: '1' },
        Result: { Values: [1, 2, 3] },
        Next: 'MapState',
      },
      MapState: {
        Type: 'Map',
        ItemsPath: '$.Values',
        MaxConcurrency: 1,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'HandleItem',
          States: { HandleItem: { Type: 'Pass', End: true } },
        },
        ToleratedFailurePercentagePath: '$toleratedFailurePercentage',
        ToleratedFailureCountPath: '$toleratedFailureCount',
        End: true,
      },
    },
  };

  test('ToleratedFailure…Path read variables; numeric strings count (recorded case MAP_STATE_REFERENCE_IN_TOLERATED_FAILURE_PATH)', () => {
    const h = start(toleratedFailurePathMachine, {});
    const run = startRun(h);
    assert.deepEqual(run.items, [1, 2, 3]);
    assert.deepEqual([run.toleratedFailureCount, run.toleratedFailurePercentage], [1, 1]);
    assert.deepEqual(h.historyFrom(4), [
      ['MapStateEntered', 4, 3, entered('MapState', { Values: [1, 2, 3] })],
      ['MapStateStarted', 5, 4, { length: 3 }],
      ['MapRunStarted', 6, 5, { mapRunArn: run.mapRunArn }],
    ]);
    h.mapRunEnded(run.mapRunArn, 'SUCCEEDED', { outputs: [1, 2, 3] });
    assert.deepEqual(h.output(), [1, 2, 3]);
  });

  /*
   * The recordings disagree on what MapStateExited follows after a Map Run succeeds. Where the
   * Map is the first state (test_map_state_label, test_map_state_legacy_config_distributed_parameters,
   * test_map_state_tolerated_failure_values[count_literal], …_count_path[1], …_percentage_path[1])
   * it follows MapRunSucceeded, as the engine writes it. Where a Pass state comes first (the two
   * cases below) it follows MapRunStarted.
   */
  test(
    'recorded case test_reference_in_map_state[MAP_STATE_REFERENCE_IN_TOLERATED_FAILURE_PATH]: MapStateExited follows MapRunStarted',
    {
      todo: 'engine chains MapStateExited to MapRunSucceeded (7); this AWS recording chains it to MapRunStarted (6)',
    },
    () => {
      const h = start(toleratedFailurePathMachine, {});
      const run = startRun(h);
      h.mapRunEnded(run.mapRunArn, 'SUCCEEDED', { outputs: [1, 2, 3] });
      assert.deepEqual(h.historyFrom(6), [
        ['MapRunStarted', 6, 5, { mapRunArn: run.mapRunArn }],
        ['MapRunSucceeded', 7, 6, undefined],
        ['MapStateSucceeded', 8, 7, undefined],
        ['MapStateExited', 9, 6, exited('MapState', [1, 2, 3])],
        ['ExecutionSucceeded', 10, 9, succeeded([1, 2, 3])],
      ]);
    },
  );

  test(
    'recorded case test_map_state_config_distributed_items_path_from_previous: MapStateExited follows MapRunStarted',
    {
      todo: 'engine chains MapStateExited to MapRunSucceeded (7); this AWS recording chains it to MapRunStarted (6)',
    },
    () => {
      const h = start(
        {
          StartAt: 'PreviousState',
          States: {
            PreviousState: {
              Type: 'Pass',
              Result: { result_value: ['item-value-from-previous'] },
              Next: 'MapState',
            },
            MapState: {
              Type: 'Map',
              MaxConcurrency: 1,
              ItemsPath: '$.result_value',
              ItemProcessor: {
                ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
                StartAt: 'PassState',
                States: { PassState: { Type: 'Pass', End: true } },
              },
              End: true,
            },
          },
        },
        {},
      );
      const run = startRun(h);
      assert.deepEqual(run.items, ['item-value-from-previous']);
      h.mapRunEnded(run.mapRunArn, 'SUCCEEDED', { outputs: ['item-value-from-previous'] });
      const previous = { result_value: ['item-value-from-previous'] };
      const output = ['item-value-from-previous'];
      assert.deepEqual(h.history(), [
        ['ExecutionStarted', 1, 0, started({})],
        ['PassStateEntered', 2, 0, entered('PreviousState', {})],
        ['PassStateExited', 3, 2, exited('PreviousState', previous)],
        ['MapStateEntered', 4, 3, entered('MapState', previous)],
        ['MapStateStarted', 5, 4, { length: 1 }],
        ['MapRunStarted', 6, 5, { mapRunArn: run.mapRunArn }],
        ['MapRunSucceeded', 7, 6, undefined],
        ['MapStateSucceeded', 8, 7, undefined],
        ['MapStateExited', 9, 6, exited('MapState', output)],
        ['ExecutionSucceeded', 10, 9, succeeded(output)],
      ]);
    },
  );

  test('recorded cases test_map_state_tolerated_failure_percentage_path[-1] and [100.1]: States.Runtime after MapStateStarted', () => {
    for (const percentage of [-1, 100.1]) {
      const input = { Items: [0], ToleratedFailurePercentage: percentage };
      const h = start(
        distributed({ ItemsPath: '$.Items', ToleratedFailurePercentagePath: '$.ToleratedFailurePercentage' }),
        input,
      );
      assert.deepEqual(h.history(), [
        ['ExecutionStarted', 1, 0, started(input)],
        ['MapStateEntered', 2, 0, entered('M', input)],
        ['MapStateStarted', 3, 2, { length: 1 }],
        [
          'ExecutionFailed',
          4,
          3,
          {
            error: 'States.Runtime',
            cause: prefixed('M', 2, 'ToleratedFailurePercentage must be between 0 and 100.'),
          },
        ],
      ]);
      assert.equal(h.timers.size, 0);
      assert.deepEqual(h.mapRunsStarted, []);
    }
  });

  test('ItemBatcher: MaxItemsPerBatch cuts the items into batches, with BatchInput', () => {
    const h = start(
      distributed({
        ItemsPath: '$.items',
        ItemSelector: { 'v.$': '$$.Map.Item.Value' },
        ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { job: 7 } },
      }),
      { items: [1, 2, 3, 4, 5] },
    );
    // MapStateStarted counts items, not batches.
    assert.deepEqual(h.history()[2], ['MapStateStarted', 3, 2, { length: 5 }]);
    const run = startRun(h);
    assert.deepEqual(run.items, [
      { BatchInput: { job: 7 }, Items: [{ v: 1 }, { v: 2 }] },
      { BatchInput: { job: 7 }, Items: [{ v: 3 }, { v: 4 }] },
      { BatchInput: { job: 7 }, Items: [{ v: 5 }] },
    ]);
  });

  test('ItemBatcher without BatchInput: batches are { Items }', () => {
    const run = startRun(start(distributed({ ItemBatcher: { MaxItemsPerBatch: 3 } }), ['a', 'b', 'c', 'd']));
    assert.deepEqual(run.items, [{ Items: ['a', 'b', 'c'] }, { Items: ['d'] }]);
  });
});

describe('Map (DISTRIBUTED): the Map Run ends', () => {
  test('SUCCEEDED: the children’s outputs go through ResultSelector and ResultPath', () => {
    const h = start(
      distributed(
        {
          ItemsPath: '$.items',
          ResultSelector: { 'results.$': '$' },
          ResultPath: '$.out',
          Next: 'After',
        },
        { After: { Type: 'Pass', End: true } },
      ),
      { items: [1, 2] },
    );
    const run = startRun(h);
    h.mapRunEnded(run.mapRunArn, 'SUCCEEDED', { outputs: [10, 20] });
    const output = { items: [1, 2], out: { results: [10, 20] } };
    assert.deepEqual(h.historyFrom(5), [
      ['MapRunSucceeded', 5, 4, undefined],
      ['MapStateSucceeded', 6, 5, undefined],
      ['MapStateExited', 7, 5, exited('M', output)],
      ['PassStateEntered', 8, 7, entered('After', output)],
      ['PassStateExited', 9, 8, exited('After', output)],
      ['ExecutionSucceeded', 10, 9, succeeded(output)],
    ]);
  });

  test('FAILED: MapRunFailed with the error, MapStateFailed, then the execution fails', () => {
    const h = start(distributed({}), [1]);
    const run = startRun(h);
    h.mapRunEnded(run.mapRunArn, 'FAILED', EXCEEDED);
    assert.deepEqual(h.historyFrom(4), [
      ['MapRunStarted', 4, 3, { mapRunArn: run.mapRunArn }],
      ['MapRunFailed', 5, 4, EXCEEDED],
      ['MapStateFailed', 6, 5, undefined],
      ['ExecutionFailed', 7, 6, EXCEEDED],
    ]);
    assert.equal(h.events[4]?.detailsMember, 'mapRunFailedEventDetails');
    assert.equal(h.status, 'FAILED');
    assert.equal(h.execution.error, EXCEEDED.error);
  });

  test('FAILED with Catch: MapStateExited follows MapStateFailed with the error output', () => {
    const h = start(
      distributed(
        {
          ItemsPath: '$.items',
          Catch: [
            { ErrorEquals: ['States.ExceedToleratedFailureThreshold'], ResultPath: '$.e', Next: 'Caught' },
          ],
        },
        { Caught: { Type: 'Pass', End: true } },
      ),
      { items: [1] },
    );
    const run = startRun(h);
    h.mapRunEnded(run.mapRunArn, 'FAILED', EXCEEDED);
    const output = { items: [1], e: { Error: EXCEEDED.error, Cause: EXCEEDED.cause } };
    assert.deepEqual(h.historyFrom(5), [
      ['MapRunFailed', 5, 4, EXCEEDED],
      ['MapStateFailed', 6, 5, undefined],
      ['MapStateExited', 7, 6, exited('M', output)],
      ['PassStateEntered', 8, 7, entered('Caught', output)],
      ['PassStateExited', 9, 8, exited('Caught', output)],
      ['ExecutionSucceeded', 10, 9, succeeded(output)],
    ]);
  });

  test('FAILED with Retry: the Map starts again with a new Map Run', () => {
    const h = start(
      distributed({ Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 1, IntervalSeconds: 3 }] }),
      [1],
    );
    const first = startRun(h);
    h.mapRunEnded(first.mapRunArn, 'FAILED', EXCEEDED);
    assert.equal(h.status, 'RUNNING');
    h.advance(3);
    const second = h.mapRunsStarted.at(-1);
    assert.ok(second !== undefined && second.mapRunArn !== first.mapRunArn, 'a new Map Run');
    assert.deepEqual(h.historyFrom(5), [
      ['MapRunFailed', 5, 4, EXCEEDED],
      ['MapStateStarted', 6, 5, { length: 1 }],
      ['MapRunStarted', 7, 6, { mapRunArn: second.mapRunArn }],
    ]);
    // The first run's end, reported again, is ignored.
    const stale = h.mapRunEnded(first.mapRunArn, 'SUCCEEDED', { outputs: [1] });
    assert.ok(stale.ok && stale.events.length === 0);
    h.mapRunEnded(second.mapRunArn, 'SUCCEEDED', { outputs: ['ok'] });
    assert.deepEqual(h.output(), ['ok']);
  });

  test('StopExecution while the Map Run is active aborts it', () => {
    const h = start(distributed({}), [1, 2]);
    const run = startRun(h);
    const result = h.stop('Stopped', 'by test');
    assert.ok(result.ok);
    assert.deepEqual(
      result.effects.filter((e) => e.kind === 'abortMapRun'),
      [{ kind: 'abortMapRun', mapRunArn: run.mapRunArn }],
    );
    assert.deepEqual(h.mapRunsAborted, [run.mapRunArn]);
    assert.deepEqual(h.historyFrom(5), [['ExecutionAborted', 5, 0, { error: 'Stopped', cause: 'by test' }]]);
    assert.equal(h.status, 'ABORTED');
    // Its end, arriving later, changes nothing.
    const late = h.mapRunEnded(run.mapRunArn, 'SUCCEEDED', { outputs: [1, 2] });
    assert.ok(late.ok && late.events.length === 0);
    assert.equal(h.status, 'ABORTED');
  });

  test('StopExecution before the start timer fired: the run is aborted and its timer deleted', () => {
    const h = start(distributed({}), [1]);
    const arn = mapRunArn(h);
    const result = h.stop();
    assert.ok(result.ok);
    assert.deepEqual(h.mapRunsAborted, [arn]);
    // Its start timer, should it still fire, starts nothing.
    h.advance(0);
    assert.deepEqual(h.mapRunsStarted, []);
  });

  test('a MapRunEnded for an unknown Map Run is ignored', () => {
    const h = start(distributed({}), [1]);
    startRun(h);
    const result = h.mapRunEnded('arn:aws:states:us-east-1:123456789012:mapRun:Machine/M:nope', 'SUCCEEDED', {
      outputs: [],
    });
    assert.ok(result.ok);
    assert.equal(result.events.length, 0);
    assert.equal(h.status, 'RUNNING');
  });

  test('a Distributed Map inside a Parallel branch: the branch waits for its Map Run', () => {
    const h = start(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [
              distributed({}),
              { StartAt: 'Other', States: { Other: { Type: 'Pass', Result: 'other', End: true } } },
            ],
            End: true,
          },
        },
      },
      ['x'],
    );
    const run = startRun(h);
    assert.equal(run.threadId, 'root/0');
    h.mapRunEnded(run.mapRunArn, 'SUCCEEDED', { outputs: ['X'] });
    assert.deepEqual(h.output(), [['X'], 'other']);
  });
});
