/**
 * Small conveniences over @aws-sdk/client-sfn for the runtime tests: create activities and
 * machines with unique names, read a whole history, wait for an execution to finish, and the
 * history checks every test repeats.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetActivityTaskCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { DescribeExecutionOutput, HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';

export const ROLE = 'arn:aws:iam::123456789012:role/stepwise-test';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createActivity(client: SFNClient, prefix = 'act'): Promise<string> {
  const out = await client.send(new CreateActivityCommand({ name: unique(prefix) }));
  return out.activityArn!;
}

export async function createMachine(client: SFNClient, definition: unknown, prefix = 'sm'): Promise<string> {
  const out = await client.send(
    new CreateStateMachineCommand({
      name: unique(prefix),
      definition: JSON.stringify(definition),
      roleArn: ROLE,
    }),
  );
  return out.stateMachineArn!;
}

/** A one-Task machine on an activity; `task` adds fields to the Task state. */
export function taskMachine(
  activityArn: string,
  task: Record<string, unknown> = {},
): Record<string, unknown> {
  return { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: activityArn, End: true, ...task } } };
}

export async function start(client: SFNClient, stateMachineArn: string, input: unknown = {}, name?: string) {
  const out = await client.send(
    new StartExecutionCommand({
      stateMachineArn,
      input: JSON.stringify(input),
      ...(name !== undefined ? { name } : {}),
    }),
  );
  return out.executionArn!;
}

/** One GetActivityTask; answers the token and input, or undefined for an empty answer. */
export async function poll(
  client: SFNClient,
  activityArn: string,
  options: { workerName?: string; abortSignal?: AbortSignal } = {},
): Promise<{ taskToken: string; input: string } | undefined> {
  const out = await client.send(
    new GetActivityTaskCommand({
      activityArn,
      ...(options.workerName !== undefined ? { workerName: options.workerName } : {}),
    }),
    options.abortSignal !== undefined ? { abortSignal: options.abortSignal } : {},
  );
  if (out.taskToken === undefined) return undefined;
  return { taskToken: out.taskToken, input: out.input ?? '' };
}

/** Polls until a task arrives (each poll may come back empty after the server's hold time). */
export async function pollUntilTask(
  client: SFNClient,
  activityArn: string,
  options: { workerName?: string; timeoutMs?: number } = {},
): Promise<{ taskToken: string; input: string }> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    const task = await poll(client, activityArn, options);
    if (task !== undefined) return task;
  }
  throw new Error(`no task for ${activityArn}`);
}

/** Every event of an execution, oldest first, following nextToken. */
export async function history(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return events;
}

export const types = (events: HistoryEvent[]): string[] => events.map((e) => e.type ?? '?');

export async function describeExecution(
  client: SFNClient,
  executionArn: string,
): Promise<DescribeExecutionOutput> {
  return client.send(new DescribeExecutionCommand({ executionArn }));
}

/** Waits (polling DescribeExecution) until the execution leaves RUNNING. */
export async function waitForEnd(
  client: SFNClient,
  executionArn: string,
  timeoutMs = 15_000,
): Promise<DescribeExecutionOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await describeExecution(client, executionArn);
    if (out.status !== 'RUNNING') return out;
    if (Date.now() > deadline) throw new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Waits until the history holds an event of this type; answers the history. */
export async function waitForEvent(
  client: SFNClient,
  executionArn: string,
  type: string,
  timeoutMs = 15_000,
): Promise<HistoryEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await history(client, executionArn);
    if (events.some((e) => e.type === type)) return events;
    if (Date.now() > deadline) throw new Error(`no ${type} in ${executionArn}: ${types(events).join(', ')}`);
    await sleep(50);
  }
}

/** Ids 1..n in order, each previousEventId pointing backwards. */
export function assertWellFormed(events: HistoryEvent[]): void {
  assert.deepEqual(
    events.map((e) => e.id),
    events.map((_, i) => i + 1),
    `event ids are not contiguous: ${events.map((e) => `${e.id}:${e.type}`).join(', ')}`,
  );
  for (const event of events) {
    assert.ok(
      (event.previousEventId ?? -1) >= 0 && (event.previousEventId ?? 0) < (event.id ?? 0),
      `event ${event.id} ${event.type} has previousEventId ${event.previousEventId}`,
    );
  }
}

export function eventOf(events: HistoryEvent[], type: string, nth = 0): HistoryEvent {
  const found = events.filter((e) => e.type === type)[nth];
  assert.ok(found !== undefined, `no ${type} #${nth} in ${types(events).join(', ')}`);
  return found;
}

export function ms(event: HistoryEvent): number {
  assert.ok(event.timestamp instanceof Date, `event ${event.id} has no timestamp`);
  return event.timestamp.getTime();
}
