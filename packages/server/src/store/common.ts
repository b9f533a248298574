/** Small rules every store shares, so that the backends cannot drift apart on them. */
import type { ExecutionFilter, StateMachineAliasRecord, StateMachineVersionRecord, Tag } from './types.js';

/** Page sizes are the API's business (0 means its default); a store only takes real ones. */
export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer: ${limit}`);
}

/** The aliases that route to a version, by name: DeleteStateMachineVersion refuses while any do. */
export function aliasesRoutingTo(aliases: Iterable<StateMachineAliasRecord>, version: number): string[] {
  return [...aliases]
    .filter((alias) => alias.routing.some((route) => route.version === version))
    .map((alias) => alias.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export type ExecutionParent = 'machine' | 'version' | 'alias' | 'mapRun';

/**
 * Which list an execution filter reads: a state machine's executions, those started through a
 * version or an alias of it, or a Map Run's children.
 */
export function executionParent(filter: ExecutionFilter): { by: ExecutionParent; arn: string } {
  const set: { by: ExecutionParent; arn: string }[] = [];
  if (filter.stateMachineArn !== undefined) set.push({ by: 'machine', arn: filter.stateMachineArn });
  if (filter.stateMachineVersionArn !== undefined) {
    set.push({ by: 'version', arn: filter.stateMachineVersionArn });
  }
  if (filter.stateMachineAliasArn !== undefined) set.push({ by: 'alias', arn: filter.stateMachineAliasArn });
  if (filter.mapRunArn !== undefined) set.push({ by: 'mapRun', arn: filter.mapRunArn });
  const [only] = set;
  if (set.length !== 1 || only === undefined) {
    throw new RangeError(
      'an execution filter needs exactly one of stateMachineArn, stateMachineVersionArn, ' +
        'stateMachineAliasArn and mapRunArn',
    );
  }
  return only;
}

/** A version record without the optional members that are absent. */
export function versionRecord(
  stateMachineArn: string,
  version: number,
  revisionKey: string,
  creationDate: number,
  optional: { revisionId?: string | undefined; description?: string | undefined },
): StateMachineVersionRecord {
  const record: StateMachineVersionRecord = { stateMachineArn, version, revisionKey, creationDate };
  if (optional.revisionId !== undefined) record.revisionId = optional.revisionId;
  if (optional.description !== undefined) record.description = optional.description;
  return record;
}

/**
 * Runs synchronous store work behind the asynchronous contract: a throw becomes a rejection,
 * as it would from a networked database.
 */
export function run<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(work());
  });
}

/**
 * One entry per key, in the order keys first appear, each with its last value: how a request
 * that names a key twice is applied (and so counted against the tag limit).
 */
export function distinctTags(tags: readonly Tag[]): Tag[] {
  const byKey = new Map<string, string>();
  for (const tag of tags) byKey.set(tag.key, tag.value);
  return [...byKey].map(([key, value]) => ({ key, value }));
}

/** How many keys a resource ends with after `tags` (distinct) are set on its `existing` keys. */
export function taggedCount(existing: Iterable<string>, tags: readonly Tag[]): number {
  const keys = new Set(existing);
  for (const tag of tags) keys.add(tag.key);
  return keys.size;
}
