/**
 * History event types and the `…EventDetails` member each one fills, as the service model
 * names them. Types not listed carry no details.
 */
import type { StateType } from '../asl/definition.js';

const MEMBERS = new Map<string, string>();

/**
 * `…StateEntered`/`…StateExited` per state type, as constants: a type built with a template
 * literal for every event is a new string that the members lookup must flatten and hash
 * (`detailsMemberFor` was ≈ 5% of the flow benchmark's engine time).
 */
export const STATE_ENTERED: Readonly<Record<StateType, string>> = {
  Choice: 'ChoiceStateEntered',
  Fail: 'FailStateEntered',
  Map: 'MapStateEntered',
  Parallel: 'ParallelStateEntered',
  Pass: 'PassStateEntered',
  Succeed: 'SucceedStateEntered',
  Task: 'TaskStateEntered',
  Wait: 'WaitStateEntered',
};
export const STATE_EXITED: Readonly<Record<StateType, string>> = {
  Choice: 'ChoiceStateExited',
  Fail: 'FailStateExited',
  Map: 'MapStateExited',
  Parallel: 'ParallelStateExited',
  Pass: 'PassStateExited',
  Succeed: 'SucceedStateExited',
  Task: 'TaskStateExited',
  Wait: 'WaitStateExited',
};

for (const type of Object.values(STATE_ENTERED)) MEMBERS.set(type, 'stateEnteredEventDetails');
for (const type of Object.values(STATE_EXITED)) MEMBERS.set(type, 'stateExitedEventDetails');

for (const [type, member] of [
  ['ExecutionStarted', 'executionStartedEventDetails'],
  ['ExecutionSucceeded', 'executionSucceededEventDetails'],
  ['ExecutionFailed', 'executionFailedEventDetails'],
  ['ExecutionTimedOut', 'executionTimedOutEventDetails'],
  ['ExecutionAborted', 'executionAbortedEventDetails'],
  ['ExecutionRedriven', 'executionRedrivenEventDetails'],
  ['ActivityScheduled', 'activityScheduledEventDetails'],
  ['ActivityScheduleFailed', 'activityScheduleFailedEventDetails'],
  ['ActivityStarted', 'activityStartedEventDetails'],
  ['ActivitySucceeded', 'activitySucceededEventDetails'],
  ['ActivityFailed', 'activityFailedEventDetails'],
  ['ActivityTimedOut', 'activityTimedOutEventDetails'],
  ['TaskScheduled', 'taskScheduledEventDetails'],
  ['TaskStarted', 'taskStartedEventDetails'],
  ['TaskStartFailed', 'taskStartFailedEventDetails'],
  ['TaskSubmitted', 'taskSubmittedEventDetails'],
  ['TaskSubmitFailed', 'taskSubmitFailedEventDetails'],
  ['TaskSucceeded', 'taskSucceededEventDetails'],
  ['TaskFailed', 'taskFailedEventDetails'],
  ['TaskTimedOut', 'taskTimedOutEventDetails'],
  ['LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails'],
  ['LambdaFunctionScheduleFailed', 'lambdaFunctionScheduleFailedEventDetails'],
  ['LambdaFunctionStartFailed', 'lambdaFunctionStartFailedEventDetails'],
  ['LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails'],
  ['LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails'],
  ['LambdaFunctionTimedOut', 'lambdaFunctionTimedOutEventDetails'],
  ['MapStateStarted', 'mapStateStartedEventDetails'],
  ['MapIterationStarted', 'mapIterationStartedEventDetails'],
  ['MapIterationSucceeded', 'mapIterationSucceededEventDetails'],
  ['MapIterationFailed', 'mapIterationFailedEventDetails'],
  ['MapIterationAborted', 'mapIterationAbortedEventDetails'],
  ['MapRunStarted', 'mapRunStartedEventDetails'],
  ['MapRunFailed', 'mapRunFailedEventDetails'],
  ['MapRunRedriven', 'mapRunRedrivenEventDetails'],
  ['EvaluationFailed', 'evaluationFailedEventDetails'],
] as const) {
  MEMBERS.set(type, member);
}

export function detailsMemberFor(type: string): string | undefined {
  return MEMBERS.get(type);
}

/**
 * `…Details` of a payload member: never truncated here (payloads are bounded by the data
 * limit). One frozen object shared by every event: a store that keeps events in memory keeps
 * one object fewer per payload (a quarter of the objects a Pass state's events hold).
 */
export const NOT_TRUNCATED: Readonly<{ truncated: false }> = Object.freeze({ truncated: false });

/** The payload members AWS writes. */
export function withInput(text: string): { input: string; inputDetails: Readonly<{ truncated: false }> } {
  return { input: text, inputDetails: NOT_TRUNCATED };
}

export function withOutput(text: string): { output: string; outputDetails: Readonly<{ truncated: false }> } {
  return { output: text, outputDetails: NOT_TRUNCATED };
}
