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

  constructor(name: string, cause: string | null, options: { heartbeat?: boolean } = {}) {
    super(cause ?? name);
    this.name = name;
    this.cause = cause;
    this.heartbeat = options.heartbeat ?? false;
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

/** Errors that no Retry or Catch can handle, not even an explicit name or States.ALL. */
export function isUncatchable(error: StatesError): boolean {
  return error.name === StatesErrorName.Runtime || error.name === StatesErrorName.DataLimitExceeded;
}

/** Does one `ErrorEquals` list match this error, by AWS's rules? */
export function errorEqualsMatches(errorEquals: readonly string[], error: StatesError): boolean {
  if (isUncatchable(error)) return false;
  for (const name of errorEquals) {
    if (name === StatesErrorName.ALL) return true;
    if (name === error.name) return true;
    if (name === StatesErrorName.HeartbeatTimeout && error.heartbeat) return true;
    if (name === StatesErrorName.TaskFailed && error.name !== StatesErrorName.Timeout) return true;
  }
  return false;
}
