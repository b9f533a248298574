#!/usr/bin/env node
// The long-running age-check service: the seed's Python loop, with the worker SDK. Four tasks
// at a time, heartbeats while a check runs, retries on throttling and network errors, and a
// clean stop on Ctrl-C or SIGTERM (tasks in hand are finished and answered first).
import { createWorker } from '@stepwise/worker';
import { ACTIVITY_NAME, client } from './client.mjs';
import checkAge from './handler.mjs';

const sfn = client();
const region = await sfn.config.region();
const account = process.env.STEPWISE_ACCOUNT ?? '123456789012';
const activityArn =
  process.env.ACTIVITY_ARN ?? `arn:aws:states:${region}:${account}:activity:${ACTIVITY_NAME}`;

const worker = createWorker({
  activityArn,
  client: sfn,
  concurrency: 4,
  workerName: 'age-check',
  heartbeatSeconds: 20,
  handler: checkAge,
});
worker.on('taskReceived', (e) => console.log(`task  ${e.input}`));
worker.on('taskSucceeded', (e) => console.log(`ok    in ${e.durationMs.toFixed(1)} ms`));
worker.on('taskFailed', (e) => console.log(`fail  ${e.error}: ${e.cause}`));

console.log(`age-check worker polling ${activityArn}`);
await worker.run();
console.log('age-check worker stopped');
sfn.destroy();
