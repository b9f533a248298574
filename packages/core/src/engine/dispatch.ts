/**
 * How threads move: enter a state, let its handler do the work, follow `Next`. All the work of
 * a transition goes through one stack (`Step.work`), drained here: runs of states that need
 * nothing external (Pass, Choice, Succeed, Fail, an elapsed Wait, whole Map iterations of
 * those) advance inside one transition until every thread blocks or the execution ends.
 */
import type { State, TaskState } from '../asl/definition.js';
import { assertNever } from '../asl/definition.js';
import type { ThreadRecord } from './types.js';
import type { Step, Work } from './step.js';
import type { Next } from './flow.js';
import { guarded, retryCountsFor } from './flow.js';
import { NOT_TRUNCATED, STATE_ENTERED } from './history.js';
import { childEnded, childFailed, launchChild, noteChildProgress } from './children.js';
import { runPass } from './states/pass.js';
import { runTask } from './states/task.js';
import { scheduleIntegration } from './states/integration.js';
import { parseTaskResource } from './resources.js';
import { runChoice } from './states/choice.js';
import { runWait } from './states/wait.js';
import { runSucceed } from './states/succeed.js';
import { runFail } from './states/fail.js';
import { runParallel } from './states/parallel.js';
import { runMap } from './states/map.js';

/** Continues a thread at `next` (if any), then drains all work the transition produced. */
export function advance(step: Step, thread: ThreadRecord, next: Next): void {
  if (next !== null) step.work.push({ kind: 'run', threadId: thread.id, ...next });
  drain(step);
}

export function drain(step: Step): void {
  let item: Work | undefined;
  while (step.running && (item = step.work.pop()) !== undefined) {
    switch (item.kind) {
      case 'run':
        run(step, item.threadId, item);
        break;
      case 'launch':
        launchChild(step, item.parentId);
        break;
      case 'childEnded':
        childEnded(step, item.parentId, item.index);
        break;
      case 'childFailed':
        childFailed(step, item.parentId, item.index, { error: item.error, cause: item.cause });
        break;
      default:
        assertNever(item, 'work item');
    }
  }
}

function run(step: Step, threadId: string, start: NonNullable<Next>): void {
  let current: Next = start;
  while (current !== null && step.running) {
    const thread = step.peekThread(threadId);
    if (thread === undefined || thread.phase !== undefined) return;
    current = enterState(step, thread, current);
  }
  noteChildProgress(step, threadId);
}

function enterState(step: Step, previous: Readonly<ThreadRecord>, next: NonNullable<Next>): Next {
  const state = step.stateNamed(next.stateName);
  const entered = step.emit(STATE_ENTERED[state.Type], next.previousEventId, {
    name: next.stateName,
    input: step.jsonText(next.input),
    inputDetails: NOT_TRUNCATED,
  });
  const thread: ThreadRecord = {
    id: previous.id,
    parentId: previous.parentId,
    stateName: next.stateName,
    enteredEventId: entered,
    lastEventId: entered,
    enteredTime: step.env.now,
    input: next.input,
    retryCounts: retryCountsFor(state),
    wait: null,
    enteredPreviousEventId: next.previousEventId,
  };
  if (previous.index !== undefined) thread.index = previous.index;
  if (previous.variables !== undefined) thread.variables = previous.variables;
  // The root's mock invocation counts last the whole execution (later visits keep counting).
  if (previous.invocations !== undefined) thread.invocations = previous.invocations;
  step.putThread(thread);
  return guarded(step, thread, state, () => runState(step, thread, state));
}

function runState(step: Step, thread: ThreadRecord, state: State): Next {
  switch (state.Type) {
    case 'Pass':
      return runPass(step, thread, state);
    case 'Task':
      return runTaskState(step, thread, state);
    case 'Choice':
      return runChoice(step, thread, state);
    case 'Wait':
      return runWait(step, thread, state);
    case 'Succeed':
      return runSucceed(step, thread, state);
    case 'Fail':
      return runFail(step, thread, state);
    case 'Parallel':
      return runParallel(step, thread, state);
    case 'Map':
      return runMap(step, thread, state);
    default:
      return assertNever(state, 'state type');
  }
}

/** An activity, or a service integration or Lambda function the runtime calls. */
function runTaskState(step: Step, thread: ThreadRecord, state: TaskState): Next {
  const resource = parseTaskResource(state.Resource);
  return resource === undefined || resource.kind === 'activity'
    ? runTask(step, thread, state)
    : scheduleIntegration(step, thread, state, resource);
}

/** A retry re-runs a state's work without entering it again (no new …StateEntered). */
export function rerunWork(step: Step, thread: ThreadRecord, state: State): void {
  thread.wait = null;
  const next = guarded(step, thread, state, () => {
    switch (state.Type) {
      case 'Task':
        return runTaskState(step, thread, state);
      case 'Parallel':
        return runParallel(step, thread, state);
      case 'Map':
        return runMap(step, thread, state);
      case 'Pass':
      case 'Choice':
      case 'Wait':
      case 'Succeed':
      case 'Fail':
        throw new Error(`${state.Type} states have no Retry`);
      default:
        return assertNever(state, 'state type');
    }
  });
  advance(step, thread, next);
}
