/**
 * One transition in the making: the working copy of the execution's threads, the history
 * events and effects produced so far, and the execution row's new values. State handlers act
 * through it; `transition()` turns it into a TransitionResult.
 */
import type { Json, JsonObject } from '../json.js';
import { toJsonText } from '../json.js';
import type { State, StateMachineDefinition } from '../asl/definition.js';
import { evaluateIntrinsic } from '../asl/intrinsics.js';
import type {
  ChildrenWait,
  Effect,
  EngineEnvironment,
  ExecutionPatch,
  ExecutionSnapshot,
  ExecutionStatus,
  HistoryEvent,
  MapRunWait,
  ThreadRecord,
  ThreadWait,
  TimerKind,
  TimerRecord,
  TransitionResult,
} from './types.js';
import type { StateView } from './context.js';
import { buildContext } from './context.js';
import type { IoEnv } from './io.js';
import { detailsMemberFor } from './history.js';
import { encodeTaskToken } from './tokens.js';
import { guardTimerId, stopsChild } from './integration-wait.js';

export interface EngineLimits {
  /** History events an execution may have; reaching it fails the execution (AWS: 25,000). */
  maxHistoryEvents: number;
  /** Largest state output, in UTF-8 bytes, before States.DataLimitExceeded (AWS: 256 KiB). */
  maxPayloadBytes: number;
}

const NOTHING = Symbol('nothing');
const NO_IDS: ReadonlySet<string> = new Set();

export const DEFAULT_LIMITS: EngineLimits = { maxHistoryEvents: 25_000, maxPayloadBytes: 262_144 };

export class HistoryLimitReached extends Error {}

/**
 * Work the transition still has to do. A stack rather than recursion: a Map over thousands of
 * items that need nothing external runs inside one transition, and must not grow the call
 * stack with the number of items. The order (last in, first out) makes an iteration that
 * needs nothing external finish before the next one starts, as AWS records it.
 */
export type Work =
  | { kind: 'run'; threadId: string; stateName: string; input: Json; previousEventId: number }
  | { kind: 'launch'; parentId: string }
  | { kind: 'childEnded'; parentId: string; index: number }
  | { kind: 'childFailed'; parentId: string; index: number; error: string | null; cause: string | null };

/** Where a Parallel branch or Map iteration starts, and its input. */
export interface ChildStart {
  startAt: string;
  input: Json;
}

/** Where the children of one Parallel or Map state start (per child, or one for all), and their inputs. */
export interface ChildStarts {
  startAt: string | readonly string[];
  inputs: readonly Json[];
}

/**
 * What a transition knows of one Parallel's or Map's children beyond the thread map: see
 * `Step.startChildren` and `Step.putDone`.
 */
interface ChildBook {
  /** Children started in this transition; absent when they were started by an earlier one. */
  starts?: ChildStarts;
  /** `done` records of children that ended in this transition, by index. */
  done: (ThreadRecord | undefined)[];
}

/**
 * The children of a Parallel or Map state that failed in this transition, as they were when it
 * ended them (see `abortDescendants`): if the execution then fails, a redrive resumes them.
 */
interface Fallen {
  /** The visit of the parent state they belong to. */
  enteredEventId: number;
  wait: ChildrenWait;
  records: ThreadRecord[];
}

export class Step {
  /**
   * The events written so far, by column (ids follow from the first one, and every event of a
   * transition has its `now` as timestamp); `result()` makes them HistoryEvents. A Map over
   * many items keeps its events for the whole transition: as objects (and a heap number per
   * timestamp) they lived through young collections and were copied twice each, ≈ a third of
   * what the Map benchmark's collector copied.
   */
  private readonly eventTypes: string[] = [];
  private readonly eventPrevious: number[] = [];
  private readonly eventDetails: (Record<string, Json> | undefined)[] = [];
  readonly effects: Effect[] = [];
  readonly work: Work[] = [];
  private readonly threads: Map<string, ThreadRecord>;
  /** Ids put in this transition: their records are the engine's own (see `thread`). */
  private readonly changed = new Set<string>();
  private readonly deleted = new Set<string>();
  /** Ids of the records the transition was given: the ones a store holds. */
  private readonly stored: ReadonlySet<string>;
  /** By parent id (see `startChildren`). */
  private books: Map<string, ChildBook> | undefined;
  /** By parent id: children of failed Parallel and Map states (see `abortDescendants`). */
  private fallen: Map<string, Fallen> | undefined;
  /** By thread id: the Map Runs of Distributed Maps that failed in this transition. */
  private failedRuns: Map<string, { enteredEventId: number; wait: MapRunWait }> | undefined;
  /** The redrive snapshot to write (see `TransitionResult.redriveThreads`); undefined: unchanged. */
  private redriveThreads: ThreadRecord[] | undefined;
  private redriven: ExecutionPatch['redriven'];
  private nextEventId: number;
  private status: ExecutionStatus;
  private finish: Pick<ExecutionPatch, 'output' | 'error' | 'cause' | 'stopDate'> = {};
  private counter = 0;
  /** The value `jsonText` last wrote, and its text. */
  private textOf: Json | typeof NOTHING = NOTHING;
  private text = '';

  constructor(
    readonly definition: StateMachineDefinition,
    readonly execution: ExecutionSnapshot,
    threads: readonly ThreadRecord[],
    readonly env: EngineEnvironment,
    readonly limits: EngineLimits,
  ) {
    this.threads = new Map();
    for (const thread of threads) this.threads.set(thread.id, thread);
    // Most transitions (every StartExecution) are given no records: no set to build.
    this.stored = threads.length === 0 ? NO_IDS : new Set(this.threads.keys());
    this.nextEventId = execution.nextEventId;
    this.status = execution.status;
  }

  get running(): boolean {
    return this.status === 'RUNNING';
  }

  /** Appends a history event and answers its id. */
  emit(type: string, previousEventId: number, details?: Record<string, Json>): number {
    // The last slot is kept for the ExecutionFailed that reports the limit.
    if (this.nextEventId >= this.limits.maxHistoryEvents) throw new HistoryLimitReached();
    return this.emitUnchecked(type, previousEventId, details);
  }

  emitUnchecked(type: string, previousEventId: number, details?: Record<string, Json>): number {
    this.eventTypes.push(type);
    this.eventPrevious.push(previousEventId);
    this.eventDetails.push(details);
    return this.nextEventId++;
  }

  private historyEvents(): HistoryEvent[] {
    const events: HistoryEvent[] = [];
    const first = this.execution.nextEventId;
    const timestamp = this.env.now;
    for (let i = 0; i < this.eventTypes.length; i++) {
      const type = this.eventTypes[i] ?? '';
      const previousEventId = this.eventPrevious[i] ?? 0;
      const details = this.eventDetails[i];
      const member = details === undefined ? undefined : detailsMemberFor(type);
      // One literal per shape, rather than members added afterwards: no shape transitions.
      events.push(
        member === undefined || details === undefined
          ? { id: first + i, previousEventId, timestamp, type }
          : { id: first + i, previousEventId, timestamp, type, detailsMember: member, details },
      );
    }
    return events;
  }

  /**
   * JSON text of a value, remembering the last one: a state's output is written in its
   * …StateExited and again as the next state's input in …StateEntered (and as the execution's
   * output), always the same object. JSON values are never changed in place in the engine,
   * so the same object has the same text. Halves the flow benchmark's JSON.stringify work,
   * which was ≈ 35% of its engine time.
   */
  jsonText(value: Json): string {
    if (value !== this.textOf) {
      this.text = flat(toJsonText(value));
      this.textOf = value;
    }
    return this.text;
  }

  /** A fresh id, unique across transitions (the nonce is new each time). */
  freshId(): string {
    return `${this.env.nonce}.${(this.counter++).toString(36)}`;
  }

  mintTaskToken(threadId: string): string {
    return encodeTaskToken({
      executionArn: this.execution.executionArn,
      threadId,
      nonce: this.freshId(),
    });
  }

  /** A deterministic float in [0, 1) drawn from the nonce: the engine has no randomness of its own. */
  random(): number {
    const seed = `${this.env.nonce}:${this.counter++}`;
    let h = 2166136261;
    for (let i = 0; i < seed.length; i++) {
      h ^= seed.charCodeAt(i);
      h = Math.imul(h, 16777619);
    }
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
    return (h >>> 0) / 0x1_0000_0000;
  }

  uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.random() * 16).toString(16));
    hex[12] = '4';
    hex[16] = ((Math.floor(this.random() * 4) & 0x3) | 0x8).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  /**
   * A workflow variable as a thread sees it: its own scope first, then the scopes of the
   * Parallel branches and Map iterations around it, out to the execution's.
   */
  variable(thread: Readonly<ThreadRecord>, name: string): Json | undefined {
    let scope: Readonly<ThreadRecord> | undefined = thread;
    while (scope !== undefined) {
      const variables = scope.variables;
      if (variables !== undefined && Object.hasOwn(variables, name)) return variables[name];
      scope = scope.parentId === null ? undefined : this.threads.get(scope.parentId);
    }
    return undefined;
  }

  /** Read-only access, for records the caller will not change (gathering results). */
  peekThread(id: string): Readonly<ThreadRecord> | undefined {
    return this.threads.get(id);
  }

  /**
   * Ends everything below a thread: its branches or iterations, their tasks and timers. Child
   * ids extend their parent's (`root/3/1`), so descendants are found by prefix. `failed`: the
   * parent state fails because of one of them; their records are kept aside as they are, so
   * that if the execution fails too a redrive can resume the ones that did not succeed.
   */
  abortDescendants(parentId: string, failed?: { enteredEventId: number; wait: ChildrenWait }): void {
    const prefix = `${parentId}/`;
    const kept: ThreadRecord[] | undefined =
      failed !== undefined && this.execution.type !== 'EXPRESS' ? [] : undefined;
    if (kept !== undefined) {
      for (const [id, book] of this.books ?? []) {
        if (id === parentId || id.startsWith(prefix)) kept.push(...this.bookRecords(id, book));
      }
    }
    for (const thread of [...this.threads.values()]) {
      if (!thread.id.startsWith(prefix)) continue;
      kept?.push(thread);
      this.releaseWait(thread.wait);
      this.deleteThread(thread.id);
    }
    for (const id of [...(this.books?.keys() ?? [])]) {
      if (id === parentId || id.startsWith(prefix)) this.books?.delete(id);
    }
    if (kept !== undefined && failed !== undefined) {
      (this.fallen ??= new Map()).set(parentId, { ...failed, records: kept });
    }
  }

  /** A Distributed Map's run failed: kept aside like failed children (see `abortDescendants`). */
  keepFailedRun(thread: Readonly<ThreadRecord>, wait: MapRunWait): void {
    if (this.execution.type === 'EXPRESS') return;
    (this.failedRuns ??= new Map()).set(thread.id, { enteredEventId: thread.enteredEventId, wait });
  }

  /*
   * A Parallel's branches and a Map's iterations are records of their own: `pending` until
   * launched, `done` (with the output) once ended, until the last sibling ends. A Map over
   * items that need nothing external launches and ends every iteration within one transition,
   * so this transition keeps those records aside instead (`ChildBook`): pending ones only as
   * their start and input, done ones off the thread map. `result()` writes out what is still
   * pending or done when the transition ends, exactly as if it had been a record all along.
   * Writing a pending record per item only to replace it, and growing the thread map (and the
   * set of changed ids) to every item then shrinking it, were ≈ 15% of the Map benchmark.
   */

  /** Starts children: each is pending until `launchChild` takes it (see `pendingChild`). */
  startChildren(parentId: string, starts: ChildStarts): void {
    (this.books ??= new Map()).set(parentId, { starts, done: [] });
  }

  /** Where a child not launched yet starts, and with what input. */
  pendingChild(parentId: string, index: number): ChildStart | undefined {
    const starts = this.books?.get(parentId)?.starts;
    if (starts !== undefined) {
      const startAt = typeof starts.startAt === 'string' ? starts.startAt : starts.startAt[index];
      const input = starts.inputs[index];
      return startAt === undefined || input === undefined ? undefined : { startAt, input };
    }
    const record = this.threads.get(`${parentId}/${index}`);
    return record?.phase === 'pending' ? { startAt: record.stateName, input: record.input } : undefined;
  }

  /** A child ended (`phase: 'done'`): its record waits for its siblings off the thread map. */
  putDone(record: ThreadRecord): void {
    const { parentId, index } = record;
    if (parentId === null || index === undefined) throw new Error(`thread ${record.id} is not a child`);
    this.deleteThread(record.id);
    let book = this.books?.get(parentId);
    if (book === undefined) {
      book = { done: [] };
      (this.books ??= new Map()).set(parentId, book);
    }
    book.done[index] = record;
  }

  /** A child's `done` record, whether it ended in this transition or an earlier one. */
  doneChild(parentId: string, index: number): Readonly<ThreadRecord> | undefined {
    const record = this.books?.get(parentId)?.done[index] ?? this.threads.get(`${parentId}/${index}`);
    return record?.phase === 'done' ? record : undefined;
  }

  /** Every child of a parent ended: their records go; answers their outputs in order. */
  takeOutputs(parentId: string, total: number): Json[] {
    const done = this.books?.get(parentId)?.done;
    this.books?.delete(parentId);
    const outputs: Json[] = [];
    for (let index = 0; index < total; index++) {
      const kept = done?.[index];
      if (kept !== undefined) {
        outputs.push(kept.output ?? null);
        continue;
      }
      const id = `${parentId}/${index}`;
      outputs.push(this.threads.get(id)?.output ?? null);
      this.deleteThread(id);
    }
    return outputs;
  }

  /** Children still pending or done when the transition ends become records (see above). */
  private writeChildBooks(): void {
    if (this.books === undefined) return;
    for (const [parentId, book] of this.books) {
      for (const record of this.bookRecords(parentId, book)) this.putThread(record);
    }
    this.books = undefined;
  }

  /** The records a book stands for: its done children, and its pending ones not launched yet. */
  private bookRecords(parentId: string, book: ChildBook): ThreadRecord[] {
    const wait = this.threads.get(parentId)?.wait;
    if (wait?.kind !== 'children') return [];
    const records: ThreadRecord[] = [];
    for (const record of book.done) if (record !== undefined) records.push(record);
    if (book.starts === undefined) return records;
    for (let index = wait.launched; index < wait.total; index++) {
      const child = this.pendingChild(parentId, index);
      if (child === undefined) continue;
      records.push({
        id: `${parentId}/${index}`,
        parentId,
        index,
        phase: 'pending',
        stateName: child.startAt,
        enteredEventId: 0,
        lastEventId: 0,
        enteredTime: this.env.now,
        input: child.input,
        retryCounts: [],
        wait: null,
      });
    }
    return records;
  }

  /** Whatever a thread being ended was waiting on goes with it: task, timers, Map Run. */
  private releaseWait(wait: ThreadWait | null): void {
    if (wait === null) return;
    switch (wait.kind) {
      case 'activity':
        this.effects.push({ kind: 'deleteActivityTask', token: wait.token });
        this.deleteTimer(wait.timeoutTimerId);
        this.deleteTimer(wait.heartbeatTimerId);
        return;
      case 'mapRun':
        this.effects.push({ kind: 'abortMapRun', mapRunArn: wait.mapRunArn });
        return;
      case 'integration': {
        if (wait.guarded) this.deleteTimer(guardTimerId(wait.token));
        this.deleteTimer(wait.timeoutTimerId);
        this.deleteTimer(wait.heartbeatTimerId);
        const child = stopsChild(wait);
        if (child !== undefined) this.effects.push({ kind: 'stopChildExecution', executionArn: child });
        return;
      }
      case 'wait':
      case 'retry':
        this.deleteTimer(wait.timerId);
        return;
      case 'children':
        return;
      default: {
        const never: never = wait;
        throw new Error(`unknown wait ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * The thread, to change: handlers change it and hand it back with `putThread`. A record
   * already put in this transition is the engine's own and is answered as it is (a Map's
   * parent is taken this way two or three times per iteration: copying it each time was ≈ 8%
   * of the Map benchmark). Any other is copied, so that the caller's records are never
   * changed: only what handlers change in place is copied (the record, its wait, its retry
   * counts); JSON values (input, output, variables, a task's input) are never changed in
   * place, so they are shared. A deep copy here made a Map over n items cost O(n²).
   */
  thread(id: string): ThreadRecord | undefined {
    const thread = this.threads.get(id);
    if (thread === undefined) return undefined;
    if (this.changed.has(id)) return thread;
    // Object.assign and stores rather than a spread literal that redefines members: on Node 20
    // that form is several times slower (≈ 6 µs against ≈ 0.5 µs for an execution record).
    const copy: ThreadRecord = Object.assign({}, thread);
    copy.retryCounts = [...thread.retryCounts];
    copy.wait = thread.wait === null ? null : Object.assign({}, thread.wait);
    return copy;
  }

  allThreads(): IterableIterator<ThreadRecord> {
    return this.threads.values();
  }

  putThread(thread: ThreadRecord): void {
    const id = thread.id;
    // Handlers put the record they changed after each change; a Map iteration puts its own
    // and its parent's some six times. Only the first put of a record does anything.
    if (this.threads.get(id) === thread && this.changed.has(id)) return;
    this.threads.set(id, thread);
    this.changed.add(id);
    this.deleted.delete(id);
  }

  deleteThread(id: string): void {
    this.threads.delete(id);
    this.changed.delete(id);
    // A record created in this transition was never stored: nothing to delete (a Map's
    // iterations that start and end in one transition would list every item).
    if (this.stored.has(id)) this.deleted.add(id);
  }

  /** State names are unique across a whole definition, nested ones included, so one index serves. */
  stateNamed(name: string): State {
    const state = indexOf(this.definition).get(name);
    if (state === undefined) throw new Error(`unknown state ${name}`);
    return state;
  }

  stateOf(thread: Readonly<ThreadRecord>): State {
    return this.stateNamed(thread.stateName);
  }

  ioEnv(thread: ThreadRecord, extra: { taskToken?: string } = {}): IoEnv {
    // The context is built on first use (most states never read `$$`), from the thread as it
    // is now. Building it for every state was ≈ 10% of the flow benchmark's engine time.
    const view: StateView = { stateName: thread.stateName, enteredTime: thread.enteredTime, ...extra };
    if (this.stateOf(thread).Type === 'Task') view.retryCount = sum(thread.retryCounts);
    let context: JsonObject | undefined;
    return {
      context: () => (context ??= buildContext(this.execution, view)),
      variables: (name) => this.variable(thread, name),
      intrinsic: (expression, resolvePath) =>
        evaluateIntrinsic(expression, resolvePath, { random: () => this.random(), uuid: () => this.uuid() }),
    };
  }

  armTimer(threadId: string, kind: TimerKind, dueAt: number, id = this.freshId()): TimerRecord {
    const timer: TimerRecord = { id, executionArn: this.execution.executionArn, threadId, kind, dueAt };
    this.effects.push({ kind: 'putTimer', timer });
    return timer;
  }

  deleteTimer(timerId: string | undefined): void {
    if (timerId !== undefined) this.effects.push({ kind: 'deleteTimer', timerId });
  }

  /**
   * Ends the execution; `details` go to the closing event. A STANDARD execution that ends
   * unsuccessfully keeps a redrive snapshot of its threads (`redrivable: false` when it cannot be
   * redriven anyway: it ran out of history).
   */
  close(
    status: Exclude<ExecutionStatus, 'RUNNING' | 'PENDING_REDRIVE'>,
    closing: { output?: Json; error?: string | null; cause?: string | null },
    options: { redrivable?: boolean } = {},
  ): void {
    this.status = status;
    this.finish = { stopDate: this.env.now };
    if (closing.output !== undefined) this.finish.output = this.jsonText(closing.output);
    if (closing.error !== undefined) this.finish.error = closing.error;
    if (closing.cause !== undefined) this.finish.cause = closing.cause;
    const keep = status !== 'SUCCEEDED' && this.execution.type !== 'EXPRESS' && options.redrivable !== false;
    // Taken before the threads go: the snapshot is made of them.
    if (keep) this.redriveThreads = this.snapshotForRedrive();
    // Every thread, task and timer of a closed execution goes: tokens stop being valid at once.
    for (const thread of [...this.threads.values()]) {
      this.releaseWait(thread.wait);
      this.deleteThread(thread.id);
    }
    this.books = undefined;
    if (this.definition.TimeoutSeconds !== undefined)
      this.deleteTimer(executionTimeoutTimerId(this.execution));
  }

  /**
   * What a redrive resumes: every thread as it is, and the children that Parallel and Map states
   * on the failure's path ended (`abortDescendants`) for the visit their parent is still in.
   * What a thread waited on externally (a task, a timer) is dropped: a redrive enters that
   * state again. A Parallel or Map keeps its children's counters; a Distributed Map its run.
   */
  private snapshotForRedrive(): ThreadRecord[] {
    const records = new Map<string, ThreadRecord>();
    for (const thread of this.threads.values()) records.set(thread.id, thread);
    for (const [parentId, book] of this.books ?? []) {
      for (const record of this.bookRecords(parentId, book)) records.set(record.id, record);
    }
    // Nested Parallel and Map states keep their children in the group of the state around them.
    const groups = new Map(this.fallen ?? []);
    for (let added = true; added;) {
      added = false;
      for (const [parentId, group] of groups) {
        const parent = records.get(parentId);
        if (parent === undefined) continue;
        groups.delete(parentId);
        // The parent has moved on (Catch) or started over (Retry): these children are past.
        if (parent.enteredEventId !== group.enteredEventId || parent.wait?.kind === 'children') continue;
        records.set(parentId, { ...parent, wait: group.wait });
        for (const record of group.records) if (!records.has(record.id)) records.set(record.id, record);
        added = true;
      }
    }
    for (const [id, run] of this.failedRuns ?? []) {
      const thread = records.get(id);
      if (thread !== undefined && thread.enteredEventId === run.enteredEventId && thread.wait === null) {
        records.set(id, { ...thread, wait: run.wait });
      }
    }
    const snapshot: ThreadRecord[] = [];
    for (const record of records.values()) {
      const kind = record.wait?.kind;
      snapshot.push(
        kind === 'children' || kind === 'mapRun' || kind === undefined ? record : { ...record, wait: null },
      );
    }
    return snapshot;
  }

  /**
   * RedriveExecution: the execution runs again. The row's outcome is cleared, the redrive is
   * counted, and the snapshot is taken up (the caller puts its records back as threads).
   */
  reopen(redriveCount: number): void {
    this.status = 'RUNNING';
    this.finish = {};
    this.redriven = { redriveCount, redriveDate: this.env.now };
    this.redriveThreads = [];
  }

  result(): TransitionResult {
    this.writeChildBooks();
    const execution: ExecutionPatch = { status: this.status, nextEventId: this.nextEventId, ...this.finish };
    if (this.redriven !== undefined) execution.redriven = this.redriven;
    const threadsPut: ThreadRecord[] = [];
    for (const id of this.changed) {
      const thread = this.threads.get(id);
      if (thread !== undefined) threadsPut.push(thread);
    }
    const result: Extract<TransitionResult, { ok: true }> = {
      ok: true,
      execution,
      threadsPut,
      threadsDeleted: [...this.deleted],
      events: this.historyEvents(),
      effects: this.effects,
    };
    if (this.redriveThreads !== undefined) result.redriveThreads = this.redriveThreads;
    return result;
  }
}

/**
 * V8's JSON.stringify answers a text longer than a few dozen characters as a rope (a tree of
 * string pieces). These texts go into history events, which stores keep: flattened once, a
 * 200-character text is one string of ≈ 250 bytes instead of a tree of ≈ 360 bytes in several
 * objects, which the garbage collector copies as long as it lives. Reading a text as a number
 * makes V8 flatten it in place (it parses only flat strings).
 */
function flat(text: string): string {
  if (text.length > 32) Number(text);
  return text;
}

function sum(counts: readonly number[]): number {
  let total = 0;
  for (const n of counts) total += n;
  return total;
}

export function executionTimeoutTimerId(execution: ExecutionSnapshot): string {
  return `${execution.executionArn}#timeout`;
}

const INDEXES = new WeakMap<StateMachineDefinition, Map<string, State>>();

function indexOf(definition: StateMachineDefinition): Map<string, State> {
  let index = INDEXES.get(definition);
  if (index === undefined) {
    index = new Map();
    const visit = (states: Record<string, State>): void => {
      for (const [name, state] of Object.entries(states)) {
        index?.set(name, state);
        if (state.Type === 'Parallel') for (const branch of state.Branches) visit(branch.States);
        if (state.Type === 'Map') {
          const processor = state.ItemProcessor ?? state.Iterator;
          if (processor !== undefined) visit(processor.States);
        }
      }
    };
    visit(definition.States);
    INDEXES.set(definition, index);
  }
  return index;
}
