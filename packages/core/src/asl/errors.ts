/**
 * ASL runtime errors: the `States.*` family (and user errors raised by Fail states or task
 * failures). `name` is the error name a Retry/Catch `ErrorEquals` matches; branch on it, never
 * on the cause text.
 */
export class StatesError extends Error {
  override readonly name: string;
  /** The cause as AWS writes it; `null` when the failure carried none (SendTaskFailure without cause). */
  override readonly cause: string | null;
  /**
   * A heartbeat expiry is recorded by AWS as `States.Timeout`, yet `States.HeartbeatTimeout` in
   * ErrorEquals must match it: the flag keeps both facts.
   */
  readonly heartbeat: boolean;
  /** Where in the state it arose (a JSONata field path such as `Output/result`), when known. */
  readonly location: string | undefined;

  constructor(name: string, cause: string | null, options: { heartbeat?: boolean; location?: string } = {}) {
    super(cause ?? name);
    this.name = name;
    this.cause = cause;
    this.heartbeat = options.heartbeat ?? false;
    this.location = options.location;
  }
}

export const StatesErrorName = {
  ALL: 'States.ALL',
  Timeout: 'States.Timeout',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  TaskFailed: 'States.TaskFailed',
  Permissions: 'States.Permissions',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
  ParameterPathFailure: 'States.ParameterPathFailure',
  QueryEvaluationError: 'States.QueryEvaluationError',
  BranchFailed: 'States.BranchFailed',
  NoChoiceMatched: 'States.NoChoiceMatched',
  IntrinsicFailure: 'States.IntrinsicFailure',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
  ItemReaderFailed: 'States.ItemReaderFailed',
  ResultWriterFailed: 'States.ResultWriterFailed',
  DataLimitExceeded: 'States.DataLimitExceeded',
  Runtime: 'States.Runtime',
} as const;

/**
 * A failure as Retry/Catch see it. `error` is null when a task failed without naming an error
 * (SendTaskFailure without `error`): then only States.ALL and States.TaskFailed match it.
 */
export interface Failure {
  error: string | null;
  cause: string | null;
  heartbeat?: boolean;
}

export function failureOf(error: StatesError): Failure {
  return { error: error.name, cause: error.cause, heartbeat: error.heartbeat };
}

/** Errors that no Retry or Catch can handle, not even an explicit name or States.ALL. */
export function isUncatchable(failure: Failure): boolean {
  return failure.error === StatesErrorName.Runtime || failure.error === StatesErrorName.DataLimitExceeded;
}

/** Does one `ErrorEquals` list match this failure, by AWS's rules? */
export function errorEqualsMatches(errorEquals: readonly string[], failure: Failure): boolean {
  if (isUncatchable(failure)) return false;
  for (const name of errorEquals) {
    if (name === StatesErrorName.ALL) return true;
    if (failure.error !== null && name === failure.error) return true;
    if (name === StatesErrorName.HeartbeatTimeout && failure.heartbeat === true) return true;
    if (name === StatesErrorName.TaskFailed && failure.error !== StatesErrorName.Timeout) return true;
  }
  return false;
}
