/**
 * The engine's vocabulary: what it is given (an execution's persisted state and one event) and
 * what it answers (new state, history events to append, effects for the runtime to carry
 * out). Everything here is plain data so that it can be stored as rows and replayed.
 */
import type { Json, JsonObject } from '../json.js';

export type ExecutionStatus =
  'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** The execution row as the engine sees it. Times are epoch milliseconds. */
export interface ExecutionSnapshot {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  roleArn: string;
  input: Json;
  startDate: number;
  status: ExecutionStatus;
  /** The id the next history event gets (ids start at 1). */
  nextEventId: number;
  redriveCount: number;
  /** When the execution was last redriven (epoch ms): `$$.Execution.RedriveTime`. */
  redriveDate?: number;
  /** Express executions show no RedriveCount in the context object. Absent: STANDARD. */
  type?: 'STANDARD' | 'EXPRESS';
  /** Started through a version ARN, or through an alias that picked this version. */
  stateMachineVersionArn?: string;
  /** Started through an alias ARN. */
  stateMachineAliasArn?: string;
  /**
   * The mock test case the execution runs with (StartExecution on `<machine arn>#<case>`): its
   * Task states count their invocations, which pick the mocked responses.
   */
  testCase?: string;
}

/** The part of the execution row a transition may change. */
export interface ExecutionPatch {
  status: ExecutionStatus;
  nextEventId: number;
  output?: string;
  error?: string | null;
  cause?: string | null;
  stopDate?: number;
  /**
   * A redrive reopened the execution: its output, error, cause and stop date are cleared before
   * the values above apply (a redrive that fails again at once closes it in the same patch).
   */
  redriven?: { redriveCount: number; redriveDate: number };
}

/**
 * A thread of control: the root of an execution (later also a Parallel branch or a Map
 * iteration). One record each, so a transition touches only the threads it changes.
 */
export interface ThreadRecord {
  id: string;
  parentId: string | null;
  /** The state the thread is in. */
  stateName: string;
  /** The id of the `…StateEntered` event of the current visit ("entered at the event id #n"). */
  enteredEventId: number;
  /** The causal predecessor (`previousEventId`) of this thread's next event. */
  lastEventId: number;
  /** `$$.State.EnteredTime`, epoch ms. */
  enteredTime: number;
  /** The state's raw input, before InputPath. */
  input: Json;
  /** Attempts made per retrier (same order as the state's `Retry`) during this visit. */
  retryCounts: number[];
  /** What the thread is blocked on; `null` while it runs (never persisted as such). */
  wait: ThreadWait | null;
  /** A Parallel branch's or Map iteration's index within its parent. */
  index?: number;
  /**
   * `pending`: a Map iteration waiting for MaxConcurrency to let it start. `done`: a branch or
   * iteration that ended and holds its `output` until its siblings end. Absent while running.
   */
  phase?: 'pending' | 'done';
  /** A finished branch's or iteration's output. */
  output?: Json;
  /** A `done` branch or iteration that failed (its output, if any, is its error output). */
  failed?: true;
  /** The `previousEventId` of the current …StateEntered: AWS chains EvaluationFailed to it. */
  enteredPreviousEventId?: number;
  /** Workflow variables assigned in this thread's own scope. */
  variables?: JsonObject;
  /**
   * The root thread of an execution with a mock test case: how many times each Task state has
   * called its integration so far, across retries, visits and Map iterations (the invocation
   * index a mocked response is picked by, as in Step Functions Local).
   */
  invocations?: Record<string, number>;
}

export type ThreadWait = ActivityWait | IntegrationWait | TimerWait | ChildrenWait | MapRunWait;

/** A Distributed Map waiting for its Map Run, whose items run as child executions. */
export interface MapRunWait {
  kind: 'mapRun';
  mapRunArn: string;
  /** Redrives of the Map Run so far (MapRunRedriven counts them). */
  redriveCount?: number;
  /**
   * Kept until the Map Run ends. The run is started through a timer committed with the
   * transition that entered the Map (a durable outbox): after a crash the timer fires again and
   * the runtime, finding the run already there or not, starts it from this record.
   */
  start: MapRunStart;
}

/** What the runtime needs to start a Map Run: the child machine, the items, the limits. */
export interface MapRunStart {
  mapRunArn: string;
  executionArn: string;
  threadId: string;
  /** `<parent state machine ARN>/<label>` */
  stateMachineArn: string;
  /** The ItemProcessor as a definition of its own (JSON text). */
  definition: string;
  executionType: 'STANDARD' | 'EXPRESS';
  /** Each child's input. */
  items: Json[];
  maxConcurrency: number;
  toleratedFailureCount: number;
  toleratedFailurePercentage: number;
}

/**
 * A Parallel or Map state waiting for its branches or iterations, which are threads of their
 * own (`<parent id>/<index>`). Only counters live here, so a child's progress rewrites one
 * small record, never a list that grows with the number of items.
 */
export interface ChildrenWait {
  kind: 'children';
  total: number;
  launched: number;
  active: number;
  succeeded: number;
  failed: number;
  /** 0: no limit. */
  maxConcurrency: number;
  toleratedFailureCount?: number;
  toleratedFailurePercentage?: number;
  /** The predecessor of the next MapIterationStarted: the last event of the latest iteration. */
  chainEventId: number;
  /** The predecessor of …StateSucceeded: the latest MapIterationSucceeded or branch end. */
  closeEventId: number;
  /**
   * After a redrive: children below `launched` that are `pending` run again (they failed or
   * were aborted), before any child not launched yet; the first index not looked at yet.
   */
  relaunchFrom?: number;
}

/** An activity task scheduled (and perhaps started) for this thread. */
export interface ActivityWait {
  kind: 'activity';
  token: string;
  activityArn: string;
  /** The effective input sent to the worker (after InputPath and Parameters). */
  taskInput: Json;
  /** When the task was queued: kept so that starting it does not move it in the queue's order. */
  scheduledAt?: number;
  started: boolean;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  /** Armed once the task has started. */
  timeoutTimerId?: string;
  heartbeatTimerId?: string;
}

/**
 * A Task calling a service integration (or a Lambda function by ARN). The runtime makes the call
 * — answers it from a mock, or starts a nested execution — and reports back with Integration…
 * events. A guard timer (`<token>#guard`) stands for the call until the runtime has reported:
 * should the process die before, it fires and the call is made again (calls are idempotent).
 */
export interface IntegrationWait {
  kind: 'integration';
  /** Names this attempt; for `.waitForTaskToken` it is also the token SendTask* answers with. */
  token: string;
  resource: string;
  /** The effective parameters sent to the service (after InputPath and Parameters, or Arguments). */
  parameters: Json;
  /** The invocation index of the state (executions with a mock test case only). */
  invocation?: number;
  /** TaskStarted (LambdaFunctionStarted) is written. */
  started: boolean;
  /** The call went through (TaskSubmitted): the task now waits for the job or the callback. */
  submitted: boolean;
  /** `.sync` on a nested execution: the child it waits for. */
  childExecutionArn?: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  timeoutTimerId?: string;
  heartbeatTimerId?: string;
  /** Armed while the runtime has something to do for this task (make the call, watch the job). */
  guarded: boolean;
}

/** What the runtime needs to make (or resume) an integration call. */
export interface IntegrationCall {
  executionArn: string;
  threadId: string;
  stateName: string;
  token: string;
  resource: string;
  parameters: Json;
  invocation?: number;
  /** Present once the call went through: the nested execution to watch. */
  childExecutionArn?: string;
  /** The call already went through (resuming: only its job is left to watch). */
  submitted: boolean;
}

/** A nested execution as it ended, for the `.sync` task waiting for it. */
export interface ChildExecutionSummary {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** JSON text */
  input: string;
  /** JSON text */
  output?: string;
  error?: string | null;
  cause?: string | null;
  /** epoch ms */
  startDate: number;
  stopDate: number;
}

/** A Wait state's delay or a retry's back-off. */
export interface TimerWait {
  kind: 'wait' | 'retry';
  timerId: string;
  dueAt: number;
}

export type TimerKind =
  | 'wait'
  | 'retry'
  | 'taskTimeout'
  | 'heartbeatTimeout'
  | 'executionTimeout'
  | 'mapRunStart'
  /**
   * A redrive of a Distributed Map's parent: the runtime redrives the Map Run (`<run ARN>#redrive`)
   * before it delivers the timer, so a crash in between only makes it fire (and redrive) again.
   */
  | 'mapRunRedrive'
  | 'integration';

export interface TimerRecord {
  id: string;
  executionArn: string;
  threadId: string;
  kind: TimerKind;
  dueAt: number;
}

export type ActivityTaskStatus = 'queued' | 'started';

export interface ActivityTaskRecord {
  token: string;
  activityArn: string;
  executionArn: string;
  threadId: string;
  /** JSON text handed to the worker. */
  input: string;
  status: ActivityTaskStatus;
  scheduledAt: number;
  workerName?: string;
}

/** One history event, in the shape GetExecutionHistory answers (details under their member). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** epoch ms */
  timestamp: number;
  type: string;
  /** The `…EventDetails` member name and its value, absent for detail-less events. */
  detailsMember?: string;
  details?: Record<string, Json>;
}

/** Events given to the engine. `now` and randomness come with every call: the engine has no clock. */
export type EngineEvent =
  | { type: 'StartExecution' }
  | { type: 'ActivityStarted'; token: string; workerName?: string }
  | { type: 'TaskSucceeded'; token: string; output: Json }
  | { type: 'TaskFailed'; token: string; error: string | null; cause: string | null }
  | { type: 'TaskHeartbeat'; token: string }
  | { type: 'TimerFired'; timer: TimerRecord }
  | { type: 'StopExecution'; error: string | null; cause: string | null }
  /** RedriveExecution: the threads given are the execution's redrive snapshot (`redriveThreads`). */
  | { type: 'RedriveExecution' }
  | {
      type: 'MapRunEnded';
      mapRunArn: string;
      /** Children's outputs in item order; a failed child's slot holds its error output. */
      outputs?: Json[];
      error?: string | null;
      cause?: string | null;
      status: 'SUCCEEDED' | 'FAILED';
    }
  /** The integration call went through and the task now waits (TaskStarted, TaskSubmitted). */
  | { type: 'IntegrationSubmitted'; token: string; output: Json; childExecutionArn?: string }
  /** The call answered (request-response, or a mocked response): TaskSucceeded. */
  | { type: 'IntegrationSucceeded'; token: string; output: Json }
  /**
   * The call failed (TaskFailed), or could not be made at all (`notStarted`: TaskStartFailed).
   */
  | {
      type: 'IntegrationFailed';
      token: string;
      error: string | null;
      cause: string | null;
      notStarted?: boolean;
    }
  /** The nested execution a `.sync` task waits for has ended. */
  | { type: 'ChildExecutionEnded'; token: string; child: ChildExecutionSummary };

/** What the runtime must do after committing a transition. */
export type Effect =
  | { kind: 'putActivityTask'; task: ActivityTaskRecord }
  | { kind: 'deleteActivityTask'; token: string }
  | { kind: 'putTimer'; timer: TimerRecord }
  | { kind: 'deleteTimer'; timerId: string }
  | { kind: 'startMapRun'; mapRun: MapRunStart }
  | { kind: 'abortMapRun'; mapRunArn: string }
  | { kind: 'runIntegration'; call: IntegrationCall }
  /** A `.sync` task ended other than by its job's end: stop the nested execution. */
  | { kind: 'stopChildExecution'; executionArn: string };

/** Why an event was refused without changing anything; the API maps these to its errors. */
export type Rejection = 'TaskTimedOut' | 'ExecutionNotRunning' | 'ExecutionNotRedrivable';

export type TransitionResult =
  | {
      ok: true;
      execution: ExecutionPatch;
      threadsPut: ThreadRecord[];
      threadsDeleted: string[];
      events: HistoryEvent[];
      effects: Effect[];
      /**
       * The execution's redrive snapshot, replacing the one kept (empty: none). Present when the
       * transition closed a STANDARD execution unsuccessfully — the threads a redrive resumes:
       * where each unfinished thread was, and the branches and iterations that succeeded — or
       * when a redrive took the snapshot up. Absent: unchanged.
       */
      redriveThreads?: ThreadRecord[];
    }
  | { ok: false; rejection: Rejection };

/** Lookups the engine may make; the runtime answers them from data it already holds. */
export interface EngineEnvironment {
  /** Epoch ms of this transition. */
  now: number;
  /** ≥128 random bits as hex, fresh for each transition (tokens, timer ids, jitter). */
  nonce: string;
  activityExists(activityArn: string): boolean;
}
