/**
 * The store contract. Every backend (memory, SQLite, PostgreSQL) implements it with the
 * same behaviour; the store test suite runs against each. Methods are asynchronous so that a
 * networked database fits behind the same interface.
 *
 * Consistency rule: an execution changes only through `commitTransition`, which applies one
 * engine transition atomically and only if the execution's `version` is still the one the
 * transition was computed from (optimistic concurrency; a `false` answer means "reload and
 * recompute").
 */
import type {
  ActivityTaskRecord,
  ExecutionPatch,
  ExecutionStatus,
  HistoryEvent,
  ThreadRecord,
  TimerRecord,
} from '@stepwise/core';

export interface ActivityRecord {
  activityArn: string;
  name: string;
  /** epoch ms */
  creationDate: number;
}

export type StateMachineType = 'STANDARD' | 'EXPRESS';

/** A definition together with the settings an execution runs with. Immutable once written. */
export interface StateMachineRevision {
  stateMachineArn: string;
  /** Internal key; `revisionId` (the API's) is only shown after an update. */
  revisionKey: string;
  definition: string;
  roleArn: string;
  loggingConfiguration: string;
  tracingConfiguration: string;
  /** epoch ms */
  createdAt: number;
}

export interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  type: StateMachineType;
  status: 'ACTIVE' | 'DELETING';
  /** epoch ms */
  creationDate: number;
  /** epoch ms of the last UpdateStateMachine, if any. */
  updateDate?: number;
  /** The API's revisionId: present only after an update. */
  revisionId?: string;
  current: StateMachineRevision;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  /** JSON text */
  input: string;
  output?: string;
  error?: string | null;
  cause?: string | null;
  /** epoch ms */
  startDate: number;
  stopDate?: number;
  traceHeader?: string;
  revisionKey: string;
  nextEventId: number;
  version: number;
  redriveCount: number;
  /** epoch ms of the last RedriveExecution. */
  redriveDate?: number;
  /**
   * The store keeps the threads a redrive resumes (`loadRedriveThreads`): the execution ended
   * unsuccessfully, as a STANDARD one, and not by running out of history.
   */
  redrivable?: true;
  /** The client tokens of the latest redrives, newest first (RedriveExecution's idempotency). */
  redriveTokens?: RedriveToken[];
  /** Child executions of a Distributed Map: the Map Run they belong to and their item's index. */
  mapRunArn?: string;
  mapRunIndex?: number;
}

/** A RedriveExecution's client token and the redrive it started. */
export interface RedriveToken {
  token: string;
  /** epoch ms: the redrive's redriveDate, also when the token was first used. */
  redriveDate: number;
}

export type MapRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

/**
 * A Distributed Map's run: its items run as child executions, started as MaxConcurrency
 * allows. Counters are updated as children close; `version` guards those updates.
 */
export interface MapRunRecord {
  mapRunArn: string;
  /** The parent execution and the thread waiting in the Map state. */
  executionArn: string;
  threadId: string;
  /** The child state machine: `<parent state machine ARN>/<label>` and its revision. */
  stateMachineArn: string;
  revisionKey: string;
  executionType: 'STANDARD' | 'EXPRESS';
  status: MapRunStatus;
  /** epoch ms */
  startDate: number;
  stopDate?: number;
  /** 0: no limit of its own (the server's cap applies). */
  maxConcurrency: number;
  toleratedFailureCount: number;
  toleratedFailurePercentage: number;
  /** Item count, children started, and children closed by outcome. */
  total: number;
  launched: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  error?: string | null;
  cause?: string | null;
  /** Redrives of the run (its parent's redrives that found it unsuccessful). */
  redriveCount: number;
  /** epoch ms of the last redrive. */
  redriveDate?: number;
  /** Unsuccessful children waiting to be redriven (status PENDING_REDRIVE). */
  pendingRedrive: number;
  version: number;
}

/** Keyset cursor: the sort key of the last item of the previous page. */
export interface PageRequest<C> {
  limit: number;
  after?: C;
}

export interface Page<T, C> {
  items: T[];
  /** Present when more items may follow. */
  next?: C;
}

export interface NameCursor {
  creationDate: number;
  arn: string;
}

export interface ExecutionCursor {
  startDate: number;
  arn: string;
}

/** Executions of a state machine, or the child executions of a Map Run (exactly one is set). */
export interface ExecutionFilter {
  stateMachineArn?: string;
  mapRunArn?: string;
  status?: ExecutionStatus;
  /** ListExecutions' redriveFilter: true, redriven at least once (REDRIVEN); false, never. */
  redriven?: boolean;
}

/** The console's execution search (a Stepwise extension): every filter is optional. */
export interface ExecutionSearch {
  stateMachineArn?: string;
  status?: ExecutionStatus;
  namePrefix?: string;
  /** epoch ms, inclusive */
  startedAfter?: number;
  /** epoch ms, exclusive */
  startedBefore?: number;
}

export interface ActivityTaskCounts {
  queued: number;
  started: number;
}

export interface HistoryQuery {
  executionArn: string;
  reverse: boolean;
  /** Exclusive bound: events after (or, reversed, before) this id. */
  afterId?: number;
  limit: number;
}

/** One engine transition, applied atomically. */
export interface TransitionCommit {
  executionArn: string;
  /** The version the transition was computed from; the row moves to expectedVersion + 1. */
  expectedVersion: number;
  execution: ExecutionPatch;
  events: HistoryEvent[];
  threadsPut: ThreadRecord[];
  threadsDeleted: string[];
  tasksPut: ActivityTaskRecord[];
  tasksDeleted: string[];
  timersPut: TimerRecord[];
  timersDeleted: string[];
  /**
   * Replaces the execution's redrive snapshot (empty: there is none); absent: unchanged. The
   * execution's `redrivable` follows: set with a snapshot, cleared without.
   */
  redriveThreads?: ThreadRecord[];
  /** With a redrive (`execution.redriven`): the execution's client tokens from now on. */
  redriveTokens?: RedriveToken[];
  /**
   * The caller hands the history events over: it will not read or change them afterwards. A
   * store that keeps objects in memory may keep these instead of copies (the runtime sets
   * it; copying them was ≈ 5% of the engine benchmark). Stores that serialise ignore it.
   */
  eventsHandedOver?: boolean;
}

export type CreateExecutionResult = { created: true } | { created: false; existing: ExecutionRecord };

export interface Store {
  readonly kind: 'memory' | 'sqlite' | 'postgres';

  /** Inserts, or answers the existing activity of that name (CreateActivity is idempotent by name). */
  createActivity(activity: ActivityRecord): Promise<ActivityRecord>;
  getActivity(activityArn: string): Promise<ActivityRecord | undefined>;
  listActivities(page: PageRequest<NameCursor>): Promise<Page<ActivityRecord, NameCursor>>;
  /** Idempotent: deleting a missing activity is not an error. */
  deleteActivity(activityArn: string): Promise<void>;

  /** Inserts; answers the existing record when one has that ARN (the caller decides idempotency). */
  createStateMachine(
    stateMachine: StateMachineRecord,
  ): Promise<{ created: true } | { created: false; existing: StateMachineRecord }>;
  getStateMachine(stateMachineArn: string): Promise<StateMachineRecord | undefined>;
  listStateMachines(page: PageRequest<NameCursor>): Promise<Page<StateMachineRecord, NameCursor>>;
  /** Stores `revision` as the current one and sets updateDate/revisionId. */
  updateStateMachine(
    stateMachineArn: string,
    revision: StateMachineRevision,
    update: { updateDate: number; revisionId: string },
  ): Promise<boolean>;
  /** Removes the state machine; its revisions stay as long as executions refer to them. */
  deleteStateMachine(stateMachineArn: string): Promise<void>;
  getRevision(stateMachineArn: string, revisionKey: string): Promise<StateMachineRevision | undefined>;

  /**
   * Inserts the execution row and its first transition atomically. When an execution with that
   * ARN exists, nothing is written and it is answered instead.
   */
  createExecution(execution: ExecutionRecord, first: TransitionCommit): Promise<CreateExecutionResult>;
  getExecution(executionArn: string): Promise<ExecutionRecord | undefined>;
  /** Newest first (startDate descending, then ARN). */
  listExecutions(
    filter: ExecutionFilter,
    page: PageRequest<ExecutionCursor>,
  ): Promise<Page<ExecutionRecord, ExecutionCursor>>;
  loadThreads(executionArn: string): Promise<ThreadRecord[]>;
  /** The redrive snapshot of a closed execution (see `TransitionCommit.redriveThreads`), by id. */
  loadRedriveThreads(executionArn: string): Promise<ThreadRecord[]>;
  /** Applies the transition if the version still matches; `false` (and no change) otherwise. */
  commitTransition(commit: TransitionCommit): Promise<boolean>;
  getHistory(query: HistoryQuery): Promise<HistoryEvent[]>;

  /** Stores a revision that no state machine record owns (a Distributed Map's child machine). */
  putRevision(revision: StateMachineRevision): Promise<void>;

  /** Inserts a Map Run with its items (JSON text per child input, by index). */
  createMapRun(mapRun: MapRunRecord, items: string[]): Promise<void>;
  getMapRun(mapRunArn: string): Promise<MapRunRecord | undefined>;
  /** The Map Runs of an execution, oldest first. */
  listMapRuns(executionArn: string): Promise<MapRunRecord[]>;
  /** Replaces the record if its version is still `expectedVersion` (it moves to +1). */
  updateMapRun(mapRun: MapRunRecord, expectedVersion: number): Promise<boolean>;
  /** The JSON text of one item's child input. */
  getMapRunItem(mapRunArn: string, index: number): Promise<string | undefined>;
  /** Map Runs still RUNNING (to resume them after a restart). */
  runningMapRuns(): Promise<MapRunRecord[]>;
  /**
   * Present on stores several nodes share: makes `owner` the one node driving a RUNNING Map Run
   * (launching its children, ending it) until `now + leaseMs`, unless another owner's lease is
   * still running. Answers the run as it stands once claimed, or undefined when another node
   * owns it (or it is not RUNNING). Without it the single process owns every run.
   */
  claimMapRun?(
    mapRunArn: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<MapRunRecord | undefined>;
  /**
   * Ends `owner`'s lease on a Map Run; answers the run's version as it stands (undefined when the
   * run is gone or `owner` did not hold it), so the owner can tell whether other nodes changed
   * it (counted a closed child) while it drove the run.
   */
  releaseMapRun?(mapRunArn: string, owner: string): Promise<number | undefined>;
  /** RUNNING Map Runs whose owner's lease passed without a release (their node died driving them). */
  orphanedMapRuns?(now: number): Promise<string[]>;
  /**
   * The child executions of a Map Run in item order (one per launched index), with what a
   * result needs: status, output, error and cause.
   */
  mapRunChildren(mapRunArn: string): Promise<ExecutionRecord[]>;

  /** The oldest queued task of an activity. */
  nextQueuedTask(activityArn: string): Promise<ActivityTaskRecord | undefined>;
  /**
   * Claims the oldest queued task of an activity that no live claim holds, for `leaseMs` from
   * `now`: until then no other claim answers it (on a store several nodes share, no other node's
   * either), so pollers on several nodes each get a different task instead of racing for one.
   * A claim ends when the task is put again or deleted (its ActivityStarted does that), when it
   * is released, or when its lease has passed (its claimant died). `nextQueuedTask` ignores
   * claims. Optional: a dispatcher without it reads `nextQueuedTask` and lets the ActivityStarted
   * transition's version check settle races.
   */
  claimQueuedTask?(
    activityArn: string,
    now: number,
    leaseMs: number,
  ): Promise<ActivityTaskRecord | undefined>;
  /** Ends a claim at once (its hand-over failed): the task is claimable again. */
  releaseTaskClaim?(token: string): Promise<void>;
  /** Activity ARNs that have at least one queued task (used to hand out work after a restart). */
  activitiesWithQueuedTasks(): Promise<string[]>;
  getActivityTask(token: string): Promise<ActivityTaskRecord | undefined>;

  /**
   * The console's read-only views (Stepwise extensions, not in the AWS API). Tasks of an
   * activity, queued and started, oldest first: nothing is claimed by listing them.
   */
  listActivityTasks(activityArn: string, limit: number): Promise<ActivityTaskRecord[]>;
  countActivityTasks(activityArn: string): Promise<ActivityTaskCounts>;
  /** Marks an activity as answered by people (the console's human task inbox). */
  setActivityHuman(activityArn: string, human: boolean): Promise<void>;
  /** The activities marked as answered by people, by ARN. */
  humanActivities(): Promise<string[]>;
  /**
   * Executions newest first across state machines (Map Run children excluded unless their
   * machine is named), by status, name prefix and start-time range.
   */
  searchExecutions(
    filter: ExecutionSearch,
    page: PageRequest<ExecutionCursor>,
  ): Promise<Page<ExecutionRecord, ExecutionCursor>>;
  /** How many executions of a state machine are in each status. */
  countExecutions(stateMachineArn: string): Promise<Partial<Record<ExecutionStatus, number>>>;

  /** Timers due at or before `now`, earliest first. */
  dueTimers(now: number, limit: number): Promise<TimerRecord[]>;
  /**
   * Claims up to `limit` timers due at or before `now`, earliest first, for `leaseMs`: until
   * `now + leaseMs` no other claim answers them (on a store shared by several nodes, no other
   * node's either). A claim ends when the timer is deleted (its TimerFired transition does that)
   * or put again; a timer whose claimant died is answered again once the lease has passed.
   */
  claimDueTimers(now: number, limit: number, leaseMs: number): Promise<TimerRecord[]>;
  /**
   * The earliest time a claim could answer a timer: its due time, or the end of its lease while
   * it is claimed.
   */
  nextTimerDue(): Promise<number | undefined>;
  /**
   * Ends a claim this node holds on a timer early, at `claimableAt` instead of the lease's end:
   * its firing failed, and it should be tried again soon (by any node), not a whole lease later.
   * Does nothing when the timer is gone or no longer claimed.
   */
  releaseTimerClaim?(id: string, claimableAt: number): Promise<void>;

  /**
   * Present on stores that several nodes share: calls `listener` when another node committed a
   * transition that queued a task for `activityArn`. A hint only (a notification may be lost
   * while the connection is down); the runtime also re-checks waiting polls periodically.
   */
  onTaskQueued?(listener: (activityArn: string) => void): void;

  close(): Promise<void>;
}
