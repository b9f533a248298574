#!/usr/bin/env node
// Runs every test file with node's test runner (TypeScript through tsx) and ends with one
// closing line CI can read: "N passed, N failed[, N skipped]".
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);

function collect(dir, out) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (entry.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = only.length > 0 ? only : collect(join(root, 'packages'), []).sort();
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' } },
);

const counts = { pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
// The runner's summary lines ("ℹ pass 12") come before its list of failures, which can be long:
// they are read as they stream by, line by line, not from the end of the output.
const summaryLine = /^ℹ (pass|fail|skipped|todo|cancelled) (\d+)$/;
let partial = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (partial + chunk).split('\n');
  partial = lines.pop() ?? '';
  for (const line of lines) {
    const match = summaryLine.exec(line);
    if (match) counts[match[1]] = Number(match[2]);
  }
});
child.on('exit', (code) => {
  // A runner that failed without counting a failure (a crash before its summary) still fails.
  const failed = counts.fail + counts.cancelled || (code === 0 ? 0 : 1);
  const skipped = counts.skipped + counts.todo;
  console.log(`\n${counts.pass} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
