import type { PassState } from '../../asl/definition.js';
import type { ThreadRecord } from '../types.js';
import type { Step } from '../step.js';
import type { Next } from '../flow.js';
import { exitState } from '../flow.js';
import { evaluateAssign } from '../assign.js';
import { outputAndAssign, statesBinding, usesJsonata } from '../jsonata-io.js';
import { applyInputPath, applyOutputPath, applyParameters, applyResultPath } from '../io.js';

/** Pass: `Result` (or the effective input) is a virtual task result. */
export function runPass(step: Step, thread: ThreadRecord, state: PassState): Next {
  if (usesJsonata(step, state)) {
    const states = statesBinding(step, thread);
    const { output, assigned } = outputAndAssign(step, thread, state, states, thread.input);
    return exitState(step, thread, state, output, state.Next, assigned);
  }
  const env = step.ioEnv(thread);
  const effective = applyParameters(state, applyInputPath(state, thread.input, env), env);
  const result = state.Result !== undefined ? state.Result : effective;
  const assigned = evaluateAssign(state.Assign, result, env);
  const output = applyOutputPath(state, applyResultPath(state.ResultPath, thread.input, result), env);
  return exitState(step, thread, state, output, state.Next, assigned);
}
