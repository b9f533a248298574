/** The Context Object (`$$` in JSONPath) as AWS shapes it. */
import type { Json, JsonObject } from '../json.js';
import type { ExecutionSnapshot } from './types.js';

/** What the context shows of the thread's current state. */
export interface StateView {
  stateName: string;
  enteredTime: number;
  /** `State.RetryCount`: AWS shows it to Task states only. */
  retryCount?: number;
  taskToken?: string;
}

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

export function buildContext(execution: ExecutionSnapshot, view: StateView): JsonObject {
  const state: JsonObject = { EnteredTime: isoMillis(view.enteredTime), Name: view.stateName };
  if (view.retryCount !== undefined) state['RetryCount'] = view.retryCount;
  const executionInfo: JsonObject = {
    Id: execution.executionArn,
    Input: execution.input,
    Name: execution.name,
    RoleArn: execution.roleArn,
    StartTime: isoMillis(execution.startDate),
  };
  if (execution.type !== 'EXPRESS') executionInfo['RedriveCount'] = execution.redriveCount;
  if (execution.redriveDate !== undefined) executionInfo['RedriveTime'] = isoMillis(execution.redriveDate);
  const context: JsonObject = {
    Execution: executionInfo,
    State: state,
    StateMachine: {
      Id: execution.stateMachineArn,
      Name: execution.stateMachineName,
    },
  };
  if (view.taskToken !== undefined) context['Task'] = { Token: view.taskToken } satisfies Json;
  return context;
}
