import type { SucceedState } from '../../asl/definition.js';
import type { ThreadRecord } from '../types.js';
import type { Step } from '../step.js';
import type { Next } from '../flow.js';
import { exitState } from '../flow.js';
import { outputAndAssign, statesBinding, usesJsonata } from '../jsonata-io.js';
import { applyInputPath, applyOutputPath } from '../io.js';

export function runSucceed(step: Step, thread: ThreadRecord, state: SucceedState): Next {
  if (usesJsonata(step, state)) {
    const { output } = outputAndAssign(step, thread, state, statesBinding(step, thread), thread.input);
    return exitState(step, thread, state, output, undefined);
  }
  const env = step.ioEnv(thread);
  const output = applyOutputPath(state, applyInputPath(state, thread.input, env), env);
  return exitState(step, thread, state, output, undefined);
}
