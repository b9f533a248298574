/** The graph model the CLI and the console draw from. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGraph, describeChoiceRule } from '../src/asl/graph.js';
import { validateDefinition } from '../src/asl/validate.js';

function graphOf(definition: object) {
  const { definition: parsed, diagnostics } = validateDefinition(JSON.stringify(definition));
  assert.ok(parsed, JSON.stringify(diagnostics));
  return buildGraph(parsed);
}

test('nodes, labelled edges and nested groups', () => {
  const g = graphOf({
    StartAt: 'Check',
    States: {
      Check: {
        Type: 'Choice',
        Choices: [{ Variable: '$.age', NumericLessThan: 18, Next: 'Child' }],
        Default: 'Fan',
      },
      Child: { Type: 'Fail' },
      Fan: {
        Type: 'Parallel',
        Branches: [{ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Child' }],
        Next: 'Each',
      },
      Each: {
        Type: 'Map',
        ItemProcessor: { StartAt: 'M', States: { M: { Type: 'Succeed' } } },
        End: true,
      },
    },
  });
  assert.deepEqual(
    g.nodes.map((n) => [n.id, n.name, n.type, n.end]),
    [
      ['s0', 'Check', 'Choice', false],
      ['s1', 'Child', 'Fail', true],
      ['s2', 'Fan', 'Parallel', false],
      ['s3', 'Each', 'Map', true],
    ],
  );
  assert.equal(g.startAt, 's0');
  assert.deepEqual(g.edges, [
    { from: 's0', to: 's1', kind: 'choice', label: '$.age < 18' },
    { from: 's0', to: 's2', kind: 'default', label: 'Default' },
    { from: 's2', to: 's3', kind: 'next' },
    { from: 's2', to: 's1', kind: 'catch', label: 'Catch States.ALL' },
  ]);
  const branch = g.nodes[2]?.groups?.[0];
  assert.equal(branch?.label, 'Branch 1');
  assert.deepEqual(
    branch?.nodes.map((n) => n.name),
    ['A'],
  );
  assert.equal(g.nodes[3]?.groups?.[0]?.label, 'Item processor');
});

test('Choice rules in short form', () => {
  assert.equal(
    describeChoiceRule({
      And: [
        { Variable: '$.a', IsPresent: true },
        {
          Or: [
            { Variable: '$.b', StringEquals: 'x' },
            { Variable: '$.c', NumericGreaterThanEqualsPath: '$.d' },
          ],
        },
      ],
    }),
    '$.a is present and ($.b == "x" or $.c >= $.d)',
  );
  assert.equal(describeChoiceRule({ Not: { Variable: '$.a', BooleanEquals: false } }), 'not $.a == false');
});
