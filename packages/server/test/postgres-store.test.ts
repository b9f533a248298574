/**
 * What only a shared database has: several stores (nodes) on one schema racing each other,
 * migrations applied by nodes starting together, task notifications between nodes, and the
 * connection to PostgreSQL being lost and coming back. The behaviour every store shares is in
 * store.contract.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ActivityTaskRecord, TimerRecord } from '@stepwise/core';
import { StoreUnavailableError } from '../src/store/errors.js';
import { postgresMigrations } from '../src/store/postgres-migrations.js';
import { PostgresStore } from '../src/store/postgres.js';
import type { ExecutionRecord, TransitionCommit } from '../src/store/types.js';
import { postgresSkip, proxiedUrl, startProxy, testSchema } from './helpers/postgres.js';
import type { TestSchema } from './helpers/postgres.js';

const REGION = 'arn:aws:states:us-east-1:123456789012';
const MACHINE = `${REGION}:stateMachine:m`;
const ACTIVITY = `${REGION}:activity:work`;

function execution(name: string): ExecutionRecord {
  return {
    executionArn: `${REGION}:execution:m:${name}`,
    stateMachineArn: MACHINE,
    name,
    status: 'RUNNING',
    input: '{}',
    startDate: 1000,
    revisionKey: 'r0',
    nextEventId: 1,
    version: 0,
    redriveCount: 0,
  };
}

function commit(executionArn: string, expectedVersion: number, nextEventId: number): TransitionCommit {
  return {
    executionArn,
    expectedVersion,
    execution: { status: 'RUNNING', nextEventId },
    events: [],
    threadsPut: [],
    threadsDeleted: [],
    tasksPut: [],
    tasksDeleted: [],
    timersPut: [],
    timersDeleted: [],
  };
}

function first(record: ExecutionRecord): TransitionCommit {
  return {
    ...commit(record.executionArn, 0, 2),
    events: [{ id: 1, previousEventId: 0, timestamp: 1000, type: 'ExecutionStarted' }],
  };
}

function task(token: string, executionArn: string): ActivityTaskRecord {
  return {
    token,
    activityArn: ACTIVITY,
    executionArn,
    threadId: 'root',
    input: '{}',
    status: 'queued',
    scheduledAt: 2000,
  };
}

const skip = await postgresSkip();

void describe('PostgreSQL store: several nodes on one database', { skip }, () => {
  let schema: TestSchema;
  const stores: PostgresStore[] = [];

  before(async () => {
    schema = testSchema();
    // Three nodes starting at the same moment on an empty schema: one applies the migrations,
    // the others wait on the advisory lock and find them applied.
    stores.push(...(await Promise.all([0, 1, 2].map(() => PostgresStore.open(schema.url)))));
  });

  after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await schema.drop();
  });

  function node(i: number): PostgresStore {
    const store = stores[i];
    assert.ok(store);
    return store;
  }

  void it('applies each migration once when nodes start together', async () => {
    const rows = await node(0).withClient(async (client) => {
      const result = await client.query<{ version: number }>(
        'SELECT version FROM stepwise_migrations ORDER BY version',
      );
      return result.rows.map((row) => row.version);
    });
    assert.deepEqual(
      rows,
      postgresMigrations.map((_, i) => i + 1),
    );
    // Opening again applies nothing.
    const again = await PostgresStore.open(schema.url);
    await again.close();
  });

  void it('lets exactly one node create an execution, an activity, a Map Run of one name', async () => {
    const record = execution('raced');
    const outcomes = await Promise.all(stores.map((store) => store.createExecution(record, first(record))));
    assert.equal(outcomes.filter((o) => o.created).length, 1);
    for (const outcome of outcomes) {
      if (!outcome.created) assert.equal(outcome.existing.executionArn, record.executionArn);
    }
    const history = await node(1).getHistory({
      executionArn: record.executionArn,
      reverse: false,
      limit: 10,
    });
    assert.equal(history.length, 1);

    const activities = await Promise.all(
      stores.map((store, i) =>
        store.createActivity({ activityArn: ACTIVITY, name: 'work', creationDate: 10 + i }),
      ),
    );
    assert.equal(new Set(activities.map((a) => a.creationDate)).size, 1);

    const run = {
      mapRunArn: `${REGION}:mapRun:m/Map:1`,
      executionArn: record.executionArn,
      threadId: 'root',
      stateMachineArn: `${MACHINE}/Map`,
      revisionKey: 'x',
      executionType: 'STANDARD' as const,
      status: 'RUNNING' as const,
      startDate: 1,
      maxConcurrency: 0,
      toleratedFailureCount: 0,
      toleratedFailurePercentage: 0,
      total: 1,
      launched: 0,
      succeeded: 0,
      failed: 0,
      timedOut: 0,
      aborted: 0,
      redriveCount: 0,
      pendingRedrive: 0,
      version: 0,
    };
    const created = await Promise.allSettled(stores.map((store) => store.createMapRun(run, ['{}'])));
    assert.equal(created.filter((c) => c.status === 'fulfilled').length, 1);
  });

  void it('keeps the tag limit between nodes tagging at once, and no tag outlives a delete', async () => {
    const arn = `${REGION}:activity:tagged`;
    await node(0).createActivity({ activityArn: arn, name: 'tagged', creationDate: 1 });
    // 20 new keys from each node: two requests fit under 50, the third would make 60.
    const outcomes = await Promise.all(
      stores.map((store, i) =>
        store.tagResource(
          arn,
          Array.from({ length: 20 }, (_, k) => ({ key: `n${i}-${k}`, value: String(k) })),
          50,
        ),
      ),
    );
    assert.deepEqual([...outcomes].sort(), ['tagged', 'tagged', 'tooManyTags']);
    assert.equal((await node(2).listTags(arn))?.length, 40);

    const leftover = (resourceArn: string) =>
      node(0).withClient(async (client) => {
        const result = await client.query<{ n: string }>(
          'SELECT count(*) AS n FROM resource_tags WHERE resource_arn = $1',
          [resourceArn],
        );
        return Number(result.rows[0]?.n);
      });
    for (let round = 0; round < 10; round++) {
      const name = `doomed-${round}`;
      const doomed = `${REGION}:activity:${name}`;
      await node(0).createActivity({ activityArn: doomed, name, creationDate: round });
      const [tagged] = await Promise.all([
        node(1).tagResource(doomed, [{ key: 'k', value: String(round) }], 50),
        node(2).deleteActivity(doomed),
      ]);
      assert.ok(tagged === 'tagged' || tagged === 'notFound', tagged);
      assert.equal(await leftover(doomed), 0, `round ${round}: ${tagged}`);
    }
  });

  void it('applies one of several racing transitions from the same version', async () => {
    const record = execution('contended');
    await node(0).createExecution(record, first(record));
    let version = 1;
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all(
        stores.map((store, i) =>
          store.commitTransition({
            ...commit(record.executionArn, version, version + 2),
            events: [{ id: version + 1, previousEventId: version, timestamp: i, type: `Node${i}` }],
          }),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1, `round ${round}`);
      version++;
    }
    const history = await node(2).getHistory({
      executionArn: record.executionArn,
      reverse: false,
      limit: 100,
    });
    assert.deepEqual(
      history.map((e) => e.id),
      Array.from({ length: 21 }, (_, i) => i + 1),
    );
    assert.equal((await node(1).getExecution(record.executionArn))?.version, 21);
  });

  void it('hands each due timer to one node', async () => {
    const record = execution('timers');
    await node(0).createExecution(record, first(record));
    const timers: TimerRecord[] = Array.from({ length: 120 }, (_, i) => ({
      id: `t${String(i).padStart(3, '0')}`,
      executionArn: record.executionArn,
      threadId: 'root',
      kind: 'wait',
      dueAt: 5000 + i,
    }));
    assert.equal(
      await node(0).commitTransition({ ...commit(record.executionArn, 1, 2), timersPut: timers }),
      true,
    );
    const claimed = await Promise.all(
      stores.map(async (store) => {
        const mine: string[] = [];
        for (;;) {
          const batch = await store.claimDueTimers(10_000, 7, 60_000);
          if (batch.length === 0) return mine;
          mine.push(...batch.map((t) => t.id));
        }
      }),
    );
    const all = claimed.flat();
    assert.equal(all.length, timers.length);
    assert.equal(new Set(all).size, timers.length);
  });

  void it('hands each queued task to one claimant across nodes (FOR UPDATE SKIP LOCKED)', async () => {
    const record = execution('claims');
    await node(0).createExecution(record, first(record));
    const tasks = Array.from({ length: 90 }, (_, i) => ({
      ...task(`claim-${String(i).padStart(3, '0')}`, record.executionArn),
      scheduledAt: 3000 + i,
    }));
    assert.equal(
      await node(0).commitTransition({ ...commit(record.executionArn, 1, 2), tasksPut: tasks }),
      true,
    );
    // Three nodes (three pools), four concurrent claimants each, claiming until the queue is empty.
    const claimed = await Promise.all(
      stores.flatMap((store) =>
        [0, 1, 2, 3].map(async () => {
          const mine: string[] = [];
          for (;;) {
            const next = await store.claimQueuedTask(ACTIVITY, Date.now(), 60_000);
            if (next === undefined) return mine;
            mine.push(next.token);
          }
        }),
      ),
    );
    const all = claimed.flat();
    assert.equal(all.length, tasks.length);
    assert.equal(new Set(all).size, tasks.length);
    assert.ok(
      stores.every((_, i) => claimed.slice(i * 4, i * 4 + 4).flat().length > 0),
      'every node got some of the work',
    );
    // A claim released on one node is claimable on another at once.
    await node(1).releaseTaskClaim('claim-042');
    assert.equal((await node(2).claimQueuedTask(ACTIVITY, Date.now(), 60_000))?.token, 'claim-042');
    assert.equal(await node(0).claimQueuedTask(ACTIVITY, Date.now(), 60_000), undefined);
    // A dead node's claims run out: a later claim (a clock past the leases) takes them over.
    assert.equal((await node(0).claimQueuedTask(ACTIVITY, Date.now() + 61_000, 60_000))?.token, 'claim-000');
    // The tasks leave the queue (their ActivityStarted deletes or re-puts them) for the next test.
    assert.equal(
      await node(0).commitTransition({
        ...commit(record.executionArn, 2, 2),
        tasksDeleted: tasks.map((t) => t.token),
      }),
      true,
    );
  });

  void it('lets one node at a time drive a Map Run, and another take it over after the lease', async () => {
    const record = execution('map-owner');
    await node(0).createExecution(record, first(record));
    const arn = `${REGION}:mapRun:m/Owned:1`;
    await node(0).createMapRun(
      {
        mapRunArn: arn,
        executionArn: record.executionArn,
        threadId: 'root',
        stateMachineArn: `${MACHINE}/Owned`,
        revisionKey: 'x',
        executionType: 'STANDARD',
        status: 'RUNNING',
        startDate: 1,
        maxConcurrency: 0,
        toleratedFailureCount: 0,
        toleratedFailurePercentage: 0,
        total: 2,
        launched: 0,
        succeeded: 0,
        failed: 0,
        timedOut: 0,
        aborted: 0,
        redriveCount: 0,
        pendingRedrive: 0,
        version: 0,
      },
      ['{}', '{}'],
    );
    // Nodes racing for it: exactly one owns it.
    const claims = await Promise.all(stores.map((store, i) => store.claimMapRun(arn, `n${i}`, 1000, 500)));
    const owners = claims.flatMap((run, i) => (run === undefined ? [] : [i]));
    assert.equal(owners.length, 1);
    const owner = owners[0] ?? 0;
    const other = (owner + 1) % 3;
    assert.equal(claims[owner]?.mapRunArn, arn);
    // The owner renews; the others are refused while the lease runs.
    assert.ok(await node(owner).claimMapRun(arn, `n${owner}`, 1100, 500));
    assert.equal(await node(other).claimMapRun(arn, `n${other}`, 1599, 500), undefined);
    assert.deepEqual(await node(other).orphanedMapRuns(1599), []);

    // Another node counts a child meanwhile: the owner's release answers the moved version.
    const run = await node(other).getMapRun(arn);
    assert.ok(run);
    assert.equal(await node(other).updateMapRun({ ...run, succeeded: 1 }, run.version), true);
    assert.equal(await node(other).releaseMapRun(arn, `n${other}`), undefined, 'not its lease');
    assert.equal(await node(owner).releaseMapRun(arn, `n${owner}`), run.version + 1);
    assert.ok(await node(other).claimMapRun(arn, `n${other}`, 1200, 500), 'released: free to claim');

    // The new owner dies holding it: once its lease has passed the run is an orphan, taken over.
    assert.deepEqual(await node(owner).orphanedMapRuns(1699), []);
    assert.deepEqual(await node(owner).orphanedMapRuns(1700), [arn]);
    const taken = await node(owner).claimMapRun(arn, `n${owner}`, 1700, 500);
    assert.equal(taken?.succeeded, 1);
    assert.deepEqual(await node(owner).orphanedMapRuns(1700), []);

    // A run that is no longer RUNNING is nobody's to drive.
    assert.ok(taken);
    assert.equal(await node(owner).updateMapRun({ ...taken, status: 'SUCCEEDED' }, taken.version), true);
    assert.equal(await node(other).claimMapRun(arn, `n${other}`, 9999, 500), undefined);
    assert.deepEqual(await node(other).orphanedMapRuns(9999), []);
  });

  void it('tells the other nodes, not itself, that a task was queued', async () => {
    const heard: string[][] = [[], [], []];
    stores.forEach((store, i) => store.onTaskQueued((arn) => heard[i]?.push(arn)));
    const record = execution('notify');
    await node(0).createExecution(record, first(record));
    // Give the LISTEN connections a moment to be established.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await node(0).commitTransition({
      ...commit(record.executionArn, 1, 2),
      tasksPut: [task('tok-1', record.executionArn), task('tok-2', record.executionArn)],
    });
    const deadline = Date.now() + 3000;
    while ((heard[1]?.length === 0 || heard[2]?.length === 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // One notification per activity and commit, however many tasks it queued.
    assert.deepEqual(heard, [[], [ACTIVITY], [ACTIVITY]]);
    // A stale commit notifies nobody.
    await node(0).commitTransition({
      ...commit(record.executionArn, 1, 2),
      tasksPut: [task('tok-3', record.executionArn)],
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(heard, [[], [ACTIVITY], [ACTIVITY]]);
  });
});

void describe('PostgreSQL store: connection loss', { skip }, () => {
  void it('fails with StoreUnavailableError while the database is away and recovers by itself', async () => {
    const schema = testSchema();
    const proxy = await startProxy();
    const store = await PostgresStore.open(proxiedUrl(proxy, schema));
    try {
      const record = execution('survivor');
      await store.createExecution(record, first(record));
      await proxy.cut();
      await assert.rejects(store.getExecution(record.executionArn), StoreUnavailableError);
      await assert.rejects(store.commitTransition(commit(record.executionArn, 1, 2)), StoreUnavailableError);
      await proxy.restore();
      // The pool replaces the broken connections on its own.
      assert.equal((await store.getExecution(record.executionArn))?.version, 1);
      assert.equal(await store.commitTransition(commit(record.executionArn, 1, 2)), true);
      assert.equal((await store.getExecution(record.executionArn))?.version, 2);
    } finally {
      await store.close();
      await proxy.close();
      await schema.drop();
    }
  });
});
