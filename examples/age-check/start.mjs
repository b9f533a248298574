#!/usr/bin/env node
// Starts one ContentBrowse and one AppDownload execution per age given (default: 30 and 12),
// waits for them and prints how each ended. Needs setup.mjs to have run and a worker running.
import {
  DescribeExecutionCommand,
  StartExecutionCommand,
  ListStateMachinesCommand,
} from '@aws-sdk/client-sfn';
import { MACHINES, client } from './client.mjs';

const sfn = client();
const ages = process.argv.slice(2).map(Number);
if (ages.length === 0) ages.push(30, 12);

const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
const arnOf = (name) => {
  const found = stateMachines.find((m) => m.name === name);
  if (found === undefined)
    throw new Error(`no state machine ${name}: run examples/age-check/setup.mjs first`);
  return found.stateMachineArn;
};

const runs = [];
for (const name of Object.keys(MACHINES)) {
  for (const age of ages) {
    const input = name === 'AppDownload' ? { age, app: 'chess' } : { age };
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arnOf(name), input: JSON.stringify(input) }),
    );
    runs.push({ name, age, executionArn });
  }
}

let failures = 0;
for (const run of runs) {
  let out;
  for (;;) {
    out = await sfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }));
    if (out.status !== 'RUNNING') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const detail = out.status === 'SUCCEEDED' ? out.output : `${out.error}: ${out.cause}`;
  console.log(`${run.name.padEnd(13)} age ${String(run.age).padStart(3)}  ${out.status.padEnd(9)} ${detail}`);
  if (out.status !== 'SUCCEEDED' && out.status !== 'FAILED') failures++;
}
sfn.destroy();
process.exitCode = failures === 0 ? 0 : 1;
