/**
 * PublishStateMachineVersion, ListStateMachineVersions, DeleteStateMachineVersion, and what the
 * other operations share about versions and aliases: resolving a qualified state machine ARN
 * (`…:stateMachine:<name>:<version>` or `…:<alias>`) to the revision it runs.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Json } from '@stepwise/core';
import type { StartOptions } from '../../runtime/runtime.js';
import type { Input } from '../input.js';
import { isValidName } from '../names.js';
import type {
  AliasRoute,
  PublishOutcome,
  PublishRequest,
  StateMachineRecord,
  StateMachineVersionRecord,
} from '../../store/types.js';
import type { StateMachineArn } from '../arn.js';
import { parseStateMachineArn, unqualifiedArn } from '../arn.js';
import {
  invalidName,
  invalidQualifiedArn,
  parseExecutionInput,
  publishRevisionConflict,
  stateMachineDoesNotExist,
  versionQuotaExceeded,
  versionReferencedByAliases,
} from '../errors.js';
import { decodeToken, encodeToken, pageSize } from '../pagination.js';
import type { Operation, ServiceContext } from './context.js';
import { checkTestCase, splitTestCase } from '../test-cases.js';

/** AWS's quotas per state machine. */
export const MAX_VERSIONS = 1000;
export const MAX_ALIASES = 100;

/** The revisionId PublishStateMachineVersion matches for a machine never updated. */
const INITIAL_REVISION = 'INITIAL';

export function versionArnOf(stateMachineArn: string, version: number): string {
  return `${stateMachineArn}:${version}`;
}

export function aliasArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn}:${name}`;
}

/** What a (possibly qualified) state machine ARN runs. */
export interface Target {
  /** The machine with `current` set to the revision that runs: the version's, when qualified. */
  stateMachine: StateMachineRecord;
  version?: StateMachineVersionRecord;
  stateMachineVersionArn?: string;
  stateMachineAliasArn?: string;
}

/**
 * An alias's version for one execution: each route gets its weight's share of starts (a weight
 * of 0 gets none, 100 gets all).
 */
export function pickByWeight(
  routing: readonly AliasRoute[],
  draw: () => number = () => randomInt(100),
): number {
  const roll = draw();
  let upTo = 0;
  for (const route of routing) {
    upTo += route.weight;
    if (roll < upTo) return route.version;
  }
  const last = routing[routing.length - 1];
  if (last === undefined) throw new Error('an alias without routes');
  return last.version;
}

/** The version DescribeStateMachine shows for an alias: the one that gets most of the traffic. */
export function mainRoute(routing: readonly AliasRoute[]): number {
  let best: AliasRoute | undefined;
  for (const route of routing) if (best === undefined || route.weight > best.weight) best = route;
  if (best === undefined) throw new Error('an alias without routes');
  return best.version;
}

/**
 * Resolves a state machine ARN as StartExecution and DescribeStateMachine take it: unqualified,
 * a version, or an alias (whose version `choose` picks). Undefined when the machine, the version
 * or the alias does not exist.
 */
export async function resolveTarget(
  service: ServiceContext,
  parsed: StateMachineArn,
  choose: (routing: readonly AliasRoute[]) => number,
  load: (stateMachineArn: string) => Promise<StateMachineRecord | undefined> = (arn) =>
    service.store.getStateMachine(arn),
): Promise<Target | undefined> {
  const machineArn = unqualifiedArn(parsed);
  const stateMachine = await load(machineArn);
  if (stateMachine === undefined) return undefined;
  if (parsed.version === undefined && parsed.alias === undefined) return { stateMachine };
  let number = parsed.version;
  let stateMachineAliasArn: string | undefined;
  if (parsed.alias !== undefined) {
    const alias = await service.store.getStateMachineAlias(machineArn, parsed.alias);
    if (alias === undefined) return undefined;
    number = choose(alias.routing);
    stateMachineAliasArn = aliasArnOf(machineArn, alias.name);
  }
  if (number === undefined) return undefined;
  const version = await service.store.getStateMachineVersion(machineArn, number);
  if (version === undefined) return undefined;
  const revision = await service.store.getRevision(machineArn, version.revisionKey);
  if (revision === undefined) throw new Error(`version ${number} of ${machineArn}: revision is missing`);
  const target: Target = {
    stateMachine: { ...stateMachine, current: revision },
    version,
    stateMachineVersionArn: versionArnOf(machineArn, number),
  };
  if (stateMachineAliasArn !== undefined) target.stateMachineAliasArn = stateMachineAliasArn;
  return target;
}

/** Like resolveTarget, but a missing anything is StateMachineDoesNotExist for the ARN given. */
/**
 * What StartExecution and StartSyncExecution start: the machine (from the runtime's cache, as
 * every start reads it), version or alias, and the mock test case after `#`, checked.
 */
export async function startTarget(
  service: ServiceContext,
  arnText: string,
): Promise<{ target: Target; testCase?: string }> {
  const { arn, testCase } = splitTestCase(arnText);
  const target = await requireTarget(service, arn, pickByWeight, (machine) =>
    service.runtime.stateMachine(machine),
  );
  if (testCase === undefined) return { target };
  checkTestCase(service.mocks, target.stateMachine, testCase);
  return { target, testCase };
}

/** A start's name and input, checked as AWS does: a UUID when unnamed, `{}` when there is no input. */
export function startRequest(input: Input): { name: string; text: string; value: Json } {
  const name = input.optionalString('name') ?? randomUUID();
  if (!isValidName(name)) throw invalidName(name);
  const text = input.optionalString('input') ?? '{}';
  return { name, text, value: parseExecutionInput(text) as Json };
}

/** The runtime's options for a start through `target`: the version and alias it went through. */
export function targetOptions(target: Target, options: StartOptions): StartOptions {
  return {
    ...options,
    stateMachineVersionArn: target.stateMachineVersionArn,
    stateMachineAliasArn: target.stateMachineAliasArn,
  };
}

export async function requireTarget(
  service: ServiceContext,
  arnText: string,
  choose: (routing: readonly AliasRoute[]) => number,
  load?: (stateMachineArn: string) => Promise<StateMachineRecord | undefined>,
): Promise<Target> {
  const parsed = parseStateMachineArn(arnText);
  const target = await resolveTarget(service, parsed, choose, load);
  if (target === undefined) throw stateMachineDoesNotExist(parsed.arn);
  return target;
}

/**
 * Publishes the machine's current revision (the one `stateMachine` was read with): idempotent
 * per revision. A concurrent update moves the current revision on; then the fresh one is
 * published (or, with `expectedRevisionId`, the conflict reported).
 */
export async function publishCurrent(
  service: ServiceContext,
  stateMachine: StateMachineRecord,
  options: { description?: string | undefined; expectedRevisionId?: string | undefined },
): Promise<StateMachineVersionRecord> {
  let machine = stateMachine;
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = machine.revisionId ?? INITIAL_REVISION;
    if (options.expectedRevisionId !== undefined && options.expectedRevisionId !== current) {
      throw publishRevisionConflict(options.expectedRevisionId, current);
    }
    const request: PublishRequest = {
      revisionKey: machine.current.revisionKey,
      creationDate: service.now(),
      maxVersions: MAX_VERSIONS,
    };
    if (machine.revisionId !== undefined) request.revisionId = machine.revisionId;
    if (options.description !== undefined) request.description = options.description;
    const outcome = await service.store.publishStateMachineVersion(machine.stateMachineArn, request);
    if (outcome.kind !== 'revisionChanged') return publishedOrThrow(outcome, machine.stateMachineArn);
    const fresh = await service.store.getStateMachine(machine.stateMachineArn);
    if (fresh === undefined) throw stateMachineDoesNotExist(machine.stateMachineArn);
    service.runtime.stateMachineChanged(machine.stateMachineArn);
    machine = fresh;
  }
  throw new Error(`${stateMachine.stateMachineArn}: the revision keeps changing while publishing`);
}

/** The version a publish produced or found; its refusals as the API errors. */
export function publishedOrThrow(
  outcome: PublishOutcome,
  stateMachineArn: string,
): StateMachineVersionRecord {
  switch (outcome.kind) {
    case 'published':
    case 'existing':
      return outcome.version;
    case 'noStateMachine':
      throw stateMachineDoesNotExist(stateMachineArn);
    case 'quotaExceeded':
      throw versionQuotaExceeded(MAX_VERSIONS);
    case 'revisionChanged':
      throw new Error(`${stateMachineArn}: the revision changed while publishing`);
    default: {
      const never: never = outcome;
      throw new Error(`unknown publish outcome ${JSON.stringify(never)}`);
    }
  }
}

/** The state machine an unqualified ARN names; StateMachineDoesNotExist when there is none. */
export async function requireStateMachine(
  service: ServiceContext,
  arnText: string,
): Promise<StateMachineRecord> {
  const arn = parseStateMachineArn(arnText).arn;
  const stateMachine = await service.store.getStateMachine(arn);
  if (stateMachine === undefined) throw stateMachineDoesNotExist(arn);
  return stateMachine;
}

export const PublishStateMachineVersion: Operation = async (service, input) => {
  const stateMachine = await requireStateMachine(service, input.string('stateMachineArn'));
  const arn = stateMachine.stateMachineArn;
  const version = await publishCurrent(service, stateMachine, {
    description: input.optionalString('description'),
    expectedRevisionId: input.optionalString('revisionId'),
  });
  return {
    creationDate: new Date(version.creationDate),
    stateMachineVersionArn: versionArnOf(arn, version.version),
  };
};

const isVersionCursor = (c: unknown): c is number => typeof c === 'number' && Number.isInteger(c);

export const ListStateMachineVersions: Operation = async (service, input) => {
  // A machine that does not exist has no versions (the operation models no "does not exist").
  const arn = parseStateMachineArn(input.string('stateMachineArn')).arn;
  const query = `versions:${arn}`;
  const after = decodeToken(input.optionalString('nextToken'), query, isVersionCursor);
  const page = await service.store.listStateMachineVersions(arn, {
    limit: pageSize(input.optionalNumber('maxResults')),
    ...(after !== undefined ? { after } : {}),
  });
  return {
    stateMachineVersions: page.items.map((v) => ({
      stateMachineVersionArn: versionArnOf(arn, v.version),
      creationDate: new Date(v.creationDate),
    })),
    ...(page.next !== undefined ? { nextToken: encodeToken(query, page.next) } : {}),
  };
};

export const DeleteStateMachineVersion: Operation = async (service, input) => {
  const text = input.string('stateMachineVersionArn');
  const parsed = parseStateMachineArn(text);
  if (parsed.version === undefined) throw invalidQualifiedArn(text, 'version');
  const outcome = await service.store.deleteStateMachineVersion(unqualifiedArn(parsed), parsed.version);
  if (!outcome.deleted) throw versionReferencedByAliases(outcome.aliases);
  return {};
};
