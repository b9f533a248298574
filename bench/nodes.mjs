/**
 * Multi-node benchmark (issue 6): the same two workloads on
 *   1. one node on SQLite,
 *   2. one node on PostgreSQL,
 *   3. three nodes on one PostgreSQL database,
 * in one run, each node a `stepwise serve` child process (the built CLI, packages/server/dist).
 *
 * - activity round trips/s: one-Task executions; pollers loop GetActivityTask → SendTaskSuccess,
 *   spread over the nodes (poller i on node i mod N); starters spread StartExecution the same way
 *   (lane j on node j+1 mod N, so most tasks are handed over by another node than the one that
 *   queued them); at most `window` executions outstanding.
 * - Pass-chain transitions/s: a chain of `--chain` Pass states; every StartExecution runs its
 *   execution to the end in one commit. Figure = state transitions (one per Pass state) per second.
 *
 * Besides throughput it samples CPU time of the Stepwise processes, of every PostgreSQL process
 * and of this load generator (from /proc), so the limiting factor can be named: on this machine
 * the sum approaching 100% × cores means the machine's CPU is the limit, not locking.
 *
 * Usage: node bench/nodes.mjs [--executions 2000] [--chain-executions 1500] [--chain 20]
 *        [--database postgres://postgres@127.0.0.1:5432/test] [--configs sqlite,pg1,pg3]
 */
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { AwsJsonClient } from './client.mjs';

const { values: args } = parseArgs({
  options: {
    executions: { type: 'string', default: '2000' },
    'chain-executions': { type: 'string', default: '1500' },
    chain: { type: 'string', default: '20' },
    pollers: { type: 'string', default: '24' },
    lanes: { type: 'string', default: '8' },
    window: { type: 'string', default: '64' },
    database: {
      type: 'string',
      default: process.env.STEPWISE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    },
    configs: { type: 'string', default: 'sqlite,pg1,pg3' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'node bench/nodes.mjs [--executions N] [--chain-executions N] [--chain STATES] [--pollers N] ' +
      '[--lanes N] [--window N] [--database URL] [--configs sqlite,pg1,pg3]',
  );
  process.exit(0);
}
const EXECUTIONS = Number(args.executions);
const CHAIN_EXECUTIONS = Number(args['chain-executions']);
const CHAIN = Number(args.chain);
const POLLERS = Number(args.pollers);
const LANES = Number(args.lanes);
const WINDOW = Number(args.window);
const CLI = new URL('../packages/server/dist/cli/main.js', import.meta.url).pathname;
const TICK = 100; // USER_HZ: /proc times are in 1/100 s on Linux

// --- processes and CPU -------------------------------------------------------------------------

function cpuTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function postgresPids() {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Busy ticks of the whole machine (all processes, ours or not), from /proc/stat. */
function machineBusyTicks() {
  const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const values = fields.map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return values.slice(0, 8).reduce((a, b) => a + b, 0) - idle;
}

function cpuSample(nodePids) {
  const pgPids = postgresPids();
  return {
    at: performance.now(),
    machine: machineBusyTicks(),
    nodes: nodePids.reduce((sum, pid) => sum + cpuTicks(pid), 0),
    postgres: pgPids.reduce((sum, pid) => sum + cpuTicks(pid), 0),
    client: process.cpuUsage(),
  };
}

function cpuShare(from, to) {
  const seconds = (to.at - from.at) / 1000;
  const pct = (ticks) => Math.round((ticks / TICK / seconds) * 100);
  const client = process.cpuUsage(from.client);
  return {
    machine: pct(to.machine - from.machine),
    nodes: pct(to.nodes - from.nodes),
    postgres: pct(to.postgres - from.postgres),
    client: Math.round(((client.user + client.system) / 1e6 / seconds) * 100),
  };
}

function startNode(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve({ url: match[1], child });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`node exited (${code}): ${output}`)));
  });
}

function stopNode(node) {
  return new Promise((resolve) => {
    if (node.child.exitCode !== null) return resolve();
    node.child.once('exit', () => resolve());
    node.child.kill('SIGTERM');
  });
}

// --- configurations ------------------------------------------------------------------------------

async function withConfig(name, count, work) {
  const cleanups = [];
  let nodeArgs;
  if (name === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepwise-bench-nodes-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    nodeArgs = () => ['--data-dir', dir];
  } else {
    const schema = `sw_bench_${Date.now().toString(36)}`;
    const url = new URL(args.database);
    url.searchParams.set('schema', schema);
    nodeArgs = () => ['--database', url.toString()];
    cleanups.push(async () => {
      const client = new pg.Client({ connectionString: args.database });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    });
  }
  const nodes = [];
  try {
    // One after another: the first applies the migrations, as a rolling deploy would.
    for (let i = 0; i < count; i++) nodes.push(await startNode(nodeArgs()));
    const clients = nodes.map((node) => new AwsJsonClient(node.url, { maxSockets: POLLERS + LANES + 8 }));
    try {
      return await work(
        clients,
        nodes.map((node) => node.child.pid),
      );
    } finally {
      for (const client of clients) client.close();
    }
  } finally {
    await Promise.all(nodes.map(stopNode));
    for (const cleanup of cleanups) await cleanup();
  }
}

// --- workloads ----------------------------------------------------------------------------------

async function activityRoundTrips(clients, pids, tag) {
  const at = (i) => clients[i % clients.length];
  const { activityArn } = await at(0).call('CreateActivity', { name: `bench-${tag}` });
  const { stateMachineArn } = await at(0).call('CreateStateMachine', {
    name: `bench-${tag}`,
    definition: JSON.stringify({
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: activityArn, End: true } },
    }),
    roleArn: 'arn:aws:iam::123456789012:role/bench',
  });
  const stop = new AbortController();
  // Every open poll listens on the one stop signal.
  setMaxListeners(POLLERS + 16, stop.signal);
  let answered = 0;
  let outstanding = 0;
  const waiters = [];
  let onAnswered = () => {};
  const pollers = Array.from({ length: POLLERS }, async (_, i) => {
    while (!stop.signal.aborted) {
      let task;
      try {
        task = await at(i).call('GetActivityTask', { activityArn, workerName: `w${i}` }, stop.signal);
      } catch (error) {
        if (stop.signal.aborted) return;
        throw error;
      }
      if (task.taskToken === undefined) continue;
      await at(i + 1).call('SendTaskSuccess', { taskToken: task.taskToken, output: '{}' });
      answered++;
      outstanding--;
      waiters.shift()?.();
      onAnswered();
    }
  });
  const phase = async (id, executions) => {
    const target = answered + executions;
    const done = new Promise((resolve) => {
      onAnswered = () => {
        if (answered >= target) resolve();
      };
    });
    let issued = 0;
    const t0 = performance.now();
    const lanes = Array.from({ length: LANES }, async (_, lane) => {
      while (issued < executions) {
        while (outstanding >= WINDOW) await new Promise((resolve) => waiters.push(resolve));
        if (issued >= executions) return;
        const n = issued++;
        outstanding++;
        await at(lane + 1).call('StartExecution', { stateMachineArn, name: `${id}-${n}`, input: '{}' });
      }
    });
    await Promise.all(lanes);
    await done;
    return performance.now() - t0;
  };
  await phase('warm', Math.min(300, EXECUTIONS));
  const before = cpuSample(pids);
  const ms = await phase('run', EXECUTIONS);
  const cpu = cpuShare(before, cpuSample(pids));
  stop.abort();
  await Promise.allSettled(pollers);
  return { perSec: (EXECUTIONS * 1000) / ms, cpu };
}

async function passChain(clients, pids, tag) {
  const at = (i) => clients[i % clients.length];
  const states = {};
  for (let i = 0; i < CHAIN; i++) {
    states[`P${i}`] = i === CHAIN - 1 ? { Type: 'Pass', End: true } : { Type: 'Pass', Next: `P${i + 1}` };
  }
  const { stateMachineArn } = await at(0).call('CreateStateMachine', {
    name: `chain-${tag}`,
    definition: JSON.stringify({ StartAt: 'P0', States: states }),
    roleArn: 'arn:aws:iam::123456789012:role/bench',
  });
  const phase = async (id, executions) => {
    let issued = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        while (issued < executions) {
          const n = issued++;
          await at(lane).call('StartExecution', { stateMachineArn, name: `${id}-${n}`, input: '{"v":1}' });
        }
      }),
    );
    const ms = performance.now() - t0;
    const arn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}-${executions - 1}`;
    const { status } = await at(1).call('DescribeExecution', { executionArn: arn });
    if (status !== 'SUCCEEDED') throw new Error(`${arn} is ${status}`);
    return ms;
  };
  await phase('warm', Math.min(200, CHAIN_EXECUTIONS));
  const before = cpuSample(pids);
  const ms = await phase('run', CHAIN_EXECUTIONS);
  const cpu = cpuShare(before, cpuSample(pids));
  return {
    perSec: (CHAIN_EXECUTIONS * CHAIN * 1000) / ms,
    executionsPerSec: (CHAIN_EXECUTIONS * 1000) / ms,
    cpu,
  };
}

// --- run ------------------------------------------------------------------------------------------

const CONFIGS = {
  sqlite: { label: '1 node, SQLite', store: 'sqlite', nodes: 1 },
  pg1: { label: '1 node, PostgreSQL', store: 'postgres', nodes: 1 },
  pg3: { label: '3 nodes, PostgreSQL', store: 'postgres', nodes: 3 },
};

console.log(
  `stepwise multi-node bench: ${os.cpus().length} cores, node ${process.version}; ` +
    `${EXECUTIONS} activity round trips (${POLLERS} pollers, ${LANES} start lanes, window ${WINDOW}); ` +
    `${CHAIN_EXECUTIONS} executions of a ${CHAIN}-Pass chain (${LANES} lanes)`,
);
const rows = [];
for (const key of args.configs.split(',')) {
  const config = CONFIGS[key];
  if (config === undefined) throw new Error(`unknown config ${key}`);
  const tag = `${key}-${Date.now().toString(36)}`;
  const result = await withConfig(config.store, config.nodes, async (clients, pids) => ({
    activity: await activityRoundTrips(clients, pids, tag),
    chain: await passChain(clients, pids, tag),
  }));
  rows.push({ config, ...result });
  const { activity, chain } = result;
  console.log(
    `${config.label.padEnd(22)} activity ${activity.perSec.toFixed(0).padStart(5)} rt/s ` +
      `(CPU stepwise ${activity.cpu.nodes}%, postgres ${activity.cpu.postgres}%, client ${activity.cpu.client}%, ` +
      `machine ${activity.cpu.machine}%)   ` +
      `pass chain ${chain.perSec.toFixed(0).padStart(6)} transitions/s = ${chain.executionsPerSec.toFixed(0)} executions/s ` +
      `(CPU stepwise ${chain.cpu.nodes}%, postgres ${chain.cpu.postgres}%, client ${chain.cpu.client}%, ` +
      `machine ${chain.cpu.machine}%)`,
  );
}

const capacity = os.cpus().length * 100;
console.log('');
for (const row of rows) {
  for (const [name, cpu] of [
    ['activity', row.activity.cpu],
    ['pass chain', row.chain.cpu],
  ]) {
    const ours = cpu.nodes + cpu.postgres + cpu.client;
    const others = Math.max(0, cpu.machine - ours);
    const biggest = cpu.postgres > cpu.nodes ? 'PostgreSQL' : 'the Stepwise node(s)';
    console.log(
      `${row.config.label}, ${name}: machine ${cpu.machine}% of ${capacity}% busy ` +
        `(this bench ${ours}%, other processes ${others}%): ` +
        (cpu.machine >= capacity * 0.85
          ? `CPU-bound (largest share of ours: ${biggest}).`
          : 'not CPU-bound: latency-bound (commit round trips, WAL flushes, hand-over serialisation).'),
    );
  }
}
