/**
 * Parallel branches and Map iterations as threads of control. The parent thread waits in its
 * Parallel or Map state with counters only (`ChildrenWait`); each child is a record of its own
 * (`<parent id>/<index>`), `pending` until MaxConcurrency lets it start (a record written only
 * if it is still waiting when the transition ends: `Step.deferChildren`), and kept as `done`
 * with its output until its siblings end.
 */
import type { Json } from '../json.js';
import type { MapState, ParallelState } from '../asl/definition.js';
import type { Failure } from '../asl/errors.js';
import { StatesErrorName } from '../asl/errors.js';
import type { ChildrenWait, MapRunWait, ThreadRecord } from './types.js';
import type { ChildStarts, Step } from './step.js';
import { catchOrFail, exitState, guarded, retryCountsFor, tryRetry } from './flow.js';
import { applyOutputPath, applyResultPath, applyResultSelector } from './io.js';
import { evaluateAssign } from './assign.js';
import { outputAndAssign, statesBinding, usesJsonata } from './jsonata-io.js';

export type Container = ParallelState | MapState;

export function childId(parentId: string, index: number): string {
  return `${parentId}/${index}`;
}

/** Starts the children (`pending`), then as many as MaxConcurrency allows. */
export function startChildren(
  step: Step,
  parent: ThreadRecord,
  children: ChildStarts,
  wait: Omit<ChildrenWait, 'kind' | 'total' | 'launched' | 'active' | 'succeeded' | 'failed'>,
): void {
  step.startChildren(parent.id, children);
  parent.wait = {
    kind: 'children',
    total: children.inputs.length,
    launched: 0,
    active: 0,
    succeeded: 0,
    failed: 0,
    ...wait,
  };
  step.putThread(parent);
  if (children.inputs.length === 0) {
    complete(step, parent.id);
    return;
  }
  step.work.push({ kind: 'launch', parentId: parent.id });
}

function containerOf(step: Step, thread: Readonly<ThreadRecord>): Container {
  const state = step.stateOf(thread);
  if (state.Type !== 'Parallel' && state.Type !== 'Map') {
    throw new Error(`thread ${thread.id} waits on children in a ${state.Type} state`);
  }
  return state;
}

function waitOf(thread: Readonly<ThreadRecord> | undefined): ChildrenWait | undefined {
  return thread?.wait?.kind === 'children' ? thread.wait : undefined;
}

/** Starts the next pending child, if capacity allows, and queues the one after it. */
export function launchChild(step: Step, parentId: string): void {
  const parent = step.thread(parentId);
  const wait = waitOf(parent);
  if (parent === undefined || wait === undefined) return;
  if (wait.maxConcurrency > 0 && wait.active >= wait.maxConcurrency) return;
  if (wait.relaunchFrom !== undefined && relaunchChild(step, parent, wait)) return;
  if (wait.launched >= wait.total) return;
  const state = containerOf(step, parent);
  const index = wait.launched;
  const child = step.pendingChild(parentId, index);
  if (child === undefined) throw new Error(`missing child ${index} of ${parentId}`);
  wait.launched++;
  wait.active++;
  let previousEventId = wait.chainEventId;
  if (state.Type === 'Map') {
    previousEventId = step.emit('MapIterationStarted', wait.chainEventId, { index, name: parent.stateName });
  }
  step.putThread(parent);
  // Running, until the run below enters its first state and replaces the record.
  const id = childId(parentId, index);
  step.putThread({
    id,
    parentId,
    index,
    stateName: child.startAt,
    enteredEventId: 0,
    lastEventId: 0,
    enteredTime: step.env.now,
    input: child.input,
    retryCounts: [],
    wait: null,
  });
  // Below the run on the stack: the next launch happens once this child blocks or ends.
  step.work.push({ kind: 'launch', parentId });
  step.work.push({
    kind: 'run',
    threadId: id,
    stateName: child.startAt,
    input: child.input,
    previousEventId,
  });
}

/**
 * After a redrive, starts the next child that runs again (`ChildrenWait.relaunchFrom`), where
 * it stopped; false when none is left. The cursor only moves forward, so finding them all costs
 * one pass over the launched children.
 */
function relaunchChild(step: Step, parent: ThreadRecord, wait: ChildrenWait): boolean {
  for (let index = wait.relaunchFrom ?? wait.launched; index < wait.launched; index++) {
    if (step.peekThread(childId(parent.id, index))?.phase !== 'pending') continue;
    const child = step.thread(childId(parent.id, index));
    if (child === undefined) continue;
    wait.relaunchFrom = index + 1;
    wait.active++;
    let previousEventId = wait.chainEventId;
    if (containerOf(step, parent).Type === 'Map') {
      previousEventId = step.emit('MapIterationStarted', wait.chainEventId, {
        index,
        name: parent.stateName,
      });
    }
    step.putThread(parent);
    delete child.phase;
    step.putThread(child);
    step.work.push({ kind: 'launch', parentId: parent.id });
    resumeThread(step, child, previousEventId);
    return true;
  }
  delete wait.relaunchFrom;
  step.putThread(parent);
  return false;
}

/**
 * A redrive resumes a thread: a Parallel or Map whose children were stopped runs the ones that
 * did not succeed again; a Distributed Map redrives its Map Run; any other thread enters the
 * state it stopped in again, with the same input (its retries counted from zero).
 */
export function resumeThread(step: Step, thread: ThreadRecord, previousEventId: number): void {
  const wait = thread.wait;
  if (wait?.kind === 'children') {
    resumeChildren(step, thread, wait, previousEventId);
    return;
  }
  if (wait?.kind === 'mapRun') {
    redriveMapRun(step, thread, wait, previousEventId);
    return;
  }
  thread.wait = null;
  step.putThread(thread);
  step.work.push({
    kind: 'run',
    threadId: thread.id,
    stateName: thread.stateName,
    input: thread.input,
    previousEventId,
  });
}

/** The children that succeeded keep their results; the others are pending again, to relaunch. */
function resumeChildren(step: Step, parent: ThreadRecord, wait: ChildrenWait, previousEventId: number): void {
  const state = containerOf(step, parent);
  let succeeded = 0;
  for (let index = 0; index < wait.launched; index++) {
    const child = step.thread(childId(parent.id, index));
    if (child === undefined) throw new Error(`missing child ${index} of ${parent.id}`);
    if (child.phase === 'done' && child.failed !== true) {
      succeeded++;
      continue;
    }
    child.phase = 'pending';
    child.wait = child.wait?.kind === 'children' || child.wait?.kind === 'mapRun' ? child.wait : null;
    delete child.output;
    delete child.failed;
    step.putThread(child);
  }
  parent.wait = {
    ...wait,
    active: 0,
    succeeded,
    failed: 0,
    chainEventId: previousEventId,
    closeEventId: previousEventId,
    relaunchFrom: 0,
  };
  parent.retryCounts = retryCountsFor(state);
  step.putThread(parent);
  if (succeeded === wait.total) complete(step, parent.id);
  else step.work.push({ kind: 'launch', parentId: parent.id });
}

/**
 * A Distributed Map whose run failed or was aborted: the run goes again, for its unsuccessful
 * items (the runtime redrives it when the `mapRunRedrive` timer fires). Its start timer is armed
 * again too: starting is idempotent, and a run that never started (the parent ended before its
 * start timer fired) starts now, as AWS's redrive does.
 */
function redriveMapRun(step: Step, thread: ThreadRecord, wait: MapRunWait, previousEventId: number): void {
  const redriveCount = (wait.redriveCount ?? 0) + 1;
  thread.lastEventId = step.emit('MapRunRedriven', previousEventId, {
    mapRunArn: wait.mapRunArn,
    redriveCount,
  });
  thread.wait = { ...wait, redriveCount };
  thread.retryCounts = retryCountsFor(step.stateOf(thread));
  step.putThread(thread);
  step.armTimer(thread.id, 'mapRunStart', step.env.now, `${wait.mapRunArn}#start`);
  step.armTimer(thread.id, 'mapRunRedrive', step.env.now, `${wait.mapRunArn}#redrive`);
}

/** A Map iteration that blocked: the next iteration's start follows its last event. */
export function noteChildProgress(step: Step, threadId: string): void {
  const child = step.peekThread(threadId);
  if (child?.parentId == null || child.phase !== undefined) return;
  const parent = step.thread(child.parentId);
  const wait = waitOf(parent);
  if (parent === undefined || wait === undefined || containerOf(step, parent).Type !== 'Map') return;
  wait.chainEventId = child.lastEventId;
  step.putThread(parent);
}

/**
 * A child that ended, with its parent and the parent's counters, updated for a child that is
 * no longer active; undefined when the parent no longer waits for it.
 */
function endedChild(
  step: Step,
  parentId: string,
  index: number,
): { child: Readonly<ThreadRecord>; parent: ThreadRecord; wait: ChildrenWait; state: Container } | undefined {
  const child = step.doneChild(parentId, index);
  const parent = child === undefined ? undefined : step.thread(parentId);
  const wait = waitOf(parent);
  if (child === undefined || parent === undefined || wait === undefined) return undefined;
  const state = containerOf(step, parent);
  wait.active--;
  // Parallel branches all follow ParallelStateStarted; Map iterations chain one after another.
  if (state.Type === 'Map') wait.chainEventId = child.lastEventId;
  return { child, parent, wait, state };
}

export function childEnded(step: Step, parentId: string, index: number): void {
  const ended = endedChild(step, parentId, index);
  if (ended === undefined) return;
  const { child, parent, wait, state } = ended;
  wait.succeeded++;
  wait.closeEventId =
    state.Type === 'Map'
      ? step.emit('MapIterationSucceeded', child.lastEventId, {
          index: child.index ?? 0,
          name: parent.stateName,
        })
      : child.lastEventId;
  step.putThread(parent);
  if (wait.succeeded + wait.failed === wait.total) complete(step, parent.id);
  else step.work.push({ kind: 'launch', parentId: parent.id });
}

function tolerates(wait: ChildrenWait): boolean {
  return toleratesFailures(wait.failed, wait.total, wait);
}

/** Whether `failed` of `total` iterations stay within the Map's thresholds (none set: no). */
export function toleratesFailures(
  failed: number,
  total: number,
  thresholds: { toleratedFailureCount?: number; toleratedFailurePercentage?: number },
): boolean {
  const { toleratedFailureCount: count, toleratedFailurePercentage: percentage } = thresholds;
  if (count === undefined && percentage === undefined) return false;
  const countOk = count === undefined || failed <= count;
  const percentOk = percentage === undefined || (failed / total) * 100 <= percentage;
  return countOk && percentOk;
}

export function childFailed(step: Step, parentId: string, index: number, failure: Failure): void {
  const ended = endedChild(step, parentId, index);
  if (ended === undefined) return;
  const { child, parent, wait, state } = ended;
  wait.failed++;
  if (state.Type === 'Map') {
    const failedId = step.emit('MapIterationFailed', child.lastEventId, {
      index: child.index ?? 0,
      name: parent.stateName,
    });
    if (tolerates(wait)) {
      step.putDone({ ...child, output: { Error: failure.error, Cause: failure.cause } });
      wait.closeEventId = failedId;
      step.putThread(parent);
      if (wait.succeeded + wait.failed === wait.total) complete(step, parent.id);
      else step.work.push({ kind: 'launch', parentId: parent.id });
      return;
    }
  }
  const thresholdSet =
    wait.toleratedFailureCount !== undefined || wait.toleratedFailurePercentage !== undefined;
  const stateFailure: Failure = thresholdSet
    ? {
        error: StatesErrorName.ExceedToleratedFailureThreshold,
        cause: 'The specified tolerated failure threshold was exceeded',
      }
    : failure;
  step.abortDescendants(parent.id, { enteredEventId: parent.enteredEventId, wait: { ...wait } });
  parent.wait = null;
  parent.lastEventId = child.lastEventId;
  step.putThread(parent);
  if (tryRetry(step, parent, state, stateFailure)) return;
  parent.lastEventId = step.emit(`${state.Type}StateFailed`, child.lastEventId);
  step.putThread(parent);
  const next = catchOrFail(step, parent, state, stateFailure);
  if (next !== null) step.work.push({ kind: 'run', threadId: parent.id, ...next });
}

/** Every child ended: gather outputs in order, close the state, continue the parent. */
export function complete(step: Step, parentId: string): void {
  const parent = step.thread(parentId);
  const wait = waitOf(parent);
  if (parent === undefined || wait === undefined) return;
  const state = containerOf(step, parent);
  const results = step.takeOutputs(parentId, wait.total);
  step.emit(`${state.Type}StateSucceeded`, wait.closeEventId);
  parent.lastEventId = wait.closeEventId;
  parent.wait = null;
  step.putThread(parent);
  exitContainer(step, parent, state, results);
}

/** A Parallel's or Map's result: Output/Assign or ResultSelector → ResultPath → OutputPath, then on. */
export function exitContainer(step: Step, parent: ThreadRecord, state: Container, results: Json[]): void {
  const next = guarded(step, parent, state, () => {
    if (usesJsonata(step, state)) {
      const states = statesBinding(step, parent, { result: results });
      const { output, assigned } = outputAndAssign(step, parent, state, states, results);
      return exitState(step, parent, state, output, state.Next, assigned);
    }
    const env = step.ioEnv(parent);
    const assigned = evaluateAssign(state.Assign, results, env);
    const selected = applyResultSelector(state, results, env);
    const output = applyOutputPath(state, applyResultPath(state.ResultPath, parent.input, selected), env);
    return exitState(step, parent, state, output, state.Next, assigned);
  });
  if (next !== null) step.work.push({ kind: 'run', threadId: parent.id, ...next });
}
