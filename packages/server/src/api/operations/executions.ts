/**
 * StartExecution, DescribeExecution, ListExecutions, StopExecution, GetExecutionHistory,
 * DescribeStateMachineForExecution.
 */
import type { ExecutionStatus, HistoryEvent, Json } from '@stepwise/core';
import type { ExecutionFilter, ExecutionRecord, StateMachineRecord } from '../../store/types.js';
import type { StartOptions } from '../../runtime/runtime.js';
import { REDRIVE_TOKEN_TTL_MS } from '../../runtime/runtime.js';
import type { NestedStartRequest, NestedStartResult } from '../../runtime/integrations.js';
import { apiFailure } from '../../runtime/integrations.js';
import { Input } from '../input.js';
import {
  executionArn,
  parseExecutionArn,
  parseMapRunArn,
  parseStateMachineArn,
  unqualifiedArn,
} from '../arn.js';
import {
  ApiError,
  executionAlreadyExists,
  executionDoesNotExist,
  executionNotRedrivable,
  stateMachineDoesNotExist,
  stateMachineTypeNotSupported,
  resourceNotFound,
  validation,
} from '../errors.js';
import { forgetWhenClosed, startExpress, startExpressExecution } from './express.js';
import { decodeToken, encodeToken, isDateArnCursor, pageSize } from '../pagination.js';
import type { Operation, ServiceContext } from './context.js';
import { describeRevision } from './state-machines.js';
import type { Target } from './versions.js';
import {
  aliasArnOf,
  pickByWeight,
  requireTarget,
  startRequest,
  startTarget,
  targetOptions,
  versionArnOf,
} from './versions.js';

/**
 * Through an unqualified ARN, a version ARN, or an alias ARN (which picks a version by weight);
 * `#<test case>` after any of them runs a mock test case.
 */
export const StartExecution: Operation = async (service, input) => {
  const { target, testCase } = await startTarget(service, input.string('stateMachineArn'));
  const options: StartOptions = testCase !== undefined ? { testCase } : {};
  if (target.stateMachine.type === 'EXPRESS') return startExpressExecution(service, target, input, options);
  const execution = await startStandard(service, target, input, options);
  return { executionArn: execution.executionArn, startDate: new Date(execution.startDate) };
};

async function startStandard(
  service: ServiceContext,
  target: Target,
  input: Input,
  options: StartOptions,
): Promise<ExecutionRecord> {
  const { name, text, value } = startRequest(input);
  const arn = executionArn(service.scope, target.stateMachine.name, name);
  const { created, execution } = await service.runtime.startExecution(
    target.stateMachine,
    arn,
    name,
    { text, value },
    targetOptions(target, { ...options, traceHeader: input.optionalString('traceHeader') }),
  );
  // Same name and same input while it runs: AWS answers the original start (idempotent). A Task
  // starting its nested execution again (after a crash) finds its own child, whatever its state.
  const own = options.parentTaskToken !== undefined && execution.parentTaskToken === options.parentTaskToken;
  if (!created && !own && !(execution.status === 'RUNNING' && execution.input === text)) {
    throw executionAlreadyExists(arn);
  }
  return execution;
}

/**
 * StartExecution for a Task (`states:startExecution…`): the API's own checks (versions and
 * aliases included), its errors as a Task sees them (`StepFunctions.<Shape>Exception` with the
 * SDK's message as cause).
 */
export async function startNestedExecution(
  service: ServiceContext,
  request: NestedStartRequest,
): Promise<NestedStartResult> {
  try {
    // A Task names a plain, version or alias ARN; `#` is not a test case there.
    const target = await requireTarget(service, request.stateMachineArn, pickByWeight, (machine) =>
      service.runtime.stateMachine(machine),
    );
    const input = new Input({ name: request.name, input: request.input });
    const options: StartOptions = { parentTaskToken: request.parentTaskToken };
    const execution =
      target.stateMachine.type === 'EXPRESS'
        ? await startExpress(service, target, input, forgetWhenClosed(service), options)
        : await startStandard(service, target, input, options);
    return { ok: true, execution };
  } catch (error) {
    if (error instanceof ApiError)
      return { ok: false, ...apiFailure(error.shape, error.message, error.status) };
    throw error;
  }
}

async function existingExecution(service: ServiceContext, arnText: string): Promise<ExecutionRecord> {
  const arn = parseExecutionArn(arnText).arn;
  const execution = await service.store.getExecution(arn);
  if (execution === undefined) throw executionDoesNotExist(arn);
  return execution;
}

/** AWS: an execution can be redriven within 14 days of its stop... */
const REDRIVABLE_PERIOD_MS = 14 * 24 * 60 * 60 * 1000;
/** ...and while it is younger than the longest an execution may be open (one year). */
const MAX_OPEN_MS = 365 * 24 * 60 * 60 * 1000;

interface RedriveStatus {
  redriveStatus: 'REDRIVABLE' | 'NOT_REDRIVABLE' | 'REDRIVABLE_BY_MAP_RUN';
  /** Why not, when NOT_REDRIVABLE (AWS's redriveStatusReason wording). */
  reason?: string;
}

const notRedrivable = (reason: string): RedriveStatus => ({ redriveStatus: 'NOT_REDRIVABLE', reason });

/**
 * Whether RedriveExecution would redrive the execution now, and why not. The reasons are the
 * ones AWS documents for redriveStatusReason.
 */
async function redriveStatusOf(service: ServiceContext, e: ExecutionRecord): Promise<RedriveStatus> {
  if (e.status === 'RUNNING' || e.status === 'SUCCEEDED') {
    return notRedrivable(`Execution is ${e.status} and cannot be redriven`);
  }
  // A redrive adds ExecutionRedriven and at least one more event.
  if (e.nextEventId - 1 >= service.runtime.maxHistoryEvents - 1) {
    return notRedrivable('Execution history event limit exceeded');
  }
  if (e.redrivable !== true)
    return notRedrivable('Execution was started before the launch of RedriveExecution');
  // A Distributed Map's child runs again when its parent is redriven (its Map Run redrives it).
  if (e.mapRunArn !== undefined) return { redriveStatus: 'REDRIVABLE_BY_MAP_RUN' };
  const stateMachine: StateMachineRecord | undefined = await service.runtime.stateMachine(e.stateMachineArn);
  if (stateMachine === undefined || stateMachine.status === 'DELETING') {
    return notRedrivable('State machine is in DELETING status');
  }
  const now = service.now();
  if (now - e.startDate > MAX_OPEN_MS) return notRedrivable('Execution has exceeded the max execution time');
  if (e.stopDate !== undefined && now - e.stopDate > REDRIVABLE_PERIOD_MS) {
    return notRedrivable('Execution redrivable period exceeded');
  }
  return { redriveStatus: 'REDRIVABLE' };
}

/** redriveCount, redriveDate, redriveStatus and redriveStatusReason, as DescribeExecution gives them. */
async function redriveMembers(service: ServiceContext, e: ExecutionRecord): Promise<Record<string, unknown>> {
  const status = await redriveStatusOf(service, e);
  const out: Record<string, unknown> = { redriveCount: e.redriveCount };
  if (e.redriveDate !== undefined) out['redriveDate'] = new Date(e.redriveDate);
  out['redriveStatus'] = status.redriveStatus;
  if (status.reason !== undefined) out['redriveStatusReason'] = status.reason;
  return out;
}

export const DescribeExecution: Operation = async (service, input) => {
  const e = await existingExecution(service, input.string('executionArn'));
  const out: Record<string, unknown> = {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: new Date(e.startDate),
    input: e.input,
    inputDetails: { included: true },
    ...(await redriveMembers(service, e)),
  };
  if (e.stopDate !== undefined) out['stopDate'] = new Date(e.stopDate);
  if (e.output !== undefined) {
    out['output'] = e.output;
    out['outputDetails'] = { included: true };
  }
  if (e.error !== undefined && e.error !== null) out['error'] = e.error;
  if (e.cause !== undefined && e.cause !== null) out['cause'] = e.cause;
  if (e.traceHeader !== undefined) out['traceHeader'] = e.traceHeader;
  if (e.mapRunArn !== undefined) out['mapRunArn'] = e.mapRunArn;
  if (e.stateMachineVersionArn !== undefined) out['stateMachineVersionArn'] = e.stateMachineVersionArn;
  if (e.stateMachineAliasArn !== undefined) out['stateMachineAliasArn'] = e.stateMachineAliasArn;
  return out;
};

const isCursor = isDateArnCursor('startDate');

/**
 * By state machine, by a version or an alias of one (the executions started through it; a
 * version's include those an alias routed to it), or (`mapRunArn`) the child executions of a
 * Distributed Map's run.
 */
async function executionSource(service: ServiceContext, input: Input): Promise<ExecutionFilter> {
  const mapRunText = input.optionalString('mapRunArn');
  const smText = input.optionalString('stateMachineArn');
  if ((mapRunText === undefined) === (smText === undefined)) {
    throw validation('Must provide a StateMachine ARN or MapRun ARN');
  }
  if (mapRunText !== undefined) {
    const mapRunArn = parseMapRunArn(mapRunText).arn;
    if ((await service.store.getMapRun(mapRunArn)) === undefined) throw resourceNotFound(mapRunArn);
    return { mapRunArn };
  }
  const parsed = parseStateMachineArn(smText ?? '');
  const smArn = unqualifiedArn(parsed);
  const stateMachine = await service.store.getStateMachine(smArn);
  if (stateMachine === undefined) throw stateMachineDoesNotExist(parsed.arn);
  if (stateMachine.type === 'EXPRESS') throw stateMachineTypeNotSupported();
  if (parsed.version !== undefined) return { stateMachineVersionArn: versionArnOf(smArn, parsed.version) };
  if (parsed.alias !== undefined) return { stateMachineAliasArn: aliasArnOf(smArn, parsed.alias) };
  return { stateMachineArn: smArn };
}

/** An execution as ListExecutions (and the console's search) lists it. */
export function executionListItem(e: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: new Date(e.startDate),
    ...(e.stopDate !== undefined ? { stopDate: new Date(e.stopDate) } : {}),
    ...(e.mapRunArn !== undefined ? { mapRunArn: e.mapRunArn } : {}),
    ...(e.stateMachineVersionArn !== undefined ? { stateMachineVersionArn: e.stateMachineVersionArn } : {}),
    ...(e.stateMachineAliasArn !== undefined ? { stateMachineAliasArn: e.stateMachineAliasArn } : {}),
    redriveCount: e.redriveCount,
    ...(e.redriveDate !== undefined ? { redriveDate: new Date(e.redriveDate) } : {}),
  };
}

export const ListExecutions: Operation = async (service, input) => {
  const source = await executionSource(service, input);
  const status = input.optionalString('statusFilter') as ExecutionStatus | undefined;
  const redriveFilter = input.optionalString('redriveFilter');
  const parent =
    source.stateMachineArn ??
    source.stateMachineVersionArn ??
    source.stateMachineAliasArn ??
    source.mapRunArn ??
    '';
  const query =
    `executions:${parent}:${status ?? ''}` + (redriveFilter !== undefined ? `:${redriveFilter}` : '');
  const after = decodeToken(input.optionalString('nextToken'), query, isCursor);
  const page = await service.store.listExecutions(
    {
      ...source,
      ...(status !== undefined ? { status } : {}),
      ...(redriveFilter !== undefined ? { redriven: redriveFilter === 'REDRIVEN' } : {}),
    },
    { limit: pageSize(input.optionalNumber('maxResults')), ...(after !== undefined ? { after } : {}) },
  );
  return {
    executions: page.items.map(executionListItem),
    ...(page.next !== undefined ? { nextToken: encodeToken(query, page.next) } : {}),
  };
};

export const StopExecution: Operation = async (service, input) => {
  // The runtime reads the execution (or has it hot) and answers `missing` when there is none.
  const arn = parseExecutionArn(input.string('executionArn')).arn;
  const outcome = await service.runtime.deliver(arn, {
    type: 'StopExecution',
    error: input.optionalString('error') ?? null,
    cause: input.optionalString('cause') ?? null,
  });
  if (outcome.kind === 'missing') throw executionDoesNotExist(arn);
  const stopDate = outcome.execution.stopDate ?? service.now();
  return { stopDate: new Date(stopDate) };
};

/**
 * RedriveExecution. A client token used for a redrive of this execution in the last 15 minutes
 * answers that redrive's date again, without redriving (the SDKs fill one in on every call).
 */
export const RedriveExecution: Operation = async (service, input) => {
  const e = await existingExecution(service, input.string('executionArn'));
  const clientToken = input.optionalString('clientToken');
  const seen =
    clientToken === undefined
      ? undefined
      : e.redriveTokens?.find(
          (t) => t.token === clientToken && service.now() - t.redriveDate < REDRIVE_TOKEN_TTL_MS,
        );
  if (seen !== undefined) return { redriveDate: new Date(seen.redriveDate) };
  const status = await redriveStatusOf(service, e);
  if (status.redriveStatus === 'REDRIVABLE_BY_MAP_RUN') {
    throw executionNotRedrivable('Execution is a child of a Map Run: redrive its parent execution');
  }
  if (status.redriveStatus !== 'REDRIVABLE') {
    throw executionNotRedrivable(status.reason ?? 'Execution cannot be redriven');
  }
  const outcome = await service.runtime.redriveExecution(e.executionArn, clientToken);
  switch (outcome.kind) {
    case 'missing':
      throw executionDoesNotExist(e.executionArn);
    case 'notRedrivable': {
      // It changed meanwhile (another request redrove it): say why as it stands now.
      const now = await redriveStatusOf(service, outcome.execution);
      throw executionNotRedrivable(now.reason ?? 'Execution cannot be redriven');
    }
    case 'repeated':
    case 'redriven':
      return { redriveDate: new Date(outcome.redriveDate) };
    default: {
      const never: never = outcome;
      throw new Error(`unknown redrive outcome ${JSON.stringify(never)}`);
    }
  }
};

/** History events in the API's shape; without execution data, payloads are left out. */
export function renderEvent(event: HistoryEvent, includeData: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    timestamp: new Date(event.timestamp),
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
  };
  if (event.detailsMember !== undefined && event.details !== undefined) {
    let details: Record<string, Json> = event.details;
    if (!includeData) {
      details = { ...details };
      delete details['input'];
      delete details['output'];
    }
    out[event.detailsMember] = details;
  }
  return out;
}

const isHistoryCursor = (c: unknown): c is number => typeof c === 'number' && Number.isInteger(c);

export const GetExecutionHistory: Operation = async (service, input) => {
  const e = await existingExecution(service, input.string('executionArn'));
  const reverse = input.optionalBoolean('reverseOrder') ?? false;
  const includeData = input.optionalBoolean('includeExecutionData') ?? true;
  const query = `history:${e.executionArn}:${reverse}`;
  const afterId = decodeToken(input.optionalString('nextToken'), query, isHistoryCursor);
  const limit = pageSize(input.optionalNumber('maxResults'));
  const events = await service.store.getHistory({
    executionArn: e.executionArn,
    reverse,
    limit: limit + 1,
    ...(afterId !== undefined ? { afterId } : {}),
  });
  const pageEvents = events.slice(0, limit);
  const last = pageEvents[pageEvents.length - 1];
  return {
    events: pageEvents.map((event) => renderEvent(event, includeData)),
    ...(events.length > limit && last !== undefined ? { nextToken: encodeToken(query, last.id) } : {}),
  };
};

export const DescribeStateMachineForExecution: Operation = async (service, input) => {
  const e = await existingExecution(service, input.string('executionArn'));
  const revision = await service.store.getRevision(e.stateMachineArn, e.revisionKey);
  if (revision === undefined) throw executionDoesNotExist(e.executionArn);
  return {
    stateMachineArn: e.stateMachineArn,
    name: e.stateMachineArn.slice(e.stateMachineArn.lastIndexOf(':') + 1),
    ...describeRevision(revision),
    updateDate: new Date(revision.createdAt),
    ...(await revisionIdOf(service, e)),
  };
};

/**
 * The revisionId of the revision an execution ran: the version's it started through, or the
 * machine's while that revision is still its current one. Revisions made before any update have
 * none.
 */
async function revisionIdOf(service: ServiceContext, e: ExecutionRecord): Promise<{ revisionId?: string }> {
  const versionArn = e.stateMachineVersionArn;
  if (versionArn !== undefined) {
    const number = parseStateMachineArn(versionArn).version;
    const version =
      number === undefined
        ? undefined
        : await service.store.getStateMachineVersion(e.stateMachineArn, number);
    if (version?.revisionKey === e.revisionKey) {
      return version.revisionId !== undefined ? { revisionId: version.revisionId } : {};
    }
  }
  const stateMachine = await service.store.getStateMachine(e.stateMachineArn);
  return stateMachine?.revisionId !== undefined && stateMachine.current.revisionKey === e.revisionKey
    ? { revisionId: stateMachine.revisionId }
    : {};
}
