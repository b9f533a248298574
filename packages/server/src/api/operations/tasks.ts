/** GetActivityTask (the long poll) and the SendTask* answers a worker gives. */
import type { Json } from '@stepwise/core';
import { decodeTaskToken } from '@stepwise/core';
import type { DeliverOutcome } from '../../runtime/runtime.js';
import { parseActivityArn } from '../arn.js';
import {
  activityDoesNotExist,
  invalidToken,
  parseTaskOutput,
  taskDoesNotExist,
  taskTimedOut,
} from '../errors.js';
import type { Operation, ServiceContext } from './context.js';

export const GetActivityTask: Operation = async (service, input, request) => {
  const arn = parseActivityArn(input.string('activityArn')).arn;
  if (!(await service.runtime.activityExists(arn))) throw activityDoesNotExist(arn);
  const workerName = input.optionalString('workerName');
  const task = await service.runtime.pollActivityTask({
    activityArn: arn,
    ...(workerName !== undefined ? { workerName } : {}),
    signal: request.signal,
    isConnected: () => request.isConnected(),
  });
  return task === undefined ? {} : { taskToken: task.taskToken, input: task.input };
};

function executionOf(token: string): string {
  const parts = decodeTaskToken(token);
  if (parts === undefined) throw invalidToken();
  return parts.executionArn;
}

function answered(outcome: DeliverOutcome): Record<string, unknown> {
  switch (outcome.kind) {
    case 'applied':
      return {};
    case 'missing':
      throw taskDoesNotExist();
    case 'rejected':
      throw taskTimedOut();
    default: {
      const never: never = outcome;
      throw new Error(`unknown outcome ${JSON.stringify(never)}`);
    }
  }
}

async function deliverToTask(
  service: ServiceContext,
  token: string,
  event: Parameters<ServiceContext['runtime']['deliver']>[1],
  executionArn = executionOf(token),
): Promise<Record<string, unknown>> {
  return answered(await service.runtime.deliver(executionArn, event));
}

export const SendTaskSuccess: Operation = async (service, input) => {
  const token = input.string('taskToken');
  // The token is checked before the output: a bad token is InvalidToken whatever the output.
  const executionArn = executionOf(token);
  const output = parseTaskOutput(input.string('output')) as Json;
  return deliverToTask(service, token, { type: 'TaskSucceeded', token, output }, executionArn);
};

export const SendTaskFailure: Operation = async (service, input) => {
  const token = input.string('taskToken');
  return deliverToTask(service, token, {
    type: 'TaskFailed',
    token,
    error: input.optionalString('error') ?? null,
    cause: input.optionalString('cause') ?? null,
  });
};

export const SendTaskHeartbeat: Operation = async (service, input) => {
  const token = input.string('taskToken');
  return deliverToTask(service, token, { type: 'TaskHeartbeat', token });
};
