import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { Diagnostic } from '../src/asl/validate.js';
import { formatInvalidDefinition, validateDefinition } from '../src/asl/validate.js';

type Options = Parameters<typeof validateDefinition>[1];

/** `[code, message, location]` of every ERROR, in order. */
function errorsOf(definition: unknown, options?: Options): [string, string, string][] {
  const text = typeof definition === 'string' ? definition : JSON.stringify(definition);
  return validateDefinition(text, options)
    .diagnostics.filter((d) => d.severity === 'ERROR')
    .map((d) => [d.code, d.message, d.location]);
}

function schema(message: string, location: string): [string, string, string] {
  return ['SCHEMA_VALIDATION_FAILED', message, location];
}

function assertValid(definition: unknown, options?: Options): void {
  assert.deepEqual(errorsOf(definition, options), []);
}

/** A machine whose single state `S` is the given one (End added unless it says otherwise). */
function single(state: Record<string, unknown>, top: Record<string, unknown> = {}): unknown {
  return { ...top, StartAt: 'S', States: { S: state } };
}

const ACTIVITY = 'arn:aws:states:us-east-1:123456789012:activity:a';
const LAMBDA = 'arn:aws:states:::lambda:invoke';

void describe('validateDefinition: JSON and the top level', () => {
  void it('reports unparsable JSON as INVALID_JSON_DESCRIPTION without a definition', () => {
    const result = validateDefinition('{"StartAt": "A",');
    assert.equal(result.definition, undefined);
    assert.equal(result.diagnostics.length, 1);
    assert.equal(result.diagnostics[0]?.code, 'INVALID_JSON_DESCRIPTION');
    assert.equal(result.diagnostics[0]?.location, '');
  });

  void it('reports trailing commas and trailing garbage', () => {
    assert.equal(errorsOf('{"StartAt":"A",}')[0]?.[0], 'INVALID_JSON_DESCRIPTION');
    assert.equal(errorsOf('{} x')[0]?.[0], 'INVALID_JSON_DESCRIPTION');
  });

  void it('reports an empty definition as MISSING_DESCRIPTION', () => {
    assert.deepEqual(errorsOf('   '), [
      ['MISSING_DESCRIPTION', 'Received a null or empty workflow input.', ''],
    ]);
  });

  void it('requires an object', () => {
    assert.deepEqual(errorsOf('[]'), [schema('Value should be an object', '/')]);
  });

  void it('requires States, with the AWS message', () => {
    const result = validateDefinition('{"StartAt": "A"}');
    assert.deepEqual(
      result.diagnostics.map((d) => [d.code, d.message, d.location]),
      [schema('These fields are required: [States]', '/')],
    );
    assert.equal(
      formatInvalidDefinition(result.diagnostics),
      'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /',
    );
  });

  void it('lists every missing required field', () => {
    assert.deepEqual(errorsOf({}), [schema('These fields are required: [StartAt, States]', '/')]);
  });

  void it('requires StartAt to name a state', () => {
    assert.deepEqual(errorsOf({ StartAt: 'Nope', States: { A: { Type: 'Pass', End: true } } }), [
      ['MISSING_TRANSITION_TARGET', "Missing 'Next' target: Nope", '/StartAt'],
      ['MISSING_TRANSITION_TARGET', 'State "A" is not reachable.', '/States/A'],
    ]);
  });

  void it('accepts only Version 1.0', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Succeed' }, { Version: '2.0' })), [
      schema('Value should be one of the following: [1.0]', '/Version'),
    ]);
    assertValid(single({ Type: 'Succeed' }, { Version: '1.0' }));
  });

  void it('bounds TimeoutSeconds to an integer in 0..99999999', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Succeed' }, { TimeoutSeconds: -1 })), [
      schema('Value should be greater than or equal to 0', '/TimeoutSeconds'),
    ]);
    assert.deepEqual(errorsOf(single({ Type: 'Succeed' }, { TimeoutSeconds: 100000000 })), [
      schema('Value should be less than or equal to 99999999', '/TimeoutSeconds'),
    ]);
    assert.deepEqual(errorsOf(single({ Type: 'Succeed' }, { TimeoutSeconds: 1.5 })), [
      schema('Value should be an integer', '/TimeoutSeconds'),
    ]);
    assertValid(single({ Type: 'Succeed' }, { TimeoutSeconds: 0 }));
  });

  void it('accepts QueryLanguage JSONPath or JSONata only', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Succeed' }, { QueryLanguage: 'jsonata' })), [
      schema('Value should be one of the following: [JSONPath, JSONata]', '/QueryLanguage'),
    ]);
  });

  void it('refuses unknown top-level fields', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Succeed' }, { Coment: 'typo' })), [
      schema("Field 'Coment' is not supported", '/'),
    ]);
  });

  void it('returns the definition when there is no error', () => {
    const result = validateDefinition(JSON.stringify(single({ Type: 'Pass', End: true }, { Comment: 'c' })));
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.definition?.StartAt, 'S');
    assert.equal(result.definition.States['S']?.Type, 'Pass');
  });

  void it('does not let a "__proto__" key reach the prototype', () => {
    const text = '{"StartAt":"S","States":{"S":{"Type":"Pass","Result":{"__proto__":{"x":1}},"End":true}}}';
    const result = validateDefinition(text);
    const pass = result.definition?.States['S'];
    assert.ok(pass && pass.Type === 'Pass');
    const value = pass.Result as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ['__proto__']);
  });

  void it('refuses absurd nesting instead of overflowing the stack', () => {
    const text = '['.repeat(5000) + ']'.repeat(5000);
    assert.deepEqual(errorsOf(text), [['TOO_DEEPLY_NESTED', 'The states are too deeply nested.', '']]);
  });
});

void describe('validateDefinition: states', () => {
  void it('names the eight types', () => {
    assert.deepEqual(errorsOf({ StartAt: 'X', States: { X: { Type: 'Foo' } } }), [
      schema(
        "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]",
        '/States/X/Type',
      ),
    ]);
  });

  void it('requires Type', () => {
    assert.deepEqual(errorsOf(single({ End: true })), [
      schema('These fields are required: [Type]', '/States/S'),
    ]);
  });

  void it('refuses unknown fields at the state', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Pass', End: true, Foo: 1 })), [
      schema("Field 'Foo' is not supported", '/States/S'),
    ]);
  });

  void it('refuses fields a state type does not have', () => {
    const map = {
      Type: 'Map',
      TimeoutSeconds: 5,
      ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Succeed' } } },
      End: true,
    };
    assert.deepEqual(errorsOf({ StartAt: 'M', States: { M: map } }), [
      schema("Field 'TimeoutSeconds' is not supported", '/States/M'),
    ]);
    assert.deepEqual(errorsOf(single({ Type: 'Pass', End: true, Catch: [] })), [
      schema("Field 'Catch' is not supported", '/States/S'),
    ]);
    assert.deepEqual(errorsOf(single({ Type: 'Fail', InputPath: '$' })), [
      schema("Field 'InputPath' is not supported", '/States/S'),
    ]);
  });

  void it('refuses JSONata-only fields in a JSONPath state and the reverse', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Pass', End: true, Output: {} })), [
      schema(
        "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage",
        '/States/S',
      ),
    ]);
    assert.deepEqual(
      errorsOf(single({ Type: 'Pass', End: true, InputPath: '$' }, { QueryLanguage: 'JSONata' })),
      [
        schema(
          "The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage",
          '/States/S',
        ),
      ],
    );
    assertValid(single({ Type: 'Pass', End: true, QueryLanguage: 'JSONata', Output: '{% $states.input %}' }));
  });

  void it('refuses a JSONPath state in a JSONata machine', () => {
    assert.deepEqual(
      errorsOf(single({ Type: 'Pass', End: true, QueryLanguage: 'JSONPath' }, { QueryLanguage: 'JSONata' })),
      [
        schema(
          "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
          '/States/S',
        ),
      ],
    );
  });

  void it('limits state names to 80 characters', () => {
    const ok = 'n'.repeat(80);
    assertValid({ StartAt: ok, States: { [ok]: { Type: 'Succeed' } } });
    const long = 'n'.repeat(81);
    assert.deepEqual(errorsOf({ StartAt: long, States: { [long]: { Type: 'Succeed' } } }), [
      [
        'INVALID_STATE_NAME',
        `State name '${long}' exceeds the 80-character limit allowed by the service`,
        `/States/${long}`,
      ],
    ]);
  });

  void it('requires state names unique across the whole machine', () => {
    const definition = {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }],
          Next: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    };
    assert.deepEqual(errorsOf(definition), [
      ['DUPLICATE_STATE_NAME', 'Duplicate State name: Done', '/States/Done'],
    ]);
  });

  void it('sees a state name repeated inside one States object', () => {
    const text = '{"StartAt":"A","States":{"A":{"Type":"Succeed"},"A":{"Type":"Succeed"}}}';
    assert.deepEqual(errorsOf(text), [['DUPLICATE_STATE_NAME', 'Duplicate State name: A', '/States/A']]);
  });

  void it('requires exactly one of Next and End', () => {
    assert.deepEqual(
      errorsOf({
        StartAt: 'A',
        States: { A: { Type: 'Pass', Next: 'B', End: true }, B: { Type: 'Succeed' } },
      }),
      [schema('There should only be one of the following fields: [Next, End]', '/States/A')],
    );
    assert.deepEqual(errorsOf(single({ Type: 'Pass' })), [
      schema('This object should have only one of the following fields: [Next, End]', '/States/S'),
    ]);
    assert.deepEqual(errorsOf(single({ Type: 'Pass', End: 'yes' })), [
      schema('Value should be a boolean', '/States/S/End'),
      schema('This object should have only one of the following fields: [Next, End]', '/States/S'),
    ]);
  });

  void it('reports missing transition targets and unreachable states in AWS order', () => {
    const definition = {
      StartAt: 'pass1',
      States: {
        pass1: { Type: 'Pass', Next: 'pass3' },
        pass2: { Type: 'Pass', End: true },
      },
    };
    const result = validateDefinition(JSON.stringify(definition));
    assert.equal(
      formatInvalidDefinition(result.diagnostics),
      "MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/pass1/Next, " +
        'MISSING_TRANSITION_TARGET: State "pass2" is not reachable. at /States/pass2',
    );
  });

  void it('keeps Next inside its own States scope', () => {
    const definition = {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'In', States: { In: { Type: 'Pass', Next: 'Out' } } }],
          Next: 'Out',
        },
        Out: { Type: 'Succeed' },
      },
    };
    assert.deepEqual(errorsOf(definition), [
      ['MISSING_TRANSITION_TARGET', "Missing 'Next' target: Out", '/States/P/Branches[0]/States/In/Next'],
      ['MISSING_END_STATE', 'Workflow has no terminal state', '/States/P/Branches[0]'],
    ]);
  });

  void it('reports a workflow without a terminal state, without a location', () => {
    const loop = { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'A' } };
    const result = validateDefinition(
      JSON.stringify({ StartAt: 'A', States: { ...loop, X: { Type: 'Pass', Next: 'A' } } }),
    );
    assert.deepEqual(
      result.diagnostics.map((d) => [d.code, d.message, d.location]),
      [['MISSING_END_STATE', 'Workflow has no terminal state', '']],
    );
    assert.equal(
      formatInvalidDefinition(result.diagnostics),
      'MISSING_END_STATE: Workflow has no terminal state at null',
    );
    assert.deepEqual(errorsOf({ StartAt: 'A', States: { ...loop, C: { Type: 'Pass', End: true } } }), [
      ['MISSING_TRANSITION_TARGET', 'State "C" is not reachable.', '/States/C'],
    ]);
  });

  void it('follows Catch and Default edges for reachability', () => {
    assertValid({
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: LAMBDA, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'C' }], End: true },
        C: { Type: 'Choice', Choices: [{ Variable: '$.x', IsPresent: true, Next: 'Y' }], Default: 'Z' },
        Y: { Type: 'Succeed' },
        Z: { Type: 'Fail' },
      },
    });
  });
});

void describe('validateDefinition: Choice', () => {
  const choice = (state: Record<string, unknown>, top: Record<string, unknown> = {}): unknown => ({
    ...top,
    StartAt: 'C',
    States: { C: { Type: 'Choice', ...state }, Y: { Type: 'Succeed' } },
  });
  const rule = { Variable: '$.x', NumericEquals: 1, Next: 'Y' };

  void it('requires a non-empty Choices', () => {
    assert.deepEqual(errorsOf(choice({ Default: 'Y' })), [
      schema('These fields are required: [Choices]', '/States/C'),
    ]);
    assert.deepEqual(errorsOf(choice({ Choices: [], Default: 'Y' })), [
      schema('Value cannot be empty', '/States/C/Choices'),
    ]);
  });

  void it('cannot be an End state', () => {
    assert.deepEqual(errorsOf(choice({ Choices: [rule], End: true })), [
      schema("Field 'End' is not supported", '/States/C'),
    ]);
  });

  void it('requires Next on top-level rules and refuses it on nested ones', () => {
    assert.deepEqual(errorsOf(choice({ Choices: [{ Variable: '$.x', IsNull: true }], Default: 'Y' })), [
      schema('These fields are required: [Next]', '/States/C/Choices[0]'),
    ]);
    const nested = { Not: { Variable: '$.x', IsNull: true, Next: 'Y' }, Next: 'Y' };
    assert.deepEqual(errorsOf(choice({ Choices: [nested] })), [
      schema("Field 'Next' is not supported", '/States/C/Choices[0]/Not'),
    ]);
  });

  void it('requires exactly one comparator of the right type', () => {
    assert.deepEqual(
      errorsOf(choice({ Choices: [{ ...rule, StringEquals: 'a' }] }))[0]?.[1].startsWith(
        'There should only be one of the following fields: [StringEquals, StringEqualsPath,',
      ),
      true,
    );
    assert.deepEqual(errorsOf(choice({ Choices: [{ Variable: '$.x', Next: 'Y' }] })).length, 1);
    assert.deepEqual(errorsOf(choice({ Choices: [{ Variable: '$.x', NumericEquals: '1', Next: 'Y' }] })), [
      schema('Value should be a number', '/States/C/Choices[0]/NumericEquals'),
    ]);
    assert.deepEqual(errorsOf(choice({ Choices: [{ Variable: '$.x', BooleanEquals: 'true', Next: 'Y' }] })), [
      schema('Value should be a boolean', '/States/C/Choices[0]/BooleanEquals'),
    ]);
    assert.deepEqual(
      errorsOf(
        choice({ Choices: [{ Variable: '$.x', TimestampEquals: '2016-03-14 01:59:00Z', Next: 'Y' }] }),
      ),
      [schema('String does not match RFC3339 timestamp', '/States/C/Choices[0]/TimestampEquals')],
    );
    assert.deepEqual(errorsOf(choice({ Choices: [{ Variable: '$.x', StringEqualsPath: 'x', Next: 'Y' }] })), [
      schema(
        "The value for the field 'StringEqualsPath' must be a valid ReferencePath",
        '/States/C/Choices[0]/StringEqualsPath',
      ),
    ]);
    assert.deepEqual(errorsOf(choice({ Choices: [{ Variable: 'x', IsNull: true, Next: 'Y' }] })), [
      schema(
        "The value for the field 'Variable' must be a valid ReferencePath",
        '/States/C/Choices[0]/Variable',
      ),
    ]);
  });

  void it('requires one of And, Or, Not, Variable per rule', () => {
    assert.deepEqual(errorsOf(choice({ Choices: [{ Next: 'Y' }] })), [
      schema(
        'The object must have only one of the following fields, [And, Or, Not, Variable, Condition]',
        '/States/C/Choices[0]',
      ),
    ]);
    assert.deepEqual(errorsOf(choice({ Choices: [{ And: [], Next: 'Y' }] })), [
      schema('Value cannot be empty', '/States/C/Choices[0]/And'),
    ]);
  });

  void it('accepts Boolean combinators, variables and context paths', () => {
    assertValid(
      choice({
        Choices: [
          {
            And: [
              { Variable: '$$.Execution.Name', StringMatches: 'a*' },
              {
                Or: [
                  { Variable: '$x', NumericGreaterThanPath: '$.y' },
                  { Not: { Variable: '$.z', IsNull: true } },
                ],
              },
            ],
            Next: 'Y',
            Assign: { seen: true },
          },
        ],
        Default: 'Y',
      }),
    );
  });

  void it('checks Default as a transition', () => {
    assert.deepEqual(errorsOf(choice({ Choices: [rule], Default: 'Nope' })), [
      ['MISSING_TRANSITION_TARGET', "Missing 'Next' target: Nope", '/States/C/Default'],
    ]);
    assert.deepEqual(errorsOf(choice({ Choices: [{ ...rule, Next: 'Nope' }] })), [
      ['MISSING_TRANSITION_TARGET', "Missing 'Next' target: Nope", '/States/C/Choices[0]/Next'],
      ['MISSING_TRANSITION_TARGET', 'State "Y" is not reachable.', '/States/Y'],
    ]);
  });

  void it('uses Condition under JSONata and Variable under JSONPath', () => {
    const jsonata = { QueryLanguage: 'JSONata' };
    assertValid(
      choice({ Choices: [{ Condition: '{% $states.input.x = 1 %}', Next: 'Y', Output: 1 }] }, jsonata),
    );
    assert.deepEqual(errorsOf(choice({ Choices: [rule] }, jsonata)), [
      schema(
        "The QueryLanguage is set to 'JSONata', but field 'Variable' is only supported for the 'JSONPath' QueryLanguage",
        '/States/C/Choices[0]',
      ),
      schema(
        "The QueryLanguage is set to 'JSONata', but field 'NumericEquals' is only supported for the 'JSONPath' QueryLanguage",
        '/States/C/Choices[0]',
      ),
      schema('These fields are required: [Condition]', '/States/C/Choices[0]'),
    ]);
    assert.deepEqual(errorsOf(choice({ Choices: [{ Condition: true, Next: 'Y' }] })), [
      schema(
        "The QueryLanguage is set to 'JSONPath', but field 'Condition' is only supported for the 'JSONata' QueryLanguage",
        '/States/C/Choices[0]',
      ),
    ]);
  });
});

void describe('validateDefinition: Wait', () => {
  void it('requires exactly one of its four timing fields', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Wait', End: true })), [
      schema(
        'This object should have only one of the following fields: [SecondsPath, Seconds, TimestampPath, Timestamp]',
        '/States/S',
      ),
    ]);
    assert.deepEqual(errorsOf(single({ Type: 'Wait', Seconds: 1, SecondsPath: '$.s', End: true })), [
      schema(
        'There should only be one of the following fields: [SecondsPath, Seconds, TimestampPath, Timestamp]',
        '/States/S',
      ),
    ]);
  });

  void it('requires an RFC 3339 Timestamp with uppercase T and Z', () => {
    for (const bad of [
      '2016-12-05 21:29:29Z',
      '2016-12-05t21:29:29Z',
      '2016-12-05T21:29:29',
      '2016-12-05T21:29:29z',
      '2016-02-30T00:00:00Z',
      '2016-12-05T24:00:00Z',
    ]) {
      assert.deepEqual(
        errorsOf({ StartAt: 'W', States: { W: { Type: 'Wait', Timestamp: bad, End: true } } }),
        [schema('String does not match RFC3339 timestamp', '/States/W/Timestamp')],
        bad,
      );
    }
    for (const good of [
      '2016-03-14T01:59:00Z',
      '2016-03-14T01:59:00.123Z',
      '2016-03-14T01:59:00+05:30',
      '2024-02-29T00:00:00Z',
    ]) {
      assertValid(single({ Type: 'Wait', Timestamp: good, End: true }));
    }
  });

  void it('checks Seconds and the path forms', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Wait', Seconds: -1, End: true })), [
      schema('Value should be greater than or equal to 0', '/States/S/Seconds'),
    ]);
    assert.deepEqual(errorsOf(single({ Type: 'Wait', Seconds: '5', End: true })), [
      schema('Value should be an integer', '/States/S/Seconds'),
    ]);
    assert.deepEqual(errorsOf(single({ Type: 'Wait', SecondsPath: '$.a[*]', End: true })), [
      schema("The value for the field 'SecondsPath' must be a valid ReferencePath", '/States/S/SecondsPath'),
    ]);
    assertValid(single({ Type: 'Wait', TimestampPath: '$$.Execution.StartTime', End: true }));
  });

  void it('accepts JSONata expressions for Seconds and Timestamp', () => {
    const jsonata = { QueryLanguage: 'JSONata' };
    assertValid(single({ Type: 'Wait', Seconds: '{% $states.input.s %}', End: true }, jsonata));
    assertValid(single({ Type: 'Wait', Timestamp: '{% $states.input.t %}', End: true }, jsonata));
  });
});

void describe('validateDefinition: Task', () => {
  void it('requires a string Resource that looks like an ARN', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Task', End: true })), [
      schema('These fields are required: [Resource]', '/States/S'),
    ]);
    assert.deepEqual(errorsOf(single({ Type: 'Task', Resource: 1, End: true })), [
      schema('Value should be a string', '/States/S/Resource'),
    ]);
    assert.deepEqual(errorsOf(single({ Type: 'Task', Resource: 'my-function', End: true })), [
      schema('Value is not a valid resource ARN', '/States/S/Resource'),
    ]);
  });

  void it('checks TimeoutSeconds and HeartbeatSeconds', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Task', Resource: ACTIVITY, TimeoutSeconds: 0, End: true })), [
      schema('Value should be greater than or equal to 1', '/States/S/TimeoutSeconds'),
    ]);
    assert.deepEqual(
      errorsOf(
        single({ Type: 'Task', Resource: ACTIVITY, TimeoutSeconds: 5, TimeoutSecondsPath: '$.t', End: true }),
      ),
      [
        schema(
          'There should only be one of the following fields: [TimeoutSeconds, TimeoutSecondsPath]',
          '/States/S',
        ),
      ],
    );
    assert.deepEqual(
      errorsOf(
        single({ Type: 'Task', Resource: ACTIVITY, TimeoutSeconds: 5, HeartbeatSeconds: 5, End: true }),
      ),
      [schema('HeartbeatSeconds must be less than TimeoutSeconds', '/States/S/HeartbeatSeconds')],
    );
    assertValid(
      single({ Type: 'Task', Resource: ACTIVITY, TimeoutSeconds: 5, HeartbeatSeconds: 4, End: true }),
    );
    assertValid(single({ Type: 'Task', Resource: ACTIVITY, HeartbeatSecondsPath: '$.h', End: true }));
  });

  void it('requires RoleArn in Credentials', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Task', Resource: LAMBDA, Credentials: {}, End: true })), [
      schema("The field 'RoleArn' is required but was missing", '/States/S/Credentials'),
    ]);
    assertValid(
      single({ Type: 'Task', Resource: LAMBDA, Credentials: { 'RoleArn.$': '$.role' }, End: true }),
    );
  });

  void it('refuses activities and .sync/.waitForTaskToken in EXPRESS machines, with AWS wording', () => {
    const express = { type: 'EXPRESS' } as const;
    assert.deepEqual(
      errorsOf({ StartAt: 'A', States: { A: { Type: 'Task', Resource: ACTIVITY, End: true } } }, express),
      [schema('Express state machine does not support Activity ARN', '/States/A/Resource')],
    );
    const sync = {
      StartAt: 'S',
      States: { S: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', End: true } },
    };
    assert.equal(
      formatInvalidDefinition(validateDefinition(JSON.stringify(sync), express).diagnostics),
      "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at /States/S/Resource",
    );
    const callback = {
      StartAt: 'P',
      States: { P: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish.waitForTaskToken', End: true } },
    };
    assert.equal(
      formatInvalidDefinition(validateDefinition(JSON.stringify(callback), express).diagnostics),
      "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at /States/P/Resource",
    );
    assertValid(
      { StartAt: 'A', States: { A: { Type: 'Task', Resource: ACTIVITY, End: true } } },
      { type: 'STANDARD' },
    );
  });
});

void describe('validateDefinition: Retry and Catch', () => {
  const task = (extra: Record<string, unknown>): unknown => ({
    StartAt: 'T',
    States: { T: { Type: 'Task', Resource: LAMBDA, End: true, ...extra }, H: { Type: 'Succeed' } },
  });

  void it('requires a non-empty ErrorEquals', () => {
    assert.deepEqual(errorsOf(task({ Retry: [{}] })), [
      schema('These fields are required: [ErrorEquals]', '/States/T/Retry[0]'),
      ['MISSING_TRANSITION_TARGET', 'State "H" is not reachable.', '/States/H'],
    ]);
    assert.deepEqual(
      errorsOf(task({ Retry: [{ ErrorEquals: [] }] }))[0],
      schema('Value cannot be empty', '/States/T/Retry[0]/ErrorEquals'),
    );
  });

  void it('keeps States.ALL alone and last', () => {
    assert.deepEqual(
      errorsOf(task({ Retry: [{ ErrorEquals: ['States.ALL', 'X'] }] }))[0],
      schema('States.ALL must appear alone and at end of list', '/States/T/Retry[0]/ErrorEquals'),
    );
    assert.deepEqual(
      errorsOf(
        task({
          Catch: [
            { ErrorEquals: ['States.ALL'], Next: 'H' },
            { ErrorEquals: ['X'], Next: 'H' },
          ],
        }),
      ),
      [schema('States.ALL must appear alone and at end of list', '/States/T/Catch[0]/ErrorEquals')],
    );
  });

  void it('bounds the retrier numbers and JitterStrategy', () => {
    const retry = (r: Record<string, unknown>): [string, string, string] | undefined =>
      errorsOf(task({ Retry: [{ ErrorEquals: ['X'], ...r }] }))[0];
    assert.deepEqual(
      retry({ IntervalSeconds: 0 }),
      schema('Value should be greater than or equal to 1', '/States/T/Retry[0]/IntervalSeconds'),
    );
    assert.deepEqual(
      retry({ MaxAttempts: -1 }),
      schema('Value should be greater than or equal to 0', '/States/T/Retry[0]/MaxAttempts'),
    );
    assert.deepEqual(
      retry({ BackoffRate: 0.5 }),
      schema('Value should be greater than or equal to 1', '/States/T/Retry[0]/BackoffRate'),
    );
    assert.deepEqual(
      retry({ MaxDelaySeconds: 0 }),
      schema('Value should be greater than or equal to 1', '/States/T/Retry[0]/MaxDelaySeconds'),
    );
    assert.deepEqual(
      retry({ JitterStrategy: 'SOME' }),
      schema('Value should be one of the following: [FULL, NONE]', '/States/T/Retry[0]/JitterStrategy'),
    );
    assert.deepEqual(retry({ Foo: 1 }), schema("Field 'Foo' is not supported", '/States/T/Retry[0]'));
  });

  void it('requires Catch Next to exist and ResultPath to be writable', () => {
    assert.deepEqual(
      errorsOf(task({ Catch: [{ ErrorEquals: ['X'] }] }))[0],
      schema('These fields are required: [Next]', '/States/T/Catch[0]'),
    );
    assert.deepEqual(errorsOf(task({ Catch: [{ ErrorEquals: ['X'], Next: 'Nope' }] })), [
      ['MISSING_TRANSITION_TARGET', "Missing 'Next' target: Nope", '/States/T/Catch[0]/Next'],
      ['MISSING_TRANSITION_TARGET', 'State "H" is not reachable.', '/States/H'],
    ]);
    assert.deepEqual(errorsOf(task({ Catch: [{ ErrorEquals: ['X'], Next: 'H', ResultPath: '$$.e' }] })), [
      schema(
        "The value for the field 'ResultPath' must be a valid ReferencePath",
        '/States/T/Catch[0]/ResultPath',
      ),
    ]);
  });
});

void describe('validateDefinition: Fail, Parallel, Map', () => {
  void it('keeps Error/ErrorPath and Cause/CausePath exclusive', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Fail', Error: 'E', ErrorPath: '$.e' })), [
      schema('There should only be one of the following fields: [Error, ErrorPath]', '/States/S'),
    ]);
    assertValid(single({ Type: 'Fail', ErrorPath: "States.Format('e{}', $.x)", CausePath: '$.c' }));
    assert.deepEqual(errorsOf(single({ Type: 'Fail', CausePath: 'cause' })), [
      schema(
        "The value for the field 'CausePath' must be a valid ReferencePath or a valid intrinsic function call",
        '/States/S/CausePath',
      ),
    ]);
  });

  void it('requires non-empty Branches, each its own machine', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Parallel', Branches: [], End: true })), [
      schema('Value cannot be empty', '/States/S/Branches'),
    ]);
    const branches = [{ States: { B: { Type: 'Succeed' } } }];
    assert.deepEqual(errorsOf(single({ Type: 'Parallel', Branches: branches, End: true })), [
      schema('These fields are required: [StartAt]', '/States/S/Branches[0]'),
    ]);
    const unreachable = [{ StartAt: 'B', States: { B: { Type: 'Succeed' }, C: { Type: 'Succeed' } } }];
    assert.deepEqual(errorsOf(single({ Type: 'Parallel', Branches: unreachable, End: true })), [
      ['MISSING_TRANSITION_TARGET', 'State "C" is not reachable.', '/States/S/Branches[0]/States/C'],
    ]);
  });

  const processor = { StartAt: 'I', States: { I: { Type: 'Succeed' } } };
  const map = (extra: Record<string, unknown>, top: Record<string, unknown> = {}): unknown =>
    single({ Type: 'Map', ItemProcessor: processor, End: true, ...extra }, top);

  void it('requires one of ItemProcessor and Iterator', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Map', End: true })), [
      schema(
        'This object should have only one of the following fields: [ItemProcessor, Iterator]',
        '/States/S',
      ),
    ]);
    assertValid(single({ Type: 'Map', Iterator: processor, End: true }));
    assert.deepEqual(
      errorsOf(single({ Type: 'Map', Iterator: processor, ItemProcessor: processor, End: true }))[0],
      schema('There should only be one of the following fields: [ItemProcessor, Iterator]', '/States/S'),
    );
  });

  void it('refuses QueryLanguage on ItemProcessor', () => {
    assert.deepEqual(errorsOf(map({ ItemProcessor: { ...processor, QueryLanguage: 'JSONPath' } })), [
      schema("Field 'QueryLanguage' is not supported", '/States/S/ItemProcessor'),
    ]);
  });

  void it('checks ProcessorConfig', () => {
    const config = (c: Record<string, unknown>): unknown =>
      map({ ItemProcessor: { ...processor, ProcessorConfig: c } });
    assertValid(config({ Mode: 'INLINE' }));
    assertValid(config({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' }));
    assert.deepEqual(errorsOf(config({ Mode: 'DISTRIBUTED' })), [
      schema('These fields are required: [ExecutionType]', '/States/S/ItemProcessor/ProcessorConfig'),
    ]);
    assert.deepEqual(errorsOf(config({ Mode: 'INLINE', ExecutionType: 'STANDARD' })), [
      schema("Field 'ExecutionType' is not supported", '/States/S/ItemProcessor/ProcessorConfig'),
    ]);
    assert.deepEqual(
      errorsOf(config({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }), { type: 'EXPRESS' }),
      [
        schema(
          "The field 'Mode' with value 'DISTRIBUTED' is not supported inside 'EXPRESS' state machines",
          '/States/S/ItemProcessor/ProcessorConfig',
        ),
      ],
    );
  });

  void it('bounds MaxConcurrency and the tolerated failures', () => {
    assert.deepEqual(errorsOf(map({ MaxConcurrency: -1 })), [
      schema('Value should be greater than or equal to 0', '/States/S/MaxConcurrency'),
    ]);
    assert.deepEqual(errorsOf(map({ ToleratedFailurePercentage: 101 })), [
      schema('Value should be less than or equal to 100', '/States/S/ToleratedFailurePercentage'),
    ]);
    assert.deepEqual(errorsOf(map({ ToleratedFailureCount: 1.5 })), [
      schema('Value should be an integer', '/States/S/ToleratedFailureCount'),
    ]);
    assert.deepEqual(errorsOf(map({ MaxConcurrency: 1, MaxConcurrencyPath: '$.m' })), [
      schema(
        'There should only be one of the following fields: [MaxConcurrency, MaxConcurrencyPath]',
        '/States/S',
      ),
    ]);
    assertValid(
      map({ MaxConcurrency: 0, ToleratedFailurePercentage: 12.5, ToleratedFailureCountPath: '$.n' }),
    );
  });

  void it('checks Label', () => {
    assert.deepEqual(errorsOf(map({ Label: '' })), [
      ['INVALID_LABEL_NAME', 'Label cannot be empty', '/States/S/Label'],
    ]);
    assert.deepEqual(errorsOf(map({ Label: 'x'.repeat(41) })), [
      ['INVALID_LABEL_NAME', 'Label cannot exceed 40 characters', '/States/S/Label'],
    ]);
    assert.deepEqual(errorsOf(map({ Label: 'a b' })), [
      ['INVALID_LABEL_NAME', "Label contains invalid character: ' '", '/States/S/Label'],
    ]);
    assert.deepEqual(errorsOf(map({ Label: 'a\tb' })), [
      ['INVALID_LABEL_NAME', "Label contains invalid character: '\\u0009'", '/States/S/Label'],
    ]);
    assertValid(map({ Label: 'my-label_1' }));
    const twice = {
      StartAt: 'A',
      States: {
        A: { Type: 'Map', ItemProcessor: processor, Label: 'same', Next: 'B' },
        B: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'J', States: { J: { Type: 'Succeed' } } },
          Label: 'same',
          End: true,
        },
      },
    };
    assert.deepEqual(errorsOf(twice), [
      ['DUPLICATE_LABEL_NAME', 'Duplicate label name: same', '/States/B/Label'],
    ]);
  });

  void it('checks the JSONPath and JSONata item fields', () => {
    assert.deepEqual(errorsOf(map({ ItemsPath: '$..a' })), [
      schema("The value for the field 'ItemsPath' must be a valid ReferencePath", '/States/S/ItemsPath'),
    ]);
    assertValid(map({ ItemSelector: { 'v.$': '$$.Map.Item.Value' } }));
    assertValid(
      map(
        { Items: '{% $states.input.list %}', ItemSelector: { v: '{% $states.context.Map.Item.Value %}' } },
        { QueryLanguage: 'JSONata' },
      ),
    );
    assert.deepEqual(errorsOf(map({ Items: 5 }, { QueryLanguage: 'JSONata' })), [
      schema('Value should be an array', '/States/S/Items'),
    ]);
  });
});

void describe('validateDefinition: paths and payload templates', () => {
  void it('checks InputPath and OutputPath as paths (null allowed)', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Pass', InputPath: 'foo', End: true })), [
      schema("The value for the field 'InputPath' must be a valid JSONPath", '/States/S/InputPath'),
    ]);
    assertValid(single({ Type: 'Pass', InputPath: null, OutputPath: '$.items[*].id', End: true }));
  });

  void it('checks ResultPath as a reference path into the input', () => {
    for (const bad of ['$.a[*]', '$$.Execution', '$var', 'x']) {
      assert.deepEqual(
        errorsOf(single({ Type: 'Pass', ResultPath: bad, End: true })),
        [
          schema(
            "The value for the field 'ResultPath' must be a valid ReferencePath",
            '/States/S/ResultPath',
          ),
        ],
        bad,
      );
    }
    assertValid(single({ Type: 'Pass', ResultPath: null, End: true }));
    assertValid(single({ Type: 'Pass', ResultPath: '$.a.b[0]', End: true }));
  });

  void it('requires a path or an intrinsic call under keys ending in .$', () => {
    const parameters = { nested: [{ 'parsed.$': 'not a path' }] };
    assert.deepEqual(
      errorsOf({
        StartAt: 'X',
        States: { X: { Type: 'Pass', Parameters: { 'parsed.$': 'oops' }, End: true } },
      }),
      [
        schema(
          "The value for the field 'parsed.$' must be a valid JSONPath or a valid intrinsic function call",
          '/States/X/Parameters',
        ),
      ],
    );
    assert.deepEqual(errorsOf(single({ Type: 'Pass', Parameters: parameters, End: true })), [
      schema(
        "The value for the field 'parsed.$' must be a valid JSONPath or a valid intrinsic function call",
        '/States/S/Parameters/nested[0]',
      ),
    ]);
    assert.equal(
      errorsOf(single({ Type: 'Pass', Parameters: { 'x.$': 'States.Format(' }, End: true })).length,
      1,
    );
    assertValid(
      single({
        Type: 'Pass',
        Parameters: {
          'a.$': '$.a',
          'b.$': '$$.Execution.Id',
          'c.$': '$myVar.field',
          'd.$': "States.Format('{} and ({})', $.x, States.UUID())",
          literal: 'States.Nope(',
        },
        End: true,
      }),
    );
  });

  void it('refuses a template field given both with and without .$', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Pass', Parameters: { a: 1, 'a.$': '$.a' }, End: true })), [
      schema(
        "The field 'a' is defined more than once (with and without the '.$' suffix)",
        '/States/S/Parameters',
      ),
    ]);
  });

  void it('requires ResultSelector to be an object', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Task', Resource: LAMBDA, ResultSelector: [], End: true })), [
      schema('Value should be an object', '/States/S/ResultSelector'),
    ]);
  });
});

void describe('validateDefinition: JSONata and variables', () => {
  const jsonata = { QueryLanguage: 'JSONata' };

  void it('requires {% %} expressions to be closed', () => {
    assert.deepEqual(
      errorsOf(single({ Type: 'Pass', Output: { a: '{% $states.input' }, End: true }, jsonata)),
      [schema('JSONata string must start with {% and end with %}', '/States/S/Output/a')],
    );
  });

  void it('refuses $eval, $$ and a top-level $', () => {
    const output = (expr: string): [string, string, string][] =>
      errorsOf(single({ Type: 'Pass', Output: expr, End: true }, jsonata));
    assert.deepEqual(output('{% $eval("1+1") %}'), [
      schema("The JSONata function '$eval' is not supported", '/States/S/Output'),
    ]);
    assert.deepEqual(output('{% $$.x %}'), [
      schema("The JSONata expression cannot use '$$'", '/States/S/Output'),
    ]);
    assert.deepEqual(output('{% $.x %}'), [
      schema("The JSONata expression cannot use '$' at the top level", '/States/S/Output'),
    ]);
    assert.deepEqual(output('{% %}'), [schema('The JSONata expression cannot be empty', '/States/S/Output')]);
    assert.deepEqual(output('{% "$$ and $eval(" & $states.input.x %}'), []);
    assert.deepEqual(output('{% $states.input.items[$.price > 1] %}'), []);
  });

  void it('accepts expressions in the numeric Task fields', () => {
    assertValid(
      single(
        {
          Type: 'Task',
          Resource: LAMBDA,
          TimeoutSeconds: '{% 10 %}',
          HeartbeatSeconds: '{% 5 %}',
          Arguments: { x: '{% $x %}' },
          End: true,
        },
        jsonata,
      ),
    );
    assert.deepEqual(
      errorsOf(single({ Type: 'Task', Resource: LAMBDA, TimeoutSeconds: '{% 10 %}', End: true })),
      [schema('Value should be an integer', '/States/S/TimeoutSeconds')],
    );
  });

  void it('reserves the variable name states', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Pass', Assign: { states: 1 }, End: true })), [
      ['RESERVED_VARIABLE_NAME', "Cannot assign to reserved variable '$states'.", '/States/S/Assign'],
    ]);
    assert.deepEqual(errorsOf(single({ Type: 'Pass', Assign: { 'states.$': '$.x' }, End: true })), [
      ['RESERVED_VARIABLE_NAME', "Cannot assign to reserved variable '$states'.", '/States/S/Assign'],
    ]);
  });

  void it('checks variable names and Assign values', () => {
    assert.deepEqual(errorsOf(single({ Type: 'Pass', Assign: { 'bad-name': 1 }, End: true })), [
      [
        'INVALID_VARIABLE_NAME',
        "Invalid variable name 'bad-name': the variable name contains invalid characters.",
        '/States/S/Assign',
      ],
    ]);
    assert.deepEqual(errorsOf(single({ Type: 'Pass', Assign: { 'x.$': 'nope' }, End: true })), [
      schema(
        "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call",
        '/States/S/Assign',
      ),
    ]);
    assertValid(
      single({ Type: 'Pass', Assign: { x: 1, 'y.$': '$.y', ünï: { 'z.$': 'States.UUID()' } }, End: true }),
    );
    assertValid(single({ Type: 'Pass', Assign: { x: '{% $states.input %}' }, End: true }, jsonata));
  });
});

void describe('formatInvalidDefinition', () => {
  void it('joins errors with ", " and leaves warnings out', () => {
    const diagnostics: Diagnostic[] = [
      { severity: 'ERROR', code: 'A', message: 'first', location: '/x' },
      { severity: 'WARNING', code: 'W', message: 'warn', location: '/w' },
      { severity: 'ERROR', code: 'B', message: 'second', location: '' },
    ];
    assert.equal(formatInvalidDefinition(diagnostics), 'A: first at /x, B: second at null');
  });
});

void describe('validateDefinition: performance', () => {
  void it('validates a 1,000-state definition quickly', () => {
    const states: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) {
      states[`S${i}`] =
        i % 3 === 0 && i < 998
          ? {
              Type: 'Choice',
              Choices: [{ Variable: '$.x', NumericLessThan: i, Next: `S${i + 1}` }],
              Default: `S${i + 2}`,
            }
          : i === 999
            ? { Type: 'Succeed' }
            : { Type: 'Pass', Parameters: { 'v.$': '$.v', n: i }, ResultPath: '$.r', Next: `S${i + 1}` };
    }
    const text = JSON.stringify({ StartAt: 'S0', States: states });
    validateDefinition(text);
    const started = performance.now();
    const result = validateDefinition(text);
    const elapsed = performance.now() - started;
    assert.deepEqual(result.diagnostics, []);
    assert.ok(elapsed < 250, `took ${elapsed.toFixed(1)} ms`);
  });
});

void describe('validateDefinition: conformance definitions (all accepted by AWS)', () => {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const file = resolve(repoRoot, '../shared/conformance/cases.jsonl');
  const present = existsSync(file);

  void it('accepts every recorded definition', { skip: present ? false : `${file} is absent` }, () => {
    const failures: string[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const record = JSON.parse(line) as {
        id: string;
        meta: { definition_raw: string; state_machine_type?: string };
      };
      const text = record.meta.definition_raw.replace(
        /\$\{[A-Za-z]+\}/g,
        'arn:aws:states:us-east-1:123456789012:activity:a',
      );
      const type = record.meta.state_machine_type === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';
      const errors = validateDefinition(text, { type }).diagnostics.filter((d) => d.severity === 'ERROR');
      if (errors.length > 0) failures.push(`${record.id}: ${formatInvalidDefinition(errors)}`);
    }
    assert.deepEqual(failures, []);
  });
});

describe('validateDefinition: one state on its own (TestState)', () => {
  const single = (state: object): Diagnostic[] =>
    validateDefinition(JSON.stringify(state), { singleState: 'StateName' }).diagnostics;

  it("leaves the state's own transitions unresolved: they lead out of the test", () => {
    assert.deepEqual(single({ Type: 'Choice', Choices: [{ Variable: '$.a', IsNull: true, Next: 'X' }] }), []);
    assert.deepEqual(single({ Type: 'Pass', Next: 'Elsewhere' }), []);
  });

  it('reports problems at /States/StateName, and still resolves the transitions inside it', () => {
    assert.deepEqual(
      single({
        Type: 'Parallel',
        Branches: [{ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Z' } } }],
        End: true,
      }),
      [
        {
          severity: 'ERROR',
          code: 'MISSING_TRANSITION_TARGET',
          message: "Missing 'Next' target: Z",
          location: '/States/StateName/Branches[0]/States/A/Next',
        },
        {
          severity: 'ERROR',
          code: 'MISSING_END_STATE',
          message: 'Workflow has no terminal state',
          location: '/States/StateName/Branches[0]',
        },
      ],
    );
    assert.deepEqual(single({ Type: 'Wait', End: true, Sekonds: 1 })[0], {
      severity: 'ERROR',
      code: 'SCHEMA_VALIDATION_FAILED',
      message: "Field 'Sekonds' is not supported",
      location: '/States/StateName',
    });
  });
});
