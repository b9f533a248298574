/**
 * Task states whose Resource is an activity ARN. The work is an activity task: scheduled now,
 * started when a worker's GetActivityTask receives it, and closed by SendTaskSuccess/Failure or
 * a timeout. TimeoutSeconds and HeartbeatSeconds count from ActivityStarted, as on AWS.
 */
import type { Json } from '../../json.js';
import { toJsonText } from '../../json.js';
import type { TaskState } from '../../asl/definition.js';
import { StatesError, StatesErrorName } from '../../asl/errors.js';
import type { ActivityWait, ThreadRecord } from '../types.js';
import type { IoEnv } from '../io.js';
import type { Step } from '../step.js';
import type { Next } from '../flow.js';
import { errorDetails, exitState, handleFailure } from '../flow.js';
import { NOT_TRUNCATED, withOutput } from '../history.js';
import { evaluateAssign } from '../assign.js';
import { evaluateField, numberField, outputAndAssign, statesBinding, usesJsonata } from '../jsonata-io.js';
import { selectPath } from '../io.js';
import {
  applyInputPath,
  applyOutputPath,
  applyParameters,
  applyResultPath,
  applyResultSelector,
} from '../io.js';

const ACTIVITY_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:activity:[^:]+$/;

export function isActivityArn(resource: string): boolean {
  return ACTIVITY_ARN.test(resource);
}

export function runTask(step: Step, thread: ThreadRecord, state: TaskState): Next {
  let taskInput: Json;
  let timeoutSeconds: number | undefined;
  let heartbeatSeconds: number | undefined;
  if (usesJsonata(step, state)) {
    const states = statesBinding(step, thread);
    taskInput =
      state.Arguments !== undefined
        ? evaluateField(step, thread, state.Arguments, 'Arguments', states)
        : thread.input;
    timeoutSeconds = numberField(step, thread, state.TimeoutSeconds, 'TimeoutSeconds', 'integer', states);
    heartbeatSeconds = numberField(
      step,
      thread,
      state.HeartbeatSeconds,
      'HeartbeatSeconds',
      'integer',
      states,
    );
  } else {
    const env = step.ioEnv(thread);
    const afterInputPath = applyInputPath(state, thread.input, env);
    taskInput = applyParameters(state, afterInputPath, env);
    timeoutSeconds = seconds(state.TimeoutSeconds, state.TimeoutSecondsPath, afterInputPath, env);
    heartbeatSeconds = seconds(state.HeartbeatSeconds, state.HeartbeatSecondsPath, afterInputPath, env);
  }
  const activityArn = state.Resource;
  if (!step.env.activityExists(activityArn)) {
    throw new StatesError(StatesErrorName.Runtime, `The activity ${activityArn} does not exist.`);
  }
  const token = step.mintTaskToken(thread.id);
  const taskInputText = toJsonText(taskInput);
  const details: Record<string, Json> = {
    resource: activityArn,
    input: taskInputText,
    inputDetails: NOT_TRUNCATED,
  };
  if (timeoutSeconds !== undefined) details['timeoutInSeconds'] = timeoutSeconds;
  if (heartbeatSeconds !== undefined) details['heartbeatInSeconds'] = heartbeatSeconds;
  thread.lastEventId = step.emit('ActivityScheduled', thread.lastEventId, details);
  const wait: ActivityWait = {
    kind: 'activity',
    token,
    activityArn,
    taskInput,
    scheduledAt: step.env.now,
    started: false,
  };
  if (timeoutSeconds !== undefined) wait.timeoutSeconds = timeoutSeconds;
  if (heartbeatSeconds !== undefined) wait.heartbeatSeconds = heartbeatSeconds;
  thread.wait = wait;
  step.putThread(thread);
  step.effects.push({
    kind: 'putActivityTask',
    task: {
      token,
      activityArn,
      executionArn: step.execution.executionArn,
      threadId: thread.id,
      input: taskInputText,
      status: 'queued',
      scheduledAt: step.env.now,
    },
  });
  return null;
}

export function seconds(
  value: number | string | undefined,
  path: string | undefined,
  input: Json,
  env: IoEnv,
): number | undefined {
  if (typeof value === 'number') return value;
  if (path === undefined) return undefined;
  const resolved = selectPath(path, input, env);
  if (typeof resolved !== 'number' || !Number.isInteger(resolved) || resolved <= 0) {
    throw new StatesError(
      StatesErrorName.Runtime,
      `The value of ${path} must be a positive integer, but was ${toJsonText(resolved)}`,
    );
  }
  return resolved;
}

export function onActivityStarted(
  step: Step,
  thread: ThreadRecord,
  wait: ActivityWait,
  workerName?: string,
): void {
  thread.lastEventId = step.emit(
    'ActivityStarted',
    thread.lastEventId,
    workerName !== undefined ? { workerName } : {},
  );
  const now = step.env.now;
  const started: ActivityWait = { ...wait, started: true };
  if (wait.timeoutSeconds !== undefined) {
    started.timeoutTimerId = step.armTimer(thread.id, 'taskTimeout', now + wait.timeoutSeconds * 1000).id;
  }
  if (wait.heartbeatSeconds !== undefined) {
    started.heartbeatTimerId = step.armTimer(
      thread.id,
      'heartbeatTimeout',
      now + wait.heartbeatSeconds * 1000,
    ).id;
  }
  thread.wait = started;
  step.putThread(thread);
  step.effects.push({
    kind: 'putActivityTask',
    task: {
      token: wait.token,
      activityArn: wait.activityArn,
      executionArn: step.execution.executionArn,
      threadId: thread.id,
      input: toJsonText(wait.taskInput),
      status: 'started',
      scheduledAt: wait.scheduledAt ?? now,
      ...(workerName !== undefined ? { workerName } : {}),
    },
  });
}

/** SendTaskHeartbeat: pushes the heartbeat deadline back; writes no history. */
export function onHeartbeat(step: Step, thread: ThreadRecord, wait: ActivityWait): void {
  // The heartbeat clock starts with the task (ActivityStarted); before that there is none to reset.
  if (wait.heartbeatSeconds === undefined || !wait.started) return;
  step.deleteTimer(wait.heartbeatTimerId);
  const timer = step.armTimer(thread.id, 'heartbeatTimeout', step.env.now + wait.heartbeatSeconds * 1000);
  thread.wait = { ...wait, heartbeatTimerId: timer.id };
  step.putThread(thread);
}

function closeTask(step: Step, thread: ThreadRecord, wait: ActivityWait): void {
  step.effects.push({ kind: 'deleteActivityTask', token: wait.token });
  step.deleteTimer(wait.timeoutTimerId);
  step.deleteTimer(wait.heartbeatTimerId);
  thread.wait = null;
  step.putThread(thread);
}

export function onTaskSucceeded(
  step: Step,
  thread: ThreadRecord,
  state: TaskState,
  wait: ActivityWait,
  output: Json,
): Next {
  thread.lastEventId = step.emit('ActivitySucceeded', thread.lastEventId, withOutput(toJsonText(output)));
  closeTask(step, thread, wait);
  if (usesJsonata(step, state)) {
    const states = statesBinding(step, thread, { result: output });
    const jsonata = outputAndAssign(step, thread, state, states, output);
    return exitState(step, thread, state, jsonata.output, state.Next, jsonata.assigned);
  }
  const env = step.ioEnv(thread);
  const assigned = evaluateAssign(state.Assign, output, env);
  const selected = applyResultSelector(state, output, env);
  const stateOutput = applyOutputPath(state, applyResultPath(state.ResultPath, thread.input, selected), env);
  return exitState(step, thread, state, stateOutput, state.Next, assigned);
}

export function onTaskFailed(
  step: Step,
  thread: ThreadRecord,
  state: TaskState,
  wait: ActivityWait,
  failure: { error: string | null; cause: string | null },
): Next {
  thread.lastEventId = step.emit('ActivityFailed', thread.lastEventId, errorDetails(failure));
  closeTask(step, thread, wait);
  return handleFailure(step, thread, state, failure);
}

export function onTaskTimedOut(
  step: Step,
  thread: ThreadRecord,
  state: TaskState,
  wait: ActivityWait,
  heartbeat: boolean,
): Next {
  thread.lastEventId = step.emit('ActivityTimedOut', thread.lastEventId, { error: StatesErrorName.Timeout });
  closeTask(step, thread, wait);
  return handleFailure(step, thread, state, { error: StatesErrorName.Timeout, cause: null, heartbeat });
}
