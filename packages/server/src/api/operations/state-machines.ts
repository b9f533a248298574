/**
 * CreateStateMachine, DescribeStateMachine, UpdateStateMachine, DeleteStateMachine,
 * ListStateMachines, ValidateStateMachineDefinition. Creating and updating may publish a
 * version (`publish`, versions.ts); deleting a machine deletes its versions and aliases.
 */
import { randomUUID } from 'node:crypto';
import type { Diagnostic } from '@stepwise/core';
import { formatInvalidDefinition, unsupportedFeatures, validateDefinition } from '@stepwise/core';
import type { PublishRequest, StateMachineRevision, StateMachineType } from '../../store/types.js';
import { parseStateMachineArn, stateMachineArn } from '../arn.js';
import {
  invalidDefinition,
  invalidName,
  missingRequiredParameter,
  stateMachineAlreadyExists,
  stateMachineDoesNotExist,
  validation,
} from '../errors.js';
import { isValidName } from '../names.js';
import { decodeToken, encodeToken, isDateArnCursor, pageSize } from '../pagination.js';
import type { Input } from '../input.js';
import type { Operation } from './context.js';
import { AWS_OWNED_KEY } from './activities.js';
import { requestTags } from './tags.js';
import {
  MAX_VERSIONS,
  mainRoute,
  publishCurrent,
  publishedOrThrow,
  requireTarget,
  requireStateMachine,
  versionArnOf,
} from './versions.js';

const DEFAULT_LOGGING = { level: 'OFF', includeExecutionData: false };
const DEFAULT_TRACING = { enabled: false };

/** Validates a definition as CreateStateMachine/UpdateStateMachine do; throws InvalidDefinition. */
function checkDefinition(text: string, type: StateMachineType): void {
  const { definition, diagnostics } = validateDefinition(text, { type });
  const errors = diagnostics.filter((d) => d.severity === 'ERROR');
  if (errors.length > 0 || definition === undefined) throw invalidDefinition(formatInvalidDefinition(errors));
  const unsupported = unsupportedFeatures(definition);
  if (unsupported.length > 0) throw invalidDefinition(formatInvalidDefinition(unsupported));
}

function jsonText(input: Input, member: string, fallback: unknown): string {
  return JSON.stringify(input.has(member) ? input.raw(member) : fallback);
}

export const CreateStateMachine: Operation = async (service, input) => {
  const name = input.string('name');
  if (!isValidName(name)) throw invalidName(name);
  if (input.has('versionDescription') && input.optionalBoolean('publish') !== true) {
    throw validation('Version description can only be set when publish is true');
  }
  const type = (input.optionalString('type') ?? 'STANDARD') as StateMachineType;
  const definition = input.string('definition');
  checkDefinition(definition, type);
  const now = service.now();
  const arn = stateMachineArn(service.scope, name);
  const tags = requestTags(input, arn);
  const revision: StateMachineRevision = {
    stateMachineArn: arn,
    revisionKey: randomUUID(),
    definition,
    roleArn: input.string('roleArn'),
    loggingConfiguration: jsonText(input, 'loggingConfiguration', DEFAULT_LOGGING),
    tracingConfiguration: jsonText(input, 'tracingConfiguration', DEFAULT_TRACING),
    createdAt: now,
  };
  const publish = input.optionalBoolean('publish') === true;
  const versionDescription = input.optionalString('versionDescription');
  const outcome = await service.store.createStateMachine(
    { stateMachineArn: arn, name, type, status: 'ACTIVE', creationDate: now, current: revision },
    tags,
    publish ? (versionDescription !== undefined ? { description: versionDescription } : {}) : undefined,
  );
  if (!outcome.created) {
    // Idempotent when everything that defines the machine matches; roleArn and tags may differ,
    // and the tags of the first create stay as they are.
    const prior = outcome.existing;
    const same =
      prior.type === type &&
      prior.current.definition === definition &&
      prior.current.loggingConfiguration === revision.loggingConfiguration &&
      prior.current.tracingConfiguration === revision.tracingConfiguration;
    if (!same) throw stateMachineAlreadyExists(arn);
    const answer = { stateMachineArn: prior.stateMachineArn, creationDate: new Date(prior.creationDate) };
    if (!publish) return answer;
    // Publishing too: the same only if the current revision was published with this description.
    // It is then the newest version, as versions are only ever published from the current one.
    const [newest] = (await service.store.listStateMachineVersions(arn, { limit: 1 })).items;
    if (newest?.revisionKey !== prior.current.revisionKey || newest.description !== versionDescription) {
      throw stateMachineAlreadyExists(arn);
    }
    return { ...answer, stateMachineVersionArn: versionArnOf(arn, newest.version) };
  }
  return {
    stateMachineArn: arn,
    creationDate: new Date(now),
    ...(publish ? { stateMachineVersionArn: versionArnOf(arn, 1) } : {}),
  };
};

export function describeRevision(revision: StateMachineRevision): Record<string, unknown> {
  return {
    definition: revision.definition,
    roleArn: revision.roleArn,
    loggingConfiguration: JSON.parse(revision.loggingConfiguration) as unknown,
    tracingConfiguration: JSON.parse(revision.tracingConfiguration) as unknown,
  };
}

/**
 * Describes a machine, or one of its versions (`…:<n>`, with the version's definition, revisionId
 * and description), or the version an alias (`…:<name>`) sends most of its traffic to.
 */
export const DescribeStateMachine: Operation = async (service, input) => {
  const {
    stateMachine: sm,
    version,
    stateMachineVersionArn,
  } = await requireTarget(service, input.string('stateMachineArn'), mainRoute);
  // A version (or an alias's) answers with its own ARN, date, revision id and description.
  const versioned = version !== undefined && stateMachineVersionArn !== undefined ? version : undefined;
  const revisionId = versioned !== undefined ? versioned.revisionId : sm.revisionId;
  return {
    stateMachineArn: versioned !== undefined ? stateMachineVersionArn : sm.stateMachineArn,
    name: sm.name,
    status: sm.status,
    type: sm.type,
    creationDate: new Date((versioned ?? sm).creationDate),
    ...describeRevision(sm.current),
    encryptionConfiguration: AWS_OWNED_KEY,
    ...(revisionId !== undefined ? { revisionId } : {}),
    ...(versioned?.description !== undefined ? { description: versioned.description } : {}),
  };
};

export const UpdateStateMachine: Operation = async (service, input) => {
  const sm = await requireStateMachine(service, input.string('stateMachineArn'));
  if (!['definition', 'roleArn', 'loggingConfiguration', 'tracingConfiguration'].some((m) => input.has(m))) {
    throw missingRequiredParameter(
      'Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified',
    );
  }
  if (input.has('versionDescription') && input.optionalBoolean('publish') !== true) {
    throw validation('Version description can only be set when publish is true');
  }
  const definition = input.optionalString('definition') ?? sm.current.definition;
  if (input.has('definition')) checkDefinition(definition, sm.type);
  const publish = input.optionalBoolean('publish') === true;
  const versionDescription = input.optionalString('versionDescription');
  const now = service.now();
  const revision: StateMachineRevision = {
    stateMachineArn: sm.stateMachineArn,
    revisionKey: randomUUID(),
    definition,
    roleArn: input.optionalString('roleArn') ?? sm.current.roleArn,
    loggingConfiguration: input.has('loggingConfiguration')
      ? jsonText(input, 'loggingConfiguration', DEFAULT_LOGGING)
      : sm.current.loggingConfiguration,
    tracingConfiguration: input.has('tracingConfiguration')
      ? jsonText(input, 'tracingConfiguration', DEFAULT_TRACING)
      : sm.current.tracingConfiguration,
    createdAt: now,
  };
  const unchanged =
    revision.definition === sm.current.definition &&
    revision.roleArn === sm.current.roleArn &&
    revision.loggingConfiguration === sm.current.loggingConfiguration &&
    revision.tracingConfiguration === sm.current.tracingConfiguration;
  if (unchanged) {
    // AWS makes no new revision for an update that changes nothing; `publish` publishes the
    // current one (idempotently, as PublishStateMachineVersion does).
    const version = publish
      ? await publishCurrent(service, sm, { description: versionDescription })
      : undefined;
    return {
      updateDate: new Date(now),
      ...(sm.revisionId !== undefined ? { revisionId: sm.revisionId } : {}),
      ...(version !== undefined
        ? { stateMachineVersionArn: versionArnOf(sm.stateMachineArn, version.version) }
        : {}),
    };
  }
  const revisionId = randomUUID();
  let stateMachineVersionArn: string | undefined;
  if (publish) {
    // The new revision and its version in one write: a refused publish changes nothing.
    const request: PublishRequest = {
      revisionKey: revision.revisionKey,
      update: { revision, updateDate: now, revisionId },
      revisionId,
      creationDate: now,
      maxVersions: MAX_VERSIONS,
    };
    if (versionDescription !== undefined) request.description = versionDescription;
    const outcome = await service.store.publishStateMachineVersion(sm.stateMachineArn, request);
    const version = publishedOrThrow(outcome, sm.stateMachineArn);
    stateMachineVersionArn = versionArnOf(sm.stateMachineArn, version.version);
  } else if (
    !(await service.store.updateStateMachine(sm.stateMachineArn, revision, { updateDate: now, revisionId }))
  ) {
    throw stateMachineDoesNotExist(sm.stateMachineArn);
  }
  service.runtime.stateMachineChanged(sm.stateMachineArn);
  return {
    updateDate: new Date(now),
    revisionId,
    ...(stateMachineVersionArn !== undefined ? { stateMachineVersionArn } : {}),
  };
};

export const DeleteStateMachine: Operation = async (service, input) => {
  const arn = parseStateMachineArn(input.string('stateMachineArn')).arn;
  await service.store.deleteStateMachine(arn);
  service.runtime.stateMachineChanged(arn);
  return {};
};

const isCursor = isDateArnCursor('creationDate');

export const ListStateMachines: Operation = async (service, input) => {
  const after = decodeToken(input.optionalString('nextToken'), 'stateMachines', isCursor);
  const page = await service.store.listStateMachines({
    limit: pageSize(input.optionalNumber('maxResults')),
    ...(after !== undefined ? { after } : {}),
  });
  return {
    stateMachines: page.items.map((sm) => ({
      stateMachineArn: sm.stateMachineArn,
      name: sm.name,
      type: sm.type,
      creationDate: new Date(sm.creationDate),
    })),
    ...(page.next !== undefined ? { nextToken: encodeToken('stateMachines', page.next) } : {}),
  };
};

export const ValidateStateMachineDefinition: Operation = (_service, input) => {
  const type = (input.optionalString('type') ?? 'STANDARD') as StateMachineType;
  const { definition, diagnostics } = validateDefinition(input.string('definition'), { type });
  const all: Diagnostic[] = [
    ...diagnostics,
    ...(definition !== undefined ? unsupportedFeatures(definition) : []),
  ];
  const minimum = input.optionalString('severity') ?? 'ERROR';
  const shown = minimum === 'WARNING' ? all : all.filter((d) => d.severity === 'ERROR');
  const limit = pageSize(input.optionalNumber('maxResults'));
  return Promise.resolve({
    result: all.some((d) => d.severity === 'ERROR') ? 'FAIL' : 'OK',
    // AWS leaves `location` out where a problem has none (unparsable JSON, no terminal state).
    diagnostics: shown
      .slice(0, limit)
      .map(({ location, ...rest }) => (location === '' ? rest : { ...rest, location })),
    truncated: shown.length > limit,
  });
};
