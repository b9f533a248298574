/**
 * How a handler's outcome becomes a SendTaskFailure, and which API errors are worth retrying.
 * Both are plain functions so the README's mapping table and the tests read the same code.
 */

/** AWS's limits for SendTaskFailure: `error` up to 256 characters, `cause` up to 32,768. */
export const MAX_ERROR_LENGTH = 256;
export const MAX_CAUSE_LENGTH = 32_768;

/**
 * A failure with an explicit error name, for `Retry`/`Catch` `ErrorEquals` to match:
 * `throw TaskFailure.create('AgeCheckFailed', 'child under 18 is not allowed')`.
 */
export class TaskFailure extends Error {
  /** The `error` sent with SendTaskFailure. */
  readonly error: string;
  /**
   * The `cause` sent with SendTaskFailure (empty when not given). It shadows `Error.cause`
   * on purpose: in a task failure, "cause" is the Step Functions field.
   */
  override readonly cause: string;

  constructor(error: string, cause = '') {
    super(cause === '' ? error : cause);
    this.name = 'TaskFailure';
    this.error = error;
    this.cause = cause;
  }

  static create(error: string, cause?: string): TaskFailure {
    return new TaskFailure(error, cause);
  }
}

export interface FailureDetails {
  error: string;
  cause: string;
}

/**
 * The documented mapping from whatever a handler threw to SendTaskFailure's `error`/`cause`:
 *
 * - `TaskFailure`: its `error` and `cause`.
 * - any other `Error`: `error` is its `name`, or its class name when `name` was left at the
 *   inherited `'Error'` (so `class AgeCheckFailed extends Error {}` reads `AgeCheckFailed`);
 *   `cause` is its `message`.
 * - anything else (a thrown string, object…): `error` is `'Error'`, `cause` is the value as a
 *   string (JSON for objects).
 *
 * Both are truncated to AWS's limits, so a long message never turns into a rejected request.
 */
export function failureFromThrown(thrown: unknown): FailureDetails {
  if (thrown instanceof TaskFailure) return truncate(thrown.error, thrown.cause);
  if (thrown instanceof Error) {
    const className = thrown.constructor.name;
    const name =
      thrown.name === 'Error' && className !== '' && className !== 'Error' ? className : thrown.name;
    return truncate(name === '' ? 'Error' : name, thrown.message);
  }
  return truncate('Error', describe(thrown));
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function truncate(error: string, cause: string): FailureDetails {
  return { error: error.slice(0, MAX_ERROR_LENGTH), cause: cause.slice(0, MAX_CAUSE_LENGTH) };
}

/** The SDK's error shape, read defensively: a thrown value may be anything. */
interface ErrorLike {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  $retryable?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function asErrorLike(error: unknown): ErrorLike | undefined {
  return typeof error === 'object' && error !== null ? error : undefined;
}

export function errorName(error: unknown): string {
  const e = asErrorLike(error);
  return typeof e?.name === 'string' ? e.name : 'Error';
}

/** The task no longer exists for us: answering again can never succeed, so log and drop. */
const TASK_GONE = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

export function isTaskGone(error: unknown): boolean {
  return TASK_GONE.has(errorName(error));
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Worth retrying: throttling, a 5xx from the service, or the network failing underneath. A 4xx
 * that is not throttling (a bad ARN, a missing activity, a task that is gone) never heals by
 * itself, so it is not retried.
 */
export function isTransient(error: unknown): boolean {
  const e = asErrorLike(error);
  if (e === undefined) return false;
  if (isTaskGone(error)) return false;
  if (typeof e.name === 'string' && THROTTLING.has(e.name)) return true;
  if (e.$retryable !== undefined && e.$retryable !== null) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status >= 500 || status === 429;
  if (e.$fault === 'server') return true;
  // Network errors carry a code, sometimes on a wrapped cause.
  for (let current: ErrorLike | undefined = e, depth = 0; current !== undefined && depth < 4; depth++) {
    if (typeof current.code === 'string' && NETWORK_CODES.has(current.code)) return true;
    current = asErrorLike(current.cause);
  }
  return false;
}

/** "Full jitter" exponential backoff: uniform in [0, min(cap, base·2^attempt)]. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(random() * ceiling);
}
