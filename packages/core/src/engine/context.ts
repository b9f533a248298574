/** The Context Object (`$$` in JSONPath) as AWS shapes it. */
import type { Json, JsonObject } from '../json.js';
import type { ExecutionSnapshot, ThreadRecord } from './types.js';

/**
 * Formatting a date is a large share of a Pass state's cost, and one transition asks for the
 * same few instants (its `now`, the execution's start) over and over: the last two are kept.
 */
let lastMs = NaN;
let lastIso = '';
let priorMs = NaN;
let priorIso = '';

export function isoMillis(epochMs: number): string {
  if (epochMs === lastMs) return lastIso;
  if (epochMs === priorMs) return priorIso;
  const iso = new Date(epochMs).toISOString();
  priorMs = lastMs;
  priorIso = lastIso;
  lastMs = epochMs;
  lastIso = iso;
  return iso;
}

export function buildContext(
  execution: ExecutionSnapshot,
  thread: ThreadRecord,
  extra: { taskToken?: string; retryCount?: boolean } = {},
): JsonObject {
  const state: JsonObject = { EnteredTime: isoMillis(thread.enteredTime), Name: thread.stateName };
  if (extra.retryCount === true) state['RetryCount'] = thread.retryCounts.reduce((sum, n) => sum + n, 0);
  const executionInfo: JsonObject = {
    Id: execution.executionArn,
    Input: execution.input,
    Name: execution.name,
    RoleArn: execution.roleArn,
    StartTime: isoMillis(execution.startDate),
  };
  if (execution.type !== 'EXPRESS') executionInfo['RedriveCount'] = execution.redriveCount;
  const context: JsonObject = {
    Execution: executionInfo,
    State: state,
    StateMachine: {
      Id: execution.stateMachineArn,
      Name: execution.stateMachineName,
    },
  };
  if (extra.taskToken !== undefined) context['Task'] = { Token: extra.taskToken } satisfies Json;
  return context;
}
