/**
 * The PostgreSQL schema as numbered migrations. Entry i brings a schema from version i to i + 1
 * (the applied versions are rows of `stepwise_migrations`). Published entries are never edited:
 * a change is a new entry appended here, so a database written by an older Stepwise upgrades in
 * place. The tables mirror the SQLite schema (sqlite-migrations.ts) column for column, with
 * PostgreSQL types:
 *
 * - times are epoch milliseconds in `bigint` (the store reads them back as JavaScript numbers);
 * - JSON values are `text`, not `jsonb`: execution input/output must come back byte for byte, and
 *   `jsonb` would reorder object members and cost a parse on every write;
 * - every text column that is a sort key or a lookup key is `COLLATE "C"`, so pages are ordered
 *   bytewise exactly as SQLite (and MemoryStore) order them, whatever the database's locale;
 * - the optional `error`/`cause` are JSON text, so "absent" (NULL) and "null" ('null') differ.
 *
 * `timers.claimed_until` has no SQLite counterpart: it is the lease one node takes on a due
 * timer so that the other nodes leave it alone while it fires (see claimDueTimers). Likewise
 * `activity_tasks.claimed_until` (claimQueuedTask) and `map_runs.owner`/`owner_until` (claimMapRun).
 */
export const postgresMigrations: readonly string[] = [
  `
  CREATE TABLE activities (
    arn text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    creation_date bigint NOT NULL
  );
  CREATE INDEX activities_by_creation ON activities (creation_date, arn);

  CREATE TABLE state_machine_revisions (
    state_machine_arn text COLLATE "C" NOT NULL,
    revision_key text COLLATE "C" NOT NULL,
    definition text NOT NULL,
    role_arn text NOT NULL,
    logging_configuration text NOT NULL,
    tracing_configuration text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (state_machine_arn, revision_key)
  );

  CREATE TABLE state_machines (
    arn text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    type text NOT NULL,
    status text NOT NULL,
    creation_date bigint NOT NULL,
    update_date bigint,
    revision_id text,
    current_revision_key text COLLATE "C" NOT NULL
  );
  CREATE INDEX state_machines_by_creation ON state_machines (creation_date, arn);

  CREATE TABLE executions (
    arn text COLLATE "C" PRIMARY KEY,
    state_machine_arn text COLLATE "C" NOT NULL,
    name text NOT NULL,
    status text COLLATE "C" NOT NULL,
    input text NOT NULL,
    output text,
    error text,
    cause text,
    start_date bigint NOT NULL,
    stop_date bigint,
    trace_header text,
    revision_key text COLLATE "C" NOT NULL,
    next_event_id bigint NOT NULL,
    version bigint NOT NULL,
    redrive_count integer NOT NULL,
    map_run_arn text COLLATE "C",
    map_run_index integer
  );
  CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_date DESC, arn);
  CREATE INDEX executions_by_machine_status
    ON executions (state_machine_arn, status, start_date DESC, arn);
  CREATE INDEX executions_by_revision ON executions (state_machine_arn, revision_key);
  CREATE INDEX executions_by_map_run ON executions (map_run_arn, start_date DESC, arn)
    WHERE map_run_arn IS NOT NULL;
  CREATE INDEX executions_by_map_run_status
    ON executions (map_run_arn, status, start_date DESC, arn) WHERE map_run_arn IS NOT NULL;
  CREATE INDEX executions_by_map_run_index ON executions (map_run_arn, map_run_index, arn)
    WHERE map_run_arn IS NOT NULL;

  CREATE TABLE threads (
    execution_arn text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    data text NOT NULL,
    PRIMARY KEY (execution_arn, id)
  );

  CREATE TABLE history_events (
    execution_arn text COLLATE "C" NOT NULL,
    id bigint NOT NULL,
    previous_event_id bigint NOT NULL,
    timestamp bigint NOT NULL,
    type text NOT NULL,
    details_member text,
    details text,
    PRIMARY KEY (execution_arn, id)
  );

  CREATE TABLE activity_tasks (
    token text COLLATE "C" PRIMARY KEY,
    activity_arn text COLLATE "C" NOT NULL,
    execution_arn text COLLATE "C" NOT NULL,
    thread_id text NOT NULL,
    input text NOT NULL,
    status text COLLATE "C" NOT NULL,
    scheduled_at bigint NOT NULL,
    worker_name text
  );
  CREATE INDEX activity_tasks_queue ON activity_tasks (activity_arn, status, scheduled_at, token);

  CREATE TABLE timers (
    id text COLLATE "C" PRIMARY KEY,
    execution_arn text COLLATE "C" NOT NULL,
    thread_id text NOT NULL,
    kind text NOT NULL,
    due_at bigint NOT NULL,
    claimed_until bigint
  );
  CREATE INDEX timers_by_due ON timers (due_at, id);
  -- Only timers being fired are claimed: a small partial index finds the earliest lease end.
  CREATE INDEX timers_claimed ON timers (claimed_until) WHERE claimed_until IS NOT NULL;

  CREATE TABLE map_runs (
    arn text COLLATE "C" PRIMARY KEY,
    execution_arn text COLLATE "C" NOT NULL,
    thread_id text NOT NULL,
    state_machine_arn text NOT NULL,
    revision_key text NOT NULL,
    execution_type text NOT NULL,
    status text NOT NULL,
    start_date bigint NOT NULL,
    stop_date bigint,
    max_concurrency integer NOT NULL,
    tolerated_failure_count integer NOT NULL,
    tolerated_failure_percentage double precision NOT NULL,
    total integer NOT NULL,
    launched integer NOT NULL,
    succeeded integer NOT NULL,
    failed integer NOT NULL,
    timed_out integer NOT NULL,
    aborted integer NOT NULL,
    error text,
    cause text,
    version bigint NOT NULL
  );
  CREATE INDEX map_runs_by_execution ON map_runs (execution_arn, start_date, arn);
  CREATE INDEX map_runs_running ON map_runs (start_date, arn) WHERE status = 'RUNNING';

  CREATE TABLE map_run_items (
    map_run_arn text COLLATE "C" NOT NULL,
    item_index integer NOT NULL,
    input text NOT NULL,
    PRIMARY KEY (map_run_arn, item_index)
  );
  `,
  // 2: the console (SQLite's migration 3). Executions newest first across state machines, and the
  // activities people answer (its human task inbox): a Stepwise flag, not an AWS attribute.
  `
  CREATE INDEX executions_by_start ON executions (start_date DESC, arn);
  CREATE TABLE human_activities (
    activity_arn text COLLATE "C" PRIMARY KEY
  );
  `,
  // 3: leases between nodes. A queued task a node is handing to one of its polls (claimQueuedTask:
  // the other nodes' polls take the next one instead of racing for it), and the node driving a
  // Map Run (claimMapRun: one node launches its children at a time; another takes over once the
  // lease of a node that died has passed). Both are epoch ms, NULL when unclaimed.
  `
  ALTER TABLE activity_tasks ADD COLUMN claimed_until bigint;
  ALTER TABLE map_runs ADD COLUMN owner text, ADD COLUMN owner_until bigint;
  `,
  // 4: as SQLite's migration 5, one index fewer on every execution insert: only
  // DeleteStateMachine's clean-up of unused revisions used it.
  `
  DROP INDEX executions_by_revision;
  `,
  // 5: resource tags (SQLite's migration 6): the tags of state machines and activities, by the
  // resource's ARN, with the position that keeps the order keys were first set in.
  `
  CREATE TABLE resource_tags (
    resource_arn text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    value text NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (resource_arn, key)
  );
  `,
  // 6: versions and aliases (SQLite's migration 7). A machine counts the versions it ever
  // published (numbers are never reused); a version points at one revision; an alias routes to one
  // or two versions by number (JSON text). Executions started through a version or an alias name
  // them, listed through partial indexes since most executions name neither.
  `
  ALTER TABLE state_machines ADD COLUMN last_version integer NOT NULL DEFAULT 0;
  CREATE TABLE state_machine_versions (
    state_machine_arn text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    revision_key text COLLATE "C" NOT NULL,
    revision_id text,
    description text,
    creation_date bigint NOT NULL,
    PRIMARY KEY (state_machine_arn, version)
  );
  CREATE TABLE state_machine_aliases (
    state_machine_arn text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    description text,
    routing text NOT NULL,
    creation_date bigint NOT NULL,
    update_date bigint NOT NULL,
    PRIMARY KEY (state_machine_arn, name)
  );
  ALTER TABLE executions ADD COLUMN state_machine_version_arn text COLLATE "C",
    ADD COLUMN state_machine_alias_arn text COLLATE "C";
  CREATE INDEX executions_by_version ON executions (state_machine_version_arn, start_date DESC, arn)
    WHERE state_machine_version_arn IS NOT NULL;
  CREATE INDEX executions_by_alias ON executions (state_machine_alias_arn, start_date DESC, arn)
    WHERE state_machine_alias_arn IS NOT NULL;
  `,
  // 7: service integrations (SQLite's migration 8): the mock test case an execution runs with,
  // and, for a nested execution started by a Task, the token of the task waiting for its end.
  `
  ALTER TABLE executions ADD COLUMN test_case text, ADD COLUMN parent_task_token text;
  `,
  // 8: RedriveExecution (SQLite's migration 9). An execution that ended unsuccessfully
  // keeps the threads a redrive resumes in a table of their own; `redrivable` says it has them,
  // `redrive_tokens` are the client tokens of its latest redrives (JSON). Map Runs count their
  // redrives and the children waiting to be redriven.
  `
  ALTER TABLE executions ADD COLUMN redrive_date bigint, ADD COLUMN redrivable integer,
    ADD COLUMN redrive_tokens text;
  CREATE INDEX executions_by_machine_redriven ON executions (state_machine_arn, start_date DESC, arn)
    WHERE redrive_count > 0;
  CREATE TABLE redrive_threads (
    execution_arn text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    data text NOT NULL,
    PRIMARY KEY (execution_arn, id)
  );
  ALTER TABLE map_runs ADD COLUMN redrive_count integer NOT NULL DEFAULT 0,
    ADD COLUMN redrive_date bigint, ADD COLUMN pending_redrive integer NOT NULL DEFAULT 0;
  `,
];
