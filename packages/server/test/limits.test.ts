/**
 * The engine's limits (payload size, history length) are configurable from `stepwise serve`,
 * and an execution that crosses them fails as AWS's does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { sdkClient, spawnServer, tempDir } from './helpers/server.js';
import type { ChildServer } from './helpers/server.js';
import { ROLE, sleep, unique } from './helpers/sfn.js';

describe('stepwise serve --max-payload-bytes / --max-history-events', () => {
  const dir = tempDir();
  let server: ChildServer;

  before(async () => {
    server = await spawnServer(dir.path, 0, ['--max-payload-bytes', '64', '--max-history-events', '12']);
  });

  after(async () => {
    await server.kill('SIGTERM');
    dir.remove();
  });

  async function run(definition: object, input: string): Promise<DescribeExecutionCommandOutput> {
    const client = sdkClient(server.url);
    const { stateMachineArn } = await client.send(
      new CreateStateMachineCommand({
        name: unique('limits'),
        definition: JSON.stringify(definition),
        roleArn: ROLE,
      }),
    );
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn, input }));
    for (;;) {
      const described = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (described.status !== 'RUNNING') return described;
      await sleep(50);
    }
  }

  it('a state output over the payload limit fails with States.DataLimitExceeded', async () => {
    const outcome = await run(
      { StartAt: 'Big', States: { Big: { Type: 'Pass', Result: { text: 'x'.repeat(100) }, End: true } } },
      '{}',
    );
    assert.equal(outcome.status, 'FAILED');
    assert.equal(outcome.error, 'States.DataLimitExceeded');
    assert.equal(
      outcome.cause,
      "The state/task 'Big' returned a result with a size exceeding the maximum number of bytes service limit.",
    );
  });

  it('an execution reaching the history limit fails', async () => {
    const outcome = await run(
      {
        StartAt: 'Loop',
        States: {
          Loop: { Type: 'Pass', Next: 'Again' },
          Again: {
            Type: 'Choice',
            Choices: [{ Variable: '$.go', BooleanEquals: true, Next: 'Loop' }],
            Default: 'Done',
          },
          Done: { Type: 'Succeed' },
        },
      },
      '{"go": true}',
    );
    assert.equal(outcome.status, 'FAILED');
    assert.equal(outcome.error, 'States.Runtime');
    assert.match(outcome.cause ?? '', /maximum number of history events \(12\)/);
  });
});
