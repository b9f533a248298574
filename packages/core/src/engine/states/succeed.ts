import type { SucceedState } from '../../asl/definition.js';
import type { ThreadRecord } from '../types.js';
import type { Step } from '../step.js';
import type { Next } from '../flow.js';
import { exitState } from '../flow.js';
import { applyInputPath, applyOutputPath } from '../io.js';

export function runSucceed(step: Step, thread: ThreadRecord, state: SucceedState): Next {
  const env = step.ioEnv(thread);
  const output = applyOutputPath(state, applyInputPath(state, thread.input, env), env);
  return exitState(step, thread, state, output, undefined);
}
