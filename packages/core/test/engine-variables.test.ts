/**
 * Engine: workflow variables. JSONPath `Assign` (what `$` means in each state, evaluation
 * against the values at entry), `assignedVariables` in StateExited, variables read by paths,
 * and scopes: Map iterations and Parallel branches read the variables around them, and what
 * they assign stays theirs. Expected histories follow the AWS recordings in cases.jsonl
 * (test_assign_reference_variables.py).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../src/json.js';
import type { HistoryTuple } from './harness.js';
import {
  ACTIVITY_ARN,
  entered,
  exited,
  exitedAssigning,
  scheduled,
  start,
  started,
  succeeded,
} from './harness.js';

describe('Assign in JSONPath states: recorded cases', () => {
  test('test_reference_assign[BASE_REFERENCE_IN_PARAMETERS]: a variable set by one state is read by the next one’s Parameters', () => {
    const h = start(
      {
        Comment: 'BASE_REFERENCE_IN_PARAMETERS',
        StartAt: 'State0',
        States: {
          State0: {
            Type: 'Pass',
            Parameters: { result: '$result' },
            Assign: { result: 'foobar' },
            Next: 'State1',
          },
          State1: { Type: 'Pass', ResultPath: '$.result', Parameters: { 'result.$': '$result' }, End: true },
        },
      },
      {},
    );
    const output = { result: { result: 'foobar' } };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('State0', {})],
      ['PassStateExited', 3, 2, exitedAssigning('State0', { result: '$result' }, { result: 'foobar' })],
      ['PassStateEntered', 4, 3, entered('State1', { result: '$result' })],
      ['PassStateExited', 5, 4, exited('State1', output)],
      ['ExecutionSucceeded', 6, 5, succeeded(output)],
    ]);
    assert.equal(h.events[2]?.detailsMember, 'stateExitedEventDetails');
  });

  test('test_reference_assign[BASE_REFERENCE_IN_CHOICE]: Choice rules compare variables; a later Assign changes the outcome', () => {
    const h = start(
      {
        Comment: 'BASE_REFERENCE_IN_CHOICE',
        StartAt: 'Setup',
        States: {
          Setup: { Type: 'Pass', Assign: { guess: 'the_guess', answer: 'the_answer' }, Next: 'CheckAnswer' },
          CheckAnswer: {
            Type: 'Choice',
            Choices: [{ Variable: '$guess', StringEqualsPath: '$answer', Next: 'CorrectAnswer' }],
            Default: 'WrongAnswer',
          },
          CorrectAnswer: { Type: 'Pass', Result: { state: 'CORRECT' }, End: true },
          WrongAnswer: {
            Type: 'Pass',
            Assign: { 'guess.$': '$answer' },
            Result: { state: 'WRONG' },
            Next: 'CheckAnswer',
          },
        },
      },
      {},
    );
    const wrong = { state: 'WRONG' };
    const correct = { state: 'CORRECT' };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('Setup', {})],
      ['PassStateExited', 3, 2, exitedAssigning('Setup', {}, { guess: 'the_guess', answer: 'the_answer' })],
      ['ChoiceStateEntered', 4, 3, entered('CheckAnswer', {})],
      ['ChoiceStateExited', 5, 4, exited('CheckAnswer', {})],
      ['PassStateEntered', 6, 5, entered('WrongAnswer', {})],
      ['PassStateExited', 7, 6, exitedAssigning('WrongAnswer', wrong, { guess: 'the_answer' })],
      ['ChoiceStateEntered', 8, 7, entered('CheckAnswer', wrong)],
      ['ChoiceStateExited', 9, 8, exited('CheckAnswer', wrong)],
      ['PassStateEntered', 10, 9, entered('CorrectAnswer', wrong)],
      ['PassStateExited', 11, 10, exited('CorrectAnswer', correct)],
      ['ExecutionSucceeded', 12, 11, succeeded(correct)],
    ]);
  });

  test('test_reference_assign[BASE_REFERENCE_IN_INPUTPATH]: InputPath reads a variable', () => {
    const h = start(
      {
        Comment: 'BASE_REFERENCE_IN_INPUTPATH',
        StartAt: 'State0',
        States: {
          State0: { Type: 'Pass', Assign: { theAnswer: 42 }, Next: 'State1' },
          State1: { Type: 'Pass', InputPath: '$theAnswer', End: true },
        },
      },
      {},
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('State0', {})],
      ['PassStateExited', 3, 2, exitedAssigning('State0', {}, { theAnswer: 42 })],
      ['PassStateEntered', 4, 3, entered('State1', {})],
      ['PassStateExited', 5, 4, exited('State1', 42)],
      ['ExecutionSucceeded', 6, 5, succeeded(42)],
    ]);
  });

  test('test_assign_from_value[BASE_ASSIGN_FROM_PARAMETERS]: without Result, $ is the effective input after Parameters', () => {
    const h = start(
      {
        Comment: 'BASE_ASSIGN_FROM_PARAMETERS',
        StartAt: 'State0',
        States: {
          State0: {
            Type: 'Pass',
            Parameters: { input: 'PENDING' },
            Assign: { 'result.$': '$.input' },
            Next: 'State1',
          },
          State1: { Type: 'Pass', Assign: { result: 'SUCCESS', 'originalResult.$': '$.input' }, End: true },
        },
      },
      {},
    );
    const pending = { input: 'PENDING' };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('State0', {})],
      ['PassStateExited', 3, 2, exitedAssigning('State0', pending, { result: 'PENDING' })],
      ['PassStateEntered', 4, 3, entered('State1', pending)],
      [
        'PassStateExited',
        5,
        4,
        exitedAssigning('State1', pending, { result: 'SUCCESS', originalResult: 'PENDING' }),
      ],
      ['ExecutionSucceeded', 6, 5, succeeded(pending)],
    ]);
  });

  test('test_assign_from_value[BASE_ASSIGN_FROM_RESULT]: a Pass state’s Result is $', () => {
    const h = start(
      {
        Comment: 'BASE_ASSIGN_FROM_RESULT',
        StartAt: 'State0',
        States: {
          State0: { Type: 'Pass', Result: { answer: 42 }, Assign: { 'theAnswer.$': '$.answer' }, End: true },
        },
      },
      {},
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('State0', {})],
      ['PassStateExited', 3, 2, exitedAssigning('State0', { answer: 42 }, { theAnswer: 42 })],
      ['ExecutionSucceeded', 4, 3, succeeded({ answer: 42 })],
    ]);
  });

  test('test_state_assign_evaluation_order[BASE_EVALUATION_ORDER_PASS_STATE]: paths read the values at entry; the new ones come after', () => {
    const question = 'What is the answer to life the universe and everything?';
    const h = start(
      {
        Comment: 'BASE_EVALUATION_ORDER_PASS_STATE',
        StartAt: 'State0',
        States: {
          State0: {
            Type: 'Pass',
            Result: { theQuestion: question },
            Assign: { 'question.$': '$.theQuestion', answer: 42 },
            Next: 'State1',
          },
          State1: {
            Type: 'Pass',
            InputPath: '$answer',
            ResultPath: '$.theAnswer',
            OutputPath: '$answer',
            Assign: { answer: '<omitted>' },
            End: true,
          },
        },
      },
      {},
    );
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('State0', {})],
      [
        'PassStateExited',
        3,
        2,
        exitedAssigning('State0', { theQuestion: question }, { question, answer: 42 }),
      ],
      ['PassStateEntered', 4, 3, entered('State1', { theQuestion: question })],
      ['PassStateExited', 5, 4, exitedAssigning('State1', 42, { answer: '<omitted>' })],
      ['ExecutionSucceeded', 6, 5, succeeded(42)],
    ]);
  });

  test('test_assign_in_choice_state[CORRECT]: no rule matches, so the state’s Assign applies, against its input', () => {
    const h = start(
      {
        Comment: 'BASE_ASSIGN_IN_CHOICE',
        StartAt: 'CheckInputState',
        States: {
          CheckInputState: {
            Type: 'Choice',
            Choices: [
              {
                Variable: '$.input_value',
                IsPresent: false,
                Assign: { status: 'UNKNOWN' },
                Next: 'FinalState',
              },
              {
                Variable: '$.input_value',
                NumericEquals: 42,
                Assign: { status: 'CORRECT' },
                Next: 'FinalState',
              },
            ],
            Assign: { status: 'INCORRECT', 'guess.$': '$.input_value' },
            Default: 'FinalState',
          },
          FinalState: { Type: 'Pass', Parameters: { 'result.$': '$status' }, End: true },
        },
      },
      { input_value: '42' },
    );
    const input = { input_value: '42' };
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started(input)],
      ['ChoiceStateEntered', 2, 0, entered('CheckInputState', input)],
      [
        'ChoiceStateExited',
        3,
        2,
        exitedAssigning('CheckInputState', input, { guess: '42', status: 'INCORRECT' }),
      ],
      ['PassStateEntered', 4, 3, entered('FinalState', input)],
      ['PassStateExited', 5, 4, exited('FinalState', { result: 'INCORRECT' })],
      ['ExecutionSucceeded', 6, 5, succeeded({ result: 'INCORRECT' })],
    ]);
  });
});

describe('Assign in JSONPath states: what $ means', () => {
  test('Choice: a matching rule’s Assign (not the state’s) against the effective input after InputPath', () => {
    const h = start(
      {
        StartAt: 'C',
        States: {
          C: {
            Type: 'Choice',
            InputPath: '$.inner',
            Choices: [
              { Variable: '$.n', NumericEquals: 1, Assign: { 'got.$': '$.n', 'all.$': '$' }, Next: 'X' },
            ],
            Assign: { never: true },
            Default: 'X',
          },
          X: { Type: 'Pass', End: true },
        },
      },
      { inner: { n: 1 }, other: true },
    );
    assert.deepEqual(h.history()[2], [
      'ChoiceStateExited',
      3,
      2,
      exitedAssigning('C', { n: 1 }, { got: 1, all: { n: 1 } }),
    ]);
  });

  test('Task: $ is the result, before ResultSelector; $$ is the context', () => {
    const h = start(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: ACTIVITY_ARN,
            Assign: { 'r.$': '$.v', 'state.$': '$$.State.Name' },
            ResultSelector: { 'w.$': '$.v' },
            ResultPath: '$.res',
            Next: 'Read',
          },
          Read: { Type: 'Pass', Parameters: { 'r.$': '$r', 'state.$': '$state' }, End: true },
        },
      },
      { k: 1 },
    );
    h.succeed(h.token(), { v: 'x' });
    assert.deepEqual(h.historyFrom(4), [
      ['ActivitySucceeded', 4, 3, succeeded({ v: 'x' })],
      ['TaskStateExited', 5, 4, exitedAssigning('T', { k: 1, res: { w: 'x' } }, { r: 'x', state: 'T' })],
      ['PassStateEntered', 6, 5, entered('Read', { k: 1, res: { w: 'x' } })],
      ['PassStateExited', 7, 6, exited('Read', { r: 'x', state: 'T' })],
      ['ExecutionSucceeded', 8, 7, succeeded({ r: 'x', state: 'T' })],
    ]);
  });

  test('Catch: the catcher’s Assign replaces the state’s, with the error output as $', () => {
    const h = start(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: ACTIVITY_ARN,
            Assign: { a: 'from the state' },
            Catch: [
              {
                ErrorEquals: ['Boom'],
                Assign: { 'b.$': '$.Cause', 'e.$': '$.Error' },
                ResultPath: '$.err',
                Next: 'Read',
              },
            ],
            End: true,
          },
          Read: {
            Type: 'Pass',
            QueryLanguage: 'JSONata',
            Output: { b: '{% $b %}', e: '{% $e %}', aAssigned: '{% $exists($a) %}' },
            End: true,
          },
        },
      },
      { k: 1 },
    );
    h.fail(h.token(), 'Boom', 'bad');
    const output = { k: 1, err: { Error: 'Boom', Cause: 'bad' } };
    assert.deepEqual(h.historyFrom(4), [
      ['ActivityFailed', 4, 3, { error: 'Boom', cause: 'bad' }],
      ['TaskStateExited', 5, 4, exitedAssigning('T', output, { b: 'bad', e: 'Boom' })],
      ['PassStateEntered', 6, 5, entered('Read', output)],
      ['PassStateExited', 7, 6, exited('Read', { b: 'bad', e: 'Boom', aAssigned: false })],
      ['ExecutionSucceeded', 8, 7, succeeded({ b: 'bad', e: 'Boom', aAssigned: false })],
    ]);
  });

  test('a catcher without Assign assigns nothing, even when the state has an Assign', () => {
    const h = start(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: ACTIVITY_ARN,
            Assign: { a: 1 },
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'End' }],
            End: true,
          },
          End: { Type: 'Succeed' },
        },
      },
      {},
    );
    h.fail(h.token(), 'Boom', 'bad');
    assert.deepEqual(h.history()[4], ['TaskStateExited', 5, 4, exited('T', { Error: 'Boom', Cause: 'bad' })]);
  });

  test('Map and Parallel: $ is the array of results; the variable lands in the enclosing scope', () => {
    const h = start(
      {
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } },
            Assign: { 'mapped.$': '$' },
            ResultPath: null,
            Next: 'P',
          },
          P: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'B', States: { B: { Type: 'Pass', Result: 'b', End: true } } }],
            Assign: { 'first.$': '$[0]' },
            Next: 'Read',
          },
          Read: { Type: 'Pass', Parameters: { 'mapped.$': '$mapped', 'first.$': '$first' }, End: true },
        },
      },
      [1, 2],
    );
    assert.deepEqual(h.output(), { mapped: [1, 2], first: 'b' });
    const exits = h.history().filter(([type]) => type === 'MapStateExited' || type === 'ParallelStateExited');
    assert.deepEqual(
      exits.map(([, , , details]) => details?.['assignedVariables']),
      [{ mapped: '[1,2]' }, { first: '"b"' }],
    );
  });
});

describe('variables in inner scopes', () => {
  test('recorded case test_reference_in_map_state[MAP_STATE_REFERENCE_IN_INTRINSIC_FUNCTION]: ItemSelector and iterations read outer variables', () => {
    const h = start(
      {
        Comment: 'MAP_STATE_REFERENCE_IN_INTRINSIC_FUNCTION',
        StartAt: 'Start',
        States: {
          Start: {
            Type: 'Pass',
            Assign: { AnswerTemplate: "It's {}!", Question: "Who's that Pokemon?" },
            Result: ['Charizard', 'Pikachu', 'Squirtle'],
            Next: 'MapIterateState',
          },
          MapIterateState: {
            Type: 'Map',
            MaxConcurrency: 1,
            ItemSelector: { 'AnnouncePokemon.$': 'States.Format($AnswerTemplate, $$.Map.Item.Value)' },
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'Pass',
              States: {
                Pass: {
                  Type: 'Pass',
                  Parameters: { 'Question.$': '$Question', 'Answer.$': '$.AnnouncePokemon' },
                  End: true,
                },
              },
            },
            End: true,
          },
        },
      },
      {},
    );
    const names = ['Charizard', 'Pikachu', 'Squirtle'];
    // In Parameters' order: the recording's objects were re-serialized with sorted keys.
    const answer = (name: string): Json => ({ Question: "Who's that Pokemon?", Answer: `It's ${name}!` });
    const iteration = (first: number, previous: number, index: number): HistoryTuple[] => {
      const name = names[index] as string;
      return [
        ['MapIterationStarted', first, previous, { index, name: 'MapIterateState' }],
        ['PassStateEntered', first + 1, first, entered('Pass', { AnnouncePokemon: `It's ${name}!` })],
        ['PassStateExited', first + 2, first + 1, exited('Pass', answer(name))],
        ['MapIterationSucceeded', first + 3, first + 2, { index, name: 'MapIterateState' }],
      ];
    };
    const output = names.map(answer);
    assert.deepEqual(h.history(), [
      ['ExecutionStarted', 1, 0, started({})],
      ['PassStateEntered', 2, 0, entered('Start', {})],
      [
        'PassStateExited',
        3,
        2,
        exitedAssigning('Start', names, { AnswerTemplate: "It's {}!", Question: "Who's that Pokemon?" }),
      ],
      ['MapStateEntered', 4, 3, entered('MapIterateState', names)],
      ['MapStateStarted', 5, 4, { length: 3 }],
      ...iteration(6, 5, 0),
      ...iteration(10, 8, 1),
      ...iteration(14, 12, 2),
      ['MapStateSucceeded', 18, 17, undefined],
      ['MapStateExited', 19, 17, exited('MapIterateState', output)],
      ['ExecutionSucceeded', 20, 19, succeeded(output)],
    ]);
  });

  test('recorded case test_reference_in_map_state[MAP_STATE_REFERENCE_IN_ITEMS_PATH]: ItemsPath reads a variable', () => {
    const h = start(
      {
        Comment: 'MAP_STATE_REFERENCE_IN_ITEMS_PATH',
        StartAt: 'Start',
        States: {
          Start: {
            Type: 'Pass',
            Assign: { Question: "Who's that Pokemon?", PokemonList: ['Charizard', 'Pikachu', 'Squirtle'] },
            Result: { AnswerTemplate: "It's {}!" },
            Next: 'MapIterateState',
          },
          MapIterateState: {
            Type: 'Map',
            MaxConcurrency: 1,
            ItemsPath: '$PokemonList',
            ItemSelector: { 'AnnouncePokemon.$': 'States.Format($.AnswerTemplate, $$.Map.Item.Value)' },
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'Pass',
              States: {
                Pass: {
                  Type: 'Pass',
                  Parameters: { 'Question.$': '$Question', 'Answer.$': '$.AnnouncePokemon' },
                  End: true,
                },
              },
            },
            End: true,
          },
        },
      },
      {},
    );
    const names = ['Charizard', 'Pikachu', 'Squirtle'];
    assert.deepEqual(h.history()[2], [
      'PassStateExited',
      3,
      2,
      exitedAssigning(
        'Start',
        { AnswerTemplate: "It's {}!" },
        { Question: "Who's that Pokemon?", PokemonList: names },
      ),
    ]);
    assert.deepEqual(h.history()[4], ['MapStateStarted', 5, 4, { length: 3 }]);
    assert.deepEqual(
      h.output(),
      names.map((name) => ({ Answer: `It's ${name}!`, Question: "Who's that Pokemon?" })),
    );
  });

  test('an iteration’s own assignments live in its own scope: visible to its later states, not to the parent', () => {
    const h = start(
      {
        StartAt: 'Init',
        States: {
          Init: { Type: 'Pass', Assign: { outer: 'O' }, Next: 'M' },
          M: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: {
              StartAt: 'Mine',
              States: {
                Mine: { Type: 'Pass', Assign: { 'mine.$': '$' }, Next: 'T' },
                T: {
                  Type: 'Task',
                  Resource: ACTIVITY_ARN,
                  Parameters: { 'mine.$': '$mine', 'outer.$': '$outer' },
                  End: true,
                },
              },
            },
            ResultPath: '$.results',
            Next: 'After',
          },
          After: {
            Type: 'Pass',
            QueryLanguage: 'JSONata',
            Output: {
              outer: '{% $outer %}',
              leaked: '{% $exists($mine) %}',
              results: '{% $states.input.results %}',
            },
            End: true,
          },
        },
      },
      { items: ['a', 'b'] },
    );
    const inputs = [...h.tasks.values()].map((t) => [t.threadId, JSON.parse(t.input) as Json]);
    assert.deepEqual(inputs, [
      ['root/0', { mine: 'a', outer: 'O' }],
      ['root/1', { mine: 'b', outer: 'O' }],
    ]);
    assert.deepEqual(h.threads.get('root')?.variables, { outer: 'O' });
    assert.deepEqual(h.threads.get('root/0')?.variables, { mine: 'a' });
    assert.deepEqual(h.threads.get('root/1')?.variables, { mine: 'b' });
    assert.deepEqual(
      h.history().filter(([type]) => type === 'ActivityScheduled'),
      [
        ['ActivityScheduled', 10, 9, scheduled({ mine: 'a', outer: 'O' })],
        ['ActivityScheduled', 15, 14, scheduled({ mine: 'b', outer: 'O' })],
      ],
    );
    h.succeed(h.tokenOf('root/1'), 'B');
    h.succeed(h.tokenOf('root/0'), 'A');
    assert.deepEqual(h.output(), { outer: 'O', leaked: false, results: ['A', 'B'] });
  });

  test('sibling iterations do not see each other’s assignments', () => {
    const h = start(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            MaxConcurrency: 1,
            ItemProcessor: {
              StartAt: 'First',
              States: {
                First: {
                  Type: 'Pass',
                  Output: { before: '{% $exists($mine) %}' },
                  Assign: { mine: '{% $states.input %}' },
                  Next: 'Second',
                },
                Second: {
                  Type: 'Pass',
                  Output: { before: '{% $states.input.before %}', mine: '{% $mine %}' },
                  End: true,
                },
              },
            },
            End: true,
          },
        },
      },
      ['a', 'b'],
    );
    assert.deepEqual(h.output(), [
      { before: false, mine: 'a' },
      { before: false, mine: 'b' },
    ]);
  });

  test('Parallel branches read outer variables; their assignments stay in the branch', () => {
    const h = start(
      {
        StartAt: 'Init',
        States: {
          Init: { Type: 'Pass', Assign: { outer: 1 }, Next: 'P' },
          P: {
            Type: 'Parallel',
            Branches: [
              {
                StartAt: 'A1',
                States: {
                  A1: { Type: 'Pass', Assign: { inA: 'a' }, Next: 'A2' },
                  A2: { Type: 'Pass', Parameters: { 'inA.$': '$inA', 'outer.$': '$outer' }, End: true },
                },
              },
              {
                StartAt: 'B1',
                States: {
                  B1: {
                    Type: 'Pass',
                    QueryLanguage: 'JSONata',
                    Output: { sawA: '{% $exists($inA) %}', outer: '{% $outer %}' },
                    End: true,
                  },
                },
              },
            ],
            Next: 'After',
          },
          After: {
            Type: 'Pass',
            QueryLanguage: 'JSONata',
            Output: { branches: '{% $states.input %}', leaked: '{% $exists($inA) %}' },
            End: true,
          },
        },
      },
      {},
    );
    assert.deepEqual(h.output(), {
      branches: [
        { inA: 'a', outer: 1 },
        { sawA: false, outer: 1 },
      ],
      leaked: false,
    });
  });
});
