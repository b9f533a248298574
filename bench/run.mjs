#!/usr/bin/env node
/**
 * `npm run bench`: durable activity round trips through the HTTP API, Stepwise against the
 * ceiling measured in the same run. See bench/README.md for what the figures mean.
 *
 * Processes: this one is the load generator; the server under test (built Stepwise on SQLite)
 * and the ceiling (a minimal in-memory responder) each run in a child process, one at a time,
 * so both peers get the same treatment and share the machine's cores with the same client.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Load, percentile } from './load.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const { values: args } = parseArgs({
  options: {
    executions: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '600' },
    pollers: { type: 'string', default: '32' },
    'start-lanes': { type: 'string', default: '8' },
    window: { type: 'string', default: '64' },
    repeat: { type: 'string', default: '1' },
    peers: { type: 'string', default: 'ceiling,sqlite' },
    'poll-hold-ms': { type: 'string', default: '60000' },
    'data-dir': { type: 'string' },
    'alt-dist': { type: 'string' },
    'alt-pragmas': { type: 'string' },
    profile: { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    json: { type: 'string' },
    'skip-engine': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  console.log(`usage: node bench/run.mjs [options]   (npm run bench -- [options] builds first)
  --executions N     measured executions per peer run (default 3000)
  --warmup N         warm-up executions before the measured phase (default 600)
  --pollers N        concurrent GetActivityTask → SendTaskSuccess loops (default 32)
  --start-lanes N    StartExecution requests in flight at most (default 8)
  --window N         executions outstanding (started, task not yet answered) at most (default 64)
  --repeat N         run each peer N times, alternating; the table shows medians (default 1)
  --peers LIST       comma list of ceiling, sqlite, memory, alt (default ceiling,sqlite)
  --alt-dist DIR     another build of packages/server/dist, run as peer "alt" on SQLite
                     (A/B a change in the same run; adds alt to the peers)
  --alt-pragmas P    SQLite pragmas (";"-separated) applied to the alt peer's connection only;
                     without --alt-dist, alt runs this build (A/B a setting in the same run)
  --poll-hold-ms N   server long-poll hold (default 60000)
  --data-dir DIR     parent of the SQLite data dir (default: the OS temp dir)
  --profile          run the server children with --cpu-prof (profiles in bench/results/profiles)
  --trace            time store and runtime methods inside the Stepwise children
  --json FILE        also write the raw figures as JSON
  --skip-engine      do not run the in-process engine benchmark afterwards (bench/engine.mjs;
                     run it alone with npm run bench:engine -- [options])`);
  process.exit(0);
}

const int = (name) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects a non-negative integer`);
  return n;
};
const config = {
  executions: int('executions'),
  warmup: int('warmup'),
  pollers: int('pollers'),
  startLanes: int('start-lanes'),
  window: int('window'),
  repeat: Math.max(1, int('repeat')),
  pollHoldMs: int('poll-hold-ms'),
};
const PEERS = {
  ceiling: { label: 'ceiling (in-memory responder)', script: 'ceiling-server.mjs' },
  sqlite: { label: 'Stepwise (SQLite, durable)', script: 'stepwise-server.mjs', store: 'sqlite' },
  memory: { label: 'Stepwise (memory store)', script: 'stepwise-server.mjs', store: 'memory' },
  alt: {
    label: 'Stepwise alt build (SQLite)',
    script: 'stepwise-server.mjs',
    store: 'sqlite',
    dist: args['alt-dist'],
  },
};
if (args['alt-pragmas'] !== undefined && args['alt-dist'] === undefined) {
  PEERS.alt.dist = path.join(here, '..', 'packages', 'server', 'dist');
  PEERS.alt.label = 'Stepwise alt pragmas (SQLite)';
  args['alt-dist'] = PEERS.alt.dist;
}
const peerNames = args.peers.split(',').map((p) => p.trim());
if (args['alt-dist'] !== undefined && !peerNames.includes('alt')) peerNames.push('alt');
if (peerNames.includes('alt') && args['alt-dist'] === undefined) throw new Error('peer alt needs --alt-dist');
for (const name of peerNames) if (!(name in PEERS)) throw new Error(`unknown peer ${name}`);

/** Starts a peer's child process and resolves once it listens. */
async function startPeer(name, runIndex) {
  const peer = PEERS[name];
  const execArgv = [];
  let dataDir;
  if (args.profile) {
    const dir = path.join(here, 'results', 'profiles');
    mkdirSync(dir, { recursive: true });
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      `--cpu-prof-name=${name}-${runIndex}-${Date.now()}.cpuprofile`,
    );
  }
  const childArgs = [];
  if (peer.store === 'sqlite') {
    dataDir = mkdtempSync(path.join(args['data-dir'] ?? os.tmpdir(), 'stepwise-bench-'));
    childArgs.push(dataDir, String(config.pollHoldMs));
  } else if (peer.store === 'memory') {
    childArgs.push(':memory:', String(config.pollHoldMs));
  }
  const child = fork(path.join(here, peer.script), childArgs, {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      BENCH_POLL_HOLD_MS: String(config.pollHoldMs),
      ...(args.trace ? { BENCH_TRACE: '1' } : {}),
      ...(peer.dist !== undefined ? { BENCH_SERVER_DIST: path.resolve(peer.dist) } : {}),
      ...(name === 'alt' && args['alt-pragmas'] !== undefined
        ? { BENCH_SQLITE_PRAGMAS: args['alt-pragmas'] }
        : {}),
    },
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    child.once('message', (message) =>
      message?.ready ? resolve(message.url) : reject(new Error('bad hello')),
    );
    exited.then(({ code, signal }) => reject(new Error(`${name} exited early (${code ?? signal})`)));
  });
  const stats = () =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (message?.stats === undefined) return;
        child.off('message', onMessage);
        resolve(message.stats);
      };
      child.on('message', onMessage);
      child.send({ stats: true });
    });
  const stop = async () => {
    child.send({ stop: true });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, stats, stop };
}

/** One peer, once: warm-up phase, then the measured phase. */
async function runPeer(name, runIndex) {
  const server = await startPeer(name, runIndex);
  const load = new Load(server.url, `${name}-${runIndex}`, {
    pollers: config.pollers,
    startLanes: config.startLanes,
    window: config.window,
    timeoutMs: 180_000,
  });
  try {
    await load.setUp();
    if (config.warmup > 0) await load.runPhase('warmup', config.warmup);
    const before = await server.stats();
    const clientCpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const result = await load.runPhase('measured', config.executions);
    const wallMs = performance.now() - wall0;
    const clientCpu = process.cpuUsage(clientCpu0);
    const after = await server.stats();
    const serverCpuMs = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
    const eluActive = after.elu.active - before.elu.active;
    const eluIdle = after.elu.idle - before.elu.idle;
    const trace = {};
    for (const [key, entry] of Object.entries(after.trace)) {
      const prev = before.trace[key] ?? { calls: 0, ms: 0 };
      trace[key] = { calls: entry.calls - prev.calls, ms: entry.ms - prev.ms };
    }
    return {
      peer: name,
      run: runIndex,
      executions: result.executions,
      elapsedMs: result.elapsedMs,
      roundTripsPerSec: result.roundTripsPerSec,
      handOver: { p50: percentile(result.handOverMs, 50), p99: percentile(result.handOverMs, 99) },
      start: { p50: percentile(result.startMs, 50), p99: percentile(result.startMs, 99) },
      success: { p50: percentile(result.successMs, 50), p99: percentile(result.successMs, 99) },
      emptyPolls: result.emptyPolls,
      serverCpuPct: (100 * serverCpuMs) / wallMs,
      serverCpuUsPerRoundTrip: (1000 * serverCpuMs) / result.executions,
      serverLoopBusyPct: (100 * eluActive) / (eluActive + eluIdle),
      clientCpuPct: (100 * (clientCpu.user + clientCpu.system)) / 1000 / wallMs,
      trace,
    };
  } finally {
    await load.close();
    await server.stop();
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const pad = (s, n) => String(s).padStart(n);
const padEnd = (s, n) => String(s).padEnd(n);

function summarize(runs) {
  return {
    roundTripsPerSec: median(runs.map((r) => r.roundTripsPerSec)),
    p50: median(runs.map((r) => r.handOver.p50)),
    p99: median(runs.map((r) => r.handOver.p99)),
    startP50: median(runs.map((r) => r.start.p50)),
    successP50: median(runs.map((r) => r.success.p50)),
    serverCpuPct: median(runs.map((r) => r.serverCpuPct)),
    serverCpuUsPerRoundTrip: median(runs.map((r) => r.serverCpuUsPerRoundTrip)),
    serverLoopBusyPct: median(runs.map((r) => r.serverLoopBusyPct)),
    clientCpuPct: median(runs.map((r) => r.clientCpuPct)),
  };
}

// ---------------------------------------------------------------------------------------------

const cpus = os.cpus();
console.log('Stepwise bench: durable activity round trips through the HTTP API');
console.log(
  `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), node ${process.version}; ` +
    'the load generator (this process) and the server under test (a child process) share these cores',
);
console.log(
  `load: ${config.executions} one-Task executions per run after ${config.warmup} warm-up, ` +
    `${config.pollers} pollers (GetActivityTask → SendTaskSuccess), ${config.startLanes} StartExecution lanes, ` +
    `at most ${config.window} executions outstanding; ${config.repeat} run(s) per peer` +
    (args.profile ? '; Stepwise under --cpu-prof (slower)' : '') +
    (args.trace ? '; Stepwise traced (slower)' : ''),
);
console.log('');

const runs = [];
for (let r = 0; r < config.repeat; r++) {
  for (const name of peerNames) {
    const result = await runPeer(name, r);
    runs.push(result);
    console.log(
      `  run ${r + 1} ${padEnd(PEERS[name].label, 30)} ${pad(fmt(result.roundTripsPerSec, 0), 6)} rt/s  ` +
        `hand-over p50 ${fmt(result.handOver.p50, 2)} ms p99 ${fmt(result.handOver.p99, 2)} ms  ` +
        `(${result.executions} in ${fmt(result.elapsedMs / 1000, 2)} s)`,
    );
    if (args.trace && Object.keys(result.trace).length > 0) {
      for (const [key, entry] of Object.entries(result.trace).sort((a, b) => b[1].ms - a[1].ms)) {
        if (entry.calls === 0) continue;
        console.log(
          `      ${padEnd(key, 26)} ${pad(entry.calls, 7)} calls ${pad(fmt(entry.ms, 0), 7)} ms total ` +
            `${pad(fmt((1000 * entry.ms) / entry.calls, 0), 6)} µs/call ${pad(fmt((1000 * entry.ms) / result.executions, 0), 6)} µs/rt`,
        );
      }
    }
  }
}

const byPeer = Object.fromEntries(
  peerNames.map((name) => [name, summarize(runs.filter((r) => r.peer === name))]),
);

console.log('');
const header =
  `${padEnd('peer', 30)} ${pad('round trips/s', 13)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ` +
  `${pad('start p50', 9)} ${pad('success p50', 11)} ${pad('server CPU', 10)} ${pad('CPU µs/rt', 9)} ${pad('client CPU', 10)}`;
console.log(header);
console.log('-'.repeat(header.length));
for (const name of peerNames) {
  const s = byPeer[name];
  console.log(
    `${padEnd(PEERS[name].label, 30)} ${pad(fmt(s.roundTripsPerSec, 0), 13)} ${pad(fmt(s.p50, 2), 8)} ${pad(fmt(s.p99, 2), 8)} ` +
      `${pad(fmt(s.startP50, 2), 9)} ${pad(fmt(s.successP50, 2), 11)} ${pad(fmt(s.serverCpuPct, 0) + '%', 10)} ` +
      `${pad(fmt(s.serverCpuUsPerRoundTrip, 0), 9)} ${pad(fmt(s.clientCpuPct, 0) + '%', 10)}`,
  );
}
const ceiling = byPeer.ceiling;
for (const name of peerNames.filter((n) => n !== 'ceiling')) {
  if (ceiling === undefined) break;
  const s = byPeer[name];
  const throughputRatio = s.roundTripsPerSec / ceiling.roundTripsPerSec;
  const p99Ratio = s.p99 / ceiling.p99;
  console.log(
    `${padEnd(`ratio ${name}/ceiling`, 30)} ${pad(fmt(100 * throughputRatio, 0) + '%', 13)} ` +
      `${pad(fmt(s.p50 / ceiling.p50, 2) + '×', 8)} ${pad(fmt(p99Ratio, 2) + '×', 8)}`,
  );
}
console.log('');
if (ceiling !== undefined && byPeer.sqlite !== undefined) {
  const s = byPeer.sqlite;
  const throughputRatio = s.roundTripsPerSec / ceiling.roundTripsPerSec;
  const p99Ratio = s.p99 / ceiling.p99;
  console.log(
    `goal: durable Stepwise ≥ 50% of the ceiling's round trips/s: ${throughputRatio >= 0.5 ? 'MET' : 'MISSED'} ` +
      `(${fmt(100 * throughputRatio, 0)}%: ${fmt(s.roundTripsPerSec, 0)} vs ${fmt(ceiling.roundTripsPerSec, 0)} /s)`,
  );
  console.log(
    `goal: hand-over p99 ≤ 2× the ceiling's:                ${p99Ratio <= 2 ? 'MET' : 'MISSED'} ` +
      `(${fmt(p99Ratio, 2)}×: ${fmt(s.p99, 2)} vs ${fmt(ceiling.p99, 2)} ms)`,
  );
}
if (config.repeat > 1) console.log(`(figures are medians of ${config.repeat} runs per peer)`);

const jsonPath = args.json;
if (jsonPath !== undefined) {
  writeFileSync(
    jsonPath,
    JSON.stringify(
      { config, machine: { cores: cpus.length, node: process.version }, runs, summary: byPeer },
      null,
      2,
    ),
  );
  console.log(`raw figures: ${jsonPath}`);
}

// The in-process engine against aws-local-stepfunctions (bench/engine.mjs), with its defaults,
// in a fresh process of its own so that this load generator's heap and JIT state stay out of it.
if (!args['skip-engine']) {
  console.log('');
  const engine = fork(path.join(here, 'engine.mjs'), [], { stdio: 'inherit' });
  const code = await new Promise((resolve) => engine.once('exit', (c, signal) => resolve(c ?? signal)));
  if (code !== 0) {
    console.error(`bench/engine.mjs failed (${code})`);
    process.exitCode = 1;
  }
}
