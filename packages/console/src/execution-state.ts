/**
 * What the history says about each state: its visits (entered → exited), the data at each
 * step, failures and retries, and from those the status the graph colours it with. Events are
 * attributed to states through `previousEventId`, which chains each event to the last one of
 * its own thread, so Parallel branches and Map iterations running side by side stay apart.
 */
import type { ExecutionStatus, HistoryEvent } from './api';
import { eventDetails } from './api';

export type StateStatus = 'notReached' | 'running' | 'succeeded' | 'failed' | 'caught';

export interface StateVisit {
  name: string;
  enteredId: number;
  enteredAt: number;
  exitedAt?: number;
  /** Raw input, as the state received it. */
  input?: string;
  /** Effective input sent to the work (after InputPath and Parameters/Arguments). */
  effectiveInput?: string;
  resource?: string;
  /** What the work answered (before ResultSelector/ResultPath). */
  result?: string;
  output?: string;
  assignedVariables?: Record<string, unknown>;
  workerName?: string;
  failures: { id: number; at: number; type: string; error?: string; cause?: string }[];
  /** Times the work was started again after a failure in this visit. */
  retries: number;
  /** Every event attributed to this visit. */
  eventIds: number[];
}

export interface StateSummary {
  status: StateStatus;
  retried: boolean;
  visits: StateVisit[];
}

const FAILURE = /(Failed|TimedOut|Aborted)$/;
const WORK_START = /(Scheduled|Started)$/;

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function analyse(
  events: readonly HistoryEvent[],
  executionStatus: ExecutionStatus | undefined,
  stateTypes: ReadonlyMap<string, string>,
): Map<string, StateSummary> {
  const visitOf = new Map<number, StateVisit>();
  const visits = new Map<string, StateVisit[]>();
  for (const event of events) {
    const details = eventDetails(event) ?? {};
    if (event.type.endsWith('StateEntered')) {
      const name = text(details['name']) ?? '?';
      const visit: StateVisit = {
        name,
        enteredId: event.id,
        enteredAt: event.timestamp,
        failures: [],
        retries: 0,
        eventIds: [event.id],
      };
      const input = text(details['input']);
      if (input !== undefined) visit.input = input;
      // A Catch moves on without an exit event: the failed visit ends where the next one starts.
      const before = visitOf.get(event.previousEventId);
      if (before !== undefined && before.exitedAt === undefined && before.failures.length > 0)
        before.exitedAt = event.timestamp;
      const list = visits.get(name) ?? [];
      list.push(visit);
      visits.set(name, list);
      visitOf.set(event.id, visit);
      continue;
    }
    if (event.type.startsWith('Execution')) continue;
    const visit = visitOf.get(event.previousEventId);
    if (visit === undefined || visit.exitedAt !== undefined) continue;
    visit.eventIds.push(event.id);
    if (event.type.endsWith('StateExited')) {
      visit.exitedAt = event.timestamp;
      const output = text(details['output']);
      if (output !== undefined) visit.output = output;
      const assigned = details['assignedVariables'];
      if (typeof assigned === 'object' && assigned !== null)
        visit.assignedVariables = assigned as Record<string, unknown>;
      // The exit closes the visit; later events of the thread belong to the next state.
      continue;
    }
    visitOf.set(event.id, visit);
    if (FAILURE.test(event.type) && !event.type.startsWith('MapIteration')) {
      const failure: StateVisit['failures'][number] = { id: event.id, at: event.timestamp, type: event.type };
      const error = text(details['error']);
      const cause = text(details['cause']);
      if (error !== undefined) failure.error = error;
      if (cause !== undefined) failure.cause = cause;
      visit.failures.push(failure);
    } else if (WORK_START.test(event.type) && event.type !== 'ActivityStarted') {
      if (visit.failures.length > 0) visit.retries++;
      const input = text(details['input']) ?? text(details['parameters']);
      if (input !== undefined) visit.effectiveInput = input;
      const resource = text(details['resource']);
      if (resource !== undefined) visit.resource = resource;
    }
    if (event.type === 'ActivityStarted') {
      const worker = text(details['workerName']);
      if (worker !== undefined) visit.workerName = worker;
    }
    if (event.type.endsWith('Succeeded') && !event.type.startsWith('MapIteration')) {
      const output = text(details['output']);
      if (output !== undefined) visit.result = output;
    }
  }

  const summaries = new Map<string, StateSummary>();
  for (const [name, list] of visits) {
    const last = list[list.length - 1];
    let status: StateStatus = 'notReached';
    if (last !== undefined) {
      if (stateTypes.get(name) === 'Fail') status = 'failed';
      else if (last.exitedAt === undefined) status = executionStatus === 'RUNNING' ? 'running' : 'failed';
      else status = last.failures.length > 0 ? 'caught' : 'succeeded';
    }
    summaries.set(name, { status, retried: list.some((v) => v.retries > 0), visits: list });
  }
  return summaries;
}

export const STATUS_LABELS: Record<StateStatus, string> = {
  notReached: 'Not reached',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  caught: 'Caught',
};
