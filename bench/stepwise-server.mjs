/**
 * The server under test, as a child process of bench/run.mjs (fork, IPC): the built Stepwise
 * server (packages/server/dist) started exactly as `stepwise serve` starts it, on a fresh data
 * dir. Messages: it sends {ready, url} once listening; on {stats} it answers its CPU time and
 * event-loop utilization since start (and, with BENCH_TRACE=1, time spent per store/runtime
 * method); on {stop} it closes gracefully and exits (so that --cpu-prof can write its profile).
 *
 * Usage (from run.mjs): stepwise-server.mjs <dataDir|:memory:> <pollHoldMs>
 */
import { performance } from 'node:perf_hooks';

// BENCH_SERVER_DIST points at another build of packages/server/dist (to compare an experiment).
const dist = process.env.BENCH_SERVER_DIST ?? new URL('../packages/server/dist', import.meta.url).pathname;
const { startServer } = await import(`${dist}/index.js`);

const [dataDirArg, pollHoldArg] = process.argv.slice(2);
const dataDir = dataDirArg === ':memory:' ? null : dataDirArg;

const server = await startServer({ port: 0, dataDir, pollHoldMs: Number(pollHoldArg ?? 60_000) });

// Experiments only (see README): BENCH_SQLITE_PRAGMAS="wal_autocheckpoint = 0;synchronous = OFF"
// applies pragmas to the store's connection after it opened, to measure what a setting is worth.
if (process.env.BENCH_SQLITE_PRAGMAS && server.store.db !== undefined) {
  for (const pragma of process.env.BENCH_SQLITE_PRAGMAS.split(';')) server.store.db.pragma(pragma);
}

/** name -> { calls, ms } */
const trace = new Map();
if (process.env.BENCH_TRACE === '1') {
  const wrap = (target, label, names) => {
    for (const name of names) {
      const original = target[name];
      if (typeof original !== 'function') continue;
      const entry = { calls: 0, ms: 0 };
      trace.set(`${label}.${name}`, entry);
      target[name] = function traced(...args) {
        const t0 = performance.now();
        const result = original.apply(this, args);
        if (result instanceof Promise) {
          // The stores answer synchronously work already done; for them the time until the
          // promise exists is the work. Runtime methods await, so they are timed to settlement.
          return result.finally(() => {
            entry.calls++;
            entry.ms += performance.now() - t0;
          });
        }
        entry.calls++;
        entry.ms += performance.now() - t0;
        return result;
      };
    }
  };
  const storeMethods = [
    'getActivity',
    'getStateMachine',
    'createExecution',
    'getExecution',
    'loadThreads',
    'commitTransition',
    'nextQueuedTask',
    'getRevision',
  ];
  // Synchronous part of the store call: wrap with a non-async timer around the call itself.
  for (const name of storeMethods) {
    const original = server.store[name];
    if (typeof original !== 'function') continue;
    const entry = { calls: 0, ms: 0 };
    trace.set(`store.${name}`, entry);
    server.store[name] = function traced(...args) {
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        entry.calls++;
        entry.ms += performance.now() - t0;
      }
    };
  }
  // Runtime: compute is the engine (transition) plus activity checks; timed to settlement.
  wrap(server.runtime, 'runtime', ['compute', 'deliver', 'startExecution']);
}

const cpuAtStart = process.cpuUsage();
const eluAtStart = performance.eventLoopUtilization();
process.send({ ready: true, url: server.url });

process.on('message', (message) => {
  if (message?.stats) {
    process.send({
      stats: {
        cpu: process.cpuUsage(cpuAtStart),
        elu: performance.eventLoopUtilization(eluAtStart),
        trace: Object.fromEntries([...trace].map(([k, v]) => [k, { ...v }])),
      },
    });
  }
  if (message?.stop) {
    server.close().then(
      () => process.exit(0),
      (error) => {
        console.error('bench: stepwise close failed:', error);
        process.exit(1);
      },
    );
  }
});
