#!/usr/bin/env node
// Creates the ageCheck activity and the ContentBrowse and AppDownload state machines (or
// updates them when they exist), pointing both at the activity's real ARN.
import { readFile } from 'node:fs/promises';
import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { ACTIVITY_NAME, MACHINES, client } from './client.mjs';

const sfn = client();
const roleArn = process.env.STEPWISE_ROLE_ARN ?? 'arn:aws:iam::123456789012:role/stepwise-example';
const { activityArn } = await sfn.send(new CreateActivityCommand({ name: ACTIVITY_NAME }));
console.log(`activity ${activityArn}`);

for (const [name, file] of Object.entries(MACHINES)) {
  const template = JSON.parse(await readFile(new URL(file, import.meta.url), 'utf8'));
  for (const state of Object.values(template.States)) {
    if (state.Type === 'Task' && state.Resource.endsWith(`:activity:${ACTIVITY_NAME}`))
      state.Resource = activityArn;
  }
  const definition = JSON.stringify(template);
  try {
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name, definition, roleArn }));
    console.log(`state machine ${stateMachineArn}`);
  } catch (error) {
    if (!(error instanceof StateMachineAlreadyExists)) throw error;
    const arn = activityArn.replace(`:activity:${ACTIVITY_NAME}`, `:stateMachine:${name}`);
    await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition }));
    console.log(`state machine ${arn} (updated)`);
  }
}
sfn.destroy();
