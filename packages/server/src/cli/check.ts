/**
 * One definition check shared by `validate`, `run` and `graph`: AWS's validation, then what
 * Stepwise cannot run yet (reported as errors, since `CreateStateMachine` would refuse it too).
 */
import { unsupportedFeatures, validateDefinition } from '@stepwise/core';
import type { Diagnostic, StateMachineDefinition } from '@stepwise/core';
import { JsonLocator } from './json-locate.js';
import type { Palette } from './style.js';

export interface LocatedDiagnostic extends Diagnostic {
  line: number;
  column: number;
}

export interface CheckResult {
  definition?: StateMachineDefinition;
  diagnostics: LocatedDiagnostic[];
}

export function checkDefinition(text: string, options: { unsupported?: boolean } = {}): CheckResult {
  const result = validateDefinition(text);
  const diagnostics: Diagnostic[] = [...result.diagnostics];
  if (result.definition !== undefined && options.unsupported !== false) {
    diagnostics.push(...unsupportedFeatures(result.definition));
  }
  const locator = new JsonLocator(text);
  const located = diagnostics.map((d) => {
    // A syntax error carries its own position in the message ("at line 3, column 7").
    const inMessage = /at line (\d+), column (\d+)$/.exec(d.message);
    const position =
      inMessage !== null
        ? { line: Number(inMessage[1]), column: Number(inMessage[2]) }
        : locator.locate(d.location);
    return { ...d, ...position };
  });
  const failed = located.some((d) => d.severity === 'ERROR');
  return failed || result.definition === undefined
    ? { diagnostics: located }
    : { definition: result.definition, diagnostics: located };
}

/** `file:line:col: error CODE: message (at /location)`: the shape compilers and editors use. */
export function formatDiagnostic(file: string, d: LocatedDiagnostic, c: Palette): string {
  const severity = d.severity === 'ERROR' ? c.red('error') : c.yellow('warning');
  const at = d.location === '' ? '' : c.dim(` (at ${d.location})`);
  return `${c.bold(`${file}:${d.line}:${d.column}`)}: ${severity} ${c.cyan(d.code)}: ${d.message}${at}`;
}
