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
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4096);
});
child.on('exit', (code) => {
  for (const key of Object.keys(counts)) {
    const match = new RegExp(`^ℹ ${key} (\\d+)$`, 'm').exec(tail);
    if (match) counts[key] = Number(match[1]);
  }
  const failed = counts.fail + counts.cancelled;
  const skipped = counts.skipped + counts.todo;
  console.log(`\n${counts.pass} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
