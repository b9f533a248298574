/**
 * The worker SDK against a real Stepwise server (through the test kit), plus the pure parts:
 * the error mapping and the retry classification. Timing checks are lower bounds or generous.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GetActivityTaskCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import {
  SHUTDOWN_ERROR,
  TaskFailure,
  backoffDelay,
  createWorker,
  failureFromThrown,
  isTaskGone,
  isTransient,
} from '../src/index.js';
import type { WorkerEvents } from '../src/index.js';
import { startTestServer } from '../src/testing.js';
import type { StepwiseTestServer } from '../src/testing.js';

let kit: StepwiseTestServer;

before(async () => {
  kit = await startTestServer({ pollHoldMs: 1000 });
});
after(async () => {
  await kit?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = { stopOnSignals: [], logger: {} } as const;

function taskMachine(activityArn: string, task: Record<string, unknown> = {}) {
  return {
    StartAt: 'Work',
    States: { Work: { Type: 'Task', Resource: activityArn, End: true, ...task } },
  };
}

async function setup(task: Record<string, unknown> = {}) {
  const activityArn = await kit.createActivity(`act-${randomUUID().slice(0, 8)}`);
  const machineArn = await kit.createStateMachine(
    `sm-${randomUUID().slice(0, 8)}`,
    taskMachine(activityArn, task),
  );
  return { activityArn, machineArn };
}

async function events(executionArn: string) {
  const out = await kit.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return out.events ?? [];
}

describe('worker against a server', () => {
  test('runs tasks really concurrently, up to the concurrency', async () => {
    const { activityArn, machineArn } = await setup();
    let running = 0;
    let peak = 0;
    const worker = createWorker<{ n: number }, { doubled: number }>({
      ...quiet,
      activityArn,
      client: kit.client,
      concurrency: 4,
      handler: async ({ n }) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(300);
        running--;
        return { doubled: n * 2 };
      },
    });
    const run = worker.run();
    const began = Date.now();
    const arns = await Promise.all(
      Array.from({ length: 8 }, (_, n) => kit.startExecution(machineArn, { n })),
    );
    const results = await Promise.all(arns.map((arn) => kit.waitForExecution(arn)));
    const elapsed = Date.now() - began;
    await worker.stop();
    await run;
    assert.deepEqual(
      results.map((r): unknown[] => [r.status, JSON.parse(r.output ?? 'null')]),
      Array.from({ length: 8 }, (_, n) => ['SUCCEEDED', { doubled: n * 2 }]),
    );
    assert.equal(peak, 4);
    // 8 tasks of 300 ms on 4 lanes: two rounds, far below the 2.4 s a single lane needs.
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  });

  test('automatic heartbeats keep a HeartbeatSeconds: 2 task alive through a 5 s handler', async () => {
    const alive = await setup({ HeartbeatSeconds: 2 });
    const silent = await setup({ HeartbeatSeconds: 2 });
    const handler = async (_input: unknown, context: { signal: AbortSignal }) => {
      await sleep(5000);
      return { aborted: context.signal.aborted };
    };
    const beating = createWorker({
      ...quiet,
      activityArn: alive.activityArn,
      client: kit.client,
      heartbeatSeconds: 0.5,
      handler,
    });
    const mute = createWorker({
      ...quiet,
      activityArn: silent.activityArn,
      client: kit.client,
      heartbeatSeconds: 0,
      handler,
    });
    const dropped: WorkerEvents['answerFailed'][] = [];
    mute.on('answerFailed', (e) => dropped.push(e));
    const runs = [beating.run(), mute.run()];
    const [okArn, lateArn] = await Promise.all([
      kit.startExecution(alive.machineArn, {}),
      kit.startExecution(silent.machineArn, {}),
    ]);
    const ok = await kit.waitForExecution(okArn, 20_000);
    assert.equal(ok.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(ok.output ?? 'null'), { aborted: false });
    // The control: without heartbeats the same task times out after 2 s.
    const late = await kit.waitForExecution(lateArn, 20_000);
    assert.equal(late.status, 'FAILED');
    assert.equal(late.error, 'States.Timeout');
    await Promise.all([beating.stop(), mute.stop()]);
    await Promise.all(runs);
    // The silent worker's answer arrived after the timeout: refused, reported, not retried.
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0]?.taskGone, true);
  });

  test('stop() with tasks in flight loses none and takes no new task', async () => {
    const { activityArn, machineArn } = await setup();
    const received: string[] = [];
    const worker = createWorker({
      ...quiet,
      activityArn,
      client: kit.client,
      concurrency: 3,
      handler: async (input: { n: number }) => {
        await sleep(600);
        return input;
      },
    });
    worker.on('taskReceived', (e) => received.push(e.taskToken));
    const run = worker.run();
    const arns = await Promise.all([0, 1, 2].map((n) => kit.startExecution(machineArn, { n })));
    while (received.length < 3) await sleep(10);
    assert.equal(worker.inFlight, 3);
    const stopped = worker.stop();
    const later = await kit.startExecution(machineArn, { n: 3 });
    await stopped;
    await run;
    assert.equal(worker.inFlight, 0);
    for (const arn of arns) assert.equal((await kit.waitForExecution(arn)).status, 'SUCCEEDED');
    assert.equal(received.length, 3);
    // The execution started after stop() was not taken: its task is still there for another worker.
    const task = await kit.client.send(new GetActivityTaskCommand({ activityArn, workerName: 'next' }));
    assert.deepEqual(JSON.parse(task.input ?? 'null'), { n: 3 });
    assert.ok(task.taskToken);
    assert.ok(later);
  });

  test('a thrown error becomes SendTaskFailure (error = name, cause = message)', async () => {
    const { activityArn, machineArn } = await setup();
    class AgeCheckFailed extends Error {}
    const worker = createWorker({
      ...quiet,
      activityArn,
      client: kit.client,
      concurrency: 3,
      handler: (input: { kind: string }) => {
        if (input.kind === 'range') throw new RangeError('too young');
        if (input.kind === 'class') throw new AgeCheckFailed('under 18');
        throw TaskFailure.create('age check failed', 'child under 18 is not allowed!');
      },
    });
    const failed: WorkerEvents['taskFailed'][] = [];
    worker.on('taskFailed', (e) => failed.push(e));
    const run = worker.run();
    const kinds = ['range', 'class', 'explicit'];
    const arns = await Promise.all(kinds.map((kind) => kit.startExecution(machineArn, { kind })));
    const outcomes = await Promise.all(arns.map((arn) => kit.waitForExecution(arn)));
    await worker.stop();
    await run;
    assert.deepEqual(
      outcomes.map((o) => [o.status, o.error, o.cause]),
      [
        ['FAILED', 'RangeError', 'too young'],
        ['FAILED', 'AgeCheckFailed', 'under 18'],
        ['FAILED', 'age check failed', 'child under 18 is not allowed!'],
      ],
    );
    const history = await events(arns[2] ?? '');
    const activityFailed = history.find((e) => e.type === 'ActivityFailed');
    assert.deepEqual(activityFailed?.activityFailedEventDetails, {
      error: 'age check failed',
      cause: 'child under 18 is not allowed!',
    });
    assert.equal(failed.length, 3);
  });

  test('the shutdown deadline answers a stuck task with a failure instead of dropping it', async () => {
    const { activityArn, machineArn } = await setup();
    let sawAbort = false;
    const worker = createWorker({
      ...quiet,
      activityArn,
      client: kit.client,
      handler: (_input, context) =>
        new Promise(() => context.signal.addEventListener('abort', () => (sawAbort = true))),
    });
    const run = worker.run();
    const arn = await kit.startExecution(machineArn, {});
    while (worker.inFlight === 0) await sleep(10);
    await worker.stop({ deadlineMs: 200 });
    await run;
    const out = await kit.waitForExecution(arn);
    assert.equal(out.status, 'FAILED');
    assert.equal(out.error, SHUTDOWN_ERROR);
    assert.ok(sawAbort);
  });

  test('run() rejects when the activity does not exist', async () => {
    const worker = createWorker({
      ...quiet,
      activityArn: 'arn:aws:states:us-east-1:123456789012:activity:nope',
      client: kit.client,
      handler: () => null,
    });
    await assert.rejects(worker.run(), (error: Error) => error.name === 'ActivityDoesNotExist');
  });

  test('an abort signal stops the worker', async () => {
    const { activityArn } = await setup();
    const controller = new AbortController();
    const worker = createWorker({
      ...quiet,
      activityArn,
      client: kit.client,
      signal: controller.signal,
      handler: () => 1,
    });
    const run = worker.run();
    await sleep(50);
    controller.abort();
    await run; // the open poll comes back empty within the kit's 1 s hold
    assert.equal(worker.running, false);
  });
});

describe('transient errors (scripted client)', () => {
  /** A client whose answers are scripted per command name; everything else polls empty. */
  function scripted(script: Record<string, unknown[]>) {
    const calls: string[] = [];
    const client = {
      send: async (command: { constructor: { name: string } }) => {
        const name = command.constructor.name.replace(/Command$/, '');
        calls.push(name);
        const next = script[name]?.shift();
        if (next instanceof Error) throw next;
        if (name === 'GetActivityTask') {
          await sleep(5);
          return next ?? {};
        }
        return next ?? {};
      },
      destroy: () => undefined,
    };
    return { client: client as unknown as SFNClient, calls };
  }
  const sdkError = (name: string, status: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

  test('retries throttling, 5xx and network errors; never TaskTimedOut', async () => {
    const { client, calls } = scripted({
      GetActivityTask: [
        Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        { taskToken: 't1', input: '{}' },
        { taskToken: 't2', input: '{}' },
      ],
      SendTaskSuccess: [
        sdkError('ThrottlingException', 400),
        sdkError('InternalServerError', 500),
        {},
        sdkError('TaskTimedOut', 400),
      ],
    });
    const worker = createWorker({
      ...quiet,
      activityArn: 'arn',
      client,
      handler: () => ({}),
      retry: { baseMs: 1 },
    });
    const succeeded: string[] = [];
    const dropped: WorkerEvents['answerFailed'][] = [];
    worker.on('taskSucceeded', (e) => succeeded.push(e.taskToken));
    worker.on('answerFailed', (e) => dropped.push(e));
    const run = worker.run();
    while (succeeded.length + dropped.length < 2) await sleep(5);
    await worker.stop();
    await run;
    assert.deepEqual(succeeded, ['t1']);
    assert.deepEqual(
      dropped.map((d) => [d.taskToken, d.taskGone]),
      [['t2', true]],
    );
    assert.deepEqual(
      calls.filter((c) => c !== 'GetActivityTask'),
      ['SendTaskSuccess', 'SendTaskSuccess', 'SendTaskSuccess', 'SendTaskSuccess'],
    );
  });
});

describe('error mapping and classification', () => {
  test('failureFromThrown', () => {
    assert.deepEqual(failureFromThrown(TaskFailure.create('Custom.Error', 'why')), {
      error: 'Custom.Error',
      cause: 'why',
    });
    assert.deepEqual(failureFromThrown(TaskFailure.create('Only.Name')), { error: 'Only.Name', cause: '' });
    assert.deepEqual(failureFromThrown(new TypeError('bad')), { error: 'TypeError', cause: 'bad' });
    assert.deepEqual(failureFromThrown('plain'), { error: 'Error', cause: 'plain' });
    assert.deepEqual(failureFromThrown({ code: 7 }), { error: 'Error', cause: '{"code":7}' });
    const long = failureFromThrown(TaskFailure.create('E'.repeat(300), 'c'.repeat(40_000)));
    assert.equal(long.error.length, 256);
    assert.equal(long.cause.length, 32_768);
  });

  test('isTransient / isTaskGone', () => {
    const e = (name: string, status?: number, extra: object = {}) =>
      Object.assign(new Error(name), {
        name,
        ...(status ? { $metadata: { httpStatusCode: status } } : {}),
        ...extra,
      });
    assert.ok(isTransient(e('ThrottlingException', 400)));
    assert.ok(isTransient(e('InternalServerError', 500)));
    assert.ok(isTransient(e('Whatever', 503)));
    assert.ok(isTransient(e('Error', undefined, { code: 'ECONNRESET' })));
    assert.ok(isTransient(e('TypeError', undefined, { cause: { code: 'UND_ERR_SOCKET' } })));
    assert.ok(!isTransient(e('TaskTimedOut', 400)));
    assert.ok(!isTransient(e('InvalidArn', 400)));
    assert.ok(!isTransient('nope'));
    assert.ok(isTaskGone(e('InvalidToken', 400)));
    for (let attempt = 0; attempt < 40; attempt++) {
      const d = backoffDelay(attempt, 100, 20_000);
      assert.ok(d >= 0 && d <= Math.min(20_000, 100 * 2 ** attempt));
    }
  });
});
