/**
 * GetActivityTask long polls: empty answers after the hold time, immediate hand-over, exactly
 * one poller per task under concurrency, per-activity wake-ups, aborted pollers, workerName,
 * and that a waiting poll costs no CPU. Two in-process servers: one with a short hold (for the
 * empty answers) and one with the default hold (so "at once" cannot be confused with "after the
 * hold").
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import type { ClientRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  ActivityDoesNotExist,
  GetActivityTaskCommand,
  InvalidArn,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { ActivityTaskRecord } from '@stepwise/core';
import { ActivityDispatcher } from '../src/runtime/activity-dispatcher.js';
import type { Store } from '../src/store/types.js';
import { sdkClient, startTestServer } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';
import {
  assertWellFormed,
  createActivity,
  createMachine,
  eventOf,
  history,
  poll,
  sleep,
  start,
  taskMachine,
  types,
  waitForEnd,
} from './helpers/sfn.js';

const HOLD_MS = 1500;

let short: TestServer; // pollHoldMs = HOLD_MS
let long: TestServer; // the default hold (55 s)
let shortClient: SFNClient;
let longClient: SFNClient;

before(async () => {
  short = await startTestServer({ pollHoldMs: HOLD_MS });
  long = await startTestServer();
  shortClient = sdkClient(short.url);
  longClient = sdkClient(long.url);
});

after(async () => {
  shortClient?.destroy();
  longClient?.destroy();
  await Promise.all([short?.stop(), long?.stop()]);
});

/** Resolves once the server holds `count` polls on the activity. */
async function pollersWaiting(server: TestServer, activityArn: string, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (server.runtime.waitingPollers(activityArn) !== count) {
    if (Date.now() > deadline) {
      throw new Error(`expected ${count} pollers, have ${server.runtime.waitingPollers(activityArn)}`);
    }
    await sleep(10);
  }
}

interface RawCall {
  req: ClientRequest;
  response: Promise<{ status: number; body: string }>;
}

/** GetActivityTask over node:http, so the test can see the bytes and cut the connection. */
function rawGetActivityTask(url: string, body: Record<string, unknown>, agent?: Agent): RawCall {
  const payload = JSON.stringify(body);
  const req = request(url, {
    method: 'POST',
    agent: agent ?? false,
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AWSStepFunctions.GetActivityTask',
      'content-length': Buffer.byteLength(payload),
    },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  req.end(payload);
  return { req, response };
}

describe('GetActivityTask long polling', () => {
  test('an empty poll answers {} after the hold time', async () => {
    const activityArn = await createActivity(shortClient);
    const began = Date.now();
    const raw = await rawGetActivityTask(short.url, { activityArn }).response;
    const elapsed = Date.now() - began;
    assert.equal(raw.status, 200);
    assert.deepEqual(JSON.parse(raw.body), {});
    assert.ok(elapsed >= HOLD_MS - 50, `answered after ${elapsed} ms`);

    const out = await shortClient.send(new GetActivityTaskCommand({ activityArn, workerName: 'w' }));
    assert.equal(out.taskToken, undefined);
    assert.equal(out.input, undefined);
  });

  test('a task scheduled while a poller waits is handed over at once', async () => {
    const activityArn = await createActivity(longClient);
    const machineArn = await createMachine(longClient, taskMachine(activityArn));
    const pending = poll(longClient, activityArn, { workerName: 'quick' });
    await pollersWaiting(long, activityArn, 1);
    const began = Date.now();
    const executionArn = await start(longClient, machineArn, { hello: 'world' });
    const task = await pending;
    const elapsed = Date.now() - began;
    assert.ok(task !== undefined);
    assert.equal(task.input, '{"hello":"world"}');
    // The hold is 55 s: anything near that would mean the poller was not woken.
    assert.ok(elapsed < 5000, `handed over after ${elapsed} ms`);
    await longClient.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{"ok":true}' }));
    assert.equal((await waitForEnd(longClient, executionArn)).status, 'SUCCEEDED');
  });

  test('a task queued before the poll arrives is handed over at once', async () => {
    const activityArn = await createActivity(longClient);
    const machineArn = await createMachine(longClient, taskMachine(activityArn));
    const executionArn = await start(longClient, machineArn, { n: 1 });
    const began = Date.now();
    const task = await poll(longClient, activityArn);
    assert.ok(Date.now() - began < 5000);
    assert.ok(task !== undefined);
    await longClient.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{}' }));
    assert.equal((await waitForEnd(longClient, executionArn)).status, 'SUCCEEDED');
  });

  test('20 concurrent pollers, 50 executions: every task goes to exactly one poller', async () => {
    const activityArn = await createActivity(shortClient);
    const machineArn = await createMachine(shortClient, taskMachine(activityArn));
    const executions = 50;
    const seen = new Map<string, string>(); // token -> poller
    const duplicates: string[] = [];
    let answered = 0;

    const worker = async (name: string): Promise<void> => {
      while (answered < executions) {
        const task = await poll(shortClient, activityArn, { workerName: name });
        if (task === undefined) continue;
        if (seen.has(task.taskToken)) duplicates.push(task.taskToken);
        seen.set(task.taskToken, name);
        const input = JSON.parse(task.input) as { i: number };
        await shortClient.send(
          new SendTaskSuccessCommand({
            taskToken: task.taskToken,
            output: JSON.stringify({ i: input.i, by: name }),
          }),
        );
        answered++;
      }
    };
    const workers = Array.from({ length: 20 }, (_, i) => worker(`w${i}`));
    await pollersWaiting(short, activityArn, 20);
    const arns = await Promise.all(
      Array.from({ length: executions }, (_, i) => start(shortClient, machineArn, { i })),
    );
    await Promise.all(workers);

    assert.deepEqual(duplicates, []);
    assert.equal(seen.size, executions);
    for (const [i, arn] of arns.entries()) {
      const out = await waitForEnd(shortClient, arn);
      assert.equal(out.status, 'SUCCEEDED', arn);
      const output = JSON.parse(out.output!) as { i: number; by: string };
      assert.equal(output.i, i);
      const events = await history(shortClient, arn);
      assertWellFormed(events);
      assert.equal(types(events).filter((t) => t === 'ActivityStarted').length, 1);
      assert.deepEqual(eventOf(events, 'ActivityStarted').activityStartedEventDetails, {
        workerName: output.by,
      });
    }
  });

  test("pollers waiting on one activity are not woken by another activity's tasks", async () => {
    const quiet = await createActivity(shortClient, 'quiet');
    const busy = await createActivity(shortClient, 'busy');
    const machineArn = await createMachine(shortClient, taskMachine(busy));
    const began = Date.now();
    const waiting = Array.from({ length: 3 }, () => poll(shortClient, quiet));
    await pollersWaiting(short, quiet, 3);
    const arns = await Promise.all([1, 2, 3].map((i) => start(shortClient, machineArn, { i })));
    const answers = await Promise.all(waiting);
    assert.deepEqual(answers, [undefined, undefined, undefined]);
    assert.ok(Date.now() - began >= HOLD_MS - 50);
    // The other activity's tasks are still queued, untouched.
    for (const arn of arns) {
      assert.deepEqual(types(await history(shortClient, arn)), [
        'ExecutionStarted',
        'TaskStateEntered',
        'ActivityScheduled',
      ]);
    }
    const inputs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const task = await poll(shortClient, busy);
      assert.ok(task !== undefined);
      inputs.push(task.input);
      await shortClient.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{}' }));
    }
    assert.deepEqual(inputs.sort(), ['{"i":1}', '{"i":2}', '{"i":3}']);
  });

  test('a poller whose connection is destroyed does not swallow the task', async () => {
    const activityArn = await createActivity(longClient);
    const machineArn = await createMachine(longClient, taskMachine(activityArn));
    const gone = rawGetActivityTask(long.url, { activityArn, workerName: 'gone' });
    gone.response.catch(() => undefined);
    await pollersWaiting(long, activityArn, 1);
    gone.req.destroy();
    await pollersWaiting(long, activityArn, 0);

    const executionArn = await start(longClient, machineArn, { n: 'raw' });
    await sleep(100);
    const task = await poll(longClient, activityArn, { workerName: 'next' });
    assert.ok(task !== undefined);
    assert.equal(task.input, '{"n":"raw"}');
    await longClient.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{}' }));
    assert.equal((await waitForEnd(longClient, executionArn)).status, 'SUCCEEDED');
    const events = await history(longClient, executionArn);
    assert.equal(types(events).filter((t) => t === 'ActivityStarted').length, 1);
    assert.deepEqual(eventOf(events, 'ActivityStarted').activityStartedEventDetails, { workerName: 'next' });
  });

  test('a poll aborted through the SDK (AbortController) does not swallow the task', async () => {
    const activityArn = await createActivity(longClient);
    const machineArn = await createMachine(longClient, taskMachine(activityArn));
    // A separate client: aborting must not disturb the shared client's connections.
    const client = sdkClient(long.url);
    try {
      const controller = new AbortController();
      const aborted = poll(client, activityArn, { workerName: 'aborted', abortSignal: controller.signal });
      await pollersWaiting(long, activityArn, 1);
      controller.abort();
      await assert.rejects(aborted);
      await pollersWaiting(long, activityArn, 0);

      const executionArn = await start(longClient, machineArn, { n: 'sdk' });
      const task = await poll(longClient, activityArn, { workerName: 'after-abort' });
      assert.ok(task !== undefined);
      assert.equal(task.input, '{"n":"sdk"}');
      await longClient.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{}' }));
      assert.equal((await waitForEnd(longClient, executionArn)).status, 'SUCCEEDED');
      const events = await history(longClient, executionArn);
      assert.deepEqual(eventOf(events, 'ActivityStarted').activityStartedEventDetails, {
        workerName: 'after-abort',
      });
    } finally {
      client.destroy();
    }
  });

  test('a task queued while a poller waits is started in the commit that schedules it', async () => {
    const activityArn = await createActivity(longClient);
    const machineArn = await createMachine(longClient, {
      StartAt: 'First',
      States: {
        First: { Type: 'Task', Resource: activityArn, Next: 'Second' },
        Second: { Type: 'Task', Resource: activityArn, End: true },
      },
    });
    // Counts this execution's commits after its creation (ActivityStarted would be one each).
    const commits: string[] = [];
    const store = long.store;
    const commitTransition = store.commitTransition.bind(store);
    store.commitTransition = async (commit) => {
      commits.push(commit.events.map((event) => event.type).join(','));
      return commitTransition(commit);
    };
    try {
      const firstPoll = poll(longClient, activityArn, { workerName: 'one' });
      await pollersWaiting(long, activityArn, 1);
      const executionArn = await start(longClient, machineArn, { n: 1 });
      const first = await firstPoll;
      assert.ok(first !== undefined);
      assert.equal(first.input, '{"n":1}');
      // StartExecution's commit (ActivityScheduled) and the hand-over (ActivityStarted): one.
      assert.deepEqual(types(await history(longClient, executionArn)), [
        'ExecutionStarted',
        'TaskStateEntered',
        'ActivityScheduled',
        'ActivityStarted',
      ]);
      // Through SendTaskSuccess (deliver): the next task goes to the poller waiting by then.
      const secondPoll = poll(longClient, activityArn, { workerName: 'two' });
      await pollersWaiting(long, activityArn, 1);
      await longClient.send(new SendTaskSuccessCommand({ taskToken: first.taskToken, output: '{"n":2}' }));
      const second = await secondPoll;
      assert.ok(second !== undefined);
      assert.equal(second.input, '{"n":2}');
      await longClient.send(new SendTaskSuccessCommand({ taskToken: second.taskToken, output: '{}' }));
      assert.equal((await waitForEnd(longClient, executionArn)).status, 'SUCCEEDED');

      const events = await history(longClient, executionArn);
      assertWellFormed(events);
      assert.deepEqual(
        events.map((event) => [event.id, event.type, event.previousEventId]),
        [
          [1, 'ExecutionStarted', 0],
          [2, 'TaskStateEntered', 0],
          [3, 'ActivityScheduled', 2],
          [4, 'ActivityStarted', 3],
          [5, 'ActivitySucceeded', 4],
          [6, 'TaskStateExited', 5],
          [7, 'TaskStateEntered', 6],
          [8, 'ActivityScheduled', 7],
          [9, 'ActivityStarted', 8],
          [10, 'ActivitySucceeded', 9],
          [11, 'TaskStateExited', 10],
          [12, 'ExecutionSucceeded', 11],
        ],
      );
      assert.deepEqual(
        events.filter((event) => event.type === 'ActivityStarted').map((e) => e.activityStartedEventDetails),
        [{ workerName: 'one' }, { workerName: 'two' }],
      );
      // No commit of its own for either ActivityStarted.
      assert.deepEqual(commits, [
        'ActivitySucceeded,TaskStateExited,TaskStateEntered,ActivityScheduled,ActivityStarted',
        'ActivitySucceeded,TaskStateExited,ExecutionSucceeded',
      ]);
    } finally {
      store.commitTransition = commitTransition;
    }
  });

  test('workerName shows in ActivityStarted; without one the details are empty', async () => {
    const activityArn = await createActivity(longClient);
    const machineArn = await createMachine(longClient, taskMachine(activityArn));
    const named = await start(longClient, machineArn, { k: 1 });
    const task1 = await poll(longClient, activityArn, { workerName: 'age-check-worker-1' });
    assert.ok(task1 !== undefined);
    await longClient.send(new SendTaskSuccessCommand({ taskToken: task1.taskToken, output: '{}' }));
    const anonymous = await start(longClient, machineArn, { k: 2 });
    const task2 = await poll(longClient, activityArn);
    assert.ok(task2 !== undefined);
    await longClient.send(new SendTaskSuccessCommand({ taskToken: task2.taskToken, output: '{}' }));

    const namedEvents = await history(longClient, named);
    assert.deepEqual(eventOf(namedEvents, 'ActivityStarted').activityStartedEventDetails, {
      workerName: 'age-check-worker-1',
    });
    const anonymousEvents = await history(longClient, anonymous);
    assert.deepEqual(eventOf(anonymousEvents, 'ActivityStarted').activityStartedEventDetails, {});
  });

  test('GetActivityTask on a missing activity: ActivityDoesNotExist; on a malformed ARN: InvalidArn', async () => {
    await assert.rejects(
      longClient.send(
        new GetActivityTaskCommand({
          activityArn: 'arn:aws:states:us-east-1:123456789012:activity:no-such-activity',
        }),
      ),
      ActivityDoesNotExist,
    );
    await assert.rejects(
      longClient.send(new GetActivityTaskCommand({ activityArn: 'not-an-arn' })),
      InvalidArn,
    );
  });

  test('waiting polls cost no CPU loop', async () => {
    const activityArn = await createActivity(longClient);
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    const calls = Array.from({ length: 200 }, () => rawGetActivityTask(long.url, { activityArn }, agent));
    for (const call of calls) call.response.catch(() => undefined);
    try {
      await pollersWaiting(long, activityArn, 200);
      await sleep(200); // let the burst of connections settle
      const before = process.cpuUsage();
      await sleep(2000);
      const used = process.cpuUsage(before);
      const cpuMs = (used.user + used.system) / 1000;
      assert.equal(long.runtime.waitingPollers(activityArn), 200);
      // Idle waiting is a timer per poll; a polling loop would burn a good part of a core.
      assert.ok(cpuMs < 400, `200 waiting polls used ${cpuMs.toFixed(0)} ms of CPU in 2 s`);
    } finally {
      for (const call of calls) call.req.destroy();
      agent.destroy();
    }
    await pollersWaiting(long, activityArn, 0);
  });
});

/**
 * The hand-over is a commit (ActivityStarted) that, on a store with real I/O, takes time. A poll
 * whose hold time ends, or a server that shuts down, during that commit must still receive the
 * task it was given: answering it empty would leave the task started with nobody holding its
 * token. SQLite commits synchronously, so this is checked on the dispatcher with a slow commit.
 */
describe('hand-over during a slow commit', () => {
  const task: ActivityTaskRecord = {
    token: 'token-1',
    activityArn: 'arn:aws:states:us-east-1:123456789012:activity:slow',
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sm:e1',
    threadId: 'root',
    input: '{"slow":true}',
    status: 'queued',
    scheduledAt: 0,
  };

  function dispatcher(holdMs: number, commitMs: number) {
    let queued: ActivityTaskRecord | undefined = task;
    const store = { nextQueuedTask: () => Promise.resolve(queued) } as unknown as Store;
    const commits: string[] = [];
    const d = new ActivityDispatcher(
      store,
      async (t) => {
        await sleep(commitMs);
        queued = undefined;
        commits.push(t.token);
        return true;
      },
      holdMs,
    );
    const request = {
      activityArn: task.activityArn,
      signal: new AbortController().signal,
      isConnected: () => true,
    };
    return { d, commits, request };
  }

  test('a poll whose hold time ends during the commit still receives the task', async () => {
    const { d, commits, request } = dispatcher(30, 150);
    const answer = await d.poll(request);
    assert.deepEqual(commits, ['token-1']);
    assert.deepEqual(answer, { taskToken: 'token-1', input: '{"slow":true}' });
    await d.close();
  });

  test('a shutdown during the commit still answers the poll with the task', async () => {
    const { d, commits, request } = dispatcher(10_000, 150);
    const answer = d.poll(request);
    await sleep(30);
    await d.close();
    assert.deepEqual(commits, ['token-1']);
    assert.deepEqual(await answer, { taskToken: 'token-1', input: '{"slow":true}' });
  });
});

/**
 * Tasks the runtime offers after their commit are handed to several waiting pollers at once, so
 * that their ActivityStarted commits can share one store transaction; each still goes to exactly
 * one poller, and a poller gone before its hand-over leaves the task to the next one.
 */
describe('concurrent hand-overs of offered tasks', () => {
  const activityArn = 'arn:aws:states:us-east-1:123456789012:activity:many';
  const taskFor = (token: string): ActivityTaskRecord => ({
    token,
    activityArn,
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:sm:${token}`,
    threadId: 'root',
    input: JSON.stringify({ token }),
    status: 'queued',
    scheduledAt: 0,
  });
  const emptyStore = { nextQueuedTask: () => Promise.resolve(undefined) } as unknown as Store;

  test('several hand-overs commit at once, one task per poller, oldest poller first', async () => {
    let inFlight = 0;
    let most = 0;
    const started = new Set<string>();
    const d = new ActivityDispatcher(
      emptyStore,
      async (t) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await sleep(30);
        inFlight--;
        // A second start of the same task loses, as ActivityStarted's version check makes it.
        if (started.has(t.token)) return false;
        started.add(t.token);
        return true;
      },
      10_000,
    );
    const request = (connected: () => boolean) => ({
      activityArn,
      signal: new AbortController().signal,
      isConnected: connected,
    });
    const polls = [0, 1, 2, 3].map(() => d.poll(request(() => true)));
    await sleep(10);
    for (const token of ['t0', 't1', 't2']) d.offer(taskFor(token));
    const answers = await Promise.all(polls.slice(0, 3));
    assert.deepEqual(
      answers.map((a) => a?.taskToken),
      ['t0', 't1', 't2'],
    );
    assert.equal(most, 3);

    // The oldest waiting poll has gone: the next task goes to the poll behind it.
    let connected = true;
    const gone = d.poll(request(() => connected));
    const next = d.poll(request(() => true));
    connected = false;
    d.offer(taskFor('t3'));
    d.offer(taskFor('t4'));
    assert.equal((await polls[3])?.taskToken, 't3');
    assert.equal(await gone, undefined);
    assert.equal((await next)?.taskToken, 't4');
    await d.close();
  });
});
