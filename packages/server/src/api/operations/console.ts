/**
 * The console's extension operations: what the AWS API cannot express, served on `POST /` with
 * `X-Amz-Target: StepwiseConsole.<Op>` (docs/console.md). They read the store and the runtime;
 * none changes an execution. The AWS model does not describe them, so each checks its own input.
 */
import type { ExecutionStatus } from '@stepwise/core';
import type { OperationHandler } from '../http.js';
import { parseActivityArn, parseExecutionArn, parseStateMachineArn } from '../arn.js';
import {
  activityDoesNotExist,
  executionDoesNotExist,
  stateMachineDoesNotExist,
  validation,
} from '../errors.js';
import { decodeToken, encodeToken, isDateArnCursor } from '../pagination.js';
import type { ServiceContext } from './context.js';
import { executionListItem, renderEvent } from './executions.js';

export const CONSOLE_TARGET_PREFIX = 'StepwiseConsole';

type Body = Record<string, unknown>;
type ConsoleOperation = (service: ServiceContext, body: Body) => Promise<Record<string, unknown>>;

const STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];

function optionalString(body: Body, name: string, max = 2048): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validation(`${name} must be a string`);
  if (value.length > max) throw validation(`${name} must be at most ${max} characters`);
  return value;
}

function requiredString(body: Body, name: string): string {
  const value = optionalString(body, name);
  if (value === undefined) throw validation(`${name} is required`);
  return value;
}

function optionalNumber(body: Body, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw validation(`${name} must be a number`);
  return value;
}

function limitOf(body: Body, fallback: number, max: number): number {
  const value = optionalNumber(body, 'maxResults');
  if (value === undefined || value === 0) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw validation(`maxResults must be an integer from 0 to ${max}`);
  return value;
}

/** Epoch seconds (as AWS timestamps travel) to epoch ms. */
function optionalTime(body: Body, name: string): number | undefined {
  const seconds = optionalNumber(body, name);
  return seconds === undefined ? undefined : Math.round(seconds * 1000);
}

const isExecutionCursor = isDateArnCursor('startDate');

/** Executions across state machines with filters AWS's ListExecutions lacks: name prefix, start range. */
const ListExecutions: ConsoleOperation = async (service, body) => {
  const machine = optionalString(body, 'stateMachineArn');
  const stateMachineArn = machine === undefined ? undefined : parseStateMachineArn(machine).arn;
  const status = optionalString(body, 'statusFilter');
  if (status !== undefined && !STATUSES.includes(status as ExecutionStatus))
    throw validation(`statusFilter must be one of ${STATUSES.join(', ')}`);
  const namePrefix = optionalString(body, 'namePrefix', 80);
  const startedAfter = optionalTime(body, 'startedAfter');
  const startedBefore = optionalTime(body, 'startedBefore');
  const filter = {
    ...(stateMachineArn !== undefined ? { stateMachineArn } : {}),
    ...(status !== undefined ? { status: status as ExecutionStatus } : {}),
    ...(namePrefix !== undefined ? { namePrefix } : {}),
    ...(startedAfter !== undefined ? { startedAfter } : {}),
    ...(startedBefore !== undefined ? { startedBefore } : {}),
  };
  const query = `console-executions:${JSON.stringify(filter)}`;
  const after = decodeToken(optionalString(body, 'nextToken', 4096), query, isExecutionCursor);
  const page = await service.store.searchExecutions(filter, {
    limit: limitOf(body, 50, 1000),
    ...(after !== undefined ? { after } : {}),
  });
  return {
    executions: page.items.map(executionListItem),
    ...(page.next !== undefined ? { nextToken: encodeToken(query, page.next) } : {}),
  };
};

/** How many executions of a state machine are in each status. */
const GetStateMachineStats: ConsoleOperation = async (service, body) => {
  const arn = parseStateMachineArn(requiredString(body, 'stateMachineArn')).arn;
  if ((await service.store.getStateMachine(arn)) === undefined) throw stateMachineDoesNotExist(arn);
  const counts = await service.store.countExecutions(arn);
  return { executionCounts: Object.fromEntries(STATUSES.map((status) => [status, counts[status] ?? 0])) };
};

async function existingActivity(service: ServiceContext, body: Body): Promise<string> {
  const arn = parseActivityArn(requiredString(body, 'activityArn')).arn;
  if ((await service.store.getActivity(arn)) === undefined) throw activityDoesNotExist(arn);
  return arn;
}

/** An activity's queued and started tasks, oldest first, without claiming any (no task tokens). */
const ListActivityTasks: ConsoleOperation = async (service, body) => {
  const arn = await existingActivity(service, body);
  const tasks = await service.store.listActivityTasks(arn, limitOf(body, 100, 1000));
  return {
    tasks: tasks.map((task) => ({
      executionArn: task.executionArn,
      status: task.status === 'queued' ? 'QUEUED' : 'STARTED',
      input: task.input,
      scheduledDate: new Date(task.scheduledAt),
      ...(task.workerName !== undefined ? { workerName: task.workerName } : {}),
    })),
  };
};

/** Queued and in-flight counts, the polls waiting now with their worker names, the human flag. */
const GetActivityStats: ConsoleOperation = async (service, body) => {
  const arn = await existingActivity(service, body);
  const counts = await service.store.countActivityTasks(arn);
  const human = (await service.store.humanActivities()).includes(arn);
  return {
    activityArn: arn,
    queued: counts.queued,
    inFlight: counts.started,
    human,
    pollers: service.runtime.waitingPollerList(arn).map((poller) => ({
      since: new Date(poller.since),
      ...(poller.workerName !== undefined ? { workerName: poller.workerName } : {}),
    })),
  };
};

/** Marks (or unmarks) an activity as answered by people: its tasks appear in the console's inbox. */
const SetActivityHuman: ConsoleOperation = async (service, body) => {
  const arn = await existingActivity(service, body);
  const human = body['human'];
  if (typeof human !== 'boolean') throw validation('human must be a boolean');
  await service.store.setActivityHuman(arn, human);
  return {};
};

const ListHumanActivities: ConsoleOperation = async (service) => ({
  activityArns: await service.store.humanActivities(),
});

/**
 * History events after an id, oldest first, in GetExecutionHistory's shape: the console polls
 * it for what is new without paging through the history again.
 */
const GetExecutionEvents: ConsoleOperation = async (service, body) => {
  const arn = parseExecutionArn(requiredString(body, 'executionArn')).arn;
  const execution = await service.store.getExecution(arn);
  if (execution === undefined) throw executionDoesNotExist(arn);
  const afterEventId = optionalNumber(body, 'afterEventId') ?? 0;
  if (!Number.isInteger(afterEventId) || afterEventId < 0)
    throw validation('afterEventId must be a non-negative integer');
  const limit = limitOf(body, 1000, 5000);
  const events = await service.store.getHistory({
    executionArn: arn,
    reverse: false,
    afterId: afterEventId,
    limit,
  });
  return {
    status: execution.status,
    events: events.map((event) => renderEvent(event, true)),
    more: events.length === limit,
  };
};

const CONSOLE_OPERATIONS: Record<string, ConsoleOperation> = {
  ListExecutions,
  GetStateMachineStats,
  ListActivityTasks,
  GetActivityStats,
  SetActivityHuman,
  ListHumanActivities,
  GetExecutionEvents,
};

export function createConsoleOperations(service: ServiceContext): Record<string, OperationHandler> {
  const table: Record<string, OperationHandler> = {};
  for (const [name, operation] of Object.entries(CONSOLE_OPERATIONS)) {
    table[name] = (body) => operation(service, body);
  }
  return table;
}
