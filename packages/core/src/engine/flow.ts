/**
 * How a thread moves: enter a state, let its handler work, exit to the next state or end, and
 * route failures through Retry and Catch. Runs of states that need nothing external (Pass,
 * Choice, Succeed, Fail, an elapsed Wait) advance inside one transition until the thread
 * blocks or the execution ends.
 */
import type { Json } from '../json.js';
import { toJsonText } from '../json.js';
import type { Retrier, State } from '../asl/definition.js';
import { assertNever } from '../asl/definition.js';
import type { Failure } from '../asl/errors.js';
import { StatesError, StatesErrorName, errorEqualsMatches, failureOf, isUncatchable } from '../asl/errors.js';
import type { ThreadRecord } from './types.js';
import type { Step } from './step.js';
import { withInput, withOutput } from './history.js';
import { applyResultPath } from './io.js';
import { runPass } from './states/pass.js';
import { runTask } from './states/task.js';
import { runChoice } from './states/choice.js';
import { runWait } from './states/wait.js';
import { runSucceed } from './states/succeed.js';
import { runFail } from './states/fail.js';

/** Where a thread goes next; `null` when it blocked, ended, or the execution closed. */
export type Next = { stateName: string; input: Json; previousEventId: number } | null;

/** Errors the engine raises itself carry AWS's "which state" prefix in their cause. */
const PREFIXED_ERRORS = new Set<string>([
  StatesErrorName.Runtime,
  StatesErrorName.QueryEvaluationError,
  StatesErrorName.IntrinsicFailure,
]);

function withStatePrefix(thread: ThreadRecord, error: StatesError): Failure {
  const failure = failureOf(error);
  if (failure.error !== null && PREFIXED_ERRORS.has(failure.error)) {
    failure.cause =
      `An error occurred while executing the state '${thread.stateName}' ` +
      `(entered at the event id #${thread.enteredEventId}). ${error.cause ?? ''}`;
  }
  return failure;
}

/** Runs `work` for a thread in a state; a StatesError it throws becomes the state's failure. */
export function guarded(step: Step, thread: ThreadRecord, state: State, work: () => Next): Next {
  try {
    return work();
  } catch (error) {
    if (error instanceof StatesError)
      return handleFailure(step, thread, state, withStatePrefix(thread, error));
    throw error;
  }
}

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

/** Writes `…StateExited` and answers where the thread goes: `next`, or the end of its scope. */
export function exitState(
  step: Step,
  thread: ThreadRecord,
  state: State,
  output: Json,
  next: string | undefined,
): Next {
  const exited = step.emit(`${state.Type}StateExited`, thread.lastEventId, {
    name: thread.stateName,
    ...withOutput(toJsonText(output)),
  });
  thread.lastEventId = exited;
  step.putThread(thread);
  if (next !== undefined) return { stateName: next, input: output, previousEventId: exited };
  endThread(step, thread, output);
  return null;
}

/** A thread reached an End (or a Succeed state). For the root thread, the execution succeeds. */
export function endThread(step: Step, thread: ThreadRecord, output: Json): void {
  step.emit('ExecutionSucceeded', thread.lastEventId, withOutput(toJsonText(output)));
  step.close('SUCCEEDED', { output });
}

export function failExecution(step: Step, previousEventId: number, failure: Failure): void {
  step.emit('ExecutionFailed', previousEventId, errorDetails(failure));
  step.close('FAILED', { error: failure.error, cause: failure.cause });
}

/** `error`/`cause` members, each only when present (AWS omits them rather than writing null). */
export function errorDetails(failure: { error: string | null; cause: string | null }): Record<string, Json> {
  const details: Record<string, Json> = {};
  if (failure.error !== null) details['error'] = failure.error;
  if (failure.cause !== null) details['cause'] = failure.cause;
  return details;
}

/** Retry, then Catch, then the execution fails (uncatchable errors skip straight to that). */
export function handleFailure(step: Step, thread: ThreadRecord, state: State, failure: Failure): Next {
  if (
    !isUncatchable(failure) &&
    (state.Type === 'Task' || state.Type === 'Parallel' || state.Type === 'Map')
  ) {
    const retriers = state.Retry ?? [];
    const index = retriers.findIndex((r) => errorEqualsMatches(r.ErrorEquals, failure));
    const retrier = retriers[index];
    if (retrier !== undefined) {
      const attempts = thread.retryCounts[index] ?? 0;
      if (attempts < (retrier.MaxAttempts ?? 3)) {
        thread.retryCounts[index] = attempts + 1;
        const dueAt = step.env.now + retryDelayMs(retrier, attempts, () => step.random());
        const timer = step.armTimer(thread.id, 'retry', dueAt);
        thread.wait = { kind: 'retry', timerId: timer.id, dueAt };
        step.putThread(thread);
        return null;
      }
    }
    const catcher = (state.Catch ?? []).find((c) => errorEqualsMatches(c.ErrorEquals, failure));
    if (catcher !== undefined) {
      const errorOutput = { Error: failure.error, Cause: failure.cause };
      let output: Json;
      try {
        output = applyResultPath(catcher.ResultPath, thread.input, errorOutput);
      } catch (error) {
        if (error instanceof StatesError) {
          failExecution(step, thread.lastEventId, withStatePrefix(thread, error));
          return null;
        }
        throw error;
      }
      return exitState(step, thread, state, output, catcher.Next);
    }
  }
  failExecution(step, thread.lastEventId, failure);
  return null;
}

/**
 * IntervalSeconds × BackoffRate^attempt, capped by MaxDelaySeconds; FULL jitter draws uniformly
 * below that (AWS does not publish its exact formula).
 */
export function retryDelayMs(retrier: Retrier, attempt: number, random: () => number): number {
  const interval = retrier.IntervalSeconds ?? 1;
  const backoff = retrier.BackoffRate ?? 2;
  let seconds = interval * Math.pow(backoff, attempt);
  if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
  if (retrier.JitterStrategy === 'FULL') seconds = random() * seconds;
  return Math.round(seconds * 1000);
}
