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

/** A tag of a state machine or activity (the API's `Tag`; a missing value is stored as ''). */
export interface Tag {
  key: string;
  value: string;
}

/** What `tagResource` did: nothing changes unless it answers 'tagged'. */
export type TagOutcome = 'tagged' | 'notFound' | 'tooManyTags';

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
  /** Started through a version ARN, or through an alias: the version it runs. */
  stateMachineVersionArn?: string;
  /** Started through an alias ARN. */
  stateMachineAliasArn?: string;
  /** The mock test case it runs with (started on `<state machine ARN>#<test case>`). */
  testCase?: string;
  /**
   * A nested execution started by a Task (`states:startExecution…`): that task's token, which
   * names the parent execution and the task waiting for this one's end.
   */
  parentTaskToken?: string;
}

/** A RedriveExecution's client token and the redrive it started. */
export interface RedriveToken {
  token: string;
  /** epoch ms: the redrive's redriveDate, also when the token was first used. */
  redriveDate: number;
}

/**
 * A published version: a numbered, immutable pointer to one revision of a state machine. Numbers
 * start at 1 per machine and are never reused, even after a delete. Its ARN is the machine's ARN
 * and `:<version>`.
 */
export interface StateMachineVersionRecord {
  stateMachineArn: string;
  version: number;
  revisionKey: string;
  /** The machine's revisionId when the version was published (absent before any update). */
  revisionId?: string;
  description?: string;
  /** epoch ms */
  creationDate: number;
}

/** One or two versions of the alias's machine with weights (percent) that sum to 100. */
export interface AliasRoute {
  version: number;
  weight: number;
}

/** An alias: a named pointer to one or two versions. Its ARN is the machine's ARN and `:<name>`. */
export interface StateMachineAliasRecord {
  stateMachineArn: string;
  name: string;
  description?: string;
  routing: AliasRoute[];
  /** epoch ms */
  creationDate: number;
  /** epoch ms; the creation date until the first update. */
  updateDate: number;
}

/**
 * Publishing a version: of the machine's current revision `revisionKey`, or (with `update`) of
 * a new revision that becomes current in the same write (UpdateStateMachine with `publish`), so
 * that a refused publish leaves the machine as it was.
 */
export interface PublishRequest {
  revisionKey: string;
  update?: { revision: StateMachineRevision; updateDate: number; revisionId: string };
  /** Recorded on the version as the revisionId it was published from. */
  revisionId?: string;
  description?: string;
  /** epoch ms */
  creationDate: number;
  /** The most versions a machine may have (AWS: 1000); deleted ones do not count. */
  maxVersions: number;
}

/**
 * `existing`: the revision already has a version (publishing is idempotent per revision);
 * `revisionChanged`: without `update`, `revisionKey` is no longer the current revision.
 */
export type PublishOutcome =
  | { kind: 'published' | 'existing'; version: StateMachineVersionRecord }
  | { kind: 'noStateMachine' | 'revisionChanged' | 'quotaExceeded' };

/** `missingVersion`: a routed version does not exist (any more). */
export type AliasCreateOutcome =
  | { kind: 'created' }
  | { kind: 'exists'; existing: StateMachineAliasRecord }
  | { kind: 'noStateMachine' | 'quotaExceeded' }
  | { kind: 'missingVersion'; version: number };

export type AliasUpdateOutcome =
  | { kind: 'updated'; alias: StateMachineAliasRecord }
  | { kind: 'missing' }
  | { kind: 'missingVersion'; version: number };

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

/**
 * Executions of a state machine, those started through one of its versions (alias starts
 * included) or aliases, or the child executions of a Map Run: exactly one of the four is set.
 */
export interface ExecutionFilter {
  stateMachineArn?: string;
  stateMachineVersionArn?: string;
  stateMachineAliasArn?: string;
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

  /**
   * Inserts, or answers the existing activity of that name (CreateActivity is idempotent by
   * name). `tags` are stored with the activity only when this call creates it.
   */
  createActivity(activity: ActivityRecord, tags?: Tag[]): Promise<ActivityRecord>;
  getActivity(activityArn: string): Promise<ActivityRecord | undefined>;
  listActivities(page: PageRequest<NameCursor>): Promise<Page<ActivityRecord, NameCursor>>;
  /** Idempotent: deleting a missing activity is not an error. Its tags go with it. */
  deleteActivity(activityArn: string): Promise<void>;

  /**
   * Inserts; answers the existing record when one has that ARN (the caller decides idempotency).
   * `tags` are stored with the machine only when this call creates it. With `publish`, a new
   * machine gets version 1 of its first revision in the same write, dated with the machine's
   * creation date.
   */
  createStateMachine(
    stateMachine: StateMachineRecord,
    tags?: Tag[],
    publish?: { description?: string },
  ): Promise<{ created: true } | { created: false; existing: StateMachineRecord }>;
  getStateMachine(stateMachineArn: string): Promise<StateMachineRecord | undefined>;
  listStateMachines(page: PageRequest<NameCursor>): Promise<Page<StateMachineRecord, NameCursor>>;
  /** Stores `revision` as the current one and sets updateDate/revisionId. */
  updateStateMachine(
    stateMachineArn: string,
    revision: StateMachineRevision,
    update: { updateDate: number; revisionId: string },
  ): Promise<boolean>;
  /**
   * Removes the state machine with its tags, versions and aliases; its revisions stay as long as
   * executions refer to them.
   */
  deleteStateMachine(stateMachineArn: string): Promise<void>;
  getRevision(stateMachineArn: string, revisionKey: string): Promise<StateMachineRevision | undefined>;

  /** Publishes a version atomically: idempotent per revision, numbered after every earlier one. */
  publishStateMachineVersion(stateMachineArn: string, request: PublishRequest): Promise<PublishOutcome>;
  getStateMachineVersion(
    stateMachineArn: string,
    version: number,
  ): Promise<StateMachineVersionRecord | undefined>;
  /** Newest (highest number) first; the cursor is the last version number served. */
  listStateMachineVersions(
    stateMachineArn: string,
    page: PageRequest<number>,
  ): Promise<Page<StateMachineVersionRecord, number>>;
  /**
   * Deletes a version (a missing one is not an error), unless aliases route to it: then nothing
   * changes and their names are answered, in name order.
   */
  deleteStateMachineVersion(
    stateMachineArn: string,
    version: number,
  ): Promise<{ deleted: true } | { deleted: false; aliases: string[] }>;

  /** Inserts an alias if its machine and routed versions exist and the machine has room for it. */
  createStateMachineAlias(alias: StateMachineAliasRecord, maxAliases: number): Promise<AliasCreateOutcome>;
  getStateMachineAlias(stateMachineArn: string, name: string): Promise<StateMachineAliasRecord | undefined>;
  /** All aliases of a machine (at most its quota), oldest first, then by name. */
  listStateMachineAliases(stateMachineArn: string): Promise<StateMachineAliasRecord[]>;
  /** Changes what is given; routed versions must exist. */
  updateStateMachineAlias(
    stateMachineArn: string,
    name: string,
    change: { description?: string; routing?: AliasRoute[]; updateDate: number },
  ): Promise<AliasUpdateOutcome>;
  /** Idempotent: deleting a missing alias is not an error. */
  deleteStateMachineAlias(stateMachineArn: string, name: string): Promise<void>;

  /**
   * Tags belong to a state machine or an activity, named by its ARN exactly as stored (a version,
   * alias or label ARN names no stored resource). The tags of one, in the order their keys were
   * first set; undefined when no state machine or activity has that ARN.
   */
  listTags(resourceArn: string): Promise<Tag[] | undefined>;
  /**
   * Sets tags: a key the resource has takes the new value and keeps its place; a key given twice
   * takes its last value. Atomic against other tag writes and the resource's deletion: nothing is
   * written when the resource does not exist ('notFound') or would end with more than `maxTags`
   * keys ('tooManyTags').
   */
  tagResource(resourceArn: string, tags: Tag[], maxTags: number): Promise<TagOutcome>;
  /** Removes the keys the resource has (others are no error); false when the resource does not exist. */
  untagResource(resourceArn: string, keys: string[]): Promise<boolean>;

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
