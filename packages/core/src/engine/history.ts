/**
 * History event types and the `…EventDetails` member each one fills, as the service model
 * names them. Types not listed carry no details.
 */
const STATE_TYPES = ['Choice', 'Fail', 'Map', 'Parallel', 'Pass', 'Succeed', 'Task', 'Wait'] as const;

const MEMBERS = new Map<string, string>();

for (const type of STATE_TYPES) {
  MEMBERS.set(`${type}StateEntered`, 'stateEnteredEventDetails');
  MEMBERS.set(`${type}StateExited`, 'stateExitedEventDetails');
}

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

/** The payload members AWS writes (never truncated here: payloads are bounded by the data limit). */
export function withInput(text: string): { input: string; inputDetails: { truncated: boolean } } {
  return { input: text, inputDetails: { truncated: false } };
}

export function withOutput(text: string): { output: string; outputDetails: { truncated: boolean } } {
  return { output: text, outputDetails: { truncated: false } };
}
