/**
 * examples/age-check end to end, as the README runs it: setup.mjs, worker.mjs (a long-running
 * process) and start.mjs against a Stepwise server, then SIGTERM stops the worker cleanly.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestServer } from '../src/testing.js';
import type { StepwiseTestServer } from '../src/testing.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/age-check/', import.meta.url));
let kit: StepwiseTestServer;
let env: NodeJS.ProcessEnv;

before(async () => {
  kit = await startTestServer();
  env = {
    ...process.env,
    AWS_ENDPOINT_URL_SFN: kit.url,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  delete env['AWS_ACCESS_KEY_ID'];
});
after(async () => {
  await kit?.close();
});

function node(script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(EXAMPLE, script), ...args],
      { env, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          stdout,
          stderr,
        });
      },
    );
  });
}

test('the age-check example runs end to end and stops on SIGTERM', async () => {
  const setup = await node('setup.mjs');
  assert.equal(setup.code, 0, setup.stderr);
  assert.match(setup.stdout, /activity arn:aws:states:us-east-1:123456789012:activity:ageCheck/);
  assert.match(setup.stdout, /stateMachine:ContentBrowse/);
  assert.match(setup.stdout, /stateMachine:AppDownload/);
  // Running it again updates instead of failing.
  assert.equal((await node('setup.mjs')).code, 0);

  const worker = spawn(process.execPath, [join(EXAMPLE, 'worker.mjs')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
  try {
    const started = await node('start.mjs', '30', '12');
    assert.equal(started.code, 0, started.stderr);
    const lines = started.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(
      lines[0] ?? '',
      /^ContentBrowse\s+age\s+30\s+SUCCEEDED\s+\{"type":"adult","message":"allowed"\}/,
    );
    assert.match(lines[1] ?? '', /^ContentBrowse\s+age\s+12\s+FAILED\s+CheckFailed: Invalid response\./);
    assert.match(
      lines[2] ?? '',
      /^AppDownload\s+age\s+30\s+SUCCEEDED\s+.*"url":"https:\/\/downloads\.example\.com\/chess"/,
    );
    assert.match(lines[3] ?? '', /^AppDownload\s+age\s+12\s+FAILED\s+DownloadDenied: /);
    assert.match(output, /fail {2}age check failed: child under 18 is not allowed!/);
  } finally {
    worker.kill('SIGTERM');
  }
  assert.equal(await exited, 0, output);
  assert.match(output, /age-check worker stopped/);
});
