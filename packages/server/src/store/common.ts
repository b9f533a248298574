/** Small rules every store shares, so that the backends cannot drift apart on them. */
import type { ExecutionFilter, Tag } from './types.js';

/** Page sizes are the API's business (0 means its default); a store only takes real ones. */
export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer: ${limit}`);
}

/** Which list an execution filter reads: a state machine's executions, or a Map Run's children. */
export function executionParent(filter: ExecutionFilter): { by: 'machine' | 'mapRun'; arn: string } {
  if (filter.stateMachineArn !== undefined && filter.mapRunArn === undefined) {
    return { by: 'machine', arn: filter.stateMachineArn };
  }
  if (filter.mapRunArn !== undefined && filter.stateMachineArn === undefined) {
    return { by: 'mapRun', arn: filter.mapRunArn };
  }
  throw new RangeError('an execution filter needs exactly one of stateMachineArn and mapRunArn');
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
