/**
 * The multi-node store: PostgreSQL through `pg`. Several `stepwise serve` processes share one
 * database; every one of them may apply any transition, claim any timer and hand out any task,
 * because the database arbitrates:
 *
 * - a transition is one statement whose first step is `UPDATE executions … WHERE arn AND
 *   version` (the row lock orders racing transitions of one execution; the version makes a
 *   stale one write nothing), followed by the history/thread/task/timer writes as data-modifying
 *   CTEs gated on that update. One statement is one round trip and its own transaction: nothing
 *   is left half-applied if the node dies or the connection drops;
 * - timers are leased with `FOR UPDATE SKIP LOCKED` (claimDueTimers), so each due timer is
 *   fired by one node, and by another one once the lease has passed if that node died;
 * - a transition that queues activity tasks also runs `pg_notify` (delivered on commit) so that
 *   long polls waiting on other nodes are woken (onTaskQueued).
 *
 * Every statement is a named (prepared) query; batch writes bind arrays and `unnest` them, so a
 * statement's text never depends on how many rows it writes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Client, DatabaseError, Pool, TypeOverrides } from 'pg';
import type { ClientBase, PoolClient, PoolConfig, QueryResultRow } from 'pg';
import type {
  ActivityTaskRecord,
  ExecutionStatus,
  HistoryEvent,
  ThreadRecord,
  TimerRecord,
} from '@stepwise/core';
import { StoreUnavailableError } from './errors.js';
import { postgresMigrations } from './postgres-migrations.js';
import type {
  ActivityRecord,
  ActivityTaskCounts,
  CreateExecutionResult,
  ExecutionCursor,
  ExecutionFilter,
  ExecutionRecord,
  ExecutionSearch,
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
  taggedCount,
  versionRecord,
} from './common.js';

export interface PostgresStoreOptions {
  /**
   * The schema Stepwise's tables live in (created if missing). Default: the connection's own
   * search_path, normally `public`. A `schema` parameter in the URL does the same.
   */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

// --- rows as pg answers them (int8 is parsed to number by the pool's type overrides) --------

// --- SQL -------------------------------------------------------------------------------------

const HISTORY_COLUMNS = 'id, previous_event_id, timestamp, type, details_member, details';
const TIMER_COLUMNS = 'id, execution_arn, thread_id, kind, due_at';
const TASK_COLUMNS =
  'token, activity_arn, execution_arn, thread_id, input, status, scheduled_at, worker_name';
const MAP_RUN_COLUMNS = `arn, ${MAP_RUN_VALUE_COLUMNS.join(', ')}, version`;
const BY_MACHINE = `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE state_machine_arn = $1`;
const BY_MAP_RUN = `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE map_run_arn = $1`;
const NEWEST_FIRST = 'ORDER BY start_date DESC, arn';

/** Keyset predicate for (start_date DESC, arn ASC); the range term lets the index seek. */
function executionAfter(date: number, arn: number): string {
  return `start_date <= $${date} AND (start_date < $${date} OR arn > $${arn})`;
}

/**
 * The writes of a transition after its gate CTE `u` (the versioned UPDATE, or the INSERT of a new
 * execution): each runs only when `u` produced a row. Deletes never overlap the puts of the same
 * statement (the caller nets them out), because two CTEs of one statement must not touch one row.
 * $1 is the execution ARN; $2–$27 are the batches; gate parameters start at $28.
 */
function transitionWrites(channel: string): string {
  const gated = 'EXISTS (SELECT 1 FROM u)';
  return (
    `, ev AS (INSERT INTO history_events (execution_arn, ${HISTORY_COLUMNS}) ` +
    'SELECT $1::text, e.* FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[], ' +
    `$6::text[], $7::text[]) AS e WHERE ${gated})` +
    `, td AS (DELETE FROM threads WHERE execution_arn = $1 AND id = ANY($8::text[]) AND ${gated})` +
    ', tp AS (INSERT INTO threads (execution_arn, id, data) ' +
    `SELECT $1::text, t.* FROM unnest($9::text[], $10::text[]) AS t WHERE ${gated} ` +
    'ON CONFLICT (execution_arn, id) DO UPDATE SET data = excluded.data)' +
    `, kd AS (DELETE FROM activity_tasks WHERE token = ANY($11::text[]) AND ${gated})` +
    ', kp AS (INSERT INTO activity_tasks (token, activity_arn, execution_arn, thread_id, input, ' +
    'status, scheduled_at, worker_name) SELECT k.* FROM unnest($12::text[], $13::text[], ' +
    `$14::text[], $15::text[], $16::text[], $17::text[], $18::bigint[], $19::text[]) AS k WHERE ${gated} ` +
    'ON CONFLICT (token) DO UPDATE SET activity_arn = excluded.activity_arn, ' +
    'execution_arn = excluded.execution_arn, thread_id = excluded.thread_id, input = excluded.input, ' +
    'status = excluded.status, scheduled_at = excluded.scheduled_at, worker_name = excluded.worker_name, ' +
    // As for timers: a task put again (started, or queued anew) is no longer claimed.
    'claimed_until = NULL)' +
    `, md AS (DELETE FROM timers WHERE id = ANY($20::text[]) AND ${gated})` +
    // A re-put timer drops any claim on it: it is a new due time, owed to whoever claims it next.
    `, mp AS (INSERT INTO timers (${TIMER_COLUMNS}, claimed_until) ` +
    'SELECT m.*, NULL::bigint FROM unnest($21::text[], $22::text[], $23::text[], $24::text[], ' +
    `$25::bigint[]) AS m WHERE ${gated} ` +
    'ON CONFLICT (id) DO UPDATE SET execution_arn = excluded.execution_arn, ' +
    'thread_id = excluded.thread_id, kind = excluded.kind, due_at = excluded.due_at, claimed_until = NULL)' +
    // A redrive snapshot replaces the one kept: rows not in it go, the others are written (an
    // upsert rather than delete-then-insert: sibling CTEs run in no set order).
    `, rd AS (DELETE FROM redrive_threads WHERE execution_arn = $1 AND $28::boolean ` +
    `AND NOT (id = ANY($29::text[])) AND ${gated})` +
    ', rp AS (INSERT INTO redrive_threads (execution_arn, id, data) ' +
    `SELECT $1::text, r.* FROM unnest($29::text[], $30::text[]) AS r WHERE ${gated} ` +
    'ON CONFLICT (execution_arn, id) DO UPDATE SET data = excluded.data)' +
    // NOTIFY is delivered when the statement's transaction commits, so no node is woken for a
    // task it cannot see yet. The payload names the sending node so that it can skip its own.
    `, n AS (SELECT pg_notify('${channel}', $27::text || ' ' || a) FROM ` +
    `(SELECT DISTINCT unnest($26::text[]) AS a) q WHERE ${gated}) ` +
    'SELECT (SELECT count(*) FROM u) AS applied, (SELECT count(*) FROM n) AS notified'
  );
}

/**
 * Inserts the tags bound as arrays at $k, $k+1 (distinct keys, positions from 1) for `arn`, only
 * when `gate` is a CTE that produced a row. A key that somehow exists already takes the value.
 */
function insertTags(arn: string, keys: number, gate: string): string {
  return (
    'INSERT INTO resource_tags (resource_arn, key, value, position) ' +
    `SELECT ${arn}, g.key, g.value, g.n FROM unnest($${keys}::text[], $${keys + 1}::text[]) ` +
    `WITH ORDINALITY AS g (key, value, n) WHERE EXISTS (SELECT 1 FROM ${gate}) ` +
    'ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value'
  );
}

const TAGGABLE =
  '(EXISTS (SELECT 1 FROM activities WHERE arn = $1) OR EXISTS (SELECT 1 FROM state_machines WHERE arn = $1))';

const SQL = {
  // The activity and its tags in one statement; the tags only if the activity is new.
  insertActivity:
    'WITH a AS (INSERT INTO activities (arn, name, creation_date) VALUES ($1, $2, $3) ' +
    `ON CONFLICT DO NOTHING RETURNING *), t AS (${insertTags('$1', 4, 'a')}) SELECT * FROM a`,
  selectActivity: 'SELECT * FROM activities WHERE arn = $1',
  selectActivityByName: 'SELECT * FROM activities WHERE name = $1',
  listActivitiesFirst: 'SELECT * FROM activities ORDER BY creation_date, arn LIMIT $1',
  listActivitiesAfter:
    'SELECT * FROM activities WHERE creation_date >= $1 AND (creation_date > $1 OR arn > $2) ' +
    'ORDER BY creation_date, arn LIMIT $3',
  deleteActivity:
    'WITH h AS (DELETE FROM human_activities WHERE activity_arn = $1) DELETE FROM activities WHERE arn = $1',

  // Revisions are immutable and their keys unique per machine: writing one twice is a no-op.
  insertRevision:
    'INSERT INTO state_machine_revisions (state_machine_arn, revision_key, definition, role_arn, ' +
    'logging_configuration, tracing_configuration, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ' +
    'ON CONFLICT DO NOTHING',
  selectRevision: 'SELECT * FROM state_machine_revisions WHERE state_machine_arn = $1 AND revision_key = $2',
  // The machine and its first revision in one statement; the revision only if the machine is new.
  // With publish ($17 = 1), version 1 of the first revision too, described by $16.
  createStateMachine:
    'WITH m AS (INSERT INTO state_machines (arn, name, type, status, creation_date, update_date, ' +
    'revision_id, current_revision_key, last_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $17) ' +
    'ON CONFLICT DO NOTHING RETURNING arn), ' +
    'r AS (INSERT INTO state_machine_revisions (state_machine_arn, revision_key, definition, role_arn, ' +
    'logging_configuration, tracing_configuration, created_at) ' +
    'SELECT $1, $8, $9, $10, $11, $12, $13 WHERE EXISTS (SELECT 1 FROM m) ON CONFLICT DO NOTHING), ' +
    `t AS (${insertTags('$1', 14, 'm')}), ` +
    'v AS (INSERT INTO state_machine_versions (state_machine_arn, version, revision_key, revision_id, ' +
    'description, creation_date) SELECT $1, 1, $8, $7, $16, $5 WHERE $17 = 1 AND EXISTS (SELECT 1 FROM m)) ' +
    'SELECT count(*) AS created FROM m',
  selectStateMachine: `${STATE_MACHINE_SELECT} WHERE m.arn = $1`,
  listStateMachinesFirst: `${STATE_MACHINE_SELECT} ORDER BY m.creation_date, m.arn LIMIT $1`,
  listStateMachinesAfter:
    `${STATE_MACHINE_SELECT} WHERE m.creation_date >= $1 AND (m.creation_date > $1 OR m.arn > $2) ` +
    'ORDER BY m.creation_date, m.arn LIMIT $3',
  updateStateMachine:
    'WITH u AS (UPDATE state_machines SET current_revision_key = $2, update_date = $3, revision_id = $4 ' +
    'WHERE arn = $1 RETURNING arn), ' +
    'r AS (INSERT INTO state_machine_revisions (state_machine_arn, revision_key, definition, role_arn, ' +
    'logging_configuration, tracing_configuration, created_at) ' +
    'SELECT $1, $2, $5, $6, $7, $8, $9 WHERE EXISTS (SELECT 1 FROM u) ON CONFLICT DO NOTHING) ' +
    'SELECT count(*) AS updated FROM u',
  // Revisions that executions still run stay; the machine's other revisions go with it.
  deleteStateMachine:
    'WITH d AS (DELETE FROM state_machines WHERE arn = $1), ' +
    'dv AS (DELETE FROM state_machine_versions WHERE state_machine_arn = $1), ' +
    'da AS (DELETE FROM state_machine_aliases WHERE state_machine_arn = $1) ' +
    'DELETE FROM state_machine_revisions WHERE state_machine_arn = $1 AND revision_key NOT IN ' +
    '(SELECT revision_key FROM executions WHERE state_machine_arn = $1)',

  // A resource's tags leave with it, in the same transaction but a statement of its own: see
  // deleteWithTags.
  deleteResourceTags: 'DELETE FROM resource_tags WHERE resource_arn = $1',
  // No row: no such resource; one row of NULLs: a resource without tags.
  selectTags:
    `SELECT t.key, t.value FROM (SELECT 1 WHERE ${TAGGABLE}) r ` +
    'LEFT JOIN resource_tags t ON t.resource_arn = $1 ORDER BY t.position',
  // Serialises the tag writes of one resource, and orders them against its deletion.
  lockTaggable:
    'WITH a AS (SELECT arn FROM activities WHERE arn = $1 FOR UPDATE), ' +
    'm AS (SELECT arn FROM state_machines WHERE arn = $1 FOR UPDATE) ' +
    'SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM m) AS found',
  selectTagKeys: 'SELECT key FROM resource_tags WHERE resource_arn = $1',
  // New keys go after the resource's last one; a key already set keeps its position.
  upsertTags:
    'INSERT INTO resource_tags (resource_arn, key, value, position) ' +
    'SELECT $1, g.key, g.value, (SELECT coalesce(max(position), 0) FROM resource_tags WHERE resource_arn = $1) + g.n ' +
    'FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS g (key, value, n) ' +
    'ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value',
  untag:
    'WITH d AS (DELETE FROM resource_tags WHERE resource_arn = $1 AND key = ANY($2::text[])) ' +
    `SELECT ${TAGGABLE} AS found`,

  // Versions and aliases. Their writes run in a transaction that first locks the machine's row.
  lockMachine: 'SELECT current_revision_key, last_version FROM state_machines WHERE arn = $1 FOR UPDATE',
  selectVersion: 'SELECT * FROM state_machine_versions WHERE state_machine_arn = $1 AND version = $2',
  selectVersionOfRevision:
    'SELECT * FROM state_machine_versions WHERE state_machine_arn = $1 AND revision_key = $2 ' +
    'ORDER BY version DESC LIMIT 1',
  selectVersionsIn:
    'SELECT version FROM state_machine_versions WHERE state_machine_arn = $1 AND version = ANY($2::int[])',
  countVersions: 'SELECT count(*)::int AS n FROM state_machine_versions WHERE state_machine_arn = $1',
  insertVersion:
    'WITH v AS (INSERT INTO state_machine_versions (state_machine_arn, version, revision_key, revision_id, ' +
    'description, creation_date) VALUES ($1, $2, $3, $4, $5, $6)) ' +
    'UPDATE state_machines SET last_version = $2 WHERE arn = $1',
  deleteVersion: 'DELETE FROM state_machine_versions WHERE state_machine_arn = $1 AND version = $2',
  countAliases: 'SELECT count(*)::int AS n FROM state_machine_aliases WHERE state_machine_arn = $1',
  insertAlias:
    'INSERT INTO state_machine_aliases (state_machine_arn, name, description, routing, creation_date, ' +
    'update_date) VALUES ($1, $2, $3, $4, $5, $6)',
  updateAlias:
    'UPDATE state_machine_aliases SET description = $3, routing = $4, update_date = $5 ' +
    'WHERE state_machine_arn = $1 AND name = $2',
  listVersions:
    'SELECT * FROM state_machine_versions WHERE state_machine_arn = $1 AND version < $2 ' +
    'ORDER BY version DESC LIMIT $3',
  selectAlias: 'SELECT * FROM state_machine_aliases WHERE state_machine_arn = $1 AND name = $2',
  listAliases:
    'SELECT * FROM state_machine_aliases WHERE state_machine_arn = $1 ORDER BY creation_date, name',
  deleteAlias: 'DELETE FROM state_machine_aliases WHERE state_machine_arn = $1 AND name = $2',

  selectExecution: `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE arn = $1`,
  listExecutionsFirst: `${BY_MACHINE} ${NEWEST_FIRST} LIMIT $2`,
  listExecutionsAfter: `${BY_MACHINE} AND ${executionAfter(2, 3)} ${NEWEST_FIRST} LIMIT $4`,
  listExecutionsByStatusFirst: `${BY_MACHINE} AND status = $2 ${NEWEST_FIRST} LIMIT $3`,
  listExecutionsByStatusAfter: `${BY_MACHINE} AND status = $2 AND ${executionAfter(3, 4)} ${NEWEST_FIRST} LIMIT $5`,
  listChildrenFirst: `${BY_MAP_RUN} ${NEWEST_FIRST} LIMIT $2`,
  listChildrenAfter: `${BY_MAP_RUN} AND ${executionAfter(2, 3)} ${NEWEST_FIRST} LIMIT $4`,
  listChildrenByStatusFirst: `${BY_MAP_RUN} AND status = $2 ${NEWEST_FIRST} LIMIT $3`,
  listChildrenByStatusAfter: `${BY_MAP_RUN} AND status = $2 AND ${executionAfter(3, 4)} ${NEWEST_FIRST} LIMIT $5`,
  selectMapRunChildren: `${BY_MAP_RUN} ORDER BY map_run_index, arn`,

  createMapRun:
    `WITH m AS (INSERT INTO map_runs (arn, ${MAP_RUN_VALUE_COLUMNS.join(', ')}, version) ` +
    `VALUES ($1, ${MAP_RUN_VALUE_COLUMNS.map((_, i) => `$${i + 2}`).join(', ')}, ` +
    `$${MAP_RUN_VALUE_COLUMNS.length + 2})) ` +
    'INSERT INTO map_run_items (map_run_arn, item_index, input) ' +
    `SELECT $1, i.ordinality - 1, i.input FROM unnest($${MAP_RUN_VALUE_COLUMNS.length + 3}::text[]) ` +
    'WITH ORDINALITY AS i (input, ordinality)',
  selectMapRun: 'SELECT * FROM map_runs WHERE arn = $1',
  selectMapRunsOfExecution: 'SELECT * FROM map_runs WHERE execution_arn = $1 ORDER BY start_date, arn',
  selectRunningMapRuns: "SELECT * FROM map_runs WHERE status = 'RUNNING' ORDER BY start_date, arn",
  // As for executions, the version test is the optimistic lock: zero rows changed = stale.
  updateMapRun:
    `UPDATE map_runs SET ${MAP_RUN_VALUE_COLUMNS.map((c, i) => `${c} = $${i + 1}`).join(', ')}, ` +
    `version = version + 1 WHERE arn = $${MAP_RUN_VALUE_COLUMNS.length + 1} ` +
    `AND version = $${MAP_RUN_VALUE_COLUMNS.length + 2}`,
  // Not SKIP LOCKED: the row is locked only for single statements (a child's count, another
  // claim), and skipping one would read as "owned elsewhere" when nobody owns the run. Waiting
  // re-evaluates the WHERE on the row as that statement left it.
  claimMapRun:
    "UPDATE map_runs SET owner = $2, owner_until = $4 WHERE arn = $1 AND status = 'RUNNING' " +
    `AND (owner IS NULL OR owner = $2 OR owner_until <= $3) RETURNING ${MAP_RUN_COLUMNS}`,
  releaseMapRun:
    'UPDATE map_runs SET owner = NULL, owner_until = NULL WHERE arn = $1 AND owner = $2 RETURNING version',
  // Runs whose owner's lease has passed without a release: that node died while driving them.
  selectOrphanedMapRuns:
    "SELECT arn FROM map_runs WHERE status = 'RUNNING' AND owner_until <= $1 ORDER BY start_date, arn",
  selectMapRunItem: 'SELECT input FROM map_run_items WHERE map_run_arn = $1 AND item_index = $2',

  selectThreads: 'SELECT data FROM threads WHERE execution_arn = $1 ORDER BY id',
  selectRedriveThreads: 'SELECT data FROM redrive_threads WHERE execution_arn = $1 ORDER BY id',
  historyForward: `SELECT ${HISTORY_COLUMNS} FROM history_events WHERE execution_arn = $1 AND id > $2 ORDER BY id LIMIT $3`,
  historyReverse: `SELECT ${HISTORY_COLUMNS} FROM history_events WHERE execution_arn = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,

  selectTask: 'SELECT * FROM activity_tasks WHERE token = $1',
  selectNextQueuedTask:
    "SELECT * FROM activity_tasks WHERE activity_arn = $1 AND status = 'queued' " +
    'ORDER BY scheduled_at, token LIMIT 1',
  // SKIP LOCKED: a task another node is claiming right now (or whose ActivityStarted is being
  // written) is passed over for the next one rather than waited for.
  claimQueuedTask:
    'UPDATE activity_tasks SET claimed_until = $3 WHERE token = (SELECT token FROM activity_tasks ' +
    "WHERE activity_arn = $1 AND status = 'queued' AND (claimed_until IS NULL OR claimed_until <= $2) " +
    `ORDER BY scheduled_at, token LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING ${TASK_COLUMNS}`,
  releaseTaskClaim:
    'UPDATE activity_tasks SET claimed_until = NULL WHERE token = $1 AND claimed_until IS NOT NULL',
  selectQueuedActivities:
    "SELECT DISTINCT activity_arn FROM activity_tasks WHERE status = 'queued' ORDER BY activity_arn",

  listActivityTasks:
    'SELECT * FROM activity_tasks WHERE activity_arn = $1 ORDER BY scheduled_at, token LIMIT $2',
  countActivityTasks:
    'SELECT status, count(*) AS n FROM activity_tasks WHERE activity_arn = $1 GROUP BY status',
  insertHumanActivity: 'INSERT INTO human_activities (activity_arn) VALUES ($1) ON CONFLICT DO NOTHING',
  deleteHumanActivity: 'DELETE FROM human_activities WHERE activity_arn = $1',
  selectHumanActivities: 'SELECT activity_arn FROM human_activities ORDER BY activity_arn',
  countExecutions:
    'SELECT status, count(*) AS n FROM executions WHERE state_machine_arn = $1 GROUP BY status',

  selectDueTimers: `SELECT ${TIMER_COLUMNS} FROM timers WHERE due_at <= $1 ORDER BY due_at, id LIMIT $2`,
  // SKIP LOCKED: a timer another node is claiming, or whose transition is deleting it right now,
  // is not waited for; the next claim sees what that transaction left.
  claimDueTimers:
    'UPDATE timers SET claimed_until = $2 WHERE id IN (SELECT id FROM timers WHERE due_at <= $1 ' +
    'AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY due_at, id LIMIT $3 ' +
    `FOR UPDATE SKIP LOCKED) RETURNING ${TIMER_COLUMNS}`,
  releaseTimerClaim: 'UPDATE timers SET claimed_until = $2 WHERE id = $1 AND claimed_until IS NOT NULL',
  // A claimed timer is next claimable when its lease ends; both terms use an index.
  nextTimerDue:
    'SELECT least((SELECT min(due_at) FROM timers WHERE claimed_until IS NULL), ' +
    '(SELECT min(claimed_until) FROM timers WHERE claimed_until IS NOT NULL)) AS due',
} as const;

type SqlName = keyof typeof SQL;

// --- record mappers ----------------------------------------------------------------------------

/** The first routed version that is not among the versions `found`. */
function missingVersion(found: { version: number }[], routing: readonly AliasRoute[]): number | undefined {
  const present = new Set(found.map((row) => row.version));
  return routing.find((route) => !present.has(route.version))?.version;
}

/** The last write per key wins, and a key both deleted and put is only put (delete runs first). */
function netWrites<T>(
  puts: T[],
  deletes: string[],
  key: (item: T) => string,
): { puts: T[]; deletes: string[] } {
  const byKey = new Map<string, T>();
  for (const item of puts) byKey.set(key(item), item);
  return { puts: [...byKey.values()], deletes: [...new Set(deletes)].filter((id) => !byKey.has(id)) };
}

/**
 * The parameters $1–$27 of a transition statement (see transitionWrites). Arrays are bound as
 * PostgreSQL arrays; `unnest` of several arrays zips them row by row.
 */
function transitionParams(commit: TransitionCommit, nodeId: string): unknown[] {
  const threads = netWrites(commit.threadsPut, commit.threadsDeleted, (t) => t.id);
  const tasks = netWrites(commit.tasksPut, commit.tasksDeleted, (t) => t.token);
  const timers = netWrites(commit.timersPut, commit.timersDeleted, (t) => t.id);
  const events = commit.events;
  return [
    commit.executionArn,
    events.map((e) => e.id),
    events.map((e) => e.previousEventId),
    events.map((e) => e.timestamp),
    events.map((e) => e.type),
    events.map((e) => e.detailsMember ?? null),
    events.map((e) => (e.details === undefined ? null : JSON.stringify(e.details))),
    threads.deletes,
    threads.puts.map((t) => t.id),
    threads.puts.map((t) => JSON.stringify(t)),
    tasks.deletes,
    tasks.puts.map((t) => t.token),
    tasks.puts.map((t) => t.activityArn),
    tasks.puts.map((t) => t.executionArn),
    tasks.puts.map((t) => t.threadId),
    tasks.puts.map((t) => t.input),
    tasks.puts.map((t) => t.status),
    tasks.puts.map((t) => t.scheduledAt),
    tasks.puts.map((t) => t.workerName ?? null),
    timers.deletes,
    timers.puts.map((t) => t.id),
    timers.puts.map((t) => t.executionArn),
    timers.puts.map((t) => t.threadId),
    timers.puts.map((t) => t.kind),
    timers.puts.map((t) => t.dueAt),
    tasks.puts.filter((t) => t.status === 'queued').map((t) => t.activityArn),
    nodeId,
    commit.redriveThreads !== undefined,
    (commit.redriveThreads ?? []).map((t) => t.id),
    (commit.redriveThreads ?? []).map((t) => JSON.stringify(t)),
  ];
}

// --- errors ------------------------------------------------------------------------------------

/** SQLSTATEs that mean "the database is not reachable right now", not "this request is wrong". */
function isUnavailableCode(code: string | undefined): boolean {
  if (code === undefined) return false;
  // 08: connection exception; 57P01-03: shutting down / cannot connect now; 53300: too many
  // connections; 40001/40P01 are not here: the statements in this store do not raise them.
  return (
    code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300'
  );
}

/**
 * Turns a failure of `pg` into what callers expect: a StoreUnavailableError when the database
 * could not be reached or the connection broke (anything pg raises that is not a server-side
 * error is of that kind: refused, reset, terminated, connect timeout), otherwise the error itself.
 */
function storeError(error: unknown): unknown {
  if (error instanceof DatabaseError) {
    return isUnavailableCode(error.code)
      ? new StoreUnavailableError(`PostgreSQL is unavailable: ${error.message}`, { cause: error })
      : error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`PostgreSQL is unavailable: ${message}`, { cause: error });
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof DatabaseError && error.code === '23505';
}

// --- connection ---------------------------------------------------------------------------------

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/** Arbitrary but fixed: the key of the advisory lock that serialises migrations in a database. */
const MIGRATION_LOCK = 0x53575f4d; // "SW_M"

/** Splits Stepwise's own `schema` URL parameter off the connection string pg receives. */
function splitUrl(
  url: string,
  schemaOption: string | undefined,
): { connectionString: string; schema?: string } {
  let schema = schemaOption;
  let connectionString = url;
  try {
    const parsed = new URL(url);
    const fromUrl = parsed.searchParams.get('schema');
    if (fromUrl !== null) {
      parsed.searchParams.delete('schema');
      connectionString = parsed.toString();
      schema ??= fromUrl;
    }
  } catch {
    // Not a URL (a libpq keyword string, say): pg parses it as it is.
  }
  if (schema !== undefined && !IDENTIFIER.test(schema)) {
    throw new RangeError(`schema must be a lower-case SQL identifier: ${schema}`);
  }
  return schema === undefined ? { connectionString } : { connectionString, schema };
}

/** The pool's (and the listener's) client settings. */
function clientConfig(connectionString: string, schema: string | undefined): PoolConfig {
  const types = new TypeOverrides();
  // int8 (times, versions, counts) as JavaScript numbers: every value stored here is below 2^53.
  types.setTypeParser(20, (text: string) => Number(text));
  const config: PoolConfig = {
    connectionString,
    types,
    // Fail a request within seconds while the database is away, instead of queueing it forever.
    connectionTimeoutMillis: 5000,
    keepAlive: true,
    application_name: 'stepwise',
  };
  // search_path as a startup parameter: every pooled connection has it from its first query.
  if (schema !== undefined) config.options = `-c search_path=${schema}`;
  return config;
}

/** A node's identity in notifications: random, so a restarted node is a new one. */
function newNodeId(): string {
  return randomBytes(8).toString('hex');
}

// --- the store -----------------------------------------------------------------------------------

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: Pool;
  private readonly commitSql: string;
  private readonly redriveSql: string;
  private readonly createExecutionSql: string;
  private readonly nodeId = newNodeId();
  private readonly channel: string;
  private readonly taskListeners: ((activityArn: string) => void)[] = [];
  private listener: Client | undefined;
  private listenerRetry: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * Connects, creates the schema if asked to, and applies the migrations this database lacks.
   * Safe when several nodes start at once: migrations run under a transaction-level advisory lock.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const { connectionString, schema } = splitUrl(url, options.schema);
    const pool = new Pool({ ...clientConfig(connectionString, schema), max: options.poolSize ?? 10 });
    const store = new PostgresStore(pool, connectionString, schema);
    try {
      await store.migrate(schema);
    } catch (error) {
      await pool.end();
      throw error instanceof DatabaseError ? error : storeError(error);
    }
    return store;
  }

  private constructor(
    pool: Pool,
    private readonly connectionString: string,
    private readonly schema: string | undefined,
  ) {
    this.pool = pool;
    // An idle client whose connection breaks emits here; without a handler the process would
    // crash. The pool drops that client and opens a new one when next needed.
    pool.on('error', (error) => {
      if (!this.closed) console.error(`stepwise: PostgreSQL connection lost: ${error.message}`);
    });
    // One channel per schema, so that test schemas (or two deployments in one database) do not
    // wake each other.
    const channel = `stepwise_tasks_${schema ?? 'public'}`;
    this.channel = channel;
    // $1–$30 are transitionParams'; the statement's own follow.
    this.commitSql =
      'WITH u AS (UPDATE executions SET status = $32, next_event_id = $33, output = coalesce($34, output), ' +
      'error = coalesce($35, error), cause = coalesce($36, cause), stop_date = coalesce($37, stop_date), ' +
      'redrivable = coalesce($38, redrivable), version = version + 1 WHERE arn = $1 AND version = $31 ' +
      'RETURNING arn)' +
      transitionWrites(channel);
    // A redrive replaces the previous outcome rather than keeping it where the patch has none.
    this.redriveSql =
      'WITH u AS (UPDATE executions SET status = $32, next_event_id = $33, output = $34, error = $35, ' +
      'cause = $36, stop_date = $37, redrivable = $38, redrive_count = $39, redrive_date = $40, ' +
      'redrive_tokens = $41, version = version + 1 WHERE arn = $1 AND version = $31 RETURNING arn)' +
      transitionWrites(channel);
    // A new execution is inserted with its first transition already applied to the row, since a
    // statement's CTEs cannot see each other's writes; ON CONFLICT makes a racing duplicate a no-op.
    this.createExecutionSql =
      `WITH u AS (INSERT INTO executions (${EXECUTION_COLUMNS}) VALUES ($1, ` +
      Array.from({ length: 23 }, (_, i) => `$${i + 31}`).join(', ') +
      ') ON CONFLICT (arn) DO NOTHING RETURNING arn)' +
      transitionWrites(channel);
  }

  private async migrate(schema: string | undefined): Promise<void> {
    const client = await this.pool.connect();
    let failed: unknown;
    try {
      await client.query('BEGIN');
      // Held until COMMIT: a second node starting at the same moment waits here, then finds
      // the migrations applied. (CREATE SCHEMA IF NOT EXISTS itself is not safe against a race.)
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS stepwise_migrations (version integer PRIMARY KEY, ' +
          'applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const result = await client.query<{ version: number | null }>(
        'SELECT max(version) AS version FROM stepwise_migrations',
      );
      const current = result.rows[0]?.version ?? 0;
      if (current > postgresMigrations.length) {
        throw new Error(
          `database schema version ${current} is newer than this Stepwise understands (${postgresMigrations.length})`,
        );
      }
      for (let version = current; version < postgresMigrations.length; version++) {
        const sql = postgresMigrations[version];
        if (sql === undefined) break;
        await client.query(sql);
        await client.query('INSERT INTO stepwise_migrations (version) VALUES ($1)', [version + 1]);
      }
      await client.query('COMMIT');
    } catch (error) {
      failed = error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release(failed instanceof Error ? failed : undefined);
    }
  }

  /** One named statement on a pooled connection; connection failures become StoreUnavailableError. */
  private async run<R extends QueryResultRow>(name: SqlName, values: unknown[]): Promise<R[]> {
    return this.exec<R>(`sw_${name}`, SQL[name], values);
  }

  private async exec<R extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<R[]> {
    try {
      const result = await this.pool.query<R>({ name, text, values });
      return result.rows;
    } catch (error) {
      throw storeError(error);
    }
  }

  private async one<R extends QueryResultRow>(name: SqlName, values: unknown[]): Promise<R | undefined> {
    return (await this.run<R>(name, values))[0];
  }

  async createActivity(activity: ActivityRecord, tags: Tag[] = []): Promise<ActivityRecord> {
    // Idempotent by name: the insert does nothing when the name (or ARN) exists, and then the
    // stored one is answered. A delete racing in between is retried.
    const distinct = distinctTags(tags);
    for (let attempt = 0; attempt < 5; attempt++) {
      const inserted = await this.one<ActivityRow>('insertActivity', [
        activity.activityArn,
        activity.name,
        activity.creationDate,
        distinct.map((t) => t.key),
        distinct.map((t) => t.value),
      ]);
      if (inserted !== undefined) return toActivity(inserted);
      const existing = await this.one<ActivityRow>('selectActivityByName', [activity.name]);
      if (existing !== undefined) return toActivity(existing);
    }
    throw new Error(`activity ${activity.name} keeps conflicting`);
  }

  async getActivity(activityArn: string): Promise<ActivityRecord | undefined> {
    const row = await this.one<ActivityRow>('selectActivity', [activityArn]);
    return row === undefined ? undefined : toActivity(row);
  }

  async listActivities(page: PageRequest<NameCursor>): Promise<Page<ActivityRecord, NameCursor>> {
    checkLimit(page.limit);
    const after = page.after;
    const rows =
      after === undefined
        ? await this.run<ActivityRow>('listActivitiesFirst', [page.limit + 1])
        : await this.run<ActivityRow>('listActivitiesAfter', [after.creationDate, after.arn, page.limit + 1]);
    return keysetPage(rows.map(toActivity), page.limit, (a) => ({
      creationDate: a.creationDate,
      arn: a.activityArn,
    }));
  }

  async deleteActivity(activityArn: string): Promise<void> {
    await this.deleteWithTags('deleteActivity', activityArn);
  }

  async createStateMachine(
    stateMachine: StateMachineRecord,
    tags: Tag[] = [],
    publish?: { description?: string },
  ): Promise<{ created: true } | { created: false; existing: StateMachineRecord }> {
    const revision = stateMachine.current;
    const distinct = distinctTags(tags);
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = await this.one<{ created: number }>('createStateMachine', [
        stateMachine.stateMachineArn,
        stateMachine.name,
        stateMachine.type,
        stateMachine.status,
        stateMachine.creationDate,
        stateMachine.updateDate ?? null,
        stateMachine.revisionId ?? null,
        revision.revisionKey,
        revision.definition,
        revision.roleArn,
        revision.loggingConfiguration,
        revision.tracingConfiguration,
        revision.createdAt,
        distinct.map((t) => t.key),
        distinct.map((t) => t.value),
        publish?.description ?? null,
        publish === undefined ? 0 : 1,
      ]);
      if (result !== undefined && result.created > 0) return { created: true };
      const existing = await this.getStateMachine(stateMachine.stateMachineArn);
      if (existing !== undefined) return { created: false, existing };
    }
    throw new Error(`state machine ${stateMachine.stateMachineArn} keeps conflicting`);
  }

  async getStateMachine(stateMachineArn: string): Promise<StateMachineRecord | undefined> {
    const row = await this.one<StateMachineWithRevisionRow>('selectStateMachine', [stateMachineArn]);
    return row === undefined ? undefined : toStateMachine(row);
  }

  async listStateMachines(page: PageRequest<NameCursor>): Promise<Page<StateMachineRecord, NameCursor>> {
    checkLimit(page.limit);
    const after = page.after;
    const rows =
      after === undefined
        ? await this.run<StateMachineWithRevisionRow>('listStateMachinesFirst', [page.limit + 1])
        : await this.run<StateMachineWithRevisionRow>('listStateMachinesAfter', [
            after.creationDate,
            after.arn,
            page.limit + 1,
          ]);
    return keysetPage(rows.map(toStateMachine), page.limit, (m) => ({
      creationDate: m.creationDate,
      arn: m.stateMachineArn,
    }));
  }

  async updateStateMachine(
    stateMachineArn: string,
    revision: StateMachineRevision,
    update: { updateDate: number; revisionId: string },
  ): Promise<boolean> {
    const result = await this.one<{ updated: number }>('updateStateMachine', [
      stateMachineArn,
      revision.revisionKey,
      update.updateDate,
      update.revisionId,
      revision.definition,
      revision.roleArn,
      revision.loggingConfiguration,
      revision.tracingConfiguration,
      revision.createdAt,
    ]);
    return result !== undefined && result.updated > 0;
  }

  async deleteStateMachine(stateMachineArn: string): Promise<void> {
    await this.deleteWithTags('deleteStateMachine', stateMachineArn);
  }

  /**
   * Deletes a resource, then its tags in a second statement of the same transaction: that one
   * reads a snapshot taken after the delete got the row, so it also sees the tags of a TagResource
   * that held the row (lockTaggable) until it committed. A TagResource after the delete finds no
   * row to lock. Either way no tag outlives its resource to reappear on one created later.
   */
  private async deleteWithTags(
    statement: 'deleteActivity' | 'deleteStateMachine',
    arn: string,
  ): Promise<void> {
    await this.transaction(async (query) => {
      await query(statement, [arn]);
      await query('deleteResourceTags', [arn]);
    });
  }

  async listTags(resourceArn: string): Promise<Tag[] | undefined> {
    const rows = await this.run<{ key: string | null; value: string | null }>('selectTags', [resourceArn]);
    if (rows.length === 0) return undefined;
    return rows.flatMap((row) => (row.key === null ? [] : [{ key: row.key, value: row.value ?? '' }]));
  }

  async tagResource(resourceArn: string, tags: Tag[], maxTags: number): Promise<TagOutcome> {
    const distinct = distinctTags(tags);
    return this.transaction(async (query) => {
      const [lock] = await query<{ found: number }>('lockTaggable', [resourceArn]);
      if ((lock?.found ?? 0) === 0) return 'notFound';
      // A statement after the lock: its snapshot has every tag write that held the lock before.
      const existing = await query<{ key: string }>('selectTagKeys', [resourceArn]);
      if (
        taggedCount(
          existing.map((row) => row.key),
          distinct,
        ) > maxTags
      )
        return 'tooManyTags';
      if (distinct.length > 0) {
        await query('upsertTags', [resourceArn, distinct.map((t) => t.key), distinct.map((t) => t.value)]);
      }
      return 'tagged';
    });
  }

  async untagResource(resourceArn: string, keys: string[]): Promise<boolean> {
    const [row] = await this.run<{ found: boolean }>('untag', [resourceArn, keys]);
    return row?.found === true;
  }

  /**
   * Runs `work` in one transaction on one pooled connection (READ COMMITTED: each statement sees
   * what committed before it started); a throw rolls it back. Statements are named by SQL's keys.
   */
  private async transaction<T>(
    work: (query: <R extends QueryResultRow>(name: SqlName, values: unknown[]) => Promise<R[]>) => Promise<T>,
  ): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeError(error);
    }
    const query = async <R extends QueryResultRow>(name: SqlName, values: unknown[]): Promise<R[]> => {
      try {
        return (await client.query<R>({ name: `sw_${name}`, text: SQL[name], values })).rows;
      } catch (error) {
        throw storeError(error);
      }
    };
    const plain = async (text: string): Promise<void> => {
      try {
        await client.query(text);
      } catch (error) {
        throw storeError(error);
      }
    };
    let broken: Error | undefined;
    try {
      await plain('BEGIN');
      const result = await work(query);
      await plain('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: unknown) => {
        // A connection that cannot even roll back is not given back to the pool.
        broken = rollback instanceof Error ? rollback : new Error(String(rollback));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async getRevision(stateMachineArn: string, revisionKey: string): Promise<StateMachineRevision | undefined> {
    const row = await this.one<RevisionRow>('selectRevision', [stateMachineArn, revisionKey]);
    return row === undefined ? undefined : toRevision(row);
  }

  async publishStateMachineVersion(
    stateMachineArn: string,
    request: PublishRequest,
  ): Promise<PublishOutcome> {
    return this.transaction(async (query): Promise<PublishOutcome> => {
      const [machine] = await query<{ current_revision_key: string; last_version: number }>('lockMachine', [
        stateMachineArn,
      ]);
      if (machine === undefined) return { kind: 'noStateMachine' };
      if (request.update === undefined) {
        if (machine.current_revision_key !== request.revisionKey) return { kind: 'revisionChanged' };
        const [existing] = await query<VersionRow>('selectVersionOfRevision', [
          stateMachineArn,
          request.revisionKey,
        ]);
        if (existing !== undefined) return { kind: 'existing', version: toVersion(existing) };
      }
      const [count] = await query<{ n: number }>('countVersions', [stateMachineArn]);
      if ((count?.n ?? 0) >= request.maxVersions) return { kind: 'quotaExceeded' };
      const update = request.update;
      if (update !== undefined) {
        const revision = update.revision;
        await query('updateStateMachine', [
          stateMachineArn,
          revision.revisionKey,
          update.updateDate,
          update.revisionId,
          revision.definition,
          revision.roleArn,
          revision.loggingConfiguration,
          revision.tracingConfiguration,
          revision.createdAt,
        ]);
      }
      const version = versionRecord(
        stateMachineArn,
        machine.last_version + 1,
        request.revisionKey,
        request.creationDate,
        request,
      );
      await query('insertVersion', [
        stateMachineArn,
        version.version,
        version.revisionKey,
        version.revisionId ?? null,
        version.description ?? null,
        version.creationDate,
      ]);
      return { kind: 'published', version };
    });
  }

  async getStateMachineVersion(
    stateMachineArn: string,
    version: number,
  ): Promise<StateMachineVersionRecord | undefined> {
    const row = await this.one<VersionRow>('selectVersion', [stateMachineArn, version]);
    return row === undefined ? undefined : toVersion(row);
  }

  async listStateMachineVersions(
    stateMachineArn: string,
    page: PageRequest<number>,
  ): Promise<Page<StateMachineVersionRecord, number>> {
    checkLimit(page.limit);
    const rows = await this.run<VersionRow>('listVersions', [
      stateMachineArn,
      page.after ?? 2 ** 31 - 1,
      page.limit + 1,
    ]);
    return keysetPage(rows.map(toVersion), page.limit, (v) => v.version);
  }

  /*
   * Version and alias writes lock their machine's row first (`lockMachine`), which orders them
   * against each other per machine, across nodes: a version cannot be deleted while an alias that
   * routes to it is being created.
   */

  async deleteStateMachineVersion(
    stateMachineArn: string,
    version: number,
  ): Promise<{ deleted: true } | { deleted: false; aliases: string[] }> {
    return this.transaction(async (query) => {
      await query('lockMachine', [stateMachineArn]);
      const aliases = aliasesRoutingTo(
        (await query<AliasRow>('listAliases', [stateMachineArn])).map(toAlias),
        version,
      );
      if (aliases.length > 0) return { deleted: false as const, aliases };
      await query('deleteVersion', [stateMachineArn, version]);
      return { deleted: true as const };
    });
  }

  async createStateMachineAlias(
    alias: StateMachineAliasRecord,
    maxAliases: number,
  ): Promise<AliasCreateOutcome> {
    return this.transaction(async (query): Promise<AliasCreateOutcome> => {
      const arn = alias.stateMachineArn;
      if ((await query('lockMachine', [arn])).length === 0) return { kind: 'noStateMachine' };
      const [existing] = await query<AliasRow>('selectAlias', [arn, alias.name]);
      if (existing !== undefined) return { kind: 'exists', existing: toAlias(existing) };
      const missing = missingVersion(
        await query<{ version: number }>('selectVersionsIn', [arn, alias.routing.map((r) => r.version)]),
        alias.routing,
      );
      if (missing !== undefined) return { kind: 'missingVersion', version: missing };
      const [count] = await query<{ n: number }>('countAliases', [arn]);
      if ((count?.n ?? 0) >= maxAliases) return { kind: 'quotaExceeded' };
      await query('insertAlias', [
        arn,
        alias.name,
        alias.description ?? null,
        routingJson(alias.routing),
        alias.creationDate,
        alias.updateDate,
      ]);
      return { kind: 'created' };
    });
  }

  async getStateMachineAlias(
    stateMachineArn: string,
    name: string,
  ): Promise<StateMachineAliasRecord | undefined> {
    const row = await this.one<AliasRow>('selectAlias', [stateMachineArn, name]);
    return row === undefined ? undefined : toAlias(row);
  }

  async listStateMachineAliases(stateMachineArn: string): Promise<StateMachineAliasRecord[]> {
    return (await this.run<AliasRow>('listAliases', [stateMachineArn])).map(toAlias);
  }

  async updateStateMachineAlias(
    stateMachineArn: string,
    name: string,
    change: { description?: string; routing?: AliasRoute[]; updateDate: number },
  ): Promise<AliasUpdateOutcome> {
    return this.transaction(async (query): Promise<AliasUpdateOutcome> => {
      await query('lockMachine', [stateMachineArn]);
      const [row] = await query<AliasRow>('selectAlias', [stateMachineArn, name]);
      if (row === undefined) return { kind: 'missing' };
      const alias = toAlias(row);
      if (change.routing !== undefined) {
        const found = await query<{ version: number }>('selectVersionsIn', [
          stateMachineArn,
          change.routing.map((r) => r.version),
        ]);
        const missing = missingVersion(found, change.routing);
        if (missing !== undefined) return { kind: 'missingVersion', version: missing };
        alias.routing = change.routing.map((r) => ({ version: r.version, weight: r.weight }));
      }
      if (change.description !== undefined) alias.description = change.description;
      alias.updateDate = change.updateDate;
      await query('updateAlias', [
        stateMachineArn,
        name,
        alias.description ?? null,
        routingJson(alias.routing),
        alias.updateDate,
      ]);
      return { kind: 'updated', alias };
    });
  }

  async deleteStateMachineAlias(stateMachineArn: string, name: string): Promise<void> {
    await this.run('deleteAlias', [stateMachineArn, name]);
  }

  async createExecution(execution: ExecutionRecord, first: TransitionCommit): Promise<CreateExecutionResult> {
    if (first.executionArn !== execution.executionArn || first.expectedVersion !== execution.version) {
      throw new Error(`first transition does not match execution ${execution.executionArn}`);
    }
    const patch = first.execution;
    // The row as it stands after its first transition (see createExecutionSql).
    const row = [
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
    ];
    const result = await this.transition('sw_createExecution', this.createExecutionSql, [
      ...transitionParams(first, this.nodeId),
      ...row,
    ]);
    if (result) return { created: true };
    const existing = await this.getExecution(execution.executionArn);
    if (existing === undefined) throw new Error(`execution vanished: ${execution.executionArn}`);
    return { created: false, existing };
  }

  async getExecution(executionArn: string): Promise<ExecutionRecord | undefined> {
    const row = await this.one<ExecutionRow>('selectExecution', [executionArn]);
    return row === undefined ? undefined : toExecution(row);
  }

  async listExecutions(
    filter: ExecutionFilter,
    page: PageRequest<ExecutionCursor>,
  ): Promise<Page<ExecutionRecord, ExecutionCursor>> {
    checkLimit(page.limit);
    const parent = executionParent(filter);
    if (parent.by === 'version' || parent.by === 'alias' || filter.redriven !== undefined) {
      return this.listFiltered(parent.by, parent.arn, filter, page);
    }
    const machine = parent.by === 'machine';
    const fetch = page.limit + 1;
    const after = page.after;
    let rows: ExecutionRow[];
    if (filter.status === undefined) {
      rows =
        after === undefined
          ? await this.run<ExecutionRow>(machine ? 'listExecutionsFirst' : 'listChildrenFirst', [
              parent.arn,
              fetch,
            ])
          : await this.run<ExecutionRow>(machine ? 'listExecutionsAfter' : 'listChildrenAfter', [
              parent.arn,
              after.startDate,
              after.arn,
              fetch,
            ]);
    } else {
      rows =
        after === undefined
          ? await this.run<ExecutionRow>(
              machine ? 'listExecutionsByStatusFirst' : 'listChildrenByStatusFirst',
              [parent.arn, filter.status, fetch],
            )
          : await this.run<ExecutionRow>(
              machine ? 'listExecutionsByStatusAfter' : 'listChildrenByStatusAfter',
              [parent.arn, filter.status, after.startDate, after.arn, fetch],
            );
    }
    return keysetPage(rows.map(toExecution), page.limit, (e) => ({
      startDate: e.startDate,
      arn: e.executionArn,
    }));
  }

  /** Executions started through a version or an alias, from their partial indexes. */
  private async listFiltered(
    by: 'machine' | 'mapRun' | 'version' | 'alias',
    parentArn: string,
    filter: ExecutionFilter,
    page: PageRequest<ExecutionCursor>,
  ): Promise<Page<ExecutionRecord, ExecutionCursor>> {
    const column = {
      machine: 'state_machine_arn',
      mapRun: 'map_run_arn',
      version: 'state_machine_version_arn',
      alias: 'state_machine_alias_arn',
    }[by];
    const params: unknown[] = [parentArn];
    const where = [`${column} = $1`];
    if (filter.status !== undefined) {
      params.push(filter.status);
      where.push(`status = $${params.length}`);
    }
    if (filter.redriven !== undefined)
      where.push(filter.redriven ? 'redrive_count > 0' : 'redrive_count = 0');
    if (page.after !== undefined) {
      params.push(page.after.startDate, page.after.arn);
      where.push(executionAfter(params.length - 1, params.length));
    }
    params.push(page.limit + 1);
    const text =
      `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE ${where.join(' AND ')} ` +
      `${NEWEST_FIRST} LIMIT $${params.length}`;
    const redrive = filter.redriven === undefined ? '' : filter.redriven ? '_redriven' : '_not_redriven';
    const name = `sw_list_${by}${filter.status !== undefined ? '_status' : ''}${redrive}${page.after !== undefined ? '_after' : ''}`;
    const rows = await this.exec<ExecutionRow>(name, text, params);
    return keysetPage(rows.map(toExecution), page.limit, (e) => ({
      startDate: e.startDate,
      arn: e.executionArn,
    }));
  }

  async loadThreads(executionArn: string): Promise<ThreadRecord[]> {
    const rows = await this.run<{ data: string }>('selectThreads', [executionArn]);
    return rows.map((row) => JSON.parse(row.data) as ThreadRecord);
  }

  async loadRedriveThreads(executionArn: string): Promise<ThreadRecord[]> {
    const rows = await this.run<{ data: string }>('selectRedriveThreads', [executionArn]);
    return rows.map((row) => JSON.parse(row.data) as ThreadRecord);
  }

  async commitTransition(commit: TransitionCommit): Promise<boolean> {
    const patch = commit.execution;
    const values = [
      ...transitionParams(commit, this.nodeId),
      commit.expectedVersion,
      patch.status,
      patch.nextEventId,
      patch.output ?? null,
      optionalJson(patch.error),
      optionalJson(patch.cause),
      patch.stopDate ?? null,
    ];
    if (patch.redriven === undefined) {
      return this.transition('sw_commitTransition', this.commitSql, [...values, redrivableFlag(commit)]);
    }
    const tokens = commit.redriveTokens;
    return this.transition('sw_redriveExecution', this.redriveSql, [
      ...values,
      redrivableFlag(commit) ?? 0,
      patch.redriven.redriveCount,
      patch.redriven.redriveDate,
      tokens === undefined || tokens.length === 0 ? null : JSON.stringify(tokens),
    ]);
  }

  /** Runs a transition statement; true when its gate row was written (and so everything else). */
  private async transition(name: string, text: string, values: unknown[]): Promise<boolean> {
    const rows = await this.exec<{ applied: number }>(name, text, values);
    return (rows[0]?.applied ?? 0) > 0;
  }

  async getHistory(query: HistoryQuery): Promise<HistoryEvent[]> {
    checkLimit(query.limit);
    const rows = query.reverse
      ? await this.run<HistoryRow>('historyReverse', [
          query.executionArn,
          query.afterId ?? Number.MAX_SAFE_INTEGER,
          query.limit,
        ])
      : await this.run<HistoryRow>('historyForward', [
          query.executionArn,
          query.afterId ?? Number.MIN_SAFE_INTEGER,
          query.limit,
        ]);
    return rows.map(toHistoryEvent);
  }

  async putRevision(revision: StateMachineRevision): Promise<void> {
    await this.run('insertRevision', [
      revision.stateMachineArn,
      revision.revisionKey,
      revision.definition,
      revision.roleArn,
      revision.loggingConfiguration,
      revision.tracingConfiguration,
      revision.createdAt,
    ]);
  }

  async createMapRun(mapRun: MapRunRecord, items: string[]): Promise<void> {
    try {
      await this.run('createMapRun', [mapRun.mapRunArn, ...mapRunValues(mapRun), mapRun.version, items]);
    } catch (error) {
      // The contract: a second Map Run under an ARN already used is refused, with nothing written
      // (the statement is atomic). Said plainly rather than as a constraint name.
      if (isUniqueViolation(error)) throw new Error(`map run exists: ${mapRun.mapRunArn}`, { cause: error });
      throw error;
    }
  }

  async getMapRun(mapRunArn: string): Promise<MapRunRecord | undefined> {
    const row = await this.one<MapRunRow>('selectMapRun', [mapRunArn]);
    return row === undefined ? undefined : toMapRun(row);
  }

  async listMapRuns(executionArn: string): Promise<MapRunRecord[]> {
    return (await this.run<MapRunRow>('selectMapRunsOfExecution', [executionArn])).map(toMapRun);
  }

  async updateMapRun(mapRun: MapRunRecord, expectedVersion: number): Promise<boolean> {
    const rows = await this.exec('sw_updateMapRun', `${SQL.updateMapRun} RETURNING arn`, [
      ...mapRunValues(mapRun),
      mapRun.mapRunArn,
      expectedVersion,
    ]);
    return rows.length > 0;
  }

  async getMapRunItem(mapRunArn: string, index: number): Promise<string | undefined> {
    return (await this.one<{ input: string }>('selectMapRunItem', [mapRunArn, index]))?.input;
  }

  async runningMapRuns(): Promise<MapRunRecord[]> {
    return (await this.run<MapRunRow>('selectRunningMapRuns', [])).map(toMapRun);
  }

  async claimMapRun(
    mapRunArn: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<MapRunRecord | undefined> {
    const row = await this.one<MapRunRow>('claimMapRun', [mapRunArn, owner, now, now + leaseMs]);
    return row === undefined ? undefined : toMapRun(row);
  }

  async releaseMapRun(mapRunArn: string, owner: string): Promise<number | undefined> {
    return (await this.one<{ version: number }>('releaseMapRun', [mapRunArn, owner]))?.version;
  }

  async orphanedMapRuns(now: number): Promise<string[]> {
    return (await this.run<{ arn: string }>('selectOrphanedMapRuns', [now])).map((r) => r.arn);
  }

  async mapRunChildren(mapRunArn: string): Promise<ExecutionRecord[]> {
    return (await this.run<ExecutionRow>('selectMapRunChildren', [mapRunArn])).map(toExecution);
  }

  async nextQueuedTask(activityArn: string): Promise<ActivityTaskRecord | undefined> {
    const row = await this.one<TaskRow>('selectNextQueuedTask', [activityArn]);
    return row === undefined ? undefined : toTask(row);
  }

  async claimQueuedTask(
    activityArn: string,
    now: number,
    leaseMs: number,
  ): Promise<ActivityTaskRecord | undefined> {
    const row = await this.one<TaskRow>('claimQueuedTask', [activityArn, now, now + leaseMs]);
    return row === undefined ? undefined : toTask(row);
  }

  async releaseTaskClaim(token: string): Promise<void> {
    await this.run('releaseTaskClaim', [token]);
  }

  async activitiesWithQueuedTasks(): Promise<string[]> {
    return (await this.run<{ activity_arn: string }>('selectQueuedActivities', [])).map(
      (r) => r.activity_arn,
    );
  }

  async getActivityTask(token: string): Promise<ActivityTaskRecord | undefined> {
    const row = await this.one<TaskRow>('selectTask', [token]);
    return row === undefined ? undefined : toTask(row);
  }

  async listActivityTasks(activityArn: string, limit: number): Promise<ActivityTaskRecord[]> {
    checkLimit(limit);
    return (await this.run<TaskRow>('listActivityTasks', [activityArn, limit])).map(toTask);
  }

  async countActivityTasks(activityArn: string): Promise<ActivityTaskCounts> {
    const counts: ActivityTaskCounts = { queued: 0, started: 0 };
    for (const row of await this.run<{ status: string; n: number }>('countActivityTasks', [activityArn])) {
      if (row.status === 'queued') counts.queued = row.n;
      else if (row.status === 'started') counts.started = row.n;
    }
    return counts;
  }

  async setActivityHuman(activityArn: string, human: boolean): Promise<void> {
    await this.run(human ? 'insertHumanActivity' : 'deleteHumanActivity', [activityArn]);
  }

  async humanActivities(): Promise<string[]> {
    return (await this.run<{ activity_arn: string }>('selectHumanActivities', [])).map((r) => r.activity_arn);
  }

  async searchExecutions(
    filter: ExecutionSearch,
    page: PageRequest<ExecutionCursor>,
  ): Promise<Page<ExecutionRecord, ExecutionCursor>> {
    checkLimit(page.limit);
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.stateMachineArn !== undefined)
      where.push(`state_machine_arn = ${param(filter.stateMachineArn)}`);
    else where.push('map_run_arn IS NULL');
    if (filter.status !== undefined) where.push(`status = ${param(filter.status)}`);
    if (filter.namePrefix !== undefined && filter.namePrefix !== '') {
      where.push(`starts_with(name, ${param(filter.namePrefix)})`);
    }
    if (filter.startedAfter !== undefined) where.push(`start_date >= ${param(filter.startedAfter)}`);
    if (filter.startedBefore !== undefined) where.push(`start_date < ${param(filter.startedBefore)}`);
    if (page.after !== undefined) {
      const date = param(page.after.startDate);
      where.push(`start_date <= ${date} AND (start_date < ${date} OR arn > ${param(page.after.arn)})`);
    }
    const text =
      `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE ${where.join(' AND ')} ` +
      `${NEWEST_FIRST} LIMIT ${param(page.limit + 1)}`;
    // The text depends on the filters given: named after it, so each shape is prepared once.
    const name = `sw_search_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    const rows = await this.exec<ExecutionRow>(name, text, params);
    return keysetPage(rows.map(toExecution), page.limit, (e) => ({
      startDate: e.startDate,
      arn: e.executionArn,
    }));
  }

  async countExecutions(stateMachineArn: string): Promise<Partial<Record<ExecutionStatus, number>>> {
    const counts: Partial<Record<ExecutionStatus, number>> = {};
    for (const row of await this.run<{ status: ExecutionStatus; n: number }>('countExecutions', [
      stateMachineArn,
    ])) {
      counts[row.status] = row.n;
    }
    return counts;
  }

  async dueTimers(now: number, limit: number): Promise<TimerRecord[]> {
    checkLimit(limit);
    return (await this.run<TimerRow>('selectDueTimers', [now, limit])).map(toTimer);
  }

  async claimDueTimers(now: number, limit: number, leaseMs: number): Promise<TimerRecord[]> {
    checkLimit(limit);
    const rows = await this.run<TimerRow>('claimDueTimers', [now, now + leaseMs, limit]);
    // RETURNING follows no order; the contract's is earliest first.
    return rows.map(toTimer).sort((a, b) => a.dueAt - b.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async releaseTimerClaim(id: string, claimableAt: number): Promise<void> {
    await this.run('releaseTimerClaim', [id, claimableAt]);
  }

  async nextTimerDue(): Promise<number | undefined> {
    return (await this.one<{ due: number | null }>('nextTimerDue', []))?.due ?? undefined;
  }

  /**
   * Another node queued a task for `activityArn` (a hint: the listener checks the queue). The
   * first subscription opens a dedicated LISTEN connection, which reconnects by itself; a
   * notification sent while it was down is lost, which is why the runtime also polls slowly.
   */
  onTaskQueued(listener: (activityArn: string) => void): void {
    this.taskListeners.push(listener);
    if (this.taskListeners.length === 1) void this.listen();
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new Client(clientConfig(this.connectionString, this.schema));
    this.listener = client;
    const retry = (): void => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.listenerRetry = setTimeout(() => {
        this.listenerRetry = undefined;
        void this.listen();
      }, 1000);
      this.listenerRetry.unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (message) => {
      const payload = message.payload ?? '';
      const space = payload.indexOf(' ');
      if (space < 0 || payload.slice(0, space) === this.nodeId) return;
      const activityArn = payload.slice(space + 1);
      for (const notify of this.taskListeners) notify(activityArn);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch {
      retry();
    }
  }

  /** For tests and tools: a query on a pooled connection of this store's schema. */
  async withClient<T>(work: (client: ClientBase) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeError(error);
    }
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.listenerRetry !== undefined) clearTimeout(this.listenerRetry);
    const listener = this.listener;
    this.listener = undefined;
    if (listener !== undefined) await listener.end().catch(() => undefined);
    await this.pool.end();
  }
}
