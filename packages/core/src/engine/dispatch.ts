/**
 * How a thread moves: enter a state, let its handler do the work, and follow `Next`. Runs of
 * states that need nothing external (Pass, Choice, Succeed, Fail, an elapsed Wait) advance
 * inside one transition until the thread blocks or the execution ends.
 */
import { toJsonText } from '../json.js';
import type { Retrier, State } from '../asl/definition.js';
import { assertNever } from '../asl/definition.js';
import { StatesError, StatesErrorName } from '../asl/errors.js';
import type { ThreadRecord } from './types.js';
import type { Step } from './step.js';
import type { Next } from './flow.js';
import { guarded } from './flow.js';
import { withInput } from './history.js';
import { runPass } from './states/pass.js';
import { runTask } from './states/task.js';
import { runChoice } from './states/choice.js';
import { runWait } from './states/wait.js';
import { runSucceed } from './states/succeed.js';
import { runFail } from './states/fail.js';

/** Advances a thread from `next` until it blocks or ends. */
export function advance(step: Step, thread: ThreadRecord, next: Next): void {
  let current = next;
  while (current !== null && step.running) {
    current = enterState(step, thread, current);
  }
}

function enterState(step: Step, previous: ThreadRecord, next: NonNullable<Next>): Next {
  const state = step.definition.States[next.stateName];
  if (state === undefined) throw new Error(`unknown state ${next.stateName}`);
  const entered = step.emit(`${state.Type}StateEntered`, next.previousEventId, {
    name: next.stateName,
    ...withInput(toJsonText(next.input)),
  });
  const thread: ThreadRecord = {
    id: previous.id,
    parentId: previous.parentId,
    stateName: next.stateName,
    enteredEventId: entered,
    lastEventId: entered,
    enteredTime: step.env.now,
    input: next.input,
    retryCounts: retriersOf(state).map(() => 0),
    wait: null,
  };
  step.putThread(thread);
  return guarded(step, thread, state, () => runState(step, thread, state));
}

function runState(step: Step, thread: ThreadRecord, state: State): Next {
  switch (state.Type) {
    case 'Pass':
      return runPass(step, thread, state);
    case 'Task':
      return runTask(step, thread, state);
    case 'Choice':
      return runChoice(step, thread, state);
    case 'Wait':
      return runWait(step, thread, state);
    case 'Succeed':
      return runSucceed(step, thread, state);
    case 'Fail':
      return runFail(step, thread, state);
    case 'Parallel':
    case 'Map':
      // Refused when the state machine is created (see `unsupportedFeatures`); reaching here is a bug.
      throw new StatesError(StatesErrorName.Runtime, `The state type '${state.Type}' is not supported yet.`);
    default:
      return assertNever(state, 'state type');
  }
}

function retriersOf(state: State): Retrier[] {
  return (state.Type === 'Task' || state.Type === 'Parallel' || state.Type === 'Map') && state.Retry
    ? state.Retry
    : [];
}
