/**
 * Step Functions ARNs: building them, and parsing what clients send.
 *
 * `arn:<partition>:states:<region>:<account>:<resourceType>:<resource…>`. Names cannot contain
 * `:` (see names.ts), so splitting on it is unambiguous. Any partition, region and account is
 * accepted and reported; whether they match this server is the caller's decision (AWS answers
 * "does not exist" for a foreign account rather than "invalid").
 */
import { invalidArn, invalidArnResourceType } from './errors.js';

export interface ArnScope {
  partition: string;
  region: string;
  account: string;
}

export interface ActivityArn extends ArnScope {
  kind: 'activity';
  arn: string;
  name: string;
}

export interface StateMachineArn extends ArnScope {
  kind: 'stateMachine';
  arn: string;
  name: string;
  /** `…:stateMachine:<name>:<n>` */
  version?: number;
  /** `…:stateMachine:<name>:<alias>` */
  alias?: string;
  /** `…:stateMachine:<name>/<label>`: the child state machine of a Distributed Map. */
  label?: string;
}

export interface ExecutionArn extends ArnScope {
  kind: 'execution';
  arn: string;
  stateMachineName: string;
  name: string;
  /** Child executions of a Distributed Map: `…:execution:<smName>/<label>:<id>`. */
  label?: string;
}

export interface ExpressExecutionArn extends ArnScope {
  kind: 'express';
  arn: string;
  stateMachineName: string;
  name: string;
  id: string;
}

export interface MapRunArn extends ArnScope {
  kind: 'mapRun';
  arn: string;
  stateMachineName: string;
  label: string;
  id: string;
}

export type StatesArn = ActivityArn | StateMachineArn | ExecutionArn | ExpressExecutionArn | MapRunArn;

// --- Building ---------------------------------------------------------------------------------

function prefix(scope: ArnScope): string {
  return `arn:${scope.partition}:states:${scope.region}:${scope.account}`;
}

export function activityArn(scope: ArnScope, name: string): string {
  return `${prefix(scope)}:activity:${name}`;
}

export function stateMachineArn(scope: ArnScope, name: string): string {
  return `${prefix(scope)}:stateMachine:${name}`;
}

export function executionArn(scope: ArnScope, stateMachineName: string, name: string): string {
  return `${prefix(scope)}:execution:${stateMachineName}:${name}`;
}

export function expressExecutionArn(
  scope: ArnScope,
  stateMachineName: string,
  name: string,
  id: string,
): string {
  return `${prefix(scope)}:express:${stateMachineName}:${name}:${id}`;
}

/** The state machine a version, alias or plain state machine ARN names, without its qualifier. */
export function unqualifiedArn(sm: StateMachineArn): string {
  if (sm.version === undefined && sm.alias === undefined) return sm.arn;
  return stateMachineArn(sm, sm.label === undefined ? sm.name : `${sm.name}/${sm.label}`);
}

// --- Parsing ----------------------------------------------------------------------------------

/** Parses any Step Functions ARN; throws InvalidArn with AWS's wording otherwise. */
export function parseArn(value: string): StatesArn {
  const parts = value.split(':');
  const [arn, partition, service, region, account, resourceType, ...rest] = parts;
  if (
    arn !== 'arn' ||
    service !== 'states' ||
    !partition ||
    !region ||
    !account ||
    !resourceType ||
    rest.length === 0 ||
    rest.some((p) => p === '')
  ) {
    throw invalidArn(value);
  }
  const scope: ArnScope = { partition, region, account };
  const [first = '', second, third] = rest;
  switch (resourceType) {
    case 'activity':
      if (rest.length === 1) return { kind: 'activity', arn: value, ...scope, name: first };
      break;
    case 'stateMachine': {
      if (rest.length > 2) break;
      const [name = '', label] = splitLabel(first);
      const sm: StateMachineArn = { kind: 'stateMachine', arn: value, ...scope, name };
      if (label !== undefined) sm.label = label;
      if (second !== undefined) {
        if (/^[0-9]+$/.test(second)) sm.version = Number(second);
        else sm.alias = second;
      }
      return sm;
    }
    case 'execution': {
      if (rest.length !== 2 || second === undefined) break;
      const [stateMachineName = '', label] = splitLabel(first);
      const ex: ExecutionArn = { kind: 'execution', arn: value, ...scope, stateMachineName, name: second };
      if (label !== undefined) ex.label = label;
      return ex;
    }
    case 'express':
      if (rest.length !== 3 || second === undefined || third === undefined) break;
      return { kind: 'express', arn: value, ...scope, stateMachineName: first, name: second, id: third };
    case 'mapRun': {
      const [stateMachineName = '', label] = splitLabel(first);
      if (rest.length !== 2 || second === undefined || label === undefined) break;
      return { kind: 'mapRun', arn: value, ...scope, stateMachineName, label, id: second };
    }
    default:
      throw invalidArnResourceType(resourceType);
  }
  throw invalidArn(value);
}

function splitLabel(resource: string): [string, string?] {
  const slash = resource.indexOf('/');
  return slash < 0 ? [resource] : [resource.slice(0, slash), resource.slice(slash + 1)];
}

export function parseActivityArn(value: string): ActivityArn {
  const parsed = parseArn(value);
  if (parsed.kind === 'activity') return parsed;
  throw invalidArnResourceType(parsed.kind);
}

/** Accepts unqualified, version, alias and labelled state machine ARNs; check the fields. */
export function parseStateMachineArn(value: string): StateMachineArn {
  const parsed = parseArn(value);
  if (parsed.kind === 'stateMachine') return parsed;
  throw invalidArnResourceType(parsed.kind);
}

/** Standard executions only: an express ARN gives AWS's "Resource type not valid … express". */
export function parseExecutionArn(value: string): ExecutionArn {
  const parsed = parseArn(value);
  if (parsed.kind === 'execution') return parsed;
  throw invalidArnResourceType(parsed.kind);
}

export function parseMapRunArn(value: string): MapRunArn {
  const parsed = parseArn(value);
  if (parsed.kind === 'mapRun') return parsed;
  throw invalidArnResourceType(parsed.kind);
}
