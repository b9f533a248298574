export { createWorker, SHUTDOWN_ERROR, INVALID_OUTPUT_ERROR } from './worker.js';
export type {
  AnswerFailedEvent,
  HeartbeatFailedEvent,
  Logger,
  PollFailedEvent,
  RetryOptions,
  TaskContext,
  TaskFailedEvent,
  TaskHandler,
  TaskReceivedEvent,
  TaskSucceededEvent,
  Worker,
  WorkerEvents,
  WorkerOptions,
} from './worker.js';
export {
  TaskFailure,
  failureFromThrown,
  isTransient,
  isTaskGone,
  backoffDelay,
  MAX_ERROR_LENGTH,
  MAX_CAUSE_LENGTH,
} from './errors.js';
export type { FailureDetails } from './errors.js';
