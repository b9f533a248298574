/**
 * The ends of the per-state pipeline that every handler shares: exit to the next state or end
 * the thread, and route failures through Retry, then Catch, then execution failure.
 */
import type { Json, JsonObject } from '../json.js';
import type { Retrier, State } from '../asl/definition.js';
import type { Failure } from '../asl/errors.js';
import { StatesError, StatesErrorName, errorEqualsMatches, failureOf, isUncatchable } from '../asl/errors.js';
import type { ThreadRecord } from './types.js';
import type { Step } from './step.js';
import { NOT_TRUNCATED, STATE_EXITED, withOutput } from './history.js';
import { applyResultPath } from './io.js';
import { EvaluationError, outputAndAssign, statesBinding, usesJsonata } from './jsonata-io.js';
import { assignedDetails, evaluateAssign } from './assign.js';

/** Where a thread goes next; `null` when it blocked, ended, or the execution closed. */
export type Next = { stateName: string; input: Json; previousEventId: number } | null;

/** Errors the engine raises itself carry AWS's "which state" prefix in their cause. */
const PREFIXED_ERRORS = new Set<string>([
  StatesErrorName.Runtime,
  StatesErrorName.QueryEvaluationError,
  StatesErrorName.IntrinsicFailure,
]);

/** AWS's wording for a runtime error's cause: the state it happened in goes in front. */
export function statePrefixed(thread: ThreadRecord, cause: string | null): string {
  return (
    `An error occurred while executing the state '${thread.stateName}' ` +
    `(entered at the event id #${thread.enteredEventId}). ${cause ?? ''}`
  );
}

/**
 * One count per retrier, all 0. A state without retriers shares one frozen empty array: only
 * `tryRetry` writes counts, at the index of a matching retrier, which such a state never has
 * (a Map's iterations all keep their records until the Map ends: one array fewer each).
 */
export function retryCountsFor(state: State): number[] {
  const retriers =
    state.Type === 'Task' || state.Type === 'Parallel' || state.Type === 'Map' ? state.Retry : undefined;
  return retriers === undefined || retriers.length === 0 ? NO_RETRIERS : retriers.map(() => 0);
}

// Frozen: a write would throw rather than change every record that shares it.
const NO_RETRIERS = Object.freeze([]) as unknown as number[];

function withStatePrefix(thread: ThreadRecord, error: StatesError): Failure {
  const failure = failureOf(error);
  if (failure.error !== null && PREFIXED_ERRORS.has(failure.error)) {
    failure.cause = statePrefixed(thread, error.cause);
  }
  return failure;
}

/** Runs `work` for a thread in a state; a StatesError it throws becomes the state's failure. */
export function guarded(step: Step, thread: ThreadRecord, state: State, work: () => Next): Next {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof StatesError)) throw error;
    const failure = withStatePrefix(thread, error);
    if (failure.error === StatesErrorName.QueryEvaluationError) {
      reportEvaluationFailed(step, thread, state, error, failure);
    }
    return handleFailure(step, thread, state, failure);
  }
}

/**
 * AWS records a JSONata failure as EvaluationFailed before the state fails. One raised while
 * evaluating the state's fields follows the event before the state was entered; one raised by
 * the state's own work follows the state's last event.
 */
function reportEvaluationFailed(
  step: Step,
  thread: ThreadRecord,
  state: State,
  error: StatesError,
  failure: Failure,
): void {
  const beforeState = !(error instanceof EvaluationError) || error.follows === 'beforeState';
  const previous = beforeState ? (thread.enteredPreviousEventId ?? thread.lastEventId) : thread.lastEventId;
  const details: Record<string, Json> = { ...errorDetails(failure), state: thread.stateName };
  if (error.location !== undefined) details['location'] = error.location;
  thread.lastEventId = step.emit('EvaluationFailed', previous, details);
  if (state.Type === 'Map' || state.Type === 'Parallel') {
    thread.lastEventId = step.emit(`${state.Type}StateFailed`, thread.lastEventId);
  }
  step.putThread(thread);
}

/** Writes `…StateExited` and answers where the thread goes: `next`, or the end of its scope. */
export function exitState(
  step: Step,
  thread: ThreadRecord,
  state: State,
  output: Json,
  next: string | undefined,
  assigned?: JsonObject,
): Next {
  const text = step.jsonText(output);
  checkPayloadSize(step, thread, text);
  const details: Record<string, Json> = {
    name: thread.stateName,
    output: text,
    outputDetails: NOT_TRUNCATED,
  };
  if (assigned !== undefined) {
    Object.assign(details, assignedDetails(assigned));
    thread.variables = { ...thread.variables, ...assigned };
  }
  const exited = step.emit(STATE_EXITED[state.Type], thread.lastEventId, details);
  thread.lastEventId = exited;
  step.putThread(thread);
  if (next !== undefined) return { stateName: next, input: output, previousEventId: exited };
  endThread(step, thread, output);
  return null;
}

/** States.DataLimitExceeded when a state's output is larger than the payload limit. */
export function checkPayloadSize(step: Step, thread: ThreadRecord, text: string): void {
  const limit = step.limits.maxPayloadBytes;
  // A UTF-16 unit is at most 3 UTF-8 bytes: most payloads need no measuring.
  if (text.length * 3 <= limit || Buffer.byteLength(text, 'utf8') <= limit) return;
  throw new StatesError(
    StatesErrorName.DataLimitExceeded,
    `The state/task '${thread.stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`,
  );
}

/**
 * A thread reached an End (or a Succeed state). The root's end is the execution's success; a
 * branch's or iteration's end is reported to its Parallel or Map state.
 */
export function endThread(step: Step, thread: ThreadRecord, output: Json): void {
  if (thread.parentId === null) {
    step.emit('ExecutionSucceeded', thread.lastEventId, withOutput(step.jsonText(output)));
    step.close('SUCCEEDED', { output });
    return;
  }
  // Changed in place: `exitState` just put this record, so it is the engine's own. A copy per
  // Map iteration was ≈ 7% of the Map benchmark.
  thread.wait = null;
  thread.phase = 'done';
  thread.output = output;
  step.putDone(thread);
  step.work.push({ kind: 'childEnded', parentId: thread.parentId, index: thread.index ?? 0 });
}

/** A thread failed and nothing in it caught the error: the execution fails, or the parent state. */
export function failThread(step: Step, thread: ThreadRecord, failure: Failure): void {
  if (thread.parentId === null) {
    failExecution(step, thread.lastEventId, failure);
    return;
  }
  step.putDone({ ...thread, wait: null, phase: 'done', failed: true });
  step.work.push({
    kind: 'childFailed',
    parentId: thread.parentId,
    index: thread.index ?? 0,
    error: failure.error,
    cause: failure.cause,
  });
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

/** Retry, then Catch, then the thread fails (uncatchable errors skip straight to that). */
export function handleFailure(step: Step, thread: ThreadRecord, state: State, failure: Failure): Next {
  if (tryRetry(step, thread, state, failure)) return null;
  return catchOrFail(step, thread, state, failure);
}

/** Arms the back-off of the first matching retrier that has attempts left; false if none. */
export function tryRetry(step: Step, thread: ThreadRecord, state: State, failure: Failure): boolean {
  if (isUncatchable(failure)) return false;
  if (state.Type !== 'Task' && state.Type !== 'Parallel' && state.Type !== 'Map') return false;
  const retriers = state.Retry ?? [];
  const index = retriers.findIndex((r) => errorEqualsMatches(r.ErrorEquals, failure));
  const retrier = retriers[index];
  if (retrier === undefined) return false;
  const attempts = thread.retryCounts[index] ?? 0;
  if (attempts >= (retrier.MaxAttempts ?? 3)) return false;
  thread.retryCounts[index] = attempts + 1;
  const dueAt = step.env.now + retryDelayMs(retrier, attempts, () => step.random());
  const timer = step.armTimer(thread.id, 'retry', dueAt);
  thread.wait = { kind: 'retry', timerId: timer.id, dueAt };
  step.putThread(thread);
  return true;
}

/** The first matching catcher takes the error output to its Next; without one the thread fails. */
export function catchOrFail(step: Step, thread: ThreadRecord, state: State, failure: Failure): Next {
  const catchers =
    !isUncatchable(failure) && (state.Type === 'Task' || state.Type === 'Parallel' || state.Type === 'Map')
      ? (state.Catch ?? [])
      : [];
  const catcher = catchers.find((c) => errorEqualsMatches(c.ErrorEquals, failure));
  if (catcher === undefined) {
    failThread(step, thread, failure);
    return null;
  }
  const errorOutput = { Error: failure.error, Cause: failure.cause };
  try {
    if (usesJsonata(step, state)) {
      const states = statesBinding(step, thread, { errorOutput });
      const { output, assigned } = outputAndAssign(step, thread, catcher, states, errorOutput);
      return exitState(step, thread, state, output, catcher.Next, assigned);
    }
    // A catcher's Assign replaces the state's own; `$` is the error output.
    const assigned = evaluateAssign(catcher.Assign, errorOutput, step.ioEnv(thread));
    const output = applyResultPath(catcher.ResultPath, thread.input, errorOutput);
    return exitState(step, thread, state, output, catcher.Next, assigned);
  } catch (error) {
    if (error instanceof StatesError) {
      failThread(step, thread, withStatePrefix(thread, error));
      return null;
    }
    throw error;
  }
}

/**
 * IntervalSeconds × BackoffRate^attempt, capped by MaxDelaySeconds; FULL jitter draws uniformly
 * below that (AWS does not publish its exact formula).
 */
export function retryDelayMs(retrier: Retrier, attempt: number, random: () => number): number {
  let seconds = retryIntervalSeconds(retrier, attempt);
  if (retrier.JitterStrategy === 'FULL') seconds = random() * seconds;
  return Math.round(seconds * 1000);
}

/** The back-off before retry number `attempt + 1`, before any jitter. */
export function retryIntervalSeconds(retrier: Retrier, attempt: number): number {
  const interval = retrier.IntervalSeconds ?? 1;
  const backoff = retrier.BackoffRate ?? 2;
  const seconds = interval * Math.pow(backoff, attempt);
  return retrier.MaxDelaySeconds !== undefined ? Math.min(seconds, retrier.MaxDelaySeconds) : seconds;
}
