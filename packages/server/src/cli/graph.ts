/** `stepwise graph <definition.json>`: the workflow as mermaid, dot or SVG, for docs. */
import { readFile } from 'node:fs/promises';
import { Option } from 'commander';
import type { Command } from 'commander';
import { buildGraph } from '@stepwise/core';
import { checkDefinition, formatDiagnostic } from './check.js';
import { toDot, toMermaid, toSvg } from './render-graph.js';
import { palette } from './style.js';

type Format = 'mermaid' | 'dot' | 'svg';

export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description('Draw a definition: states, transitions, Choice rules, Catch edges, Parallel/Map groups')
    .argument('<definition>', 'definition file (JSON)')
    .addOption(
      new Option('--format <format>', 'output format').choices(['mermaid', 'dot', 'svg']).default('mermaid'),
    )
    .addHelpText(
      'after',
      `
The graph goes to stdout. mermaid renders on GitHub inside a \`\`\`mermaid block; dot is for
Graphviz; svg is a self-contained picture laid out by Stepwise itself (no Graphviz needed).

Examples:
  $ stepwise graph examples/age-check/content-browse.json
  $ stepwise graph machine.json --format dot | dot -Tpng > machine.png
  $ stepwise graph machine.json --format svg > machine.svg`,
    )
    .action(async (file: string, options: { format: Format }) => {
      process.exitCode = await graph(file, options.format);
    });
}

async function graph(file: string, format: Format): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    console.error(`stepwise graph: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  // Drawing needs valid ASL, but not that Stepwise can run it: a Parallel drawn for docs is fine.
  const { definition, diagnostics } = checkDefinition(text, { unsupported: false });
  if (definition === undefined) {
    const c = palette(process.stderr);
    for (const d of diagnostics) console.error(formatDiagnostic(file, d, c));
    return 1;
  }
  const model = buildGraph(definition);
  const render = format === 'dot' ? toDot : format === 'svg' ? toSvg : toMermaid;
  process.stdout.write(render(model));
  return 0;
}
