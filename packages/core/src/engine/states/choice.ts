import type { ChoiceState } from '../../asl/definition.js';
import { StatesError, StatesErrorName } from '../../asl/errors.js';
import { selectChoice } from '../../asl/choice.js';
import type { ThreadRecord } from '../types.js';
import type { Step } from '../step.js';
import type { Next } from '../flow.js';
import { exitState } from '../flow.js';
import { applyInputPath, applyOutputPath } from '../io.js';

export function runChoice(step: Step, thread: ThreadRecord, state: ChoiceState): Next {
  const env = step.ioEnv(thread);
  const effective = applyInputPath(state, thread.input, env);
  const next = selectChoice(state, effective, env.context) ?? state.Default;
  if (next === undefined) throw new StatesError(StatesErrorName.NoChoiceMatched, null);
  return exitState(step, thread, state, applyOutputPath(state, effective, env), next);
}
