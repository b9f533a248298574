/**
 * The activity worker: N long polls, a handler per task, automatic heartbeats, answers that
 * survive transient API errors, and a shutdown that never takes a task and then drops it.
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import {
  GetActivityTaskCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import type { FailureDetails } from './errors.js';
import { backoffDelay, errorName, failureFromThrown, isTaskGone, isTransient } from './errors.js';

export interface TaskContext {
  readonly taskToken: string;
  readonly workerName: string;
  /**
   * Aborted when the task can no longer be answered (a heartbeat learned it timed out) or when
   * the worker's shutdown deadline passed; a long handler should stop its work then.
   */
  readonly signal: AbortSignal;
  /** Sends a heartbeat now (automatic ones are sent anyway). Rejects once the task is gone. */
  heartbeat(): Promise<void>;
}

export type TaskHandler<TInput, TOutput> = (
  input: TInput,
  context: TaskContext,
) => Promise<TOutput> | TOutput;

/** Any of console, pino-like or custom loggers: only the methods present are used. */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, fields?: Record<string, unknown>): void;
}

export interface RetryOptions {
  /** First back-off ceiling (default 100 ms); doubles per attempt, with full jitter. */
  baseMs?: number;
  /** Largest back-off (default 20 s). */
  maxMs?: number;
  /** Attempts for one answer or heartbeat before giving up (default 10); polls retry forever. */
  maxAttempts?: number;
}

export interface WorkerOptions<TInput, TOutput> {
  activityArn: string;
  handler: TaskHandler<TInput, TOutput>;
  /** Tasks handled at once, and long polls open while idle (default 1). */
  concurrency?: number;
  /** Recorded in the ActivityStarted event (default `<hostname>-<pid>`). */
  workerName?: string;
  /**
   * Seconds between automatic heartbeats while a handler runs (default 10; 0 turns them off).
   * Keep it below the smallest `HeartbeatSeconds` of the states this activity serves.
   */
  heartbeatSeconds?: number;
  /**
   * The client to call. Default: `new SFNClient({})` (endpoint and region from the environment,
   * e.g. AWS_ENDPOINT_URL_SFN) with enough sockets for `concurrency` long polls plus answers.
   */
  client?: SFNClient;
  /** Aborting it stops the worker, as `stop()` does. */
  signal?: AbortSignal;
  /** Default: warnings and errors to the console. */
  logger?: Logger;
  /** How long `stop()` waits for open polls and running handlers (default 60 s). */
  shutdownTimeoutMs?: number;
  /** Signals that stop the worker while `run()` is active (default SIGTERM and SIGINT; `[]` for none). */
  stopOnSignals?: readonly NodeJS.Signals[];
  retry?: RetryOptions;
}

export interface TaskReceivedEvent {
  taskToken: string;
  /** The task's input as JSON text, exactly as received. */
  input: string;
  workerName: string;
}
export interface TaskSucceededEvent {
  taskToken: string;
  durationMs: number;
}
export interface TaskFailedEvent {
  taskToken: string;
  error: string;
  cause: string;
  durationMs: number;
}
export interface HeartbeatFailedEvent {
  taskToken: string;
  error: unknown;
  /** True when the service says the task is over (TaskTimedOut…): the handler's signal is aborted. */
  taskGone: boolean;
}
export interface AnswerFailedEvent {
  taskToken: string;
  outcome: 'success' | 'failure';
  error: unknown;
  /** True when the task was already over; false when retries ran out. */
  taskGone: boolean;
}
export interface PollFailedEvent {
  error: unknown;
  /** When the next poll is made; undefined when the error is fatal and the worker stops. */
  retryInMs: number | undefined;
}

export interface WorkerEvents {
  taskReceived: TaskReceivedEvent;
  taskSucceeded: TaskSucceededEvent;
  taskFailed: TaskFailedEvent;
  heartbeatFailed: HeartbeatFailedEvent;
  answerFailed: AnswerFailedEvent;
  pollFailed: PollFailedEvent;
}

export interface Worker {
  /**
   * Polls until stopped; resolves when the last task taken has been answered. Rejects (after
   * finishing in-flight tasks) when polling hits an error that retrying cannot fix, such as
   * ActivityDoesNotExist.
   */
  run(): Promise<void>;
  /**
   * Stops polling and waits for in-flight work, at most `deadlineMs` (default: the worker's
   * `shutdownTimeoutMs`). A task that a poll already in flight returns is still run.
   */
  stop(options?: { deadlineMs?: number }): Promise<void>;
  /** Tasks whose handler is running or whose answer is being sent. */
  readonly inFlight: number;
  readonly running: boolean;
  on<K extends keyof WorkerEvents>(event: K, listener: (event: WorkerEvents[K]) => void): this;
  off<K extends keyof WorkerEvents>(event: K, listener: (event: WorkerEvents[K]) => void): this;
}

/** The error sent for a task still running when the shutdown deadline passes. */
export const SHUTDOWN_ERROR = 'Worker.ShutdownTimeout';
/** The error sent when the service refuses a handler's output (too large, not JSON). */
export const INVALID_OUTPUT_ERROR = 'Worker.InvalidOutput';

const DEFAULT_LOGGER: Logger = {
  warn: (message, fields) => console.warn(message, fields ?? ''),
  error: (message, fields) => console.error(message, fields ?? ''),
};

export function createWorker<TInput = unknown, TOutput = unknown>(
  options: WorkerOptions<TInput, TOutput>,
): Worker {
  return new ActivityWorker(options);
}

interface RunningTask {
  /** Called at the shutdown deadline: answer with SHUTDOWN_ERROR now. */
  force(): void;
}

class Stopped extends Error {
  constructor() {
    super('worker stopped');
    this.name = 'Stopped';
  }
}

class ActivityWorker<TInput, TOutput> implements Worker {
  private readonly emitter = new EventEmitter();
  private readonly client: SFNClient;
  private readonly ownsClient: boolean;
  private readonly concurrency: number;
  private readonly workerName: string;
  private readonly heartbeatMs: number;
  private readonly logger: Logger;
  private readonly shutdownTimeoutMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly retryMaxAttempts: number;
  private readonly tasks = new Set<RunningTask>();
  /** Aborts open polls and back-off sleeps: only at the shutdown deadline (see stop()). */
  private readonly hardStop = new AbortController();
  /** Wakes back-off sleeps between polls as soon as stop() is called. */
  private readonly softStop = new AbortController();
  private runPromise: Promise<void> | undefined;
  private fatal: unknown;
  private stopping = false;
  private finished = false;
  private deadline: NodeJS.Timeout | undefined;

  constructor(private readonly options: WorkerOptions<TInput, TOutput>) {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    const heartbeatSeconds = options.heartbeatSeconds ?? 10;
    if (!(heartbeatSeconds >= 0)) throw new RangeError('heartbeatSeconds must be ≥ 0');
    this.concurrency = concurrency;
    // Every open poll listens on the hard-stop signal; N of them are expected, not a leak.
    setMaxListeners(concurrency + 16, this.hardStop.signal);
    this.heartbeatMs = heartbeatSeconds * 1000;
    this.workerName = options.workerName ?? `${hostname()}-${process.pid}`;
    this.logger = options.logger ?? DEFAULT_LOGGER;
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? 60_000;
    this.retryBaseMs = options.retry?.baseMs ?? 100;
    this.retryMaxMs = options.retry?.maxMs ?? 20_000;
    this.retryMaxAttempts = options.retry?.maxAttempts ?? 10;
    if (options.client !== undefined) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      // Each idle poll holds a socket for up to a minute; the SDK's default pool of 50 would
      // starve answers at high concurrency. Retries are ours (classified), not the SDK's too.
      const maxSockets = concurrency * 2 + 4;
      this.client = new SFNClient({
        maxAttempts: 1,
        requestHandler: { httpAgent: { maxSockets }, httpsAgent: { maxSockets } },
      });
      this.ownsClient = true;
    }
    if (options.signal !== undefined) {
      if (options.signal.aborted) this.stopping = true;
      else options.signal.addEventListener('abort', () => void this.stop(), { once: true });
    }
  }

  get inFlight(): number {
    return this.tasks.size;
  }

  get running(): boolean {
    return this.runPromise !== undefined && !this.finished;
  }

  on<K extends keyof WorkerEvents>(event: K, listener: (event: WorkerEvents[K]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<K extends keyof WorkerEvents>(event: K, listener: (event: WorkerEvents[K]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  run(): Promise<void> {
    this.runPromise ??= this.runLoops();
    return this.runPromise;
  }

  async stop(options: { deadlineMs?: number } = {}): Promise<void> {
    const deadlineMs = options.deadlineMs ?? this.shutdownTimeoutMs;
    if (!this.stopping) {
      this.stopping = true;
      this.logger.info?.('stepwise worker: stopping', { inFlight: this.tasks.size });
      this.softStop.abort();
    }
    // A later stop() with a shorter deadline shortens it (a second Ctrl-C means "now").
    if (this.runPromise === undefined || this.finished) return;
    clearTimeout(this.deadline);
    if (deadlineMs <= 0) this.forceStop();
    else this.deadline = setTimeout(() => this.forceStop(), deadlineMs);
    await this.runPromise.catch(() => undefined);
  }

  private forceStop(): void {
    if (this.hardStop.signal.aborted) return;
    this.hardStop.abort();
    for (const task of this.tasks) task.force();
  }

  private async runLoops(): Promise<void> {
    const removeSignals = this.installSignals();
    try {
      const loops: Promise<void>[] = [];
      for (let i = 0; i < this.concurrency; i++) loops.push(this.loop());
      await Promise.all(loops);
    } finally {
      removeSignals();
      clearTimeout(this.deadline);
      this.finished = true;
      if (this.ownsClient) this.client.destroy();
    }
    if (this.fatal !== undefined) {
      throw this.fatal instanceof Error ? this.fatal : new Error(describeError(this.fatal));
    }
  }

  private installSignals(): () => void {
    const signals = this.options.stopOnSignals ?? ['SIGTERM', 'SIGINT'];
    let received = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      received++;
      if (received === 1) {
        this.logger.warn?.(`stepwise worker: ${signal}, finishing in-flight tasks (again to stop now)`, {
          inFlight: this.tasks.size,
        });
        void this.stop();
      } else {
        // A second signal: stop waiting for open polls and answer running tasks with a failure.
        void this.stop({ deadlineMs: 0 });
      }
    };
    for (const signal of signals) process.on(signal, onSignal);
    return () => {
      for (const signal of signals) process.off(signal, onSignal);
    };
  }

  /** One of N lanes: poll, run the task, poll again. */
  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping && this.fatal === undefined) {
      let task: { taskToken: string; input: string } | undefined;
      try {
        const answer = await this.client.send(
          new GetActivityTaskCommand({ activityArn: this.options.activityArn, workerName: this.workerName }),
          { abortSignal: this.hardStop.signal },
        );
        failures = 0;
        if (answer.taskToken !== undefined && answer.taskToken !== '') {
          task = { taskToken: answer.taskToken, input: answer.input ?? 'null' };
        }
      } catch (error) {
        if (this.hardStop.signal.aborted) return;
        if (!isTransient(error)) {
          this.fatal ??= error;
          this.emit('pollFailed', { error, retryInMs: undefined });
          this.logger.error?.('stepwise worker: polling failed, stopping', { error: describeError(error) });
          // The other lanes finish what they hold; stop() arms the deadline for them.
          void this.stop();
          return;
        }
        const delay = backoffDelay(failures++, this.retryBaseMs * 5, this.retryMaxMs);
        this.emit('pollFailed', { error, retryInMs: delay });
        this.logger.warn?.('stepwise worker: poll failed, retrying', {
          error: describeError(error),
          retryInMs: delay,
        });
        await sleep(delay, this.softStop.signal).catch(() => undefined);
        continue;
      }
      // An empty poll is the normal answer of an idle activity: poll again at once.
      if (task !== undefined) await this.runTask(task.taskToken, task.input);
    }
  }

  private async runTask(taskToken: string, rawInput: string): Promise<void> {
    const started = performance.now();
    const controller = new AbortController();
    const forced = deferred<'forced'>();
    const running: RunningTask = {
      force: () => {
        controller.abort(new Error('the worker is shutting down'));
        forced.resolve('forced');
      },
    };
    this.tasks.add(running);
    this.emit('taskReceived', { taskToken, input: rawInput, workerName: this.workerName });

    let gone = false;
    let pendingHeartbeat: Promise<void> | undefined;
    const heartbeat = (): Promise<void> => {
      if (gone) return Promise.reject(new Error('the task is over'));
      pendingHeartbeat ??= this.sendHeartbeat(taskToken)
        .catch((error: unknown) => {
          const taskGone = isTaskGone(error);
          this.emit('heartbeatFailed', { taskToken, error, taskGone });
          if (taskGone) {
            gone = true;
            controller.abort(error);
          }
          throw error;
        })
        .finally(() => (pendingHeartbeat = undefined));
      return pendingHeartbeat;
    };
    const timer =
      this.heartbeatMs > 0
        ? setInterval(() => heartbeat().catch(() => undefined), this.heartbeatMs)
        : undefined;

    const context: TaskContext = {
      taskToken,
      workerName: this.workerName,
      signal: controller.signal,
      heartbeat,
    };
    const outcome = (async (): Promise<
      { ok: true; output: string } | { ok: false; failure: FailureDetails }
    > => {
      try {
        const input = JSON.parse(rawInput) as TInput;
        const result = await this.options.handler(input, context);
        return { ok: true, output: JSON.stringify(result) ?? 'null' };
      } catch (error) {
        return { ok: false, failure: failureFromThrown(error) };
      }
    })();

    try {
      const settled = await Promise.race([outcome, forced.promise]);
      clearInterval(timer);
      const elapsed = (): number => performance.now() - started;
      if (gone) {
        // A heartbeat already learned the task is over; an answer would only be refused.
        this.logger.warn?.('stepwise worker: task timed out while its handler ran; result dropped', {
          taskToken,
        });
        return;
      }
      if (settled === 'forced') {
        const failure = { error: SHUTDOWN_ERROR, cause: 'The worker shut down before the task finished.' };
        await this.answerFailure(taskToken, failure, elapsed);
        return;
      }
      if (settled.ok) await this.answerSuccess(taskToken, settled.output, elapsed);
      else await this.answerFailure(taskToken, settled.failure, elapsed);
    } finally {
      clearInterval(timer);
      this.tasks.delete(running);
    }
  }

  private async answerSuccess(taskToken: string, output: string, elapsed: () => number): Promise<void> {
    try {
      await this.withRetry(() => this.client.send(new SendTaskSuccessCommand({ taskToken, output })));
      this.emit('taskSucceeded', { taskToken, durationMs: elapsed() });
    } catch (error) {
      if (errorName(error) === 'InvalidOutput') {
        // The output is too large or not acceptable: fail the task so the state machine can
        // Retry or Catch it, rather than leaving it to time out.
        const failure = { error: INVALID_OUTPUT_ERROR, cause: describeError(error).slice(0, 32_768) };
        await this.answerFailure(taskToken, failure, elapsed);
        return;
      }
      this.answerFailed(taskToken, 'success', error);
    }
  }

  private async answerFailure(
    taskToken: string,
    failure: FailureDetails,
    elapsed: () => number,
  ): Promise<void> {
    try {
      await this.withRetry(() =>
        this.client.send(
          new SendTaskFailureCommand({ taskToken, error: failure.error, cause: failure.cause }),
        ),
      );
      this.emit('taskFailed', { taskToken, ...failure, durationMs: elapsed() });
    } catch (error) {
      this.answerFailed(taskToken, 'failure', error);
    }
  }

  private answerFailed(taskToken: string, outcome: 'success' | 'failure', error: unknown): void {
    const taskGone = isTaskGone(error);
    this.emit('answerFailed', { taskToken, outcome, error, taskGone });
    const message = taskGone
      ? 'stepwise worker: the task was already over when answered; dropped'
      : 'stepwise worker: could not answer the task';
    this.logger[taskGone ? 'warn' : 'error']?.(message, { taskToken, error: describeError(error) });
  }

  private async sendHeartbeat(taskToken: string): Promise<void> {
    await this.withRetry(() => this.client.send(new SendTaskHeartbeatCommand({ taskToken })), 3);
  }

  /**
   * Retries transient errors with jittered back-off. Answers keep retrying through a shutdown
   * (a task taken must be answered) but not past the hard deadline.
   */
  private async withRetry<T>(call: () => Promise<T>, attempts = this.retryMaxAttempts): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!isTransient(error) || attempt + 1 >= attempts || this.hardStop.signal.aborted) throw error;
        const delay = backoffDelay(attempt, this.retryBaseMs, this.retryMaxMs);
        this.logger.debug?.('stepwise worker: retrying', { error: describeError(error), retryInMs: delay });
        try {
          await sleep(delay, this.hardStop.signal);
        } catch {
          throw error;
        }
      }
    }
  }

  private emit<K extends keyof WorkerEvents>(event: K, payload: WorkerEvents[K]): void {
    this.logger.debug?.(`stepwise worker: ${event}`, { ...payload });
    try {
      this.emitter.emit(event, payload);
    } catch (error) {
      // A listener's bug must not take a task down with it.
      this.logger.error?.(`stepwise worker: a '${event}' listener threw`, { error: describeError(error) });
    }
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Resolves after `ms`, or early (rejecting with Stopped) when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new Stopped());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Stopped());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
