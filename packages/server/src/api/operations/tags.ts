/**
 * TagResource, UntagResource, ListTagsForResource, and reading the `tags` that CreateActivity and
 * CreateStateMachine take.
 *
 * Tags belong to state machines and activities. A version, alias or Distributed Map label ARN
 * names no taggable resource: AWS answers ResourceNotFound for a version ARN, and the store,
 * which keys tags by the resource's own ARN, finds nothing for any of them. Other resource types
 * (executions, Map Runs) are InvalidArn, as in every operation that takes one kind of ARN.
 */
import type { Tag } from '../../store/types.js';
import { distinctTags } from '../../store/common.js';
import { parseArn } from '../arn.js';
import { invalidArnResourceType, taggedResourceNotFound, tooManyTags, validation } from '../errors.js';
import type { Input } from '../input.js';
import type { Operation } from './context.js';

/** Tags per resource: AWS's quota, not adjustable. */
export const MAX_TAGS = 50;

/**
 * The tags of a request, one per key (a repeated key takes its last value), checked against the
 * quota for a resource created with them. The validator has checked lengths and JSON types; the
 * model makes neither member required, so a tag without a key is refused here in the
 * validator's words (unrecorded), and one without a value gets the empty value.
 */
export function requestTags(input: Input, resourceArn: string): Tag[] {
  const tags = distinctTags(readTags(input));
  if (tags.length > MAX_TAGS) throw tooManyTags(resourceArn, MAX_TAGS);
  return tags;
}

function readTags(input: Input): Tag[] {
  const raw = input.raw('tags');
  if (!Array.isArray(raw)) return [];
  const items = raw as { key?: string | null; value?: string | null }[];
  const violations: string[] = [];
  const tags: Tag[] = [];
  items.forEach((item, i) => {
    if (typeof item.key !== 'string') {
      violations.push(
        `Value null at 'tags.${i + 1}.member.key' failed to satisfy constraint: Member must not be null`,
      );
      return;
    }
    tags.push({ key: item.key, value: item.value ?? '' });
  });
  if (violations.length > 0) {
    const n = violations.length;
    throw validation(`${n} validation error${n === 1 ? '' : 's'} detected: ${violations.join('; ')}`);
  }
  return tags;
}

/** The ARN of a state machine or activity, as given; InvalidArn for anything else. */
function taggableArn(value: string): string {
  const arn = parseArn(value);
  if (arn.kind !== 'activity' && arn.kind !== 'stateMachine') throw invalidArnResourceType(arn.kind);
  return arn.arn;
}

export const TagResource: Operation = async (service, input) => {
  const arn = taggableArn(input.string('resourceArn'));
  const outcome = await service.store.tagResource(arn, readTags(input), MAX_TAGS);
  switch (outcome) {
    case 'tagged':
      return {};
    case 'notFound':
      throw taggedResourceNotFound(arn);
    case 'tooManyTags':
      throw tooManyTags(arn, MAX_TAGS);
    default: {
      const never: never = outcome;
      throw new Error(`unknown tag outcome ${String(never)}`);
    }
  }
};

export const UntagResource: Operation = async (service, input) => {
  const arn = taggableArn(input.string('resourceArn'));
  if (!(await service.store.untagResource(arn, input.stringList('tagKeys')))) {
    throw taggedResourceNotFound(arn);
  }
  return {};
};

export const ListTagsForResource: Operation = async (service, input) => {
  const arn = taggableArn(input.string('resourceArn'));
  const tags = await service.store.listTags(arn);
  if (tags === undefined) throw taggedResourceNotFound(arn);
  return { tags: tags.map(({ key, value }) => ({ key, value })) };
};
