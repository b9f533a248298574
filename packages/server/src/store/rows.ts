/**
 * The rows the SQL stores read and write, and their mapping to and from the store's records.
 * SQLite and PostgreSQL share one schema shape (same tables, same column names), so they share
 * this module rather than each keeping a copy.
 */
import type {
  ActivityTaskRecord,
  ActivityTaskStatus,
  ExecutionStatus,
  HistoryEvent,
  Json,
  TimerKind,
  TimerRecord,
} from '@stepwise/core';
import type {
  ActivityRecord,
  ExecutionRecord,
  MapRunRecord,
  MapRunStatus,
  Page,
  AliasRoute,
  StateMachineAliasRecord,
  RedriveToken,
  StateMachineRecord,
  StateMachineRevision,
  StateMachineType,
  StateMachineVersionRecord,
  TransitionCommit,
} from './types.js';
import { versionRecord } from './common.js';

export interface ActivityRow {
  arn: string;
  name: string;
  creation_date: number;
}

export interface StateMachineRow {
  arn: string;
  name: string;
  type: string;
  status: string;
  creation_date: number;
  update_date: number | null;
  revision_id: string | null;
  current_revision_key: string;
}

export interface RevisionRow {
  state_machine_arn: string;
  revision_key: string;
  definition: string;
  role_arn: string;
  logging_configuration: string;
  tracing_configuration: string;
  created_at: number;
}

/** A state machine joined with its current revision; revision columns are prefixed `r_`. */
export interface StateMachineWithRevisionRow extends StateMachineRow {
  r_definition: string;
  r_role_arn: string;
  r_logging_configuration: string;
  r_tracing_configuration: string;
  r_created_at: number;
}

export interface ExecutionRow {
  arn: string;
  state_machine_arn: string;
  name: string;
  status: string;
  input: string;
  output: string | null;
  error: string | null;
  cause: string | null;
  start_date: number;
  stop_date: number | null;
  trace_header: string | null;
  revision_key: string;
  next_event_id: number;
  version: number;
  redrive_count: number;
  map_run_arn: string | null;
  map_run_index: number | null;
  redrive_date: number | null;
  redrivable: number | null;
  redrive_tokens: string | null;
  state_machine_version_arn: string | null;
  state_machine_alias_arn: string | null;
  test_case: string | null;
  parent_task_token: string | null;
}

export interface VersionRow {
  state_machine_arn: string;
  version: number;
  revision_key: string;
  revision_id: string | null;
  description: string | null;
  creation_date: number;
}

export interface AliasRow {
  state_machine_arn: string;
  name: string;
  description: string | null;
  /** JSON text: `[{"version": n, "weight": w}, …]` */
  routing: string;
  creation_date: number;
  update_date: number;
}

export interface MapRunRow {
  arn: string;
  execution_arn: string;
  thread_id: string;
  state_machine_arn: string;
  revision_key: string;
  execution_type: string;
  status: string;
  start_date: number;
  stop_date: number | null;
  max_concurrency: number;
  tolerated_failure_count: number;
  tolerated_failure_percentage: number;
  total: number;
  launched: number;
  succeeded: number;
  failed: number;
  timed_out: number;
  aborted: number;
  error: string | null;
  cause: string | null;
  redrive_count: number;
  redrive_date: number | null;
  pending_redrive: number;
  version: number;
}

export interface HistoryRow {
  id: number;
  previous_event_id: number;
  timestamp: number;
  type: string;
  details_member: string | null;
  details: string | null;
}

export interface TaskRow {
  token: string;
  activity_arn: string;
  execution_arn: string;
  thread_id: string;
  input: string;
  status: string;
  scheduled_at: number;
  worker_name: string | null;
}

export interface TimerRow {
  id: string;
  execution_arn: string;
  thread_id: string;
  kind: string;
  due_at: number;
}

export const EXECUTION_COLUMNS =
  'arn, state_machine_arn, name, status, input, output, error, cause, start_date, stop_date, ' +
  'trace_header, revision_key, next_event_id, version, redrive_count, map_run_arn, map_run_index, ' +
  'state_machine_version_arn, state_machine_alias_arn, test_case, parent_task_token, redrive_date, ' +
  'redrivable, redrive_tokens';

/** Every column but `arn` and `version`, in the order the insert and the update bind them. */
export const MAP_RUN_VALUE_COLUMNS = [
  'execution_arn',
  'thread_id',
  'state_machine_arn',
  'revision_key',
  'execution_type',
  'status',
  'start_date',
  'stop_date',
  'max_concurrency',
  'tolerated_failure_count',
  'tolerated_failure_percentage',
  'total',
  'launched',
  'succeeded',
  'failed',
  'timed_out',
  'aborted',
  'error',
  'cause',
  'redrive_count',
  'redrive_date',
  'pending_redrive',
];

export type MapRunValues = [
  string,
  string,
  string,
  string,
  string,
  string,
  number,
  number | null,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  string | null,
  string | null,
  number,
  number | null,
  number,
];

export const STATE_MACHINE_SELECT =
  'SELECT m.*, r.definition AS r_definition, r.role_arn AS r_role_arn, ' +
  'r.logging_configuration AS r_logging_configuration, ' +
  'r.tracing_configuration AS r_tracing_configuration, r.created_at AS r_created_at ' +
  'FROM state_machines m JOIN state_machine_revisions r ' +
  'ON r.state_machine_arn = m.arn AND r.revision_key = m.current_revision_key';

/** JSON text for a value that may be absent: NULL when absent, so `null` itself survives. */
export function optionalJson(value: string | null | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function parseOptionalJson(text: string | null): string | null | undefined {
  return text === null ? undefined : (JSON.parse(text) as string | null);
}

export function toActivity(row: ActivityRow): ActivityRecord {
  return { activityArn: row.arn, name: row.name, creationDate: row.creation_date };
}

export function toRevision(row: RevisionRow): StateMachineRevision {
  return {
    stateMachineArn: row.state_machine_arn,
    revisionKey: row.revision_key,
    definition: row.definition,
    roleArn: row.role_arn,
    loggingConfiguration: row.logging_configuration,
    tracingConfiguration: row.tracing_configuration,
    createdAt: row.created_at,
  };
}

export function toStateMachine(row: StateMachineWithRevisionRow): StateMachineRecord {
  const record: StateMachineRecord = {
    stateMachineArn: row.arn,
    name: row.name,
    type: row.type as StateMachineType,
    status: row.status as StateMachineRecord['status'],
    creationDate: row.creation_date,
    current: {
      stateMachineArn: row.arn,
      revisionKey: row.current_revision_key,
      definition: row.r_definition,
      roleArn: row.r_role_arn,
      loggingConfiguration: row.r_logging_configuration,
      tracingConfiguration: row.r_tracing_configuration,
      createdAt: row.r_created_at,
    },
  };
  if (row.update_date !== null) record.updateDate = row.update_date;
  if (row.revision_id !== null) record.revisionId = row.revision_id;
  return record;
}

export function toExecution(row: ExecutionRow): ExecutionRecord {
  const record: ExecutionRecord = {
    executionArn: row.arn,
    stateMachineArn: row.state_machine_arn,
    name: row.name,
    status: row.status as ExecutionStatus,
    input: row.input,
    startDate: row.start_date,
    revisionKey: row.revision_key,
    nextEventId: row.next_event_id,
    version: row.version,
    redriveCount: row.redrive_count,
  };
  if (row.output !== null) record.output = row.output;
  const error = parseOptionalJson(row.error);
  if (error !== undefined) record.error = error;
  const cause = parseOptionalJson(row.cause);
  if (cause !== undefined) record.cause = cause;
  if (row.stop_date !== null) record.stopDate = row.stop_date;
  if (row.trace_header !== null) record.traceHeader = row.trace_header;
  if (row.map_run_arn !== null) record.mapRunArn = row.map_run_arn;
  if (row.map_run_index !== null) record.mapRunIndex = row.map_run_index;
  if (row.redrive_date !== null) record.redriveDate = row.redrive_date;
  if (row.redrivable !== null && row.redrivable !== 0) record.redrivable = true;
  if (row.redrive_tokens !== null) record.redriveTokens = JSON.parse(row.redrive_tokens) as RedriveToken[];
  if (row.state_machine_version_arn !== null) record.stateMachineVersionArn = row.state_machine_version_arn;
  if (row.state_machine_alias_arn !== null) record.stateMachineAliasArn = row.state_machine_alias_arn;
  if (row.test_case !== null) record.testCase = row.test_case;
  if (row.parent_task_token !== null) record.parentTaskToken = row.parent_task_token;
  return record;
}

export function toVersion(row: VersionRow): StateMachineVersionRecord {
  return versionRecord(row.state_machine_arn, row.version, row.revision_key, row.creation_date, {
    revisionId: row.revision_id ?? undefined,
    description: row.description ?? undefined,
  });
}

export function toAlias(row: AliasRow): StateMachineAliasRecord {
  const routing = (JSON.parse(row.routing) as AliasRoute[]).map((r) => ({
    version: r.version,
    weight: r.weight,
  }));
  const record: StateMachineAliasRecord = {
    stateMachineArn: row.state_machine_arn,
    name: row.name,
    routing,
    creationDate: row.creation_date,
    updateDate: row.update_date,
  };
  if (row.description !== null) record.description = row.description;
  return record;
}

/** The stored form of an alias's routing (the members in a fixed order). */
export function routingJson(routing: readonly AliasRoute[]): string {
  return JSON.stringify(routing.map((r) => ({ version: r.version, weight: r.weight })));
}

/** The alias names, in name order, of `rows` whose routing sends traffic to `version`. */
export function toMapRun(row: MapRunRow): MapRunRecord {
  const record: MapRunRecord = {
    mapRunArn: row.arn,
    executionArn: row.execution_arn,
    threadId: row.thread_id,
    stateMachineArn: row.state_machine_arn,
    revisionKey: row.revision_key,
    executionType: row.execution_type as MapRunRecord['executionType'],
    status: row.status as MapRunStatus,
    startDate: row.start_date,
    maxConcurrency: row.max_concurrency,
    toleratedFailureCount: row.tolerated_failure_count,
    toleratedFailurePercentage: row.tolerated_failure_percentage,
    total: row.total,
    launched: row.launched,
    succeeded: row.succeeded,
    failed: row.failed,
    timedOut: row.timed_out,
    aborted: row.aborted,
    redriveCount: row.redrive_count,
    pendingRedrive: row.pending_redrive,
    version: row.version,
  };
  if (row.redrive_date !== null) record.redriveDate = row.redrive_date;
  if (row.stop_date !== null) record.stopDate = row.stop_date;
  const error = parseOptionalJson(row.error);
  if (error !== undefined) record.error = error;
  const cause = parseOptionalJson(row.cause);
  if (cause !== undefined) record.cause = cause;
  return record;
}

export function mapRunValues(mapRun: MapRunRecord): MapRunValues {
  return [
    mapRun.executionArn,
    mapRun.threadId,
    mapRun.stateMachineArn,
    mapRun.revisionKey,
    mapRun.executionType,
    mapRun.status,
    mapRun.startDate,
    mapRun.stopDate ?? null,
    mapRun.maxConcurrency,
    mapRun.toleratedFailureCount,
    mapRun.toleratedFailurePercentage,
    mapRun.total,
    mapRun.launched,
    mapRun.succeeded,
    mapRun.failed,
    mapRun.timedOut,
    mapRun.aborted,
    optionalJson(mapRun.error),
    optionalJson(mapRun.cause),
    mapRun.redriveCount,
    mapRun.redriveDate ?? null,
    mapRun.pendingRedrive,
  ];
}

export function toHistoryEvent(row: HistoryRow): HistoryEvent {
  const event: HistoryEvent = {
    id: row.id,
    previousEventId: row.previous_event_id,
    timestamp: row.timestamp,
    type: row.type,
  };
  if (row.details_member !== null) event.detailsMember = row.details_member;
  if (row.details !== null) event.details = JSON.parse(row.details) as Record<string, Json>;
  return event;
}

export function toTask(row: TaskRow): ActivityTaskRecord {
  const task: ActivityTaskRecord = {
    token: row.token,
    activityArn: row.activity_arn,
    executionArn: row.execution_arn,
    threadId: row.thread_id,
    input: row.input,
    status: row.status as ActivityTaskStatus,
    scheduledAt: row.scheduled_at,
  };
  if (row.worker_name !== null) task.workerName = row.worker_name;
  return task;
}

export function toTimer(row: TimerRow): TimerRecord {
  return {
    id: row.id,
    executionArn: row.execution_arn,
    threadId: row.thread_id,
    kind: row.kind as TimerKind,
    dueAt: row.due_at,
  };
}

/** `rows` was fetched with limit + 1: the extra row only tells that more follow. */
export function keysetPage<T, C>(rows: T[], limit: number, cursor: (item: T) => C): Page<T, C> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return last === undefined ? { items } : { items, next: cursor(last) };
}

/** The `redrivable` column a commit sets: 1 with a snapshot, 0 when it clears it, null when unchanged. */
export function redrivableFlag(commit: TransitionCommit): number | null {
  if (commit.redriveThreads === undefined) return null;
  return commit.redriveThreads.length > 0 ? 1 : 0;
}
