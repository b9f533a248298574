import type { ParallelState } from '../../asl/definition.js';
import type { ThreadRecord } from '../types.js';
import type { Step } from '../step.js';
import type { Next } from '../flow.js';
import { startChildren } from '../children.js';
import { applyInputPath, applyParameters } from '../io.js';
import { evaluateField, statesBinding, usesJsonata } from '../jsonata-io.js';
import type { Json } from '../../json.js';

/** Parallel: every branch gets the effective input; the result is their outputs in branch order. */
export function runParallel(step: Step, thread: ThreadRecord, state: ParallelState): Next {
  let input: Json;
  if (usesJsonata(step, state)) {
    const states = statesBinding(step, thread);
    input =
      state.Arguments !== undefined
        ? evaluateField(step, thread, state.Arguments, 'Arguments', states)
        : thread.input;
  } else {
    const env = step.ioEnv(thread);
    input = applyParameters(state, applyInputPath(state, thread.input, env), env);
  }
  const started = step.emit('ParallelStateStarted', thread.lastEventId);
  thread.lastEventId = started;
  startChildren(
    step,
    thread,
    { startAt: state.Branches.map((branch) => branch.StartAt), inputs: state.Branches.map(() => input) },
    { maxConcurrency: 0, chainEventId: started, closeEventId: started },
  );
  return null;
}
