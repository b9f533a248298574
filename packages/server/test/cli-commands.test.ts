/**
 * The `stepwise` commands as a user runs them: run, validate, graph and --help, their output
 * and exit codes on good and bad definitions. The built CLI is spawned (npm test builds first):
 * starting it through tsx would cost a second per command.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'packages/server/dist/cli/main.js');
const EXAMPLE = join(ROOT, 'examples/age-check');
const dir = mkdtempSync(join(tmpdir(), 'stepwise-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | object): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const good = file('good.json', {
  StartAt: 'Greet',
  States: {
    Greet: { Type: 'Pass', Parameters: { 'greeting.$': "States.Format('hello {}', $.who)" }, Next: 'Pick' },
    Pick: {
      Type: 'Choice',
      Choices: [{ Variable: '$.greeting', StringEquals: 'hello world', Next: 'Done' }],
      Default: 'Nope',
    },
    Done: { Type: 'Succeed' },
    Nope: { Type: 'Fail', Error: 'NotWorld', Cause: 'someone else' },
  },
});
const badJson = file('bad-json.json', '{\n  "StartAt": "A",\n  "States": {\n');
const unknownType = file('unknown-type.json', {
  StartAt: 'A',
  States: { A: { Type: 'Teleport', End: true } },
});
const missingNext = file('missing-next.json', {
  StartAt: 'A',
  States: { A: { Type: 'Pass', Next: 'Nowhere' } },
});

describe('stepwise validate', () => {
  test('a valid definition: exit 0', async () => {
    const r = await cli('validate', good, join(EXAMPLE, 'content-browse.json'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /good\.json: valid/);
    assert.match(r.stdout, /2 files valid/);
  });

  test('bad JSON, unknown state type, missing Next: located diagnostics, exit 1', async () => {
    const r = await cli('validate', badJson, unknownType, missingNext);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /bad-json\.json:4:1: error INVALID_JSON_DESCRIPTION: /);
    assert.match(
      r.stdout,
      /unknown-type\.json:5:7: error SCHEMA_VALIDATION_FAILED: The field 'Type' should have one of these values: .* \(at \/States\/A\/Type\)/,
    );
    assert.match(
      r.stdout,
      /missing-next\.json:\d+:\d+: error MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere \(at \/States\/A\/Next\)/,
    );
    assert.match(r.stdout, /errors in 3 of 3 files/);
  });

  test('--json for machines', async () => {
    const r = await cli('validate', '--json', good, missingNext);
    assert.equal(r.code, 1);
    const reports = JSON.parse(r.stdout) as {
      file: string;
      valid: boolean;
      diagnostics: { code: string; location: string; line: number }[];
    }[];
    assert.deepEqual(
      reports.map((x) => [x.valid, x.diagnostics.map((d) => d.code)]),
      [
        [true, []],
        [false, ['MISSING_TRANSITION_TARGET', 'MISSING_END_STATE']],
      ],
    );
    assert.equal(reports[1]?.diagnostics[0]?.location, '/States/A/Next');
    assert.equal(typeof reports[1]?.diagnostics[0]?.line, 'number');
  });

  test('an unreadable file is an error', async () => {
    const r = await cli('validate', join(dir, 'nope.json'));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FILE_NOT_READABLE/);
  });
});

describe('stepwise run', () => {
  const handler = join(EXAMPLE, 'handler.mjs');
  const contentBrowse = join(EXAMPLE, 'content-browse.json');

  test('pure states: SUCCEEDED, the tree and the output, exit 0', async () => {
    const r = await cli('run', good, '--input', '{"who": "world"}');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^good SUCCEEDED/);
    assert.match(r.stdout, /├─ Greet Pass/);
    assert.match(r.stdout, /→ Pick/);
    assert.match(r.stdout, /└─ ✓ SUCCEEDED/);
    assert.match(r.stdout, /Output\n\{\n {2}"greeting": "hello world"\n\}/);
  });

  test('a Fail state: exit 1 with the error', async () => {
    const input = file('input.json', { who: 'moon' });
    const r = await cli('run', good, '--input', `@${input}`);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /✗ FAILED NotWorld: someone else/);
  });

  test('activities answered by a handler module; a thrown error fails the task', async () => {
    const [adult, child] = await Promise.all([
      cli('run', contentBrowse, '--input', '{"age": 30}', '--activity', `ageCheck=${handler}`),
      cli('run', contentBrowse, '--input', '{"age": 12}', '--activity', `ageCheck=${handler}`),
    ]);
    assert.equal(adult.code, 0, adult.stderr);
    assert.match(adult.stdout, /activity ageCheck scheduled/);
    assert.match(adult.stdout, /"message": "allowed"/);
    assert.equal(child.code, 1);
    assert.match(child.stdout, /ContentBrowsedAllowed\? Task \(caught\)/);
    assert.match(child.stdout, /✗ failed age check failed: child under 18 is not allowed!/);
    assert.match(child.stdout, /✗ FAILED CheckFailed: Invalid response\./);
  });

  test('a plain Error from a handler maps to error = name, cause = message', async () => {
    const thrower = file(
      'thrower.mjs',
      'export default async () => { throw new RangeError("out of range"); };',
    );
    const machine = file('one-task.json', {
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'arn:aws:states:eu-west-1:999999999999:activity:thing', End: true },
      },
    });
    const r = await cli('run', machine, '--activity', `thing=${thrower}`);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /✗ FAILED RangeError: out of range/);
  });

  test('--mock-config answers activity states from the test case, retries included', async () => {
    const mocks = join(EXAMPLE, 'mocks.json');
    const [child, flaky] = await Promise.all([
      cli('run', contentBrowse, '--mock-config', mocks, '--test-case', 'Child'),
      cli(
        'run',
        join(EXAMPLE, 'app-download.json'),
        '--input',
        '{"age": 40, "app": "chess"}',
        '--mock-config',
        mocks,
        '--test-case',
        'FlakyWorker',
      ),
    ]);
    assert.equal(child.code, 1);
    assert.match(child.stdout, /✗ failed age check failed: child under 18 is not allowed!/);
    assert.equal(flaky.code, 0, flaky.stderr);
    assert.match(flaky.stdout, /✗ failed States\.Timeout: the worker vanished/);
    assert.match(flaky.stdout, /retry #1 · activity ageCheck scheduled/);
    assert.match(flaky.stdout, /"url": "https:\/\/downloads\.example\.com\/chess"/);
  });

  test('--history prints the AWS history JSON on stdout', async () => {
    const r = await cli(
      'run',
      contentBrowse,
      '--input',
      '{"age": 30}',
      '--activity',
      `ageCheck=${handler}`,
      '--history',
    );
    assert.equal(r.code, 0, r.stderr);
    const { events } = JSON.parse(r.stdout) as { events: { type: string }[] };
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'ExecutionStarted',
        'TaskStateEntered',
        'ActivityScheduled',
        'ActivityStarted',
        'ActivitySucceeded',
        'TaskStateExited',
        'SucceedStateEntered',
        'SucceedStateExited',
        'ExecutionSucceeded',
      ],
    );
    assert.match(r.stderr, /content-browse SUCCEEDED/);
  });

  test('bad definitions and missing handlers: exit 1 before running', async () => {
    const [json, type, next, noHandler, badInput] = await Promise.all([
      cli('run', badJson),
      cli('run', unknownType),
      cli('run', missingNext),
      cli('run', contentBrowse),
      cli('run', good, '--input', '{nope'),
    ]);
    assert.equal(json.code, 1);
    assert.match(json.stderr, /INVALID_JSON_DESCRIPTION/);
    assert.equal(type.code, 1);
    assert.match(type.stderr, /SCHEMA_VALIDATION_FAILED/);
    assert.equal(next.code, 1);
    assert.match(next.stderr, /MISSING_TRANSITION_TARGET/);
    assert.equal(noHandler.code, 1);
    assert.match(noHandler.stderr, /activity "ageCheck", which nothing answers: pass --activity ageCheck=/);
    assert.equal(badInput.code, 1);
    assert.match(badInput.stderr, /--input is not JSON/);
  });
});

describe('stepwise graph', () => {
  const complex = file('complex.json', {
    StartAt: 'Check',
    States: {
      Check: {
        Type: 'Choice',
        Choices: [{ Variable: '$.age', NumericLessThan: 18, Next: 'Child' }],
        Default: 'Fan',
      },
      Child: { Type: 'Fail', Error: 'Child' },
      Fan: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
          { StartAt: 'B', States: { B: { Type: 'Pass', End: true } } },
        ],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Child' }],
        End: true,
      },
    },
  });

  test('mermaid (default): nodes, labelled edges, nested branches', async () => {
    const r = await cli('graph', complex);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^flowchart TD/);
    assert.match(r.stdout, /s0 -->\|"\$\.age #60; 18"\| s1/);
    assert.match(r.stdout, /s0 -->\|"Default"\| s2/);
    assert.match(r.stdout, /s2 -\.->\|"Catch States\.ALL"\| s1/);
    assert.match(r.stdout, /subgraph s2 \["Fan \(Parallel\)"\]/);
    assert.match(r.stdout, /subgraph s2_b1 \["Branch 2"\]/);
    assert.match(r.stdout, /sw_start --> s0/);
  });

  test('dot and svg', async () => {
    const [dot, svg] = await Promise.all([
      cli('graph', complex, '--format', 'dot'),
      cli('graph', complex, '--format', 'svg'),
    ]);
    assert.equal(dot.code, 0);
    assert.match(dot.stdout, /^digraph workflow \{/);
    assert.match(dot.stdout, /subgraph cluster_s2 \{/);
    assert.match(
      dot.stdout,
      /s2 -> s1 \[label="Catch States\.ALL", style=dashed, color="#c0392b", ltail=cluster_s2\];/,
    );
    assert.equal(svg.code, 0);
    assert.match(svg.stdout, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const name of ['Check', 'Child', 'A', 'B'])
      assert.ok(svg.stdout.includes(`class="name">${name}<`), name);
    assert.match(svg.stdout, /Fan \(Parallel\)/);
  });

  test('an invalid definition: diagnostics, exit 1', async () => {
    const r = await cli('graph', missingNext);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /MISSING_TRANSITION_TARGET/);
  });
});

test('serve refuses to start on a broken mock config, saying why', async () => {
  const bad = file('bad-mocks.json', {
    StateMachines: { M: { TestCases: { T: { S: 'Missing' } } } },
    MockedResponses: {},
  });
  const r = await cli('serve', '--port', '0', '--data-dir', join(dir, 'serve-data'), '--mock-config', bad);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /cannot load the mock config .*bad-mocks\.json: mocked response "Missing" is not defined/,
  );
});

test('--help on every command, with examples', async () => {
  const results = await Promise.all(
    [[], ['serve'], ['run'], ['validate'], ['graph']].map((args) => cli(...args, '--help')),
  );
  for (const r of results) {
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Examples:\n {2}\$ stepwise /);
  }
  assert.match(results[2]?.stdout ?? '', /a service integration that is not mocked cannot run here/);
  assert.match(results[1]?.stdout ?? '', /--mock-config <file>/);
});
