/**
 * A store that keeps everything in process memory: for engine tests and express workflows.
 * It must answer exactly as SqliteStore does (the contract suite runs against both), including
 * orderings, tie-breaks and what a record looks like after a round trip through storage.
 */
import type {
  ActivityTaskRecord,
  ExecutionStatus,
  HistoryEvent,
  Json,
  ThreadRecord,
  TimerRecord,
} from '@stepwise/core';
import type {
  ActivityRecord,
  CreateExecutionResult,
  ExecutionCursor,
  ExecutionFilter,
  ExecutionRecord,
  ExecutionSearch,
  ActivityTaskCounts,
  HistoryQuery,
  MapRunRecord,
  NameCursor,
  Page,
  PageRequest,
  StateMachineRecord,
  StateMachineRevision,
  StateMachineVersionRecord,
  StateMachineAliasRecord,
  AliasCreateOutcome,
  AliasRoute,
  AliasUpdateOutcome,
  PublishOutcome,
  PublishRequest,
  Store,
  Tag,
  TagOutcome,
  TransitionCommit,
} from './types.js';
import {
  aliasesRoutingTo,
  checkLimit,
  distinctTags,
  executionParent,
  run,
  taggedCount,
  versionRecord,
} from './common.js';

/**
 * A copy with a JSON round trip's result: SQLite stores these records as columns and JSON
 * text, so this drops `undefined` members and turns non-finite numbers into null as it does.
 * Walked by hand rather than `JSON.parse(JSON.stringify(…))`: strings (an execution's input
 * and output, an event's input text) are shared instead of escaped and parsed again — 12×
 * faster on a history event (0.2 µs against 2.6 µs), the store's largest cost in the engine
 * bench.
 */
function copy<T>(value: T): T {
  return copyValue(value) as T;
}

function copyValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out[i] = item === undefined || typeof item === 'function' ? null : copyValue(item);
    }
    return out;
  }
  // Records are plain objects (JSON.parse or literals): for…in sees exactly their own members.
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in record) {
    const member = record[key];
    if (member !== undefined && typeof member !== 'function') out[key] = copyValue(member);
  }
  return out;
}

/** Binary string order, as SQLite's default collation sorts (identical for ASCII). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An array kept sorted by `compare`; keys are unique. */
class SortedList<T> {
  readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  /** Index of the first item ordered after `key` (or at/after it when `inclusive`). */
  seek(key: T, inclusive = false): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const item = this.items[mid];
      if (item === undefined) break;
      const order = this.compare(item, key);
      if (order < 0 || (order === 0 && !inclusive)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  insert(item: T): void {
    const last = this.items[this.items.length - 1];
    // Appends dominate (events, executions of one machine started in order), so skip the search.
    if (last === undefined || this.compare(last, item) < 0) this.items.push(item);
    else this.items.splice(this.seek(item, true), 0, item);
  }

  remove(key: T): void {
    const at = this.seek(key, true);
    const item = this.items[at];
    if (item !== undefined && this.compare(item, key) === 0) this.items.splice(at, 1);
  }

  get first(): T | undefined {
    return this.items[0];
  }

  get size(): number {
    return this.items.length;
  }
}

const byCreation = (a: NameCursor, b: NameCursor): number =>
  a.creationDate - b.creationDate || compareText(a.arn, b.arn);
const newestFirst = (a: ExecutionCursor, b: ExecutionCursor): number =>
  b.startDate - a.startDate || compareText(a.arn, b.arn);
/**
 * The exact reverse of `newestFirst`. Execution lists are kept in this order and read from the
 * end, so that starting an execution appends: kept newest first, every start inserted at
 * index 0 and shifted all older entries (13% of the engine bench's flow, growing with the store).
 */
const oldestFirstExecutions = (a: ExecutionCursor, b: ExecutionCursor): number =>
  a.startDate - b.startDate || compareText(b.arn, a.arn);

interface QueueKey {
  scheduledAt: number;
  token: string;
}
const byScheduled = (a: QueueKey, b: QueueKey): number =>
  a.scheduledAt - b.scheduledAt || compareText(a.token, b.token);

interface TimerKey {
  dueAt: number;
  id: string;
}
const byDue = (a: TimerKey, b: TimerKey): number => a.dueAt - b.dueAt || compareText(a.id, b.id);

/**
 * One execution's history, in two flat arrays of three slots per event: id, predecessor and
 * timestamp in a number array (V8 keeps them unboxed), then type, details member and details
 * in another. Only the details are objects of their own (private to the store: copies, or
 * handed over). As an object per event plus a heap number per timestamp, histories were
 * about half of the objects the store keeps, and the garbage collector copies every object
 * that survives two young collections: keeping the flow benchmark's histories cost a third
 * of its time. The flow's Runtime peer went from ≈ 38,000 to ≈ 42,000 executions per CPU
 * second with this layout.
 */
class HistoryLog {
  /** id, previousEventId, timestamp per event */
  private readonly numbers: number[] = [];
  /** type, detailsMember, details per event */
  private readonly refs: (string | Record<string, Json> | undefined)[] = [];

  get size(): number {
    return this.numbers.length / 3;
  }

  get lastId(): number | undefined {
    return this.numbers[this.numbers.length - 3];
  }

  /** Index of the first event whose id is at least `id`. */
  indexOf(id: number): number {
    let low = 0;
    let high = this.size;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.numbers[mid * 3] ?? Infinity) < id) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  has(id: number): boolean {
    return this.numbers[this.indexOf(id) * 3] === id;
  }

  /** Adds an event whose id is not taken yet; `details` are the store's own. */
  add(event: HistoryEvent, details: Record<string, Json> | undefined): void {
    const last = this.lastId;
    // Events come in id order: appending is the rule, inserting the exception.
    if (last === undefined || last < event.id) {
      this.numbers.push(event.id, event.previousEventId, event.timestamp);
      this.refs.push(event.type, event.detailsMember, details);
      return;
    }
    const at = this.indexOf(event.id) * 3;
    this.numbers.splice(at, 0, event.id, event.previousEventId, event.timestamp);
    this.refs.splice(at, 0, event.type, event.detailsMember, details);
  }

  /** The event at `index`, as a fresh object the caller may change. */
  event(index: number): HistoryEvent | undefined {
    const at = index * 3;
    const id = this.numbers[at];
    const previousEventId = this.numbers[at + 1];
    const timestamp = this.numbers[at + 2];
    const type = this.refs[at];
    const member = this.refs[at + 1];
    const details = this.refs[at + 2];
    if (id === undefined || previousEventId === undefined || timestamp === undefined) return undefined;
    if (typeof type !== 'string') return undefined;
    const event: HistoryEvent = { id, previousEventId, timestamp, type };
    if (typeof member === 'string') event.detailsMember = member;
    if (typeof details === 'object') event.details = copy(details);
    return event;
  }
}

interface MapRunKey {
  startDate: number;
  arn: string;
}
const oldestFirst = (a: MapRunKey, b: MapRunKey): number =>
  a.startDate - b.startDate || compareText(a.arn, b.arn);

interface ChildKey {
  index: number | undefined;
  arn: string;
}
/** Item order; a child without an index sorts first, as NULL does in SQLite's ascending order. */
const byItemIndex = (a: ChildKey, b: ChildKey): number => {
  if (a.index !== b.index) {
    if (a.index === undefined) return -1;
    if (b.index === undefined) return 1;
    return a.index - b.index;
  }
  return compareText(a.arn, b.arn);
};

/** A state machine as stored: the current revision lives with the other revisions. */
type StoredStateMachine = Omit<StateMachineRecord, 'current'> & { currentKey: string };

/** Takes `limit + 1` items from `source`; the extra one only tells that more follow. */
function takePage<T, C>(
  source: Iterable<T>,
  limit: number,
  cursor: (item: T) => C,
  out: (item: T) => T,
): Page<T, C> {
  const items: T[] = [];
  let more = false;
  for (const item of source) {
    if (items.length === limit) {
      more = true;
      break;
    }
    items.push(out(item));
  }
  const last = items[items.length - 1];
  return more && last !== undefined ? { items, next: cursor(last) } : { items };
}

function* from<T>(list: SortedList<T>, start: number): Iterable<T> {
  for (let i = start; i < list.items.length; i++) {
    const item = list.items[i];
    if (item !== undefined) yield item;
  }
}

function* backwardsFrom<T>(list: SortedList<T>, start: number): Iterable<T> {
  for (let i = start; i >= 0; i--) {
    const item = list.items[i];
    if (item !== undefined) yield item;
  }
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;

  private readonly activities = new Map<string, ActivityRecord>();
  private readonly activityByName = new Map<string, string>();
  private readonly activityOrder = new SortedList<NameCursor>(byCreation);

  private readonly stateMachines = new Map<string, StoredStateMachine>();
  private readonly stateMachineOrder = new SortedList<NameCursor>(byCreation);
  /** state machine ARN → revision key → revision */
  private readonly revisions = new Map<string, Map<string, StateMachineRevision>>();
  /** state machine ARN → version number → version */
  private readonly versions = new Map<string, Map<number, StateMachineVersionRecord>>();
  /** state machine ARN → the highest version number it ever published (numbers are not reused) */
  private readonly lastVersion = new Map<string, number>();
  /** state machine ARN → alias name → alias */
  private readonly aliases = new Map<string, Map<string, StateMachineAliasRecord>>();
  /** state machine or activity ARN → key → value, in the order keys were first set */
  private readonly tags = new Map<string, Map<string, string>>();

  private readonly executions = new Map<string, ExecutionRecord>();
  /** state machine ARN → its executions, oldest first (listed from the end: newest first) */
  private readonly executionOrder = new Map<string, SortedList<ExecutionCursor>>();
  /** version or alias ARN → the executions started through it, oldest first (in executionOrder too) */
  private readonly qualifiedOrder = new Map<string, SortedList<ExecutionCursor>>();
  /** Map Run ARN → its child executions, oldest first (they are in executionOrder too) */
  private readonly childOrder = new Map<string, SortedList<ExecutionCursor>>();
  /** Map Run ARN → its child executions in item order */
  private readonly childIndexOrder = new Map<string, SortedList<ChildKey>>();

  private readonly mapRuns = new Map<string, MapRunRecord>();
  /** Map Run ARN → item inputs (JSON text) by index */
  private readonly mapRunItems = new Map<string, string[]>();
  /** execution ARN → its Map Runs, oldest first */
  private readonly mapRunOrder = new Map<string, SortedList<MapRunKey>>();
  private readonly runningMapRunOrder = new SortedList<MapRunKey>(oldestFirst);
  /** execution ARN → thread id → a private copy of the thread */
  private readonly threads = new Map<string, Map<string, ThreadRecord>>();
  /** execution ARN → its redrive snapshot (private copies), for closed executions that have one */
  private readonly redriveThreads = new Map<string, ThreadRecord[]>();
  private readonly history = new Map<string, HistoryLog>();

  private readonly tasks = new Map<string, ActivityTaskRecord>();
  /** activity ARN → its queued tasks, oldest first */
  private readonly queues = new Map<string, SortedList<QueueKey>>();
  /** Task claims (token → end of lease); removeTask drops them, as deleting or re-putting does. */
  private readonly taskClaims = new Map<string, number>();

  /** Activities marked as answered by people (the console's inbox). */
  private readonly human = new Set<string>();

  private readonly timers = new Map<string, TimerRecord>();
  private readonly timerOrder = new SortedList<TimerKey>(byDue);
  /** Timer claims (id → end of lease); removeTimer drops them, as deleting or re-putting does. */
  private readonly claims = new Map<string, number>();

  createActivity(activity: ActivityRecord, tags: Tag[] = []): Promise<ActivityRecord> {
    return run(() => {
      const existingArn = this.activityByName.get(activity.name);
      const existing = existingArn === undefined ? undefined : this.activities.get(existingArn);
      if (existing !== undefined) return copy(existing);
      if (this.activities.has(activity.activityArn)) {
        throw new Error(`activity ARN already used by another name: ${activity.activityArn}`);
      }
      this.activities.set(activity.activityArn, copy(activity));
      this.setTags(activity.activityArn, tags);
      this.activityByName.set(activity.name, activity.activityArn);
      this.activityOrder.insert({ creationDate: activity.creationDate, arn: activity.activityArn });
      return copy(activity);
    });
  }

  getActivity(activityArn: string): Promise<ActivityRecord | undefined> {
    return run(() => {
      const activity = this.activities.get(activityArn);
      return activity === undefined ? undefined : copy(activity);
    });
  }

  listActivities(page: PageRequest<NameCursor>): Promise<Page<ActivityRecord, NameCursor>> {
    return run(() => {
      checkLimit(page.limit);
      const start = page.after === undefined ? 0 : this.activityOrder.seek(page.after);
      const records = this.lookup(from(this.activityOrder, start), this.activities);
      return takePage(
        records,
        page.limit,
        (a) => ({ creationDate: a.creationDate, arn: a.activityArn }),
        copy,
      );
    });
  }

  deleteActivity(activityArn: string): Promise<void> {
    return run(() => {
      const activity = this.activities.get(activityArn);
      if (activity === undefined) return;
      this.activities.delete(activityArn);
      this.activityByName.delete(activity.name);
      this.activityOrder.remove({ creationDate: activity.creationDate, arn: activityArn });
      this.human.delete(activityArn);
      this.tags.delete(activityArn);
    });
  }

  createStateMachine(
    stateMachine: StateMachineRecord,
    tags: Tag[] = [],
    publish?: { description?: string },
  ): Promise<{ created: true } | { created: false; existing: StateMachineRecord }> {
    return run(() => {
      const arn = stateMachine.stateMachineArn;
      const existing = this.getStateMachineNow(arn);
      if (existing !== undefined) return { created: false as const, existing };
      const { current, ...rest } = copy(stateMachine);
      this.storeRevision(current);
      this.stateMachines.set(arn, { ...rest, currentKey: current.revisionKey });
      this.setTags(arn, tags);
      this.stateMachineOrder.insert({ creationDate: stateMachine.creationDate, arn });
      if (publish !== undefined) {
        this.addVersion(
          versionRecord(arn, 1, current.revisionKey, stateMachine.creationDate, {
            revisionId: stateMachine.revisionId,
            description: publish.description,
          }),
        );
      }
      return { created: true as const };
    });
  }

  getStateMachine(stateMachineArn: string): Promise<StateMachineRecord | undefined> {
    return run(() => this.getStateMachineNow(stateMachineArn));
  }

  listStateMachines(page: PageRequest<NameCursor>): Promise<Page<StateMachineRecord, NameCursor>> {
    return run(() => {
      checkLimit(page.limit);
      const start = page.after === undefined ? 0 : this.stateMachineOrder.seek(page.after);
      const records = this.mapDefined(from(this.stateMachineOrder, start), (key) =>
        this.getStateMachineNow(key.arn),
      );
      // getStateMachineNow already answers copies.
      return takePage(
        records,
        page.limit,
        (m) => ({ creationDate: m.creationDate, arn: m.stateMachineArn }),
        (m) => m,
      );
    });
  }

  updateStateMachine(
    stateMachineArn: string,
    revision: StateMachineRevision,
    update: { updateDate: number; revisionId: string },
  ): Promise<boolean> {
    return run(() => {
      const stored = this.stateMachines.get(stateMachineArn);
      if (stored === undefined) return false;
      this.storeRevision({ ...copy(revision), stateMachineArn });
      stored.currentKey = revision.revisionKey;
      stored.updateDate = update.updateDate;
      stored.revisionId = update.revisionId;
      return true;
    });
  }

  deleteStateMachine(stateMachineArn: string): Promise<void> {
    return run(() => {
      const stored = this.stateMachines.get(stateMachineArn);
      if (stored !== undefined) {
        this.stateMachines.delete(stateMachineArn);
        this.stateMachineOrder.remove({ creationDate: stored.creationDate, arn: stateMachineArn });
        this.tags.delete(stateMachineArn);
      }
      this.versions.delete(stateMachineArn);
      this.lastVersion.delete(stateMachineArn);
      this.aliases.delete(stateMachineArn);
      const revisions = this.revisions.get(stateMachineArn);
      if (revisions === undefined) return;
      const inUse = new Set<string>();
      for (const key of this.executionOrder.get(stateMachineArn)?.items ?? []) {
        const execution = this.executions.get(key.arn);
        if (execution !== undefined) inUse.add(execution.revisionKey);
      }
      for (const revisionKey of [...revisions.keys()]) {
        if (!inUse.has(revisionKey)) revisions.delete(revisionKey);
      }
      if (revisions.size === 0) this.revisions.delete(stateMachineArn);
    });
  }

  getRevision(stateMachineArn: string, revisionKey: string): Promise<StateMachineRevision | undefined> {
    return run(() => {
      const revision = this.revisions.get(stateMachineArn)?.get(revisionKey);
      return revision === undefined ? undefined : copy(revision);
    });
  }

  publishStateMachineVersion(stateMachineArn: string, request: PublishRequest): Promise<PublishOutcome> {
    return run((): PublishOutcome => {
      const stored = this.stateMachines.get(stateMachineArn);
      if (stored === undefined) return { kind: 'noStateMachine' };
      const versions = this.versions.get(stateMachineArn);
      if (request.update === undefined) {
        if (stored.currentKey !== request.revisionKey) return { kind: 'revisionChanged' };
        for (const version of versions?.values() ?? []) {
          if (version.revisionKey === request.revisionKey)
            return { kind: 'existing', version: copy(version) };
        }
      }
      // Checked before anything is written: a refused publish leaves the machine as it was.
      if ((versions?.size ?? 0) >= request.maxVersions) return { kind: 'quotaExceeded' };
      const update = request.update;
      if (update !== undefined) {
        this.storeRevision({ ...copy(update.revision), stateMachineArn });
        stored.currentKey = update.revision.revisionKey;
        stored.updateDate = update.updateDate;
        stored.revisionId = update.revisionId;
      }
      const version = versionRecord(
        stateMachineArn,
        (this.lastVersion.get(stateMachineArn) ?? 0) + 1,
        request.revisionKey,
        request.creationDate,
        request,
      );
      this.addVersion(version);
      return { kind: 'published', version: copy(version) };
    });
  }

  private addVersion(version: StateMachineVersionRecord): void {
    let versions = this.versions.get(version.stateMachineArn);
    if (versions === undefined) {
      versions = new Map();
      this.versions.set(version.stateMachineArn, versions);
    }
    versions.set(version.version, version);
    this.lastVersion.set(version.stateMachineArn, version.version);
  }

  getStateMachineVersion(
    stateMachineArn: string,
    version: number,
  ): Promise<StateMachineVersionRecord | undefined> {
    return run(() => {
      const record = this.versions.get(stateMachineArn)?.get(version);
      return record === undefined ? undefined : copy(record);
    });
  }

  listStateMachineVersions(
    stateMachineArn: string,
    page: PageRequest<number>,
  ): Promise<Page<StateMachineVersionRecord, number>> {
    return run(() => {
      checkLimit(page.limit);
      const after = page.after;
      const newestFirst = [...(this.versions.get(stateMachineArn)?.values() ?? [])]
        .filter((v) => after === undefined || v.version < after)
        .sort((a, b) => b.version - a.version);
      return takePage(newestFirst, page.limit, (v) => v.version, copy);
    });
  }

  deleteStateMachineVersion(
    stateMachineArn: string,
    version: number,
  ): Promise<{ deleted: true } | { deleted: false; aliases: string[] }> {
    return run(() => {
      const aliases = aliasesRoutingTo(this.aliases.get(stateMachineArn)?.values() ?? [], version);
      if (aliases.length > 0) return { deleted: false as const, aliases };
      this.versions.get(stateMachineArn)?.delete(version);
      return { deleted: true as const };
    });
  }

  createStateMachineAlias(alias: StateMachineAliasRecord, maxAliases: number): Promise<AliasCreateOutcome> {
    return run((): AliasCreateOutcome => {
      const arn = alias.stateMachineArn;
      if (!this.stateMachines.has(arn)) return { kind: 'noStateMachine' };
      const aliases = this.aliases.get(arn) ?? new Map<string, StateMachineAliasRecord>();
      const existing = aliases.get(alias.name);
      if (existing !== undefined) return { kind: 'exists', existing: copy(existing) };
      const missing = this.missingVersion(arn, alias.routing);
      if (missing !== undefined) return { kind: 'missingVersion', version: missing };
      if (aliases.size >= maxAliases) return { kind: 'quotaExceeded' };
      aliases.set(alias.name, copy(alias));
      this.aliases.set(arn, aliases);
      return { kind: 'created' };
    });
  }

  private missingVersion(stateMachineArn: string, routing: readonly AliasRoute[]): number | undefined {
    const versions = this.versions.get(stateMachineArn);
    return routing.find((route) => versions?.has(route.version) !== true)?.version;
  }

  getStateMachineAlias(stateMachineArn: string, name: string): Promise<StateMachineAliasRecord | undefined> {
    return run(() => {
      const alias = this.aliases.get(stateMachineArn)?.get(name);
      return alias === undefined ? undefined : copy(alias);
    });
  }

  listStateMachineAliases(stateMachineArn: string): Promise<StateMachineAliasRecord[]> {
    return run(() =>
      [...(this.aliases.get(stateMachineArn)?.values() ?? [])]
        .sort((a, b) => a.creationDate - b.creationDate || compareText(a.name, b.name))
        .map(copy),
    );
  }

  updateStateMachineAlias(
    stateMachineArn: string,
    name: string,
    change: { description?: string; routing?: AliasRoute[]; updateDate: number },
  ): Promise<AliasUpdateOutcome> {
    return run((): AliasUpdateOutcome => {
      const alias = this.aliases.get(stateMachineArn)?.get(name);
      if (alias === undefined) return { kind: 'missing' };
      if (change.routing !== undefined) {
        const missing = this.missingVersion(stateMachineArn, change.routing);
        if (missing !== undefined) return { kind: 'missingVersion', version: missing };
        alias.routing = copy(change.routing);
      }
      if (change.description !== undefined) alias.description = change.description;
      alias.updateDate = change.updateDate;
      return { kind: 'updated', alias: copy(alias) };
    });
  }

  deleteStateMachineAlias(stateMachineArn: string, name: string): Promise<void> {
    return run(() => {
      const aliases = this.aliases.get(stateMachineArn);
      aliases?.delete(name);
      if (aliases?.size === 0) this.aliases.delete(stateMachineArn);
    });
  }

  listTags(resourceArn: string): Promise<Tag[] | undefined> {
    return run(() => {
      if (!this.taggable(resourceArn)) return undefined;
      return [...(this.tags.get(resourceArn) ?? [])].map(([key, value]) => ({ key, value }));
    });
  }

  tagResource(resourceArn: string, tags: Tag[], maxTags: number): Promise<TagOutcome> {
    return run(() => {
      if (!this.taggable(resourceArn)) return 'notFound';
      const distinct = distinctTags(tags);
      if (taggedCount(this.tags.get(resourceArn)?.keys() ?? [], distinct) > maxTags) return 'tooManyTags';
      this.setTags(resourceArn, distinct);
      return 'tagged';
    });
  }

  untagResource(resourceArn: string, keys: string[]): Promise<boolean> {
    return run(() => {
      if (!this.taggable(resourceArn)) return false;
      const tags = this.tags.get(resourceArn);
      if (tags === undefined) return true;
      for (const key of keys) tags.delete(key);
      if (tags.size === 0) this.tags.delete(resourceArn);
      return true;
    });
  }

  private taggable(resourceArn: string): boolean {
    return this.activities.has(resourceArn) || this.stateMachines.has(resourceArn);
  }

  /** Map.set keeps a present key where it is, as the SQL stores keep its position. */
  private setTags(resourceArn: string, tags: readonly Tag[]): void {
    if (tags.length === 0) return;
    let stored = this.tags.get(resourceArn);
    if (stored === undefined) {
      stored = new Map();
      this.tags.set(resourceArn, stored);
    }
    for (const tag of tags) stored.set(tag.key, tag.value);
  }

  createExecution(execution: ExecutionRecord, first: TransitionCommit): Promise<CreateExecutionResult> {
    return run((): CreateExecutionResult => {
      const arn = execution.executionArn;
      const existing = this.executions.get(arn);
      if (existing !== undefined) return { created: false, existing: copy(existing) };
      if (first.executionArn !== arn || first.expectedVersion !== execution.version) {
        throw new Error(`first transition does not match execution ${arn}`);
      }
      this.validateEvents(first);
      this.executions.set(arn, copy(execution));
      let order = this.executionOrder.get(execution.stateMachineArn);
      if (order === undefined) {
        order = new SortedList(oldestFirstExecutions);
        this.executionOrder.set(execution.stateMachineArn, order);
      }
      order.insert({ startDate: execution.startDate, arn });
      if (execution.stateMachineVersionArn !== undefined) {
        this.indexQualified(execution.stateMachineVersionArn, execution.startDate, arn);
      }
      if (execution.stateMachineAliasArn !== undefined) {
        this.indexQualified(execution.stateMachineAliasArn, execution.startDate, arn);
      }
      if (execution.mapRunArn !== undefined) {
        listIn(this.childOrder, execution.mapRunArn, oldestFirstExecutions).insert({
          startDate: execution.startDate,
          arn,
        });
        listIn(this.childIndexOrder, execution.mapRunArn, byItemIndex).insert({
          index: execution.mapRunIndex,
          arn,
        });
      }
      this.apply(first);
      return { created: true };
    });
  }

  private indexQualified(qualifiedArn: string, startDate: number, arn: string): void {
    listIn(this.qualifiedOrder, qualifiedArn, oldestFirstExecutions).insert({ startDate, arn });
  }

  getExecution(executionArn: string): Promise<ExecutionRecord | undefined> {
    return run(() => {
      const execution = this.executions.get(executionArn);
      return execution === undefined ? undefined : copy(execution);
    });
  }

  listExecutions(
    filter: ExecutionFilter,
    page: PageRequest<ExecutionCursor>,
  ): Promise<Page<ExecutionRecord, ExecutionCursor>> {
    return run(() => {
      checkLimit(page.limit);
      const parent = executionParent(filter);
      const lists =
        parent.by === 'machine'
          ? this.executionOrder
          : parent.by === 'mapRun'
            ? this.childOrder
            : this.qualifiedOrder;
      const order = lists.get(parent.arn);
      if (order === undefined) return { items: [] };
      // Newest first is this list backwards: a cursor's successors are the entries before it.
      const start = page.after === undefined ? order.size - 1 : order.seek(page.after, true) - 1;
      const records = this.lookup(backwardsFrom(order, start), this.executions);
      const { status, redriven } = filter;
      const matching =
        status === undefined && redriven === undefined
          ? records
          : filterIterable(
              records,
              (execution) =>
                (status === undefined || execution.status === status) &&
                (redriven === undefined || execution.redriveCount > 0 === redriven),
            );
      return takePage(matching, page.limit, (e) => ({ startDate: e.startDate, arn: e.executionArn }), copy);
    });
  }

  /**
   * Forgets a closed execution entirely. Express executions keep no history on the server (AWS
   * sends it to CloudWatch Logs), so the runtime drops each one once its caller has the result.
   */
  forgetExecution(executionArn: string): void {
    const execution = this.executions.get(executionArn);
    if (execution === undefined) return;
    this.executions.delete(executionArn);
    this.executionOrder
      .get(execution.stateMachineArn)
      ?.remove({ startDate: execution.startDate, arn: executionArn });
    const key = { startDate: execution.startDate, arn: executionArn };
    if (execution.stateMachineVersionArn !== undefined) {
      removeFrom(this.qualifiedOrder, execution.stateMachineVersionArn, key);
    }
    if (execution.stateMachineAliasArn !== undefined) {
      removeFrom(this.qualifiedOrder, execution.stateMachineAliasArn, key);
    }
    const mapRunArn = execution.mapRunArn;
    if (mapRunArn !== undefined) {
      // Express children are forgotten one by one, so drop a Map Run's lists once they empty.
      removeFrom(this.childOrder, mapRunArn, { startDate: execution.startDate, arn: executionArn });
      removeFrom(this.childIndexOrder, mapRunArn, { index: execution.mapRunIndex, arn: executionArn });
    }
    this.history.delete(executionArn);
    this.threads.delete(executionArn);
    this.redriveThreads.delete(executionArn);
  }

  loadThreads(executionArn: string): Promise<ThreadRecord[]> {
    return run(() => {
      const threads = this.threads.get(executionArn);
      if (threads === undefined) return [];
      return [...threads.entries()].sort(([a], [b]) => compareText(a, b)).map(([, thread]) => copy(thread));
    });
  }

  loadRedriveThreads(executionArn: string): Promise<ThreadRecord[]> {
    return run(() =>
      [...(this.redriveThreads.get(executionArn) ?? [])]
        .sort((a, b) => compareText(a.id, b.id))
        .map((thread) => copy(thread)),
    );
  }

  commitTransition(commit: TransitionCommit): Promise<boolean> {
    return run(() => {
      const execution = this.executions.get(commit.executionArn);
      if (execution === undefined || execution.version !== commit.expectedVersion) return false;
      // Everything that could fail is checked before the first write, so a failure changes nothing.
      this.validateEvents(commit);
      this.apply(commit);
      return true;
    });
  }

  getHistory(query: HistoryQuery): Promise<HistoryEvent[]> {
    return run(() => {
      checkLimit(query.limit);
      const events = this.history.get(query.executionArn) ?? new HistoryLog();
      const out: HistoryEvent[] = [];
      if (query.reverse) {
        let i = events.size - 1;
        if (query.afterId !== undefined) {
          i = events.indexOf(query.afterId) - 1;
        }
        for (; i >= 0 && out.length < query.limit; i--) {
          const event = events.event(i);
          if (event !== undefined) out.push(event);
        }
      } else {
        let i = query.afterId === undefined ? 0 : events.indexOf(query.afterId + 1);
        for (; i < events.size && out.length < query.limit; i++) {
          const event = events.event(i);
          if (event !== undefined) out.push(event);
        }
      }
      return out;
    });
  }

  putRevision(revision: StateMachineRevision): Promise<void> {
    return run(() => {
      this.storeRevision(revision);
    });
  }

  createMapRun(mapRun: MapRunRecord, items: string[]): Promise<void> {
    return run(() => {
      const arn = mapRun.mapRunArn;
      // SQLite's primary key refuses a second Map Run under the same ARN.
      if (this.mapRuns.has(arn)) throw new Error(`map run already exists: ${arn}`);
      const stored = copy(mapRun);
      this.mapRuns.set(arn, stored);
      this.mapRunItems.set(arn, [...items]);
      this.indexMapRun(stored);
    });
  }

  getMapRun(mapRunArn: string): Promise<MapRunRecord | undefined> {
    return run(() => {
      const mapRun = this.mapRuns.get(mapRunArn);
      return mapRun === undefined ? undefined : copy(mapRun);
    });
  }

  listMapRuns(executionArn: string): Promise<MapRunRecord[]> {
    return run(() =>
      [...this.lookup(this.mapRunOrder.get(executionArn)?.items ?? [], this.mapRuns)].map(copy),
    );
  }

  updateMapRun(mapRun: MapRunRecord, expectedVersion: number): Promise<boolean> {
    return run(() => {
      const arn = mapRun.mapRunArn;
      const stored = this.mapRuns.get(arn);
      if (stored === undefined || stored.version !== expectedVersion) return false;
      // The whole record is replaced, as SQLite's UPDATE sets every column; the keys it is
      // indexed by may have changed with it.
      this.unindexMapRun(stored);
      const next = copy({ ...mapRun, version: expectedVersion + 1 });
      this.mapRuns.set(arn, next);
      this.indexMapRun(next);
      return true;
    });
  }

  getMapRunItem(mapRunArn: string, index: number): Promise<string | undefined> {
    return run(() => this.mapRunItems.get(mapRunArn)?.[index]);
  }

  runningMapRuns(): Promise<MapRunRecord[]> {
    return run(() => [...this.lookup(this.runningMapRunOrder.items, this.mapRuns)].map(copy));
  }

  mapRunChildren(mapRunArn: string): Promise<ExecutionRecord[]> {
    return run(() =>
      [...this.lookup(this.childIndexOrder.get(mapRunArn)?.items ?? [], this.executions)].map(copy),
    );
  }

  nextQueuedTask(activityArn: string): Promise<ActivityTaskRecord | undefined> {
    return run(() => {
      const key = this.queues.get(activityArn)?.first;
      const task = key === undefined ? undefined : this.tasks.get(key.token);
      return task === undefined ? undefined : copy(task);
    });
  }

  claimQueuedTask(
    activityArn: string,
    now: number,
    leaseMs: number,
  ): Promise<ActivityTaskRecord | undefined> {
    return run(() => {
      for (const key of this.queues.get(activityArn)?.items ?? []) {
        const until = this.taskClaims.get(key.token);
        const task = this.tasks.get(key.token);
        if ((until !== undefined && until > now) || task === undefined) continue;
        this.taskClaims.set(key.token, now + leaseMs);
        return copy(task);
      }
      return undefined;
    });
  }

  releaseTaskClaim(token: string): Promise<void> {
    return run(() => {
      this.taskClaims.delete(token);
    });
  }

  activitiesWithQueuedTasks(): Promise<string[]> {
    return run(() =>
      [...this.queues.entries()]
        .filter(([, queue]) => queue.size > 0)
        .map(([activityArn]) => activityArn)
        .sort(compareText),
    );
  }

  listActivityTasks(activityArn: string, limit: number): Promise<ActivityTaskRecord[]> {
    return run(() => {
      checkLimit(limit);
      return [...this.tasks.values()]
        .filter((task) => task.activityArn === activityArn)
        .sort((a, b) => a.scheduledAt - b.scheduledAt || compareText(a.token, b.token))
        .slice(0, limit)
        .map(copy);
    });
  }

  countActivityTasks(activityArn: string): Promise<ActivityTaskCounts> {
    return run(() => {
      const counts: ActivityTaskCounts = { queued: 0, started: 0 };
      for (const task of this.tasks.values()) {
        if (task.activityArn !== activityArn) continue;
        if (task.status === 'queued') counts.queued++;
        else counts.started++;
      }
      return counts;
    });
  }

  setActivityHuman(activityArn: string, human: boolean): Promise<void> {
    return run(() => {
      if (human) this.human.add(activityArn);
      else this.human.delete(activityArn);
    });
  }

  humanActivities(): Promise<string[]> {
    return run(() => [...this.human].sort(compareText));
  }

  searchExecutions(
    filter: ExecutionSearch,
    page: PageRequest<ExecutionCursor>,
  ): Promise<Page<ExecutionRecord, ExecutionCursor>> {
    return run(() => {
      checkLimit(page.limit);
      const after = page.after;
      const prefix = filter.namePrefix ?? '';
      const matching = [...this.executions.values()]
        .filter(
          (e) =>
            (filter.stateMachineArn !== undefined
              ? e.stateMachineArn === filter.stateMachineArn
              : e.mapRunArn === undefined) &&
            (filter.status === undefined || e.status === filter.status) &&
            e.name.startsWith(prefix) &&
            (filter.startedAfter === undefined || e.startDate >= filter.startedAfter) &&
            (filter.startedBefore === undefined || e.startDate < filter.startedBefore) &&
            (after === undefined || newestFirst({ startDate: e.startDate, arn: e.executionArn }, after) > 0),
        )
        .sort((a, b) =>
          newestFirst(
            { startDate: a.startDate, arn: a.executionArn },
            { startDate: b.startDate, arn: b.executionArn },
          ),
        );
      return takePage(matching, page.limit, (e) => ({ startDate: e.startDate, arn: e.executionArn }), copy);
    });
  }

  countExecutions(stateMachineArn: string): Promise<Partial<Record<ExecutionStatus, number>>> {
    return run(() => {
      const counts: Partial<Record<ExecutionStatus, number>> = {};
      for (const key of this.executionOrder.get(stateMachineArn)?.items ?? []) {
        const execution = this.executions.get(key.arn);
        if (execution !== undefined) counts[execution.status] = (counts[execution.status] ?? 0) + 1;
      }
      return counts;
    });
  }

  getActivityTask(token: string): Promise<ActivityTaskRecord | undefined> {
    return run(() => {
      const task = this.tasks.get(token);
      return task === undefined ? undefined : copy(task);
    });
  }

  dueTimers(now: number, limit: number): Promise<TimerRecord[]> {
    return run(() => {
      checkLimit(limit);
      const out: TimerRecord[] = [];
      for (const key of this.timerOrder.items) {
        if (key.dueAt > now || out.length === limit) break;
        const timer = this.timers.get(key.id);
        if (timer !== undefined) out.push(copy(timer));
      }
      return out;
    });
  }

  claimDueTimers(now: number, limit: number, leaseMs: number): Promise<TimerRecord[]> {
    return run(() => {
      checkLimit(limit);
      const out: TimerRecord[] = [];
      for (const key of this.timerOrder.items) {
        if (key.dueAt > now || out.length === limit) break;
        const until = this.claims.get(key.id);
        const timer = this.timers.get(key.id);
        if ((until !== undefined && until > now) || timer === undefined) continue;
        this.claims.set(key.id, now + leaseMs);
        out.push(copy(timer));
      }
      return out;
    });
  }

  releaseTimerClaim(id: string, claimableAt: number): Promise<void> {
    return run(() => {
      if (this.claims.has(id)) this.claims.set(id, claimableAt);
    });
  }

  nextTimerDue(): Promise<number | undefined> {
    return run(() => {
      if (this.claims.size === 0) return this.timerOrder.first?.dueAt;
      // The earlier of the first unclaimed due time and the first lease end.
      let next: number | undefined;
      for (const until of this.claims.values()) next = next === undefined ? until : Math.min(next, until);
      for (const key of this.timerOrder.items) {
        if (next !== undefined && key.dueAt >= next) break;
        if (!this.claims.has(key.id)) return key.dueAt;
      }
      return next;
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private getStateMachineNow(stateMachineArn: string): StateMachineRecord | undefined {
    const stored = this.stateMachines.get(stateMachineArn);
    if (stored === undefined) return undefined;
    const current = this.revisions.get(stateMachineArn)?.get(stored.currentKey);
    if (current === undefined) throw new Error(`current revision missing for ${stateMachineArn}`);
    const { currentKey: _currentKey, ...rest } = stored;
    return copy({ ...rest, current });
  }

  /** Revisions are immutable: writing a key twice keeps the first, as SQLite's INSERT OR IGNORE does. */
  private storeRevision(revision: StateMachineRevision): void {
    let revisions = this.revisions.get(revision.stateMachineArn);
    if (revisions === undefined) {
      revisions = new Map();
      this.revisions.set(revision.stateMachineArn, revisions);
    }
    if (!revisions.has(revision.revisionKey)) revisions.set(revision.revisionKey, copy(revision));
  }

  private indexMapRun(mapRun: MapRunRecord): void {
    const key = { startDate: mapRun.startDate, arn: mapRun.mapRunArn };
    listIn(this.mapRunOrder, mapRun.executionArn, oldestFirst).insert(key);
    if (mapRun.status === 'RUNNING') this.runningMapRunOrder.insert(key);
  }

  private unindexMapRun(mapRun: MapRunRecord): void {
    const key = { startDate: mapRun.startDate, arn: mapRun.mapRunArn };
    removeFrom(this.mapRunOrder, mapRun.executionArn, key);
    if (mapRun.status === 'RUNNING') this.runningMapRunOrder.remove(key);
  }

  /** Refuses event ids that already exist, as the history table's primary key does. */
  private validateEvents(commit: TransitionCommit): void {
    const existing = this.history.get(commit.executionArn);
    // The usual commit: ids ascending, all after the last one stored. Only others need a look-up.
    let last = existing?.lastId ?? -Infinity;
    let ascending = true;
    for (const event of commit.events) {
      if (event.id <= last) {
        ascending = false;
        break;
      }
      last = event.id;
    }
    if (ascending) return;
    const seen = new Set<number>();
    for (const event of commit.events) {
      if (seen.has(event.id) || existing?.has(event.id) === true) {
        throw new Error(`history event ${event.id} already exists for ${commit.executionArn}`);
      }
      seen.add(event.id);
    }
  }

  /** Writes a commit already validated (the version matched; event ids are free). Cannot fail. */
  private apply(commit: TransitionCommit): void {
    const arn = commit.executionArn;
    const execution = this.executions.get(arn);
    if (execution === undefined) return;
    // Members are strings, numbers and null, read one by one: no copy needed.
    const patch = commit.execution;
    if (patch.redriven !== undefined) {
      delete execution.output;
      delete execution.error;
      delete execution.cause;
      delete execution.stopDate;
      execution.redriveCount = patch.redriven.redriveCount;
      execution.redriveDate = patch.redriven.redriveDate;
    }
    if (commit.redriveTokens !== undefined) {
      if (commit.redriveTokens.length > 0) execution.redriveTokens = copy(commit.redriveTokens);
      else delete execution.redriveTokens;
    }
    if (commit.redriveThreads !== undefined) {
      if (commit.redriveThreads.length > 0) {
        this.redriveThreads.set(
          arn,
          commit.redriveThreads.map((thread) => copy(thread)),
        );
        execution.redrivable = true;
      } else {
        this.redriveThreads.delete(arn);
        delete execution.redrivable;
      }
    }
    execution.status = patch.status;
    execution.nextEventId = patch.nextEventId;
    if (patch.output !== undefined) execution.output = patch.output;
    if (patch.error !== undefined) execution.error = patch.error;
    if (patch.cause !== undefined) execution.cause = patch.cause;
    if (patch.stopDate !== undefined) execution.stopDate = patch.stopDate;
    execution.version = commit.expectedVersion + 1;

    if (commit.events.length > 0) {
      let history = this.history.get(arn);
      if (history === undefined) {
        history = new HistoryLog();
        this.history.set(arn, history);
      }
      const handedOver = commit.eventsHandedOver === true;
      for (const event of commit.events) {
        const details = handedOver || event.details === undefined ? event.details : copy(event.details);
        // ExecutionStarted's input is the execution's input as a second string of the same
        // text: one is kept (≈ 10% of what a short execution leaves in memory).
        if (details !== undefined && details['input'] === execution.input) details['input'] = execution.input;
        history.add(event, details);
      }
    }

    let threads = this.threads.get(arn);
    for (const id of commit.threadsDeleted) threads?.delete(id);
    if (commit.threadsPut.length > 0) {
      if (threads === undefined) {
        threads = new Map();
        this.threads.set(arn, threads);
      }
      for (const thread of commit.threadsPut) threads.set(thread.id, copy(thread));
    }
    if (threads !== undefined && threads.size === 0) this.threads.delete(arn);

    for (const token of commit.tasksDeleted) this.removeTask(token);
    for (const task of commit.tasksPut) {
      this.removeTask(task.token);
      this.tasks.set(task.token, copy(task));
      if (task.status === 'queued') {
        let queue = this.queues.get(task.activityArn);
        if (queue === undefined) {
          queue = new SortedList(byScheduled);
          this.queues.set(task.activityArn, queue);
        }
        queue.insert({ scheduledAt: task.scheduledAt, token: task.token });
      }
    }

    for (const id of commit.timersDeleted) this.removeTimer(id);
    for (const timer of commit.timersPut) {
      this.removeTimer(timer.id);
      this.timers.set(timer.id, copy(timer));
      this.timerOrder.insert({ dueAt: timer.dueAt, id: timer.id });
    }
  }

  private removeTask(token: string): void {
    const task = this.tasks.get(token);
    if (task === undefined) return;
    this.tasks.delete(token);
    this.taskClaims.delete(token);
    if (task.status !== 'queued') return;
    const queue = this.queues.get(task.activityArn);
    if (queue === undefined) return;
    queue.remove({ scheduledAt: task.scheduledAt, token });
    if (queue.size === 0) this.queues.delete(task.activityArn);
  }

  private removeTimer(id: string): void {
    const timer = this.timers.get(id);
    if (timer === undefined) return;
    this.timers.delete(id);
    this.claims.delete(id);
    this.timerOrder.remove({ dueAt: timer.dueAt, id });
  }

  private *lookup<K extends { arn: string }, V>(keys: Iterable<K>, records: Map<string, V>): Iterable<V> {
    for (const key of keys) {
      const record = records.get(key.arn);
      if (record !== undefined) yield record;
    }
  }

  private *mapDefined<K, V>(keys: Iterable<K>, map: (key: K) => V | undefined): Iterable<V> {
    for (const key of keys) {
      const value = map(key);
      if (value !== undefined) yield value;
    }
  }
}

/** The list under `key`, created empty when missing. */
function listIn<T>(
  lists: Map<string, SortedList<T>>,
  key: string,
  compare: (a: T, b: T) => number,
): SortedList<T> {
  let list = lists.get(key);
  if (list === undefined) {
    list = new SortedList(compare);
    lists.set(key, list);
  }
  return list;
}

/** Removes `item` from the list under `key`, and the list itself once empty. */
function removeFrom<T>(lists: Map<string, SortedList<T>>, key: string, item: T): void {
  const list = lists.get(key);
  if (list === undefined) return;
  list.remove(item);
  if (list.size === 0) lists.delete(key);
}

function* filterIterable<T>(items: Iterable<T>, keep: (item: T) => boolean): Iterable<T> {
  for (const item of items) if (keep(item)) yield item;
}
