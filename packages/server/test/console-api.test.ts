/**
 * The console's extension operations (StepwiseConsole.*, docs/console.md) on both stores:
 * listing tasks without claiming them, activity stats with the pollers waiting now, the human
 * flag, the execution search and counts, and history after an event id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';

async function call(
  url: string,
  target: string,
  input: object,
  signal?: AbortSignal,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': target },
    body: JSON.stringify(input),
    ...(signal !== undefined ? { signal } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const sfn = async (url: string, op: string, input: object): Promise<Record<string, unknown>> => {
  const r = await call(url, `AWSStepFunctions.${op}`, input);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};
/** What the extension operations answer, loosely: the tests check the shapes themselves. */
interface Answer {
  tasks: { status: string; input: string; workerName?: string }[];
  pollers: { workerName?: string; since: number }[];
  activityArns: string[];
  executions: { name: string }[];
  events: { id: number; type: string }[];
  executionCounts: Record<string, number>;
  [member: string]: unknown;
}

const ext = async (url: string, op: string, input: object): Promise<Answer> => {
  const r = await call(url, `StepwiseConsole.${op}`, input);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as Answer;
};

for (const kind of ['sqlite', 'memory'] as const) {
  describe(`console extension operations (${kind})`, () => {
    let server: TestServer;
    let activityArn: string;
    let stateMachineArn: string;
    const executionArns: string[] = [];

    before(async () => {
      server = await startTestServer({ pollHoldMs: 3000, ...(kind === 'memory' ? { dataDir: null } : {}) });
      activityArn = (await sfn(server.url, 'CreateActivity', { name: 'review' }))['activityArn'] as string;
      stateMachineArn = (
        await sfn(server.url, 'CreateStateMachine', {
          name: 'Review',
          roleArn: 'arn:aws:iam::123456789012:role/stepwise',
          definition: JSON.stringify({
            StartAt: 'Ask',
            States: { Ask: { Type: 'Task', Resource: activityArn, End: true } },
          }),
        })
      )['stateMachineArn'] as string;
      for (const name of ['alpha-1', 'alpha-2', 'beta-1']) {
        const started = await sfn(server.url, 'StartExecution', {
          stateMachineArn,
          name,
          input: `{"n":"${name}"}`,
        });
        executionArns.push(started['executionArn'] as string);
      }
    });

    after(async () => {
      await server.stop();
    });

    it('lists queued tasks without claiming them, then shows who started one', async () => {
      const listed = await ext(server.url, 'ListActivityTasks', { activityArn });
      assert.equal(listed['tasks'].length, 3);
      assert.deepEqual(
        listed['tasks'].map((t: { status: string; input: string }) => [t.status, t.input]),
        [
          ['QUEUED', '{"n":"alpha-1"}'],
          ['QUEUED', '{"n":"alpha-2"}'],
          ['QUEUED', '{"n":"beta-1"}'],
        ],
      );
      assert.equal(JSON.stringify(listed).includes('taskToken'), false);
      const again = await ext(server.url, 'ListActivityTasks', { activityArn });
      assert.equal(again['tasks'].length, 3);

      const task = await sfn(server.url, 'GetActivityTask', { activityArn, workerName: 'console:ann' });
      assert.equal(task['input'], '{"n":"alpha-1"}');
      const after = await ext(server.url, 'ListActivityTasks', { activityArn });
      assert.equal(after['tasks'][0]?.status, 'STARTED');
      assert.equal(after['tasks'][0]?.workerName, 'console:ann');
      const stats = await ext(server.url, 'GetActivityStats', { activityArn });
      assert.equal(stats['queued'], 2);
      assert.equal(stats['inFlight'], 1);
      assert.deepEqual(stats['pollers'], []);
    });

    it('shows the pollers waiting now with their worker names', async () => {
      const other = (await sfn(server.url, 'CreateActivity', { name: 'idle' }))['activityArn'] as string;
      const controller = new AbortController();
      const poll = call(
        server.url,
        'AWSStepFunctions.GetActivityTask',
        { activityArn: other, workerName: 'night-shift' },
        controller.signal,
      ).catch(() => undefined);
      let pollers: { workerName?: string; since: number }[] = [];
      for (let i = 0; i < 50 && pollers.length === 0; i++) {
        pollers = (await ext(server.url, 'GetActivityStats', { activityArn: other }))['pollers'];
        if (pollers.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(pollers.length, 1);
      assert.equal(pollers[0]?.workerName, 'night-shift');
      assert.equal(typeof pollers[0]?.since, 'number');
      controller.abort();
      await poll;
    });

    it('marks activities as answered by people', async () => {
      assert.deepEqual((await ext(server.url, 'ListHumanActivities', {}))['activityArns'], []);
      await ext(server.url, 'SetActivityHuman', { activityArn, human: true });
      assert.deepEqual((await ext(server.url, 'ListHumanActivities', {}))['activityArns'], [activityArn]);
      assert.equal((await ext(server.url, 'GetActivityStats', { activityArn }))['human'], true);
      await ext(server.url, 'SetActivityHuman', { activityArn, human: false });
      assert.deepEqual((await ext(server.url, 'ListHumanActivities', {}))['activityArns'], []);
      const bad = await call(server.url, 'StepwiseConsole.SetActivityHuman', { activityArn, human: 'yes' });
      assert.equal(bad.status, 400);
      const unknown = await call(server.url, 'StepwiseConsole.NoSuchThing', {});
      assert.equal(unknown.status, 400);
      assert.match(String(unknown.body['__type']), /UnknownOperation/);
    });

    it('searches executions by name prefix, status and start time, with paging and counts', async () => {
      const all = await ext(server.url, 'ListExecutions', {});
      assert.deepEqual(
        all['executions'].map((e: { name: string }) => e.name),
        ['beta-1', 'alpha-2', 'alpha-1'],
      );
      const alpha = await ext(server.url, 'ListExecutions', {
        stateMachineArn,
        namePrefix: 'alpha',
        maxResults: 1,
      });
      assert.equal(alpha['executions'].length, 1);
      assert.equal(alpha['executions'][0]?.name, 'alpha-2');
      const rest = await ext(server.url, 'ListExecutions', {
        stateMachineArn,
        namePrefix: 'alpha',
        maxResults: 1,
        nextToken: alpha['nextToken'],
      });
      assert.deepEqual(
        rest['executions'].map((e: { name: string }) => e.name),
        ['alpha-1'],
      );
      assert.equal(rest['nextToken'], undefined);
      const reused = await call(server.url, 'StepwiseConsole.ListExecutions', {
        nextToken: alpha['nextToken'],
      });
      assert.equal(reused.status, 400);
      const future = await ext(server.url, 'ListExecutions', { startedAfter: Date.now() / 1000 + 60 });
      assert.equal(future['executions'].length, 0);
      const running = await ext(server.url, 'ListExecutions', { statusFilter: 'RUNNING' });
      assert.equal(running['executions'].length, 3);
      const stats = await ext(server.url, 'GetStateMachineStats', { stateMachineArn });
      assert.equal(stats['executionCounts']['RUNNING'], 3);
      assert.equal(stats['executionCounts']['SUCCEEDED'], 0);
    });

    it('answers history after an event id', async () => {
      const executionArn = executionArns[0] ?? '';
      const all = await ext(server.url, 'GetExecutionEvents', { executionArn });
      assert.equal(all['status'], 'RUNNING');
      assert.ok(all['events'].length >= 3);
      assert.equal(all['events'][0]?.type, 'ExecutionStarted');
      const tail = await ext(server.url, 'GetExecutionEvents', { executionArn, afterEventId: 2 });
      assert.equal(tail['events'][0]?.id, 3);
      assert.equal(tail['events'].length, all['events'].length - 2);
    });
  });
}
