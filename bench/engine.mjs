#!/usr/bin/env node
/**
 * `npm run bench:engine` (and part of `npm run bench`): the in-process engine against
 * aws-local-stepfunctions, in this one process, on the same definitions and inputs.
 *
 *   1. flow: N executions of Pass → Pass → Choice → Succeed, one after another.
 *   2. map:  one execution of an inline Map over N items with a Pass iterator.
 *
 * Stepwise is measured twice: as the server drives it (Runtime + MemoryStore, startExecution
 * per execution, result read from the returned execution record) and bare (transition() called
 * directly, no store), so the store's and runtime's share shows. See bench/README.md.
 *
 * Needs the built packages (`npm run build`; the npm scripts build first).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { DEFAULT_LIMITS, transition, validateDefinition } from '../packages/core/dist/index.js';
import { MemoryStore } from '../packages/server/dist/index.js';
import { Runtime } from '../packages/server/dist/runtime/runtime.js';

// aws-local-stepfunctions 3 uses Promise.withResolvers (Node ≥ 22). Polyfilled here, in the
// bench only, before the library is loaded.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
const { StateMachine } = await import('aws-local-stepfunctions');

export const ENGINE_GOALS = { flow: 4, map: 10 };

const OPTIONS = {
  executions: { type: 'string', default: '10000' },
  items: { type: 'string', default: '10000' },
  'warmup-executions': { type: 'string', default: '2000' },
  'warmup-maps': { type: 'string', default: '2' },
  rounds: { type: 'string', default: '3' },
  only: { type: 'string', default: 'flow,map' },
  peers: { type: 'string', default: 'runtime,bare,peer' },
  help: { type: 'boolean', short: 'h', default: false },
};

const USAGE = `usage: node bench/engine.mjs [options]   (npm run bench:engine -- [options] builds first)
  --executions N         flow executions per measured round (default 10000)
  --items N              Map items (default 10000)
  --warmup-executions N  flow executions per peer before measuring (default 2000)
  --warmup-maps N        Map executions per peer before measuring (default 2)
  --rounds N             measured rounds per peer, alternating peers; the table shows medians (default 3)
  --only LIST            comma list of flow, map (default flow,map)
  --peers LIST           comma list of runtime, bare, peer (default runtime,bare,peer)`;

// --- Workloads ---------------------------------------------------------------------------------

const FLOW = {
  Comment: 'Pass → Pass → Choice → Succeed',
  StartAt: 'Normalize',
  States: {
    Normalize: {
      Type: 'Pass',
      Parameters: {
        'orderId.$': '$.order.id',
        'amount.$': '$.order.amount',
        'tier.$': '$.customer.tier',
        source: 'bench',
      },
      ResultPath: '$.normalized',
      Next: 'Classify',
    },
    Classify: {
      Type: 'Pass',
      Parameters: {
        'lines.$': '$.order.lines',
        'region.$': '$.customer.region',
        channel: 'web',
      },
      ResultPath: '$.meta',
      Next: 'Route',
    },
    Route: {
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.normalized.amount', NumericGreaterThanEquals: 100 },
            { Variable: '$.normalized.tier', StringEquals: 'gold' },
          ],
          Next: 'Priority',
        },
        { Variable: '$.meta.region', StringMatches: 'eu-*', Next: 'Regional' },
      ],
      Default: 'Standard',
    },
    Priority: { Type: 'Succeed' },
    Regional: { Type: 'Succeed', OutputPath: '$.normalized' },
    Standard: { Type: 'Succeed', OutputPath: '$.meta' },
  },
};

function flowInput(i) {
  return {
    order: { id: `order-${i}`, amount: (i * 37) % 250, lines: [{ sku: `sku-${i % 17}`, qty: 1 + (i % 3) }] },
    customer: {
      id: `c-${i % 101}`,
      tier: i % 3 === 0 ? 'gold' : 'silver',
      region: i % 4 === 0 ? 'eu-west-1' : 'us-east-1',
    },
  };
}

const MAP = {
  Comment: 'one inline Map with a Pass iterator',
  StartAt: 'Fan',
  States: {
    Fan: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Shape',
        States: {
          Shape: {
            Type: 'Pass',
            Parameters: { 'id.$': '$.id', 'value.$': '$.value', kind: 'item' },
            End: true,
          },
        },
      },
      ResultPath: '$.results',
      End: true,
    },
  },
};

function mapInput(items) {
  return {
    batch: 'b-1',
    items: Array.from({ length: items }, (_, i) => ({ id: i, value: `v${i}`, weight: i % 7 })),
  };
}

// --- Peers -------------------------------------------------------------------------------------

const ACCOUNT_PREFIX = 'arn:aws:states:us-east-1:123456789012';

/** Stepwise as the server drives it: Runtime + MemoryStore, a state machine record as CreateStateMachine writes it. */
async function runtimePeer(name, definition, limits) {
  const store = new MemoryStore();
  const runtime = new Runtime({ store, limits });
  const now = Date.now();
  const stateMachineArn = `${ACCOUNT_PREFIX}:stateMachine:${name}`;
  const text = JSON.stringify(definition);
  const { definition: parsed, diagnostics } = validateDefinition(text, { type: 'STANDARD' });
  if (parsed === undefined) throw new Error(`${name}: invalid definition ${JSON.stringify(diagnostics)}`);
  const record = {
    stateMachineArn,
    name,
    type: 'STANDARD',
    status: 'ACTIVE',
    creationDate: now,
    current: {
      stateMachineArn,
      revisionKey: randomBytes(16).toString('hex'),
      definition: text,
      roleArn: `arn:aws:iam::123456789012:role/bench`,
      loggingConfiguration: JSON.stringify({ level: 'OFF', includeExecutionData: false }),
      tracingConfiguration: JSON.stringify({ enabled: false }),
      createdAt: now,
    },
  };
  const outcome = await store.createStateMachine(record);
  if (!outcome.created) throw new Error('state machine exists');
  const stateMachine = await store.getStateMachine(stateMachineArn);
  let seq = 0;
  return {
    async run(input) {
      const executionName = `e-${++seq}`;
      const { execution } = await runtime.startExecution(
        stateMachine,
        `${ACCOUNT_PREFIX}:execution:${name}:${executionName}`,
        executionName,
        input,
      );
      if (execution.status !== 'SUCCEEDED') {
        throw new Error(
          `${executionName}: ${execution.status} ${execution.error ?? ''} ${execution.cause ?? ''}`,
        );
      }
      return execution.output;
    },
    close: () => runtime.close(),
  };
}

/** Stepwise bare: the pure transition function, no runtime and no store. */
async function barePeer(name, definition, limits) {
  const { definition: parsed } = validateDefinition(JSON.stringify(definition), { type: 'STANDARD' });
  const stateMachineArn = `${ACCOUNT_PREFIX}:stateMachine:${name}`;
  const env = { now: 0, nonce: '', activityExists: () => false };
  let seq = 0;
  return {
    async run(input) {
      const executionName = `e-${++seq}`;
      const now = Date.now();
      env.now = now;
      env.nonce = randomBytes(16).toString('hex');
      const result = transition(
        parsed,
        {
          executionArn: `${ACCOUNT_PREFIX}:execution:${name}:${executionName}`,
          stateMachineArn,
          stateMachineName: name,
          name: executionName,
          roleArn: 'arn:aws:iam::123456789012:role/bench',
          input: input.value,
          startDate: now,
          status: 'RUNNING',
          nextEventId: 1,
          redriveCount: 0,
        },
        [],
        { type: 'StartExecution' },
        env,
        limits,
      );
      if (!result.ok || result.execution.status !== 'SUCCEEDED') {
        throw new Error(`${executionName}: ${JSON.stringify(result.ok ? result.execution : result)}`);
      }
      return result.execution.output;
    },
    close: async () => undefined,
  };
}

/** aws-local-stepfunctions through its documented API. */
async function peerPeer(_name, definition) {
  const machine = new StateMachine(definition);
  return {
    async run(input) {
      return JSON.stringify(await machine.run(input.value).result);
    },
    close: async () => undefined,
  };
}

const PEERS = {
  runtime: { label: 'Stepwise (Runtime + MemoryStore)', make: runtimePeer },
  bare: { label: 'Stepwise (bare transition())', make: barePeer },
  peer: { label: 'aws-local-stepfunctions', make: peerPeer },
};

// --- Measuring ---------------------------------------------------------------------------------

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '—';
const pad = (s, n) => String(s).padStart(n);
const padEnd = (s, n) => String(s).padEnd(n);

/** Inputs as the API hands them to the runtime: JSON text and its parsed value. */
const asInput = (value) => ({ text: JSON.stringify(value), value });

async function timeFlow(instance, inputs) {
  const t0 = performance.now();
  for (const input of inputs) await instance.run(input);
  const ms = performance.now() - t0;
  return { ms, perSec: (1000 * inputs.length) / ms };
}

async function timeMap(instance, input, items) {
  const t0 = performance.now();
  await instance.run(input);
  const ms = performance.now() - t0;
  return { ms, perSec: (1000 * items) / ms };
}

/** Every engine answers the same output for the same input, or the bench stops here. */
function verify(workload, outputs) {
  const [first, ...rest] = Object.entries(outputs);
  for (const [peer, text] of rest) {
    if (!isDeepStrictEqual(JSON.parse(text), JSON.parse(first[1]))) {
      throw new Error(
        `${workload}: ${peer} and ${first[0]} disagree:\n  ${peer}: ${text.slice(0, 400)}\n  ${first[0]}: ${first[1].slice(0, 400)}`,
      );
    }
  }
}

/**
 * Runs the engine benchmark and prints its table. Returns the figures; never throws on a
 * missed goal (a disagreement between the engines does throw).
 */
export async function runEngineBench(argv = process.argv.slice(2)) {
  const { values: args } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  if (args.help) {
    console.log(USAGE);
    return undefined;
  }
  const int = (name) => {
    const n = Number(args[name]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects a non-negative integer`);
    return n;
  };
  const executions = int('executions');
  const items = int('items');
  const warmupExecutions = int('warmup-executions');
  const warmupMaps = int('warmup-maps');
  const rounds = Math.max(1, int('rounds'));
  const workloads = args.only.split(',').map((s) => s.trim());
  const peerNames = args.peers.split(',').map((s) => s.trim());
  for (const p of peerNames) if (!(p in PEERS)) throw new Error(`unknown peer ${p}`);
  for (const w of workloads) if (w !== 'flow' && w !== 'map') throw new Error(`unknown workload ${w}`);

  // An inline Map of N items writes ≥ 3 events per item (MapIterationStarted, PassStateEntered,
  // PassStateExited, MapIterationSucceeded), so AWS's 25,000-event history limit would fail it.
  // Its output (the items and their results) is also past AWS's 256 KiB payload limit.
  const mapLimits = { ...DEFAULT_LIMITS, maxHistoryEvents: 1_000_000, maxPayloadBytes: 64 * 1024 * 1024 };

  const cpus = os.cpus();
  console.log('Stepwise bench: in-process engine against aws-local-stepfunctions (same process)');
  console.log(`machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), node ${process.version}`);
  console.log(
    `load: flow = ${fmt(executions)} executions of Pass → Pass → Choice → Succeed, one after another; ` +
      `map = one inline Map over ${fmt(items)} items with a Pass iterator; ` +
      `warm-up ${fmt(warmupExecutions)} flow executions and ${warmupMaps} Map run(s) per peer; ${rounds} measured round(s), peers alternating`,
  );
  console.log(
    `note: the Map runs with limits.maxHistoryEvents raised from ${fmt(DEFAULT_LIMITS.maxHistoryEvents)} to ${fmt(mapLimits.maxHistoryEvents)} ` +
      `(AWS's 25,000-event history limit would fail an inline Map of ${fmt(items)} items: ≥ 3 events per item), ` +
      `and limits.maxPayloadBytes from ${fmt(DEFAULT_LIMITS.maxPayloadBytes)} to ${fmt(mapLimits.maxPayloadBytes)} ` +
      `(the Map's output holds every item and result; aws-local-stepfunctions enforces neither limit)`,
  );
  console.log('');

  const results = {};

  if (workloads.includes('flow')) {
    const inputs = Array.from({ length: executions }, (_, i) => asInput(flowInput(i)));
    const warm = Array.from({ length: warmupExecutions }, (_, i) => asInput(flowInput(executions + i)));
    const instances = {};
    for (const p of peerNames) instances[p] = await PEERS[p].make('bench-flow', FLOW, DEFAULT_LIMITS);
    // Same output from every engine, on inputs that take each of the Choice's three ways.
    for (let i = 0; i < 24; i++) {
      const outputs = {};
      for (const p of peerNames) outputs[p] = await instances[p].run(inputs[i % inputs.length]);
      verify(`flow input #${i}`, outputs);
    }
    for (const p of peerNames) await timeFlow(instances[p], warm);
    const runs = Object.fromEntries(peerNames.map((p) => [p, []]));
    for (let r = 0; r < rounds; r++) {
      for (const p of peerNames) {
        const t = await timeFlow(instances[p], inputs);
        runs[p].push(t.perSec);
        console.log(
          `  flow round ${r + 1} ${padEnd(PEERS[p].label, 34)} ${pad(fmt(t.perSec), 9)} executions/s (${fmt(t.ms)} ms)`,
        );
      }
    }
    for (const p of peerNames) await instances[p].close();
    results.flow = Object.fromEntries(peerNames.map((p) => [p, median(runs[p])]));
  }

  if (workloads.includes('map')) {
    const input = asInput(mapInput(items));
    const instances = {};
    for (const p of peerNames) instances[p] = await PEERS[p].make('bench-map', MAP, mapLimits);
    const outputs = {};
    for (const p of peerNames) outputs[p] = await instances[p].run(input);
    verify('map', outputs);
    for (let w = 1; w < warmupMaps; w++) for (const p of peerNames) await instances[p].run(input);
    const runs = Object.fromEntries(peerNames.map((p) => [p, []]));
    for (let r = 0; r < rounds; r++) {
      for (const p of peerNames) {
        const t = await timeMap(instances[p], input, items);
        runs[p].push(t.perSec);
        console.log(
          `  map  round ${r + 1} ${padEnd(PEERS[p].label, 34)} ${pad(fmt(t.perSec), 9)} items/s (${fmt(t.ms)} ms)`,
        );
      }
    }
    for (const p of peerNames) await instances[p].close();
    results.map = Object.fromEntries(peerNames.map((p) => [p, median(runs[p])]));
  }

  console.log('');
  const header = `${padEnd('workload', 18)} ${padEnd('peer', 34)} ${pad('per second', 12)} ${pad('vs aws-local', 13)}`;
  console.log(header);
  console.log('-'.repeat(header.length));
  for (const w of Object.keys(results)) {
    const unit = w === 'flow' ? 'executions' : 'items';
    const base = results[w].peer;
    for (const p of peerNames) {
      const ratio = base !== undefined ? results[w][p] / base : NaN;
      console.log(
        `${padEnd(`${w} (${unit})`, 18)} ${padEnd(PEERS[p].label, 34)} ${pad(fmt(results[w][p]), 12)} ${pad(p === 'peer' ? '1.00×' : fmt(ratio, 2) + '×', 13)}`,
      );
    }
  }
  console.log('');
  const goals = {};
  for (const w of Object.keys(results)) {
    const { runtime, peer } = results[w];
    if (runtime === undefined || peer === undefined) continue;
    const ratio = runtime / peer;
    goals[w] = { ratio, goal: ENGINE_GOALS[w], met: ratio >= ENGINE_GOALS[w] };
    const what =
      w === 'flow'
        ? 'executions/s (Pass→Pass→Choice→Succeed)'
        : 'items/s (Map over ' + fmt(items) + ' items)';
    console.log(
      `goal: Stepwise (Runtime + MemoryStore) ≥ ${ENGINE_GOALS[w]}× aws-local-stepfunctions' ${what}: ` +
        `${ratio >= ENGINE_GOALS[w] ? 'MET' : 'MISSED'} (${fmt(ratio, 2)}×: ${fmt(runtime)} vs ${fmt(peer)} /s)`,
    );
  }
  if (rounds > 1) console.log(`(figures are medians of ${rounds} rounds per peer)`);
  return { results, goals };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runEngineBench();
}
