import type { Json } from '../../json.js';
import { toJsonText } from '../../json.js';
import type { FailState } from '../../asl/definition.js';
import { StatesError, StatesErrorName } from '../../asl/errors.js';
import { evaluatePath, PathError } from '../../asl/jsonpath.js';
import type { ThreadRecord } from '../types.js';
import type { Step } from '../step.js';
import type { Next } from '../flow.js';
import { failThread } from '../flow.js';
import { evaluateTyped, statesBinding, usesJsonata } from '../jsonata-io.js';

/** Fail: no StateExited; the execution fails with the state's error and cause. */
export function runFail(step: Step, thread: ThreadRecord, state: FailState): Next {
  if (usesJsonata(step, state)) {
    const states = statesBinding(step, thread);
    const text = (field: 'Error' | 'Cause'): string | null => {
      const value = state[field];
      if (value === undefined) return null;
      const result = evaluateTyped(step, thread, value, field, 'string', states);
      return typeof result === 'string' ? result : toJsonText(result);
    };
    failThread(step, thread, { error: text('Error'), cause: text('Cause') });
    return null;
  }
  const error = state.Error ?? readPath(step, thread, 'ErrorPath', state.ErrorPath);
  const cause = state.Cause ?? readPath(step, thread, 'CausePath', state.CausePath);
  failThread(step, thread, { error, cause });
  return null;
}

export function readPath(
  step: Step,
  thread: ThreadRecord,
  field: string,
  path: string | undefined,
): string | null {
  if (path === undefined) return null;
  const env = step.ioEnv(thread);
  const resolve = (p: string): Json => {
    try {
      return evaluatePath(p, thread.input, env.context, env.variables);
    } catch (error) {
      if (error instanceof PathError) {
        throw new StatesError(
          StatesErrorName.Runtime,
          `The JSONPath '${p}' specified for the field '${field}' could not be found in the input '${toJsonText(thread.input)}'`,
        );
      }
      throw error;
    }
  };
  const value = path.startsWith('States.') ? env.intrinsic(path, resolve) : resolve(path);
  return typeof value === 'string' ? value : toJsonText(value);
}
