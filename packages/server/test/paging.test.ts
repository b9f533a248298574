/**
 * Pagination through @aws-sdk/client-sfn: ListExecutions (newest first, statusFilter,
 * maxResults, nextToken, stability under concurrent inserts, token misuse), GetExecutionHistory
 * (maxResults, nextToken, reverseOrder, includeExecutionData) and ListActivities /
 * ListStateMachines.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  GetExecutionHistoryCommand,
  InvalidToken,
  ListActivitiesCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionListItem, ExecutionStatus, HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { sdkClient, startTestServer } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';
import { ROLE, assertWellFormed, createMachine, history, start, unique } from './helpers/sfn.js';

let server: TestServer;
let client: SFNClient;

before(async () => {
  server = await startTestServer();
  client = sdkClient(server.url);
});

after(async () => {
  client?.destroy();
  await server?.stop();
});

async function listAll(
  stateMachineArn: string,
  options: { statusFilter?: ExecutionStatus; maxResults?: number; between?: () => Promise<void> } = {},
): Promise<{ items: ExecutionListItem[]; pages: number[] }> {
  const items: ExecutionListItem[] = [];
  const pages: number[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListExecutionsCommand({
        stateMachineArn,
        ...(options.statusFilter !== undefined ? { statusFilter: options.statusFilter } : {}),
        ...(options.maxResults !== undefined ? { maxResults: options.maxResults } : {}),
        ...(nextToken !== undefined ? { nextToken } : {}),
      }),
    );
    items.push(...(page.executions ?? []));
    pages.push(page.executions?.length ?? 0);
    nextToken = page.nextToken;
    if (nextToken !== undefined && options.between) await options.between();
  } while (nextToken !== undefined);
  return { items, pages };
}

function assertNewestFirst(items: ExecutionListItem[]): void {
  for (let i = 1; i < items.length; i++) {
    const previous = items[i - 1]!.startDate!.getTime();
    const current = items[i]!.startDate!.getTime();
    assert.ok(previous >= current, `item ${i} (${items[i]!.name}) is newer than the one before it`);
  }
}

function assertNoDuplicates(items: { executionArn?: string | undefined }[]): void {
  const arns = items.map((e) => e.executionArn);
  assert.equal(new Set(arns).size, arns.length, 'an execution was listed twice');
}

describe('ListExecutions paging', () => {
  // 250 executions: every fifth waits (RUNNING), the others succeed at once.
  const TOTAL = 250;
  let machineArn: string;
  const startedArns: string[] = [];

  before(async () => {
    machineArn = await createMachine(client, {
      StartAt: 'Route',
      States: {
        Route: {
          Type: 'Choice',
          Choices: [{ Variable: '$.wait', BooleanEquals: true, Next: 'Hold' }],
          Default: 'Done',
        },
        Hold: { Type: 'Wait', Seconds: 3600, Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    });
    for (let i = 0; i < TOTAL; i++) {
      const name = `e-${String(i).padStart(3, '0')}`;
      startedArns.push(await start(client, machineArn, { i, wait: i % 5 === 0 }, name));
    }
  });

  test('pages of maxResults, newest first, every execution exactly once', async () => {
    const { items, pages } = await listAll(machineArn, { maxResults: 100 });
    assert.deepEqual(pages, [100, 100, 50]);
    assertNewestFirst(items);
    assertNoDuplicates(items);
    assert.deepEqual(new Set(items.map((e) => e.executionArn)), new Set(startedArns));
    // Started one after the other: the last started is among the newest (several may share a
    // millisecond), the first started among the oldest.
    const dateOf = (arn: string | undefined) =>
      items.find((e) => e.executionArn === arn)!.startDate!.getTime();
    assert.equal(dateOf(startedArns[TOTAL - 1]), items[0]!.startDate!.getTime());
    assert.equal(dateOf(startedArns[0]), items[TOTAL - 1]!.startDate!.getTime());
    for (const item of items) {
      assert.equal(item.stateMachineArn, machineArn);
      assert.ok(item.startDate instanceof Date);
      const i = Number(item.name!.slice(2));
      assert.equal(item.status, i % 5 === 0 ? 'RUNNING' : 'SUCCEEDED', item.name);
      if (item.status === 'SUCCEEDED') assert.ok(item.stopDate instanceof Date);
      else assert.equal(item.stopDate, undefined);
    }
  });

  test('without maxResults a page holds 100', async () => {
    const first = await client.send(new ListExecutionsCommand({ stateMachineArn: machineArn }));
    assert.equal(first.executions?.length, 100);
    assert.ok(first.nextToken !== undefined);
    const zero = await client.send(new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: 0 }));
    assert.equal(zero.executions?.length, 100);
  });

  test('statusFilter', async () => {
    const running = await listAll(machineArn, { statusFilter: 'RUNNING', maxResults: 17 });
    assert.equal(running.items.length, TOTAL / 5);
    assert.ok(running.items.every((e) => e.status === 'RUNNING'));
    assertNewestFirst(running.items);
    assertNoDuplicates(running.items);
    const succeeded = await listAll(machineArn, { statusFilter: 'SUCCEEDED', maxResults: 64 });
    assert.equal(succeeded.items.length, TOTAL - TOTAL / 5);
    assert.ok(succeeded.items.every((e) => e.status === 'SUCCEEDED'));
    assertNoDuplicates(succeeded.items);
    const failed = await client.send(
      new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: 'FAILED' }),
    );
    assert.deepEqual(failed.executions, []);
    assert.equal(failed.nextToken, undefined);
  });

  test('pages stay stable while new executions start between page fetches', async () => {
    const before = new Set((await listAll(machineArn)).items.map((e) => e.executionArn));
    const added: string[] = [];
    const { items } = await listAll(machineArn, {
      maxResults: 30,
      between: async () => {
        for (let i = 0; i < 3; i++)
          added.push(await start(client, machineArn, { i: -1, wait: false }, unique('late')));
      },
    });
    assert.ok(added.length > 0);
    assertNoDuplicates(items);
    assertNewestFirst(items);
    // Everything that existed when paging began is there exactly once; newer ones are not mixed in.
    assert.deepEqual(new Set(items.map((e) => e.executionArn)), before);
    // A fresh listing sees them all.
    const after = await listAll(machineArn, { maxResults: 1000 });
    assert.equal(after.items.length, before.size + added.length);
    assertNoDuplicates(after.items);
  });

  test('stopping executions between pages of a RUNNING listing skips nothing still running', async () => {
    const running = await listAll(machineArn, { statusFilter: 'RUNNING' });
    const stopped = new Set<string>();
    const { items } = await listAll(machineArn, {
      statusFilter: 'RUNNING',
      maxResults: 10,
      between: async () => {
        // Stop the newest running execution (already served on an earlier page).
        const victim = running.items.find((e) => !stopped.has(e.executionArn!));
        if (victim === undefined) return;
        stopped.add(victim.executionArn!);
        await client.send(new StopExecutionCommand({ executionArn: victim.executionArn! }));
      },
    });
    assertNoDuplicates(items);
    const stillRunning = running.items
      .filter((e) => !stopped.has(e.executionArn!))
      .map((e) => e.executionArn);
    for (const arn of stillRunning)
      assert.ok(
        items.some((e) => e.executionArn === arn),
        `${arn} was skipped`,
      );
  });

  test('a nextToken reused with another statusFilter, another machine, or garbage: InvalidToken', async () => {
    const page = await client.send(new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: 5 }));
    const nextToken = page.nextToken;
    assert.ok(nextToken !== undefined);
    await assert.rejects(
      client.send(
        new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: 'RUNNING', nextToken }),
      ),
      InvalidToken,
    );
    const other = await createMachine(client, { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    await assert.rejects(
      client.send(new ListExecutionsCommand({ stateMachineArn: other, nextToken })),
      InvalidToken,
    );
    for (const garbage of ['garbage', 'eyJxIjoxfQ', Buffer.from('{"q":"x","c":1}').toString('base64url')]) {
      await assert.rejects(
        client.send(new ListExecutionsCommand({ stateMachineArn: machineArn, nextToken: garbage })),
        InvalidToken,
        garbage,
      );
    }
    // The same arguments continue where the page ended.
    const second = await client.send(
      new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: 5, nextToken }),
    );
    assert.equal(second.executions?.length, 5);
    const firstArns = new Set(page.executions!.map((e) => e.executionArn));
    assert.ok((second.executions ?? []).every((e) => !firstArns.has(e.executionArn)));
  });
});

describe('GetExecutionHistory paging', () => {
  const STATES = 12;
  let executionArn: string;
  let all: HistoryEvent[];

  before(async () => {
    const states: Record<string, unknown> = {};
    for (let i = 0; i < STATES; i++) {
      states[`Step${i}`] = {
        Type: 'Pass',
        Parameters: { step: i, 'secret.$': '$.secret' },
        ...(i < STATES - 1 ? { Next: `Step${i + 1}` } : { End: true }),
      };
    }
    const machineArn = await createMachine(client, { StartAt: 'Step0', States: states });
    executionArn = await start(client, machineArn, { secret: 'payload' });
    all = await history(client, executionArn);
  });

  const fetchAll = async (options: {
    maxResults?: number;
    reverseOrder?: boolean;
    includeExecutionData?: boolean;
  }) => {
    const events: HistoryEvent[] = [];
    const sizes: number[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new GetExecutionHistoryCommand({
          executionArn,
          ...options,
          ...(nextToken !== undefined ? { nextToken } : {}),
        }),
      );
      events.push(...(page.events ?? []));
      sizes.push(page.events?.length ?? 0);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return { events, sizes };
  };

  test('the whole history, then pages of maxResults that add up to it', async () => {
    assert.equal(all.length, 2 + 2 * STATES);
    assertWellFormed(all);
    assert.equal(all[0]!.type, 'ExecutionStarted');
    assert.equal(all[all.length - 1]!.type, 'ExecutionSucceeded');
    const { events, sizes } = await fetchAll({ maxResults: 5 });
    assert.deepEqual(sizes, [5, 5, 5, 5, 5, 1]);
    assert.deepEqual(events, all);
  });

  test('reverseOrder, with and without paging', async () => {
    const whole = await fetchAll({ reverseOrder: true });
    assert.deepEqual(whole.events, [...all].reverse());
    assert.deepEqual(whole.sizes, [all.length]);
    const paged = await fetchAll({ reverseOrder: true, maxResults: 7 });
    assert.deepEqual(paged.sizes, [7, 7, 7, 5]);
    assert.deepEqual(paged.events, [...all].reverse());
  });

  test('a page size exactly dividing the history ends without an empty page', async () => {
    const { sizes, events } = await fetchAll({ maxResults: 13 });
    assert.deepEqual(sizes, [13, 13]);
    assert.deepEqual(events, all);
  });

  test('includeExecutionData=false leaves the payloads out', async () => {
    const { events } = await fetchAll({ includeExecutionData: false, maxResults: 10 });
    assert.equal(events.length, all.length);
    assert.deepEqual(
      events.map((e) => [e.id, e.type, e.previousEventId]),
      all.map((e) => [e.id, e.type, e.previousEventId]),
    );
    const text = JSON.stringify(events);
    assert.ok(!text.includes('payload'), 'a payload leaked into the history');
    const started = events[0]!.executionStartedEventDetails;
    assert.equal(started?.input, undefined);
    assert.equal(started?.roleArn, ROLE);
    const entered = events.find((e) => e.type === 'PassStateEntered')!.stateEnteredEventDetails;
    assert.equal(entered?.name, 'Step0');
    assert.equal(entered?.input, undefined);
    const exited = events.find((e) => e.type === 'PassStateExited')!.stateExitedEventDetails;
    assert.equal(exited?.name, 'Step0');
    assert.equal(exited?.output, undefined);
    assert.equal(events[events.length - 1]!.executionSucceededEventDetails?.output, undefined);
    // With data (the default) the payloads are there.
    assert.ok(JSON.stringify(all).includes('payload'));
    assert.equal(all[0]!.executionStartedEventDetails?.input, '{"secret":"payload"}');
  });

  test('a history nextToken reused with another reverseOrder or garbage: InvalidToken', async () => {
    const page = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 3 }));
    const nextToken = page.nextToken;
    assert.ok(nextToken !== undefined);
    await assert.rejects(
      client.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 3, reverseOrder: true, nextToken }),
      ),
      InvalidToken,
    );
    await assert.rejects(
      client.send(new GetExecutionHistoryCommand({ executionArn, nextToken: 'not-a-token' })),
      InvalidToken,
    );
  });
});

describe('ListActivities and ListStateMachines paging', () => {
  test('ListActivities pages through every activity once, also while activities are added', async () => {
    const created: string[] = [];
    for (let i = 0; i < 23; i++) {
      created.push(
        (await client.send(new CreateActivityCommand({ name: unique(`page-act-${i}`) }))).activityArn!,
      );
    }
    const seen: string[] = [];
    const added: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(
        new ListActivitiesCommand({ maxResults: 5, ...(nextToken ? { nextToken } : {}) }),
      );
      assert.ok((page.activities?.length ?? 0) <= 5);
      for (const a of page.activities ?? []) {
        assert.ok(a.name && a.activityArn && a.creationDate instanceof Date);
        seen.push(a.activityArn);
      }
      nextToken = page.nextToken;
      pages++;
      if (pages === 2)
        added.push((await client.send(new CreateActivityCommand({ name: unique('late-act') }))).activityArn!);
    } while (nextToken !== undefined);
    assert.equal(new Set(seen).size, seen.length, 'an activity was listed twice');
    for (const arn of created) assert.ok(seen.includes(arn), `${arn} was skipped`);
    assert.ok(pages >= 5);
    await assert.rejects(client.send(new ListActivitiesCommand({ nextToken: 'garbage' })), InvalidToken);
  });

  test('ListStateMachines pages through every machine once', async () => {
    const created: string[] = [];
    for (let i = 0; i < 12; i++) {
      const out = await client.send(
        new CreateStateMachineCommand({
          name: unique(`page-sm-${i}`),
          roleArn: ROLE,
          definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }),
        }),
      );
      created.push(out.stateMachineArn!);
    }
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(
        new ListStateMachinesCommand({ maxResults: 4, ...(nextToken ? { nextToken } : {}) }),
      );
      assert.ok((page.stateMachines?.length ?? 0) <= 4);
      for (const sm of page.stateMachines ?? []) {
        assert.ok(sm.name && sm.stateMachineArn && sm.creationDate instanceof Date);
        assert.equal(sm.type, 'STANDARD');
        seen.push(sm.stateMachineArn);
      }
      nextToken = page.nextToken;
      pages++;
    } while (nextToken !== undefined);
    assert.equal(new Set(seen).size, seen.length, 'a state machine was listed twice');
    for (const arn of created) assert.ok(seen.includes(arn), `${arn} was skipped`);
    assert.ok(pages >= 3);
    // A ListActivities token is not a ListStateMachines token.
    const activities = await client.send(new ListActivitiesCommand({ maxResults: 1 }));
    assert.ok(activities.nextToken !== undefined);
    await assert.rejects(
      client.send(new ListStateMachinesCommand({ nextToken: activities.nextToken })),
      InvalidToken,
    );
  });
});
