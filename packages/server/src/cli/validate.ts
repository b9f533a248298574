/** `stepwise validate <files…>`: AWS's definition diagnostics, located in each file. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { LocatedDiagnostic } from './check.js';
import { checkDefinition, formatDiagnostic } from './check.js';
import { palette, progress } from './style.js';

interface FileReport {
  file: string;
  valid: boolean;
  diagnostics: LocatedDiagnostic[];
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check state machine definitions as CreateStateMachine would (exit 1 on any error)')
    .argument('<files...>', 'definition files (JSON)')
    .option('--json', 'print the diagnostics as JSON')
    .addHelpText(
      'after',
      `
Each problem is printed as file:line:column: error CODE: message (at /JSON/location), with the
codes and messages AWS uses (SCHEMA_VALIDATION_FAILED, MISSING_TRANSITION_TARGET, …).
Definitions that are valid ASL but use something Stepwise does not run yet are reported with
the code UNSUPPORTED_FEATURE.

Examples:
  $ stepwise validate examples/age-check/*.json
  $ stepwise validate --json machine.json | jq '.[].diagnostics[].code'`,
    )
    .action(async (files: string[], options: { json?: boolean }) => {
      process.exitCode = await validateFiles(files, options.json === true);
    });
}

export async function validateFiles(files: string[], json: boolean): Promise<number> {
  const reports: FileReport[] = [];
  const bar = files.length > 1 ? progress() : undefined;
  for (const [i, file] of files.entries()) {
    bar?.update(`validating ${i + 1}/${files.length} ${file}`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const diagnostic: LocatedDiagnostic = {
        severity: 'ERROR',
        code: 'FILE_NOT_READABLE',
        message,
        location: '',
        line: 1,
        column: 1,
      };
      reports.push({ file, valid: false, diagnostics: [diagnostic] });
      continue;
    }
    const { diagnostics } = checkDefinition(text);
    reports.push({ file, valid: !diagnostics.some((d) => d.severity === 'ERROR'), diagnostics });
  }
  bar?.done();

  if (json) {
    console.log(JSON.stringify(reports, null, 2));
  } else {
    const c = palette(process.stdout);
    for (const report of reports) {
      if (report.diagnostics.length === 0) console.log(`${c.bold(report.file)}: ${c.green('valid')}`);
      for (const d of report.diagnostics) console.log(formatDiagnostic(report.file, d, c));
    }
    const errors = reports.reduce(
      (n, r) => n + r.diagnostics.filter((d) => d.severity === 'ERROR').length,
      0,
    );
    const bad = reports.filter((r) => !r.valid).length;
    if (reports.length > 1 || errors > 0) {
      console.log(
        errors === 0
          ? c.green(`${reports.length} files valid`)
          : c.red(
              `${errors} error${errors === 1 ? '' : 's'} in ${bad} of ${reports.length} file${reports.length === 1 ? '' : 's'}`,
            ),
      );
    }
  }
  return reports.every((r) => r.valid) ? 0 : 1;
}
