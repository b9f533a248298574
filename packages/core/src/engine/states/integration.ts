/**
 * Task states that call a service integration (`arn:aws:states:::<service>:<action>…`) or a
 * Lambda function by its ARN. The engine writes the history and keeps the task's state; the
 * runtime makes the call — answers it from a mock, starts a nested execution — and reports
 * back with an event:
 *
 *   TaskScheduled ─ runIntegration ─┬─ IntegrationSucceeded ─ TaskStarted, TaskSucceeded
 *                                   ├─ IntegrationFailed ──── TaskStarted, TaskFailed
 *                                   │                         (or TaskStartFailed: never made)
 *                                   └─ IntegrationSubmitted ─ TaskStarted, TaskSubmitted, then
 *                                        .sync: ChildExecutionEnded → TaskSucceeded | TaskFailed
 *                                        .waitForTaskToken: SendTaskSuccess | SendTaskFailure
 *
 * A Lambda function named by its ARN writes LambdaFunctionScheduled, …Started, …Succeeded
 * (…Failed, …StartFailed, …TimedOut) instead, as AWS does.
 *
 * Until the runtime has reported, a guard timer stands for the call: if the process dies
 * first, the timer fires after a restart and the call is made again (every call is idempotent:
 * a mock answers the same invocation the same way, a nested execution's name is fixed). While a
 * `.sync` task waits for its nested execution the guard keeps firing, and each time the runtime
 * looks at the child again, in case the notice of its end was lost with a process.
 */
import type { Json, JsonObject } from '../../json.js';
import { toJsonText } from '../../json.js';
import type { TaskState } from '../../asl/definition.js';
import { StatesErrorName } from '../../asl/errors.js';
import type { Failure } from '../../asl/errors.js';
import type { ChildExecutionSummary, IntegrationCall, IntegrationWait, ThreadRecord } from '../types.js';
import type { Step } from '../step.js';
import type { Next } from '../flow.js';
import { errorDetails, handleFailure, statePrefixed } from '../flow.js';
import { NOT_TRUNCATED, withOutput } from '../history.js';
import type { TaskResource } from '../resources.js';
import { parseTaskResource } from '../resources.js';
import { completeTask, taskInputs } from './task.js';
import { guardTimerId, stopsChild } from '../integration-wait.js';

/**
 * How long the runtime has to report on a call before it is made again, and how often a
 * `.sync` task looks at its nested execution in case the notice of its end was lost.
 */
const INTEGRATION_GUARD_MS = 60_000;

type CalledResource = Exclude<TaskResource, { kind: 'activity' }>;

export function scheduleIntegration(
  step: Step,
  thread: ThreadRecord,
  state: TaskState,
  resource: CalledResource,
): Next {
  const callback = resource.kind === 'integration' && resource.pattern === 'callback';
  const token = step.mintTaskToken(thread.id);
  const { taskInput, timeoutSeconds, heartbeatSeconds } = taskInputs(
    step,
    thread,
    state,
    callback ? token : undefined,
  );
  const invocation = step.execution.testCase !== undefined ? countInvocation(step, thread) : undefined;
  const text = toJsonText(taskInput);
  if (resource.kind === 'lambda') {
    const details: Record<string, Json> = {
      resource: resource.arn,
      input: text,
      inputDetails: NOT_TRUNCATED,
    };
    if (timeoutSeconds !== undefined) details['timeoutInSeconds'] = timeoutSeconds;
    thread.lastEventId = step.emit('LambdaFunctionScheduled', thread.lastEventId, details);
  } else {
    const details: Record<string, Json> = {
      resourceType: resource.resourceType,
      resource: resource.resource,
      region: regionOf(step.execution.executionArn),
      parameters: text,
    };
    if (timeoutSeconds !== undefined) details['timeoutInSeconds'] = timeoutSeconds;
    if (heartbeatSeconds !== undefined) details['heartbeatInSeconds'] = heartbeatSeconds;
    thread.lastEventId = step.emit('TaskScheduled', thread.lastEventId, details);
  }
  const wait: IntegrationWait = {
    kind: 'integration',
    token,
    resource: resource.arn,
    parameters: taskInput,
    started: false,
    submitted: false,
    guarded: true,
  };
  if (invocation !== undefined) wait.invocation = invocation;
  const now = step.env.now;
  if (timeoutSeconds !== undefined) {
    wait.timeoutSeconds = timeoutSeconds;
    wait.timeoutTimerId = step.armTimer(thread.id, 'taskTimeout', now + timeoutSeconds * 1000).id;
  }
  // A heartbeat is something only the other party of a callback can send.
  if (heartbeatSeconds !== undefined && callback) {
    wait.heartbeatSeconds = heartbeatSeconds;
    wait.heartbeatTimerId = step.armTimer(thread.id, 'heartbeatTimeout', now + heartbeatSeconds * 1000).id;
  }
  step.armTimer(thread.id, 'integration', now + INTEGRATION_GUARD_MS, guardTimerId(token));
  thread.wait = wait;
  step.putThread(thread);
  step.effects.push({ kind: 'runIntegration', call: callOf(step, thread, wait) });
  return null;
}

/**
 * The invocation index of this call of the state, counted on the execution's root thread: as
 * in Step Functions Local, retries, later visits and Map iterations all count.
 */
function countInvocation(step: Step, thread: ThreadRecord): number {
  const slash = thread.id.indexOf('/');
  const rootId = slash < 0 ? thread.id : thread.id.slice(0, slash);
  // The thread itself when it is the root: the caller puts it (with this change) afterwards.
  const root = rootId === thread.id ? thread : step.thread(rootId);
  if (root === undefined) return 0;
  const count = root.invocations?.[thread.stateName] ?? 0;
  root.invocations = { ...root.invocations, [thread.stateName]: count + 1 };
  step.putThread(root);
  return count;
}

function regionOf(executionArn: string): string {
  return executionArn.split(':')[3] ?? '';
}

function callOf(step: Step, thread: ThreadRecord, wait: IntegrationWait): IntegrationCall {
  const call: IntegrationCall = {
    executionArn: step.execution.executionArn,
    threadId: thread.id,
    stateName: thread.stateName,
    token: wait.token,
    resource: wait.resource,
    parameters: wait.parameters,
    submitted: wait.submitted,
  };
  if (wait.invocation !== undefined) call.invocation = wait.invocation;
  if (wait.childExecutionArn !== undefined) call.childExecutionArn = wait.childExecutionArn;
  return call;
}

function resourceOf(wait: IntegrationWait): CalledResource {
  const resource = parseTaskResource(wait.resource);
  if (resource === undefined || resource.kind === 'activity') {
    throw new Error(`not an integration resource: ${wait.resource}`);
  }
  return resource;
}

/** The `resourceType`/`resource` members every Task… event of a service integration carries. */
function named(resource: Extract<CalledResource, { kind: 'integration' }>): Record<string, Json> {
  return { resourceType: resource.resourceType, resource: resource.resource };
}

/** Writes TaskStarted (LambdaFunctionStarted) once per attempt. */
function markStarted(
  step: Step,
  thread: ThreadRecord,
  wait: IntegrationWait,
  resource: CalledResource,
): void {
  if (wait.started) return;
  thread.lastEventId =
    resource.kind === 'lambda'
      ? step.emit('LambdaFunctionStarted', thread.lastEventId)
      : step.emit('TaskStarted', thread.lastEventId, named(resource));
  thread.wait = { ...wait, started: true };
}

/** The guard fired: make the call again, or look at the job again (see the module comment). */
export function onGuardFired(step: Step, thread: ThreadRecord, wait: IntegrationWait): void {
  step.armTimer(thread.id, 'integration', step.env.now + INTEGRATION_GUARD_MS, guardTimerId(wait.token));
  step.effects.push({ kind: 'runIntegration', call: callOf(step, thread, wait) });
}

/**
 * The call went through; the task now waits for its job (`.sync`) or for the callback. A call
 * reported twice (the guard fired meanwhile) is written once.
 */
export function onIntegrationSubmitted(
  step: Step,
  thread: ThreadRecord,
  wait: IntegrationWait,
  output: Json,
  childExecutionArn: string | undefined,
): void {
  const resource = resourceOf(wait);
  if (wait.submitted || resource.kind === 'lambda' || resource.pattern === 'request') return;
  markStarted(step, thread, wait, resource);
  thread.lastEventId = step.emit('TaskSubmitted', thread.lastEventId, {
    ...named(resource),
    ...withOutput(toJsonText(output)),
  });
  const submitted: IntegrationWait = { ...wait, started: true, submitted: true };
  if (childExecutionArn !== undefined) submitted.childExecutionArn = childExecutionArn;
  // A callback leaves nothing for the runtime to watch: only SendTask* can end it now.
  if (resource.pattern === 'callback') {
    step.deleteTimer(guardTimerId(wait.token));
    submitted.guarded = false;
  }
  thread.wait = submitted;
  step.putThread(thread);
}

function closeIntegration(step: Step, thread: ThreadRecord, wait: IntegrationWait): void {
  if (wait.guarded) step.deleteTimer(guardTimerId(wait.token));
  step.deleteTimer(wait.timeoutTimerId);
  step.deleteTimer(wait.heartbeatTimerId);
  thread.wait = null;
  step.putThread(thread);
}

export function onIntegrationSucceeded(
  step: Step,
  thread: ThreadRecord,
  state: TaskState,
  wait: IntegrationWait,
  output: Json,
): Next {
  const resource = resourceOf(wait);
  markStarted(step, thread, wait, resource);
  const text = toJsonText(output);
  thread.lastEventId =
    resource.kind === 'lambda'
      ? step.emit('LambdaFunctionSucceeded', thread.lastEventId, withOutput(text))
      : step.emit('TaskSucceeded', thread.lastEventId, { ...named(resource), ...withOutput(text) });
  closeIntegration(step, thread, wait);
  return completeTask(step, thread, state, output);
}

/**
 * The call failed (TaskFailed), or was never made (`notStarted`: TaskStartFailed). A States.Runtime
 * of Stepwise's own (nothing can make the call) carries AWS's "which state" prefix.
 */
export function onIntegrationFailed(
  step: Step,
  thread: ThreadRecord,
  state: TaskState,
  wait: IntegrationWait,
  failure: { error: string | null; cause: string | null },
  notStarted = false,
): Next {
  const resource = resourceOf(wait);
  let cause = failure.cause;
  if (notStarted && failure.error === StatesErrorName.Runtime) {
    cause = statePrefixed(thread, cause);
  }
  const details = errorDetails({ error: failure.error, cause });
  if (notStarted) {
    thread.lastEventId =
      resource.kind === 'lambda'
        ? step.emit('LambdaFunctionStartFailed', thread.lastEventId, details)
        : step.emit('TaskStartFailed', thread.lastEventId, { ...named(resource), ...details });
  } else {
    markStarted(step, thread, wait, resource);
    thread.lastEventId =
      resource.kind === 'lambda'
        ? step.emit('LambdaFunctionFailed', thread.lastEventId, details)
        : step.emit('TaskFailed', thread.lastEventId, { ...named(resource), ...details });
  }
  closeIntegration(step, thread, wait);
  return handleFailure(step, thread, state, { error: failure.error, cause });
}

/**
 * Whether a `.sync` task waits for exactly this nested execution. A notice of the child's end
 * can arrive before the task has recorded the submission; it is then sent again once it has.
 */
export function awaitsChild(wait: IntegrationWait, child: ChildExecutionSummary): boolean {
  const resource = parseTaskResource(wait.resource);
  return (
    resource?.kind === 'integration' &&
    (resource.pattern === 'sync' || resource.pattern === 'sync2') &&
    wait.submitted &&
    wait.childExecutionArn === child.executionArn
  );
}

/**
 * The nested execution of a `.sync` task ended: its DescribeExecution, as the task's result or
 * (States.TaskFailed) as the cause of its failure.
 */
export function onChildExecutionEnded(
  step: Step,
  thread: ThreadRecord,
  state: TaskState,
  wait: IntegrationWait,
  child: ChildExecutionSummary,
): Next {
  const described = describeChild(child, isSync2(resourceOf(wait)));
  if (child.status === 'SUCCEEDED') return onIntegrationSucceeded(step, thread, state, wait, described);
  return onIntegrationFailed(step, thread, state, wait, {
    error: StatesErrorName.TaskFailed,
    cause: toJsonText(described),
  });
}

/**
 * A nested execution as the `.sync` integration describes it: DescribeExecution's members in
 * PascalCase, in alphabetical order, dates in epoch milliseconds; Input and Output as JSON text
 * (`.sync`) or JSON (`.sync:2`).
 */
export function describeChild(child: ChildExecutionSummary, asJson: boolean): JsonObject {
  const payload = (text: string): Json => (asJson ? (JSON.parse(text) as Json) : text);
  const out: JsonObject = {};
  if (child.status !== 'SUCCEEDED') {
    if (child.cause !== undefined && child.cause !== null) out['Cause'] = child.cause;
    if (child.error !== undefined && child.error !== null) out['Error'] = child.error;
  }
  out['ExecutionArn'] = child.executionArn;
  out['Input'] = payload(child.input);
  out['InputDetails'] = { Included: true };
  out['Name'] = child.name;
  if (child.status === 'SUCCEEDED' && child.output !== undefined) {
    out['Output'] = payload(child.output);
    out['OutputDetails'] = { Included: true };
  }
  out['StartDate'] = child.startDate;
  out['StateMachineArn'] = child.stateMachineArn;
  out['Status'] = child.status;
  out['StopDate'] = child.stopDate;
  return out;
}

/** SendTaskHeartbeat on a callback task: pushes its heartbeat deadline back. */
export function onIntegrationHeartbeat(step: Step, thread: ThreadRecord, wait: IntegrationWait): void {
  if (wait.heartbeatSeconds === undefined) return;
  step.deleteTimer(wait.heartbeatTimerId);
  const timer = step.armTimer(thread.id, 'heartbeatTimeout', step.env.now + wait.heartbeatSeconds * 1000);
  thread.wait = { ...wait, heartbeatTimerId: timer.id };
  step.putThread(thread);
}

export function onIntegrationTimedOut(
  step: Step,
  thread: ThreadRecord,
  state: TaskState,
  wait: IntegrationWait,
  heartbeat: boolean,
): Next {
  const resource = resourceOf(wait);
  const error = StatesErrorName.Timeout;
  thread.lastEventId =
    resource.kind === 'lambda'
      ? step.emit('LambdaFunctionTimedOut', thread.lastEventId, { error })
      : step.emit('TaskTimedOut', thread.lastEventId, { ...named(resource), error });
  const stopChild = stopsChild(wait);
  if (stopChild !== undefined) step.effects.push({ kind: 'stopChildExecution', executionArn: stopChild });
  closeIntegration(step, thread, wait);
  const failure: Failure & { heartbeat: boolean } = { error, cause: null, heartbeat };
  return handleFailure(step, thread, state, failure);
}

/** `.sync:2`: the nested execution's Input and Output as JSON rather than text. */
function isSync2(resource: CalledResource): boolean {
  return resource.kind === 'integration' && resource.pattern === 'sync2';
}
