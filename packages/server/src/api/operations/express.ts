/**
 * EXPRESS state machines: StartExecution (fire and forget) and StartSyncExecution (the result
 * in the response, HTTP 200 even when the execution fails). Their executions run on the
 * in-memory runtime and are forgotten once finished, as AWS keeps no history for them.
 */
import { randomUUID } from 'node:crypto';
import type { ExecutionRecord } from '../../store/types.js';
import { expressExecutionArn } from '../arn.js';
import { stateMachineTypeNotSupported } from '../errors.js';
import type { Input } from '../input.js';
import type { Operation, ServiceContext } from './context.js';
import type { Target } from './versions.js';
import { startRequest, startTarget, targetOptions } from './versions.js';
import type { StartOptions } from '../../runtime/runtime.js';

/** AWS bills express executions in 100 ms steps; the figure is reported, not charged. */
const BILLING_STEP_MS = 100;

export async function startExpress(
  service: ServiceContext,
  target: Target,
  input: Input,
  onStarted: (arn: string) => void,
  options: StartOptions = {},
): Promise<ExecutionRecord> {
  const { name, text, value } = startRequest(input);
  const arn = expressExecutionArn(service.scope, target.stateMachine.name, name, randomUUID());
  onStarted(arn);
  const { execution } = await service.express.runtime.startExecution(
    target.stateMachine,
    arn,
    name,
    { text, value },
    targetOptions(target, options),
  );
  return execution;
}

/** Forgets a fire-and-forget express execution once it has closed. */
export function forgetWhenClosed(service: ServiceContext): (arn: string) => void {
  return (arn) => {
    void service.express.runtime.whenClosed(arn).then(() => service.express.store.forgetExecution(arn));
  };
}

/** StartExecution on an EXPRESS machine: runs in the background, forgotten when done. */
export async function startExpressExecution(
  service: ServiceContext,
  target: Target,
  input: Input,
  options: StartOptions = {},
): Promise<Record<string, unknown>> {
  const execution = await startExpress(service, target, input, forgetWhenClosed(service), options);
  return { executionArn: execution.executionArn, startDate: new Date(execution.startDate) };
}

/** Through an unqualified ARN, a version ARN, or an alias ARN (which picks a version by weight). */
export const StartSyncExecution: Operation = async (service, input) => {
  const { target, testCase } = await startTarget(service, input.string('stateMachineArn'));
  if (target.stateMachine.type !== 'EXPRESS') throw stateMachineTypeNotSupported();
  let closed: Promise<ExecutionRecord> | undefined;
  const started = await startExpress(
    service,
    target,
    input,
    (executionArn) => {
      closed = service.express.runtime.whenClosed(executionArn);
    },
    testCase !== undefined ? { testCase } : {},
  );
  const done = started.status === 'RUNNING' && closed !== undefined ? await closed : started;
  service.express.store.forgetExecution(done.executionArn);
  const stopDate = done.stopDate ?? service.now();
  const result: Record<string, unknown> = {
    executionArn: done.executionArn,
    stateMachineArn: done.stateMachineArn,
    name: done.name,
    startDate: new Date(done.startDate),
    stopDate: new Date(stopDate),
    status: done.status,
    input: done.input,
    inputDetails: { included: true },
    billingDetails: {
      billedMemoryUsedInMB: 64,
      billedDurationInMilliseconds: Math.max(
        BILLING_STEP_MS,
        Math.ceil((stopDate - done.startDate) / BILLING_STEP_MS) * BILLING_STEP_MS,
      ),
    },
  };
  if (done.output !== undefined) {
    result['output'] = done.output;
    result['outputDetails'] = { included: true };
  }
  if (done.error !== undefined && done.error !== null) result['error'] = done.error;
  if (done.cause !== undefined && done.cause !== null) result['cause'] = done.cause;
  return result;
};
