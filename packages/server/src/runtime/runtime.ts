/**
 * The runtime drives executions: it loads an execution, asks the engine for the transition an
 * event causes, commits the answer in one store transaction, and then carries out the
 * effects that need this process (waking long polls, arming the timer). It is the only layer
 * that knows about clocks, randomness and concurrency.
 */
import { randomBytes } from 'node:crypto';
import type {
  ActivityTaskRecord,
  Effect,
  EngineEvent,
  EngineLimits,
  ExecutionSnapshot,
  Json,
  Rejection,
  ThreadRecord,
  TimerRecord,
  TransitionResult,
} from '@stepwise/core';
import { DEFAULT_LIMITS, transition } from '@stepwise/core';
import type {
  ExecutionRecord,
  StateMachineRecord,
  StateMachineRevision,
  Store,
  TransitionCommit,
} from '../store/types.js';
import { ActivityDispatcher } from './activity-dispatcher.js';
import type { HandedTask, PollRequest, Reservation, WaitingPoller } from './activity-dispatcher.js';
import { DefinitionCache } from './definitions.js';
import type { LoadedDefinition } from './definitions.js';
import { KeyedMutex } from './keyed-mutex.js';
import { TimerService } from './timer-service.js';
import { MapRunManager } from './map-runs.js';
import { IntegrationRunner } from './integrations.js';
import type { MockSource } from './mocks.js';

export interface RuntimeOptions {
  store: Store;
  /** How long GetActivityTask holds a poll open (AWS: up to 60 s; boto3 gives up at 60 s). */
  pollHoldMs?: number;
  limits?: EngineLimits;
  now?: () => number;
  /** Mocked service integrations (executions started on `<state machine ARN>#<test case>`). */
  mocks?: MockSource;
}

/** What StartExecution knows besides the machine and the input. */
export interface StartOptions {
  traceHeader?: string | undefined;
  /** A Distributed Map's child: its Map Run and item index. */
  link?: { mapRunArn: string; mapRunIndex: number } | undefined;
  /** Started through a version ARN, or through an alias that picked this version. */
  stateMachineVersionArn?: string | undefined;
  /** Started through an alias ARN. */
  stateMachineAliasArn?: string | undefined;
  /** The mock test case it runs with. */
  testCase?: string | undefined;
  /** A nested execution: the token of the Task that started it. */
  parentTaskToken?: string | undefined;
}

export type DeliverOutcome =
  | { kind: 'applied'; execution: ExecutionRecord }
  | { kind: 'rejected'; rejection: Rejection; execution: ExecutionRecord }
  | { kind: 'missing' };

export type RedriveOutcome =
  | { kind: 'redriven'; execution: ExecutionRecord; redriveDate: number }
  /** The client token of a redrive in the last 15 minutes: that redrive's date, nothing redone. */
  | { kind: 'repeated'; execution: ExecutionRecord; redriveDate: number }
  | { kind: 'notRedrivable'; execution: ExecutionRecord }
  | { kind: 'missing' };

/** RedriveExecution answers again for the last tokens (AWS: 10), each for 15 minutes. */
export const REDRIVE_TOKENS_KEPT = 10;
export const REDRIVE_TOKEN_TTL_MS = 15 * 60 * 1000;

/**
 * On a store several nodes share: how often waiting polls re-check the queue in case a task
 * notification from another node was lost, and how often timers are re-checked (another node's
 * timers are only this node's business once that node has died and their lease has passed).
 */
const SHARED_POLL_RECHECK_MS = 2000;
const SHARED_TIMER_RECHECK_MS = 1000;
/**
 * On a shared store, how long this node trusts that an activity it saw exists: another node may
 * delete it, and this node is not told. A Task state entered later than this after the delete
 * fails with "The activity … does not exist." on every node. (One store read per activity of a
 * definition per this period, instead of one per transition.)
 */
const SHARED_ACTIVITY_TTL_MS = 2000;
/** How often a node looks for Map Runs whose owner died while driving them (shared stores). */
const SHARED_MAP_RUN_RECHECK_MS = 5000;

/** Executions whose latest committed state this node keeps in memory (least recently written go first). */
const HOT_EXECUTIONS = 10_000;

interface HotExecution {
  record: ExecutionRecord;
  threads: ThreadRecord[];
  /** The execution input, parsed once. */
  input: Json;
}

/** Commits that lose a version race are recomputed; more than this means something is wrong. */
const MAX_ATTEMPTS = 8;

/** 128 random bits as hex per transition, cut from a pool: one randomBytes call per 256 nonces. */
const NONCE_BYTES = 16;
const NONCE_POOL_BYTES = NONCE_BYTES * 256;
let noncePool = Buffer.alloc(0);
let nonceOffset = 0;

function freshNonce(): string {
  if (nonceOffset + NONCE_BYTES > noncePool.length) {
    noncePool = randomBytes(NONCE_POOL_BYTES);
    nonceOffset = 0;
  }
  const nonce = noncePool.toString('hex', nonceOffset, nonceOffset + NONCE_BYTES);
  nonceOffset += NONCE_BYTES;
  return nonce;
}

export class Runtime {
  readonly store: Store;
  private readonly dispatcher: ActivityDispatcher;
  private readonly timers: TimerService;
  readonly mapRuns: MapRunManager;
  readonly integrations: IntegrationRunner;
  private readonly definitions = new DefinitionCache();
  private readonly revisions = new Map<string, StateMachineRevision>();
  /** Activities known to exist → until when (epoch ms; Infinity on a store no other node writes). */
  private readonly knownActivities = new Map<string, number>();
  /** State machines as StartExecution reads them, with when each entry stops being trusted. */
  private readonly stateMachines = new Map<string, { record: StateMachineRecord; until: number }>();
  private readonly activityTtlMs: number;
  private readonly locks = new KeyedMutex();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly hot = new Map<string, HotExecution>();
  private readonly closeWaiters = new Map<string, ((execution: ExecutionRecord) => void)[]>();
  private readonly limits: EngineLimits;
  private readonly now: () => number;
  private pollRecheck: NodeJS.Timeout | undefined;
  private mapRunRecheck: NodeJS.Timeout | undefined;

  constructor(options: RuntimeOptions) {
    this.store = options.store;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.now = options.now ?? Date.now;
    this.dispatcher = new ActivityDispatcher(
      this.store,
      async (task, workerName) => this.startActivityTask(task, workerName),
      options.pollHoldMs ?? 55_000,
    );
    this.mapRuns = new MapRunManager(this.store, {
      startChild: async (stateMachine, executionArn, name, input, link) =>
        (await this.startExecution(stateMachine, executionArn, name, input, { link })).execution,
      redriveChild: async (executionArn) => (await this.redriveExecution(executionArn)).kind === 'redriven',
      markPendingRedrive: (executionArn) => this.markPendingRedrive(executionArn),
      deliver: (executionArn, event) => this.deliver(executionArn, event),
      now: () => this.now(),
    });
    this.integrations = new IntegrationRunner(
      {
        deliver: async (executionArn, event) => ({ kind: (await this.deliver(executionArn, event)).kind }),
        execution: (executionArn) => this.store.getExecution(executionArn),
      },
      options.mocks,
    );
    // A store that reports other nodes' queued tasks is shared: listen, and re-check slowly.
    const shared = this.store.onTaskQueued !== undefined;
    this.activityTtlMs = shared ? SHARED_ACTIVITY_TTL_MS : Number.POSITIVE_INFINITY;
    this.timers = new TimerService(
      this.store,
      async (timer) => this.fireTimer(timer),
      this.now,
      shared ? SHARED_TIMER_RECHECK_MS : undefined,
    );
    if (shared) {
      this.store.onTaskQueued?.((activityArn) => this.dispatcher.notify(activityArn));
      this.pollRecheck = setInterval(() => {
        for (const activityArn of this.dispatcher.waitingActivities()) this.dispatcher.notify(activityArn);
      }, SHARED_POLL_RECHECK_MS);
      this.pollRecheck.unref();
      this.mapRunRecheck = setInterval(() => {
        this.mapRuns
          .takeOverOrphans()
          .catch((error: unknown) => console.error('stepwise: taking over map runs failed:', error));
      }, SHARED_MAP_RUN_RECHECK_MS);
      this.mapRunRecheck.unref();
    }
  }

  /** Re-arms timers, hands out tasks queued before a restart, resumes Map Runs. */
  async start(): Promise<void> {
    await this.timers.start();
    await this.mapRuns.resume();
    for (const activityArn of await this.store.activitiesWithQueuedTasks())
      this.dispatcher.notify(activityArn);
  }

  /** Open polls are answered empty, transitions in flight finish; the caller closes the store. */
  async close(): Promise<void> {
    if (this.pollRecheck !== undefined) clearInterval(this.pollRecheck);
    if (this.mapRunRecheck !== undefined) clearInterval(this.mapRunRecheck);
    this.timers.close();
    await this.dispatcher.close();
    await Promise.allSettled([...this.inflight]);
  }

  /** The most history events an execution may have (AWS: 25,000). */
  get maxHistoryEvents(): number {
    return this.limits.maxHistoryEvents;
  }

  activityCreated(activityArn: string): void {
    this.knownActivities.set(activityArn, Date.now() + this.activityTtlMs);
  }

  activityDeleted(activityArn: string): void {
    this.knownActivities.delete(activityArn);
  }

  pollActivityTask(request: PollRequest): Promise<HandedTask | undefined> {
    return this.dispatcher.poll(request);
  }

  waitingPollers(activityArn: string): number {
    return this.dispatcher.waitingCount(activityArn);
  }

  /** The polls waiting now for an activity, with their worker names (the console). */
  waitingPollerList(activityArn: string): WaitingPoller[] {
    return this.dispatcher.waitingPollers(activityArn);
  }

  /** Definition checks at create/update time share the engine's parser through this cache. */
  loadRevision(revision: StateMachineRevision): LoadedDefinition {
    this.revisions.set(revision.revisionKey, revision);
    return this.definitions.load(revision.revisionKey, revision.definition);
  }

  /**
   * Creates the execution and runs it until it first blocks, all in one commit. When an
   * execution with that ARN exists, nothing is written and it is answered instead. The
   * execution runs `stateMachine.current`: a version's revision when started through one.
   */
  async startExecution(
    stateMachine: StateMachineRecord,
    executionArn: string,
    name: string,
    input: { text: string; value: Json },
    options: StartOptions = {},
  ): Promise<{ created: boolean; execution: ExecutionRecord }> {
    const { traceHeader, link } = options;
    return this.track(
      this.locks.run(executionArn, async () => {
        const revision = stateMachine.current;
        const loaded = this.loadRevision(revision);
        const record: ExecutionRecord = {
          executionArn,
          stateMachineArn: stateMachine.stateMachineArn,
          name,
          status: 'RUNNING',
          input: input.text,
          startDate: this.now(),
          revisionKey: revision.revisionKey,
          nextEventId: 1,
          version: 0,
          redriveCount: 0,
        };
        // Stores, not spreads in the literal: those cost a runtime call each on every start.
        if (traceHeader !== undefined) record.traceHeader = traceHeader;
        if (link !== undefined) {
          record.mapRunArn = link.mapRunArn;
          record.mapRunIndex = link.mapRunIndex;
        }
        if (options.stateMachineVersionArn !== undefined) {
          record.stateMachineVersionArn = options.stateMachineVersionArn;
        }
        if (options.stateMachineAliasArn !== undefined)
          record.stateMachineAliasArn = options.stateMachineAliasArn;
        if (options.testCase !== undefined) record.testCase = options.testCase;
        if (options.parentTaskToken !== undefined) record.parentTaskToken = options.parentTaskToken;
        const snapshot = this.snapshot(record, revision, input.value);
        const first = await this.compute(loaded, snapshot, [], { type: 'StartExecution' }, record.startDate);
        if (!first.ok) throw new Error(`StartExecution was rejected: ${first.rejection}`);
        let existing: ExecutionRecord | undefined;
        const execution = await this.commitResult(
          { loaded, revision, record, input: input.value, threads: [] },
          first,
          async (commit) => {
            const outcome = await this.store.createExecution(record, commit);
            if (!outcome.created) existing = outcome.existing;
            return outcome.created;
          },
        );
        if (execution !== undefined) return { created: true, execution };
        if (existing === undefined)
          throw new Error(`execution ${executionArn} was neither created nor found`);
        return { created: false, execution: existing };
      }),
    );
  }

  /** Applies one event to an execution: load, compute, commit (recomputing on a version race). */
  deliver(executionArn: string, event: EngineEvent): Promise<DeliverOutcome> {
    return this.track(this.locks.run(executionArn, async () => this.deliverLocked(executionArn, event)));
  }

  private async deliverLocked(executionArn: string, event: EngineEvent): Promise<DeliverOutcome> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const cached = attempt === 0 ? this.hot.get(executionArn) : undefined;
      const state = cached ?? (await this.loadExecution(executionArn));
      if (state === undefined) return { kind: 'missing' };
      const { record, threads, input } = state;
      const revision = await this.revision(record);
      const loaded = this.definitions.load(revision.revisionKey, revision.definition);
      const snapshot = this.snapshot(record, revision, input);
      const first = await this.compute(loaded, snapshot, threads, event, this.now());
      if (!first.ok) {
        // Another node may have moved the execution on: a refusal is only final on fresh state.
        if (cached !== undefined) {
          this.hot.delete(executionArn);
          continue;
        }
        return { kind: 'rejected', rejection: first.rejection, execution: record };
      }
      let unchanged = false;
      const execution = await this.commitResult(
        { loaded, revision, record, input, threads },
        first,
        async (commit, actions) => {
          unchanged = isEmpty(commit, record) && actions.length === 0;
          return !unchanged && this.store.commitTransition(commit);
        },
      );
      if (unchanged) return { kind: 'applied', execution: record };
      if (execution !== undefined) return { kind: 'applied', execution };
      this.hot.delete(executionArn);
    }
    throw new Error(`execution ${executionArn}: too many concurrent transitions`);
  }

  /**
   * RedriveExecution: loads the execution's redrive snapshot, lets the engine resume it, and
   * commits that as any transition (with the client token remembered). The API checks AWS's
   * conditions (age, history size, the state machine) first; the engine refuses an execution
   * that is not closed unsuccessfully or has no snapshot.
   */
  redriveExecution(executionArn: string, clientToken?: string): Promise<RedriveOutcome> {
    return this.track(
      this.locks.run(executionArn, async (): Promise<RedriveOutcome> => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const record = await this.store.getExecution(executionArn);
          if (record === undefined) return { kind: 'missing' };
          const now = this.now();
          const tokens = (record.redriveTokens ?? []).filter(
            (t) => now - t.redriveDate < REDRIVE_TOKEN_TTL_MS,
          );
          const seen = clientToken === undefined ? undefined : tokens.find((t) => t.token === clientToken);
          if (seen !== undefined)
            return { kind: 'repeated', execution: record, redriveDate: seen.redriveDate };
          if (record.redrivable !== true) return { kind: 'notRedrivable', execution: record };
          const threads = await this.store.loadRedriveThreads(executionArn);
          const revision = await this.revision(record);
          const loaded = this.definitions.load(revision.revisionKey, revision.definition);
          const input = JSON.parse(record.input) as Json;
          const snapshot = this.snapshot(record, revision, input);
          const first = await this.compute(loaded, snapshot, threads, { type: 'RedriveExecution' }, now);
          if (!first.ok) return { kind: 'notRedrivable', execution: record };
          const execution = await this.commitResult(
            // The live threads were empty: everything the redrive runs is in the commit.
            { loaded, revision, record, input, threads, liveThreads: [] },
            first,
            (commit) => {
              commit.redriveTokens =
                clientToken === undefined
                  ? tokens
                  : [{ token: clientToken, redriveDate: now }, ...tokens].slice(0, REDRIVE_TOKENS_KEPT);
              return this.store.commitTransition(commit);
            },
          );
          if (execution !== undefined) return { kind: 'redriven', execution, redriveDate: now };
          this.hot.delete(executionArn);
        }
        throw new Error(`execution ${executionArn}: too many concurrent transitions`);
      }),
    );
  }

  /**
   * A Map Run's redrive marks its unsuccessful children PENDING_REDRIVE until it redrives them;
   * false when the child is not closed unsuccessfully (or has no redrive snapshot).
   */
  private markPendingRedrive(executionArn: string): Promise<boolean> {
    return this.track(
      this.locks.run(executionArn, async () => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const record = await this.store.getExecution(executionArn);
          if (record?.redrivable !== true) return false;
          if (record.status === 'PENDING_REDRIVE') return true;
          if (record.status === 'RUNNING' || record.status === 'SUCCEEDED') return false;
          const commit: TransitionCommit = {
            executionArn,
            expectedVersion: record.version,
            execution: { status: 'PENDING_REDRIVE', nextEventId: record.nextEventId },
            events: [],
            threadsPut: [],
            threadsDeleted: [],
            tasksPut: [],
            tasksDeleted: [],
            timersPut: [],
            timersDeleted: [],
          };
          if (await this.store.commitTransition(commit)) return true;
        }
        throw new Error(`execution ${executionArn}: too many concurrent transitions`);
      }),
    );
  }

  /**
   * The second half of every transition: starts tasks for waiting polls on top of `first`
   * (startForWaiters), has `write` store the commit, and once it has landed keeps the result
   * here (the hot copy, after-commit work) and answers the held polls. Undefined when `write`
   * wrote nothing (a lost version race, an existing execution); the held polls then wait on.
   */
  private async commitResult(
    state: {
      loaded: LoadedDefinition;
      revision: StateMachineRevision;
      record: ExecutionRecord;
      input: Json;
      /** The threads the transition was computed on. */
      threads: readonly ThreadRecord[];
      /** The threads live before the commit, when they differ (a redrive's are its snapshot). */
      liveThreads?: readonly ThreadRecord[];
    },
    first: Applied,
    write: (commit: TransitionCommit, actions: Action[]) => Promise<boolean>,
  ): Promise<ExecutionRecord | undefined> {
    const { loaded, revision, record, input, threads } = state;
    const { result, handed } = await this.startForWaiters(loaded, revision, record, input, threads, first);
    let committed = false;
    try {
      const { commit, actions } = toCommit(record, result);
      if (!(await write(commit, actions))) return undefined;
      committed = true;
      const execution = applyPatch(record, commit);
      this.remember(execution, state.liveThreads ?? threads, commit, input);
      this.afterCommit(commit, execution, actions, revision);
      return execution;
    } finally {
      if (handed !== undefined) settle(handed, committed);
    }
  }

  /**
   * When the transition queues an activity task and a poll for that activity waits on this
   * node, starts the task in the same commit: ActivityStarted is computed on top of the result
   * and both are written at once (one store transaction per round trip fewer). The held pollers
   * get their tasks once the commit lands, or go back to waiting if it does not (`settle`). A
   * refusal from the engine leaves the task queued, for the usual hand-over.
   */
  private async startForWaiters(
    loaded: LoadedDefinition,
    revision: StateMachineRevision,
    record: ExecutionRecord,
    input: Json,
    threads: readonly ThreadRecord[],
    first: Applied,
  ): Promise<{ result: Applied; handed: HeldTask[] | undefined }> {
    let result = first;
    let handed: HeldTask[] | undefined;
    try {
      for (const effect of first.effects) {
        if (effect.kind !== 'putActivityTask' || effect.task.status !== 'queued') continue;
        const task = effect.task;
        const reservation = this.dispatcher.reserve(task.activityArn);
        if (reservation === undefined) continue;
        const snapshot = this.snapshot(record, revision, input);
        snapshot.status = result.execution.status;
        snapshot.nextEventId = result.execution.nextEventId;
        const event: EngineEvent =
          reservation.workerName !== undefined
            ? { type: 'ActivityStarted', token: task.token, workerName: reservation.workerName }
            : { type: 'ActivityStarted', token: task.token };
        let next: TransitionResult;
        try {
          next = await this.compute(loaded, snapshot, threadsAfter(threads, result), event, this.now());
        } catch (error) {
          reservation.cancel();
          throw error;
        }
        if (!next.ok) {
          reservation.cancel();
          continue;
        }
        result = mergeResults(result, next);
        (handed ??= []).push({ reservation, task: { taskToken: task.token, input: task.input } });
      }
    } catch (error) {
      if (handed !== undefined) settle(handed, false);
      throw error;
    }
    return { result, handed };
  }

  private async loadExecution(executionArn: string): Promise<HotExecution | undefined> {
    const record = await this.store.getExecution(executionArn);
    if (record === undefined) return undefined;
    const threads = record.status === 'RUNNING' ? await this.store.loadThreads(executionArn) : [];
    return { record, threads, input: JSON.parse(record.input) as Json };
  }

  /**
   * Keeps what this node just committed for an execution that still runs, so its next event
   * needs no read of the row and its threads (two reads of four per activity round trip).
   * Safe on a shared store too: a stale entry fails the commit's version check, or makes the
   * engine refuse, and either way the state is read again.
   */
  private remember(
    execution: ExecutionRecord,
    threads: readonly ThreadRecord[],
    commit: TransitionCommit,
    input: Json,
  ): void {
    const arn = execution.executionArn;
    this.hot.delete(arn);
    if (execution.status !== 'RUNNING') return;
    const next = new Map(threads.map((thread) => [thread.id, thread]));
    for (const id of commit.threadsDeleted) next.delete(id);
    for (const thread of commit.threadsPut) next.set(thread.id, thread);
    this.hot.set(arn, { record: execution, threads: [...next.values()], input });
    if (this.hot.size > HOT_EXECUTIONS) {
      const oldest = this.hot.keys().next();
      if (oldest.done !== true) this.hot.delete(oldest.value);
    }
  }

  private async compute(
    loaded: LoadedDefinition,
    snapshot: ExecutionSnapshot,
    threads: Parameters<typeof transition>[2],
    event: EngineEvent,
    now: number,
  ): Promise<TransitionResult> {
    const existing = new Set<string>();
    for (const arn of loaded.activityArns) {
      if (await this.activityExists(arn)) existing.add(arn);
    }
    return transition(
      loaded.definition,
      snapshot,
      threads,
      event,
      { now, nonce: freshNonce(), activityExists: (arn) => existing.has(arn) },
      this.limits,
    );
  }

  /**
   * A state machine for StartExecution, from a cache that this node's updates and deletes clear
   * and that a shared store's other nodes expire within seconds. AWS documents the same
   * eventual consistency: executions started just after UpdateStateMachine may run the
   * previous definition.
   */
  async stateMachine(stateMachineArn: string): Promise<StateMachineRecord | undefined> {
    const now = Date.now();
    const hit = this.stateMachines.get(stateMachineArn);
    if (hit !== undefined && hit.until > now) return hit.record;
    const record = await this.store.getStateMachine(stateMachineArn);
    if (record === undefined) this.stateMachines.delete(stateMachineArn);
    else this.stateMachines.set(stateMachineArn, { record, until: now + this.activityTtlMs });
    if (this.stateMachines.size > HOT_EXECUTIONS) this.stateMachines.clear();
    return record;
  }

  stateMachineChanged(stateMachineArn: string): void {
    this.stateMachines.delete(stateMachineArn);
  }

  /**
   * Whether an activity exists, answered from a cache of the ones seen (forever on a store of
   * its own, for seconds on a shared one). GetActivityTask asks on every poll.
   */
  async activityExists(activityArn: string): Promise<boolean> {
    const until = this.knownActivities.get(activityArn);
    if (until !== undefined) {
      if (until === Number.POSITIVE_INFINITY || until > Date.now()) return true;
      this.knownActivities.delete(activityArn);
    }
    const found = (await this.store.getActivity(activityArn)) !== undefined;
    if (found) this.knownActivities.set(activityArn, Date.now() + this.activityTtlMs);
    return found;
  }

  private async revision(record: ExecutionRecord): Promise<StateMachineRevision> {
    const cached = this.revisions.get(record.revisionKey);
    if (cached !== undefined) return cached;
    const revision = await this.store.getRevision(record.stateMachineArn, record.revisionKey);
    if (revision === undefined) throw new Error(`execution ${record.executionArn}: revision is missing`);
    this.revisions.set(record.revisionKey, revision);
    return revision;
  }

  private snapshot(record: ExecutionRecord, revision: StateMachineRevision, input: Json): ExecutionSnapshot {
    const snapshot: ExecutionSnapshot = {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      stateMachineName: record.stateMachineArn.slice(record.stateMachineArn.lastIndexOf(':') + 1),
      name: record.name,
      roleArn: revision.roleArn,
      input,
      startDate: record.startDate,
      status: record.status,
      nextEventId: record.nextEventId,
      redriveCount: record.redriveCount,
      ...(record.redriveDate !== undefined ? { redriveDate: record.redriveDate } : {}),
      type: record.executionArn.includes(':express:') ? 'EXPRESS' : 'STANDARD',
    };
    if (record.testCase !== undefined) snapshot.testCase = record.testCase;
    if (record.stateMachineVersionArn !== undefined) {
      snapshot.stateMachineVersionArn = record.stateMachineVersionArn;
    }
    if (record.stateMachineAliasArn !== undefined)
      snapshot.stateMachineAliasArn = record.stateMachineAliasArn;
    return snapshot;
  }

  /**
   * Resolves once the execution has closed (StartSyncExecution waits on it). Register before
   * starting the execution: one that closes within its first transition resolves at once.
   */
  whenClosed(executionArn: string): Promise<ExecutionRecord> {
    return new Promise((resolve) => {
      const waiters = this.closeWaiters.get(executionArn) ?? [];
      waiters.push(resolve);
      this.closeWaiters.set(executionArn, waiters);
    });
  }

  private afterCommit(
    commit: TransitionCommit,
    execution: ExecutionRecord,
    actions: Action[],
    revision: StateMachineRevision,
  ): void {
    for (const action of actions) {
      switch (action.kind) {
        case 'startMapRun':
        case 'abortMapRun': {
          const work =
            action.kind === 'startMapRun'
              ? this.mapRuns.begin(action.mapRun, revision)
              : this.mapRuns.abort(action.mapRunArn);
          void this.track(work).catch((error: unknown) => console.error('stepwise: map run failed:', error));
          break;
        }
        case 'runIntegration':
          void this.track(this.integrations.run(action.call, execution)).catch((error: unknown) =>
            console.error(`stepwise: the integration call of ${action.call.stateName} failed:`, error),
          );
          break;
        case 'stopChildExecution':
          void this.track(this.integrations.stopChild(action.executionArn)).catch((error: unknown) =>
            console.error(`stepwise: stopping ${action.executionArn} failed:`, error),
          );
          break;
        default: {
          const never: never = action;
          throw new Error(`unknown action ${JSON.stringify(never)}`);
        }
      }
    }
    if (execution.status !== 'RUNNING' && execution.parentTaskToken !== undefined) {
      void this.track(this.integrations.childClosed(execution)).catch((error: unknown) =>
        console.error('stepwise: telling a parent execution failed:', error),
      );
    }
    if (execution.status !== 'RUNNING' && execution.mapRunArn !== undefined) {
      void this.track(this.mapRuns.childClosed(execution)).catch((error: unknown) =>
        console.error('stepwise: map run bookkeeping failed:', error),
      );
    }
    if (execution.status !== 'RUNNING') {
      const waiters = this.closeWaiters.get(execution.executionArn);
      if (waiters !== undefined) {
        this.closeWaiters.delete(execution.executionArn);
        for (const resolve of waiters) resolve(execution);
      }
    }
    for (const task of commit.tasksPut) {
      if (task.status === 'queued') this.dispatcher.offer(task);
    }
    for (const timer of commit.timersPut) this.timers.schedule(timer.dueAt);
  }

  private async startActivityTask(
    task: ActivityTaskRecord,
    workerName: string | undefined,
  ): Promise<boolean> {
    const event: EngineEvent =
      workerName !== undefined
        ? { type: 'ActivityStarted', token: task.token, workerName }
        : { type: 'ActivityStarted', token: task.token };
    const outcome = await this.deliver(task.executionArn, event);
    return outcome.kind === 'applied';
  }

  private async fireTimer(timer: TimerRecord): Promise<void> {
    // Redriving the run first: if this process dies before the timer's transition, it fires again.
    if (timer.kind === 'mapRunRedrive') await this.mapRuns.redrive(timer.id.replace(/#redrive$/, ''));
    const outcome = await this.deliver(timer.executionArn, { type: 'TimerFired', timer });
    if (outcome.kind === 'missing') {
      throw new Error(`timer ${timer.id} belongs to a missing execution`);
    }
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    // One reaction for both outcomes (`finally` + `catch` made three promises per transition).
    const forget = (): void => {
      this.inflight.delete(work);
    };
    void work.then(forget, forget);
    return work;
  }
}

/** Effects carried out after the commit, by this process. */
type Action = Extract<
  Effect,
  { kind: 'startMapRun' | 'abortMapRun' | 'runIntegration' | 'stopChildExecution' }
>;
type Applied = Extract<TransitionResult, { ok: true }>;

/** A poller held for a task that the pending commit starts. */
interface HeldTask {
  reservation: Reservation;
  task: HandedTask;
}

/** Answers the held pollers once the commit has landed; frees them when it has not. */
function settle(handed: HeldTask[], committed: boolean): void {
  for (const { reservation, task } of handed) {
    if (committed) reservation.deliver(task);
    else reservation.cancel();
  }
}

/** The execution's threads once `result` is applied (deletes first, then puts, as stores do). */
function threadsAfter(threads: readonly ThreadRecord[], result: Applied): ThreadRecord[] {
  const next = new Map(threads.map((thread) => [thread.id, thread]));
  for (const id of result.threadsDeleted) next.delete(id);
  for (const thread of result.threadsPut) next.set(thread.id, thread);
  return [...next.values()];
}

/**
 * Two transitions, the second computed on the first's result, as one: events in order, the
 * second's execution patch, thread writes netted; effects in order (toCommit nets them by key).
 */
function mergeResults(first: Applied, second: Applied): Applied {
  const put = new Map(first.threadsPut.map((thread) => [thread.id, thread]));
  const deleted = new Set(first.threadsDeleted);
  for (const id of second.threadsDeleted) {
    put.delete(id);
    deleted.add(id);
  }
  for (const thread of second.threadsPut) {
    put.set(thread.id, thread);
    deleted.delete(thread.id);
  }
  const merged: Applied = {
    ok: true,
    execution:
      first.execution.redriven !== undefined
        ? { ...second.execution, redriven: first.execution.redriven }
        : second.execution,
    threadsPut: [...put.values()],
    threadsDeleted: [...deleted],
    events: [...first.events, ...second.events],
    effects: [...first.effects, ...second.effects],
  };
  const redriveThreads = second.redriveThreads ?? first.redriveThreads;
  if (redriveThreads !== undefined) merged.redriveThreads = redriveThreads;
  return merged;
}

/**
 * The store's part of a transition, with net effects (a record put and deleted in the same
 * transition is only deleted), and the actions (Map Runs, integration calls) this process
 * carries out once it is committed.
 */
function toCommit(
  record: ExecutionRecord,
  result: Extract<TransitionResult, { ok: true }>,
): { commit: TransitionCommit; actions: Action[] } {
  const actions: Action[] = [];
  const tasks = new Map<string, ActivityTaskRecord | null>();
  const timers = new Map<string, TimerRecord | null>();
  for (const effect of result.effects) {
    switch (effect.kind) {
      case 'putActivityTask':
        tasks.set(effect.task.token, effect.task);
        break;
      case 'deleteActivityTask':
        tasks.set(effect.token, null);
        break;
      case 'putTimer':
        timers.set(effect.timer.id, effect.timer);
        break;
      case 'deleteTimer':
        timers.set(effect.timerId, null);
        break;
      case 'startMapRun':
      case 'abortMapRun':
      case 'runIntegration':
      case 'stopChildExecution':
        actions.push(effect);
        break;
      default: {
        const never: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(never)}`);
      }
    }
  }
  const commit: TransitionCommit = {
    executionArn: record.executionArn,
    expectedVersion: record.version,
    execution: result.execution,
    events: result.events,
    threadsPut: result.threadsPut,
    threadsDeleted: result.threadsDeleted,
    tasksPut: [],
    tasksDeleted: [],
    timersPut: [],
    timersDeleted: [],
    // Fresh from the engine, and never read again here: a memory store may keep them as they are.
    eventsHandedOver: true,
  };
  if (result.redriveThreads !== undefined) commit.redriveThreads = result.redriveThreads;
  for (const [token, task] of tasks) {
    if (task === null) commit.tasksDeleted.push(token);
    else commit.tasksPut.push(task);
  }
  for (const [id, timer] of timers) {
    if (timer === null) commit.timersDeleted.push(id);
    else commit.timersPut.push(timer);
  }
  return { commit, actions };
}

function isEmpty(commit: TransitionCommit, record: ExecutionRecord): boolean {
  return (
    commit.events.length === 0 &&
    commit.threadsPut.length === 0 &&
    commit.threadsDeleted.length === 0 &&
    commit.tasksPut.length === 0 &&
    commit.tasksDeleted.length === 0 &&
    commit.timersPut.length === 0 &&
    commit.timersDeleted.length === 0 &&
    commit.redriveThreads === undefined &&
    commit.execution.status === record.status
  );
}

function applyPatch(record: ExecutionRecord, commit: TransitionCommit): ExecutionRecord {
  const patch = commit.execution;
  // Object.assign and plain stores: on Node 20 a spread literal that then redefines members
  // took ≈ 6 µs here, ≈ 0.5 µs this way (4% of the engine benchmark's flow).
  const next: ExecutionRecord = Object.assign({}, record);
  if (patch.redriven !== undefined) {
    delete next.output;
    delete next.error;
    delete next.cause;
    delete next.stopDate;
    next.redriveCount = patch.redriven.redriveCount;
    next.redriveDate = patch.redriven.redriveDate;
  }
  if (commit.redriveTokens !== undefined) {
    if (commit.redriveTokens.length > 0) next.redriveTokens = commit.redriveTokens;
    else delete next.redriveTokens;
  }
  if (commit.redriveThreads !== undefined) {
    if (commit.redriveThreads.length > 0) next.redrivable = true;
    else delete next.redrivable;
  }
  next.status = patch.status;
  next.nextEventId = patch.nextEventId;
  next.version = commit.expectedVersion + 1;
  if (patch.output !== undefined) next.output = patch.output;
  if (patch.error !== undefined) next.error = patch.error;
  if (patch.cause !== undefined) next.cause = patch.cause;
  if (patch.stopDate !== undefined) next.stopDate = patch.stopDate;
  return next;
}
