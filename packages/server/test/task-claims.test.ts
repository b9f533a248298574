/**
 * Dispatchers of several nodes on one store: with task claims (claimQueuedTask), each queued
 * task is read by one dispatcher only, so no hand-over is attempted twice; a claim whose poller
 * went away is released at once for the next poll.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ActivityTaskRecord } from '@stepwise/core';
import { ActivityDispatcher } from '../src/runtime/activity-dispatcher.js';
import { MemoryStore } from '../src/store/memory.js';
import type { TransitionCommit } from '../src/store/types.js';

const ACTIVITY = 'arn:aws:states:us-east-1:123456789012:activity:claimed';

function commit(executionArn: string, expectedVersion: number): TransitionCommit {
  return {
    executionArn,
    expectedVersion,
    execution: { status: 'RUNNING', nextEventId: 1 },
    events: [],
    threadsPut: [],
    threadsDeleted: [],
    tasksPut: [],
    tasksDeleted: [],
    timersPut: [],
    timersDeleted: [],
  };
}

/** `count` executions with one queued task each (token t<i>), as another node queued them. */
async function queueTasks(store: MemoryStore, count: number): Promise<ActivityTaskRecord[]> {
  const tasks: ActivityTaskRecord[] = [];
  for (let i = 0; i < count; i++) {
    const executionArn = `arn:aws:states:us-east-1:123456789012:execution:m:e${i}`;
    const task: ActivityTaskRecord = {
      token: `t${i}`,
      activityArn: ACTIVITY,
      executionArn,
      threadId: 'root',
      input: JSON.stringify({ i }),
      status: 'queued',
      scheduledAt: i,
    };
    await store.createExecution(
      {
        executionArn,
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:m',
        name: `e${i}`,
        status: 'RUNNING',
        input: '{}',
        startDate: 0,
        revisionKey: 'r0',
        nextEventId: 1,
        version: 0,
        redriveCount: 0,
      },
      { ...commit(executionArn, 0), tasksPut: [task] },
    );
    tasks.push(task);
  }
  return tasks;
}

/** A node's dispatcher whose hand-over commits ActivityStarted (versioned) on the shared store. */
function node(store: MemoryStore, attempts: string[]): ActivityDispatcher {
  return new ActivityDispatcher(
    store,
    async (task) => {
      attempts.push(task.token);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return store.commitTransition({
        ...commit(task.executionArn, 1),
        tasksPut: [{ ...task, status: 'started' }],
      });
    },
    2000,
  );
}

const connected = { signal: new AbortController().signal, isConnected: () => true };

void describe('activity task claims across dispatchers', () => {
  void test('dispatchers sharing a store never attempt the same hand-over twice', async () => {
    const store = new MemoryStore();
    const tasks = await queueTasks(store, 24);
    const attempts: string[] = [];
    const nodes = [node(store, attempts), node(store, attempts), node(store, attempts)];
    // Every node has 8 polls waiting and is told (as by a notification) that tasks are queued.
    const answers = nodes.flatMap((d) =>
      Array.from({ length: 8 }, () => d.poll({ activityArn: ACTIVITY, ...connected })),
    );
    for (const d of nodes) d.notify(ACTIVITY);
    const handed = await Promise.all(answers);
    const tokens = handed.map((task) => task?.taskToken);
    assert.deepEqual([...tokens].sort(), tasks.map((t) => t.token).sort());
    assert.deepEqual([...attempts].sort(), tasks.map((t) => t.token).sort(), 'one attempt per task');
    await Promise.all(nodes.map((d) => d.close()));
  });

  void test('a claimed task whose poller went away is released for the next poll at once', async () => {
    const store = new MemoryStore();
    await queueTasks(store, 1);
    let up = true;
    const attempts: string[] = [];
    const d = node(store, attempts);
    // The poll is waiting when the claim is read, and gone when the answer comes back.
    const claim = store.claimQueuedTask.bind(store);
    store.claimQueuedTask = async (...args) => {
      const task = await claim(...args);
      up = false;
      return task;
    };
    const gone = d.poll({
      activityArn: ACTIVITY,
      signal: new AbortController().signal,
      isConnected: () => up,
    });
    d.notify(ACTIVITY);
    assert.equal(await gone, undefined);
    assert.deepEqual(attempts, []);
    // Released: claimable right away (without release it would stay claimed for 5 s).
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await claim(ACTIVITY, Date.now(), 1000))?.token, 't0');
    await d.close();
  });
});
