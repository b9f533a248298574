/**
 * An in-memory stand-in for the runtime, for engine unit tests: it holds the execution row,
 * its threads, the activity tasks and timers the effects describe, and a fake clock. Every
 * event goes through `transition()` exactly as the runtime sends it; an accepted result is
 * applied the way the runtime commits it.
 */
import assert from 'node:assert/strict';
import type { Json } from '../src/json.js';
import type { StateMachineDefinition } from '../src/asl/definition.js';
import { validateDefinition } from '../src/asl/validate.js';
import { transition } from '../src/engine/transition.js';
import type { EngineLimits } from '../src/engine/step.js';
import type {
  IntegrationCall,
  MapRunStart,
  ActivityTaskRecord,
  EngineEnvironment,
  EngineEvent,
  ExecutionSnapshot,
  HistoryEvent,
  Rejection,
  ThreadRecord,
  TimerRecord,
  TransitionResult,
} from '../src/engine/types.js';

export const REGION_ACCOUNT = 'us-east-1:123456789012';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION_ACCOUNT}:stateMachine:Machine`;
export const EXECUTION_ARN = `arn:aws:states:${REGION_ACCOUNT}:execution:Machine:exec-1`;
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/StepwiseRole';
export const ACTIVITY_ARN = `arn:aws:states:${REGION_ACCOUNT}:activity:ageCheck`;
/** 2024-01-02T03:04:05.678Z: a start time with milliseconds, as AWS timestamps have. */
export const START = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

/** One history event as [type, id, previousEventId, details]; details are absent for detail-less events. */
export type HistoryTuple = [string, number, number, Record<string, Json> | undefined];

export interface ExecutionRow extends ExecutionSnapshot {
  output?: string;
  error?: string | null;
  cause?: string | null;
  stopDate?: number;
}

export interface HarnessOptions {
  /** Activities that exist; default: ACTIVITY_ARN only. */
  activities?: Iterable<string>;
  limits?: EngineLimits;
  /** Epoch ms of StartExecution; default START. */
  now?: number;
  /** The mock test case the execution runs with. */
  testCase?: string;
}

/** The definition as the engine gets it: validated first, so a test cannot run an invalid one. */
export function parseDefinition(definition: object): StateMachineDefinition {
  const { definition: parsed, diagnostics } = validateDefinition(JSON.stringify(definition));
  if (parsed === undefined) {
    assert.fail(
      `invalid test definition: ${diagnostics.map((d) => `${d.code} ${d.message} at ${d.location}`).join('; ')}`,
    );
  }
  return parsed;
}

export class Harness {
  readonly definition: StateMachineDefinition;
  readonly execution: ExecutionRow;
  readonly threads = new Map<string, ThreadRecord>();
  /** The redrive snapshot the last unsuccessful close left (what a store keeps for RedriveExecution). */
  redriveThreads: ThreadRecord[] = [];
  readonly events: HistoryEvent[] = [];
  readonly tasks = new Map<string, ActivityTaskRecord>();
  readonly timers = new Map<string, TimerRecord>();
  readonly activities: Set<string>;
  /** The current time of the fake clock, epoch ms. */
  now: number;
  limits: EngineLimits | undefined;
  /** Every result `transition()` answered, accepted or not. */
  readonly results: TransitionResult[] = [];
  private nonces = 0;

  constructor(definition: object, input: Json, options: HarnessOptions = {}) {
    this.definition = parseDefinition(definition);
    this.now = options.now ?? START;
    this.activities = new Set(options.activities ?? [ACTIVITY_ARN]);
    this.limits = options.limits;
    this.execution = {
      executionArn: EXECUTION_ARN,
      stateMachineArn: STATE_MACHINE_ARN,
      stateMachineName: 'Machine',
      name: 'exec-1',
      roleArn: ROLE_ARN,
      input,
      startDate: this.now,
      status: 'RUNNING',
      nextEventId: 1,
      redriveCount: 0,
    };
    if (options.testCase !== undefined) this.execution.testCase = options.testCase;
  }

  /** The environment the next transition gets: a fresh, deterministic nonce. */
  env(): EngineEnvironment {
    const nonce = (++this.nonces).toString(16).padStart(32, '0');
    return { now: this.now, nonce, activityExists: (arn) => this.activities.has(arn) };
  }

  snapshot(): ExecutionSnapshot {
    const { output: _o, error: _e, cause: _c, stopDate: _s, ...snapshot } = this.execution;
    return structuredClone(snapshot);
  }

  /** Sends one event through the engine and applies the answer when it is accepted. */
  deliver(event: EngineEvent): TransitionResult {
    const threads =
      event.type === 'RedriveExecution'
        ? this.redriveThreads
        : this.execution.status === 'RUNNING'
          ? [...this.threads.values()]
          : [];
    const args = [this.definition, this.snapshot(), structuredClone(threads), event, this.env()] as const;
    const result = this.limits === undefined ? transition(...args) : transition(...args, this.limits);
    this.results.push(result);
    if (result.ok) this.apply(result);
    return result;
  }

  /** Map Runs the engine asked the runtime to start or abort (Distributed Map). */
  readonly mapRunsStarted: MapRunStart[] = [];
  readonly mapRunsAborted: string[] = [];
  /** Integration calls the engine asked the runtime to make, in order. */
  readonly calls: IntegrationCall[] = [];
  /** Nested executions the engine asked the runtime to stop. */
  readonly childrenStopped: string[] = [];

  private apply(result: Extract<TransitionResult, { ok: true }>): void {
    result.events.forEach((event, i) => {
      assert.equal(event.id, this.execution.nextEventId + i, 'event ids are consecutive');
      this.events.push(event);
    });
    assert.equal(result.execution.nextEventId, this.execution.nextEventId + result.events.length);
    const { redriven, ...patch } = result.execution;
    if (redriven !== undefined) {
      // As a store applies a redrive: the outcome of the previous attempt goes first.
      delete this.execution.output;
      delete this.execution.error;
      delete this.execution.cause;
      delete this.execution.stopDate;
      this.execution.redriveCount = redriven.redriveCount;
      this.execution.redriveDate = redriven.redriveDate;
    }
    Object.assign(this.execution, patch);
    if (result.redriveThreads !== undefined) this.redriveThreads = result.redriveThreads;
    for (const thread of result.threadsPut) this.threads.set(thread.id, thread);
    for (const id of result.threadsDeleted) this.threads.delete(id);
    for (const effect of result.effects) {
      switch (effect.kind) {
        case 'putActivityTask':
          this.tasks.set(effect.task.token, effect.task);
          break;
        case 'deleteActivityTask':
          this.tasks.delete(effect.token);
          break;
        case 'putTimer':
          this.timers.set(effect.timer.id, effect.timer);
          break;
        case 'deleteTimer':
          this.timers.delete(effect.timerId);
          break;
        case 'startMapRun':
          this.mapRunsStarted.push(effect.mapRun);
          break;
        case 'abortMapRun':
          this.mapRunsAborted.push(effect.mapRunArn);
          break;
        case 'runIntegration':
          this.calls.push(effect.call);
          break;
        case 'stopChildExecution':
          this.childrenStopped.push(effect.executionArn);
          break;

        default: {
          const never: never = effect;
          throw new Error(`unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
  }

  // --- what the runtime would send -------------------------------------------------------------

  start(): TransitionResult {
    return this.deliver({ type: 'StartExecution' });
  }

  startActivity(token: string = this.token(), workerName?: string): TransitionResult {
    return this.deliver(
      workerName !== undefined
        ? { type: 'ActivityStarted', token, workerName }
        : { type: 'ActivityStarted', token },
    );
  }

  succeed(token: string, output: Json): TransitionResult {
    return this.deliver({ type: 'TaskSucceeded', token, output });
  }

  fail(token: string, error: string | null = null, cause: string | null = null): TransitionResult {
    return this.deliver({ type: 'TaskFailed', token, error, cause });
  }

  /** What the runtime sends when a Map Run (Distributed Map) ends. */
  mapRunEnded(
    mapRunArn: string,
    status: 'SUCCEEDED' | 'FAILED',
    extra: { outputs?: Json[]; error?: string | null; cause?: string | null } = {},
  ): TransitionResult {
    return this.deliver({ type: 'MapRunEnded', mapRunArn, status, ...extra });
  }

  /** The last integration call the engine asked for. */
  lastCall(): IntegrationCall {
    const call = this.calls[this.calls.length - 1];
    assert.ok(call !== undefined, 'an integration call was asked for');
    return call;
  }

  heartbeat(token: string): TransitionResult {
    return this.deliver({ type: 'TaskHeartbeat', token });
  }

  stop(error: string | null = null, cause: string | null = null): TransitionResult {
    return this.deliver({ type: 'StopExecution', error, cause });
  }

  redrive(): TransitionResult {
    return this.deliver({ type: 'RedriveExecution' });
  }

  /** Moves the clock to `ms`, firing every timer due by then in due order, each at its due time. */
  advanceTo(ms: number): TransitionResult[] {
    assert.ok(ms >= this.now, 'the clock only moves forward');
    const fired: TransitionResult[] = [];
    for (;;) {
      const due = [...this.timers.values()].filter((t) => t.dueAt <= ms).sort((a, b) => a.dueAt - b.dueAt)[0];
      if (due === undefined) break;
      this.now = Math.max(this.now, due.dueAt);
      // The runtime's timer service deletes the row only through the transition's effects.
      fired.push(this.deliver({ type: 'TimerFired', timer: due }));
      this.timers.delete(due.id);
    }
    this.now = ms;
    return fired;
  }

  /** Moves the clock forward by `seconds`. */
  advance(seconds: number): TransitionResult[] {
    return this.advanceTo(this.now + seconds * 1000);
  }

  // --- what a test looks at --------------------------------------------------------------------

  /** The token of the one live activity task. */
  token(): string {
    const tokens = [...this.tasks.keys()];
    assert.equal(tokens.length, 1, `expected one live activity task, found ${tokens.length}`);
    return tokens[0] as string;
  }

  /** The token of the one live activity task of a thread (a Parallel branch or Map iteration: `root/1`). */
  tokenOf(threadId: string): string {
    const tokens = [...this.tasks.values()].filter((t) => t.threadId === threadId).map((t) => t.token);
    assert.equal(tokens.length, 1, `expected one live activity task for ${threadId}, found ${tokens.length}`);
    return tokens[0] as string;
  }

  task(): ActivityTaskRecord {
    return this.tasks.get(this.token()) as ActivityTaskRecord;
  }

  history(): HistoryTuple[] {
    return this.events.map((e) => [e.type, e.id, e.previousEventId, e.details]);
  }

  /** The history from event id `from` on. */
  historyFrom(from: number): HistoryTuple[] {
    return this.history().filter(([, id]) => id >= from);
  }

  get status(): string {
    return this.execution.status;
  }

  /** The execution's output, parsed. */
  output(): Json {
    assert.equal(typeof this.execution.output, 'string', 'the execution has an output');
    return JSON.parse(this.execution.output as string) as Json;
  }
}

/** A harness with the execution started. */
export function start(definition: object, input: Json, options: HarnessOptions = {}): Harness {
  const harness = new Harness(definition, input, options);
  const result = harness.start();
  assert.ok(result.ok, 'StartExecution is accepted');
  return harness;
}

export function rejected(result: TransitionResult): Rejection | undefined {
  return result.ok ? undefined : result.rejection;
}

// --- expected details, in the shapes the engine writes -------------------------------------------

export const text = (value: Json): string => JSON.stringify(value);

export function entered(name: string, input: Json): Record<string, Json> {
  return { name, input: text(input), inputDetails: { truncated: false } };
}

export function exited(name: string, output: Json): Record<string, Json> {
  return { name, output: text(output), outputDetails: { truncated: false } };
}

export function started(input: Json): Record<string, Json> {
  return { input: text(input), inputDetails: { truncated: false }, roleArn: ROLE_ARN };
}

export function succeeded(output: Json): Record<string, Json> {
  return { output: text(output), outputDetails: { truncated: false } };
}

export function scheduled(
  input: Json,
  extra: { timeoutInSeconds?: number; heartbeatInSeconds?: number; resource?: string } = {},
): Record<string, Json> {
  const { resource = ACTIVITY_ARN, ...timeouts } = extra;
  return { resource, input: text(input), inputDetails: { truncated: false }, ...timeouts };
}

/** AWS's prefix for the causes of errors the engine raises itself. */
export function prefixed(state: string, enteredAt: number, cause: string): string {
  return `An error occurred while executing the state '${state}' (entered at the event id #${enteredAt}). ${cause}`;
}

/** A …StateExited's details with `assignedVariables` (each value as JSON text). */
export function exitedAssigning(
  name: string,
  output: Json,
  assigned: Record<string, Json>,
): Record<string, Json> {
  const texts: Record<string, Json> = {};
  for (const [key, value] of Object.entries(assigned)) texts[key] = text(value);
  return {
    ...exited(name, output),
    assignedVariables: texts,
    assignedVariablesDetails: { truncated: false },
  };
}

/** An EvaluationFailed's details: a JSONata failure, with the field's location when AWS gives one. */
export function evaluationFailed(state: string, cause: string, location?: string): Record<string, Json> {
  const details: Record<string, Json> = { error: 'States.QueryEvaluationError', cause, state };
  if (location !== undefined) details['location'] = location;
  return details;
}
