#!/usr/bin/env node
/**
 * `npm run bench:console`: the console in Debian's Chromium against `stepwise serve` with
 * 100,000 executions in its SQLite database, and one execution with 25,000 history events.
 *
 * Figures (median of several page loads, each in a fresh page):
 * - executions list: navigation start → the first page of rows rendered (server-side paging
 *   through StepwiseConsole.ListExecutions), unfiltered and filtered (machine + status + name
 *   prefix), and the next page;
 * - the long execution: navigation start → its history table shows rows; then the time to
 *   scroll the virtualised table from top to bottom in 50 steps.
 *
 * Executions are seeded straight into the database (one transaction) after the server created
 * the schema and the state machine; the server is restarted on that file before measuring.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { chromium } from 'playwright-core';
import { startServer } from '../packages/server/dist/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 100_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 25_000);
const RUNS = 5;

if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  process.exit(1);
}
if (!existsSync(path.join(ROOT, 'packages/console/dist/index.html'))) {
  console.error('the console is not built: npm run build');
  process.exit(1);
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stepwise-bench-console-'));
const api = (url, operation, input, prefix = 'AWSStepFunctions') =>
  fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `${prefix}.${operation}` },
    body: JSON.stringify(input),
  }).then(async (r) => {
    const body = await r.json();
    if (!r.ok) throw new Error(`${operation}: ${JSON.stringify(body)}`);
    return body;
  });

const definition = JSON.stringify({
  StartAt: 'Step',
  States: { Step: { Type: 'Pass', Next: 'Done' }, Done: { Type: 'Succeed' } },
});

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

try {
  // 1. The schema, a state machine and one real execution (its revision key is reused).
  let server = await startServer({ port: 0, dataDir, consoleDir: path.join(ROOT, 'packages/console/dist') });
  const machines = [];
  for (const name of ['orders', 'payments', 'shipping', 'refunds']) {
    const { stateMachineArn } = await api(server.url, 'CreateStateMachine', {
      name,
      definition,
      roleArn: 'arn:aws:iam::123456789012:role/stepwise',
    });
    const { executionArn } = await api(server.url, 'StartExecution', {
      stateMachineArn,
      name: 'first',
      input: '{}',
    });
    machines.push({ stateMachineArn, executionArn });
  }
  await server.close();

  // 2. Seed.
  const seedStart = performance.now();
  const db = new Database(path.join(dataDir, 'stepwise.db'));
  const template = db.prepare('SELECT * FROM executions WHERE arn = ?').get(machines[0].executionArn);
  const insert = db.prepare(
    'INSERT INTO executions (arn, state_machine_arn, name, status, input, output, error, cause, start_date, ' +
      'stop_date, trace_header, revision_key, next_event_id, version, redrive_count) ' +
      'VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, NULL, ?, 6, 3, 0)',
  );
  const statuses = ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED', 'RUNNING', 'ABORTED', 'TIMED_OUT'];
  const now = Date.now();
  const revisionOf = db.prepare('SELECT revision_key FROM executions WHERE arn = ?').pluck();
  for (const machine of machines)
    machine.revisionKey = revisionOf.get(machine.executionArn) ?? template.revision_key;
  db.transaction(() => {
    for (let i = 0; i < EXECUTIONS; i++) {
      const machine = machines[i % machines.length];
      const name = `exec-${String(i).padStart(6, '0')}`;
      const status = statuses[i % statuses.length];
      const start = now - (EXECUTIONS - i) * 1000;
      insert.run(
        machine.stateMachineArn.replace(':stateMachine:', ':execution:') + ':' + name,
        machine.stateMachineArn,
        name,
        status,
        `{"order":${i}}`,
        status === 'SUCCEEDED' ? `{"order":${i},"ok":true}` : null,
        start,
        status === 'RUNNING' ? null : start + 250,
        machine.revisionKey,
      );
    }
    // One long execution: EVENTS history events.
    // History is keyed by the execution's integer key (seq), not its ARN (SQLite migration 4).
    const long = machines[1].executionArn;
    const longSeq = db.prepare('SELECT seq FROM executions WHERE arn = ?').pluck().get(long);
    db.prepare('DELETE FROM history_events WHERE execution_seq = ?').run(longSeq);
    const event = db.prepare(
      'INSERT INTO history_events (execution_seq, id, previous_event_id, timestamp, type, details_member, details) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    event.run(
      longSeq,
      1,
      0,
      now,
      'ExecutionStarted',
      'executionStartedEventDetails',
      JSON.stringify({ input: '{}', roleArn: 'x' }),
    );
    for (let id = 2; id <= EVENTS; id++) {
      const entered = id % 2 === 0;
      event.run(
        longSeq,
        id,
        id - 1,
        now + id,
        entered ? 'PassStateEntered' : 'PassStateExited',
        entered ? 'stateEnteredEventDetails' : 'stateExitedEventDetails',
        JSON.stringify(
          entered ? { name: 'Step', input: `{"i":${id}}` } : { name: 'Step', output: `{"i":${id}}` },
        ),
      );
    }
    db.prepare('UPDATE executions SET next_event_id = ? WHERE arn = ?').run(EVENTS + 1, long);
  })();
  db.close();
  const seedMs = performance.now() - seedStart;
  console.log(
    `seeded ${EXECUTIONS.toLocaleString()} executions and ${EVENTS.toLocaleString()} events in ${(seedMs / 1000).toFixed(1)} s`,
  );

  // 3. Measure.
  server = await startServer({ port: 0, dataDir, consoleDir: path.join(ROOT, 'packages/console/dist') });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const measure = async (hash, ready) => {
    const times = [];
    for (let run = 0; run < RUNS; run++) {
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(`${server.url}/${hash}`);
      await page.locator(ready).first().waitFor({ timeout: 30_000 });
      times.push(performance.now() - started);
      await page.close();
    }
    return times;
  };
  const report = (label, times) =>
    console.log(
      `${label.padEnd(52)} median ${median(times).toFixed(0).padStart(5)} ms   (runs: ${times.map((t) => t.toFixed(0)).join(', ')})`,
    );

  const firstRow = '[data-testid="executions"] tbody tr td a';
  report('executions list, first render', await measure('#/executions', firstRow));
  const filterHash = `#/executions?machine=${encodeURIComponent(machines[2].stateMachineArn)}&status=FAILED&prefix=exec-05`;
  report('executions list, filtered (machine+status+prefix)', await measure(filterHash, firstRow));

  const page = await context.newPage();
  await page.goto(`${server.url}/#/executions`);
  await page.locator(firstRow).first().waitFor();
  const pageTimes = [];
  for (let i = 0; i < RUNS; i++) {
    const before = await page.locator(firstRow).first().textContent();
    const started = performance.now();
    await page.getByTestId('next-page').click();
    await page.waitForFunction(
      ([selector, previous]) => document.querySelector(selector)?.textContent !== previous,
      [firstRow, before],
    );
    pageTimes.push(performance.now() - started);
  }
  report('executions list, next page', pageTimes);
  await page.close();

  const longHash = `#/executions/${encodeURIComponent(machines[1].executionArn)}`;
  report(
    `execution with ${EVENTS.toLocaleString()} events, history rows shown`,
    await measure(longHash, '[data-testid="history-table"] [data-event-type]'),
  );
  const longPage = await context.newPage();
  await longPage.goto(`${server.url}/${longHash}`);
  await longPage.locator('[data-testid="history-table"] [data-event-type]').first().waitFor();
  await longPage.waitForFunction((n) => document.body.textContent?.includes(`${n} of ${n} events`), EVENTS);
  const scroll = await longPage.evaluate(async () => {
    const list = document.querySelector('[data-testid="history-table"]');
    const frames = [];
    let last = performance.now();
    const started = last;
    for (let step = 1; step <= 50; step++) {
      list.scrollTop = (list.scrollHeight * step) / 50;
      await new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)));
      const now = performance.now();
      frames.push(now - last);
      last = now;
    }
    return { total: performance.now() - started, worst: Math.max(...frames) };
  });
  console.log(
    `${'history scroll top→bottom in 50 steps'.padEnd(52)} total ${scroll.total.toFixed(0)} ms, worst frame ${scroll.worst.toFixed(0)} ms`,
  );
  await browser.close();
  await server.close();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
