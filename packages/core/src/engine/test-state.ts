/**
 * TestState: one state run in isolation, as AWS's TestState API runs it. Nothing waits and
 * nothing is called: a Wait answers its next state at once, and a Task, Parallel or Map takes
 * its result (or its error) from the request's mock. What a state does to its input is the
 * engine's own code (the InputPath → Parameters → … → OutputPath steps of io.ts, the JSONata
 * fields of jsonata-io.ts, a Map's items and thresholds from map.ts, the back-off of flow.ts),
 * driven here one step at a time so that every intermediate value can be reported.
 *
 * Retry and Catch are evaluated, not carried out: a failure a retrier takes is RETRIABLE (with
 * the back-off it would wait, given how many retries `retrierRetryCount` says have been made),
 * one a catcher takes is CAUGHT_ERROR (with the catcher's output and next state).
 */
import type { Json, JsonObject } from '../json.js';
import { isJsonObject, toJsonText } from '../json.js';
import type {
  ChoiceState,
  FailState,
  MapState,
  ParallelState,
  PassState,
  State,
  StateMachineDefinition,
  SucceedState,
  TaskState,
  WaitState,
} from '../asl/definition.js';
import { assertNever } from '../asl/definition.js';
import type { Failure } from '../asl/errors.js';
import { StatesError, StatesErrorName, errorEqualsMatches, failureOf, isUncatchable } from '../asl/errors.js';
import { evaluateChoiceRule } from '../asl/choice.js';
import { formatInvalidDefinition, validateDefinition } from '../asl/validate.js';
import type { EngineEnvironment, ExecutionSnapshot, ThreadRecord } from './types.js';
import type { EngineLimits } from './step.js';
import { DEFAULT_LIMITS, Step } from './step.js';
import { isoMillis } from './context.js';
import type { IoEnv } from './io.js';
import {
  applyInputPath,
  applyOutputPath,
  applyParameters,
  applyResultPath,
  applyResultSelector,
} from './io.js';
import {
  evaluateField,
  evaluateTyped,
  numberField,
  outputAndAssign,
  statesBinding,
  usesJsonata,
} from './jsonata-io.js';
import { evaluateAssign } from './assign.js';
import { checkPayloadSize, retryIntervalSeconds } from './flow.js';
import { toleratesFailures } from './children.js';
import { batched, jsonataPlan, jsonPathPlan, toleranceOf } from './states/map.js';
import { isActivityArn, seconds } from './states/task.js';
import { dueTime, jsonataDueTime } from './states/wait.js';
import { readPath } from './states/fail.js';

export type InspectionLevel = 'INFO' | 'DEBUG' | 'TRACE';
export type TestStateStatus = 'SUCCEEDED' | 'FAILED' | 'RETRIABLE' | 'CAUGHT_ERROR';

/** The members of TestState's input, JSON payloads still as text (except `input`). */
export interface TestStateRequest {
  definition: string;
  /** Given: `definition` is a whole state machine and this names the state to test. */
  stateName?: string;
  input: Json;
  inspectionLevel?: InspectionLevel;
  revealSecrets?: boolean;
  roleArn?: string;
  variables?: string;
  context?: string;
  mock?: {
    result?: string;
    errorOutput?: { error?: string; cause?: string };
    fieldValidationMode?: string;
  };
  stateConfiguration?: {
    retrierRetryCount?: number;
    errorCausedByState?: string;
    mapIterationFailureCount?: number;
    mapItemReaderData?: string;
  };
}

/** Who the default context object says runs the test: ARNs are the caller's to build. */
export interface TestStateIdentity {
  executionArn: string;
  executionName: string;
  stateMachineArn: string;
  stateMachineName: string;
}

export interface TestStateEnvironment {
  now: number;
  /** Fresh randomness for intrinsics and `$random`, as for a transition. */
  nonce: string;
  identity: TestStateIdentity;
  limits?: EngineLimits;
}

export interface InspectionErrorDetails {
  catchIndex?: number;
  retryIndex?: number;
  retryBackoffIntervalSeconds?: number;
}

/** The DEBUG view of the state's data flow; a member is present only for a step the state took. */
export interface InspectionData {
  input?: Json;
  afterInputPath?: Json;
  afterParameters?: Json;
  afterArguments?: Json;
  result?: Json;
  afterResultSelector?: Json;
  afterResultPath?: Json;
  variables?: JsonObject;
  errorDetails?: InspectionErrorDetails;
  afterItemsPath?: Json;
  afterItemSelector?: Json;
  afterItemBatcher?: Json;
  toleratedFailureCount?: number;
  toleratedFailurePercentage?: number;
  maxConcurrency?: number;
}

export interface TestStateResult {
  status: TestStateStatus;
  output?: Json;
  error?: string;
  cause?: string;
  nextState?: string;
  /** Present at DEBUG and TRACE. */
  inspectionData?: InspectionData;
}

/** A request TestState refuses, with the API error shape AWS answers and its message. */
export class TestStateRejected extends Error {
  override readonly name = 'TestStateRejected';

  constructor(
    readonly shape: 'InvalidDefinition' | 'ValidationException',
    message: string,
  ) {
    super(message);
  }
}

/** The name AWS gives a state tested on its own (its context object and error locations show it). */
const SINGLE_STATE_NAME = 'StateName';

const CONTEXT_FIELDS: Record<string, Record<string, 'string' | 'number' | 'any'>> = {
  Execution: {
    Id: 'string',
    Input: 'any',
    Name: 'string',
    RoleArn: 'string',
    StartTime: 'string',
    RedriveCount: 'number',
    RedriveTime: 'string',
  },
  State: { EnteredTime: 'string', Name: 'string', RetryCount: 'number' },
  StateMachine: { Id: 'string', Name: 'string' },
  Task: { Token: 'string' },
};

type Mock = { kind: 'result'; value: Json } | { kind: 'error'; failure: Failure };

/** Where a state's work led: out to a next state (or the end), or to a failure. */
type Completion =
  | { kind: 'exit'; output: Json; next: string | undefined; assigned?: JsonObject | undefined }
  | { kind: 'fail'; failure: Failure };

export function testState(request: TestStateRequest, env: TestStateEnvironment): TestStateResult {
  const mock = request.mock;
  const config = request.stateConfiguration ?? {};
  if (mock?.result !== undefined && mock.errorOutput !== undefined) {
    reject('A test mock should have only one of the following fields: [result, errorOutput].');
  }
  if (mock !== undefined && request.revealSecrets === true) {
    reject('TestState does not support RevealSecrets when a mock is specified.');
  }
  if (mock === undefined && config.mapIterationFailureCount !== undefined) {
    reject('TestState does not support MapIterationFailureCount when a mock is not specified.');
  }
  if (mock === undefined && request.context !== undefined) {
    reject('TestState does not support Context when a mock is not specified.');
  }

  const { definition, name, state } = stateUnderTest(request);
  checkStateAgainstRequest(request, state);
  const variables = parseVariables(request.variables);
  const context =
    request.context !== undefined
      ? parseContext(request.context, state)
      : defaultContext(request, env, name, state);
  const mocked = mock === undefined ? undefined : parseMock(mock, state, config.mapIterationFailureCount);

  const execution: ExecutionSnapshot = {
    executionArn: env.identity.executionArn,
    stateMachineArn: env.identity.stateMachineArn,
    stateMachineName: env.identity.stateMachineName,
    name: env.identity.executionName,
    roleArn: request.roleArn ?? '',
    input: request.input,
    startDate: env.now,
    status: 'RUNNING',
    nextEventId: 1,
    redriveCount: 0,
    type: 'EXPRESS',
  };
  const engineEnv: EngineEnvironment = { now: env.now, nonce: env.nonce, activityExists: () => false };
  const step = new IsolatedStep(definition, execution, engineEnv, env.limits ?? DEFAULT_LIMITS, context);
  const thread: ThreadRecord = {
    id: 'root',
    parentId: null,
    stateName: name,
    enteredEventId: 0,
    lastEventId: 0,
    enteredTime: env.now,
    input: request.input,
    retryCounts: [],
    wait: null,
  };
  if (variables !== undefined) thread.variables = variables;

  const trial = new Trial(step, thread, state, mocked, config);
  const result = trial.run();
  if ((request.inspectionLevel ?? 'INFO') === 'INFO') delete result.inspectionData;
  return result;
}

function reject(message: string): never {
  throw new TestStateRejected('ValidationException', message);
}

/** The definition to run in, the tested state's name, and the state itself. */
function stateUnderTest(request: TestStateRequest): {
  definition: StateMachineDefinition;
  name: string;
  state: State;
} {
  const single = request.stateName === undefined;
  const validated = validateDefinition(request.definition, single ? { singleState: SINGLE_STATE_NAME } : {});
  const definition = validated.definition;
  if (definition === undefined) {
    throw new TestStateRejected(
      'InvalidDefinition',
      `Invalid State Machine Definition: '${formatInvalidDefinition(validated.diagnostics)}'`,
    );
  }
  const name = request.stateName ?? SINGLE_STATE_NAME;
  const state = findState(definition.States, name);
  if (state === undefined) reject('State not found in definition');
  return { definition, name, state };
}

/** A state by name, nested ones (in Parallel branches and Map processors) included. */
function findState(states: Record<string, State>, name: string): State | undefined {
  const own = states[name];
  if (own !== undefined) return own;
  for (const state of Object.values(states)) {
    for (const scope of innerScopes(state)) {
      const found = findState(scope, name);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function innerScopes(state: State): Record<string, State>[] {
  if (state.Type === 'Parallel') return state.Branches.map((branch) => branch.States);
  if (state.Type === 'Map') {
    const processor = state.ItemProcessor ?? state.Iterator;
    return processor === undefined ? [] : [processor.States];
  }
  return [];
}

/** The checks that depend on the kind of state: what may be mocked, what must be. */
function checkStateAgainstRequest(request: TestStateRequest, state: State): void {
  const mock = request.mock;
  const config = request.stateConfiguration ?? {};
  const mockable = state.Type === 'Task' || state.Type === 'Map' || state.Type === 'Parallel';
  if (mock !== undefined && !mockable) {
    reject(`State type '${state.Type}' is not supported when a mock is specified`);
  }
  if (mock === undefined && (state.Type === 'Map' || state.Type === 'Parallel')) {
    throw new TestStateRejected(
      'InvalidDefinition',
      'TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]',
    );
  }
  if (mock === undefined && state.Type === 'Task') {
    if (request.roleArn === undefined) reject('RoleArn must be specified when testing a Task state');
    // Stepwise calls no service, and an activity's worker answers in a later call, never in this one.
    if (isActivityArn(state.Resource)) {
      reject('TestState does not support Activity tasks when a mock is not specified.');
    }
    reject(`Stepwise does not support the resource ${state.Resource} yet: test this Task state with a mock.`);
  }
  if (mock?.errorOutput !== undefined && mock.errorOutput.error === undefined) {
    reject('A test mock errorOutput must have an error.');
  }
  if (config.mapIterationFailureCount !== undefined && state.Type !== 'Map') {
    reject(`TestState does not support MapIterationFailureCount for a state of type '${state.Type}'.`);
  }
  if (config.mapItemReaderData !== undefined && (state.Type !== 'Map' || state.ItemReader === undefined)) {
    reject('TestState does not support MapItemReaderData for a state without an ItemReader.');
  }
  const causedBy = config.errorCausedByState;
  if (causedBy !== undefined) {
    if (state.Type !== 'Map' && state.Type !== 'Parallel') {
      reject(`TestState does not support ErrorCausedByState for a state of type '${state.Type}'.`);
    }
    if (!innerScopes(state).some((scope) => findState(scope, causedBy) !== undefined)) {
      reject(`ErrorCausedByState '${causedBy}' is not a state of the ${state.Type} state under test.`);
    }
  }
}

function parseJson(text: string): { ok: true; value: Json } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch {
    return { ok: false };
  }
}

function parseVariables(text: string | undefined): JsonObject | undefined {
  if (text === undefined) return undefined;
  const parsed = parseJson(text);
  if (!parsed.ok || !isJsonObject(parsed.value)) {
    reject('Invalid variables provided: the variables must be a JSON object literal.');
  }
  return parsed.value;
}

/** A caller's context object replaces the whole default one; AWS checks its fields' names and types. */
function parseContext(text: string, state: State): JsonObject {
  const invalid = (detail: string): never => reject(`Invalid Context object provided: ${detail}`);
  const parsed = parseJson(text);
  if (!parsed.ok || !isJsonObject(parsed.value)) return invalid('the Context object must be a JSON object');
  const context = parsed.value;
  for (const [field, value] of Object.entries(context)) {
    if (field === 'Map') invalid("'Map' field is not supported when mocking a Context object");
    const members = CONTEXT_FIELDS[field];
    if (members === undefined) return invalid(`Field '${field}' is not allowed`);
    if (!isJsonObject(value)) return invalid(`${field} must be an object`);
    for (const [member, memberValue] of Object.entries(value)) {
      const kind = members[member];
      if (kind === undefined) invalid(`Field '${member}' is not allowed`);
      if (kind === 'string' && typeof memberValue !== 'string')
        invalid(`${field}.${member} must be a string`);
      if (kind === 'number' && typeof memberValue !== 'number')
        invalid(`${field}.${member} must be a number`);
    }
  }
  if (context['Task'] !== undefined && !(state.Type === 'Task' && hasTaskToken(state.Resource))) {
    invalid(
      "Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern",
    );
  }
  return context;
}

function hasTaskToken(resource: string): boolean {
  return resource.endsWith('.waitForTaskToken') || /\.sync(:\d+)?$/.test(resource);
}

/**
 * The context object of an express execution started for the test. `State.RetryCount` appears
 * for the states that retry, as `retrierRetryCount` says.
 */
function defaultContext(
  request: TestStateRequest,
  env: TestStateEnvironment,
  name: string,
  state: State,
): JsonObject {
  const stateInfo: JsonObject = { Name: name, EnteredTime: isoMillis(env.now) };
  if (state.Type === 'Task' || state.Type === 'Map' || state.Type === 'Parallel') {
    stateInfo['RetryCount'] = request.stateConfiguration?.retrierRetryCount ?? 0;
  }
  return {
    Execution: {
      Id: env.identity.executionArn,
      Input: request.input,
      Name: env.identity.executionName,
      RoleArn: request.roleArn ?? null,
      StartTime: isoMillis(env.now),
    },
    StateMachine: { Id: env.identity.stateMachineArn, Name: env.identity.stateMachineName },
    State: stateInfo,
  };
}

function parseMock(
  mock: NonNullable<TestStateRequest['mock']>,
  state: State,
  failureCount: number | undefined,
): Mock {
  if (mock.errorOutput !== undefined) {
    return {
      kind: 'error',
      failure: { error: mock.errorOutput.error ?? null, cause: mock.errorOutput.cause ?? null },
    };
  }
  const parsed = parseJson(mock.result ?? '');
  if (!parsed.ok) reject('Mocked result must be valid JSON');
  const value = parsed.value;
  if (state.Type === 'Map') {
    if (state.ResultWriter !== undefined) {
      if (!isJsonObject(value)) reject('Mocked result must be a JSON object.');
    } else {
      if (!Array.isArray(value)) reject('Mocked result must be an array.');
      if (failureCount !== undefined && failureCount > value.length) {
        reject('Map iteration failure count must be less than or equal to the number of Map iterations');
      }
    }
  }
  if (state.Type === 'Parallel') {
    if (!Array.isArray(value)) reject('Mocked result must be an array.');
    if (value.length !== state.Branches.length) {
      reject('Mocked result must contain the same number of items as number of Parallel branches.');
    }
  }
  return { kind: 'result', value };
}

/** A Step whose context object is the test's (the caller's, or one made for the test). */
class IsolatedStep extends Step {
  constructor(
    definition: StateMachineDefinition,
    execution: ExecutionSnapshot,
    env: EngineEnvironment,
    limits: EngineLimits,
    private readonly contextObject: JsonObject,
  ) {
    super(definition, execution, [], env, limits);
  }

  override ioEnv(thread: ThreadRecord, extra: { taskToken?: string } = {}): IoEnv {
    const env = super.ioEnv(thread, extra);
    const context = this.contextObject;
    return { ...env, context: () => context };
  }
}

/** One run of the state under test, recording each step of its data flow. */
class Trial {
  readonly trace: InspectionData;
  private readonly jsonata: boolean;

  constructor(
    private readonly step: IsolatedStep,
    private readonly thread: ThreadRecord,
    private readonly state: State,
    private readonly mock: Mock | undefined,
    private readonly config: NonNullable<TestStateRequest['stateConfiguration']>,
  ) {
    this.trace = { input: thread.input };
    this.jsonata = usesJsonata(step, state);
  }

  run(): TestStateResult {
    let completion: Completion;
    try {
      completion = this.work();
      if (completion.kind === 'exit') {
        checkPayloadSize(this.step, this.thread, toJsonText(completion.output));
      }
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      completion = { kind: 'fail', failure: failureOf(error) };
    }
    if (completion.kind === 'fail') return this.failed(completion.failure);
    const result: TestStateResult = { status: 'SUCCEEDED', output: completion.output };
    if (completion.next !== undefined) result.nextState = completion.next;
    return this.finish(result, completion.assigned);
  }

  private get env(): IoEnv {
    return this.step.ioEnv(this.thread);
  }

  private work(): Completion {
    const state = this.state;
    switch (state.Type) {
      case 'Pass':
        return this.pass(state);
      case 'Task':
        return this.task(state);
      case 'Choice':
        return this.choice(state);
      case 'Wait':
        return this.wait(state);
      case 'Succeed':
        return this.succeed(state);
      case 'Fail':
        return this.fail(state);
      case 'Parallel':
        return this.parallel(state);
      case 'Map':
        return this.map(state);
      default:
        return assertNever(state, 'state type');
    }
  }

  // --- the states ------------------------------------------------------------------------------

  private pass(state: PassState): Completion {
    if (this.jsonata) return this.jsonataExit(state, undefined, state.Next);
    const env = this.env;
    const afterInputPath = applyInputPath(state, this.thread.input, env);
    const afterParameters = applyParameters(state, afterInputPath, env);
    let result: Json;
    if (state.Result !== undefined) {
      // AWS shows a fixed Result as the state's result, and no input processing before it.
      result = state.Result;
      this.trace.result = result;
    } else {
      result = afterParameters;
      this.trace.afterInputPath = afterInputPath;
      this.trace.afterParameters = afterParameters;
    }
    this.trace.afterResultSelector = result;
    const assigned = evaluateAssign(state.Assign, result, env);
    return this.jsonPathExit(state, result, assigned, state.Next);
  }

  private task(state: TaskState): Completion {
    if (this.jsonata) {
      const states = statesBinding(this.step, this.thread);
      if (state.Arguments !== undefined) {
        this.trace.afterArguments = evaluateField(
          this.step,
          this.thread,
          state.Arguments,
          'Arguments',
          states,
        );
      }
      numberField(this.step, this.thread, state.TimeoutSeconds, 'TimeoutSeconds', 'integer', states);
      numberField(this.step, this.thread, state.HeartbeatSeconds, 'HeartbeatSeconds', 'integer', states);
      const result = this.mockedResult(true);
      return this.jsonataExit(state, result, state.Next);
    }
    const env = this.env;
    const afterInputPath = applyInputPath(state, this.thread.input, env);
    this.trace.afterInputPath = afterInputPath;
    this.trace.afterParameters = applyParameters(state, afterInputPath, env);
    seconds(state.TimeoutSeconds, state.TimeoutSecondsPath, afterInputPath, env);
    seconds(state.HeartbeatSeconds, state.HeartbeatSecondsPath, afterInputPath, env);
    const result = this.mockedResult(true);
    const assigned = evaluateAssign(state.Assign, result, env);
    const selected = applyResultSelector(state, result, env);
    this.trace.afterResultSelector = selected;
    return this.jsonPathExit(state, selected, assigned, state.Next);
  }

  private choice(state: ChoiceState): Completion {
    if (this.jsonata) {
      const states = statesBinding(this.step, this.thread);
      const rule = state.Choices.find(
        (r) =>
          r.Condition !== undefined &&
          evaluateTyped(this.step, this.thread, r.Condition, 'Condition', 'boolean', states) === true,
      );
      const next = rule?.Next ?? state.Default;
      if (next === undefined) throw new StatesError(StatesErrorName.NoChoiceMatched, null);
      const { output, assigned } = outputAndAssign(
        this.step,
        this.thread,
        rule ?? state,
        states,
        this.thread.input,
      );
      return { kind: 'exit', output, next, assigned };
    }
    const env = this.env;
    const effective = applyInputPath(state, this.thread.input, env);
    this.trace.afterInputPath = effective;
    const rule = state.Choices.find((r) => evaluateChoiceRule(r, effective, env.context, env.variables));
    const next = rule?.Next ?? state.Default;
    if (next === undefined) throw new StatesError(StatesErrorName.NoChoiceMatched, null);
    const assigned = evaluateAssign(rule !== undefined ? rule.Assign : state.Assign, effective, env);
    return { kind: 'exit', output: applyOutputPath(state, effective, env), next, assigned };
  }

  /** The delay is worked out (a bad Seconds or Timestamp fails the state) but not waited. */
  private wait(state: WaitState): Completion {
    if (this.jsonata) {
      jsonataDueTime(this.step, this.thread, state);
      return this.jsonataExit(state, undefined, state.Next);
    }
    const env = this.env;
    const effective = applyInputPath(state, this.thread.input, env);
    this.trace.afterInputPath = effective;
    dueTime(this.step.env.now, state, effective, env);
    const assigned = evaluateAssign(state.Assign, effective, env);
    return { kind: 'exit', output: applyOutputPath(state, effective, env), next: state.Next, assigned };
  }

  private succeed(state: SucceedState): Completion {
    if (this.jsonata) return this.jsonataExit(state, undefined, undefined);
    const env = this.env;
    const effective = applyInputPath(state, this.thread.input, env);
    this.trace.afterInputPath = effective;
    return { kind: 'exit', output: applyOutputPath(state, effective, env), next: undefined };
  }

  private fail(state: FailState): Completion {
    if (this.jsonata) {
      const states = statesBinding(this.step, this.thread);
      const text = (field: 'Error' | 'Cause'): string | null => {
        const value = state[field];
        if (value === undefined) return null;
        const result = evaluateTyped(this.step, this.thread, value, field, 'string', states);
        return typeof result === 'string' ? result : toJsonText(result);
      };
      return { kind: 'fail', failure: { error: text('Error'), cause: text('Cause') } };
    }
    // A Fail state has no InputPath; AWS still reports the input as the value after it.
    this.trace.afterInputPath = this.thread.input;
    const error = state.Error ?? readPath(this.step, this.thread, 'ErrorPath', state.ErrorPath);
    const cause = state.Cause ?? readPath(this.step, this.thread, 'CausePath', state.CausePath);
    return { kind: 'fail', failure: { error, cause } };
  }

  private parallel(state: ParallelState): Completion {
    if (this.jsonata) {
      if (state.Arguments !== undefined) {
        const states = statesBinding(this.step, this.thread);
        this.trace.afterArguments = evaluateField(
          this.step,
          this.thread,
          state.Arguments,
          'Arguments',
          states,
        );
      }
      return this.jsonataExit(state, this.mockedResult(false), state.Next);
    }
    const env = this.env;
    const afterInputPath = applyInputPath(state, this.thread.input, env);
    this.trace.afterInputPath = afterInputPath;
    this.trace.afterParameters = applyParameters(state, afterInputPath, env);
    return this.containerExit(state, this.mockedResult(false));
  }

  private map(state: MapState): Completion {
    const readItems = state.ItemReader !== undefined ? this.readerItems() : undefined;
    const plan = this.jsonata
      ? jsonataPlan(this.step, this.thread, state, readItems)
      : jsonPathPlan(this.step, this.thread, state, readItems);
    if (!this.jsonata) {
      this.trace.afterInputPath = applyInputPath(state, this.thread.input, this.env);
      if (readItems === undefined) this.trace.afterItemsPath = plan.items;
    }
    const inputs = plan.identity ? plan.items : plan.items.map((item, index) => plan.itemInput(item, index));
    if (!plan.identity) this.trace.afterItemSelector = inputs;
    if (state.ItemBatcher !== undefined) this.trace.afterItemBatcher = batched(state, inputs);
    this.trace.maxConcurrency = plan.maxConcurrency;
    const tolerance = toleranceOf(plan);
    if (tolerance.toleratedFailureCount !== undefined) {
      this.trace.toleratedFailureCount = tolerance.toleratedFailureCount;
    }
    if (tolerance.toleratedFailurePercentage !== undefined) {
      this.trace.toleratedFailurePercentage = tolerance.toleratedFailurePercentage;
    }
    const result = this.mockedResult(false);
    // Iterations the request says failed count against the thresholds; with none set, AWS
    // lets them pass.
    const failed = this.config.mapIterationFailureCount ?? 0;
    const thresholdSet =
      tolerance.toleratedFailureCount !== undefined || tolerance.toleratedFailurePercentage !== undefined;
    const total = Array.isArray(result) ? result.length : plan.items.length;
    if (failed > 0 && thresholdSet && !toleratesFailures(failed, total, tolerance)) {
      throw new StatesError(
        StatesErrorName.ExceedToleratedFailureThreshold,
        'The specified tolerated failure threshold was exceeded',
      );
    }
    if (this.jsonata) return this.jsonataExit(state, result, state.Next);
    return this.containerExit(state, result);
  }

  // --- shared steps ------------------------------------------------------------------------------

  /** The mock's result; its error output fails the state as the service's error would. */
  private mockedResult(recordResult: boolean): Json {
    const mock = this.mock;
    if (mock === undefined) throw new Error('a state that needs a mock ran without one');
    if (mock.kind === 'error') {
      throw new StatesError(mock.failure.error ?? StatesErrorName.TaskFailed, mock.failure.cause);
    }
    if (recordResult) this.trace.result = mock.value;
    return mock.value;
  }

  /** Items an ItemReader would have read: the request's `mapItemReaderData`, a JSON array. */
  private readerItems(): Json[] {
    const text = this.config.mapItemReaderData;
    if (text === undefined) return [];
    const parsed = parseJson(text);
    if (!parsed.ok || !Array.isArray(parsed.value)) {
      reject('TestState reads mapItemReaderData as a JSON array; Stepwise reads no other ItemReader format.');
    }
    return parsed.value;
  }

  /** A Parallel's or Map's result through ResultSelector → ResultPath → OutputPath, with Assign. */
  private containerExit(state: ParallelState | MapState, result: Json): Completion {
    const env = this.env;
    const assigned = evaluateAssign(state.Assign, result, env);
    const selected = applyResultSelector(state, result, env);
    this.trace.afterResultSelector = selected;
    return this.jsonPathExit(state, selected, assigned, state.Next);
  }

  private jsonPathExit(
    state: { ResultPath?: string | null; OutputPath?: string | null },
    result: Json,
    assigned: JsonObject | undefined,
    next: string | undefined,
  ): Completion {
    const afterResultPath = applyResultPath(state.ResultPath, this.thread.input, result);
    this.trace.afterResultPath = afterResultPath;
    return { kind: 'exit', output: applyOutputPath(state, afterResultPath, this.env), next, assigned };
  }

  private jsonataExit(
    state: { Output?: Json; Assign?: JsonObject },
    result: Json | undefined,
    next: string | undefined,
  ): Completion {
    const states = statesBinding(this.step, this.thread, result === undefined ? {} : { result });
    const fallback = result === undefined ? this.thread.input : result;
    const { output, assigned } = outputAndAssign(this.step, this.thread, state, states, fallback);
    return { kind: 'exit', output, next, assigned };
  }

  /** Retry, then Catch, as AWS evaluates them for one failed attempt; else the state fails. */
  private failed(failure: Failure): TestStateResult {
    const state = this.state;
    const handles = state.Type === 'Task' || state.Type === 'Parallel' || state.Type === 'Map';
    const details: InspectionErrorDetails = {};
    if (handles && !isUncatchable(failure)) {
      const retriers = state.Retry ?? [];
      const retryIndex = retriers.findIndex((r) => errorEqualsMatches(r.ErrorEquals, failure));
      const retrier = retriers[retryIndex];
      if (retrier !== undefined) {
        details.retryIndex = retryIndex;
        const attempts = this.config.retrierRetryCount ?? 0;
        if (attempts < (retrier.MaxAttempts ?? 3)) {
          details.retryBackoffIntervalSeconds = Math.round(retryIntervalSeconds(retrier, attempts));
          this.trace.errorDetails = details;
          return this.finish({ status: 'RETRIABLE', ...errorMembers(failure) }, undefined);
        }
      }
      const catchers = state.Catch ?? [];
      const catchIndex = catchers.findIndex((c) => errorEqualsMatches(c.ErrorEquals, failure));
      const catcher = catchers[catchIndex];
      if (catcher !== undefined) {
        details.catchIndex = catchIndex;
        this.trace.errorDetails = details;
        const errorOutput = { Error: failure.error, Cause: failure.cause };
        try {
          let output: Json;
          let assigned: JsonObject | undefined;
          if (this.jsonata) {
            const states = statesBinding(this.step, this.thread, { errorOutput });
            ({ output, assigned } = outputAndAssign(this.step, this.thread, catcher, states, errorOutput));
          } else {
            assigned = evaluateAssign(catcher.Assign, errorOutput, this.env);
            output = applyResultPath(catcher.ResultPath, this.thread.input, errorOutput);
          }
          checkPayloadSize(this.step, this.thread, toJsonText(output));
          const result: TestStateResult = {
            status: 'CAUGHT_ERROR',
            output,
            nextState: catcher.Next,
            ...errorMembers(failure),
          };
          return this.finish(result, assigned);
        } catch (error) {
          if (!(error instanceof StatesError)) throw error;
          return this.finish({ status: 'FAILED', ...errorMembers(failureOf(error)) }, undefined);
        }
      }
    }
    if (details.retryIndex !== undefined) this.trace.errorDetails = details;
    return this.finish({ status: 'FAILED', ...errorMembers(failure) }, undefined);
  }

  /** Adds the variables as they stand after the state (the request's, then what it assigned). */
  private finish(result: TestStateResult, assigned: JsonObject | undefined): TestStateResult {
    const variables = { ...this.thread.variables, ...assigned };
    if (Object.keys(variables).length > 0) this.trace.variables = variables;
    result.inspectionData = this.trace;
    return result;
  }
}

function errorMembers(failure: Failure): { error?: string; cause?: string } {
  const members: { error?: string; cause?: string } = {};
  if (failure.error !== null) members.error = failure.error;
  if (failure.cause !== null) members.cause = failure.cause;
  return members;
}
