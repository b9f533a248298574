/**
 * Several `stepwise serve --database postgres://…` processes on one PostgreSQL schema, driven by
 * the AWS SDK as users drive them: any node answers any call, a long poll on one node is woken
 * by a task queued on another, a node killed with -9 loses nothing (its timers fire on the
 * others), and a node that loses its database answers 503 and recovers by itself.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  DeleteActivityCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { postgresSkip, proxiedUrl, startProxy, testSchema } from './helpers/postgres.js';
import type { TestSchema } from './helpers/postgres.js';
import { sdkClient, spawnServer, tempDir } from './helpers/server.js';
import type { ChildServer } from './helpers/server.js';
import {
  assertWellFormed,
  createActivity,
  createMachine,
  describeExecution,
  history,
  poll,
  pollUntilTask,
  sleep,
  start,
  taskMachine,
  waitForEnd,
  waitForEvent,
} from './helpers/sfn.js';

const skip = await postgresSkip();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A node that can be killed and started again on the same port (so clients keep its URL). */
class Node {
  server: ChildServer | undefined;
  readonly client: SFNClient;

  constructor(
    readonly port: number,
    private readonly database: string,
    private readonly dataDir: string,
  ) {
    this.client = sdkClient(this.url);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = await spawnServer(this.dataDir, this.port, ['--database', this.database]);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.kill(signal);
  }
}

async function startNodes(count: number, database: string, dataDir: string): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) nodes.push(new Node(await freePort(), database, dataDir));
  await Promise.all(nodes.map((node) => node.start()));
  return nodes;
}

function at<T>(list: T[], index: number): T {
  const item = list[index % list.length];
  assert.ok(item !== undefined);
  return item;
}

void describe('three nodes on one PostgreSQL database', { skip }, () => {
  let schema: TestSchema;
  const dir = tempDir();
  let nodes: Node[] = [];

  before(async () => {
    schema = testSchema();
    nodes = await startNodes(3, schema.url, dir.path);
  });

  after(async () => {
    await Promise.all(nodes.map((node) => node.kill('SIGTERM')));
    await schema.drop();
    dir.remove();
  });

  void it('runs executions started on one node with workers polling the others', async () => {
    const activityArn = await createActivity(at(nodes, 0).client);
    const machineArn = await createMachine(at(nodes, 1).client, taskMachine(activityArn));

    // A poll waiting on node 2 is woken by a task queued through node 0 (a notification, not
    // the slow fallback re-check).
    const waiting = pollUntilTask(at(nodes, 2).client, activityArn, { workerName: 'lone' });
    await sleep(300);
    const started = Date.now();
    const lone = await start(at(nodes, 0).client, machineArn, { n: -1 });
    const handed = await waiting;
    const latency = Date.now() - started;
    assert.equal(handed.input, '{"n":-1}');
    assert.ok(latency < 1500, `the task reached the other node's poll after ${latency} ms`);
    await at(nodes, 1).client.send(
      new SendTaskSuccessCommand({ taskToken: handed.taskToken, output: '"lone"' }),
    );
    assert.equal((await waitForEnd(at(nodes, 0).client, lone)).output, '"lone"');

    // 30 executions started round robin; worker w polls node w and answers through node w + 1.
    const count = 30;
    const executions = await Promise.all(
      Array.from({ length: count }, (_, i) => start(at(nodes, i).client, machineArn, { n: i })),
    );
    let handedOut = 0;
    const workers = [0, 1, 2].map(async (w) => {
      while (handedOut < count) {
        const task = await poll(at(nodes, w).client, activityArn, { workerName: `w${w}` });
        if (task === undefined) continue;
        handedOut++;
        const input = JSON.parse(task.input) as { n: number };
        await at(nodes, w + 1).client.send(
          new SendTaskSuccessCommand({
            taskToken: task.taskToken,
            output: JSON.stringify({ done: input.n }),
          }),
        );
      }
    });
    // Workers still waiting after the last task are answered empty when their hold ends; the
    // test does not wait for that.
    const ends = await Promise.all(
      executions.map((arn, i) => waitForEnd(at(nodes, i + 2).client, arn, 30_000)),
    );
    assert.equal(handedOut, count);
    ends.forEach((end, i) => {
      assert.equal(end.status, 'SUCCEEDED');
      assert.equal(end.output, JSON.stringify({ done: i }));
    });
    void Promise.allSettled(workers);
  });

  void it('runs a Distributed Map whose children close on every node', async () => {
    const activityArn = await createActivity(at(nodes, 0).client);
    const machineArn = await createMachine(at(nodes, 1).client, {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemsPath: '$.items',
          MaxConcurrency: 3,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Work',
            States: { Work: { Type: 'Task', Resource: activityArn, End: true } },
          },
          End: true,
        },
      },
    });
    const count = 12;
    const items = Array.from({ length: count }, (_, i) => ({ n: i }));
    const executionArn = await start(at(nodes, 2).client, machineArn, { items });
    // Worker w polls node w and answers through node w + 1: children close on all three nodes,
    // whichever node drives the run.
    let answered = 0;
    const workers = [0, 1, 2].map(async (w) => {
      while (answered < count) {
        const task = await poll(at(nodes, w).client, activityArn, { workerName: `m${w}` });
        if (task === undefined) continue;
        answered++;
        const input = JSON.parse(task.input) as { n: number };
        await at(nodes, w + 1).client.send(
          new SendTaskSuccessCommand({
            taskToken: task.taskToken,
            output: JSON.stringify({ done: input.n }),
          }),
        );
      }
    });
    const end = await waitForEnd(at(nodes, 0).client, executionArn, 30_000);
    assert.equal(end.status, 'SUCCEEDED');
    assert.deepEqual(
      JSON.parse(end.output ?? 'null'),
      items.map((item) => ({ done: item.n })),
    );
    assert.equal(answered, count);
    assertWellFormed(await history(at(nodes, 1).client, executionArn));
    void Promise.allSettled(workers);
  });

  void it('fails Task states on every node soon after another node deleted their activity', async () => {
    const activityArn = await createActivity(at(nodes, 0).client);
    const machineArn = await createMachine(at(nodes, 0).client, taskMachine(activityArn));
    // Every node runs a Task on the activity first, so each has seen that it exists.
    const first = await Promise.all(nodes.map((node) => start(node.client, machineArn)));
    for (const [i, arn] of first.entries()) {
      const events = await waitForEvent(at(nodes, i).client, arn, 'ActivityScheduled');
      assert.ok(events.length > 0);
    }
    await at(nodes, 2).client.send(new DeleteActivityCommand({ activityArn }));
    await sleep(2500);
    for (const node of nodes) {
      const end = await waitForEnd(node.client, await start(node.client, machineArn), 10_000);
      assert.equal(end.status, 'FAILED');
      assert.equal(end.error, 'States.Runtime');
      assert.match(end.cause ?? '', /The activity .* does not exist\./);
    }
  });

  void it('fires the timers of a node killed with -9 on the other nodes', async () => {
    const machineArn = await createMachine(at(nodes, 0).client, {
      StartAt: 'Nap',
      States: {
        Nap: { Type: 'Wait', Seconds: 2, Next: 'Done' },
        Done: { Type: 'Pass', Result: 'woke', End: true },
      },
    });
    const executionArn = await start(at(nodes, 0).client, machineArn);
    await at(nodes, 0).kill();
    try {
      const end = await waitForEnd(at(nodes, 1).client, executionArn, 10_000);
      assert.equal(end.status, 'SUCCEEDED');
      assert.equal(end.output, '"woke"');
      const events = await history(at(nodes, 2).client, executionArn);
      assertWellFormed(events);
      const waited = (end.stopDate?.getTime() ?? 0) - (end.startDate?.getTime() ?? 0);
      assert.ok(waited >= 2000 && waited < 5000, `the Wait took ${waited} ms`);
    } finally {
      await at(nodes, 0).start();
    }
  });
});

void describe('a node that loses its database connection', { skip }, () => {
  void it('answers 503 ServiceUnavailable while PostgreSQL is away and recovers by itself', async () => {
    const schema = testSchema();
    const proxy = await startProxy();
    const dir = tempDir();
    const node = new Node(await freePort(), proxiedUrl(proxy, schema), dir.path);
    await node.start();
    try {
      const machineArn = await createMachine(node.client, {
        StartAt: 'P',
        States: { P: { Type: 'Pass', End: true } },
      });
      const before = await start(node.client, machineArn, { before: true });
      assert.equal((await waitForEnd(node.client, before)).status, 'SUCCEEDED');

      await proxy.cut();
      for (const call of [
        () => node.client.send(new ListStateMachinesCommand({})),
        () => node.client.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: '{}' })),
        () => describeExecution(node.client, before),
      ]) {
        await assert.rejects(call(), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(error.name, 'ServiceUnavailable');
          assert.equal(error.$metadata?.httpStatusCode, 503);
          return true;
        });
      }

      await proxy.restore();
      const after = await start(node.client, machineArn, { after: true });
      assert.equal((await waitForEnd(node.client, after)).status, 'SUCCEEDED');
      // Nothing was lost or half-written: the execution from before is as it was.
      const events = await history(node.client, before);
      assertWellFormed(events);
      assert.equal(events.at(-1)?.type, 'ExecutionSucceeded');
    } finally {
      await node.kill('SIGTERM');
      await proxy.close();
      await schema.drop();
      dir.remove();
    }
  });
});

void describe('multi-node soak: nodes killed with -9 and restarted under load', { skip }, () => {
  void it(
    'finishes every execution exactly once, with contiguous histories',
    { timeout: 240_000 },
    async () => {
      const COUNT = Number(process.env.STEPWISE_SOAK_EXECUTIONS ?? 2000);
      const schema = testSchema();
      const dir = tempDir();
      const nodes = await startNodes(3, schema.url, dir.path);
      const errors: string[] = [];
      try {
        const activityArn = await createActivity(at(nodes, 0).client);
        // A task handed to a poll on a node that died before answering is lost with that poll, as
        // on AWS: its timeout (armed by the node that handed it out, fired by whichever node is
        // alive) and a Retry bring it back.
        const machineArn = await createMachine(
          at(nodes, 0).client,
          taskMachine(activityArn, {
            TimeoutSeconds: 4,
            Retry: [{ ErrorEquals: ['States.Timeout'], IntervalSeconds: 1, MaxAttempts: 10, BackoffRate: 1 }],
          }),
        );

        let stopping = false;
        const tokensSeen = new Set<string>();
        const duplicateHandOuts: string[] = [];
        const succeededTokens = new Map<string, number>();

        /** Calls through node i, then the next ones while nodes are down (connection refused). */
        async function anyNode<T>(first: number, call: (client: SFNClient) => Promise<T>): Promise<T> {
          for (let attempt = 0; ; attempt++) {
            const node = at(nodes, first + attempt);
            try {
              return await call(node.client);
            } catch (error) {
              const name = error instanceof Error ? error.name : '';
              // An AWS error the service chose to answer is final; transport errors are retried.
              if (
                !['Error', 'TypeError', 'ServiceUnavailable', 'InternalFailure', 'TimeoutError'].includes(
                  name,
                ) &&
                !(
                  error instanceof Error && /ECONNREFUSED|ECONNRESET|socket hang up|EPIPE/.test(error.message)
                )
              ) {
                throw error;
              }
              if (attempt > 200) throw error;
              await sleep(100);
            }
          }
        }

        const workers = Array.from({ length: 6 }, async (_, w) => {
          let home = w;
          while (!stopping) {
            let task: { taskToken: string; input: string } | undefined;
            try {
              task = await poll(at(nodes, home).client, activityArn, { workerName: `w${w}` });
            } catch {
              home++;
              await sleep(100);
              continue;
            }
            if (task === undefined) continue;
            if (tokensSeen.has(task.taskToken)) duplicateHandOuts.push(task.taskToken);
            tokensSeen.add(task.taskToken);
            const input = JSON.parse(task.input) as { n: number };
            const token = task.taskToken;
            try {
              await anyNode(home + 1, (client) =>
                client.send(
                  new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ done: input.n }) }),
                ),
              );
              succeededTokens.set(token, (succeededTokens.get(token) ?? 0) + 1);
            } catch (error) {
              // TaskTimedOut: the task's timeout fired first, or a retried send whose first try
              // had committed on a node killed before it answered. Either way the engine decides.
              if (!(error instanceof Error && error.name === 'TaskTimedOut')) errors.push(String(error));
            }
          }
        });

        let kills = 0;

        const killer = (async () => {
          let victim = 0;
          while (!stopping) {
            await sleep(2500);
            if (stopping) break;
            const node = at(nodes, victim++);
            await node.kill('SIGKILL');
            kills++;
            await sleep(500);
            await node.start();
          }
        })();

        const started = Date.now();
        const executions: string[] = [];
        const names = Array.from({ length: COUNT }, (_, i) => `soak-${i}`);
        let next = 0;
        await Promise.all(
          Array.from({ length: 8 }, async (_, s) => {
            while (next < names.length) {
              const i = next++;
              const name = at(names, i);
              const arn = `${machineArn.replace(':stateMachine:', ':execution:')}:${name}`;
              try {
                // Same name, same input: a retry after a node died mid-request is idempotent.
                await anyNode(i + s, (client) =>
                  client.send(
                    new StartExecutionCommand({
                      stateMachineArn: machineArn,
                      name,
                      input: JSON.stringify({ n: i }),
                    }),
                  ),
                );
              } catch (error) {
                // A retried start whose first try went through, and the execution already finished.
                if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
              }
              executions[i] = arn;
            }
          }),
        );
        const startedIn = Date.now() - started;

        // Wait until nothing is RUNNING any more (nodes keep being killed meanwhile).
        const deadline = Date.now() + 150_000;
        for (;;) {
          const running = await anyNode(0, (client) =>
            client.send(
              new ListExecutionsCommand({
                stateMachineArn: machineArn,
                statusFilter: 'RUNNING',
                maxResults: 1,
              }),
            ),
          );
          if ((running.executions ?? []).length === 0) break;
          assert.ok(Date.now() < deadline, 'executions still RUNNING');
          await sleep(250);
        }
        const finishedIn = Date.now() - started;
        stopping = true;
        await killer;
        await Promise.all(nodes.filter((node) => node.server === undefined).map((node) => node.start()));

        let timedOut = 0;
        for (const [i, arn] of executions.entries()) {
          const end = await anyNode(i, (client) => describeExecution(client, arn));
          assert.equal(end.status, 'SUCCEEDED', arn);
          assert.equal(end.output, JSON.stringify({ done: i }));
          const events = await anyNode(i, (client) => history(client, arn));
          assertWellFormed(events);
          const count = (type: string): number => events.filter((e) => e.type === type).length;
          assert.equal(count('ExecutionSucceeded'), 1, arn);
          assert.equal(count('ActivitySucceeded'), 1, arn);
          assert.equal(events.at(-1)?.type, 'ExecutionSucceeded');
          assert.ok(count('ActivityStarted') <= count('ActivityScheduled'));
          timedOut += count('ActivityTimedOut');
        }
        assert.deepEqual(duplicateHandOuts, [], 'a task was handed to two polls');
        assert.deepEqual(
          [...succeededTokens].filter(([, n]) => n > 1),
          [],
          'a task was completed twice',
        );
        assert.deepEqual(errors, []);
        console.log(
          `soak: ${COUNT} executions on 3 nodes, ${kills} nodes killed with -9 and restarted, started in ${startedIn} ms, all finished in ${finishedIn} ms; ` +
            `${timedOut} task timeouts (tasks lost with a killed node's polls, retried)`,
        );
        void Promise.allSettled(workers);
      } finally {
        await Promise.all(nodes.map((node) => node.kill('SIGTERM')));
        await schema.drop();
        dir.remove();
      }
    },
  );
});
