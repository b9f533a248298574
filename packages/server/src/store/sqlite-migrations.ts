/**
 * The SQLite schema as numbered migrations. Entry i brings a database from `user_version` i to
 * i + 1. Published entries are never edited: a schema change is a new entry appended here, so a
 * data directory written by an older Stepwise upgrades in place.
 *
 * Conventions: times are epoch milliseconds (INTEGER); JSON values are TEXT. The optional
 * `error`/`cause` of an execution or Map Run are stored as JSON text so that "absent" (NULL) and "null"
 * ('null') stay distinguishable, as the record type distinguishes them.
 */
export const sqliteMigrations: readonly string[] = [
  `
  CREATE TABLE activities (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    creation_date INTEGER NOT NULL
  );
  CREATE INDEX activities_by_creation ON activities (creation_date, arn);

  CREATE TABLE state_machine_revisions (
    state_machine_arn TEXT NOT NULL,
    revision_key TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    logging_configuration TEXT NOT NULL,
    tracing_configuration TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (state_machine_arn, revision_key)
  ) WITHOUT ROWID;

  CREATE TABLE state_machines (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    creation_date INTEGER NOT NULL,
    update_date INTEGER,
    revision_id TEXT,
    current_revision_key TEXT NOT NULL
  );
  CREATE INDEX state_machines_by_creation ON state_machines (creation_date, arn);

  CREATE TABLE executions (
    arn TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    start_date INTEGER NOT NULL,
    stop_date INTEGER,
    trace_header TEXT,
    revision_key TEXT NOT NULL,
    next_event_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    redrive_count INTEGER NOT NULL
  );
  CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_date DESC, arn);
  CREATE INDEX executions_by_machine_status
    ON executions (state_machine_arn, status, start_date DESC, arn);
  CREATE INDEX executions_by_revision ON executions (state_machine_arn, revision_key);

  CREATE TABLE threads (
    execution_arn TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (execution_arn, id)
  ) WITHOUT ROWID;

  CREATE TABLE history_events (
    execution_arn TEXT NOT NULL,
    id INTEGER NOT NULL,
    previous_event_id INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    type TEXT NOT NULL,
    details_member TEXT,
    details TEXT,
    PRIMARY KEY (execution_arn, id)
  ) WITHOUT ROWID;

  CREATE TABLE activity_tasks (
    token TEXT PRIMARY KEY,
    activity_arn TEXT NOT NULL,
    execution_arn TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    scheduled_at INTEGER NOT NULL,
    worker_name TEXT
  );
  CREATE INDEX activity_tasks_queue ON activity_tasks (activity_arn, status, scheduled_at, token);

  CREATE TABLE timers (
    id TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_at INTEGER NOT NULL
  );
  CREATE INDEX timers_by_due ON timers (due_at, id);
  `,
  // 2: Distributed Map runs. Child executions carry their Map Run and item index; the indexes on
  // them are partial because most executions are not children and need no entry there.
  `
  ALTER TABLE executions ADD COLUMN map_run_arn TEXT;
  ALTER TABLE executions ADD COLUMN map_run_index INTEGER;
  CREATE INDEX executions_by_map_run ON executions (map_run_arn, start_date DESC, arn)
    WHERE map_run_arn IS NOT NULL;
  CREATE INDEX executions_by_map_run_status
    ON executions (map_run_arn, status, start_date DESC, arn) WHERE map_run_arn IS NOT NULL;
  CREATE INDEX executions_by_map_run_index ON executions (map_run_arn, map_run_index, arn)
    WHERE map_run_arn IS NOT NULL;

  CREATE TABLE map_runs (
    arn TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    state_machine_arn TEXT NOT NULL,
    revision_key TEXT NOT NULL,
    execution_type TEXT NOT NULL,
    status TEXT NOT NULL,
    start_date INTEGER NOT NULL,
    stop_date INTEGER,
    max_concurrency INTEGER NOT NULL,
    tolerated_failure_count INTEGER NOT NULL,
    tolerated_failure_percentage REAL NOT NULL,
    total INTEGER NOT NULL,
    launched INTEGER NOT NULL,
    succeeded INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    timed_out INTEGER NOT NULL,
    aborted INTEGER NOT NULL,
    error TEXT,
    cause TEXT,
    version INTEGER NOT NULL
  );
  CREATE INDEX map_runs_by_execution ON map_runs (execution_arn, start_date, arn);
  CREATE INDEX map_runs_running ON map_runs (start_date, arn) WHERE status = 'RUNNING';

  -- A rowid table rather than WITHOUT ROWID: an item input may be large (up to the payload
  -- limit), and WITHOUT ROWID tables are only efficient for small rows.
  CREATE TABLE map_run_items (
    map_run_arn TEXT NOT NULL,
    item_index INTEGER NOT NULL,
    input TEXT NOT NULL,
    PRIMARY KEY (map_run_arn, item_index)
  );
  `,
  // 3: the console. Executions newest first across state machines (its executions list), and
  // the activities people answer (its human task inbox): a Stepwise flag, not an AWS attribute.
  `
  CREATE INDEX executions_by_start ON executions (start_date DESC, arn);
  CREATE TABLE human_activities (
    activity_arn TEXT PRIMARY KEY
  ) WITHOUT ROWID;
  `,
  // 4: the layout of the commit path. History events and threads are keyed by a per-execution
  // integer (seq) rather than the execution ARN, so the rows of new executions append near the
  // right edge of their trees instead of landing on random pages: measured on the activity
  // round-trip bench (bench/README.md), history inserts at random places were ~60% of the pages
  // each commit wrote to the WAL. The newest-first indexes are declared ascending on start_date
  // (and read backwards), so a new execution appends at their right edge, where SQLite fills
  // pages instead of splitting them half-empty.
  `
  CREATE TABLE executions_new (
    seq INTEGER PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    start_date INTEGER NOT NULL,
    stop_date INTEGER,
    trace_header TEXT,
    revision_key TEXT NOT NULL,
    next_event_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    redrive_count INTEGER NOT NULL,
    map_run_arn TEXT,
    map_run_index INTEGER
  );
  INSERT INTO executions_new (arn, state_machine_arn, name, status, input, output, error, cause,
      start_date, stop_date, trace_header, revision_key, next_event_id, version, redrive_count,
      map_run_arn, map_run_index)
    SELECT arn, state_machine_arn, name, status, input, output, error, cause,
      start_date, stop_date, trace_header, revision_key, next_event_id, version, redrive_count,
      map_run_arn, map_run_index
    FROM executions ORDER BY start_date, arn;
  DROP TABLE executions;
  ALTER TABLE executions_new RENAME TO executions;
  CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_date, arn DESC);
  CREATE INDEX executions_by_machine_status
    ON executions (state_machine_arn, status, start_date, arn DESC);
  CREATE INDEX executions_by_revision ON executions (state_machine_arn, revision_key);
  CREATE INDEX executions_by_map_run ON executions (map_run_arn, start_date, arn DESC)
    WHERE map_run_arn IS NOT NULL;
  CREATE INDEX executions_by_map_run_status
    ON executions (map_run_arn, status, start_date, arn DESC) WHERE map_run_arn IS NOT NULL;
  CREATE INDEX executions_by_map_run_index ON executions (map_run_arn, map_run_index, arn)
    WHERE map_run_arn IS NOT NULL;
  CREATE INDEX executions_by_start ON executions (start_date, arn DESC);

  CREATE TABLE history_events_new (
    execution_seq INTEGER NOT NULL,
    id INTEGER NOT NULL,
    previous_event_id INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    type TEXT NOT NULL,
    details_member TEXT,
    details TEXT,
    PRIMARY KEY (execution_seq, id)
  ) WITHOUT ROWID;
  INSERT INTO history_events_new
    SELECT e.seq, h.id, h.previous_event_id, h.timestamp, h.type, h.details_member, h.details
    FROM history_events h JOIN executions e ON e.arn = h.execution_arn;
  DROP TABLE history_events;
  ALTER TABLE history_events_new RENAME TO history_events;

  CREATE TABLE threads_new (
    execution_seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (execution_seq, id)
  ) WITHOUT ROWID;
  INSERT INTO threads_new
    SELECT e.seq, t.id, t.data FROM threads t JOIN executions e ON e.arn = t.execution_arn;
  DROP TABLE threads;
  ALTER TABLE threads_new RENAME TO threads;
  `,
  // 5: one index fewer on every execution insert. executions_by_revision only served
  // DeleteStateMachine's clean-up of unused revisions, which now reads the machine's executions
  // through executions_by_machine: a rare, per-machine scan instead of a write on the hot path.
  `
  DROP INDEX executions_by_revision;
  `,
  // 6: resource tags (TagResource, and the tags of CreateActivity / CreateStateMachine) of state
  // machines and activities, by the resource's ARN. \`position\` keeps the order keys were first
  // set in, which ListTagsForResource answers; replacing a value keeps its key's position.
  `
  CREATE TABLE resource_tags (
    resource_arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (resource_arn, key)
  ) WITHOUT ROWID;
  `,
  // 7: versions and aliases. A machine counts the versions it ever published (numbers are never
  // reused, even after a delete); a version points at one revision; an alias routes to one or two
  // versions by number (JSON). An execution started through a version or an alias names them; the
  // indexes list those executions and are partial, as most executions name neither.
  `
  ALTER TABLE state_machines ADD COLUMN last_version INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE state_machine_versions (
    state_machine_arn TEXT NOT NULL,
    version INTEGER NOT NULL,
    revision_key TEXT NOT NULL,
    revision_id TEXT,
    description TEXT,
    creation_date INTEGER NOT NULL,
    PRIMARY KEY (state_machine_arn, version)
  ) WITHOUT ROWID;
  CREATE TABLE state_machine_aliases (
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    routing TEXT NOT NULL,
    creation_date INTEGER NOT NULL,
    update_date INTEGER NOT NULL,
    PRIMARY KEY (state_machine_arn, name)
  ) WITHOUT ROWID;
  ALTER TABLE executions ADD COLUMN state_machine_version_arn TEXT;
  ALTER TABLE executions ADD COLUMN state_machine_alias_arn TEXT;
  CREATE INDEX executions_by_version ON executions (state_machine_version_arn, start_date, arn DESC)
    WHERE state_machine_version_arn IS NOT NULL;
  CREATE INDEX executions_by_alias ON executions (state_machine_alias_arn, start_date, arn DESC)
    WHERE state_machine_alias_arn IS NOT NULL;
  `,
  // 8: service integrations: the mock test case an execution runs with, and, for a nested
  // execution started by a Task, the token of the task waiting for its end.
  `
  ALTER TABLE executions ADD COLUMN test_case TEXT;
  ALTER TABLE executions ADD COLUMN parent_task_token TEXT;
  `,
  // 9: RedriveExecution. An execution that ended unsuccessfully keeps the threads a redrive resumes
  // (its redrive snapshot) in a table of their own: its live threads are gone, so a closed
  // execution's task tokens and timers stay dead. `redrivable` says a snapshot exists (executions
  // closed before this migration have none); `redrive_tokens` are the client tokens of the latest
  // redrives (JSON). Map Runs count their redrives and the children waiting to be redriven.
  `
  ALTER TABLE executions ADD COLUMN redrive_date INTEGER;
  ALTER TABLE executions ADD COLUMN redrivable INTEGER;
  ALTER TABLE executions ADD COLUMN redrive_tokens TEXT;
  CREATE INDEX executions_by_machine_redriven ON executions (state_machine_arn, start_date, arn DESC)
    WHERE redrive_count > 0;
  CREATE TABLE redrive_threads (
    execution_seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (execution_seq, id)
  ) WITHOUT ROWID;
  ALTER TABLE map_runs ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE map_runs ADD COLUMN redrive_date INTEGER;
  ALTER TABLE map_runs ADD COLUMN pending_redrive INTEGER NOT NULL DEFAULT 0;
  `,
  // 10: the root thread of control lives in its execution's row (\`root_thread\`), not in
  // \`threads\`: most executions have no other thread, and the row is written by every transition
  // anyway, so a Task's round trip saves the thread's INSERT and DELETE (and their pages). Running
  // executions' root threads move over.
  `
  ALTER TABLE executions ADD COLUMN root_thread TEXT;
  UPDATE executions SET root_thread =
      (SELECT data FROM threads WHERE threads.execution_seq = executions.seq AND threads.id = 'root')
    WHERE seq IN (SELECT execution_seq FROM threads WHERE id = 'root');
  DELETE FROM threads WHERE id = 'root';
  `,
  // 11: the index by machine and status leaves SUCCEEDED executions out. Ending an execution
  // moved its entry from the RUNNING part of the index to the SUCCEEDED part, a second page
  // written per round trip; now a success only deletes the entry, near the right edge where it
  // went in. Listing SUCCEEDED executions reads executions_by_machine instead, where most rows
  // of a machine are successes anyway.
  `
  DROP INDEX executions_by_machine_status;
  CREATE INDEX executions_by_machine_status ON executions (state_machine_arn, status, start_date, arn DESC)
    WHERE status <> 'SUCCEEDED';
  `,
];
