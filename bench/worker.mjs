#!/usr/bin/env node
/**
 * `npm run bench:worker`: the worker SDK against a local Stepwise server, compared in the same
 * run with a bare @aws-sdk/client-sfn loop doing the same work (GetActivityTask →
 * SendTaskSuccess, 32 lanes). Both sides use the same client configuration, the same starter
 * and the same server, alternately, so the difference is what the SDK itself costs: event
 * emission, heartbeat timers, JSON parse/stringify of input and output, retry wrappers.
 *
 * Figures: round trips/s (executions started and answered per second) and, per task, the wall
 * time and this process's CPU time (starter + workers). "SDK overhead" is the SDK's figure
 * minus the bare loop's.
 *
 * The server is `stepwise serve` in its own process on a fresh SQLite data dir (durable, as
 * users run it).
 */
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  GetActivityTaskCommand,
  SFNClient,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { createWorker } from '@stepwise/worker';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const here = path.dirname(fileURLToPath(import.meta.url));

const { values: args } = parseArgs({
  options: {
    executions: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
    'start-lanes': { type: 'string', default: '8' },
    window: { type: 'string', default: '64' },
    repeat: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '300' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`usage: node bench/worker.mjs [options]   (npm run bench:worker -- [options] builds first)
  --executions N    executions per measured phase (default 2000)
  --concurrency N   worker SDK concurrency = bare loop lanes (default 32)
  --start-lanes N   StartExecution requests in flight at most (default 8)
  --window N        executions started but not yet answered, at most (default 64)
  --repeat N        measured phases per side, alternating; medians reported (default 2)
  --warmup N        warm-up executions per side before measuring (default 300)`);
  process.exit(0);
}
const N = Number(args.executions);
const CONCURRENCY = Number(args.concurrency);
const START_LANES = Number(args['start-lanes']);
const WINDOW = Number(args.window);
const REPEAT = Number(args.repeat);
const WARMUP = Number(args.warmup);

async function startStepwise() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stepwise-bench-worker-'));
  const child = spawn(
    process.execPath,
    [path.join(here, '../packages/server/dist/cli/main.js'), 'serve', '--port', '0', '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function makeClient(url) {
  return new SFNClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts: 1,
    requestHandler: { httpAgent: { maxSockets: CONCURRENCY * 2 + START_LANES + 8 } },
  });
}

let counter = 0;
async function machine(client) {
  const name = `bench-${process.pid}-${counter++}`;
  const { activityArn } = await client.send(new CreateActivityCommand({ name }));
  const { stateMachineArn } = await client.send(
    new CreateStateMachineCommand({
      name,
      roleArn: 'arn:aws:iam::123456789012:role/bench',
      definition: JSON.stringify({
        StartAt: 'T',
        States: { T: { Type: 'Task', Resource: activityArn, End: true } },
      }),
    }),
  );
  return { activityArn, stateMachineArn };
}

/** Starts `n` executions, keeping at most WINDOW unanswered; resolves when all are answered. */
async function drive(client, stateMachineArn, n, answered) {
  let started = 0;
  const lane = async () => {
    while (started < n) {
      if (started - answered.count >= WINDOW) {
        await new Promise((resolve) => answered.waiters.push(resolve));
        continue;
      }
      started++;
      await client.send(new StartExecutionCommand({ stateMachineArn, input: '{"n":1}' }));
    }
  };
  await Promise.all(Array.from({ length: START_LANES }, lane));
  while (answered.count < n) await new Promise((resolve) => answered.waiters.push(resolve));
}

function counterOf() {
  return {
    count: 0,
    waiters: [],
    bump() {
      this.count++;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    },
  };
}

async function phaseBare(client, n) {
  const { activityArn, stateMachineArn } = await machine(client);
  const answered = counterOf();
  const abort = new AbortController();
  setMaxListeners(CONCURRENCY + 16, abort.signal);
  const lane = async () => {
    while (!abort.signal.aborted) {
      let task;
      try {
        task = await client.send(new GetActivityTaskCommand({ activityArn, workerName: 'bare' }), {
          abortSignal: abort.signal,
        });
      } catch (error) {
        if (abort.signal.aborted) return;
        throw error;
      }
      if (!task.taskToken) continue;
      await client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: task.input }));
      answered.bump();
    }
  };
  const lanes = Array.from({ length: CONCURRENCY }, lane);
  const result = await measure(() => drive(client, stateMachineArn, n, answered), n);
  abort.abort();
  await Promise.all(lanes);
  return result;
}

async function phaseSdk(client, n) {
  const { activityArn, stateMachineArn } = await machine(client);
  const answered = counterOf();
  const worker = createWorker({
    activityArn,
    client,
    concurrency: CONCURRENCY,
    workerName: 'sdk',
    stopOnSignals: [],
    handler: (input) => input,
  });
  worker.on('taskSucceeded', () => answered.bump());
  const run = worker.run();
  const result = await measure(() => drive(client, stateMachineArn, n, answered), n);
  await worker.stop({ deadlineMs: 0 });
  await run;
  return result;
}

async function measure(work, n) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { rps: (n / ms) * 1000, wallUs: (ms * 1000) / n, cpuUs: (cpu.user + cpu.system) / n };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const server = await startStepwise();
const client = makeClient(server.url);
try {
  console.log(
    `worker SDK vs bare @aws-sdk/client-sfn loop: ${N} executions per phase, concurrency ${CONCURRENCY}, ` +
      `${REPEAT} phase(s) each, server ${server.url} (SQLite)`,
  );
  await phaseBare(client, WARMUP);
  await phaseSdk(client, WARMUP);
  const bare = [];
  const sdk = [];
  for (let i = 0; i < REPEAT; i++) {
    bare.push(await phaseBare(client, N));
    sdk.push(await phaseSdk(client, N));
    console.log(`  round ${i + 1}: bare ${bare[i].rps.toFixed(0)}/s, sdk ${sdk[i].rps.toFixed(0)}/s`);
  }
  const row = (name, xs) => ({
    name,
    rps: median(xs.map((x) => x.rps)),
    wallUs: median(xs.map((x) => x.wallUs)),
    cpuUs: median(xs.map((x) => x.cpuUs)),
  });
  const b = row('bare client-sfn loop', bare);
  const s = row('@stepwise/worker', sdk);
  console.log('');
  console.log('                        round trips/s   wall µs/task   client CPU µs/task');
  for (const r of [b, s]) {
    console.log(
      `${r.name.padEnd(24)}${r.rps.toFixed(0).padStart(13)}${r.wallUs.toFixed(0).padStart(15)}${r.cpuUs.toFixed(0).padStart(21)}`,
    );
  }
  console.log('');
  console.log(
    `SDK overhead per task: ${(s.cpuUs - b.cpuUs).toFixed(0)} µs client CPU, ` +
      `${(s.wallUs - b.wallUs).toFixed(0)} µs wall; throughput ${((s.rps / b.rps) * 100).toFixed(1)}% of the bare loop`,
  );
} finally {
  client.destroy();
  await server.stop();
}
