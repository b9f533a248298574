import type { ChoiceState } from '../../asl/definition.js';
import { StatesError, StatesErrorName } from '../../asl/errors.js';
import { evaluateChoiceRule } from '../../asl/choice.js';
import type { ThreadRecord } from '../types.js';
import type { Step } from '../step.js';
import type { Next } from '../flow.js';
import { exitState } from '../flow.js';
import { applyInputPath, applyOutputPath } from '../io.js';
import { evaluateAssign } from '../assign.js';
import { evaluateTyped, outputAndAssign, statesBinding, usesJsonata } from '../jsonata-io.js';

/** Choice: the first matching rule's Next (and its Assign); otherwise Default with the state's Assign. */
export function runChoice(step: Step, thread: ThreadRecord, state: ChoiceState): Next {
  if (usesJsonata(step, state)) return runJsonataChoice(step, thread, state);
  const env = step.ioEnv(thread);
  const effective = applyInputPath(state, thread.input, env);
  const rule = state.Choices.find((r) => evaluateChoiceRule(r, effective, env.context, env.variables));
  const next = rule?.Next ?? state.Default;
  if (next === undefined) throw new StatesError(StatesErrorName.NoChoiceMatched, null);
  const assigned = evaluateAssign(rule !== undefined ? rule.Assign : state.Assign, effective, env);
  return exitState(step, thread, state, applyOutputPath(state, effective, env), next, assigned);
}

/** JSONata: the first rule whose Condition is true; its Output and Assign, else the state's. */
function runJsonataChoice(step: Step, thread: ThreadRecord, state: ChoiceState): Next {
  const states = statesBinding(step, thread);
  const rule = state.Choices.find(
    (r) =>
      r.Condition !== undefined &&
      evaluateTyped(step, thread, r.Condition, 'Condition', 'boolean', states) === true,
  );
  const next = rule?.Next ?? state.Default;
  if (next === undefined) throw new StatesError(StatesErrorName.NoChoiceMatched, null);
  const { output, assigned } = outputAndAssign(step, thread, rule ?? state, states, thread.input);
  return exitState(step, thread, state, output, next, assigned);
}
