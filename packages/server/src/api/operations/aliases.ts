/**
 * CreateStateMachineAlias, DescribeStateMachineAlias, UpdateStateMachineAlias,
 * DeleteStateMachineAlias, ListStateMachineAliases. An alias routes StartExecution to one or two
 * versions of its machine by weight; its ARN is the machine's ARN and `:<name>`.
 */
import type { AliasRoute, StateMachineAliasRecord } from '../../store/types.js';
import type { StateMachineArn } from '../arn.js';
import { parseArn, parseStateMachineArn, unqualifiedArn } from '../arn.js';
import {
  aliasAlreadyExists,
  aliasQuotaExceeded,
  invalidQualifiedArn,
  resourceNotFound,
  stateMachineDoesNotExist,
  validation,
} from '../errors.js';
import type { Input } from '../input.js';
import { decodeToken, encodeToken, isDateArnCursor, pageSize } from '../pagination.js';
import type { Operation, ServiceContext } from './context.js';
import { MAX_ALIASES, aliasArnOf, versionArnOf } from './versions.js';

interface RoutingItem {
  stateMachineVersionArn: string;
  weight: number;
}

/** A routing configuration as given: 1–2 items with weights 0–100 (the model checked that). */
function routingInput(input: Input): RoutingItem[] {
  return input.raw('routingConfiguration') as RoutingItem[];
}

/**
 * Checks a routing configuration as AWS does, in its words: version ARNs only, each once, of one
 * machine, weights summing to 100. Answers the machine and the routes by version number.
 */
function parseRouting(items: RoutingItem[]): { stateMachineArn: string; routing: AliasRoute[] } {
  const arns = items.map((item) => item.stateMachineVersionArn);
  const received = `Received: [${arns.join(', ')}]`;
  const versions: StateMachineArn[] = [];
  for (const arn of arns) {
    let parsed: StateMachineArn | undefined;
    try {
      const any = parseArn(arn);
      if (any.kind === 'stateMachine') parsed = any;
    } catch {
      // Reported below with the others, as one ValidationException.
    }
    if (parsed?.version === undefined || parsed.label !== undefined) {
      throw validation(`Routing configuration must contain state machine version ARNs. ${received}`);
    }
    versions.push(parsed);
  }
  if (new Set(arns).size !== arns.length) {
    throw validation(`Routing configuration must contain distinct state machine version ARNs. ${received}`);
  }
  const machines = new Set(versions.map(unqualifiedArn));
  const [stateMachineArn] = machines;
  if (machines.size !== 1 || stateMachineArn === undefined) {
    // Unrecorded wording.
    throw validation(
      `Routing configuration must contain version ARNs of one and the same state machine. ${received}`,
    );
  }
  const weights = items.map((item) => item.weight);
  if (weights.reduce((sum, w) => sum + w, 0) !== 100) {
    throw validation(
      `Sum of routing configuration weights must equal 100. Received: [${weights.join(', ')}]`,
    );
  }
  return {
    stateMachineArn,
    routing: versions.map((v, i) => ({ version: v.version ?? 0, weight: weights[i] ?? 0 })),
  };
}

/** Whether two routings send the same weights to the same versions, in whatever order. */
function sameRouting(a: readonly AliasRoute[], b: readonly AliasRoute[]): boolean {
  const key = (routes: readonly AliasRoute[]): string =>
    routes
      .map((r) => `${r.version}:${r.weight}`)
      .sort()
      .join(',');
  return key(a) === key(b);
}

function parseAliasArn(text: string): { stateMachineArn: string; name: string; arn: string } {
  const parsed = parseStateMachineArn(text);
  if (parsed.alias === undefined || parsed.label !== undefined) throw invalidQualifiedArn(text, 'alias');
  const stateMachineArn = unqualifiedArn(parsed);
  return { stateMachineArn, name: parsed.alias, arn: aliasArnOf(stateMachineArn, parsed.alias) };
}

function describeAlias(alias: StateMachineAliasRecord): Record<string, unknown> {
  return {
    stateMachineAliasArn: aliasArnOf(alias.stateMachineArn, alias.name),
    name: alias.name,
    ...(alias.description !== undefined ? { description: alias.description } : {}),
    routingConfiguration: alias.routing.map((route) => ({
      stateMachineVersionArn: versionArnOf(alias.stateMachineArn, route.version),
      weight: route.weight,
    })),
    creationDate: new Date(alias.creationDate),
    updateDate: new Date(alias.updateDate),
  };
}

export const CreateStateMachineAlias: Operation = async (service, input) => {
  const name = input.string('name');
  const description = input.optionalString('description');
  const { stateMachineArn, routing } = parseRouting(routingInput(input));
  const now = service.now();
  const alias: StateMachineAliasRecord = {
    stateMachineArn,
    name,
    routing,
    creationDate: now,
    updateDate: now,
  };
  if (description !== undefined) alias.description = description;
  const outcome = await service.store.createStateMachineAlias(alias, MAX_ALIASES);
  const arn = aliasArnOf(stateMachineArn, name);
  switch (outcome.kind) {
    case 'created':
      return { stateMachineAliasArn: arn, creationDate: new Date(now) };
    case 'exists': {
      // Idempotent when the description and the routing are the same.
      const existing = outcome.existing;
      if (existing.description !== description || !sameRouting(existing.routing, routing)) {
        throw aliasAlreadyExists();
      }
      return { stateMachineAliasArn: arn, creationDate: new Date(existing.creationDate) };
    }
    case 'noStateMachine':
      throw resourceNotFound(versionArnOf(stateMachineArn, routing[0]?.version ?? 0));
    case 'missingVersion':
      throw resourceNotFound(versionArnOf(stateMachineArn, outcome.version));
    case 'quotaExceeded':
      throw aliasQuotaExceeded(MAX_ALIASES);
    default: {
      const never: never = outcome;
      throw new Error(`unknown alias outcome ${JSON.stringify(never)}`);
    }
  }
};

async function existingAlias(service: ServiceContext, text: string): Promise<StateMachineAliasRecord> {
  const { stateMachineArn, name, arn } = parseAliasArn(text);
  const alias = await service.store.getStateMachineAlias(stateMachineArn, name);
  if (alias === undefined) throw resourceNotFound(arn);
  return alias;
}

export const DescribeStateMachineAlias: Operation = async (service, input) =>
  describeAlias(await existingAlias(service, input.string('stateMachineAliasArn')));

export const UpdateStateMachineAlias: Operation = async (service, input) => {
  const { stateMachineArn, name, arn } = parseAliasArn(input.string('stateMachineAliasArn'));
  const description = input.optionalString('description');
  const hasRouting = input.has('routingConfiguration');
  if (description === undefined && !hasRouting) {
    // Unrecorded wording.
    throw validation('Either the description or the routingConfiguration must be specified');
  }
  const change: { description?: string; routing?: AliasRoute[]; updateDate: number } = {
    updateDate: service.now(),
  };
  if (description !== undefined) change.description = description;
  if (hasRouting) {
    const parsed = parseRouting(routingInput(input));
    if (parsed.stateMachineArn !== stateMachineArn) {
      // Unrecorded wording.
      throw validation(
        `Routing configuration must contain versions of the alias's state machine ${stateMachineArn}`,
      );
    }
    change.routing = parsed.routing;
  }
  const outcome = await service.store.updateStateMachineAlias(stateMachineArn, name, change);
  switch (outcome.kind) {
    case 'updated':
      return { updateDate: new Date(outcome.alias.updateDate) };
    case 'missing':
      throw resourceNotFound(arn);
    case 'missingVersion':
      throw resourceNotFound(versionArnOf(stateMachineArn, outcome.version));
    default: {
      const never: never = outcome;
      throw new Error(`unknown alias outcome ${JSON.stringify(never)}`);
    }
  }
};

export const DeleteStateMachineAlias: Operation = async (service, input) => {
  const { stateMachineArn, name } = parseAliasArn(input.string('stateMachineAliasArn'));
  await service.store.deleteStateMachineAlias(stateMachineArn, name);
  return {};
};

const isCursor = isDateArnCursor('creationDate');

/** A machine's aliases, oldest first; with a version ARN, those that route to that version. */
export const ListStateMachineAliases: Operation = async (service, input) => {
  const text = input.string('stateMachineArn');
  const parsed = parseStateMachineArn(text);
  if (parsed.alias !== undefined) throw stateMachineDoesNotExist(parsed.arn);
  const stateMachineArn = unqualifiedArn(parsed);
  if ((await service.store.getStateMachine(stateMachineArn)) === undefined) {
    throw stateMachineDoesNotExist(stateMachineArn);
  }
  const version = parsed.version;
  if (
    version !== undefined &&
    (await service.store.getStateMachineVersion(stateMachineArn, version)) === undefined
  ) {
    throw resourceNotFound(parsed.arn);
  }
  const query = `aliases:${parsed.arn}`;
  const after = decodeToken(input.optionalString('nextToken'), query, isCursor);
  const limit = pageSize(input.optionalNumber('maxResults'));
  const listed = (await service.store.listStateMachineAliases(stateMachineArn))
    .filter((alias) => version === undefined || alias.routing.some((route) => route.version === version))
    .map((alias) => ({ arn: aliasArnOf(stateMachineArn, alias.name), creationDate: alias.creationDate }))
    .filter(
      (item) =>
        after === undefined ||
        item.creationDate > after.creationDate ||
        (item.creationDate === after.creationDate && item.arn > after.arn),
    );
  const page = listed.slice(0, limit);
  const last = page[page.length - 1];
  return {
    stateMachineAliases: page.map((item) => ({
      stateMachineAliasArn: item.arn,
      creationDate: new Date(item.creationDate),
    })),
    ...(listed.length > limit && last !== undefined
      ? { nextToken: encodeToken(query, { creationDate: last.creationDate, arn: last.arn }) }
      : {}),
  };
};
