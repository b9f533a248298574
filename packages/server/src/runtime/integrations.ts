/**
 * The runtime's half of service-integration Task states: the engine asks for a call
 * (`runIntegration`) and this module makes it, then reports the outcome back as an engine event
 * (docs/architecture.md, "Service integrations"):
 *
 * - a state the execution's mock test case maps is answered from its mocked response;
 * - `states:startExecution[.sync|.sync:2|.waitForTaskToken]` starts a nested execution (through
 *   the API's own StartExecution, so its checks and errors are AWS's), and for `.sync` reports
 *   the child's end, noticed when the child closes on any node (it carries the task's token);
 * - anything else cannot be called: the task fails with States.Runtime, saying how to mock it.
 *
 * Every call may be made twice (the engine's guard repeats it when a process died before
 * reporting): a mock answers an invocation the same way, a nested execution's name is fixed per
 * task attempt, and the engine ignores a report for a task that has moved on.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ChildExecutionSummary, EngineEvent, IntegrationCall, Json } from '@stepwise/core';
import {
  StatesErrorName,
  decodeTaskToken,
  isJsonObject,
  isNestedExecution,
  parseTaskResource,
} from '@stepwise/core';
import type { ExecutionRecord } from '../store/types.js';
import type { MockAnswer, MockSource } from './mocks.js';

export type DeliverResult = { kind: 'applied' } | { kind: 'rejected' } | { kind: 'missing' };

/** StartExecution for a Task, as the API runs it. */
export interface NestedStartRequest {
  stateMachineArn: string;
  name: string;
  /** JSON text */
  input: string;
  parentTaskToken: string;
}

export type NestedStartResult =
  | { ok: true; execution: ExecutionRecord }
  /** An API error as a Task sees it: `StepFunctions.<Shape>Exception` and the SDK's message. */
  | { ok: false; error: string; cause: string };

/**
 * What this module needs from the server: executions may run on another runtime (EXPRESS ones
 * run in memory), so every reach for an execution goes through here.
 */
export interface IntegrationHost {
  deliver(executionArn: string, event: EngineEvent): Promise<DeliverResult>;
  execution(executionArn: string): Promise<ExecutionRecord | undefined>;
  /** Absent: this server starts no nested executions (the task fails as any uncallable one). */
  startNested?(request: NestedStartRequest): Promise<NestedStartResult>;
}

export class IntegrationRunner {
  constructor(
    private host: IntegrationHost,
    private readonly mocks: MockSource | undefined,
  ) {}

  /** The server connects its executions of every kind once all runtimes exist. */
  connect(host: IntegrationHost): void {
    this.host = host;
  }

  /** Makes (or resumes) the call; `execution` is the parent's row as just committed. */
  async run(call: IntegrationCall, execution: ExecutionRecord): Promise<void> {
    const mocked = this.mocked(call, execution);
    if (mocked !== undefined) {
      await this.host.deliver(call.executionArn, mocked);
      return;
    }
    const resource = parseTaskResource(call.resource);
    if (resource !== undefined && isNestedExecution(resource) && this.host.startNested !== undefined) {
      await this.nested(call, resource.kind === 'integration' ? resource.pattern : 'request');
      return;
    }
    await this.host.deliver(call.executionArn, {
      type: 'IntegrationFailed',
      token: call.token,
      error: StatesErrorName.Runtime,
      cause: cannotCall(call, execution),
      notStarted: true,
    });
  }

  /** A nested execution closed: tell the task that started it (only a `.sync` one listens). */
  async childClosed(child: ExecutionRecord): Promise<void> {
    const token = child.parentTaskToken;
    const parent = token !== undefined ? decodeTaskToken(token) : undefined;
    const summary = summarise(child);
    if (token === undefined || parent === undefined || summary === undefined) return;
    await this.host.deliver(parent.executionArn, { type: 'ChildExecutionEnded', token, child: summary });
  }

  /** A `.sync` task ended other than by its child's end: stop the child, as AWS does. */
  async stopChild(executionArn: string): Promise<void> {
    await this.host.deliver(executionArn, { type: 'StopExecution', error: null, cause: null });
  }

  private mocked(call: IntegrationCall, execution: ExecutionRecord): EngineEvent | undefined {
    if (execution.testCase === undefined || call.invocation === undefined || this.mocks === undefined) {
      return undefined;
    }
    const testCase = this.mocks.testCase(mockMachineName(execution.stateMachineArn), execution.testCase);
    const answer = testCase?.answer(call.stateName, call.invocation);
    if (testCase === undefined || answer === undefined) return undefined;
    if (answer === 'exhausted') {
      return {
        type: 'IntegrationFailed',
        token: call.token,
        error: StatesErrorName.Runtime,
        cause:
          `The mock test case '${testCase.name}' maps the state '${call.stateName}' to the mocked ` +
          `response '${testCase.responseOf(call.stateName) ?? ''}', which has no response for invocation ` +
          `${call.invocation} (retries and earlier calls of the state count).`,
        notStarted: true,
      };
    }
    return answerEvent(call.token, answer);
  }

  private async nested(
    call: IntegrationCall,
    pattern: 'request' | 'sync' | 'sync2' | 'callback',
  ): Promise<void> {
    if (call.submitted) {
      // Resuming a `.sync` task: its child may have ended while nobody was told.
      if (call.childExecutionArn !== undefined) await this.lookAtChild(call.token, call.childExecutionArn);
      return;
    }
    const request = nestedRequest(call);
    if (!request.ok) {
      await this.host.deliver(call.executionArn, {
        type: 'IntegrationFailed',
        token: call.token,
        ...request,
      });
      return;
    }
    const started = await this.startNested(request.request);
    if (!started.ok) {
      await this.host.deliver(call.executionArn, {
        type: 'IntegrationFailed',
        token: call.token,
        error: started.error,
        cause: started.cause,
      });
      return;
    }
    const child = started.execution;
    const output = startExecutionResponse(child);
    if (pattern === 'request') {
      await this.host.deliver(call.executionArn, { type: 'IntegrationSucceeded', token: call.token, output });
      return;
    }
    const outcome = await this.host.deliver(call.executionArn, {
      type: 'IntegrationSubmitted',
      token: call.token,
      output,
      childExecutionArn: child.executionArn,
    });
    const sync = pattern === 'sync' || pattern === 'sync2';
    if (outcome.kind !== 'applied') {
      // The task is gone (its execution stopped meanwhile): a `.sync` child has no one to wait for it.
      if (sync && child.status === 'RUNNING') await this.stopChild(child.executionArn);
      return;
    }
    // A child may end before its task records the submission (a notice then is ignored).
    if (sync) await this.lookAtChild(call.token, child.executionArn);
  }

  private async startNested(request: NestedStartRequest): Promise<NestedStartResult> {
    if (this.host.startNested === undefined) throw new Error('nested executions are not connected');
    return this.host.startNested(request);
  }

  private async lookAtChild(token: string, childExecutionArn: string): Promise<void> {
    const child = await this.host.execution(childExecutionArn);
    const summary = child !== undefined ? summarise(child) : undefined;
    const parent = decodeTaskToken(token);
    if (summary === undefined || parent === undefined) return;
    await this.host.deliver(parent.executionArn, { type: 'ChildExecutionEnded', token, child: summary });
  }
}

function answerEvent(token: string, answer: MockAnswer): EngineEvent {
  return answer.kind === 'return'
    ? { type: 'IntegrationSucceeded', token, output: answer.value }
    : { type: 'IntegrationFailed', token, error: answer.error, cause: answer.cause };
}

/** The machine a mock config names: a Distributed Map's child machine (`<machine>/<label>`) is its parent's. */
function mockMachineName(stateMachineArn: string): string {
  const name = stateMachineArn.slice(stateMachineArn.indexOf(':stateMachine:') + ':stateMachine:'.length);
  const slash = name.indexOf('/');
  return slash < 0 ? name : name.slice(0, slash);
}

function cannotCall(call: IntegrationCall, execution: ExecutionRecord): string {
  const what =
    `Stepwise cannot call the resource ${call.resource}: it runs activities and nested executions ` +
    '(states:startExecution) itself, and answers any other integration only from a mock.';
  if (execution.testCase !== undefined) {
    return (
      `${what} The mock test case '${execution.testCase}' this execution runs with does not map the ` +
      `state '${call.stateName}': map it to a mocked response in the mock config.`
    );
  }
  return (
    `${what} To mock it, give the server a mock config (stepwise serve --mock-config FILE, or ` +
    `SFN_MOCK_CONFIG) with a test case that maps the state '${call.stateName}' to a mocked response, ` +
    `and start the execution on '${execution.stateMachineArn}#<test case>'.`
  );
}

/** StateMachineArn, Name and Input from a nested Task's parameters, as StartExecution takes them. */
function nestedRequest(
  call: IntegrationCall,
): { ok: true; request: NestedStartRequest } | { ok: false; error: string; cause: string } {
  const parameters = isJsonObject(call.parameters) ? call.parameters : {};
  const arn = parameters['StateMachineArn'];
  if (typeof arn !== 'string') {
    return validationFailure(
      "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: " +
        'Member must not be null',
    );
  }
  const name = parameters['Name'];
  if (name !== undefined && typeof name !== 'string') {
    return validationFailure(`Invalid Name: '${JSON.stringify(name)}'`, 'InvalidName');
  }
  const input = parameters['Input'];
  return {
    ok: true,
    request: {
      stateMachineArn: arn,
      name: name ?? childName(call.token),
      input: inputText(input),
      parentTaskToken: call.token,
    },
  };
}

/** A string Input is the child's input text as it is; an absent or null one is `{}`. */
function inputText(input: Json | undefined): string {
  if (input === undefined || input === null) return '{}';
  if (typeof input === 'string') return input;
  return JSON.stringify(input);
}

/** A UUID-shaped name fixed by the task attempt, so that starting it again finds the same child. */
function childName(token: string): string {
  const hex = createHash('sha256').update(token).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function apiFailure(shape: string, message: string, status = 400): { error: string; cause: string } {
  return {
    error: `StepFunctions.${shape}Exception`,
    cause:
      `${message} (Service: AWSStepFunctions; Status Code: ${status}; Error Code: ${shape}; ` +
      `Request ID: ${randomUUID()}; Proxy: null)`,
  };
}

function validationFailure(
  message: string,
  shape = 'Validation',
): { ok: false; error: string; cause: string } {
  return { ok: false, ...apiFailure(shape, message) };
}

/**
 * StartExecution's response as a Task receives it: the SDK's result with its HTTP metadata,
 * members in alphabetical order, the date in epoch milliseconds.
 */
function startExecutionResponse(child: ExecutionRecord): Json {
  const requestId = randomUUID();
  const date = new Date().toUTCString();
  const length = String(
    JSON.stringify({ executionArn: child.executionArn, startDate: child.startDate / 1000 }).length,
  );
  return {
    ExecutionArn: child.executionArn,
    SdkHttpMetadata: {
      AllHttpHeaders: {
        'x-amzn-RequestId': [requestId],
        connection: ['keep-alive'],
        'Content-Length': [length],
        Date: [date],
        'Content-Type': ['application/x-amz-json-1.0'],
      },
      HttpHeaders: {
        connection: 'keep-alive',
        'Content-Length': length,
        'Content-Type': 'application/x-amz-json-1.0',
        Date: date,
        'x-amzn-RequestId': requestId,
      },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StartDate: child.startDate,
  };
}

function summarise(child: ExecutionRecord): ChildExecutionSummary | undefined {
  const { status } = child;
  if (status !== 'SUCCEEDED' && status !== 'FAILED' && status !== 'TIMED_OUT' && status !== 'ABORTED') {
    return undefined;
  }
  const summary: ChildExecutionSummary = {
    executionArn: child.executionArn,
    stateMachineArn: child.stateMachineArn,
    name: child.name,
    status,
    input: child.input,
    startDate: child.startDate,
    stopDate: child.stopDate ?? child.startDate,
  };
  if (child.output !== undefined) summary.output = child.output;
  if (child.error !== undefined) summary.error = child.error;
  if (child.cause !== undefined) summary.cause = child.cause;
  return summary;
}
