#!/usr/bin/env node
/**
 * Summarizes a V8 .cpuprofile (as written by `node bench/run.mjs --profile`): the functions with
 * the most self time, the files with the most self time, and inclusive time of chosen functions.
 *
 * usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N] [--inclusive name1,name2]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, inclusive: { type: 'string', default: '' } },
});
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const top = Number(values.top);

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from samples and time deltas.
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idle = [...selfUs]
  .filter(([id]) => nodes.get(id).callFrame.functionName === '(idle)')
  .reduce((a, [, v]) => a + v, 0);
const busy = total - idle;

const label = (cf) => {
  const file = cf.url ? path.basename(cf.url.replace(/^file:\/\//, '')) : '';
  return `${cf.functionName || '(anonymous)'} ${file}${file ? `:${cf.lineNumber + 1}` : ''}`;
};
const byFunction = new Map();
const byFile = new Map();
for (const [id, us] of selfUs) {
  const cf = nodes.get(id).callFrame;
  if (cf.functionName === '(idle)') continue;
  const key = label(cf);
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const file = cf.url
    ? cf.url.replace(/^file:\/\//, '').replace(/^.*\/(packages|node_modules)\//, '$1/')
    : `(${cf.functionName || 'native'})`;
  byFile.set(file, (byFile.get(file) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
console.log(
  `profile: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (${((100 * busy) / total).toFixed(0)}%)`,
);
console.log(`\nself time by function (top ${top}, % of busy):`);
for (const [key, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${pct(us)}  ${key}`);
console.log('\nself time by file (% of busy):');
for (const [key, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${pct(us)}  ${key}`);

if (values.inclusive !== '') {
  // Inclusive time: a sample counts once for a name if any frame on its stack has that name.
  const names = values.inclusive.split(',');
  const incl = new Map(names.map((n) => [n, 0]));
  for (const [id, us] of selfUs) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const fn = nodes.get(cur).callFrame.functionName;
      if (incl.has(fn) && !seen.has(fn)) {
        seen.add(fn);
        incl.set(fn, incl.get(fn) + us);
      }
    }
  }
  console.log('\ninclusive time (% of busy):');
  for (const [name, us] of incl) console.log(`  ${pct(us)}  ${name}`);
}
