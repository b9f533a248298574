/**
 * The engine's one entry point: a pure function of (definition, execution, its threads, one
 * event, the environment) to a TransitionResult. It never touches a clock, a network or a
 * database; the runtime commits what it answers in one transaction.
 */
import type { StateMachineDefinition, TaskState } from '../asl/definition.js';
import type { Json } from '../json.js';
import { StatesErrorName } from '../asl/errors.js';
import type {
  ActivityWait,
  EngineEnvironment,
  IntegrationWait,
  EngineEvent,
  ExecutionSnapshot,
  ThreadRecord,
  TimerRecord,
  TransitionResult,
} from './types.js';
import type { EngineLimits } from './step.js';
import { DEFAULT_LIMITS, HistoryLimitReached, Step, executionTimeoutTimerId } from './step.js';
import { errorDetails, guarded } from './flow.js';
import { advance, drain, rerunWork } from './dispatch.js';
import { resumeThread } from './children.js';
import { NOT_TRUNCATED } from './history.js';
import { decodeTaskToken } from './tokens.js';
import {
  onActivityStarted,
  onHeartbeat,
  onTaskFailed,
  onTaskSucceeded,
  onTaskTimedOut,
} from './states/task.js';
import { completeWait } from './states/wait.js';
import {
  awaitsChild,
  onChildExecutionEnded,
  onGuardFired,
  onIntegrationFailed,
  onIntegrationHeartbeat,
  onIntegrationSubmitted,
  onIntegrationSucceeded,
  onIntegrationTimedOut,
} from './states/integration.js';
import { answersCallbacks, guardTimerId } from './integration-wait.js';
import { onMapRunEnded } from './states/map.js';

export const ROOT_THREAD = 'root';

/** The outcomes RedriveExecution can take an execution back from. */
const REDRIVABLE: ReadonlySet<string> = new Set(['FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']);

export function transition(
  definition: StateMachineDefinition,
  execution: ExecutionSnapshot,
  threads: readonly ThreadRecord[],
  event: EngineEvent,
  env: EngineEnvironment,
  limits: EngineLimits = DEFAULT_LIMITS,
): TransitionResult {
  let snapshot = execution;
  if (event.type === 'RedriveExecution') {
    // The snapshot always holds the root: without it there is nothing to resume.
    if (!REDRIVABLE.has(execution.status) || !threads.some((thread) => thread.id === ROOT_THREAD)) {
      return { ok: false, rejection: 'ExecutionNotRedrivable' };
    }
    // The context object of states run from now on shows this redrive.
    snapshot = { ...execution, redriveCount: execution.redriveCount + 1, redriveDate: env.now };
  }
  const step = new Step(definition, snapshot, threads, env, limits);
  try {
    const rejected = apply(step, event);
    if (rejected !== undefined) return rejected;
  } catch (error) {
    if (!(error instanceof HistoryLimitReached)) throw error;
    const failure = {
      error: StatesErrorName.Runtime,
      cause: `The execution reached the maximum number of history events (${limits.maxHistoryEvents}).`,
    };
    step.emitUnchecked('ExecutionFailed', 0, failure);
    step.close('FAILED', failure, { redrivable: false });
  }
  return step.result();
}

function apply(step: Step, event: EngineEvent): TransitionResult | undefined {
  switch (event.type) {
    case 'StartExecution':
      start(step);
      return undefined;
    case 'RedriveExecution':
      redrive(step);
      return undefined;
    case 'StopExecution':
      if (!step.running) return { ok: false, rejection: 'ExecutionNotRunning' };
      step.emit('ExecutionAborted', 0, errorDetails(event));
      step.close('ABORTED', { error: event.error, cause: event.cause });
      return undefined;
    case 'TimerFired':
      step.deleteTimer(event.timer.id);
      if (step.running) fireTimer(step, event.timer);
      return undefined;
    case 'ActivityStarted':
    case 'TaskSucceeded':
    case 'TaskFailed':
    case 'TaskHeartbeat': {
      const found = step.running ? waitingOn(step, event.token) : undefined;
      if (found === undefined) return { ok: false, rejection: 'TaskTimedOut' };
      const { thread, wait, state } = found;
      if (wait.kind === 'integration') {
        // Only a `.waitForTaskToken` task is answered through the API.
        if (event.type === 'ActivityStarted' || !answersCallbacks(wait)) {
          return { ok: false, rejection: 'TaskTimedOut' };
        }
        if (event.type === 'TaskHeartbeat') onIntegrationHeartbeat(step, thread, wait);
        else if (event.type === 'TaskSucceeded') {
          advance(
            step,
            thread,
            guarded(step, thread, state, () =>
              onIntegrationSucceeded(step, thread, state, wait, event.output),
            ),
          );
        } else {
          advance(
            step,
            thread,
            guarded(step, thread, state, () => onIntegrationFailed(step, thread, state, wait, event)),
          );
        }
        return undefined;
      }
      if (event.type === 'ActivityStarted') {
        if (wait.started) return { ok: false, rejection: 'TaskTimedOut' };
        onActivityStarted(step, thread, wait, event.workerName);
      } else if (event.type === 'TaskHeartbeat') {
        onHeartbeat(step, thread, wait);
      } else if (event.type === 'TaskSucceeded') {
        advance(
          step,
          thread,
          guarded(step, thread, state, () => onTaskSucceeded(step, thread, state, wait, event.output)),
        );
      } else {
        advance(
          step,
          thread,
          guarded(step, thread, state, () => onTaskFailed(step, thread, state, wait, event)),
        );
      }
      return undefined;
    }
    case 'IntegrationSubmitted':
    case 'IntegrationSucceeded':
    case 'IntegrationFailed':
    case 'ChildExecutionEnded': {
      const found = step.running ? waitingOn(step, event.token) : undefined;
      // The task is gone (it timed out, the execution ended): the runtime may have to undo the call.
      if (found?.wait.kind !== 'integration') return { ok: false, rejection: 'TaskTimedOut' };
      const { thread, state } = found;
      const wait = found.wait;
      switch (event.type) {
        case 'IntegrationSubmitted':
          onIntegrationSubmitted(step, thread, wait, event.output, event.childExecutionArn);
          break;
        case 'IntegrationSucceeded':
          advance(
            step,
            thread,
            guarded(step, thread, state, () =>
              onIntegrationSucceeded(step, thread, state, wait, event.output),
            ),
          );
          break;
        case 'IntegrationFailed':
          advance(
            step,
            thread,
            guarded(step, thread, state, () =>
              onIntegrationFailed(step, thread, state, wait, event, event.notStarted === true),
            ),
          );
          break;
        case 'ChildExecutionEnded':
          if (!awaitsChild(wait, event.child)) break;
          advance(
            step,
            thread,
            guarded(step, thread, state, () => onChildExecutionEnded(step, thread, state, wait, event.child)),
          );
          break;
        default: {
          const never: never = event;
          throw new Error(`unknown integration event ${JSON.stringify(never)}`);
        }
      }
      return undefined;
    }
    case 'MapRunEnded': {
      const thread = [...step.allThreads()].find(
        (t) => t.wait?.kind === 'mapRun' && t.wait.mapRunArn === event.mapRunArn,
      );
      if (thread === undefined || !step.running) return undefined;
      const waiting = structuredClone(thread);
      const state = step.stateOf(waiting);
      if (state.Type !== 'Map') return undefined;
      advance(
        step,
        waiting,
        guarded(step, waiting, state, () => onMapRunEnded(step, waiting, state, event)),
      );
      return undefined;
    }
    default: {
      const never: never = event;
      throw new Error(`unknown engine event ${JSON.stringify(never)}`);
    }
  }
}

function start(step: Step): void {
  const { execution, definition } = step;
  // A literal, not a spread of withInput(): V8 gave each spread-and-extended object a hidden
  // class of its own, which a store keeping the event kept too (≈ 350 bytes per execution).
  const details: Record<string, Json> = {
    input: step.jsonText(execution.input),
    inputDetails: NOT_TRUNCATED,
    roleArn: execution.roleArn,
  };
  // Members in AWS's order; only executions started through a version or an alias have them.
  if (execution.stateMachineAliasArn !== undefined) {
    details['stateMachineAliasArn'] = execution.stateMachineAliasArn;
  }
  if (execution.stateMachineVersionArn !== undefined) {
    details['stateMachineVersionArn'] = execution.stateMachineVersionArn;
  }
  step.emit('ExecutionStarted', 0, details);
  if (definition.TimeoutSeconds !== undefined) {
    step.armTimer(
      ROOT_THREAD,
      'executionTimeout',
      execution.startDate + definition.TimeoutSeconds * 1000,
      executionTimeoutTimerId(execution),
    );
  }
  const root: ThreadRecord = {
    id: ROOT_THREAD,
    parentId: null,
    stateName: definition.StartAt,
    enteredEventId: 0,
    lastEventId: 0,
    enteredTime: step.env.now,
    input: execution.input,
    retryCounts: [],
    wait: null,
  };
  step.putThread(root);
  advance(step, root, { stateName: definition.StartAt, input: execution.input, previousEventId: 0 });
}

/**
 * The execution runs again from where it stopped (AWS: "continues the failed execution from the
 * unsuccessful step and uses the same input"): ExecutionRedriven, then every thread the snapshot
 * holds resumes (`resumeThread`). The execution timeout counts from now.
 */
function redrive(step: Step): void {
  const { execution, definition } = step;
  step.reopen(execution.redriveCount);
  const redriven = step.emit('ExecutionRedriven', execution.nextEventId - 1, {
    redriveCount: execution.redriveCount,
  });
  if (definition.TimeoutSeconds !== undefined) {
    step.armTimer(
      ROOT_THREAD,
      'executionTimeout',
      step.env.now + definition.TimeoutSeconds * 1000,
      executionTimeoutTimerId(execution),
    );
  }
  // The snapshot's records become the execution's threads again.
  for (const id of [...step.allThreads()].map((thread) => thread.id)) {
    const thread = step.thread(id);
    if (thread !== undefined) step.putThread(thread);
  }
  const root = step.thread(ROOT_THREAD);
  if (root === undefined) throw new Error('a redrive snapshot without its root');
  resumeThread(step, root, redriven);
  drain(step);
}

/** The thread waiting on this token, if the token is still live. */
function waitingOn(
  step: Step,
  token: string,
): { thread: ThreadRecord; wait: ActivityWait | IntegrationWait; state: TaskState } | undefined {
  const parts = decodeTaskToken(token);
  if (parts === undefined) return undefined;
  const thread = step.thread(parts.threadId);
  const wait = thread?.wait;
  if (thread === undefined || wait === undefined || wait === null) return undefined;
  if ((wait.kind !== 'activity' && wait.kind !== 'integration') || wait.token !== token) return undefined;
  const state = step.stateOf(thread);
  if (state.Type !== 'Task') return undefined;
  return { thread, wait, state };
}

function fireTimer(step: Step, timer: TimerRecord): void {
  if (timer.kind === 'executionTimeout') {
    step.emit('ExecutionTimedOut', 0, { error: StatesErrorName.Timeout });
    step.close('TIMED_OUT', { error: StatesErrorName.Timeout, cause: null });
    return;
  }
  const thread = step.thread(timer.threadId);
  const wait = thread?.wait;
  if (thread === undefined || wait === undefined || wait === null) return;
  const state = step.stateOf(thread);
  switch (timer.kind) {
    case 'wait':
      if (wait.kind === 'wait' && wait.timerId === timer.id && state.Type === 'Wait') {
        advance(
          step,
          thread,
          guarded(step, thread, state, () => completeWait(step, thread, state)),
        );
      }
      return;
    case 'mapRunStart':
      if (wait.kind === 'mapRun' && `${wait.mapRunArn}#start` === timer.id) {
        step.effects.push({ kind: 'startMapRun', mapRun: wait.start });
      }
      return;
    case 'retry':
      if (wait.kind === 'retry' && wait.timerId === timer.id) rerunWork(step, thread, state);
      return;
    case 'mapRunRedrive':
      // The runtime redrove the Map Run before delivering this: only the timer goes.
      return;
    case 'taskTimeout':
    case 'heartbeatTimeout': {
      if ((wait.kind !== 'activity' && wait.kind !== 'integration') || state.Type !== 'Task') return;
      const heartbeat = timer.kind === 'heartbeatTimeout';
      const armed = heartbeat ? wait.heartbeatTimerId === timer.id : wait.timeoutTimerId === timer.id;
      if (!armed) return;
      advance(
        step,
        thread,
        guarded(step, thread, state, () =>
          wait.kind === 'activity'
            ? onTaskTimedOut(step, thread, state, wait, heartbeat)
            : onIntegrationTimedOut(step, thread, state, wait, heartbeat),
        ),
      );
      return;
    }
    case 'integration':
      if (wait.kind === 'integration' && wait.guarded && guardTimerId(wait.token) === timer.id) {
        onGuardFired(step, thread, wait);
      }
      return;
    default: {
      const never: never = timer.kind;
      throw new Error(`unknown timer kind ${String(never)}`);
    }
  }
}
