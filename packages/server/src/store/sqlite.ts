/**
 * The default store: one SQLite file through better-sqlite3.
 *
 * better-sqlite3 is synchronous: reads do their work before answering. Writes are queued and
 * applied together at the end of the event-loop turn that issued them, in one transaction
 * (group commit), each in a savepoint of its own so that one failing or losing its version check
 * leaves the others alone; every caller is answered only once that transaction has committed,
 * so an acknowledged write is durable as before. Writes apply in the order they were issued.
 * Why: a commit's cost is mostly writing the pages it touched to the WAL, and commits of one
 * turn share their hot pages (the right edge of the tables and indexes they append to).
 * Every statement is prepared once in the constructor because `commitTransition` runs for each
 * step of every execution.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type {
  ActivityTaskRecord,
  ExecutionStatus,
  HistoryEvent,
  ThreadRecord,
  TimerRecord,
} from '@stepwise/core';
import { ROOT_THREAD } from '@stepwise/core';
import { sqliteMigrations } from './sqlite-migrations.js';
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
import type {
  ActivityRow,
  RevisionRow,
  StateMachineWithRevisionRow,
  ExecutionRow,
  MapRunRow,
  HistoryRow,
  TaskRow,
  TimerRow,
  MapRunValues,
  VersionRow,
  AliasRow,
} from './rows.js';
import {
  EXECUTION_COLUMNS,
  MAP_RUN_VALUE_COLUMNS,
  STATE_MACHINE_SELECT,
  optionalJson,
  toActivity,
  toRevision,
  toStateMachine,
  toExecution,
  toMapRun,
  mapRunValues,
  toHistoryEvent,
  toTask,
  toTimer,
  keysetPage,
  toVersion,
  toAlias,
  routingJson,
  redrivableFlag,
} from './rows.js';
import {
  aliasesRoutingTo,
  checkLimit,
  distinctTags,
  executionParent,
  run,
  taggedCount,
  versionRecord,
} from './common.js';

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/** The most history events one INSERT statement writes (see `insertEvents`). */
const MAX_EVENTS_PER_INSERT = 4;

/** Keyset predicate for (start_date DESC, arn ASC); the range term lets SQLite seek in the index. */
const EXECUTION_AFTER = 'start_date <= ? AND (start_date < ? OR arn > ?)';
/** Repeats a status condition so that the planner may use the partial status index (migration 11). */
const UNSUCCEEDED = "status <> 'SUCCEEDED'";

/** A write waiting for the end of the event-loop turn (see the file comment). */
interface PendingWrite {
  /** Runs the write and keeps its outcome; a throw is kept too, as that write's own failure. */
  apply(): void;
  /** Answers the caller with the kept outcome, once the batch has committed. */
  settle(): void;
  /** The batch as a whole failed (its COMMIT did): nothing of it was written. */
  fail(error: unknown): void;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;

  private readonly insertActivity: Statement<[string, string, number]>;
  private readonly selectActivity: Statement<[string], ActivityRow>;
  private readonly selectActivityByName: Statement<[string], ActivityRow>;
  private readonly listActivitiesFirst: Statement<[number], ActivityRow>;
  private readonly listActivitiesAfter: Statement<[number, number, string, number], ActivityRow>;
  private readonly deleteActivityStmt: Statement<[string]>;

  private readonly insertRevision: Statement<[string, string, string, string, string, string, number]>;
  private readonly selectRevision: Statement<[string, string], RevisionRow>;
  private readonly insertStateMachine: Statement<
    [string, string, string, string, number, number | null, string | null, string]
  >;
  private readonly selectStateMachine: Statement<[string], StateMachineWithRevisionRow>;
  private readonly listStateMachinesFirst: Statement<[number], StateMachineWithRevisionRow>;
  private readonly listStateMachinesAfter: Statement<
    [number, number, string, number],
    StateMachineWithRevisionRow
  >;
  private readonly updateStateMachineStmt: Statement<[string, number, string, string]>;
  private readonly deleteStateMachineStmt: Statement<[string]>;
  private readonly deleteUnusedRevisions: Statement<[string, string]>;

  private readonly selectTaggable: Statement<[string, string], { found: number }>;
  private readonly selectTags: Statement<[string], Tag>;
  private readonly selectLastTagPosition: Statement<[string], { position: number | null }>;
  private readonly upsertTag: Statement<[string, string, string, number]>;
  private readonly deleteTag: Statement<[string, string]>;
  private readonly deleteResourceTags: Statement<[string]>;

  private readonly insertExecution: Statement<
    [
      string,
      string,
      string,
      string,
      string,
      string | null,
      string | null,
      string | null,
      number,
      number | null,
      string | null,
      string,
      number,
      number,
      number,
      string | null,
      number | null,
      string | null,
      string | null,
      string | null,
      string | null,
      number | null,
      number | null,
      string | null,
      string | null,
    ]
  >;
  private readonly selectExecution: Statement<[string], ExecutionRow>;
  private readonly selectMapRunChildren: Statement<[string], ExecutionRow>;
  private readonly updateExecution: Statement<
    [
      string,
      number,
      string | null,
      string | null,
      string | null,
      number | null,
      number | null,
      0 | 1,
      string | null,
      string,
      number,
    ],
    { seq: number }
  >;
  /** A redrive's update: the previous outcome is replaced, not kept where the patch has none. */
  private readonly redriveExecution: Statement<
    [
      string,
      number,
      string | null,
      string | null,
      string | null,
      number | null,
      number | null,
      number,
      number,
      string | null,
      0 | 1,
      string | null,
      string,
      number,
    ],
    { seq: number }
  >;

  private readonly insertMapRun: Statement<[string, ...MapRunValues, number]>;
  private readonly selectMapRun: Statement<[string], MapRunRow>;
  private readonly selectMapRunsOfExecution: Statement<[string], MapRunRow>;
  private readonly selectRunningMapRuns: Statement<[], MapRunRow>;
  private readonly updateMapRunStmt: Statement<[...MapRunValues, string, number]>;
  private readonly insertMapRunItem: Statement<[string, number, string]>;
  private readonly selectMapRunItem: Statement<[string, number], { input: string }>;

  private readonly selectThreads: Statement<[string, string], { data: string }>;
  private readonly upsertThread: Statement<[number, string, string]>;
  private readonly deleteThread: Statement<[number, string]>;
  private readonly selectRedriveThreads: Statement<[string], { data: string }>;
  private readonly insertRedriveThread: Statement<[number, string, string]>;
  private readonly deleteRedriveThreads: Statement<[number]>;

  /** `insertEvents[n - 1]` inserts n events (seven values each). */
  private readonly insertEvents: Statement<(string | number | null)[]>[];
  private readonly historyForward: Statement<[string, number, number], HistoryRow>;
  private readonly historyReverse: Statement<[string, number, number], HistoryRow>;

  private readonly upsertTask: Statement<
    [string, string, string, string, string, string, number, string | null]
  >;
  private readonly deleteTask: Statement<[string]>;
  private readonly selectTask: Statement<[string], TaskRow>;
  private readonly selectNextQueuedTask: Statement<[string], TaskRow>;
  private readonly selectQueuedActivities: Statement<[], { activity_arn: string }>;

  private readonly upsertTimer: Statement<[string, string, string, string, number]>;
  private readonly deleteTimer: Statement<[string]>;
  private readonly selectDueTimers: Statement<[number, number], TimerRow>;
  private readonly selectNextTimerDue: Statement<[], { due: number | null }>;
  private readonly selectTimersByDue: Statement<[], TimerRow>;
  /**
   * Timer claims (id → end of lease). Kept in memory: one SQLite file has one server process,
   * so no other node needs to see them, and a restart rightly forgets them all.
   */
  private readonly claims = new Map<string, number>();
  /** Task claims (token → end of lease), in memory like timer claims; a put or delete drops them. */
  private readonly taskClaims = new Map<string, number>();

  private readonly applyCommit: (commit: TransitionCommit) => boolean;
  private readonly createExecutionTx: (
    execution: ExecutionRecord,
    first: TransitionCommit,
  ) => CreateExecutionResult;
  private readonly createActivityTx: (activity: ActivityRecord, tags: Tag[]) => ActivityRecord;
  private readonly deleteActivityTx: (activityArn: string) => void;
  private readonly createMapRunTx: (mapRun: MapRunRecord, items: string[]) => void;
  private readonly createStateMachineTx: (
    stateMachine: StateMachineRecord,
    tags: Tag[],
    publish: { description?: string } | undefined,
  ) => { created: true } | { created: false; existing: StateMachineRecord };
  private readonly publishVersionTx: (stateMachineArn: string, request: PublishRequest) => PublishOutcome;
  private readonly deleteVersionTx: (
    stateMachineArn: string,
    version: number,
  ) => { deleted: true } | { deleted: false; aliases: string[] };
  private readonly createAliasTx: (alias: StateMachineAliasRecord, maxAliases: number) => AliasCreateOutcome;
  private readonly updateAliasTx: (
    stateMachineArn: string,
    name: string,
    change: { description?: string; routing?: AliasRoute[]; updateDate: number },
  ) => AliasUpdateOutcome;
  private readonly updateStateMachineTx: (
    stateMachineArn: string,
    revision: StateMachineRevision,
    update: { updateDate: number; revisionId: string },
  ) => boolean;
  private readonly deleteStateMachineTx: (stateMachineArn: string) => void;
  private readonly tagResourceTx: (resourceArn: string, tags: Tag[], maxTags: number) => TagOutcome;
  private readonly untagResourceTx: (resourceArn: string, keys: string[]) => boolean;
  /** Applies a batch of writes in one transaction; each write's own transaction becomes a savepoint. */
  private readonly applyBatch: (batch: PendingWrite[]) => void;
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  /** The continuations of a batch are running (see `flush`). */
  private cascading = false;

  /** Opens (creating if need be) the database file and brings its schema up to date. */
  static open(file: string): SqliteStore {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return new SqliteStore(new Database(file));
  }

  private constructor(db: Database.Database) {
    this.db = db;
    // WAL + NORMAL: a commit survives the process being killed (the WAL is in the OS cache);
    // only a power loss may drop the last transactions, which is the trade we accept for speed.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Another process (a CLI command, a second server by mistake) may hold the write lock briefly.
    db.pragma('busy_timeout = 5000');
    // Checkpoints stay SQLite's (a commit that grows the WAL past 1,000 pages copies it back, with
    // an fsync: ~12 ms here). Measured on the activity round-trip bench: 4,000 pages saved ~3% of
    // server CPU but stalled longer, hand-over p99 1.85× → 2.3× the ceiling's; a checkpointing
    // worker thread with its own connection stalled the writer's WAL appends during its fsyncs
    // (server CPU fell to ~70%, throughput by a third). Moving the whole connection to a worker
    // thread (each turn's calls as one message, answers likewise) was measured too: round trips/s
    // fell from 52% to 35% of the ceiling's and hand-over p99 rose to 2.3×; on two cores shared
    // with the load generator, every hop waits for the other thread to be scheduled.
    // No FOREIGN KEY clauses: the store's own transactions keep rows consistent, and checks would
    // cost a lookup per inserted history event on the hot path.
    migrate(db);

    this.insertActivity = db.prepare('INSERT INTO activities (arn, name, creation_date) VALUES (?, ?, ?)');
    this.selectActivity = db.prepare('SELECT * FROM activities WHERE arn = ?');
    this.selectActivityByName = db.prepare('SELECT * FROM activities WHERE name = ?');
    this.listActivitiesFirst = db.prepare('SELECT * FROM activities ORDER BY creation_date, arn LIMIT ?');
    this.listActivitiesAfter = db.prepare(
      'SELECT * FROM activities WHERE creation_date >= ? AND (creation_date > ? OR arn > ?) ' +
        'ORDER BY creation_date, arn LIMIT ?',
    );
    this.deleteActivityStmt = db.prepare('DELETE FROM activities WHERE arn = ?');

    // Revisions are immutable and their keys unique per machine: writing one twice is a no-op.
    this.insertRevision = db.prepare(
      'INSERT OR IGNORE INTO state_machine_revisions (state_machine_arn, revision_key, definition, ' +
        'role_arn, logging_configuration, tracing_configuration, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.selectRevision = db.prepare(
      'SELECT * FROM state_machine_revisions WHERE state_machine_arn = ? AND revision_key = ?',
    );
    this.insertStateMachine = db.prepare(
      'INSERT INTO state_machines (arn, name, type, status, creation_date, update_date, revision_id, ' +
        'current_revision_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.selectStateMachine = db.prepare(`${STATE_MACHINE_SELECT} WHERE m.arn = ?`);
    this.listStateMachinesFirst = db.prepare(
      `${STATE_MACHINE_SELECT} ORDER BY m.creation_date, m.arn LIMIT ?`,
    );
    this.listStateMachinesAfter = db.prepare(
      `${STATE_MACHINE_SELECT} WHERE m.creation_date >= ? AND (m.creation_date > ? OR m.arn > ?) ` +
        'ORDER BY m.creation_date, m.arn LIMIT ?',
    );
    this.updateStateMachineStmt = db.prepare(
      'UPDATE state_machines SET current_revision_key = ?, update_date = ?, revision_id = ? WHERE arn = ?',
    );
    this.deleteStateMachineStmt = db.prepare('DELETE FROM state_machines WHERE arn = ?');
    this.deleteUnusedRevisions = db.prepare(
      'DELETE FROM state_machine_revisions WHERE state_machine_arn = ? AND revision_key NOT IN ' +
        '(SELECT revision_key FROM executions WHERE state_machine_arn = ?)',
    );

    this.selectTaggable = db.prepare(
      'SELECT EXISTS (SELECT 1 FROM activities WHERE arn = ?) ' +
        'OR EXISTS (SELECT 1 FROM state_machines WHERE arn = ?) AS found',
    );
    this.selectTags = db.prepare(
      'SELECT key, value FROM resource_tags WHERE resource_arn = ? ORDER BY position',
    );
    this.selectLastTagPosition = db.prepare(
      'SELECT max(position) AS position FROM resource_tags WHERE resource_arn = ?',
    );
    // A key already set takes the new value and keeps its position.
    this.upsertTag = db.prepare(
      'INSERT INTO resource_tags (resource_arn, key, value, position) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value',
    );
    this.deleteTag = db.prepare('DELETE FROM resource_tags WHERE resource_arn = ? AND key = ?');
    this.deleteResourceTags = db.prepare('DELETE FROM resource_tags WHERE resource_arn = ?');

    this.insertExecution = db.prepare(
      `INSERT OR IGNORE INTO executions (${EXECUTION_COLUMNS}, root_thread) ` +
        `VALUES (${EXECUTION_COLUMNS.split(',')
          .map(() => '?')
          .join(', ')}, ?)`,
    );
    this.selectExecution = db.prepare(`SELECT ${EXECUTION_COLUMNS} FROM executions WHERE arn = ?`);
    this.selectMapRunChildren = db.prepare(
      `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE map_run_arn = ? ORDER BY map_run_index, arn`,
    );
    // The version test in the WHERE clause is the optimistic lock: zero rows changed = stale.
    this.updateExecution = db.prepare(
      'UPDATE executions SET status = ?, next_event_id = ?, output = coalesce(?, output), ' +
        'error = coalesce(?, error), cause = coalesce(?, cause), stop_date = coalesce(?, stop_date), ' +
        'redrivable = coalesce(?, redrivable), root_thread = CASE WHEN ? THEN ? ELSE root_thread END, ' +
        'version = version + 1 WHERE arn = ? AND version = ? RETURNING seq',
    );
    this.redriveExecution = db.prepare(
      'UPDATE executions SET status = ?, next_event_id = ?, output = ?, error = ?, cause = ?, ' +
        'stop_date = ?, redrivable = ?, redrive_count = ?, redrive_date = ?, redrive_tokens = ?, ' +
        'root_thread = CASE WHEN ? THEN ? ELSE root_thread END, version = version + 1 ' +
        'WHERE arn = ? AND version = ? RETURNING seq',
    );

    this.insertMapRun = db.prepare(
      `INSERT INTO map_runs (arn, ${MAP_RUN_VALUE_COLUMNS.join(', ')}, version) ` +
        `VALUES (?, ${MAP_RUN_VALUE_COLUMNS.map(() => '?').join(', ')}, ?)`,
    );
    this.selectMapRun = db.prepare('SELECT * FROM map_runs WHERE arn = ?');
    this.selectMapRunsOfExecution = db.prepare(
      'SELECT * FROM map_runs WHERE execution_arn = ? ORDER BY start_date, arn',
    );
    this.selectRunningMapRuns = db.prepare(
      "SELECT * FROM map_runs WHERE status = 'RUNNING' ORDER BY start_date, arn",
    );
    // As for executions, the version test is the optimistic lock: zero rows changed = stale.
    this.updateMapRunStmt = db.prepare(
      `UPDATE map_runs SET ${MAP_RUN_VALUE_COLUMNS.map((c) => `${c} = ?`).join(', ')}, ` +
        'version = version + 1 WHERE arn = ? AND version = ?',
    );
    this.insertMapRunItem = db.prepare(
      'INSERT INTO map_run_items (map_run_arn, item_index, input) VALUES (?, ?, ?)',
    );
    this.selectMapRunItem = db.prepare(
      'SELECT input FROM map_run_items WHERE map_run_arn = ? AND item_index = ?',
    );

    // Threads and history events are keyed by the execution's seq (see migration 4).
    const seqOf = '(SELECT seq FROM executions WHERE arn = ?)';
    // The root thread is kept in the execution's row (migration 10); the others in `threads`.
    this.selectThreads = db.prepare(
      `SELECT id, data FROM threads WHERE execution_seq = ${seqOf} UNION ALL ` +
        `SELECT '${ROOT_THREAD}' AS id, root_thread AS data FROM executions ` +
        'WHERE arn = ? AND root_thread IS NOT NULL ORDER BY id',
    );
    this.upsertThread = db.prepare(
      'INSERT INTO threads (execution_seq, id, data) VALUES (?, ?, ?) ' +
        'ON CONFLICT (execution_seq, id) DO UPDATE SET data = excluded.data',
    );
    this.deleteThread = db.prepare('DELETE FROM threads WHERE execution_seq = ? AND id = ?');
    this.selectRedriveThreads = db.prepare(
      `SELECT data FROM redrive_threads WHERE execution_seq = ${seqOf} ORDER BY id`,
    );
    this.insertRedriveThread = db.prepare(
      'INSERT INTO redrive_threads (execution_seq, id, data) VALUES (?, ?, ?)',
    );
    this.deleteRedriveThreads = db.prepare('DELETE FROM redrive_threads WHERE execution_seq = ?');

    // One statement per 1–4 events: a transition writes 1–4 events as a rule, and each statement
    // run costs more than its rows (7 events per activity round trip: −4 runs).
    this.insertEvents = [1, 2, 3, 4].map((rows) =>
      db.prepare<(string | number | null)[]>(
        'INSERT INTO history_events (execution_seq, id, previous_event_id, timestamp, type, ' +
          `details_member, details) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      ),
    );
    const historyColumns = 'id, previous_event_id, timestamp, type, details_member, details';
    this.historyForward = db.prepare(
      `SELECT ${historyColumns} FROM history_events WHERE execution_seq = ${seqOf} AND id > ? ` +
        'ORDER BY id LIMIT ?',
    );
    this.historyReverse = db.prepare(
      `SELECT ${historyColumns} FROM history_events WHERE execution_seq = ${seqOf} AND id < ? ` +
        'ORDER BY id DESC LIMIT ?',
    );

    this.upsertTask = db.prepare(
      'INSERT INTO activity_tasks (token, activity_arn, execution_arn, thread_id, input, status, ' +
        'scheduled_at, worker_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (token) DO UPDATE SET ' +
        'activity_arn = excluded.activity_arn, execution_arn = excluded.execution_arn, ' +
        'thread_id = excluded.thread_id, input = excluded.input, status = excluded.status, ' +
        'scheduled_at = excluded.scheduled_at, worker_name = excluded.worker_name',
    );
    this.deleteTask = db.prepare('DELETE FROM activity_tasks WHERE token = ?');
    this.selectTask = db.prepare('SELECT * FROM activity_tasks WHERE token = ?');
    this.selectNextQueuedTask = db.prepare(
      "SELECT * FROM activity_tasks WHERE activity_arn = ? AND status = 'queued' " +
        'ORDER BY scheduled_at, token LIMIT 1',
    );
    this.selectQueuedActivities = db.prepare(
      "SELECT DISTINCT activity_arn FROM activity_tasks WHERE status = 'queued' ORDER BY activity_arn",
    );

    this.upsertTimer = db.prepare(
      'INSERT INTO timers (id, execution_arn, thread_id, kind, due_at) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (id) DO UPDATE SET execution_arn = excluded.execution_arn, ' +
        'thread_id = excluded.thread_id, kind = excluded.kind, due_at = excluded.due_at',
    );
    this.deleteTimer = db.prepare('DELETE FROM timers WHERE id = ?');
    this.selectDueTimers = db.prepare('SELECT * FROM timers WHERE due_at <= ? ORDER BY due_at, id LIMIT ?');
    this.selectNextTimerDue = db.prepare('SELECT min(due_at) AS due FROM timers');
    this.selectTimersByDue = db.prepare('SELECT * FROM timers ORDER BY due_at, id');

    this.applyCommit = db.transaction((commit: TransitionCommit) => this.applyCommitRows(commit));

    this.createExecutionTx = db.transaction(
      (execution: ExecutionRecord, first: TransitionCommit): CreateExecutionResult => {
        // The row is inserted with the first transition applied, as its UPDATE would leave it:
        // one write of the row and its indexes instead of two.
        const patch = first.execution;
        const inserted = this.insertExecution.run(
          execution.executionArn,
          execution.stateMachineArn,
          execution.name,
          patch.status,
          execution.input,
          patch.output ?? execution.output ?? null,
          optionalJson(patch.error !== undefined ? patch.error : execution.error),
          optionalJson(patch.cause !== undefined ? patch.cause : execution.cause),
          execution.startDate,
          patch.stopDate ?? execution.stopDate ?? null,
          execution.traceHeader ?? null,
          execution.revisionKey,
          patch.nextEventId,
          execution.version + 1,
          execution.redriveCount,
          execution.mapRunArn ?? null,
          execution.mapRunIndex ?? null,
          execution.stateMachineVersionArn ?? null,
          execution.stateMachineAliasArn ?? null,
          execution.testCase ?? null,
          execution.parentTaskToken ?? null,
          execution.redriveDate ?? null,
          redrivableFlag(first) ?? (execution.redrivable === true ? 1 : null),
          execution.redriveTokens === undefined ? null : JSON.stringify(execution.redriveTokens),
          rootThreadWrite(first).data,
        );
        if (inserted.changes === 0) {
          const existing = this.selectExecution.get(execution.executionArn);
          if (existing === undefined) throw new Error(`execution vanished: ${execution.executionArn}`);
          return { created: false, existing: toExecution(existing) };
        }
        // Throwing rolls the insert back: a first commit that does not fit is a caller bug.
        if (first.executionArn !== execution.executionArn || first.expectedVersion !== execution.version) {
          throw new Error(`first transition does not match execution ${execution.executionArn}`);
        }
        this.applyCommitChildren(Number(inserted.lastInsertRowid), first);
        return { created: true };
      },
    );

    this.createActivityTx = db.transaction((activity: ActivityRecord, tags: Tag[]): ActivityRecord => {
      const existing = this.selectActivityByName.get(activity.name);
      if (existing !== undefined) return toActivity(existing);
      this.insertActivity.run(activity.activityArn, activity.name, activity.creationDate);
      this.writeTags(activity.activityArn, tags);
      return { ...activity };
    });

    this.deleteActivityTx = db.transaction((activityArn: string) => {
      this.deleteActivityStmt.run(activityArn);
      this.deleteResourceTags.run(activityArn);
      this.lazy('DELETE FROM human_activities WHERE activity_arn = ?').run(activityArn);
    });

    // A plain INSERT: a second Map Run under an ARN already used is a caller bug, and the
    // primary key turns it into an error that rolls the items back too.
    this.createMapRunTx = db.transaction((mapRun: MapRunRecord, items: string[]) => {
      this.insertMapRun.run(mapRun.mapRunArn, ...mapRunValues(mapRun), mapRun.version);
      items.forEach((input, index) => this.insertMapRunItem.run(mapRun.mapRunArn, index, input));
    });

    this.createStateMachineTx = db.transaction(
      (stateMachine: StateMachineRecord, tags: Tag[], publish: { description?: string } | undefined) => {
        const existing = this.selectStateMachine.get(stateMachine.stateMachineArn);
        if (existing !== undefined) return { created: false as const, existing: toStateMachine(existing) };
        this.writeTags(stateMachine.stateMachineArn, tags);
        this.insertRevisionRow(stateMachine.current);
        this.insertStateMachine.run(
          stateMachine.stateMachineArn,
          stateMachine.name,
          stateMachine.type,
          stateMachine.status,
          stateMachine.creationDate,
          stateMachine.updateDate ?? null,
          stateMachine.revisionId ?? null,
          stateMachine.current.revisionKey,
        );
        if (publish !== undefined) {
          this.insertVersionRow(
            versionRecord(
              stateMachine.stateMachineArn,
              1,
              stateMachine.current.revisionKey,
              stateMachine.creationDate,
              { revisionId: stateMachine.revisionId, description: publish.description },
            ),
          );
        }
        return { created: true as const };
      },
    );

    this.publishVersionTx = db.transaction(
      (stateMachineArn: string, request: PublishRequest): PublishOutcome => {
        const machine = this.lazy<{ current_revision_key: string; last_version: number }>(
          'SELECT current_revision_key, last_version FROM state_machines WHERE arn = ?',
        ).get(stateMachineArn);
        if (machine === undefined) return { kind: 'noStateMachine' };
        if (request.update === undefined) {
          if (machine.current_revision_key !== request.revisionKey) return { kind: 'revisionChanged' };
          const existing = this.lazy<VersionRow>(
            'SELECT * FROM state_machine_versions WHERE state_machine_arn = ? AND revision_key = ? ' +
              'ORDER BY version DESC LIMIT 1',
          ).get(stateMachineArn, request.revisionKey);
          if (existing !== undefined) return { kind: 'existing', version: toVersion(existing) };
        }
        const count = this.lazy<{ n: number }>(
          'SELECT count(*) AS n FROM state_machine_versions WHERE state_machine_arn = ?',
        ).get(stateMachineArn);
        if ((count?.n ?? 0) >= request.maxVersions) return { kind: 'quotaExceeded' };
        const update = request.update;
        if (update !== undefined) {
          this.updateStateMachineStmt.run(
            update.revision.revisionKey,
            update.updateDate,
            update.revisionId,
            stateMachineArn,
          );
          this.insertRevisionRow({ ...update.revision, stateMachineArn });
        }
        const version = versionRecord(
          stateMachineArn,
          machine.last_version + 1,
          request.revisionKey,
          request.creationDate,
          request,
        );
        this.insertVersionRow(version);
        return { kind: 'published', version };
      },
    );

    this.deleteVersionTx = db.transaction((stateMachineArn: string, version: number) => {
      const aliases = aliasesRoutingTo(this.aliasRows(stateMachineArn).map(toAlias), version);
      if (aliases.length > 0) return { deleted: false as const, aliases };
      this.lazy('DELETE FROM state_machine_versions WHERE state_machine_arn = ? AND version = ?').run(
        stateMachineArn,
        version,
      );
      return { deleted: true as const };
    });

    this.createAliasTx = db.transaction(
      (alias: StateMachineAliasRecord, maxAliases: number): AliasCreateOutcome => {
        const arn = alias.stateMachineArn;
        if (this.lazy('SELECT 1 FROM state_machines WHERE arn = ?').get(arn) === undefined) {
          return { kind: 'noStateMachine' };
        }
        const existing = this.lazy<AliasRow>(
          'SELECT * FROM state_machine_aliases WHERE state_machine_arn = ? AND name = ?',
        ).get(arn, alias.name);
        if (existing !== undefined) return { kind: 'exists', existing: toAlias(existing) };
        const missing = this.missingVersion(arn, alias.routing);
        if (missing !== undefined) return { kind: 'missingVersion', version: missing };
        const count = this.lazy<{ n: number }>(
          'SELECT count(*) AS n FROM state_machine_aliases WHERE state_machine_arn = ?',
        ).get(arn);
        if ((count?.n ?? 0) >= maxAliases) return { kind: 'quotaExceeded' };
        this.lazy(
          'INSERT INTO state_machine_aliases (state_machine_arn, name, description, routing, ' +
            'creation_date, update_date) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(
          arn,
          alias.name,
          alias.description ?? null,
          routingJson(alias.routing),
          alias.creationDate,
          alias.updateDate,
        );
        return { kind: 'created' };
      },
    );

    this.updateAliasTx = db.transaction(
      (
        stateMachineArn: string,
        name: string,
        change: { description?: string; routing?: AliasRoute[]; updateDate: number },
      ): AliasUpdateOutcome => {
        const row = this.lazy<AliasRow>(
          'SELECT * FROM state_machine_aliases WHERE state_machine_arn = ? AND name = ?',
        ).get(stateMachineArn, name);
        if (row === undefined) return { kind: 'missing' };
        const alias = toAlias(row);
        if (change.routing !== undefined) {
          const missing = this.missingVersion(stateMachineArn, change.routing);
          if (missing !== undefined) return { kind: 'missingVersion', version: missing };
          alias.routing = change.routing.map((r) => ({ version: r.version, weight: r.weight }));
        }
        if (change.description !== undefined) alias.description = change.description;
        alias.updateDate = change.updateDate;
        this.lazy(
          'UPDATE state_machine_aliases SET description = ?, routing = ?, update_date = ? ' +
            'WHERE state_machine_arn = ? AND name = ?',
        ).run(alias.description ?? null, routingJson(alias.routing), alias.updateDate, stateMachineArn, name);
        return { kind: 'updated', alias };
      },
    );

    this.updateStateMachineTx = db.transaction(
      (
        stateMachineArn: string,
        revision: StateMachineRevision,
        update: { updateDate: number; revisionId: string },
      ): boolean => {
        const changed = this.updateStateMachineStmt.run(
          revision.revisionKey,
          update.updateDate,
          update.revisionId,
          stateMachineArn,
        );
        if (changed.changes === 0) return false;
        this.insertRevisionRow({ ...revision, stateMachineArn });
        return true;
      },
    );

    this.applyBatch = db.transaction((batch: PendingWrite[]) => {
      for (const write of batch) write.apply();
    });

    this.deleteStateMachineTx = db.transaction((stateMachineArn: string) => {
      this.deleteStateMachineStmt.run(stateMachineArn);
      this.lazy('DELETE FROM state_machine_versions WHERE state_machine_arn = ?').run(stateMachineArn);
      this.lazy('DELETE FROM state_machine_aliases WHERE state_machine_arn = ?').run(stateMachineArn);
      this.deleteUnusedRevisions.run(stateMachineArn, stateMachineArn);
      this.deleteResourceTags.run(stateMachineArn);
    });

    this.tagResourceTx = db.transaction((resourceArn: string, tags: Tag[], maxTags: number): TagOutcome => {
      if (!this.taggable(resourceArn)) return 'notFound';
      const distinct = distinctTags(tags);
      const existing = this.selectTags.all(resourceArn).map((tag) => tag.key);
      if (taggedCount(existing, distinct) > maxTags) return 'tooManyTags';
      this.writeTags(resourceArn, distinct);
      return 'tagged';
    });

    this.untagResourceTx = db.transaction((resourceArn: string, keys: string[]): boolean => {
      if (!this.taggable(resourceArn)) return false;
      for (const key of keys) this.deleteTag.run(resourceArn, key);
      return true;
    });
  }

  private taggable(resourceArn: string): boolean {
    return this.selectTaggable.get(resourceArn, resourceArn)?.found === 1;
  }

  /** Must run inside a transaction: new keys are placed after the resource's last one. */
  private writeTags(resourceArn: string, tags: readonly Tag[]): void {
    if (tags.length === 0) return;
    const next = (this.selectLastTagPosition.get(resourceArn)?.position ?? 0) + 1;
    tags.forEach((tag, i) => this.upsertTag.run(resourceArn, tag.key, tag.value, next + i));
  }

  /** Inserts a version and raises its machine's count of versions ever published to it. */
  private insertVersionRow(version: StateMachineVersionRecord): void {
    this.lazy(
      'INSERT INTO state_machine_versions (state_machine_arn, version, revision_key, revision_id, ' +
        'description, creation_date) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(
      version.stateMachineArn,
      version.version,
      version.revisionKey,
      version.revisionId ?? null,
      version.description ?? null,
      version.creationDate,
    );
    this.lazy('UPDATE state_machines SET last_version = ? WHERE arn = ?').run(
      version.version,
      version.stateMachineArn,
    );
  }

  private aliasRows(stateMachineArn: string): AliasRow[] {
    return this.lazy<AliasRow>(
      'SELECT * FROM state_machine_aliases WHERE state_machine_arn = ? ORDER BY creation_date, name',
    ).all(stateMachineArn);
  }

  private missingVersion(stateMachineArn: string, routing: readonly AliasRoute[]): number | undefined {
    const exists = this.lazy(
      'SELECT 1 FROM state_machine_versions WHERE state_machine_arn = ? AND version = ?',
    );
    return routing.find((route) => exists.get(stateMachineArn, route.version) === undefined)?.version;
  }

  private insertRevisionRow(revision: StateMachineRevision): void {
    this.insertRevision.run(
      revision.stateMachineArn,
      revision.revisionKey,
      revision.definition,
      revision.roleArn,
      revision.loggingConfiguration,
      revision.tracingConfiguration,
      revision.createdAt,
    );
  }

  /** Must run inside a transaction. The version check comes first so a stale commit writes nothing. */
  private applyCommitRows(commit: TransitionCommit): boolean {
    const arn = commit.executionArn;
    const patch = commit.execution;
    const root = rootThreadWrite(commit);
    const updated =
      patch.redriven === undefined
        ? this.updateExecution.get(
            patch.status,
            patch.nextEventId,
            patch.output ?? null,
            optionalJson(patch.error),
            optionalJson(patch.cause),
            patch.stopDate ?? null,
            redrivableFlag(commit),
            root.changed,
            root.data,
            arn,
            commit.expectedVersion,
          )
        : this.redriveExecution.get(
            patch.status,
            patch.nextEventId,
            patch.output ?? null,
            optionalJson(patch.error),
            optionalJson(patch.cause),
            patch.stopDate ?? null,
            redrivableFlag(commit) ?? 0,
            patch.redriven.redriveCount,
            patch.redriven.redriveDate,
            commit.redriveTokens === undefined || commit.redriveTokens.length === 0
              ? null
              : JSON.stringify(commit.redriveTokens),
            root.changed,
            root.data,
            arn,
            commit.expectedVersion,
          );
    if (updated === undefined) return false;
    this.applyCommitChildren(updated.seq, commit);
    return true;
  }

  /** The rows a transition writes besides the execution's own; `seq` is the execution's. */
  private applyCommitChildren(seq: number, commit: TransitionCommit): void {
    const events = commit.events;
    for (let start = 0; start < events.length; start += MAX_EVENTS_PER_INSERT) {
      const values: (string | number | null)[] = [];
      const end = Math.min(start + MAX_EVENTS_PER_INSERT, events.length);
      for (let i = start; i < end; i++) {
        const event = events[i];
        if (event === undefined) continue;
        values.push(
          seq,
          event.id,
          event.previousEventId,
          event.timestamp,
          event.type,
          event.detailsMember ?? null,
          event.details === undefined ? null : JSON.stringify(event.details),
        );
      }
      this.insertEvents[end - start - 1]?.run(...values);
    }
    // The root thread was written with the row (rootThreadWrite).
    for (const id of commit.threadsDeleted) {
      if (id !== ROOT_THREAD) this.deleteThread.run(seq, id);
    }
    for (const thread of commit.threadsPut) {
      if (thread.id !== ROOT_THREAD) this.upsertThread.run(seq, thread.id, JSON.stringify(thread));
    }
    if (commit.redriveThreads !== undefined) {
      this.deleteRedriveThreads.run(seq);
      for (const thread of commit.redriveThreads) {
        this.insertRedriveThread.run(seq, thread.id, JSON.stringify(thread));
      }
    }
    for (const token of commit.tasksDeleted) this.deleteTask.run(token);
    for (const task of commit.tasksPut) {
      this.upsertTask.run(
        task.token,
        task.activityArn,
        task.executionArn,
        task.threadId,
        task.input,
        task.status,
        task.scheduledAt,
        task.workerName ?? null,
      );
    }
    for (const id of commit.timersDeleted) this.deleteTimer.run(id);
    for (const timer of commit.timersPut) {
      this.upsertTimer.run(timer.id, timer.executionArn, timer.threadId, timer.kind, timer.dueAt);
    }
    // A deleted or re-put timer is no longer claimed. (A rollback after this point is a thrown
    // error, which forgets claims of timers that still exist: they are only fired again sooner.)
    if (this.claims.size > 0) {
      for (const id of commit.timersDeleted) this.claims.delete(id);
      for (const timer of commit.timersPut) this.claims.delete(timer.id);
    }
    if (this.taskClaims.size > 0) {
      for (const token of commit.tasksDeleted) this.taskClaims.delete(token);
      for (const task of commit.tasksPut) this.taskClaims.delete(task.token);
    }
  }

  createActivity(activity: ActivityRecord, tags: Tag[] = []): Promise<ActivityRecord> {
    return this.enqueue(() => this.createActivityTx(activity, tags));
  }

  getActivity(activityArn: string): Promise<ActivityRecord | undefined> {
    return run(() => {
      const row = this.selectActivity.get(activityArn);
      return row === undefined ? undefined : toActivity(row);
    });
  }

  listActivities(page: PageRequest<NameCursor>): Promise<Page<ActivityRecord, NameCursor>> {
    return run(() => {
      checkLimit(page.limit);
      const after = page.after;
      const rows =
        after === undefined
          ? this.listActivitiesFirst.all(page.limit + 1)
          : this.listActivitiesAfter.all(after.creationDate, after.creationDate, after.arn, page.limit + 1);
      return keysetPage(rows.map(toActivity), page.limit, (a) => ({
        creationDate: a.creationDate,
        arn: a.activityArn,
      }));
    });
  }

  deleteActivity(activityArn: string): Promise<void> {
    return this.enqueue(() => this.deleteActivityTx(activityArn));
  }

  createStateMachine(
    stateMachine: StateMachineRecord,
    tags: Tag[] = [],
    publish?: { description?: string },
  ): Promise<{ created: true } | { created: false; existing: StateMachineRecord }> {
    return this.enqueue(() => this.createStateMachineTx(stateMachine, tags, publish));
  }

  getStateMachine(stateMachineArn: string): Promise<StateMachineRecord | undefined> {
    return run(() => {
      const row = this.selectStateMachine.get(stateMachineArn);
      return row === undefined ? undefined : toStateMachine(row);
    });
  }

  listStateMachines(page: PageRequest<NameCursor>): Promise<Page<StateMachineRecord, NameCursor>> {
    return run(() => {
      checkLimit(page.limit);
      const after = page.after;
      const rows =
        after === undefined
          ? this.listStateMachinesFirst.all(page.limit + 1)
          : this.listStateMachinesAfter.all(
              after.creationDate,
              after.creationDate,
              after.arn,
              page.limit + 1,
            );
      return keysetPage(rows.map(toStateMachine), page.limit, (m) => ({
        creationDate: m.creationDate,
        arn: m.stateMachineArn,
      }));
    });
  }

  updateStateMachine(
    stateMachineArn: string,
    revision: StateMachineRevision,
    update: { updateDate: number; revisionId: string },
  ): Promise<boolean> {
    return this.enqueue(() => this.updateStateMachineTx(stateMachineArn, revision, update));
  }

  deleteStateMachine(stateMachineArn: string): Promise<void> {
    return this.enqueue(() => {
      this.deleteStateMachineTx(stateMachineArn);
    });
  }

  getRevision(stateMachineArn: string, revisionKey: string): Promise<StateMachineRevision | undefined> {
    return run(() => {
      const row = this.selectRevision.get(stateMachineArn, revisionKey);
      return row === undefined ? undefined : toRevision(row);
    });
  }

  publishStateMachineVersion(stateMachineArn: string, request: PublishRequest): Promise<PublishOutcome> {
    return this.enqueue(() => this.publishVersionTx(stateMachineArn, request));
  }

  getStateMachineVersion(
    stateMachineArn: string,
    version: number,
  ): Promise<StateMachineVersionRecord | undefined> {
    return run(() => {
      const row = this.lazy<VersionRow>(
        'SELECT * FROM state_machine_versions WHERE state_machine_arn = ? AND version = ?',
      ).get(stateMachineArn, version);
      return row === undefined ? undefined : toVersion(row);
    });
  }

  listStateMachineVersions(
    stateMachineArn: string,
    page: PageRequest<number>,
  ): Promise<Page<StateMachineVersionRecord, number>> {
    return run(() => {
      checkLimit(page.limit);
      const rows = this.lazy<VersionRow>(
        'SELECT * FROM state_machine_versions WHERE state_machine_arn = ? AND version < ? ' +
          'ORDER BY version DESC LIMIT ?',
      ).all(stateMachineArn, page.after ?? Number.MAX_SAFE_INTEGER, page.limit + 1);
      return keysetPage(rows.map(toVersion), page.limit, (v) => v.version);
    });
  }

  deleteStateMachineVersion(
    stateMachineArn: string,
    version: number,
  ): Promise<{ deleted: true } | { deleted: false; aliases: string[] }> {
    return this.enqueue(() => this.deleteVersionTx(stateMachineArn, version));
  }

  createStateMachineAlias(alias: StateMachineAliasRecord, maxAliases: number): Promise<AliasCreateOutcome> {
    return this.enqueue(() => this.createAliasTx(alias, maxAliases));
  }

  getStateMachineAlias(stateMachineArn: string, name: string): Promise<StateMachineAliasRecord | undefined> {
    return run(() => {
      const row = this.lazy<AliasRow>(
        'SELECT * FROM state_machine_aliases WHERE state_machine_arn = ? AND name = ?',
      ).get(stateMachineArn, name);
      return row === undefined ? undefined : toAlias(row);
    });
  }

  listStateMachineAliases(stateMachineArn: string): Promise<StateMachineAliasRecord[]> {
    return run(() => this.aliasRows(stateMachineArn).map(toAlias));
  }

  updateStateMachineAlias(
    stateMachineArn: string,
    name: string,
    change: { description?: string; routing?: AliasRoute[]; updateDate: number },
  ): Promise<AliasUpdateOutcome> {
    return this.enqueue(() => this.updateAliasTx(stateMachineArn, name, change));
  }

  deleteStateMachineAlias(stateMachineArn: string, name: string): Promise<void> {
    return this.enqueue(() => {
      this.lazy('DELETE FROM state_machine_aliases WHERE state_machine_arn = ? AND name = ?').run(
        stateMachineArn,
        name,
      );
    });
  }

  listTags(resourceArn: string): Promise<Tag[] | undefined> {
    return run(() => {
      if (!this.taggable(resourceArn)) return undefined;
      return this.selectTags.all(resourceArn).map((tag) => ({ key: tag.key, value: tag.value }));
    });
  }

  tagResource(resourceArn: string, tags: Tag[], maxTags: number): Promise<TagOutcome> {
    return this.enqueue(() => this.tagResourceTx(resourceArn, tags, maxTags));
  }

  untagResource(resourceArn: string, keys: string[]): Promise<boolean> {
    return this.enqueue(() => this.untagResourceTx(resourceArn, keys));
  }

  createExecution(execution: ExecutionRecord, first: TransitionCommit): Promise<CreateExecutionResult> {
    return this.enqueue(() => this.createExecutionTx(execution, first));
  }

  getExecution(executionArn: string): Promise<ExecutionRecord | undefined> {
    return run(() => {
      const row = this.selectExecution.get(executionArn);
      return row === undefined ? undefined : toExecution(row);
    });
  }

  listExecutions(
    filter: ExecutionFilter,
    page: PageRequest<ExecutionCursor>,
  ): Promise<Page<ExecutionRecord, ExecutionCursor>> {
    return run(() => {
      checkLimit(page.limit);
      const parent = executionParent(filter);
      return this.listFiltered(parent.by, parent.arn, filter, page);
    });
  }

  /**
   * One query per combination of filters, prepared once (`lazy`): by parent (machine, Map Run,
   * version, alias), status, redrive and cursor.
   */
  private listFiltered(
    by: 'machine' | 'mapRun' | 'version' | 'alias',
    parentArn: string,
    filter: ExecutionFilter,
    page: PageRequest<ExecutionCursor>,
  ): Page<ExecutionRecord, ExecutionCursor> {
    const column = {
      machine: 'state_machine_arn',
      mapRun: 'map_run_arn',
      version: 'state_machine_version_arn',
      alias: 'state_machine_alias_arn',
    }[by];
    const where = [`${column} = ?`];
    const params: unknown[] = [parentArn];
    if (filter.status !== undefined) {
      where.push('status = ?');
      params.push(filter.status);
      // Lets the planner use the status index, which leaves SUCCEEDED out (migration 11).
      if (by === 'machine' && filter.status !== 'SUCCEEDED') where.push(UNSUCCEEDED);
    }
    if (filter.redriven !== undefined)
      where.push(filter.redriven ? 'redrive_count > 0' : 'redrive_count = 0');
    if (page.after !== undefined) {
      where.push(EXECUTION_AFTER);
      params.push(page.after.startDate, page.after.startDate, page.after.arn);
    }
    const rows = this.lazy<ExecutionRow>(
      `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE ${where.join(' AND ')} ` +
        'ORDER BY start_date DESC, arn LIMIT ?',
    ).all(...params, page.limit + 1);
    return keysetPage(rows.map(toExecution), page.limit, (e) => ({
      startDate: e.startDate,
      arn: e.executionArn,
    }));
  }

  loadThreads(executionArn: string): Promise<ThreadRecord[]> {
    return run(() =>
      this.selectThreads.all(executionArn, executionArn).map((row) => JSON.parse(row.data) as ThreadRecord),
    );
  }

  loadRedriveThreads(executionArn: string): Promise<ThreadRecord[]> {
    return run(() =>
      this.selectRedriveThreads.all(executionArn).map((row) => JSON.parse(row.data) as ThreadRecord),
    );
  }

  commitTransition(commit: TransitionCommit): Promise<boolean> {
    return this.enqueue(() => this.applyCommit(commit));
  }

  getHistory(query: HistoryQuery): Promise<HistoryEvent[]> {
    return run(() => {
      checkLimit(query.limit);
      const rows = query.reverse
        ? this.historyReverse.all(query.executionArn, query.afterId ?? Number.MAX_SAFE_INTEGER, query.limit)
        : this.historyForward.all(query.executionArn, query.afterId ?? Number.MIN_SAFE_INTEGER, query.limit);
      return rows.map(toHistoryEvent);
    });
  }

  putRevision(revision: StateMachineRevision): Promise<void> {
    return this.enqueue(() => {
      this.insertRevisionRow(revision);
    });
  }

  createMapRun(mapRun: MapRunRecord, items: string[]): Promise<void> {
    return this.enqueue(() => {
      this.createMapRunTx(mapRun, items);
    });
  }

  getMapRun(mapRunArn: string): Promise<MapRunRecord | undefined> {
    return run(() => {
      const row = this.selectMapRun.get(mapRunArn);
      return row === undefined ? undefined : toMapRun(row);
    });
  }

  listMapRuns(executionArn: string): Promise<MapRunRecord[]> {
    return run(() => this.selectMapRunsOfExecution.all(executionArn).map(toMapRun));
  }

  updateMapRun(mapRun: MapRunRecord, expectedVersion: number): Promise<boolean> {
    return this.enqueue(
      () => this.updateMapRunStmt.run(...mapRunValues(mapRun), mapRun.mapRunArn, expectedVersion).changes > 0,
    );
  }

  getMapRunItem(mapRunArn: string, index: number): Promise<string | undefined> {
    return run(() => this.selectMapRunItem.get(mapRunArn, index)?.input);
  }

  runningMapRuns(): Promise<MapRunRecord[]> {
    return run(() => this.selectRunningMapRuns.all().map(toMapRun));
  }

  mapRunChildren(mapRunArn: string): Promise<ExecutionRecord[]> {
    return run(() => this.selectMapRunChildren.all(mapRunArn).map(toExecution));
  }

  nextQueuedTask(activityArn: string): Promise<ActivityTaskRecord | undefined> {
    return run(() => {
      const row = this.selectNextQueuedTask.get(activityArn);
      return row === undefined ? undefined : toTask(row);
    });
  }

  claimQueuedTask(
    activityArn: string,
    now: number,
    leaseMs: number,
  ): Promise<ActivityTaskRecord | undefined> {
    return run(() => {
      if (this.taskClaims.size === 0) {
        const row = this.selectNextQueuedTask.get(activityArn);
        if (row !== undefined) this.taskClaims.set(row.token, now + leaseMs);
        return row === undefined ? undefined : toTask(row);
      }
      // The oldest queued task without a live claim (claims are few: hand-overs in flight).
      const queued = this.lazy<TaskRow>(
        "SELECT * FROM activity_tasks WHERE activity_arn = ? AND status = 'queued' ORDER BY scheduled_at, token",
      );
      for (const row of queued.iterate(activityArn)) {
        const until = this.taskClaims.get(row.token);
        if (until !== undefined && until > now) continue;
        this.taskClaims.set(row.token, now + leaseMs);
        return toTask(row);
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
    return run(() => this.selectQueuedActivities.all().map((row) => row.activity_arn));
  }

  getActivityTask(token: string): Promise<ActivityTaskRecord | undefined> {
    return run(() => {
      const row = this.selectTask.get(token);
      return row === undefined ? undefined : toTask(row);
    });
  }

  /**
   * Queries that run far less often than a transition's (the console's; versions and aliases),
   * and the execution searches built from the filters given, are prepared on first use and kept
   * here.
   */
  private readonly lazyStatements = new Map<string, Statement<unknown[], unknown>>();

  private lazy<R>(sql: string): Statement<unknown[], R> {
    let statement = this.lazyStatements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], unknown>(sql);
      this.lazyStatements.set(sql, statement);
    }
    return statement as Statement<unknown[], R>;
  }

  listActivityTasks(activityArn: string, limit: number): Promise<ActivityTaskRecord[]> {
    return run(() => {
      checkLimit(limit);
      return this.lazy<TaskRow>(
        'SELECT * FROM activity_tasks WHERE activity_arn = ? ORDER BY scheduled_at, token LIMIT ?',
      )
        .all(activityArn, limit)
        .map(toTask);
    });
  }

  countActivityTasks(activityArn: string): Promise<ActivityTaskCounts> {
    return run(() => {
      const counts: ActivityTaskCounts = { queued: 0, started: 0 };
      const rows = this.lazy<{ status: string; n: number }>(
        'SELECT status, count(*) AS n FROM activity_tasks WHERE activity_arn = ? GROUP BY status',
      ).all(activityArn);
      for (const row of rows) {
        if (row.status === 'queued') counts.queued = row.n;
        else if (row.status === 'started') counts.started = row.n;
      }
      return counts;
    });
  }

  setActivityHuman(activityArn: string, human: boolean): Promise<void> {
    return run(() => {
      if (human)
        this.lazy('INSERT OR IGNORE INTO human_activities (activity_arn) VALUES (?)').run(activityArn);
      else this.lazy('DELETE FROM human_activities WHERE activity_arn = ?').run(activityArn);
    });
  }

  humanActivities(): Promise<string[]> {
    return run(() =>
      this.lazy<{ activity_arn: string }>('SELECT activity_arn FROM human_activities ORDER BY activity_arn')
        .all()
        .map((row) => row.activity_arn),
    );
  }

  searchExecutions(
    filter: ExecutionSearch,
    page: PageRequest<ExecutionCursor>,
  ): Promise<Page<ExecutionRecord, ExecutionCursor>> {
    return run(() => {
      checkLimit(page.limit);
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.stateMachineArn !== undefined) {
        where.push('state_machine_arn = ?');
        params.push(filter.stateMachineArn);
      } else where.push('map_run_arn IS NULL');
      if (filter.status !== undefined) {
        where.push('status = ?');
        params.push(filter.status);
        if (filter.stateMachineArn !== undefined && filter.status !== 'SUCCEEDED') where.push(UNSUCCEEDED);
      }
      if (filter.namePrefix !== undefined && filter.namePrefix !== '') {
        where.push('substr(name, 1, ?) = ?');
        params.push(filter.namePrefix.length, filter.namePrefix);
      }
      if (filter.startedAfter !== undefined) {
        where.push('start_date >= ?');
        params.push(filter.startedAfter);
      }
      if (filter.startedBefore !== undefined) {
        where.push('start_date < ?');
        params.push(filter.startedBefore);
      }
      if (page.after !== undefined) {
        where.push(EXECUTION_AFTER);
        params.push(page.after.startDate, page.after.startDate, page.after.arn);
      }
      const sql =
        `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE ${where.join(' AND ')} ` +
        'ORDER BY start_date DESC, arn LIMIT ?';
      const rows = this.lazy<ExecutionRow>(sql).all(...params, page.limit + 1);
      return keysetPage(rows.map(toExecution), page.limit, (e) => ({
        startDate: e.startDate,
        arn: e.executionArn,
      }));
    });
  }

  countExecutions(stateMachineArn: string): Promise<Partial<Record<ExecutionStatus, number>>> {
    return run(() => {
      const counts: Partial<Record<ExecutionStatus, number>> = {};
      // Both counts read an index alone: the partial status index has every status but SUCCEEDED.
      const rows = this.lazy<{ status: ExecutionStatus; n: number }>(
        `SELECT status, count(*) AS n FROM executions WHERE state_machine_arn = ? AND ${UNSUCCEEDED} GROUP BY status`,
      ).all(stateMachineArn);
      const total =
        this.lazy<{ n: number }>('SELECT count(*) AS n FROM executions WHERE state_machine_arn = ?').get(
          stateMachineArn,
        )?.n ?? 0;
      let others = 0;
      for (const row of rows) {
        counts[row.status] = row.n;
        others += row.n;
      }
      if (total > others) counts.SUCCEEDED = total - others;
      return counts;
    });
  }

  dueTimers(now: number, limit: number): Promise<TimerRecord[]> {
    return run(() => {
      checkLimit(limit);
      return this.selectDueTimers.all(now, limit).map(toTimer);
    });
  }

  claimDueTimers(now: number, limit: number, leaseMs: number): Promise<TimerRecord[]> {
    return run(() => {
      checkLimit(limit);
      const claimed: TimerRecord[] = [];
      // Claimed timers are few (those being fired), so the scan skips past them cheaply.
      for (const row of this.selectTimersByDue.iterate()) {
        if (row.due_at > now || claimed.length === limit) break;
        const until = this.claims.get(row.id);
        if (until !== undefined && until > now) continue;
        this.claims.set(row.id, now + leaseMs);
        claimed.push(toTimer(row));
      }
      return claimed;
    });
  }

  releaseTimerClaim(id: string, claimableAt: number): Promise<void> {
    return run(() => {
      if (this.claims.has(id)) this.claims.set(id, claimableAt);
    });
  }

  nextTimerDue(): Promise<number | undefined> {
    return run(() => {
      if (this.claims.size === 0) return this.selectNextTimerDue.get()?.due ?? undefined;
      // Every claim belongs to a stored timer (deletes and puts drop them), so the answer is the
      // earlier of the first unclaimed due time and the first lease end.
      let next: number | undefined;
      for (const until of this.claims.values()) next = next === undefined ? until : Math.min(next, until);
      for (const row of this.selectTimersByDue.iterate()) {
        if (next !== undefined && row.due_at >= next) break;
        if (!this.claims.has(row.id)) return row.due_at;
      }
      return next;
    });
  }

  /** Queues a write for the end of this event-loop turn (group commit; see the file comment). */
  private enqueue<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // No Error made up front: capturing its stack would cost more than the rest of the queueing.
      let outcome: { ok: true; value: T } | { ok: false; error: Error } | undefined;
      this.pending.push({
        apply: () => {
          try {
            outcome = { ok: true, value: work() };
          } catch (error) {
            outcome = { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
          }
        },
        settle: () => {
          if (outcome === undefined) reject(new Error('the write was not applied'));
          else if (outcome.ok) resolve(outcome.value);
          else reject(outcome.error);
        },
        fail: reject,
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate, not a microtask: requests read from other sockets in the same poll phase
        // join the batch. During a cascade the cascade's end flushes instead.
        if (!this.cascading) setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      // A single write is its own transaction; the batch transaction would only add a savepoint.
      if (batch.length === 1) batch[0]?.apply();
      else this.applyBatch(batch);
    } catch (error) {
      for (const write of batch) write.fail(error);
      return;
    }
    for (const write of batch) write.settle();
    // The callers' continuations run next, in this turn's microtasks, and may write again (a
    // StartExecution's commit offers its task, whose hand-over commits ActivityStarted). Those
    // writes are flushed once all continuations have run (a tick queued from a microtask runs
    // after the microtask queue is drained) rather than a loop turn later, after the next poll
    // phase: that saves the hand-over a wait behind every request read meanwhile.
    if (!this.cascading) {
      this.cascading = true;
      queueMicrotask(() => process.nextTick(this.endCascade));
    }
  };

  private readonly endCascade = (): void => {
    this.cascading = false;
    if (this.pending.length > 0) this.flush();
  };

  close(): Promise<void> {
    return run(() => {
      this.flush();
      if (!this.db.open) return;
      // Folding the WAL back leaves a single self-contained file behind.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.close();
    });
  }
}

function migrate(db: Database.Database): void {
  // The version is read inside an IMMEDIATE transaction so that two processes opening a fresh
  // file at once do not both apply the same migration; each one commits with its version number.
  const step = db.transaction((): boolean => {
    const current = db.pragma('user_version', { simple: true });
    if (typeof current !== 'number') throw new Error('cannot read the schema version');
    if (current > sqliteMigrations.length) {
      throw new Error(
        `database schema version ${current} is newer than this Stepwise understands (${sqliteMigrations.length})`,
      );
    }
    const sql = sqliteMigrations[current];
    if (sql === undefined) return false;
    db.exec(sql);
    db.pragma(`user_version = ${current + 1}`);
    return true;
  });
  while (step.immediate()) {
    // one migration per transaction
  }
}

/**
 * What a commit does to the root thread, which lives in the execution's row: \`changed\` is 1 when
 * the commit puts or deletes it (\`data\` is then its new JSON, or null), 0 when it leaves it alone.
 */
function rootThreadWrite(commit: TransitionCommit): { changed: 0 | 1; data: string | null } {
  for (const thread of commit.threadsPut) {
    if (thread.id === ROOT_THREAD) return { changed: 1, data: JSON.stringify(thread) };
  }
  return commit.threadsDeleted.includes(ROOT_THREAD)
    ? { changed: 1, data: null }
    : { changed: 0, data: null };
}
