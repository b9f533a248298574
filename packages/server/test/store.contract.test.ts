/**
 * The store contract suite: every backend runs the same tests, because the runtime must not be
 * able to tell them apart. A new backend adds one `storeContract(...)` call at the bottom.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { ActivityTaskRecord, HistoryEvent, ThreadRecord, TimerRecord } from '@stepwise/core';
import { MemoryStore } from '../src/store/memory.js';
import { PostgresStore } from '../src/store/postgres.js';
import { sqliteMigrations } from '../src/store/sqlite-migrations.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type {
  ActivityRecord,
  ExecutionCursor,
  ExecutionFilter,
  ExecutionRecord,
  MapRunRecord,
  StateMachineAliasRecord,
  StateMachineRecord,
  StateMachineRevision,
  StateMachineVersionRecord,
  Store,
  TransitionCommit,
} from '../src/store/types.js';
import { postgresSkip, testSchema } from './helpers/postgres.js';

type StoreFactory = () => Promise<{ store: Store; cleanup(): Promise<void> }>;

const REGION = 'arn:aws:states:us-east-1:123456789012';

function activityRecord(name: string, creationDate: number): ActivityRecord {
  return { activityArn: `${REGION}:activity:${name}`, name, creationDate };
}

function revisionRecord(
  stateMachineArn: string,
  revisionKey: string,
  createdAt: number,
): StateMachineRevision {
  return {
    stateMachineArn,
    revisionKey,
    definition: JSON.stringify({
      StartAt: 'A',
      States: { A: { Type: 'Pass', End: true } },
      Comment: revisionKey,
    }),
    roleArn: 'arn:aws:iam::123456789012:role/r',
    loggingConfiguration: '{"level":"OFF"}',
    tracingConfiguration: '{"enabled":false}',
    createdAt,
  };
}

function machineRecord(name: string, creationDate: number): StateMachineRecord {
  const arn = `${REGION}:stateMachine:${name}`;
  return {
    stateMachineArn: arn,
    name,
    type: 'STANDARD',
    status: 'ACTIVE',
    creationDate,
    current: revisionRecord(arn, `${name}-r0`, creationDate),
  };
}

function executionRecord(machine: StateMachineRecord, name: string, startDate: number): ExecutionRecord {
  return {
    executionArn: `${REGION}:execution:${machine.name}:${name}`,
    stateMachineArn: machine.stateMachineArn,
    name,
    status: 'RUNNING',
    input: '{"n":1}',
    startDate,
    revisionKey: machine.current.revisionKey,
    nextEventId: 1,
    version: 0,
    redriveCount: 0,
  };
}

function mapRunRecord(parent: ExecutionRecord, label: string, startDate: number, total = 3): MapRunRecord {
  return {
    mapRunArn: `${REGION}:mapRun:${parent.name}/${label}:${startDate}`,
    executionArn: parent.executionArn,
    threadId: 'root',
    stateMachineArn: `${parent.stateMachineArn}/${label}`,
    revisionKey: `${label}-r0`,
    executionType: 'STANDARD',
    status: 'RUNNING',
    startDate,
    maxConcurrency: 2,
    toleratedFailureCount: 1,
    toleratedFailurePercentage: 12.5,
    total,
    launched: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    aborted: 0,
    redriveCount: 0,
    pendingRedrive: 0,
    version: 0,
  };
}

/** A child execution of `mapRun` for item `index`. */
function childRecord(mapRun: MapRunRecord, index: number, startDate: number): ExecutionRecord {
  return {
    executionArn: `${REGION}:execution:${mapRun.mapRunArn.slice(REGION.length + 8)}:child-${index}`,
    stateMachineArn: mapRun.stateMachineArn,
    name: `child-${index}`,
    status: 'RUNNING',
    input: JSON.stringify({ item: index }),
    startDate,
    revisionKey: mapRun.revisionKey,
    nextEventId: 1,
    version: 0,
    redriveCount: 0,
    mapRunArn: mapRun.mapRunArn,
    mapRunIndex: index,
  };
}

function event(id: number, type: string, timestamp = 1000 + id): HistoryEvent {
  return {
    id,
    previousEventId: id - 1,
    timestamp,
    type,
    detailsMember: 'passStateEventDetails',
    details: { name: `s${id}`, nested: { list: [1, 'two', null, true] } },
  };
}

function threadRecord(id: string, stateName: string, lastEventId: number): ThreadRecord {
  return {
    id,
    parentId: id === 'root' ? null : 'root',
    stateName,
    enteredEventId: lastEventId,
    lastEventId,
    enteredTime: 5000,
    input: { a: [1, 2, { b: null }] },
    retryCounts: [0, 1],
    wait: null,
  };
}

function taskRecord(
  token: string,
  activityArn: string,
  executionArn: string,
  scheduledAt: number,
  status: ActivityTaskRecord['status'] = 'queued',
): ActivityTaskRecord {
  return { token, activityArn, executionArn, threadId: 'root', input: '{"x":1}', status, scheduledAt };
}

function timerRecord(id: string, executionArn: string, dueAt: number): TimerRecord {
  return { id, executionArn, threadId: 'root', kind: 'wait', dueAt };
}

/** The first transition of an execution: ExecutionStarted plus the root thread. */
function firstCommit(execution: ExecutionRecord): TransitionCommit {
  return {
    executionArn: execution.executionArn,
    expectedVersion: execution.version,
    execution: { status: 'RUNNING', nextEventId: 2 },
    events: [{ id: 1, previousEventId: 0, timestamp: execution.startDate, type: 'ExecutionStarted' }],
    threadsPut: [threadRecord('root', 'A', 1)],
    threadsDeleted: [],
    tasksPut: [],
    tasksDeleted: [],
    timersPut: [],
    timersDeleted: [],
  };
}

function emptyCommit(executionArn: string, expectedVersion: number, nextEventId: number): TransitionCommit {
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

async function startExecution(store: Store, execution: ExecutionRecord): Promise<void> {
  const result = await store.createExecution(execution, firstCommit(execution));
  assert.equal(result.created, true);
}

/** Everything an execution owns, for "nothing changed" comparisons. */
async function snapshot(store: Store, executionArn: string, tokens: string[], now: number): Promise<unknown> {
  return {
    execution: await store.getExecution(executionArn),
    history: await store.getHistory({ executionArn, reverse: false, limit: 1000 }),
    threads: await store.loadThreads(executionArn),
    tasks: await Promise.all(tokens.map((token) => store.getActivityTask(token))),
    timers: await store.dueTimers(now, 1000),
    nextTimer: await store.nextTimerDue(),
  };
}

function storeContract(name: string, factory: StoreFactory, skip: string | false = false): void {
  async function withStore(test: (store: Store) => Promise<void>): Promise<void> {
    const backend = await factory();
    try {
      await test(backend.store);
    } finally {
      await backend.cleanup();
    }
  }

  void describe(`store contract: ${name}`, { skip }, () => {
    void it('creates activities idempotently by name, gets and deletes them', () =>
      withStore(async (store) => {
        const a = activityRecord('alpha', 100);
        assert.deepEqual(await store.createActivity(a), a);
        // Same name, different ARN and date: the stored one is answered and nothing is added.
        const again = await store.createActivity({
          ...a,
          activityArn: `${a.activityArn}-x`,
          creationDate: 999,
        });
        assert.deepEqual(again, a);
        assert.deepEqual(await store.getActivity(a.activityArn), a);
        assert.equal(await store.getActivity(`${a.activityArn}-x`), undefined);
        assert.deepEqual((await store.listActivities({ limit: 10 })).items, [a]);

        await store.deleteActivity(a.activityArn);
        await store.deleteActivity(a.activityArn);
        await store.deleteActivity(`${REGION}:activity:never`);
        assert.equal(await store.getActivity(a.activityArn), undefined);
        // The name is free again once deleted.
        const b = { ...a, creationDate: 200 };
        assert.deepEqual(await store.createActivity(b), b);
      }));

    void it('stores the tags of a created activity or state machine, not of a repeated create', () =>
      withStore(async (store) => {
        const a = activityRecord('tagged', 100);
        await store.createActivity(a, [
          { key: 'team', value: 'core' },
          { key: 'env', value: '' },
        ]);
        const m = machineRecord('tagged', 100);
        assert.deepEqual(await store.createStateMachine(m, [{ key: 'z', value: '1' }]), { created: true });
        // Idempotent creates answer the stored resource and leave its tags alone.
        await store.createActivity(a, [{ key: 'team', value: 'other' }]);
        assert.equal((await store.createStateMachine(m, [{ key: 'y', value: '2' }])).created, false);

        assert.deepEqual(await store.listTags(a.activityArn), [
          { key: 'team', value: 'core' },
          { key: 'env', value: '' },
        ]);
        assert.deepEqual(await store.listTags(m.stateMachineArn), [{ key: 'z', value: '1' }]);
        const plain = activityRecord('plain', 100);
        await store.createActivity(plain);
        assert.deepEqual(await store.listTags(plain.activityArn), []);
      }));

    void it('tags and untags resources, listing keys in the order they were first set', () =>
      withStore(async (store) => {
        const m = machineRecord('flow', 100);
        await store.createStateMachine(m);
        const arn = m.stateMachineArn;
        assert.equal(
          await store.tagResource(
            arn,
            [
              { key: 'b', value: '1' },
              { key: 'a', value: '2' },
            ],
            50,
          ),
          'tagged',
        );
        // A key set again keeps its place and takes the new value; a key given twice, its last.
        assert.equal(
          await store.tagResource(
            arn,
            [
              { key: 'c', value: '3' },
              { key: 'b', value: 'x' },
              { key: 'c', value: '4' },
            ],
            50,
          ),
          'tagged',
        );
        assert.equal(await store.tagResource(arn, [], 50), 'tagged');
        assert.deepEqual(await store.listTags(arn), [
          { key: 'b', value: 'x' },
          { key: 'a', value: '2' },
          { key: 'c', value: '4' },
        ]);

        // Untagging a key that is not there is no error.
        assert.equal(await store.untagResource(arn, ['a', 'missing']), true);
        assert.equal(await store.untagResource(arn, []), true);
        assert.deepEqual(await store.listTags(arn), [
          { key: 'b', value: 'x' },
          { key: 'c', value: '4' },
        ]);
        // A removed key set again goes to the end.
        await store.tagResource(arn, [{ key: 'a', value: 'back' }], 50);
        assert.deepEqual(
          (await store.listTags(arn))?.map((t) => t.key),
          ['b', 'c', 'a'],
        );
        await store.untagResource(arn, ['a', 'b', 'c']);
        assert.deepEqual(await store.listTags(arn), []);

        // Activities take tags the same way, and the two resources' tags stay apart.
        const act = activityRecord('worker', 100);
        await store.createActivity(act);
        assert.equal(await store.tagResource(act.activityArn, [{ key: 'b', value: 'act' }], 50), 'tagged');
        assert.deepEqual(await store.listTags(act.activityArn), [{ key: 'b', value: 'act' }]);
        assert.deepEqual(await store.listTags(arn), []);
      }));

    void it('refuses tags past the limit, counting a key already set once', () =>
      withStore(async (store) => {
        const a = activityRecord('full', 100);
        const keys = (from: number, n: number) =>
          Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` }));
        await store.createActivity(a, keys(0, 3));
        assert.equal(await store.tagResource(a.activityArn, keys(3, 3), 5), 'tooManyTags');
        assert.deepEqual(
          await store.listTags(a.activityArn),
          keys(0, 3),
          'nothing of a refused request is set',
        );
        // Two new keys and one already set: five in all.
        assert.equal(await store.tagResource(a.activityArn, [...keys(3, 2), ...keys(0, 1)], 5), 'tagged');
        assert.equal(await store.tagResource(a.activityArn, [{ key: 'k4', value: 'new' }], 5), 'tagged');
        assert.equal(await store.tagResource(a.activityArn, [{ key: 'k5', value: '' }], 5), 'tooManyTags');
        assert.equal((await store.listTags(a.activityArn))?.length, 5);
        assert.equal((await store.listTags(a.activityArn))?.[4]?.value, 'new');
      }));

    void it('finds no taggable resource for other ARNs: missing, versions, aliases, labels', () =>
      withStore(async (store) => {
        const m = machineRecord('sm', 100);
        await store.createStateMachine(m);
        for (const arn of [
          `${REGION}:stateMachine:missing`,
          `${REGION}:activity:missing`,
          `${m.stateMachineArn}:1`,
          `${m.stateMachineArn}:PROD`,
          `${m.stateMachineArn}/Map`,
          `${REGION}:execution:sm:e1`,
        ]) {
          assert.equal(await store.listTags(arn), undefined, arn);
          assert.equal(await store.tagResource(arn, [{ key: 'k', value: 'v' }], 50), 'notFound', arn);
          assert.equal(await store.untagResource(arn, ['k']), false, arn);
        }
        assert.deepEqual(await store.listTags(m.stateMachineArn), []);
      }));

    void it('deletes tags with their resource, so a resource created again starts untagged', () =>
      withStore(async (store) => {
        const a = activityRecord('gone', 100);
        await store.createActivity(a, [{ key: 'k', value: 'v' }]);
        const m = machineRecord('gone', 100);
        await store.createStateMachine(m, [{ key: 'k', value: 'v' }]);
        await store.tagResource(m.stateMachineArn, [{ key: 'j', value: 'w' }], 50);

        await store.deleteActivity(a.activityArn);
        await store.deleteStateMachine(m.stateMachineArn);
        assert.equal(await store.listTags(a.activityArn), undefined);
        assert.equal(await store.listTags(m.stateMachineArn), undefined);

        await store.createActivity(a);
        await store.createStateMachine(m, [{ key: 'j', value: 'again' }]);
        assert.deepEqual(await store.listTags(a.activityArn), []);
        assert.deepEqual(await store.listTags(m.stateMachineArn), [{ key: 'j', value: 'again' }]);
      }));

    void it('lists activities in keyset pages ordered by creation date then ARN', () =>
      withStore(async (store) => {
        const all = [
          activityRecord('e', 300),
          activityRecord('b', 100),
          activityRecord('d', 200),
          activityRecord('a', 200),
          activityRecord('c', 100),
        ];
        for (const a of all) await store.createActivity(a);
        const expected = [...all].sort(
          (x, y) => x.creationDate - y.creationDate || (x.name < y.name ? -1 : 1),
        );

        const seen: ActivityRecord[] = [];
        let page = await store.listActivities({ limit: 2 });
        const pages = [page];
        while (page.next !== undefined) {
          page = await store.listActivities({ limit: 2, after: page.next });
          pages.push(page);
        }
        for (const p of pages) seen.push(...p.items);
        assert.deepEqual(seen, expected);
        assert.deepEqual(
          pages.map((p) => p.items.length),
          [2, 2, 1],
        );
        assert.deepEqual(pages[0]?.next, { creationDate: 100, arn: `${REGION}:activity:c` });

        // An exact fit has no `next`: the extra row fetched tells there is nothing more.
        const exact = await store.listActivities({ limit: 5 });
        assert.equal(exact.items.length, 5);
        assert.equal(exact.next, undefined);
        assert.deepEqual(
          await store.listActivities({
            limit: 3,
            after: { creationDate: 300, arn: all[0]?.activityArn ?? '' },
          }),
          {
            items: [],
          },
        );
      }));

    void it('creates, gets, updates, lists and deletes state machines', () =>
      withStore(async (store) => {
        const m = machineRecord('flow', 1000);
        assert.deepEqual(await store.createStateMachine(m), { created: true });
        const dup = await store.createStateMachine({
          ...m,
          current: revisionRecord(m.stateMachineArn, 'other', 5),
        });
        assert.deepEqual(dup, { created: false, existing: m });
        assert.deepEqual(await store.getStateMachine(m.stateMachineArn), m);
        assert.equal(await store.getStateMachine(`${m.stateMachineArn}-missing`), undefined);
        assert.equal(m.updateDate, undefined);
        assert.equal(
          Object.hasOwn((await store.getStateMachine(m.stateMachineArn)) ?? {}, 'revisionId'),
          false,
        );

        const r1 = revisionRecord(m.stateMachineArn, 'flow-r1', 2000);
        assert.equal(
          await store.updateStateMachine(m.stateMachineArn, r1, { updateDate: 2000, revisionId: 'rev-1' }),
          true,
        );
        const updated = await store.getStateMachine(m.stateMachineArn);
        assert.deepEqual(updated, { ...m, updateDate: 2000, revisionId: 'rev-1', current: r1 });
        assert.deepEqual(await store.getRevision(m.stateMachineArn, 'flow-r1'), r1);
        assert.deepEqual(await store.getRevision(m.stateMachineArn, m.current.revisionKey), m.current);
        assert.equal(await store.getRevision(m.stateMachineArn, 'nope'), undefined);

        const missing = revisionRecord(`${REGION}:stateMachine:ghost`, 'g1', 1);
        assert.equal(
          await store.updateStateMachine(missing.stateMachineArn, missing, {
            updateDate: 1,
            revisionId: 'x',
          }),
          false,
        );
        assert.equal(await store.getRevision(missing.stateMachineArn, 'g1'), undefined);

        const others = [machineRecord('b', 500), machineRecord('c', 1000), machineRecord('a', 3000)];
        for (const o of others) await store.createStateMachine(o);
        const first = await store.listStateMachines({ limit: 2 });
        assert.deepEqual(
          first.items.map((x) => x.name),
          ['b', 'c'],
        );
        assert.ok(first.next);
        const second = await store.listStateMachines({ limit: 2, after: first.next });
        assert.deepEqual(
          second.items.map((x) => x.name),
          ['flow', 'a'],
        );
        assert.equal(second.next, undefined);
        assert.deepEqual(second.items[0], updated);

        await store.deleteStateMachine(m.stateMachineArn);
        await store.deleteStateMachine(m.stateMachineArn);
        assert.equal(await store.getStateMachine(m.stateMachineArn), undefined);
        assert.deepEqual(
          (await store.listStateMachines({ limit: 10 })).items.map((x) => x.name),
          ['b', 'c', 'a'],
        );
      }));

    void it('keeps the revisions that executions refer to after a state machine is deleted', () =>
      withStore(async (store) => {
        const m = machineRecord('keep', 1000);
        await store.createStateMachine(m);
        await startExecution(store, executionRecord(m, 'e1', 1100));
        const r1 = revisionRecord(m.stateMachineArn, 'keep-r1', 2000);
        await store.updateStateMachine(m.stateMachineArn, r1, { updateDate: 2000, revisionId: 'rev-1' });

        await store.deleteStateMachine(m.stateMachineArn);
        assert.deepEqual(await store.getRevision(m.stateMachineArn, m.current.revisionKey), m.current);
        assert.equal(await store.getRevision(m.stateMachineArn, 'keep-r1'), undefined);
        assert.equal((await store.getExecution(executionRecord(m, 'e1', 0).executionArn))?.name, 'e1');
      }));

    void it('keeps the root thread and child threads through puts, untouched commits and deletes', () =>
      withStore(async (store) => {
        const m = machineRecord('threads', 1);
        const execution = executionRecord(m, 'run', 5000);
        const arn = execution.executionArn;
        await startExecution(store, execution);
        const childA = threadRecord('root/0', 'B', 2);
        const childB = threadRecord('root/1', 'C', 2);
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 1, 3),
            threadsPut: [childB, threadRecord('root', 'P', 2), childA],
          }),
          true,
        );
        assert.deepEqual(await store.loadThreads(arn), [threadRecord('root', 'P', 2), childA, childB]);
        // A commit that leaves the root alone keeps it as it was.
        const movedA = threadRecord('root/0', 'B2', 3);
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 2, 4),
            threadsPut: [movedA],
            threadsDeleted: ['root/1'],
          }),
          true,
        );
        assert.deepEqual(await store.loadThreads(arn), [threadRecord('root', 'P', 2), movedA]);
        // The root can go while children stay (and come back).
        assert.equal(
          await store.commitTransition({ ...emptyCommit(arn, 3, 5), threadsDeleted: ['root'] }),
          true,
        );
        assert.deepEqual(await store.loadThreads(arn), [movedA]);
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 4, 6),
            threadsPut: [threadRecord('root', 'Q', 5)],
            threadsDeleted: ['root/0'],
          }),
          true,
        );
        assert.deepEqual(await store.loadThreads(arn), [threadRecord('root', 'Q', 5)]);
        // A commit that loses its version check changes no thread.
        assert.equal(
          await store.commitTransition({ ...emptyCommit(arn, 1, 9), threadsDeleted: ['root'] }),
          false,
        );
        assert.deepEqual(await store.loadThreads(arn), [threadRecord('root', 'Q', 5)]);
      }));

    void it('creates an execution together with its first transition, or answers the existing one', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const execution = { ...executionRecord(m, 'run', 5000), traceHeader: 'Root=1-abc' };
        assert.deepEqual(await store.createExecution(execution, firstCommit(execution)), { created: true });

        const stored = await store.getExecution(execution.executionArn);
        const expected: ExecutionRecord = { ...execution, nextEventId: 2, version: 1 };
        assert.deepEqual(stored, expected);
        assert.deepEqual(
          await store.getHistory({ executionArn: execution.executionArn, reverse: false, limit: 10 }),
          [{ id: 1, previousEventId: 0, timestamp: 5000, type: 'ExecutionStarted' }],
        );
        assert.deepEqual(await store.loadThreads(execution.executionArn), [threadRecord('root', 'A', 1)]);

        const other = { ...execution, input: '{"different":true}', startDate: 9999 };
        const second = await store.createExecution(other, {
          ...firstCommit(other),
          events: [event(1, 'ExecutionStarted'), event(2, 'PassStateEntered')],
        });
        assert.deepEqual(second, { created: false, existing: expected });
        assert.equal(
          (await store.getHistory({ executionArn: execution.executionArn, reverse: false, limit: 10 }))
            .length,
          1,
        );
        assert.equal(await store.getExecution(`${execution.executionArn}-missing`), undefined);
      }));

    void it('keeps the mock test case of an execution and the token of the Task that started it', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const execution: ExecutionRecord = {
          ...executionRecord(m, 'nested', 5000),
          testCase: 'HappyPath',
          parentTaskToken: 'sw1.parent-token',
        };
        await startExecution(store, execution);
        const closed = {
          ...emptyCommit(execution.executionArn, 1, 3),
          execution: { status: 'SUCCEEDED' as const, nextEventId: 3, output: '{}', stopDate: 6000 },
          events: [event(2, 'ExecutionSucceeded')],
          threadsDeleted: ['root'],
        };
        assert.equal(await store.commitTransition(closed), true);
        const stored = await store.getExecution(execution.executionArn);
        assert.equal(stored?.testCase, 'HappyPath');
        assert.equal(stored?.parentTaskToken, 'sw1.parent-token');
        const listed = await store.listExecutions({ stateMachineArn: m.stateMachineArn }, { limit: 10 });
        assert.equal(listed.items[0]?.parentTaskToken, 'sw1.parent-token');
        const plain = executionRecord(m, 'plain', 7000);
        await startExecution(store, plain);
        const got = await store.getExecution(plain.executionArn);
        assert.equal(got !== undefined && 'testCase' in got, false);
        assert.equal(got !== undefined && 'parentTaskToken' in got, false);
      }));

    void it('applies a transition atomically and refuses a stale version without writing anything', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const execution = executionRecord(m, 'e', 1000);
        await startExecution(store, execution);
        const arn = execution.executionArn;
        const activityArn = `${REGION}:activity:work`;
        const oldTimer = timerRecord('t-old', arn, 4000);
        const oldTask = taskRecord('tok-old', activityArn, arn, 1500);

        // Version 1 → 2: events, a second thread, a task and a timer.
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 1, 4),
            events: [event(2, 'PassStateEntered'), event(3, 'TaskStateEntered')],
            threadsPut: [threadRecord('root', 'B', 3), threadRecord('child', 'C', 3)],
            tasksPut: [oldTask],
            timersPut: [oldTimer],
          }),
          true,
        );

        // Version 2 → 3: every kind of write at once.
        const newTask = { ...taskRecord('tok-new', activityArn, arn, 1600), workerName: 'w1' };
        const movedTimer = { ...oldTimer, dueAt: 9000, kind: 'retry' as const };
        const secondTimer = timerRecord('t-2', arn, 3000);
        assert.equal(
          await store.commitTransition({
            executionArn: arn,
            expectedVersion: 2,
            execution: {
              status: 'FAILED',
              nextEventId: 6,
              output: '{"done":1}',
              error: null,
              cause: 'because',
              stopDate: 7777,
            },
            events: [
              event(4, 'TaskFailed'),
              { id: 5, previousEventId: 4, timestamp: 7777, type: 'ExecutionFailed' },
            ],
            threadsPut: [threadRecord('root', 'D', 5)],
            threadsDeleted: ['child'],
            tasksPut: [newTask],
            tasksDeleted: ['tok-old'],
            timersPut: [movedTimer, secondTimer],
            timersDeleted: [],
          }),
          true,
        );

        const expected: ExecutionRecord = {
          ...execution,
          status: 'FAILED',
          nextEventId: 6,
          output: '{"done":1}',
          error: null,
          cause: 'because',
          stopDate: 7777,
          version: 3,
        };
        assert.deepEqual(await store.getExecution(arn), expected);
        const history = await store.getHistory({ executionArn: arn, reverse: false, limit: 100 });
        assert.deepEqual(
          history.map((e) => e.id),
          [1, 2, 3, 4, 5],
        );
        assert.deepEqual(history[1], event(2, 'PassStateEntered'));
        assert.deepEqual(history[4], { id: 5, previousEventId: 4, timestamp: 7777, type: 'ExecutionFailed' });
        assert.deepEqual(await store.loadThreads(arn), [threadRecord('root', 'D', 5)]);
        assert.equal(await store.getActivityTask('tok-old'), undefined);
        assert.deepEqual(await store.getActivityTask('tok-new'), newTask);
        assert.deepEqual(await store.dueTimers(10_000, 10), [secondTimer, movedTimer]);

        // A patch without optional members leaves the stored ones as they are.
        assert.equal(await store.commitTransition(emptyCommit(arn, 3, 6)), true);
        assert.deepEqual(await store.getExecution(arn), { ...expected, status: 'RUNNING', version: 4 });

        const tokens = ['tok-old', 'tok-new', 'tok-stale'];
        const before = await snapshot(store, arn, tokens, 10_000);
        const stale: TransitionCommit = {
          executionArn: arn,
          expectedVersion: 3,
          execution: { status: 'SUCCEEDED', nextEventId: 7, output: '"x"', stopDate: 1 },
          events: [event(6, 'ExecutionSucceeded')],
          threadsPut: [threadRecord('late', 'Z', 6)],
          threadsDeleted: ['root'],
          tasksPut: [taskRecord('tok-stale', activityArn, arn, 1)],
          tasksDeleted: ['tok-new'],
          timersPut: [timerRecord('t-stale', arn, 1)],
          timersDeleted: ['t-2'],
        };
        assert.equal(await store.commitTransition(stale), false);
        assert.equal(await store.commitTransition({ ...stale, expectedVersion: 99 }), false);
        assert.equal(await store.commitTransition({ ...stale, executionArn: `${arn}-missing` }), false);
        assert.deepEqual(await snapshot(store, arn, tokens, 10_000), before);

        // A commit that fails part-way (an event id already taken) must not leave earlier writes.
        await assert.rejects(
          store.commitTransition({ ...stale, expectedVersion: 4, events: [event(6, 'X'), event(2, 'Dup')] }),
        );
        await assert.rejects(
          store.commitTransition({ ...stale, expectedVersion: 4, events: [event(6, 'X'), event(6, 'Dup')] }),
        );
        assert.deepEqual(await snapshot(store, arn, tokens, 10_000), before);
      }));

    void it('applies writes issued together independently: a stale or failing one leaves the others', () =>
      withStore(async (store) => {
        // Issued in one event-loop turn, as concurrent requests issue them: a store that groups
        // commits (SQLite) applies them in one transaction, and each must keep its own outcome.
        const m = machineRecord('together', 1);
        await store.createStateMachine(m);
        const activityArn = `${REGION}:activity:together`;
        const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name, i) => executionRecord(m, name, 10 + i));
        assert.ok(a && b && c && d);
        const created = await Promise.all([a, b, c, d].map((e) => store.createExecution(e, firstCommit(e))));
        assert.deepEqual(created, [
          { created: true },
          { created: true },
          { created: true },
          { created: true },
        ]);

        const outcomes = await Promise.allSettled([
          store.commitTransition({ ...emptyCommit(a.executionArn, 1, 3), events: [event(2, 'A')] }),
          // Two transitions computed from the same version: one wins, the other is stale (which
          // one is the store's choice when they run concurrently).
          store.commitTransition({ ...emptyCommit(b.executionArn, 1, 3), events: [event(2, 'B')] }),
          store.commitTransition({ ...emptyCommit(b.executionArn, 1, 3), events: [event(2, 'B-stale')] }),
          // Fails part-way (an event id twice): rejected, and nothing of it is written.
          store.commitTransition({
            ...emptyCommit(c.executionArn, 1, 3),
            events: [event(2, 'C'), event(2, 'C-dup')],
            tasksPut: [taskRecord('tok-c', activityArn, c.executionArn, 5)],
          }),
          store.commitTransition({
            ...emptyCommit(d.executionArn, 1, 3),
            events: [event(2, 'D')],
            tasksPut: [taskRecord('tok-d', activityArn, d.executionArn, 6)],
          }),
          // A create of an existing execution answers it (as of before or after the commit
          // above), and a new one is created alongside.
          store.createExecution(a, firstCommit(a)),
          store.createExecution(executionRecord(m, 'e', 20), firstCommit(executionRecord(m, 'e', 20))),
        ]);
        const [forA, forB, forBAgain, forC, forD, again, forE] = outcomes.map((o) =>
          o.status === 'fulfilled' ? o.value : 'rejected',
        );
        assert.deepEqual([forA, forC, forD, forE], [true, 'rejected', true, { created: true }]);
        assert.deepEqual([forB, forBAgain].sort(), [false, true]);
        assert.ok(typeof again === 'object' && !again.created);
        assert.equal(again.existing.executionArn, a.executionArn);

        const types = async (arn: string): Promise<string[]> =>
          (await store.getHistory({ executionArn: arn, reverse: false, limit: 10 })).map((e) => e.type);
        assert.deepEqual(await types(a.executionArn), ['ExecutionStarted', 'A']);
        assert.deepEqual(await types(b.executionArn), ['ExecutionStarted', forB === true ? 'B' : 'B-stale']);
        assert.deepEqual(await types(c.executionArn), ['ExecutionStarted']);
        assert.deepEqual(await types(d.executionArn), ['ExecutionStarted', 'D']);
        assert.equal((await store.getExecution(b.executionArn))?.version, 2);
        assert.equal((await store.getExecution(c.executionArn))?.version, 1);
        assert.equal(await store.getActivityTask('tok-c'), undefined);
        assert.equal((await store.nextQueuedTask(activityArn))?.token, 'tok-d');
        assert.equal((await store.getExecution(executionRecord(m, 'e', 20).executionArn))?.version, 1);
      }));

    void it('lists executions newest first, by status, in keyset pages', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const other = machineRecord('other', 1);
        const starts: [string, number][] = [
          ['e1', 100],
          ['e2', 300],
          ['e3', 200],
          ['e4', 300],
          ['e5', 50],
          ['e6', 300],
        ];
        for (const [name, start] of starts) await startExecution(store, executionRecord(m, name, start));
        await startExecution(store, executionRecord(other, 'x', 1000));
        // Finish e4 and e1.
        for (const name of ['e4', 'e1']) {
          const arn = executionRecord(m, name, 0).executionArn;
          assert.equal(
            await store.commitTransition({
              ...emptyCommit(arn, 1, 2),
              execution: { status: 'SUCCEEDED', nextEventId: 2, stopDate: 400 },
            }),
            true,
          );
        }

        const all = await store.listExecutions({ stateMachineArn: m.stateMachineArn }, { limit: 100 });
        assert.deepEqual(
          all.items.map((e) => e.name),
          ['e2', 'e4', 'e6', 'e3', 'e1', 'e5'],
        );
        assert.equal(all.next, undefined);
        assert.equal(all.items[1]?.status, 'SUCCEEDED');

        const names: string[] = [];
        let page = await store.listExecutions({ stateMachineArn: m.stateMachineArn }, { limit: 2 });
        names.push(...page.items.map((e) => e.name));
        assert.deepEqual(page.next, { startDate: 300, arn: executionRecord(m, 'e4', 0).executionArn });
        while (page.next !== undefined) {
          page = await store.listExecutions(
            { stateMachineArn: m.stateMachineArn },
            { limit: 2, after: page.next },
          );
          names.push(...page.items.map((e) => e.name));
        }
        assert.deepEqual(names, ['e2', 'e4', 'e6', 'e3', 'e1', 'e5']);

        const running = await store.listExecutions(
          { stateMachineArn: m.stateMachineArn, status: 'RUNNING' },
          { limit: 3 },
        );
        assert.deepEqual(
          running.items.map((e) => e.name),
          ['e2', 'e6', 'e3'],
        );
        assert.ok(running.next);
        const rest = await store.listExecutions(
          { stateMachineArn: m.stateMachineArn, status: 'RUNNING' },
          { limit: 3, after: running.next },
        );
        assert.deepEqual(rest, {
          items: [await store.getExecution(executionRecord(m, 'e5', 0).executionArn)],
        });
        const done = await store.listExecutions(
          { stateMachineArn: m.stateMachineArn, status: 'SUCCEEDED' },
          { limit: 10 },
        );
        assert.deepEqual(
          done.items.map((e) => e.name),
          ['e4', 'e1'],
        );
        const firstDone = await store.listExecutions(
          { stateMachineArn: m.stateMachineArn, status: 'SUCCEEDED' },
          { limit: 1 },
        );
        assert.deepEqual(
          firstDone.items.map((e) => e.name),
          ['e4'],
        );
        assert.ok(firstDone.next);
        const lastDone = await store.listExecutions(
          { stateMachineArn: m.stateMachineArn, status: 'SUCCEEDED' },
          { limit: 1, after: firstDone.next },
        );
        assert.deepEqual(
          lastDone.items.map((e) => e.name),
          ['e1'],
        );
        assert.equal(lastDone.next, undefined);
        assert.deepEqual(await store.countExecutions(m.stateMachineArn), { RUNNING: 4, SUCCEEDED: 2 });
        assert.deepEqual(await store.countExecutions(`${REGION}:stateMachine:none`), {});
        assert.deepEqual(
          await store.listExecutions(
            { stateMachineArn: m.stateMachineArn, status: 'ABORTED' },
            { limit: 10 },
          ),
          { items: [] },
        );
        assert.deepEqual(
          await store.listExecutions({ stateMachineArn: `${REGION}:stateMachine:none` }, { limit: 10 }),
          {
            items: [],
          },
        );
      }));

    void it('keeps a redrive snapshot of a closed execution, apart from its threads', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const execution = executionRecord(m, 'e', 1000);
        await startExecution(store, execution);
        const arn = execution.executionArn;
        const failedChild: ThreadRecord = { ...threadRecord('root/1', 'T', 4), failed: true, phase: 'done' };
        const snapshotThreads = [threadRecord('root', 'P', 3), failedChild];
        // The execution fails: its threads go, its snapshot is written.
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 1, 6),
            execution: { status: 'FAILED', nextEventId: 6, error: 'E', cause: 'c', stopDate: 5000 },
            threadsDeleted: ['root'],
            redriveThreads: [failedChild, snapshotThreads[0] as ThreadRecord],
          }),
          true,
        );
        const failed = await store.getExecution(arn);
        assert.equal(failed?.redrivable, true);
        assert.deepEqual(await store.loadThreads(arn), []);
        assert.deepEqual(await store.loadRedriveThreads(arn), snapshotThreads, 'by id');
        assert.deepEqual(await store.loadRedriveThreads(`${arn}-missing`), []);

        // A commit without a snapshot leaves it alone.
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 2, 6),
            execution: { status: 'FAILED', nextEventId: 6 },
          }),
          true,
        );
        assert.equal((await store.getExecution(arn))?.redrivable, true);
        assert.equal((await store.loadRedriveThreads(arn)).length, 2);

        // The redrive: the outcome goes, the redrive is counted, the snapshot is taken up.
        const tokens = [{ token: 'tok-1', redriveDate: 9000 }];
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 3, 8),
            execution: {
              status: 'RUNNING',
              nextEventId: 8,
              redriven: { redriveCount: 1, redriveDate: 9000 },
            },
            events: [event(6, 'ExecutionRedriven'), event(7, 'TaskStateEntered')],
            threadsPut: snapshotThreads,
            redriveThreads: [],
            redriveTokens: tokens,
          }),
          true,
        );
        const redriven: ExecutionRecord = {
          ...execution,
          nextEventId: 8,
          version: 4,
          redriveCount: 1,
          redriveDate: 9000,
          redriveTokens: tokens,
        };
        assert.deepEqual(await store.getExecution(arn), redriven);
        assert.deepEqual(await store.loadRedriveThreads(arn), []);
        assert.deepEqual(await store.loadThreads(arn), snapshotThreads);

        // A redrive that fails again in the same commit writes the new outcome and a new snapshot.
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 4, 9),
            execution: {
              status: 'FAILED',
              nextEventId: 9,
              error: 'E2',
              cause: null,
              stopDate: 9500,
              redriven: { redriveCount: 2, redriveDate: 9500 },
            },
            events: [event(8, 'ExecutionFailed')],
            threadsDeleted: ['root', 'root/1'],
            redriveThreads: [snapshotThreads[0] as ThreadRecord],
            redriveTokens: [{ token: 'tok-2', redriveDate: 9500 }, ...tokens],
          }),
          true,
        );
        assert.deepEqual(await store.getExecution(arn), {
          ...redriven,
          status: 'FAILED',
          nextEventId: 9,
          version: 5,
          error: 'E2',
          cause: null,
          stopDate: 9500,
          redriveCount: 2,
          redriveDate: 9500,
          redriveTokens: [{ token: 'tok-2', redriveDate: 9500 }, ...tokens],
          redrivable: true,
        });
        assert.deepEqual(await store.loadRedriveThreads(arn), [snapshotThreads[0]]);

        // An execution that fails in its first transition has its snapshot from the start.
        const quick = executionRecord(m, 'quick', 2000);
        await store.createExecution(quick, {
          ...firstCommit(quick),
          execution: { status: 'FAILED', nextEventId: 2, error: 'F', stopDate: 2000 },
          threadsPut: [],
          redriveThreads: [threadRecord('root', 'Fail', 1)],
        });
        assert.equal((await store.getExecution(quick.executionArn))?.redrivable, true);
        assert.deepEqual(await store.loadRedriveThreads(quick.executionArn), [
          threadRecord('root', 'Fail', 1),
        ]);
      }));

    void it('lists executions by redrive filter (REDRIVEN / NOT_REDRIVEN), with status, in pages', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        for (const [name, start] of [
          ['a', 100],
          ['b', 200],
          ['c', 300],
          ['d', 400],
        ] as const) {
          await startExecution(store, executionRecord(m, name, start));
        }
        for (const name of ['b', 'd']) {
          const arn = executionRecord(m, name, 0).executionArn;
          assert.equal(
            await store.commitTransition({
              ...emptyCommit(arn, 1, 3),
              execution: {
                status: 'RUNNING',
                nextEventId: 3,
                redriven: { redriveCount: 1, redriveDate: 500 },
              },
              events: [event(2, 'ExecutionRedriven')],
            }),
            true,
          );
        }
        const names = async (
          filter: Omit<ExecutionFilter, 'stateMachineArn'>,
          limit = 10,
        ): Promise<string[]> => {
          const out: string[] = [];
          let after: ExecutionCursor | undefined;
          for (;;) {
            const page = await store.listExecutions(
              { stateMachineArn: m.stateMachineArn, ...filter },
              after === undefined ? { limit } : { limit, after },
            );
            out.push(...page.items.map((e) => e.name));
            if (page.next === undefined) return out;
            after = page.next;
          }
        };
        assert.deepEqual(await names({ redriven: true }), ['d', 'b']);
        assert.deepEqual(await names({ redriven: true }, 1), ['d', 'b']);
        assert.deepEqual(await names({ redriven: false }, 1), ['c', 'a']);
        assert.deepEqual(await names({ redriven: true, status: 'RUNNING' }), ['d', 'b']);
        assert.deepEqual(await names({ redriven: true, status: 'FAILED' }), []);
        const item = (
          await store.listExecutions({ stateMachineArn: m.stateMachineArn, redriven: true }, { limit: 1 })
        ).items[0];
        assert.equal(item?.redriveCount, 1);
        assert.equal(item?.redriveDate, 500);
      }));

    void it("keeps a Map Run's redrive counters and lists its children PENDING_REDRIVE", () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const parent = executionRecord(m, 'parent', 1000);
        await startExecution(store, parent);
        const run = mapRunRecord(parent, 'Map', 2000);
        await store.createMapRun(run, ['1', '2', '3']);
        for (const index of [0, 1]) await startExecution(store, childRecord(run, index, 3000 + index));
        const child = childRecord(run, 1, 0).executionArn;
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(child, 1, 2),
            execution: { status: 'PENDING_REDRIVE', nextEventId: 2 },
          }),
          true,
        );
        const redriven = { ...run, redriveCount: 1, redriveDate: 5000, pendingRedrive: 1 };
        assert.equal(await store.updateMapRun(redriven, 0), true);
        assert.deepEqual(await store.getMapRun(run.mapRunArn), { ...redriven, version: 1 });
        const pending = await store.listExecutions(
          { mapRunArn: run.mapRunArn, status: 'PENDING_REDRIVE' },
          { limit: 10 },
        );
        assert.deepEqual(
          pending.items.map((e) => e.executionArn),
          [child],
        );
      }));

    void it('keeps execution pages stable while executions are being started', () =>
      withStore(async (store) => {
        const m = machineRecord('busy', 1);
        const original: string[] = [];
        // Many share a start time, so the ARN tie-break is exercised across page boundaries.
        for (let i = 0; i < 40; i++) {
          const execution = executionRecord(
            m,
            `orig-${String(i).padStart(2, '0')}`,
            10_000 + Math.floor(i / 4) * 10,
          );
          original.push(execution.executionArn);
          await startExecution(store, execution);
        }
        const seen: string[] = [];
        let after: ExecutionCursor | undefined;
        let round = 0;
        for (;;) {
          const page = await store.listExecutions(
            { stateMachineArn: m.stateMachineArn },
            after === undefined ? { limit: 7 } : { limit: 7, after },
          );
          seen.push(...page.items.map((e) => e.executionArn));
          if (page.next === undefined) break;
          after = page.next;
          // New executions both newer than everything and at the cursor's own start time.
          await startExecution(store, executionRecord(m, `new-a-${round}`, 50_000 + round));
          await startExecution(store, executionRecord(m, `aaa-${round}`, page.next.startDate));
          await startExecution(store, executionRecord(m, `zzz-${round}`, page.next.startDate));
          round++;
        }
        assert.equal(new Set(seen).size, seen.length, 'no execution is listed twice');
        for (const arn of original) assert.ok(seen.includes(arn), `${arn} was skipped`);
        // Order holds across pages, including for rows inserted behind the cursor.
        const listed = await Promise.all(seen.map((arn) => store.getExecution(arn)));
        for (let i = 1; i < listed.length; i++) {
          const prev = listed[i - 1];
          const cur = listed[i];
          assert.ok(prev && cur);
          assert.ok(
            prev.startDate > cur.startDate ||
              (prev.startDate === cur.startDate && prev.executionArn < cur.executionArn),
          );
        }
      }));

    void it('reads history forwards and backwards with an exclusive bound', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const execution = executionRecord(m, 'h', 1000);
        await startExecution(store, execution);
        const arn = execution.executionArn;
        let version = 1;
        // Several commits, so pages span transitions.
        for (let next = 2; next <= 20; next += 3) {
          const events = [next, next + 1, next + 2].filter((id) => id <= 20).map((id) => event(id, `E${id}`));
          const last = events[events.length - 1]?.id ?? next;
          assert.equal(
            await store.commitTransition({ ...emptyCommit(arn, version, last + 1), events }),
            true,
          );
          version++;
        }
        const other = executionRecord(m, 'other', 1000);
        await startExecution(store, other);

        const ids = async (q: { reverse: boolean; afterId?: number; limit: number }): Promise<number[]> =>
          (await store.getHistory({ executionArn: arn, ...q })).map((e) => e.id);
        const range = (from: number, to: number): number[] =>
          Array.from({ length: Math.abs(to - from) + 1 }, (_, i) => (from <= to ? from + i : from - i));

        assert.deepEqual(await ids({ reverse: false, limit: 100 }), range(1, 20));
        assert.deepEqual(await ids({ reverse: true, limit: 100 }), range(20, 1));
        assert.deepEqual(await ids({ reverse: false, limit: 5 }), range(1, 5));
        assert.deepEqual(await ids({ reverse: false, afterId: 5, limit: 5 }), range(6, 10));
        assert.deepEqual(await ids({ reverse: false, afterId: 18, limit: 5 }), [19, 20]);
        assert.deepEqual(await ids({ reverse: false, afterId: 20, limit: 5 }), []);
        assert.deepEqual(await ids({ reverse: true, limit: 4 }), range(20, 17));
        assert.deepEqual(await ids({ reverse: true, afterId: 17, limit: 4 }), range(16, 13));
        assert.deepEqual(await ids({ reverse: true, afterId: 3, limit: 4 }), [2, 1]);
        assert.deepEqual(await ids({ reverse: true, afterId: 1, limit: 4 }), []);

        // Paging forward by the last id seen covers each event once.
        const paged: number[] = [];
        let afterId: number | undefined;
        for (;;) {
          const page = await ids(
            afterId === undefined ? { reverse: false, limit: 6 } : { reverse: false, afterId, limit: 6 },
          );
          if (page.length === 0) break;
          paged.push(...page);
          afterId = page[page.length - 1];
        }
        assert.deepEqual(paged, range(1, 20));

        const full = await store.getHistory({ executionArn: arn, reverse: false, afterId: 9, limit: 1 });
        assert.deepEqual(full, [event(10, 'E10')]);
        assert.deepEqual(
          await store.getHistory({ executionArn: other.executionArn, reverse: true, limit: 10 }),
          [{ id: 1, previousEventId: 0, timestamp: 1000, type: 'ExecutionStarted' }],
        );
        assert.deepEqual(
          await store.getHistory({ executionArn: `${arn}-missing`, reverse: false, limit: 10 }),
          [],
        );
      }));

    void it('hands out queued activity tasks oldest first, per activity', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const execution = executionRecord(m, 'tasks', 1000);
        await startExecution(store, execution);
        const arn = execution.executionArn;
        const a1 = `${REGION}:activity:one`;
        const a2 = `${REGION}:activity:two`;
        const a3 = `${REGION}:activity:three`;

        assert.equal(await store.nextQueuedTask(a1), undefined);
        assert.deepEqual(await store.activitiesWithQueuedTasks(), []);

        const tasks = [
          taskRecord('t-c', a1, arn, 300),
          taskRecord('t-b', a1, arn, 200),
          taskRecord('t-a', a1, arn, 300),
          taskRecord('t-d', a2, arn, 100),
          { ...taskRecord('t-e', a3, arn, 50, 'started'), workerName: 'busy' },
        ];
        assert.equal(await store.commitTransition({ ...emptyCommit(arn, 1, 2), tasksPut: tasks }), true);

        assert.deepEqual(await store.nextQueuedTask(a1), tasks[1]);
        assert.deepEqual(await store.nextQueuedTask(a2), tasks[3]);
        assert.equal(await store.nextQueuedTask(a3), undefined, 'started tasks are not queued');
        assert.deepEqual(await store.activitiesWithQueuedTasks(), [a1, a2].sort());
        assert.deepEqual(await store.getActivityTask('t-e'), tasks[4]);
        assert.equal(await store.getActivityTask('t-zz'), undefined);

        // Starting t-b (an upsert to 'started') moves the queue on; same-time ties go by token.
        const started = { ...taskRecord('t-b', a1, arn, 200, 'started'), workerName: 'w' };
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 2, 2),
            tasksPut: [started],
            tasksDeleted: ['t-d'],
          }),
          true,
        );
        assert.deepEqual(await store.getActivityTask('t-b'), started);
        assert.deepEqual(await store.nextQueuedTask(a1), tasks[2]);
        assert.equal(await store.nextQueuedTask(a2), undefined);
        assert.deepEqual(await store.activitiesWithQueuedTasks(), [a1]);

        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 3, 2),
            tasksDeleted: ['t-a', 't-c', 't-b', 't-missing'],
          }),
          true,
        );
        assert.equal(await store.nextQueuedTask(a1), undefined);
        assert.deepEqual(await store.activitiesWithQueuedTasks(), []);
        assert.equal(await store.getActivityTask('t-b'), undefined);
      }));

    void it('claims queued tasks: one claimant each, oldest first, until released, re-put or expired', () =>
      withStore(async (store) => {
        const claim = store.claimQueuedTask?.bind(store);
        const release = store.releaseTaskClaim?.bind(store);
        assert.ok(claim !== undefined && release !== undefined, 'every store claims tasks');
        const m = machineRecord('m', 1);
        const execution = executionRecord(m, 'task-claims', 1000);
        await startExecution(store, execution);
        const arn = execution.executionArn;
        const a1 = `${REGION}:activity:one`;
        const a2 = `${REGION}:activity:two`;
        assert.equal(await claim(a1, 1000, 500), undefined);

        const tasks = Array.from({ length: 6 }, (_, i) => taskRecord(`t-${i}`, a1, arn, 100 + i));
        const other = taskRecord('u-0', a2, arn, 50);
        const started = { ...taskRecord('s-0', a1, arn, 10, 'started'), workerName: 'w' };
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 1, 2),
            tasksPut: [...tasks].reverse().concat([other, started]),
          }),
          true,
        );

        // Concurrent claimants: each task goes to exactly one, oldest first; the rest get nothing.
        const answers = await Promise.all(Array.from({ length: 10 }, () => claim(a1, 1000, 500)));
        const tokens = answers.flatMap((task) => (task === undefined ? [] : [task.token]));
        assert.equal(tokens.length, tasks.length);
        assert.deepEqual([...tokens].sort(), tasks.map((t) => t.token).sort());
        assert.deepEqual(
          answers.find((task) => task?.token === 't-0'),
          tasks[0],
          'a claim answers the task as stored',
        );
        assert.equal(await claim(a1, 1499, 500), undefined, 'every task is claimed until 1500');
        // Claims are per task: another activity's queue is untouched; a plain read ignores claims.
        assert.deepEqual(await claim(a2, 1000, 500), other);
        assert.deepEqual(await store.nextQueuedTask(a1), tasks[0]);
        assert.deepEqual((await store.countActivityTasks(a1)).queued, 6);

        // Released: claimable again at once, before the lease's end.
        await release('t-3');
        await release('t-missing');
        assert.deepEqual(await claim(a1, 1001, 500), tasks[3]);
        assert.equal(await claim(a1, 1002, 500), undefined);

        // A lease that has passed (its claimant died) lets the task be claimed again, oldest first.
        assert.deepEqual(await claim(a1, 1500, 100), tasks[0]);
        assert.deepEqual(await claim(a1, 1500, 100), tasks[1]);

        // A task put again (started, or queued anew) is no longer claimed; a deleted one is gone.
        const restarted = { ...taskRecord('t-2', a1, arn, 102, 'started'), workerName: 'w2' };
        const requeued = taskRecord('t-4', a1, arn, 104);
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 2, 2),
            tasksPut: [restarted, requeued],
            tasksDeleted: ['t-5'],
          }),
          true,
        );
        assert.deepEqual(await claim(a1, 1501, 100), tasks[3], 'its lease ended at 1501');
        assert.deepEqual(await claim(a1, 1501, 100), requeued);
        assert.equal(await claim(a1, 1501, 100), undefined, 'started and deleted tasks are not claimed');
        assert.deepEqual(await claim(a1, 1600, 100), tasks[0]);
      }));

    void it('answers due timers earliest first and the next due time', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const execution = executionRecord(m, 'timers', 1000);
        await startExecution(store, execution);
        const arn = execution.executionArn;
        assert.equal(await store.nextTimerDue(), undefined);
        assert.deepEqual(await store.dueTimers(Number.MAX_SAFE_INTEGER, 10), []);

        const timers = [
          timerRecord('t3', arn, 3000),
          timerRecord('t1', arn, 1000),
          timerRecord('t2b', arn, 2000),
          timerRecord('t2a', arn, 2000),
          { ...timerRecord('t4', arn, 4000), kind: 'executionTimeout' as const, threadId: 'root' },
        ];
        assert.equal(await store.commitTransition({ ...emptyCommit(arn, 1, 2), timersPut: timers }), true);

        assert.equal(await store.nextTimerDue(), 1000);
        assert.deepEqual(await store.dueTimers(999, 10), []);
        assert.deepEqual(
          (await store.dueTimers(2000, 10)).map((t) => t.id),
          ['t1', 't2a', 't2b'],
        );
        assert.deepEqual(
          (await store.dueTimers(10_000, 2)).map((t) => t.id),
          ['t1', 't2a'],
        );
        assert.deepEqual(await store.dueTimers(4000, 10), [
          timers[1],
          timers[3],
          timers[2],
          timers[0],
          timers[4],
        ]);

        // Re-arming a timer moves it; deleting takes it out of both answers.
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 2, 2),
            timersPut: [timerRecord('t1', arn, 5000)],
            timersDeleted: ['t2a', 't2b', 'unknown'],
          }),
          true,
        );
        assert.equal(await store.nextTimerDue(), 3000);
        assert.deepEqual(
          (await store.dueTimers(10_000, 10)).map((t) => [t.id, t.dueAt]),
          [
            ['t3', 3000],
            ['t4', 4000],
            ['t1', 5000],
          ],
        );
        assert.equal(
          await store.commitTransition({ ...emptyCommit(arn, 3, 2), timersDeleted: ['t1', 't3', 't4'] }),
          true,
        );
        assert.equal(await store.nextTimerDue(), undefined);
      }));

    void it('leases due timers to one claimant until the lease ends, a re-put or a delete', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const execution = executionRecord(m, 'claims', 1000);
        await startExecution(store, execution);
        const arn = execution.executionArn;
        assert.deepEqual(await store.claimDueTimers(Number.MAX_SAFE_INTEGER - 10, 10, 5), []);
        const t1 = timerRecord('t1', arn, 1000);
        const t2 = timerRecord('t2', arn, 2000);
        const t3 = timerRecord('t3', arn, 3000);
        assert.equal(
          await store.commitTransition({ ...emptyCommit(arn, 1, 2), timersPut: [t3, t2, t1] }),
          true,
        );

        // Earliest first, only what is due, at most `limit`.
        assert.deepEqual(await store.claimDueTimers(999, 10, 1000), []);
        assert.deepEqual(await store.claimDueTimers(2500, 1, 1000), [t1]);
        assert.deepEqual(await store.claimDueTimers(2500, 10, 1000), [t2]);
        // Claimed timers are not answered again while leased; a plain read still sees them.
        assert.deepEqual(await store.claimDueTimers(2500, 10, 1000), []);
        assert.deepEqual(await store.dueTimers(2500, 10), [t1, t2]);
        // The next claimable time counts a claimed timer from the end of its lease.
        assert.equal(await store.nextTimerDue(), 3000);
        assert.deepEqual(await store.claimDueTimers(3000, 10, 1000), [t3]);
        assert.equal(await store.nextTimerDue(), 3500);

        // A lease that has passed (its claimant died) lets the timer be claimed again.
        assert.deepEqual(await store.claimDueTimers(3499, 10, 1000), []);
        assert.deepEqual(await store.claimDueTimers(3500, 10, 1000), [t1, t2]);
        assert.equal(await store.nextTimerDue(), 4000);

        // A claim given up early (its firing failed) makes the timer claimable from then on.
        const releaseTimer = store.releaseTimerClaim?.bind(store);
        assert.ok(releaseTimer !== undefined, 'every store releases timer claims');
        await releaseTimer('t2', 3600);
        await releaseTimer('t-missing', 3600);
        assert.equal(await store.nextTimerDue(), 3600);
        assert.deepEqual(await store.claimDueTimers(3599, 10, 1000), []);
        assert.deepEqual(await store.claimDueTimers(3600, 10, 1000), [t2]);
        assert.equal(await store.nextTimerDue(), 4000);

        // Putting a timer again drops its claim; deleting it drops it altogether.
        const moved = { ...t3, dueAt: 3800 };
        assert.equal(
          await store.commitTransition({
            ...emptyCommit(arn, 2, 2),
            timersPut: [moved],
            timersDeleted: ['t1'],
          }),
          true,
        );
        assert.equal(await store.nextTimerDue(), 3800);
        assert.deepEqual(await store.claimDueTimers(3900, 10, 1000), [moved]);
        assert.deepEqual(
          (await store.dueTimers(10_000, 10)).map((t) => t.id),
          ['t2', 't3'],
        );
        assert.equal(
          await store.commitTransition({ ...emptyCommit(arn, 3, 2), timersDeleted: ['t2', 't3'] }),
          true,
        );
        assert.equal(await store.nextTimerDue(), undefined);
        assert.deepEqual(await store.claimDueTimers(Number.MAX_SAFE_INTEGER - 10, 10, 5), []);
      }));

    void it('stores revisions that no state machine owns, idempotently', () =>
      withStore(async (store) => {
        const childArn = `${REGION}:stateMachine:parent/Map`;
        const revision = revisionRecord(childArn, 'Map-r0', 100);
        assert.equal(await store.getRevision(childArn, 'Map-r0'), undefined);
        await store.putRevision(revision);
        assert.deepEqual(await store.getRevision(childArn, 'Map-r0'), revision);
        // Revisions are immutable: a second write under the same key keeps the first.
        await store.putRevision({ ...revision, definition: '{"changed":true}', createdAt: 999 });
        assert.deepEqual(await store.getRevision(childArn, 'Map-r0'), revision);
        await store.putRevision(revisionRecord(childArn, 'Map-r1', 200));
        assert.equal((await store.getRevision(childArn, 'Map-r1'))?.createdAt, 200);
        // Owned by no state machine record: it is not one.
        assert.equal(await store.getStateMachine(childArn), undefined);
        assert.deepEqual((await store.listStateMachines({ limit: 10 })).items, []);
        revision.definition = 'mutated';
        assert.notEqual((await store.getRevision(childArn, 'Map-r0'))?.definition, 'mutated');
      }));

    void it('creates Map Runs with their items and lists them oldest first', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const parent = executionRecord(m, 'parent', 1000);
        const other = executionRecord(m, 'other', 1000);
        await startExecution(store, parent);
        await startExecution(store, other);

        const run = { ...mapRunRecord(parent, 'Map', 2000), error: null, cause: 'c' };
        const items = ['{"a":1}', '"two"', 'null'];
        await store.createMapRun(run, items);
        assert.deepEqual(await store.getMapRun(run.mapRunArn), run);
        assert.equal(await store.getMapRun(`${run.mapRunArn}-missing`), undefined);
        for (const [i, item] of items.entries()) {
          assert.equal(await store.getMapRunItem(run.mapRunArn, i), item);
        }
        assert.equal(await store.getMapRunItem(run.mapRunArn, 3), undefined);
        assert.equal(await store.getMapRunItem(run.mapRunArn, -1), undefined);
        assert.equal(await store.getMapRunItem(`${run.mapRunArn}-missing`, 0), undefined);
        // Absent optional members stay absent; error `null` stays null.
        const stored = await store.getMapRun(run.mapRunArn);
        assert.equal(stored?.error, null);
        assert.equal(Object.hasOwn(stored ?? {}, 'stopDate'), false);

        // An ARN already used is refused and nothing of the second run is written.
        await assert.rejects(store.createMapRun({ ...run, total: 1 }, ['"replaced"']));
        assert.deepEqual(await store.getMapRun(run.mapRunArn), run);
        assert.equal(await store.getMapRunItem(run.mapRunArn, 0), items[0]);

        // Oldest first, start-date ties by ARN; each execution's own runs only.
        const later = mapRunRecord(parent, 'Later', 3000, 0);
        const earlier = mapRunRecord(parent, 'Early', 1500, 1);
        const tieB = { ...mapRunRecord(parent, 'TieB', 2000), mapRunArn: `${run.mapRunArn}-b` };
        const elsewhere = mapRunRecord(other, 'Map', 100);
        for (const r of [later, earlier, tieB, elsewhere]) await store.createMapRun(r, ['{}']);
        assert.deepEqual(await store.listMapRuns(parent.executionArn), [earlier, run, tieB, later]);
        assert.deepEqual(await store.listMapRuns(other.executionArn), [elsewhere]);
        assert.deepEqual(await store.listMapRuns(`${parent.executionArn}-missing`), []);
        assert.deepEqual(await store.getMapRunItem(later.mapRunArn, 0), '{}');

        assert.deepEqual(await store.runningMapRuns(), [elsewhere, earlier, run, tieB, later]);
      }));

    void it('updates a Map Run only from the expected version', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const parent = executionRecord(m, 'parent', 1000);
        await startExecution(store, parent);
        const run = mapRunRecord(parent, 'Map', 2000);
        const sibling = mapRunRecord(parent, 'Other', 2500);
        await store.createMapRun(run, ['1', '2', '3']);
        await store.createMapRun(sibling, []);

        // The stored version becomes expectedVersion + 1 whatever the record passed says.
        const progressed = { ...run, launched: 3, succeeded: 1, failed: 1, version: 42 };
        assert.equal(await store.updateMapRun(progressed, 0), true);
        assert.deepEqual(await store.getMapRun(run.mapRunArn), { ...progressed, version: 1 });

        const state = async (): Promise<unknown> => ({
          run: await store.getMapRun(run.mapRunArn),
          listed: await store.listMapRuns(parent.executionArn),
          running: await store.runningMapRuns(),
          items: await Promise.all([0, 1, 2].map((i) => store.getMapRunItem(run.mapRunArn, i))),
        });
        const before = await state();
        const closed: MapRunRecord = {
          ...progressed,
          status: 'FAILED',
          stopDate: 9000,
          timedOut: 1,
          error: 'States.ExceedToleratedFailureThreshold',
          cause: null,
        };
        assert.equal(await store.updateMapRun(closed, 0), false, 'stale');
        assert.equal(await store.updateMapRun(closed, 2), false, 'ahead');
        assert.equal(await store.updateMapRun({ ...closed, mapRunArn: `${run.mapRunArn}-x` }, 1), false);
        assert.deepEqual(await state(), before);
        assert.equal(await store.getMapRun(`${run.mapRunArn}-x`), undefined);

        assert.equal(await store.updateMapRun(closed, 1), true);
        const expected = { ...closed, version: 2 };
        assert.deepEqual(await store.getMapRun(run.mapRunArn), expected);
        // A run that leaves RUNNING is no longer resumed after a restart.
        assert.deepEqual(await store.runningMapRuns(), [sibling]);
        assert.deepEqual(await store.listMapRuns(parent.executionArn), [expected, sibling]);

        // The whole record is replaced: members left out are cleared, not kept.
        const { stopDate: _stopDate, error: _error, cause: _cause, ...reopened } = expected;
        assert.equal(await store.updateMapRun({ ...reopened, status: 'RUNNING' }, 2), true);
        const again = await store.getMapRun(run.mapRunArn);
        assert.deepEqual(again, { ...reopened, status: 'RUNNING', version: 3 });
        assert.deepEqual(await store.runningMapRuns(), [again, sibling]);
      }));

    void it('lists the child executions of a Map Run newest first, by status, in keyset pages', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const parent = executionRecord(m, 'parent', 10);
        await startExecution(store, parent);
        const run = mapRunRecord(parent, 'Map', 50, 6);
        const otherRun = mapRunRecord(parent, 'Map', 60, 1);
        await store.createMapRun(run, ['0', '1', '2', '3', '4', '5']);
        await store.createMapRun(otherRun, ['0']);
        // Start order (and dates) differ from item order, with ties on the start date.
        const starts: [number, number][] = [
          [3, 100],
          [0, 300],
          [5, 200],
          [1, 300],
          [4, 50],
          [2, 300],
        ];
        for (const [index, start] of starts) await startExecution(store, childRecord(run, index, start));
        await startExecution(store, childRecord(otherRun, 0, 1000));
        // Not a child: same machine ARN, but no Map Run.
        const loose = { ...executionRecord(m, 'loose', 400), stateMachineArn: run.stateMachineArn };
        await startExecution(store, loose);
        for (const index of [1, 3]) {
          assert.equal(
            await store.commitTransition({
              ...emptyCommit(childRecord(run, index, 0).executionArn, 1, 2),
              execution: { status: 'SUCCEEDED', nextEventId: 2, output: `{"r":${index}}`, stopDate: 500 },
            }),
            true,
          );
        }

        const child = childRecord(run, 5, 200);
        const got = await store.getExecution(child.executionArn);
        assert.deepEqual(got, { ...child, nextEventId: 2, version: 1 });
        assert.equal(got?.mapRunArn, run.mapRunArn);
        assert.equal(got?.mapRunIndex, 5);
        assert.equal(Object.hasOwn((await store.getExecution(loose.executionArn)) ?? {}, 'mapRunArn'), false);
        // A second create answers the existing child with its Map Run fields.
        assert.deepEqual(await store.createExecution(child, firstCommit(child)), {
          created: false,
          existing: got,
        });

        const byTime = ['child-0', 'child-1', 'child-2', 'child-5', 'child-3', 'child-4'];
        const all = await store.listExecutions({ mapRunArn: run.mapRunArn }, { limit: 100 });
        assert.deepEqual(
          all.items.map((e) => e.name),
          byTime,
        );
        assert.equal(all.next, undefined);
        assert.ok(all.items.every((e) => e.mapRunArn === run.mapRunArn));

        const names: string[] = [];
        let page = await store.listExecutions({ mapRunArn: run.mapRunArn }, { limit: 2 });
        assert.deepEqual(page.next, { startDate: 300, arn: childRecord(run, 1, 0).executionArn });
        names.push(...page.items.map((e) => e.name));
        while (page.next !== undefined) {
          page = await store.listExecutions({ mapRunArn: run.mapRunArn }, { limit: 2, after: page.next });
          names.push(...page.items.map((e) => e.name));
        }
        assert.deepEqual(names, byTime);

        const running = await store.listExecutions(
          { mapRunArn: run.mapRunArn, status: 'RUNNING' },
          { limit: 2 },
        );
        assert.deepEqual(
          running.items.map((e) => e.name),
          ['child-0', 'child-2'],
        );
        assert.ok(running.next);
        const rest = await store.listExecutions(
          { mapRunArn: run.mapRunArn, status: 'RUNNING' },
          { limit: 2, after: running.next },
        );
        assert.deepEqual(
          rest.items.map((e) => e.name),
          ['child-5', 'child-4'],
        );
        assert.equal(rest.next, undefined);
        const done = await store.listExecutions(
          { mapRunArn: run.mapRunArn, status: 'SUCCEEDED' },
          { limit: 10 },
        );
        assert.deepEqual(
          done.items.map((e) => [e.name, e.output]),
          [
            ['child-1', '{"r":1}'],
            ['child-3', '{"r":3}'],
          ],
        );
        assert.deepEqual(
          await store.listExecutions({ mapRunArn: run.mapRunArn, status: 'ABORTED' }, { limit: 10 }),
          { items: [] },
        );
        assert.deepEqual(
          (await store.listExecutions({ mapRunArn: otherRun.mapRunArn }, { limit: 10 })).items.map(
            (e) => e.executionArn,
          ),
          [childRecord(otherRun, 0, 0).executionArn],
        );
        assert.deepEqual(await store.listExecutions({ mapRunArn: `${run.mapRunArn}-none` }, { limit: 10 }), {
          items: [],
        });

        // By state machine, children are listed with the child machine's other executions.
        const byMachine = await store.listExecutions(
          { stateMachineArn: run.stateMachineArn },
          { limit: 100 },
        );
        assert.equal(byMachine.items.length, 8);
        assert.deepEqual(
          (await store.listExecutions({ stateMachineArn: m.stateMachineArn }, { limit: 100 })).items.map(
            (e) => e.name,
          ),
          ['parent'],
        );

        // Exactly one of the two parents must be named.
        await assert.rejects(
          store.listExecutions(
            { stateMachineArn: m.stateMachineArn, mapRunArn: run.mapRunArn },
            { limit: 1 },
          ),
          RangeError,
        );
        await assert.rejects(store.listExecutions({ status: 'RUNNING' }, { limit: 1 }), RangeError);

        // In item order, with what a result needs.
        const children = await store.mapRunChildren(run.mapRunArn);
        assert.deepEqual(
          children.map((e) => e.mapRunIndex),
          [0, 1, 2, 3, 4, 5],
        );
        assert.deepEqual(children[1], await store.getExecution(childRecord(run, 1, 0).executionArn));
        assert.equal(children[3]?.status, 'SUCCEEDED');
        assert.equal(children[3]?.output, '{"r":3}');
        assert.deepEqual(
          (await store.mapRunChildren(otherRun.mapRunArn)).map((e) => e.name),
          ['child-0'],
        );
        assert.deepEqual(await store.mapRunChildren(`${run.mapRunArn}-none`), []);
      }));

    void it('does not let callers change stored Map Runs through references', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        const parent = executionRecord(m, 'parent', 1000);
        await startExecution(store, parent);
        const run = mapRunRecord(parent, 'Map', 2000);
        const items = ['1', '2'];
        await store.createMapRun(run, items);
        run.total = 99;
        items[0] = 'mutated';
        assert.equal((await store.getMapRun(run.mapRunArn))?.total, 3);
        assert.equal(await store.getMapRunItem(run.mapRunArn, 0), '1');
        const [listed] = await store.listMapRuns(parent.executionArn);
        assert.ok(listed);
        listed.status = 'ABORTED';
        const [running] = await store.runningMapRuns();
        assert.ok(running);
        running.launched = 7;
        const updated = { ...mapRunRecord(parent, 'Map', 2000), launched: 1 };
        assert.equal(await store.updateMapRun(updated, 0), true);
        updated.launched = 50;
        const stored = await store.getMapRun(run.mapRunArn);
        assert.equal(stored?.status, 'RUNNING');
        assert.equal(stored?.launched, 1);

        const child = childRecord(stored ?? run, 0, 3000);
        await startExecution(store, child);
        const [loaded] = await store.mapRunChildren(run.mapRunArn);
        assert.ok(loaded);
        loaded.mapRunIndex = 5;
        assert.equal((await store.mapRunChildren(run.mapRunArn))[0]?.mapRunIndex, 0);
      }));

    void it('does not let callers change stored records through references', () =>
      withStore(async (store) => {
        const m = machineRecord('m', 1);
        await store.createStateMachine(m);
        m.current.definition = 'mutated';
        const got = await store.getStateMachine(m.stateMachineArn);
        assert.ok(got);
        assert.notEqual(got.current.definition, 'mutated');
        got.name = 'changed';
        assert.equal((await store.getStateMachine(m.stateMachineArn))?.name, 'm');

        const execution = executionRecord(m, 'e', 10);
        const first = firstCommit(execution);
        await store.createExecution(execution, first);
        const thread = first.threadsPut[0];
        assert.ok(thread);
        thread.retryCounts.push(42);
        execution.status = 'ABORTED';
        const loaded = await store.loadThreads(execution.executionArn);
        assert.deepEqual(loaded[0]?.retryCounts, [0, 1]);
        loaded[0]?.retryCounts.push(7);
        assert.deepEqual((await store.loadThreads(execution.executionArn))[0]?.retryCounts, [0, 1]);
        assert.equal((await store.getExecution(execution.executionArn))?.status, 'RUNNING');

        const events = [event(2, 'E')];
        await store.commitTransition({ ...emptyCommit(execution.executionArn, 1, 3), events });
        const e = events[0];
        assert.ok(e?.details);
        e.details.name = 'mutated';
        const history = await store.getHistory({
          executionArn: execution.executionArn,
          reverse: true,
          limit: 1,
        });
        assert.equal(history[0]?.details?.name, 's2');
      }));

    void it('publishes versions: numbered from 1, idempotent per revision, never reused, within a quota', () =>
      withStore(async (store) => {
        const m = machineRecord('versioned', 1000);
        const arn = m.stateMachineArn;
        assert.deepEqual(await store.createStateMachine(m, [], { description: 'first' }), { created: true });
        const v1: StateMachineVersionRecord = {
          stateMachineArn: arn,
          version: 1,
          revisionKey: m.current.revisionKey,
          description: 'first',
          creationDate: 1000,
        };
        assert.deepEqual(await store.getStateMachineVersion(arn, 1), v1);
        assert.equal(await store.getStateMachineVersion(arn, 2), undefined);
        // A second create of the same machine publishes nothing.
        await store.createStateMachine(m, [], { description: 'again' });
        assert.deepEqual((await store.listStateMachineVersions(arn, { limit: 10 })).items, [v1]);

        // The current revision has a version already: it is answered, nothing is added.
        const again = await store.publishStateMachineVersion(arn, {
          revisionKey: m.current.revisionKey,
          description: 'other',
          creationDate: 1500,
          maxVersions: 2,
        });
        assert.deepEqual(again, { kind: 'existing', version: v1 });
        assert.deepEqual(
          await store.publishStateMachineVersion(arn, {
            revisionKey: 'stale',
            creationDate: 1,
            maxVersions: 2,
          }),
          { kind: 'revisionChanged' },
        );
        assert.deepEqual(
          await store.publishStateMachineVersion(`${arn}-ghost`, {
            revisionKey: 'x',
            creationDate: 1,
            maxVersions: 2,
          }),
          { kind: 'noStateMachine' },
        );

        // An update and its version in one write.
        const r1 = revisionRecord(arn, 'versioned-r1', 2000);
        const published = await store.publishStateMachineVersion(arn, {
          revisionKey: r1.revisionKey,
          update: { revision: r1, updateDate: 2000, revisionId: 'rev-1' },
          revisionId: 'rev-1',
          description: 'second',
          creationDate: 2000,
          maxVersions: 2,
        });
        const v2: StateMachineVersionRecord = {
          stateMachineArn: arn,
          version: 2,
          revisionKey: r1.revisionKey,
          revisionId: 'rev-1',
          description: 'second',
          creationDate: 2000,
        };
        assert.deepEqual(published, { kind: 'published', version: v2 });
        assert.deepEqual(await store.getStateMachine(arn), {
          ...m,
          updateDate: 2000,
          revisionId: 'rev-1',
          current: r1,
        });
        assert.deepEqual(await store.getRevision(arn, r1.revisionKey), r1);

        // Newest first, in keyset pages.
        const first = await store.listStateMachineVersions(arn, { limit: 1 });
        assert.deepEqual(first, { items: [v2], next: 2 });
        assert.deepEqual(await store.listStateMachineVersions(arn, { limit: 1, after: 2 }), { items: [v1] });
        assert.deepEqual(await store.listStateMachineVersions(`${arn}-ghost`, { limit: 5 }), { items: [] });

        // The quota counts the versions there are; a refused publish changes nothing.
        const r2 = revisionRecord(arn, 'versioned-r2', 3000);
        const refused = await store.publishStateMachineVersion(arn, {
          revisionKey: r2.revisionKey,
          update: { revision: r2, updateDate: 3000, revisionId: 'rev-2' },
          revisionId: 'rev-2',
          creationDate: 3000,
          maxVersions: 2,
        });
        assert.deepEqual(refused, { kind: 'quotaExceeded' });
        assert.equal((await store.getStateMachine(arn))?.current.revisionKey, r1.revisionKey);
        assert.equal(await store.getRevision(arn, r2.revisionKey), undefined);

        // A deleted version's number is not used again; deleting it twice is no error.
        assert.deepEqual(await store.deleteStateMachineVersion(arn, 2), { deleted: true });
        assert.deepEqual(await store.deleteStateMachineVersion(arn, 2), { deleted: true });
        assert.equal(await store.getStateMachineVersion(arn, 2), undefined);
        const republished = await store.publishStateMachineVersion(arn, {
          revisionKey: r1.revisionKey,
          revisionId: 'rev-1',
          creationDate: 4000,
          maxVersions: 2,
        });
        assert.deepEqual(republished, {
          kind: 'published',
          version: {
            stateMachineArn: arn,
            version: 3,
            revisionKey: r1.revisionKey,
            revisionId: 'rev-1',
            creationDate: 4000,
          },
        });
        assert.deepEqual(
          (await store.listStateMachineVersions(arn, { limit: 10 })).items.map((v) => v.version),
          [3, 1],
        );

        // Deleting the machine deletes its versions; a machine of that name starts from 1 again.
        await store.deleteStateMachine(arn);
        assert.equal(await store.getStateMachineVersion(arn, 1), undefined);
        assert.deepEqual(await store.listStateMachineVersions(arn, { limit: 10 }), { items: [] });
        const reborn = machineRecord('versioned', 5000);
        await store.createStateMachine(reborn, [], {});
        assert.deepEqual((await store.listStateMachineVersions(arn, { limit: 10 })).items, [
          { stateMachineArn: arn, version: 1, revisionKey: reborn.current.revisionKey, creationDate: 5000 },
        ]);
      }));

    void it('keeps aliases: created once per name, routed to existing versions, which they keep', () =>
      withStore(async (store) => {
        const m = machineRecord('aliased', 1000);
        const arn = m.stateMachineArn;
        await store.createStateMachine(m, [], {});
        const r1 = revisionRecord(arn, 'aliased-r1', 2000);
        await store.publishStateMachineVersion(arn, {
          revisionKey: r1.revisionKey,
          update: { revision: r1, updateDate: 2000, revisionId: 'rev-1' },
          creationDate: 2000,
          maxVersions: 10,
        });
        const prod: StateMachineAliasRecord = {
          stateMachineArn: arn,
          name: 'PROD',
          description: 'production',
          routing: [
            { version: 1, weight: 70 },
            { version: 2, weight: 30 },
          ],
          creationDate: 3000,
          updateDate: 3000,
        };
        assert.deepEqual(await store.createStateMachineAlias(prod, 2), { kind: 'created' });
        assert.deepEqual(await store.getStateMachineAlias(arn, 'PROD'), prod);
        assert.equal(await store.getStateMachineAlias(arn, 'NOPE'), undefined);
        // The name is taken: the stored alias is answered, whatever the new one says.
        assert.deepEqual(
          await store.createStateMachineAlias({ ...prod, description: 'x', creationDate: 9 }, 2),
          { kind: 'exists', existing: prod },
        );
        assert.deepEqual(
          await store.createStateMachineAlias(
            { ...prod, name: 'BAD', routing: [{ version: 7, weight: 100 }] },
            2,
          ),
          { kind: 'missingVersion', version: 7 },
        );
        assert.deepEqual(
          await store.createStateMachineAlias({ ...prod, stateMachineArn: `${arn}-ghost` }, 2),
          { kind: 'noStateMachine' },
        );
        const beta: StateMachineAliasRecord = {
          stateMachineArn: arn,
          name: 'BETA',
          routing: [{ version: 2, weight: 100 }],
          creationDate: 2500,
          updateDate: 2500,
        };
        assert.deepEqual(await store.createStateMachineAlias(beta, 2), { kind: 'created' });
        assert.deepEqual(await store.createStateMachineAlias({ ...beta, name: 'THIRD' }, 2), {
          kind: 'quotaExceeded',
        });
        assert.deepEqual(await store.listStateMachineAliases(arn), [beta, prod]);
        assert.deepEqual(await store.listStateMachineAliases(`${arn}-ghost`), []);

        // A version an alias routes to stays; the aliases are named, in name order.
        assert.deepEqual(await store.deleteStateMachineVersion(arn, 2), {
          deleted: false,
          aliases: ['BETA', 'PROD'],
        });
        assert.ok(await store.getStateMachineVersion(arn, 2));

        const updated = await store.updateStateMachineAlias(arn, 'PROD', {
          routing: [{ version: 1, weight: 100 }],
          updateDate: 4000,
        });
        const prod2 = { ...prod, routing: [{ version: 1, weight: 100 }], updateDate: 4000 };
        assert.deepEqual(updated, { kind: 'updated', alias: prod2 });
        assert.deepEqual(await store.getStateMachineAlias(arn, 'PROD'), prod2);
        assert.deepEqual(
          await store.updateStateMachineAlias(arn, 'BETA', { description: 'beta', updateDate: 4500 }),
          { kind: 'updated', alias: { ...beta, description: 'beta', updateDate: 4500 } },
        );
        assert.deepEqual(
          await store.updateStateMachineAlias(arn, 'BETA', {
            routing: [{ version: 5, weight: 100 }],
            updateDate: 1,
          }),
          { kind: 'missingVersion', version: 5 },
        );
        assert.deepEqual(await store.updateStateMachineAlias(arn, 'NOPE', { updateDate: 1 }), {
          kind: 'missing',
        });
        assert.deepEqual(await store.deleteStateMachineVersion(arn, 2), {
          deleted: false,
          aliases: ['BETA'],
        });

        await store.deleteStateMachineAlias(arn, 'BETA');
        await store.deleteStateMachineAlias(arn, 'BETA');
        assert.deepEqual(await store.deleteStateMachineVersion(arn, 2), { deleted: true });
        assert.deepEqual(
          (await store.listStateMachineAliases(arn)).map((a) => a.name),
          ['PROD'],
        );

        await store.deleteStateMachine(arn);
        assert.deepEqual(await store.listStateMachineAliases(arn), []);
        assert.equal(await store.getStateMachineAlias(arn, 'PROD'), undefined);
      }));

    void it('lists the executions started through a version or an alias, newest first', () =>
      withStore(async (store) => {
        const m = machineRecord('qualified', 1);
        await store.createStateMachine(m, [], {});
        const v1 = `${m.stateMachineArn}:1`;
        const v2 = `${m.stateMachineArn}:2`;
        const prod = `${m.stateMachineArn}:PROD`;
        const through = (
          name: string,
          startDate: number,
          version?: string,
          alias?: string,
        ): ExecutionRecord => {
          const e = executionRecord(m, name, startDate);
          if (version !== undefined) e.stateMachineVersionArn = version;
          if (alias !== undefined) e.stateMachineAliasArn = alias;
          return e;
        };
        const all = [
          through('plain', 10),
          through('v1', 20, v1),
          through('prod-v1', 30, v1, prod),
          through('v2', 40, v2),
          through('prod-v2', 50, v2, prod),
        ];
        for (const e of all) await startExecution(store, e);
        const names = async (filter: Parameters<Store['listExecutions']>[0], limit = 10): Promise<string[]> =>
          (await store.listExecutions(filter, { limit })).items.map((e) => e.name);

        assert.deepEqual(await names({ stateMachineArn: m.stateMachineArn }), [
          'prod-v2',
          'v2',
          'prod-v1',
          'v1',
          'plain',
        ]);
        assert.deepEqual(await names({ stateMachineVersionArn: v1 }), ['prod-v1', 'v1']);
        assert.deepEqual(await names({ stateMachineAliasArn: prod }), ['prod-v2', 'prod-v1']);
        assert.deepEqual(await names({ stateMachineVersionArn: `${m.stateMachineArn}:3` }), []);

        // Records keep both ARNs; keyset pages and the status filter work as for a machine.
        const stored = await store.getExecution(all[2]?.executionArn ?? '');
        assert.equal(stored?.stateMachineVersionArn, v1);
        assert.equal(stored?.stateMachineAliasArn, prod);
        assert.equal(
          Object.hasOwn(
            (await store.getExecution(all[0]?.executionArn ?? '')) ?? {},
            'stateMachineVersionArn',
          ),
          false,
        );
        const page1 = await store.listExecutions({ stateMachineAliasArn: prod }, { limit: 1 });
        assert.deepEqual(
          page1.items.map((e) => e.name),
          ['prod-v2'],
        );
        assert.ok(page1.next);
        const page2 = await store.listExecutions(
          { stateMachineAliasArn: prod },
          { limit: 1, after: page1.next },
        );
        assert.deepEqual(
          page2.items.map((e) => e.name),
          ['prod-v1'],
        );
        assert.equal(page2.next, undefined);
        const done = all[1];
        assert.ok(done);
        await store.commitTransition({
          ...emptyCommit(done.executionArn, 1, 3),
          execution: { status: 'SUCCEEDED', nextEventId: 3, output: '{}', stopDate: 25 },
        });
        assert.deepEqual(await names({ stateMachineVersionArn: v1, status: 'SUCCEEDED' }), ['v1']);
        assert.deepEqual(await names({ stateMachineVersionArn: v1, status: 'RUNNING' }), ['prod-v1']);
      }));
  });
}

storeContract('memory', () =>
  Promise.resolve({ store: new MemoryStore(), cleanup: () => Promise.resolve() }),
);

storeContract(
  'postgres',
  async () => {
    const schema = testSchema();
    const store = await PostgresStore.open(schema.url);
    return {
      store,
      cleanup: async () => {
        await store.close();
        await schema.drop();
      },
    };
  },
  await postgresSkip(),
);

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'stepwise-store-'));
}

storeContract('sqlite', () => {
  const dir = tempDir();
  // A nested path: open() must create the parent directory itself.
  const store = SqliteStore.open(path.join(dir, 'data', 'stepwise.db'));
  return Promise.resolve({
    store,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
});

void describe('sqlite store durability', () => {
  void it('keeps its data across close and reopen', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'stepwise.db');
      const store = SqliteStore.open(file);
      const m = machineRecord('durable', 1);
      await store.createStateMachine(m);
      await store.createActivity(activityRecord('act', 2));
      const execution = executionRecord(m, 'e', 10);
      await startExecution(store, execution);
      await store.commitTransition({
        ...emptyCommit(execution.executionArn, 1, 3),
        events: [event(2, 'E2')],
        tasksPut: [taskRecord('tok', `${REGION}:activity:act`, execution.executionArn, 20)],
        timersPut: [timerRecord('tm', execution.executionArn, 30)],
      });
      await store.close();
      await store.close();
      // After a clean close the WAL is folded back into the main file.
      assert.equal(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0, 0);

      const reopened = SqliteStore.open(file);
      try {
        assert.deepEqual(await reopened.getStateMachine(m.stateMachineArn), m);
        assert.equal((await reopened.getActivity(`${REGION}:activity:act`))?.name, 'act');
        assert.equal((await reopened.getExecution(execution.executionArn))?.version, 2);
        assert.equal(
          (await reopened.getHistory({ executionArn: execution.executionArn, reverse: false, limit: 10 }))
            .length,
          2,
        );
        assert.equal((await reopened.nextQueuedTask(`${REGION}:activity:act`))?.token, 'tok');
        assert.equal(await reopened.nextTimerDue(), 30);
      } finally {
        await reopened.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('upgrades a database written by the first migration in place', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'stepwise.db');
      const machineArn = `${REGION}:stateMachine:old`;
      const executionArn = `${REGION}:execution:old:e1`;
      // A data directory as a Stepwise with schema version 1 left it.
      const old = new Database(file);
      old.exec(sqliteMigrations[0] ?? '');
      old.pragma('user_version = 1');
      old
        .prepare('INSERT INTO state_machine_revisions VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(machineArn, 'old-r0', '{"StartAt":"A"}', 'arn:aws:iam::123456789012:role/r', '{}', '{}', 5);
      old
        .prepare('INSERT INTO state_machines VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(machineArn, 'old', 'STANDARD', 'ACTIVE', 5, null, null, 'old-r0');
      old
        .prepare('INSERT INTO executions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(
          executionArn,
          machineArn,
          'e1',
          'SUCCEEDED',
          '{}',
          '"out"',
          null,
          'null',
          10,
          20,
          null,
          'old-r0',
          3,
          2,
          0,
        );
      old
        .prepare('INSERT INTO history_events VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(executionArn, 1, 0, 10, 'ExecutionStarted', null, null);
      old.close();

      const store = SqliteStore.open(file);
      try {
        const expected: ExecutionRecord = {
          executionArn,
          stateMachineArn: machineArn,
          name: 'e1',
          status: 'SUCCEEDED',
          input: '{}',
          output: '"out"',
          cause: null,
          startDate: 10,
          stopDate: 20,
          revisionKey: 'old-r0',
          nextEventId: 3,
          version: 2,
          redriveCount: 0,
        };
        assert.deepEqual(await store.getExecution(executionArn), expected);
        assert.deepEqual((await store.listExecutions({ stateMachineArn: machineArn }, { limit: 10 })).items, [
          expected,
        ]);
        assert.equal((await store.getStateMachine(machineArn))?.current.definition, '{"StartAt":"A"}');
        assert.equal((await store.getHistory({ executionArn, reverse: false, limit: 10 })).length, 1);

        // The new tables and columns work on the upgraded file.
        const parent = { ...executionRecord(machineRecord('old', 5), 'parent', 30), testCase: 'T' };
        await startExecution(store, parent);
        assert.equal((await store.getExecution(parent.executionArn))?.testCase, 'T');
        const run = mapRunRecord(parent, 'Map', 40, 1);
        await store.createMapRun(run, ['{"i":0}']);
        await startExecution(store, childRecord(run, 0, 50));
        assert.equal((await store.mapRunChildren(run.mapRunArn))[0]?.mapRunIndex, 0);
        assert.deepEqual(await store.runningMapRuns(), [run]);
        assert.equal(await store.tagResource(machineArn, [{ key: 'k', value: 'v' }], 50), 'tagged');
        assert.deepEqual(await store.listTags(machineArn), [{ key: 'k', value: 'v' }]);
        // A machine from before versions existed publishes its first one as version 1.
        const published = await store.publishStateMachineVersion(machineArn, {
          revisionKey: 'old-r0',
          creationDate: 60,
          maxVersions: 1000,
        });
        assert.equal(published.kind === 'published' ? published.version.version : 0, 1);
      } finally {
        await store.close();
      }

      const check = new Database(file);
      try {
        assert.equal(check.pragma('user_version', { simple: true }), sqliteMigrations.length);
        assert.equal(sqliteMigrations.length, 11);
        const names = check
          .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'index') ORDER BY name")
          .all()
          .map((row) => (row as { name: string }).name);
        for (const name of [
          'human_activities',
          'executions_by_start',
          'map_runs',
          'map_run_items',
          'executions_by_map_run',
          'executions_by_map_run_status',
          'resource_tags',
          'state_machine_versions',
          'state_machine_aliases',
          'executions_by_version',
          'executions_by_alias',
          'redrive_threads',
          'executions_by_machine_redriven',
        ]) {
          assert.ok(names.includes(name), `${name} exists`);
        }
        assert.ok(!names.includes('executions_by_revision'), 'migration 5 dropped executions_by_revision');
      } finally {
        check.close();
      }

      // Opening the upgraded file again applies nothing twice.
      const reopened = SqliteStore.open(file);
      try {
        assert.equal(await reopened.getMapRunItem(`${REGION}:mapRun:parent/Map:40`, 0), '{"i":0}');
        assert.equal((await reopened.getExecution(executionArn))?.output, '"out"');
      } finally {
        await reopened.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('keeps committed data when the writing process is killed with SIGKILL', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'stepwise.db');
      const storeUrl = pathToFileURL(path.resolve(import.meta.dirname, '../src/store/sqlite.ts')).href;
      // The child commits 200 transitions, says so, then waits to be killed without closing.
      const script = `
        import { SqliteStore } from ${JSON.stringify(storeUrl)};
        const store = SqliteStore.open(${JSON.stringify(file)});
        const arn = 'arn:aws:states:us-east-1:123456789012:execution:m:killed';
        const base = { executionArn: arn, threadsDeleted: [], tasksPut: [], tasksDeleted: [], timersPut: [], timersDeleted: [] };
        await store.createExecution(
          { executionArn: arn, stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:m', name: 'killed',
            status: 'RUNNING', input: '{}', startDate: 1, revisionKey: 'r', nextEventId: 1, version: 0, redriveCount: 0 },
          { ...base, expectedVersion: 0, execution: { status: 'RUNNING', nextEventId: 2 },
            events: [{ id: 1, previousEventId: 0, timestamp: 1, type: 'ExecutionStarted' }], threadsPut: [] },
        );
        for (let v = 1; v <= 200; v++) {
          await store.commitTransition({ ...base, expectedVersion: v, execution: { status: 'RUNNING', nextEventId: v + 2 },
            events: [{ id: v + 1, previousEventId: v, timestamp: v, type: 'Step', details: { v } }],
            threadsPut: [{ id: 'root', parentId: null, stateName: 'S' + v, enteredEventId: v + 1, lastEventId: v + 1,
              enteredTime: v, input: {}, retryCounts: [], wait: null }] });
        }
        process.stdout.write('committed\\n');
        setInterval(() => {}, 1000);
      `;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: path.resolve(import.meta.dirname, '..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => resolve(signal)),
      );
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('committed')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
      });
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      assert.ok(
        fs.existsSync(`${file}-wal`),
        'the commits are still in the WAL, not checkpointed by a close',
      );

      const store = SqliteStore.open(file);
      try {
        const arn = 'arn:aws:states:us-east-1:123456789012:execution:m:killed';
        const execution = await store.getExecution(arn);
        assert.ok(execution);
        assert.equal(execution.version, 201);
        assert.equal(execution.nextEventId, 202);
        const last = await store.getHistory({ executionArn: arn, reverse: true, limit: 1 });
        assert.deepEqual(last, [
          { id: 201, previousEventId: 200, timestamp: 200, type: 'Step', details: { v: 200 } },
        ]);
        assert.equal((await store.loadThreads(arn))[0]?.stateName, 'S200');
      } finally {
        await store.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
