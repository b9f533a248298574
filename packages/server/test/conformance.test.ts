/**
 * The executions recorded on AWS (../shared/conformance/cases.jsonl), replayed through a
 * running Stepwise server by the corpus's own boto3 runner. Every topic must pass at the level
 * of status, output or error/cause, and the sequence of history event types. The engine must
 * be right in general: no case is special-cased anywhere in the source.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, startTestServer, tempDir } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';

const CORPUS = join(REPO_ROOT, '..', 'shared', 'conformance');
const present = existsSync(join(CORPUS, 'run_corpus.py')) && existsSync(join(CORPUS, 'cases.jsonl'));

interface CaseResult {
  id: string;
  topic: string;
  ok: boolean;
  [key: string]: unknown;
}

interface Report {
  summary: { passed: number; failed: number; skipped_long_waits: string[] };
  results: CaseResult[];
}

function topicsOf(file: string): Map<string, number> {
  const topics = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const { topic } = JSON.parse(line) as { topic: string };
    topics.set(topic, (topics.get(topic) ?? 0) + 1);
  }
  return topics;
}

function runCorpus(url: string, reportFile: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'python3',
      [
        join(CORPUS, 'run_corpus.py'),
        '--endpoint-url',
        url,
        '--report',
        reportFile,
        '--workers',
        '8',
        '--max-wait',
        '90',
      ],
      {
        // StartSyncExecution carries the `sync-` host prefix; a local endpoint cannot serve it.
        env: { ...process.env, AWS_DISABLE_HOST_PREFIX_INJECTION: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe(
  'conformance: executions recorded on AWS',
  { skip: present ? false : 'no ../shared/conformance' },
  () => {
    let server: TestServer;
    let report: Report;
    const dir = tempDir('stepwise-corpus-');
    const topics = present ? topicsOf(join(CORPUS, 'cases.jsonl')) : new Map<string, number>();

    before(async () => {
      server = await startTestServer();
      const reportFile = join(dir.path, 'report.json');
      const run = await runCorpus(server.url, reportFile);
      assert.ok(existsSync(reportFile), `the corpus runner wrote no report:\n${run.output}`);
      report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
    });

    after(async () => {
      await server?.stop();
      dir.remove();
    });

    it('runs every case', (t) => {
      const byTopic = new Map<string, { passed: number; failed: number }>();
      for (const result of report.results) {
        const counts = byTopic.get(result.topic) ?? { passed: 0, failed: 0 };
        if (result.ok) counts.passed++;
        else counts.failed++;
        byTopic.set(result.topic, counts);
      }
      for (const [topic, counts] of [...byTopic].sort()) {
        t.diagnostic(`${topic}: ${counts.passed}/${counts.passed + counts.failed} passed`);
      }
      t.diagnostic(`total: ${report.summary.passed} passed, ${report.summary.failed} failed`);
      assert.deepEqual(report.summary.skipped_long_waits, []);
      assert.equal(
        report.results.length,
        [...topics.values()].reduce((a, b) => a + b, 0),
      );
    });

    for (const topic of topics.keys()) {
      it(`topic ${topic}: every case matches AWS`, () => {
        const failures = report.results.filter((r) => r.topic === topic && !r.ok);
        const shown = failures.map((f) => JSON.stringify(f).slice(0, 600)).join('\n');
        assert.equal(failures.length, 0, `${failures.length} case(s) differ from AWS:\n${shown}`);
      });
    }
  },
);
