/**
 * The console's only way to the server: the AWS JSON 1.0 operations every client uses
 * (`AWSStepFunctions.<Op>`) and the Stepwise extensions (`StepwiseConsole.<Op>`, docs/console.md).
 * Timestamps arrive as epoch seconds; everything else is passed through as the server sent it.
 */

export class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

type Target = 'AWSStepFunctions' | 'StepwiseConsole';

async function call<T>(target: Target, operation: string, input: object, signal?: AbortSignal): Promise<T> {
  const response = await fetch('/', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `${target}.${operation}`,
    },
    body: JSON.stringify(input),
    ...(signal !== undefined ? { signal } : {}),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ApiError(
      'InvalidResponse',
      `The server answered ${response.status} with non-JSON`,
      response.status,
    );
  }
  if (!response.ok) {
    const error = (typeof body === 'object' && body !== null ? body : {}) as {
      __type?: unknown;
      message?: unknown;
    };
    const type = typeof error.__type === 'string' ? error.__type.replace(/^.*#/, '') : 'Error';
    const message = typeof error.message === 'string' ? error.message : `HTTP ${response.status}`;
    throw new ApiError(type, message, response.status);
  }
  return body as T;
}

export const sfn = <T>(operation: string, input: object = {}, signal?: AbortSignal): Promise<T> =>
  call<T>('AWSStepFunctions', operation, input, signal);
export const ext = <T>(operation: string, input: object = {}, signal?: AbortSignal): Promise<T> =>
  call<T>('StepwiseConsole', operation, input, signal);

export type ExecutionStatus =
  'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];

export interface StateMachineListItem {
  stateMachineArn: string;
  name: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: number;
}

export interface StateMachineDescription {
  stateMachineArn: string;
  name: string;
  type: 'STANDARD' | 'EXPRESS';
  definition: string;
  roleArn: string;
  creationDate: number;
  revisionId?: string;
}

export interface ExecutionListItem {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
}

export interface ExecutionDescription extends ExecutionListItem {
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount?: number;
  redriveStatus?: string;
}

/** One history event; its details sit under a `…EventDetails` member. */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [member: string]: unknown;
}

export interface Diagnostic {
  severity: 'ERROR' | 'WARNING';
  code: string;
  message: string;
  location?: string;
}

export interface ActivityListItem {
  activityArn: string;
  name: string;
  creationDate: number;
}

export interface ActivityStats {
  activityArn: string;
  queued: number;
  inFlight: number;
  human: boolean;
  pollers: { workerName?: string; since: number }[];
}

export interface ActivityTask {
  executionArn: string;
  status: 'QUEUED' | 'STARTED';
  input: string;
  scheduledDate: number;
  workerName?: string;
}

/** Every page of a paged AWS listing. */
export async function listAll<T>(
  operation: string,
  key: string,
  input: object = {},
  max = 10_000,
): Promise<T[]> {
  const out: T[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn<Record<string, unknown> & { nextToken?: string }>(operation, {
      ...input,
      maxResults: 1000,
      ...(nextToken !== undefined ? { nextToken } : {}),
    });
    const items = page[key];
    if (Array.isArray(items)) out.push(...(items as T[]));
    nextToken = page.nextToken;
  } while (nextToken !== undefined && out.length < max);
  return out;
}

/** The details member of an event (`taskScheduledEventDetails` …), if it has one. */
export function eventDetails(event: HistoryEvent): Record<string, unknown> | undefined {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && typeof value === 'object' && value !== null)
      return value as Record<string, unknown>;
  }
  return undefined;
}

/** The ARN's last segment: the resource's name. */
export function shortName(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}
