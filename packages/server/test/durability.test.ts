/**
 * Durability: `stepwise serve` as a child process, killed with SIGKILL (and, separately, stopped
 * with SIGTERM), then started again on the same data directory. Everything committed must be
 * there afterwards, queued and started activity tasks must carry on, and timers must fire at
 * their original due times (at once when those passed while the server was down).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  DescribeActivityCommand,
  DescribeStateMachineCommand,
  ListActivitiesCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { sdkClient, spawnServer, tempDir } from './helpers/server.js';
import type { ChildServer } from './helpers/server.js';
import {
  assertWellFormed,
  createActivity,
  createMachine,
  describeExecution,
  eventOf,
  history,
  ms,
  poll,
  pollUntilTask,
  sleep,
  start,
  taskMachine,
  types,
  waitForEnd,
} from './helpers/sfn.js';

/** Child servers and clients still open; `after` cleans up whatever a failed test left. */
const children = new Set<ChildServer>();
const clients = new Set<SFNClient>();
const dirs: { remove(): void }[] = [];

async function serve(dataDir: string): Promise<{ server: ChildServer; client: SFNClient }> {
  const server = await spawnServer(dataDir);
  children.add(server);
  const client = sdkClient(server.url);
  clients.add(client);
  return { server, client };
}

async function shutdown(server: ChildServer, client: SFNClient, signal: NodeJS.Signals): Promise<void> {
  await server.kill(signal);
  children.delete(server);
  client.destroy();
  clients.delete(client);
}

after(async () => {
  for (const client of clients) client.destroy();
  await Promise.all([...children].map((child) => child.kill('SIGKILL')));
  for (const dir of dirs) dir.remove();
});

/** What the API shows of the stored world, to compare before and after a restart. */
async function inventory(client: SFNClient, machines: string[]) {
  const stateMachines =
    (await client.send(new ListStateMachinesCommand({ maxResults: 1000 }))).stateMachines ?? [];
  const activities = (await client.send(new ListActivitiesCommand({ maxResults: 1000 }))).activities ?? [];
  const executions: Record<string, unknown[]> = {};
  for (const machine of machines) {
    const list = await client.send(new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1000 }));
    executions[machine] = (list.executions ?? []).map((e) => [
      e.executionArn,
      e.name,
      e.startDate?.getTime(),
    ]);
  }
  return {
    stateMachines: stateMachines.map((m) => [m.stateMachineArn, m.name, m.creationDate?.getTime()]).sort(),
    activities: activities.map((a) => [a.activityArn, a.name, a.creationDate?.getTime()]).sort(),
    executions,
  };
}

/** The first event of a type, as epoch ms. */
const at = (events: HistoryEvent[], type: string): number => ms(eventOf(events, type));

describe('durability', () => {
  test('kill -9 and restart on the same data dir: state, queued and held tasks, timers', async () => {
    const dir = tempDir('stepwise-durable-');
    dirs.push(dir);
    let { server, client } = await serve(dir.path);

    // --- before the kill ---------------------------------------------------------------------
    const queuedActivity = await createActivity(client, 'queued');
    const heldActivity = await createActivity(client, 'held');
    const timeoutActivity = await createActivity(client, 'timeout');
    const retryActivity = await createActivity(client, 'retry');
    const neverActivity = await createActivity(client, 'never');
    const doneMachine = await createMachine(client, {
      StartAt: 'P',
      States: { P: { Type: 'Pass', Result: { done: 1 }, End: true } },
    });
    const queuedMachine = await createMachine(client, taskMachine(queuedActivity));
    const heldMachine = await createMachine(client, {
      StartAt: 'Work',
      States: {
        Work: { Type: 'Task', Resource: heldActivity, ResultPath: '$.result', Next: 'After' },
        After: { Type: 'Pass', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    });
    const timeoutMachine = await createMachine(client, taskMachine(timeoutActivity, { TimeoutSeconds: 2 }));
    const waitMachine = (seconds: number) =>
      createMachine(client, {
        StartAt: 'Nap',
        States: { Nap: { Type: 'Wait', Seconds: seconds, Next: 'Done' }, Done: { Type: 'Succeed' } },
      });
    const pastWaitMachine = await waitMachine(2); // due while the server is down
    const futureWaitMachine = await waitMachine(5); // due after the restart
    const retryMachine = await createMachine(
      client,
      taskMachine(retryActivity, { Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 2, MaxAttempts: 1 }] }),
    );
    // Nobody ever polls this activity: only the execution's own TimeoutSeconds ends it.
    const expiringMachine = await createMachine(client, { TimeoutSeconds: 2, ...taskMachine(neverActivity) });
    const machines = [
      doneMachine,
      queuedMachine,
      heldMachine,
      timeoutMachine,
      pastWaitMachine,
      futureWaitMachine,
      retryMachine,
      expiringMachine,
    ];

    const done = await start(client, doneMachine, { a: 1 }, 'done');
    assert.equal((await waitForEnd(client, done)).status, 'SUCCEEDED');
    const queued = await start(client, queuedMachine, { job: 'queued' }, 'queued');
    const held = await start(client, heldMachine, { job: 'held' }, 'held');
    const heldTask = await pollUntilTask(client, heldActivity, { workerName: 'holder' });
    assert.equal(heldTask.input, '{"job":"held"}');
    const timeout = await start(client, timeoutMachine, { job: 'timeout' }, 'timeout');
    const timeoutTask = await pollUntilTask(client, timeoutActivity);
    const pastWait = await start(client, pastWaitMachine, {}, 'past-wait');
    const futureWait = await start(client, futureWaitMachine, {}, 'future-wait');
    const retry = await start(client, retryMachine, { job: 'retry' }, 'retry');
    const firstAttempt = await pollUntilTask(client, retryActivity);
    await client.send(new SendTaskFailureCommand({ taskToken: firstAttempt.taskToken, error: 'Flaky' }));
    const expiring = await start(client, expiringMachine, {}, 'expiring');
    const executions = [done, queued, held, timeout, pastWait, futureWait, retry, expiring];

    const inventoryBefore = await inventory(client, machines);
    const historiesBefore = new Map<string, HistoryEvent[]>();
    for (const arn of executions) historiesBefore.set(arn, await history(client, arn));
    const timeoutStarted = at(historiesBefore.get(timeout)!, 'ActivityStarted');
    const pastWaitEntered = at(historiesBefore.get(pastWait)!, 'WaitStateEntered');
    const futureWaitEntered = at(historiesBefore.get(futureWait)!, 'WaitStateEntered');
    const retryFailed = at(historiesBefore.get(retry)!, 'ActivityFailed');
    const expiringStarted = at(historiesBefore.get(expiring)!, 'ExecutionStarted');

    await shutdown(server, client, 'SIGKILL');
    // Stay down until the 2 s wait and the 2 s task timeout are both overdue.
    const overdue = Math.max(timeoutStarted, pastWaitEntered, retryFailed, expiringStarted) + 2000 + 300;
    await sleep(Math.max(0, overdue - Date.now()));

    // --- after the restart -------------------------------------------------------------------
    const respawnBegan = Date.now();
    ({ server, client } = await serve(dir.path));

    // The 5 s wait is not due yet: it must not have fired on start-up.
    assert.ok(
      Date.now() < futureWaitEntered + 5000 - 200,
      'the restart took too long for this test to mean anything',
    );
    assert.equal((await describeExecution(client, futureWait)).status, 'RUNNING');

    assert.deepEqual(await inventory(client, machines), inventoryBefore);
    for (const arn of [queuedActivity, heldActivity, timeoutActivity]) {
      assert.equal((await client.send(new DescribeActivityCommand({ activityArn: arn }))).activityArn, arn);
    }
    for (const arn of machines) {
      assert.equal(
        (await client.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))).status,
        'ACTIVE',
      );
    }
    const doneAfter = await describeExecution(client, done);
    assert.equal(doneAfter.status, 'SUCCEEDED');
    assert.equal(doneAfter.output, '{"done":1}');
    assert.deepEqual(await history(client, done), historiesBefore.get(done));

    // A Wait whose due time passed while down fires at once (not a full 2 s after the restart).
    const pastWaitOut = await waitForEnd(client, pastWait);
    assert.equal(pastWaitOut.status, 'SUCCEEDED');
    const pastWaitEvents = await history(client, pastWait);
    assertWellFormed(pastWaitEvents);
    const pastWaitExited = at(pastWaitEvents, 'WaitStateExited');
    assert.ok(pastWaitExited >= pastWaitEntered + 2000 - 5);
    assert.ok(
      pastWaitExited < respawnBegan + 2000,
      `the overdue wait fired ${pastWaitExited - respawnBegan} ms after the restart began`,
    );

    // A task TimeoutSeconds that elapsed while down fires at once with ActivityTimedOut.
    const timeoutOut = await waitForEnd(client, timeout);
    assert.equal(timeoutOut.status, 'FAILED');
    assert.equal(timeoutOut.error, 'States.Timeout');
    const timeoutEvents = await history(client, timeout);
    assertWellFormed(timeoutEvents);
    assert.deepEqual(types(timeoutEvents), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityStarted',
      'ActivityTimedOut',
      'ExecutionFailed',
    ]);
    assert.equal(
      eventOf(timeoutEvents, 'ActivityTimedOut').activityTimedOutEventDetails?.error,
      'States.Timeout',
    );
    const timedOutAt = at(timeoutEvents, 'ActivityTimedOut');
    assert.ok(timedOutAt >= timeoutStarted + 2000 - 5);
    assert.ok(
      timedOutAt < respawnBegan + 2000,
      `timed out ${timedOutAt - respawnBegan} ms after the restart began`,
    );
    await assert.rejects(
      client.send(new SendTaskSuccessCommand({ taskToken: timeoutTask.taskToken, output: '{}' })),
      TaskTimedOut,
    );

    // A retry back-off and an execution timeout that elapsed while down fire at once too.
    const expiringOut = await waitForEnd(client, expiring);
    assert.equal(expiringOut.status, 'TIMED_OUT');
    const expiringEvents = await history(client, expiring);
    assertWellFormed(expiringEvents);
    assert.deepEqual(types(expiringEvents), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ExecutionTimedOut',
    ]);
    const expiredAt = at(expiringEvents, 'ExecutionTimedOut');
    assert.ok(expiredAt >= expiringStarted + 2000 - 5 && expiredAt < respawnBegan + 2000);
    const secondAttempt = await poll(client, retryActivity, { abortSignal: AbortSignal.timeout(10_000) });
    assert.ok(secondAttempt !== undefined);
    assert.equal(secondAttempt.input, '{"job":"retry"}');
    await client.send(new SendTaskSuccessCommand({ taskToken: secondAttempt.taskToken, output: '"second"' }));
    assert.equal((await waitForEnd(client, retry)).output, '"second"');
    const retryEvents = await history(client, retry);
    assertWellFormed(retryEvents);
    assert.deepEqual(types(retryEvents), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityStarted',
      'ActivityFailed',
      'ActivityScheduled',
      'ActivityStarted',
      'ActivitySucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    const rescheduled = ms(eventOf(retryEvents, 'ActivityScheduled', 1));
    assert.ok(rescheduled >= retryFailed + 2000 - 5 && rescheduled < respawnBegan + 2000);

    // The task a worker held before the kill is answered with its old token.
    assert.equal((await describeExecution(client, held)).status, 'RUNNING');
    await client.send(new SendTaskSuccessCommand({ taskToken: heldTask.taskToken, output: '{"age":21}' }));
    const heldOut = await waitForEnd(client, held);
    assert.equal(heldOut.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(heldOut.output!), { job: 'held', result: { age: 21 } });
    const heldEvents = await history(client, held);
    assertWellFormed(heldEvents);
    assert.deepEqual(types(heldEvents), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
      'ActivityStarted',
      'ActivitySucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    assert.deepEqual(heldEvents.slice(0, 4), historiesBefore.get(held));
    assert.deepEqual(eventOf(heldEvents, 'ActivityStarted').activityStartedEventDetails, {
      workerName: 'holder',
    });
    // The held task is not handed out a second time.
    await assert.rejects(poll(client, heldActivity, { abortSignal: AbortSignal.timeout(700) }));

    // The task queued before the kill is still queued, and goes to the first poller.
    assert.deepEqual(types(await history(client, queued)), [
      'ExecutionStarted',
      'TaskStateEntered',
      'ActivityScheduled',
    ]);
    const queuedTask = await poll(client, queuedActivity, {
      workerName: 'after-restart',
      abortSignal: AbortSignal.timeout(10_000),
    });
    assert.ok(queuedTask !== undefined);
    assert.equal(queuedTask.input, '{"job":"queued"}');
    await client.send(new SendTaskSuccessCommand({ taskToken: queuedTask.taskToken, output: '{"ok":true}' }));
    const queuedOut = await waitForEnd(client, queued);
    assert.equal(queuedOut.status, 'SUCCEEDED');
    assert.equal(queuedOut.output, '{"ok":true}');
    const queuedEvents = await history(client, queued);
    assertWellFormed(queuedEvents);
    assert.deepEqual(eventOf(queuedEvents, 'ActivityStarted').activityStartedEventDetails, {
      workerName: 'after-restart',
    });

    // The 5 s wait fires at its original due time, not 5 s after the restart.
    const futureWaitOut = await waitForEnd(client, futureWait);
    assert.equal(futureWaitOut.status, 'SUCCEEDED');
    const futureWaitEvents = await history(client, futureWait);
    assertWellFormed(futureWaitEvents);
    const futureWaitExited = at(futureWaitEvents, 'WaitStateExited');
    assert.ok(futureWaitExited >= futureWaitEntered + 5000 - 5);
    assert.ok(
      futureWaitExited < respawnBegan + 5000,
      `the wait fired ${futureWaitExited - futureWaitEntered} ms after it began (restart began after ${
        respawnBegan - futureWaitEntered
      } ms)`,
    );

    await shutdown(server, client, 'SIGTERM');
  });

  test('SIGTERM answers an open long poll empty, exits 0, and the data is intact on restart', async () => {
    const dir = tempDir('stepwise-sigterm-');
    dirs.push(dir);
    let { server, client } = await serve(dir.path);

    const idleActivity = await createActivity(client, 'idle');
    const workActivity = await createActivity(client, 'work');
    const taskMachineArn = await createMachine(client, taskMachine(workActivity));
    const waitMachineArn = await createMachine(client, {
      StartAt: 'Nap',
      States: { Nap: { Type: 'Wait', Seconds: 600, Next: 'Done' }, Done: { Type: 'Succeed' } },
    });
    const queued = await start(client, taskMachineArn, { n: 1 }, 'queued');
    const waiting = await start(client, waitMachineArn, {}, 'waiting');
    const historiesBefore = new Map<string, HistoryEvent[]>();
    for (const arn of [queued, waiting]) historiesBefore.set(arn, await history(client, arn));

    // A poll with nothing to hand out: the server would hold it for most of a minute.
    const pending = poll(client, idleActivity, { workerName: 'patient' });
    await sleep(300);
    const signalled = Date.now();
    const exited = server.kill('SIGTERM');
    const answer = await pending;
    const answeredAfter = Date.now() - signalled;
    assert.equal(answer, undefined, 'the open poll got a task');
    assert.ok(answeredAfter < 5000, `the open poll was answered ${answeredAfter} ms after SIGTERM`);
    await exited;
    assert.equal(server.process.exitCode, 0, server.output());
    assert.equal(server.process.signalCode, null);
    assert.match(server.output(), /SIGTERM, shutting down/);
    children.delete(server);
    client.destroy();
    clients.delete(client);

    ({ server, client } = await serve(dir.path));
    for (const arn of [idleActivity, workActivity]) {
      assert.equal((await client.send(new DescribeActivityCommand({ activityArn: arn }))).activityArn, arn);
    }
    for (const arn of [queued, waiting]) {
      assert.equal((await describeExecution(client, arn)).status, 'RUNNING');
      assert.deepEqual(await history(client, arn), historiesBefore.get(arn));
    }
    const task = await poll(client, workActivity, { abortSignal: AbortSignal.timeout(10_000) });
    assert.ok(task !== undefined);
    assert.equal(task.input, '{"n":1}');
    await client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{}' }));
    assert.equal((await waitForEnd(client, queued)).status, 'SUCCEEDED');
    await client.send(new StopExecutionCommand({ executionArn: waiting }));
    assert.equal((await describeExecution(client, waiting)).status, 'ABORTED');

    await shutdown(server, client, 'SIGTERM');
    assert.equal(server.process.exitCode, 0, server.output());
  });
});
