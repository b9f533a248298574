/**
 * TestState: one state run in isolation (the engine's `testState`), answered at once. Like
 * StartSyncExecution it carries the model's `sync-` host prefix, which clients turn off to
 * reach a local endpoint (docs/compatibility.md).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { InspectionData, InspectionLevel, Json, TestStateRequest } from '@stepwise/core';
import { TestStateRejected, testState, toJsonText } from '@stepwise/core';
import { expressExecutionArn, stateMachineArn } from '../arn.js';
import { ApiError, parseExecutionInput } from '../errors.js';
import type { Input } from '../input.js';
import type { Operation } from './context.js';

export const TestState: Operation = (service, input) => {
  const request = readRequest(input);
  const stateMachineName = randomUUID();
  const executionName = randomUUID();
  let result;
  try {
    result = testState(request, {
      now: service.now(),
      nonce: randomBytes(16).toString('hex'),
      identity: {
        executionArn: expressExecutionArn(service.scope, stateMachineName, executionName, randomUUID()),
        executionName,
        stateMachineArn: stateMachineArn(service.scope, stateMachineName),
        stateMachineName,
      },
      ...(service.limits !== undefined ? { limits: service.limits } : {}),
    });
  } catch (error) {
    if (error instanceof TestStateRejected) throw new ApiError(error.shape, error.message);
    throw error;
  }
  const response: Record<string, unknown> = { status: result.status };
  if (result.output !== undefined) response['output'] = toJsonText(result.output);
  if (result.error !== undefined) response['error'] = result.error;
  if (result.cause !== undefined) response['cause'] = result.cause;
  if (result.nextState !== undefined) response['nextState'] = result.nextState;
  if (result.inspectionData !== undefined) response['inspectionData'] = inspectionData(result.inspectionData);
  return Promise.resolve(response);
};

function readRequest(input: Input): TestStateRequest {
  const request: TestStateRequest = {
    definition: input.string('definition'),
    // AWS tests with `{}` when no input is given.
    input: parseExecutionInput(input.optionalString('input') ?? '{}') as Json,
  };
  const stateName = input.optionalString('stateName');
  if (stateName !== undefined) request.stateName = stateName;
  const level = input.optionalString('inspectionLevel');
  if (level !== undefined) request.inspectionLevel = level as InspectionLevel;
  const revealSecrets = input.optionalBoolean('revealSecrets');
  if (revealSecrets !== undefined) request.revealSecrets = revealSecrets;
  const roleArn = input.optionalString('roleArn');
  if (roleArn !== undefined) request.roleArn = roleArn;
  const variables = input.optionalString('variables');
  if (variables !== undefined) request.variables = variables;
  const context = input.optionalString('context');
  if (context !== undefined) request.context = context;
  const mock = structure(input.raw('mock'));
  if (mock !== undefined) {
    const shaped: NonNullable<TestStateRequest['mock']> = {};
    const result = stringMember(mock, 'result');
    if (result !== undefined) shaped.result = result;
    const errorOutput = structure(mock['errorOutput']);
    if (errorOutput !== undefined) {
      const error = stringMember(errorOutput, 'error');
      const cause = stringMember(errorOutput, 'cause');
      shaped.errorOutput = {
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      };
    }
    const mode = stringMember(mock, 'fieldValidationMode');
    if (mode !== undefined) shaped.fieldValidationMode = mode;
    request.mock = shaped;
  }
  const config = structure(input.raw('stateConfiguration'));
  if (config !== undefined) {
    const shaped: NonNullable<TestStateRequest['stateConfiguration']> = {};
    const retries = numberMember(config, 'retrierRetryCount');
    if (retries !== undefined) shaped.retrierRetryCount = retries;
    const causedBy = stringMember(config, 'errorCausedByState');
    if (causedBy !== undefined) shaped.errorCausedByState = causedBy;
    const failures = numberMember(config, 'mapIterationFailureCount');
    if (failures !== undefined) shaped.mapIterationFailureCount = failures;
    const readerData = stringMember(config, 'mapItemReaderData');
    if (readerData !== undefined) shaped.mapItemReaderData = readerData;
    request.stateConfiguration = shaped;
  }
  return request;
}

/** Members the model gives as numbers or a structure; every other one is a payload, as JSON text. */
const NOT_PAYLOADS = new Set<string>([
  'errorDetails',
  'maxConcurrency',
  'toleratedFailureCount',
  'toleratedFailurePercentage',
]);

function inspectionData(data: InspectionData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [member, value] of Object.entries(data) as [string, Json | undefined][]) {
    if (value === undefined) continue;
    out[member] = NOT_PAYLOADS.has(member) ? value : toJsonText(value);
  }
  return out;
}

// The request was validated against the model: these only narrow its nested structures' types.

function structure(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringMember(object: Record<string, unknown>, name: string): string | undefined {
  const value = object[name];
  return typeof value === 'string' ? value : undefined;
}

function numberMember(object: Record<string, unknown>, name: string): number | undefined {
  const value = object[name];
  return typeof value === 'number' ? value : undefined;
}
