/** CreateActivity, DescribeActivity, ListActivities, DeleteActivity. */
import { activityArn, parseActivityArn } from '../arn.js';
import { activityDoesNotExist, invalidName } from '../errors.js';
import { isValidName } from '../names.js';
import { decodeToken, encodeToken, isDateArnCursor, pageSize } from '../pagination.js';
import type { Operation } from './context.js';
import { requestTags } from './tags.js';

export const AWS_OWNED_KEY = { type: 'AWS_OWNED_KEY' };

export const CreateActivity: Operation = async (service, input) => {
  const name = input.string('name');
  if (!isValidName(name)) throw invalidName(name);
  const arn = activityArn(service.scope, name);
  // Stored only if this call creates the activity: a repeated CreateActivity ignores its tags.
  const tags = requestTags(input, arn);
  const activity = await service.store.createActivity(
    { activityArn: arn, name, creationDate: service.now() },
    tags,
  );
  service.runtime.activityCreated(arn);
  return { activityArn: activity.activityArn, creationDate: new Date(activity.creationDate) };
};

export const DescribeActivity: Operation = async (service, input) => {
  const arn = parseActivityArn(input.string('activityArn')).arn;
  const activity = await service.store.getActivity(arn);
  if (activity === undefined) throw activityDoesNotExist(arn);
  return {
    activityArn: activity.activityArn,
    name: activity.name,
    creationDate: new Date(activity.creationDate),
    encryptionConfiguration: AWS_OWNED_KEY,
  };
};

const isCursor = isDateArnCursor('creationDate');

export const ListActivities: Operation = async (service, input) => {
  const after = decodeToken(input.optionalString('nextToken'), 'activities', isCursor);
  const page = await service.store.listActivities({
    limit: pageSize(input.optionalNumber('maxResults')),
    ...(after !== undefined ? { after } : {}),
  });
  return {
    activities: page.items.map((a) => ({
      activityArn: a.activityArn,
      name: a.name,
      creationDate: new Date(a.creationDate),
    })),
    ...(page.next !== undefined ? { nextToken: encodeToken('activities', page.next) } : {}),
  };
};

export const DeleteActivity: Operation = async (service, input) => {
  const arn = parseActivityArn(input.string('activityArn')).arn;
  await service.store.deleteActivity(arn);
  service.runtime.activityDeleted(arn);
  return {};
};
