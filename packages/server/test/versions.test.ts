/**
 * State machine versions and aliases through real clients: publishing (on create, on update, on
 * its own), describing and running a version, aliases that split executions between two
 * versions by weight, the conflicts and quotas AWS answers with its words, and all of it surviving
 * a restart of a SQLite server. @aws-sdk/client-sfn drives most checks; one test runs the same
 * story through boto3.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import {
  CreateStateMachineAliasCommand,
  CreateStateMachineCommand,
  DeleteStateMachineAliasCommand,
  DeleteStateMachineCommand,
  DeleteStateMachineVersionCommand,
  DescribeExecutionCommand,
  DescribeStateMachineAliasCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachineAliasesCommand,
  ListStateMachineVersionsCommand,
  PublishStateMachineVersionCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  UpdateStateMachineAliasCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionListItem, RoutingConfigurationListItem } from '@aws-sdk/client-sfn';

import { startServer } from '../src/server.js';
import { awsEnv, sdkClient, startTestServer, tempDir } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';
import { postgresSkip, testSchema } from './helpers/postgres.js';
import { ROLE, unique } from './helpers/sfn.js';

const run = promisify(execFile);

/** A one-Pass machine whose output tells which definition ran. */
function passing(result: unknown): string {
  return JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: result, End: true } } });
}

/** The error a request fails with (name and message), or a failure when it succeeds. */
async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    return { name: e.name, message: e.message, ...(status !== undefined ? { status } : {}) };
  }
  assert.fail('expected the request to fail');
}

let server: TestServer;
let sfn: SFNClient;

before(async () => {
  server = await startTestServer();
  sfn = sdkClient(server.url);
});

after(async () => {
  sfn.destroy();
  await server.stop();
});

async function createMachine(
  result: unknown,
  options: { publish?: boolean; versionDescription?: string; type?: 'STANDARD' | 'EXPRESS' } = {},
): Promise<{ arn: string; versionArn?: string }> {
  const out = await sfn.send(
    new CreateStateMachineCommand({
      name: unique('versioned'),
      definition: passing(result),
      roleArn: ROLE,
      ...options,
    }),
  );
  return {
    arn: out.stateMachineArn!,
    ...(out.stateMachineVersionArn ? { versionArn: out.stateMachineVersionArn } : {}),
  };
}

/** Updates the definition and publishes it; answers the new version's ARN. */
async function publishDefinition(arn: string, result: unknown, versionDescription?: string): Promise<string> {
  const out = await sfn.send(
    new UpdateStateMachineCommand({
      stateMachineArn: arn,
      definition: passing(result),
      publish: true,
      ...(versionDescription !== undefined ? { versionDescription } : {}),
    }),
  );
  return out.stateMachineVersionArn!;
}

async function versionsOf(arn: string): Promise<string[]> {
  const out = await sfn.send(new ListStateMachineVersionsCommand({ stateMachineArn: arn, maxResults: 1000 }));
  return (out.stateMachineVersions ?? []).map((v) => v.stateMachineVersionArn!);
}

async function executionsOf(stateMachineArn: string): Promise<ExecutionListItem[]> {
  const items: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    items.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return items;
}

/** Starts `count` executions through `arn`, a few at a time. */
async function startMany(arn: string, count: number): Promise<string[]> {
  const arns: string[] = [];
  for (let started = 0; started < count; started += 20) {
    const batch = Array.from({ length: Math.min(20, count - started) }, () =>
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' })),
    );
    arns.push(...(await Promise.all(batch)).map((out) => out.executionArn!));
  }
  return arns;
}

describe('versions', () => {
  test('published on create and on update, idempotently, listed newest first, described by ARN', async () => {
    const { arn, versionArn } = await createMachine('one', { publish: true, versionDescription: 'first' });
    assert.equal(versionArn, `${arn}:1`);

    const v1 = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${arn}:1` }));
    assert.equal(v1.stateMachineArn, `${arn}:1`);
    assert.equal(v1.definition, passing('one'));
    assert.equal(v1.description, 'first');
    assert.equal(v1.revisionId, undefined, 'a machine never updated has no revisionId');
    assert.equal(v1.status, 'ACTIVE');

    const update = await sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn: arn, definition: passing('two'), publish: true }),
    );
    assert.equal(update.stateMachineVersionArn, `${arn}:2`);
    assert.ok(update.revisionId);

    // The current revision is published already: the same version comes back.
    const again = await sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: arn }));
    assert.equal(again.stateMachineVersionArn, `${arn}:2`);
    const guarded = await sfn.send(
      new PublishStateMachineVersionCommand({ stateMachineArn: arn, revisionId: update.revisionId }),
    );
    assert.equal(guarded.stateMachineVersionArn, `${arn}:2`);
    assert.equal(guarded.creationDate?.getTime(), again.creationDate?.getTime());

    // An update that changes nothing makes no revision; with publish it answers the version.
    const same = await sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn: arn, definition: passing('two'), publish: true }),
    );
    assert.equal(same.stateMachineVersionArn, `${arn}:2`);
    assert.equal(same.revisionId, update.revisionId);

    const three = await sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn: arn, definition: passing('three') }),
    );
    assert.equal(three.stateMachineVersionArn, undefined);
    const stale = await failure(
      sfn.send(
        new PublishStateMachineVersionCommand({ stateMachineArn: arn, revisionId: update.revisionId }),
      ),
    );
    assert.deepEqual(stale, {
      name: 'ConflictException',
      message: `Failed to publish the State Machine version for revision ${update.revisionId}. The current State Machine revision is ${three.revisionId}.`,
      status: 400,
    });
    const published = await sfn.send(
      new PublishStateMachineVersionCommand({
        stateMachineArn: arn,
        revisionId: three.revisionId,
        description: 'third',
      }),
    );
    assert.equal(published.stateMachineVersionArn, `${arn}:3`);
    const v3 = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${arn}:3` }));
    assert.equal(v3.definition, passing('three'));
    assert.equal(v3.description, 'third');
    assert.equal(v3.revisionId, three.revisionId);
    assert.equal(v3.creationDate?.getTime(), published.creationDate?.getTime());

    assert.deepEqual(await versionsOf(arn), [`${arn}:3`, `${arn}:2`, `${arn}:1`]);
    const page1 = await sfn.send(
      new ListStateMachineVersionsCommand({ stateMachineArn: arn, maxResults: 2 }),
    );
    assert.deepEqual(
      page1.stateMachineVersions?.map((v) => v.stateMachineVersionArn),
      [`${arn}:3`, `${arn}:2`],
    );
    const page2 = await sfn.send(
      new ListStateMachineVersionsCommand({
        stateMachineArn: arn,
        maxResults: 2,
        nextToken: page1.nextToken,
      }),
    );
    assert.deepEqual(
      page2.stateMachineVersions?.map((v) => v.stateMachineVersionArn),
      [`${arn}:1`],
    );
    assert.equal(page2.nextToken, undefined);

    // Versions do not change with the machine.
    assert.equal(
      (await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${arn}:1` }))).definition,
      passing('one'),
    );
    assert.equal(
      (await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))).definition,
      passing('three'),
    );

    // A deleted version's number is not used again; deleting it twice is no error.
    await sfn.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: `${arn}:3` }));
    await sfn.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: `${arn}:3` }));
    assert.deepEqual(await versionsOf(arn), [`${arn}:2`, `${arn}:1`]);
    assert.equal(await publishDefinition(arn, 'four'), `${arn}:4`);
  });

  test('the errors of versions, in AWS words', async () => {
    const { arn } = await createMachine('x');
    // A machine never updated matches the revisionId INITIAL.
    const initial = await sfn.send(
      new PublishStateMachineVersionCommand({ stateMachineArn: arn, revisionId: 'INITIAL' }),
    );
    assert.equal(initial.stateMachineVersionArn, `${arn}:1`);

    assert.deepEqual(
      await failure(
        sfn.send(
          new CreateStateMachineCommand({
            name: unique('no-publish'),
            definition: passing(1),
            roleArn: ROLE,
            versionDescription: 'HelloWorld!',
          }),
        ),
      ),
      {
        name: 'ValidationException',
        message: 'Version description can only be set when publish is true',
        status: 400,
      },
    );
    assert.deepEqual(
      await failure(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${arn}:9` }))),
      {
        name: 'StateMachineDoesNotExist',
        message: `State Machine Does Not Exist: '${arn}:9'`,
        status: 400,
      },
    );
    // A version cannot be updated.
    assert.deepEqual(
      await failure(
        sfn.send(new UpdateStateMachineCommand({ stateMachineArn: `${arn}:1`, definition: passing(2) })),
      ),
      { name: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${arn}:1'`, status: 400 },
    );
    const missing = arn.replace(/versioned-/, 'missing-');
    assert.deepEqual(
      await failure(sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: missing }))),
      {
        name: 'StateMachineDoesNotExist',
        message: `State Machine Does Not Exist: '${missing}'`,
        status: 400,
      },
    );
    assert.deepEqual(
      await failure(sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: 'invalid_arn' }))),
      { name: 'InvalidArn', message: "Invalid Arn: 'Invalid ARN prefix: invalid_arn'", status: 400 },
    );
    assert.equal(
      (await failure(sfn.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: arn })))).name,
      'InvalidArn',
    );
    assert.equal(
      (await failure(sfn.send(new StartExecutionCommand({ stateMachineArn: `${arn}:7` })))).name,
      'StateMachineDoesNotExist',
    );
    // A machine that does not exist has no versions.
    assert.deepEqual(await versionsOf(missing), []);
  });

  test('an execution started through a version runs it, says so, and is listed under it', async () => {
    const { arn } = await createMachine('one', { publish: true });
    const v2 = await publishDefinition(arn, 'two');
    await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: passing('current') }));

    const viaVersion = (await sfn.send(new StartExecutionCommand({ stateMachineArn: `${arn}:1` })))
      .executionArn!;
    const plain = (await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }))).executionArn!;
    const viaV2 = (await sfn.send(new StartExecutionCommand({ stateMachineArn: v2 }))).executionArn!;
    assert.match(viaVersion, /:execution:versioned-[0-9a-f]{8}:[0-9a-f-]{36}$/);

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: viaVersion }));
    assert.equal(described.output, '"one"');
    assert.equal(described.stateMachineArn, arn);
    assert.equal(described.stateMachineVersionArn, `${arn}:1`);
    assert.equal(described.stateMachineAliasArn, undefined);
    const plainOut = await sfn.send(new DescribeExecutionCommand({ executionArn: plain }));
    assert.equal(plainOut.output, '"current"');
    assert.equal(plainOut.stateMachineVersionArn, undefined);
    assert.equal((await sfn.send(new DescribeExecutionCommand({ executionArn: viaV2 }))).output, '"two"');

    const events =
      (await sfn.send(new GetExecutionHistoryCommand({ executionArn: viaVersion }))).events ?? [];
    assert.equal(events[0]?.executionStartedEventDetails?.stateMachineVersionArn, `${arn}:1`);
    assert.equal(events[0]?.executionStartedEventDetails?.stateMachineAliasArn, undefined);

    const listed = await executionsOf(`${arn}:1`);
    assert.deepEqual(
      listed.map((e) => [e.executionArn, e.stateMachineArn, e.stateMachineVersionArn]),
      [[viaVersion, arn, `${arn}:1`]],
    );
    // (Started within one millisecond, their order would be by ARN: compared as a set.)
    assert.deepEqual(
      (await executionsOf(arn)).map((e) => e.executionArn).sort(),
      [viaV2, plain, viaVersion].sort(),
    );

    // The definition it ran, and the revisionId of the version's revision.
    const forV2 = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: viaV2 }));
    assert.equal(forV2.stateMachineArn, arn);
    assert.equal(forV2.definition, passing('two'));
    const v2Described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: v2 }));
    assert.ok(v2Described.revisionId);
    assert.equal(forV2.revisionId, v2Described.revisionId);
    const forV1 = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: viaVersion }));
    assert.equal(forV1.definition, passing('one'));
    assert.equal(forV1.revisionId, undefined);
  });
});

describe('aliases', () => {
  test('created idempotently, described, updated, listed; their conflicts and validation', async () => {
    const { arn } = await createMachine('one', { publish: true });
    const v2 = await publishDefinition(arn, 'two');
    const v1 = `${arn}:1`;
    const routeTo = (...routes: [string, number][]): RoutingConfigurationListItem[] =>
      routes.map(([stateMachineVersionArn, weight]) => ({ stateMachineVersionArn, weight }));

    const created = await sfn.send(
      new CreateStateMachineAliasCommand({
        name: 'PROD',
        description: 'live',
        routingConfiguration: routeTo([v1, 100]),
      }),
    );
    assert.equal(created.stateMachineAliasArn, `${arn}:PROD`);
    const again = await sfn.send(
      new CreateStateMachineAliasCommand({
        name: 'PROD',
        description: 'live',
        routingConfiguration: routeTo([v1, 100]),
      }),
    );
    assert.equal(again.creationDate?.getTime(), created.creationDate?.getTime());
    const notIdempotent = {
      name: 'ConflictException',
      message:
        'Failed to create alias because an alias with the same name and a different routing configuration already exists.',
      status: 400,
    };
    assert.deepEqual(
      await failure(
        sfn.send(
          new CreateStateMachineAliasCommand({
            name: 'PROD',
            description: 'other',
            routingConfiguration: routeTo([v1, 100]),
          }),
        ),
      ),
      notIdempotent,
    );
    assert.deepEqual(
      await failure(
        sfn.send(
          new CreateStateMachineAliasCommand({
            name: 'PROD',
            description: 'live',
            routingConfiguration: routeTo([v1, 50], [v2, 50]),
          }),
        ),
      ),
      notIdempotent,
    );

    const invalid = async (
      routingConfiguration: RoutingConfigurationListItem[],
      name = 'BAD',
    ): Promise<string> => {
      const e = await failure(sfn.send(new CreateStateMachineAliasCommand({ name, routingConfiguration })));
      assert.equal(e.name, 'ValidationException');
      return e.message;
    };
    assert.equal(
      await invalid(routeTo([arn, 100])),
      `Routing configuration must contain state machine version ARNs. Received: [${arn}]`,
    );
    assert.equal(
      await invalid(routeTo([arn, 70], [v2, 30])),
      `Routing configuration must contain state machine version ARNs. Received: [${arn}, ${v2}]`,
    );
    assert.equal(
      await invalid(routeTo([v1, 50], [v1, 50])),
      `Routing configuration must contain distinct state machine version ARNs. Received: [${v1}, ${v1}]`,
    );
    assert.equal(
      await invalid(routeTo([v1, 70], [v2, 29])),
      'Sum of routing configuration weights must equal 100. Received: [70, 29]',
    );
    assert.equal(
      await invalid(routeTo([v1, 70], [v2, 31])),
      'Sum of routing configuration weights must equal 100. Received: [70, 31]',
    );
    assert.equal(
      await invalid(routeTo([v1, 101])),
      "1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
    assert.equal(
      await invalid(routeTo([v1, 50], [v2, 30], [`${arn}:3`, 20])),
      `1 validation error detected: Value '[RoutingConfigurationListItem(stateMachineVersionArn=${v1}, weight=50), RoutingConfigurationListItem(stateMachineVersionArn=${v2}, weight=30), RoutingConfigurationListItem(stateMachineVersionArn=${arn}:3, weight=20)]' at 'routingConfiguration' failed to satisfy constraint: Member must have length less than or equal to 2`,
    );
    for (const name of ['123', 'INVALID ALIAS', '!INVALID', 'ALIAS@']) {
      assert.equal(
        await invalid(routeTo([v1, 100]), name),
        `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$`,
      );
    }
    const absent = await failure(
      sfn.send(
        new CreateStateMachineAliasCommand({
          name: 'GHOST',
          routingConfiguration: routeTo([`${arn}:9`, 100]),
        }),
      ),
    );
    assert.deepEqual(absent, {
      name: 'ResourceNotFound',
      message: 'Request references a resource that does not exist.',
      status: 400,
    });

    const described = await sfn.send(
      new DescribeStateMachineAliasCommand({ stateMachineAliasArn: `${arn}:PROD` }),
    );
    assert.equal(described.name, 'PROD');
    assert.equal(described.description, 'live');
    assert.deepEqual(described.routingConfiguration, routeTo([v1, 100]));
    assert.equal(described.updateDate?.getTime(), described.creationDate?.getTime());

    await sfn.send(
      new UpdateStateMachineAliasCommand({ stateMachineAliasArn: `${arn}:PROD`, description: 'new' }),
    );
    const updated = await sfn.send(
      new UpdateStateMachineAliasCommand({
        stateMachineAliasArn: `${arn}:PROD`,
        routingConfiguration: routeTo([v1, 50], [v2, 50]),
      }),
    );
    const changed = await sfn.send(
      new DescribeStateMachineAliasCommand({ stateMachineAliasArn: `${arn}:PROD` }),
    );
    assert.equal(changed.description, 'new');
    assert.deepEqual(changed.routingConfiguration, routeTo([v1, 50], [v2, 50]));
    assert.equal(changed.updateDate?.getTime(), updated.updateDate?.getTime());
    assert.equal(changed.creationDate?.getTime(), described.creationDate?.getTime());
    assert.equal(
      (await failure(sfn.send(new UpdateStateMachineAliasCommand({ stateMachineAliasArn: `${arn}:PROD` }))))
        .name,
      'ValidationException',
    );
    assert.deepEqual(
      await failure(
        sfn.send(
          new UpdateStateMachineAliasCommand({ stateMachineAliasArn: `${arn}:NOPE`, description: 'x' }),
        ),
      ),
      {
        name: 'ResourceNotFound',
        message: 'Request references a resource that does not exist.',
        status: 400,
      },
    );

    // DescribeStateMachine through an alias shows the version with the most traffic.
    await sfn.send(
      new CreateStateMachineAliasCommand({ name: 'BETA', routingConfiguration: routeTo([v1, 10], [v2, 90]) }),
    );
    const viaAlias = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${arn}:BETA` }));
    assert.equal(viaAlias.definition, passing('two'));
    assert.equal(viaAlias.stateMachineArn, v2);

    // Listed oldest first; through a version ARN, the aliases that route to it.
    const list = await sfn.send(new ListStateMachineAliasesCommand({ stateMachineArn: arn }));
    assert.deepEqual(
      list.stateMachineAliases?.map((a) => a.stateMachineAliasArn),
      [`${arn}:PROD`, `${arn}:BETA`],
    );
    const first = await sfn.send(new ListStateMachineAliasesCommand({ stateMachineArn: arn, maxResults: 1 }));
    assert.deepEqual(
      first.stateMachineAliases?.map((a) => a.stateMachineAliasArn),
      [`${arn}:PROD`],
    );
    const second = await sfn.send(
      new ListStateMachineAliasesCommand({ stateMachineArn: arn, maxResults: 1, nextToken: first.nextToken }),
    );
    assert.deepEqual(
      second.stateMachineAliases?.map((a) => a.stateMachineAliasArn),
      [`${arn}:BETA`],
    );
    assert.equal(second.nextToken, undefined);
    await sfn.send(
      new UpdateStateMachineAliasCommand({
        stateMachineAliasArn: `${arn}:PROD`,
        routingConfiguration: routeTo([v2, 100]),
      }),
    );
    const routingToV1 = await sfn.send(new ListStateMachineAliasesCommand({ stateMachineArn: v1 }));
    assert.deepEqual(
      routingToV1.stateMachineAliases?.map((a) => a.stateMachineAliasArn),
      [`${arn}:BETA`],
    );
    assert.deepEqual(
      await failure(
        sfn.send(new ListStateMachineAliasesCommand({ stateMachineArn: arn, nextToken: 'InvalidToken' })),
      ),
      { name: 'InvalidToken', message: "Invalid Token: 'Invalid token'", status: 400 },
    );

    // A version an alias routes to cannot be deleted.
    assert.deepEqual(
      await failure(sfn.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: v2 }))),
      {
        name: 'ConflictException',
        message:
          'Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [BETA, PROD]',
        status: 400,
      },
    );
    await sfn.send(new DeleteStateMachineAliasCommand({ stateMachineAliasArn: `${arn}:BETA` }));
    await sfn.send(new DeleteStateMachineAliasCommand({ stateMachineAliasArn: `${arn}:BETA` }));
    assert.equal(
      (await failure(sfn.send(new DescribeStateMachineAliasCommand({ stateMachineAliasArn: `${arn}:BETA` }))))
        .name,
      'ResourceNotFound',
    );
    await sfn.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: v1 }));
    assert.deepEqual(await versionsOf(arn), [v2]);
  });

  test('an alias picks its versions by weight: 100/0 and 0/100 exactly, 50/50 both', async () => {
    const { arn } = await createMachine(1, { publish: true });
    const v1 = `${arn}:1`;
    const v2 = await publishDefinition(arn, 2);
    const alias = (
      await sfn.send(
        new CreateStateMachineAliasCommand({
          name: 'SPLIT',
          routingConfiguration: [
            { stateMachineVersionArn: v1, weight: 100 },
            { stateMachineVersionArn: v2, weight: 0 },
          ],
        }),
      )
    ).stateMachineAliasArn!;
    const counts = async (): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      for (const e of await executionsOf(alias)) {
        assert.equal(e.stateMachineAliasArn, alias);
        const version = e.stateMachineVersionArn ?? 'none';
        out[version] = (out[version] ?? 0) + 1;
      }
      return out;
    };

    await startMany(alias, 30);
    assert.deepEqual(await counts(), { [v1]: 30 });

    await sfn.send(
      new UpdateStateMachineAliasCommand({
        stateMachineAliasArn: alias,
        routingConfiguration: [
          { stateMachineVersionArn: v1, weight: 0 },
          { stateMachineVersionArn: v2, weight: 100 },
        ],
      }),
    );
    await startMany(alias, 30);
    assert.deepEqual(await counts(), { [v1]: 30, [v2]: 30 });

    await sfn.send(
      new UpdateStateMachineAliasCommand({
        stateMachineAliasArn: alias,
        routingConfiguration: [
          { stateMachineVersionArn: v1, weight: 50 },
          { stateMachineVersionArn: v2, weight: 50 },
        ],
      }),
    );
    const split = await startMany(alias, 200);
    const outputs: Record<string, number> = {};
    for (const executionArn of split) {
      const e = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      // Each ran the definition of the version it names.
      assert.equal(e.output, e.stateMachineVersionArn === v1 ? '1' : '2');
      outputs[e.output ?? ''] = (outputs[e.output ?? ''] ?? 0) + 1;
    }
    // Binomial(200, 0.5): outside 60..140 has a probability below 1e-8.
    assert.equal((outputs['1'] ?? 0) + (outputs['2'] ?? 0), 200);
    assert.ok((outputs['1'] ?? 0) >= 60 && (outputs['1'] ?? 0) <= 140, JSON.stringify(outputs));
    const total = await counts();
    assert.equal(total[v1], 30 + (outputs['1'] ?? 0));
    assert.equal(total[v2], 30 + (outputs['2'] ?? 0));
    // Through a version ARN: every execution that ran it, the alias's included.
    assert.equal((await executionsOf(v2)).length, total[v2]);
  });

  test('EXPRESS machines run versions and aliases too, StartSyncExecution included', async () => {
    const sync = new SFNClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      disableHostPrefix: true,
    });
    try {
      const { arn, versionArn } = await createMachine('first', { publish: true, type: 'EXPRESS' });
      assert.equal(versionArn, `${arn}:1`);
      await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: passing('latest') }));
      await sfn.send(
        new CreateStateMachineAliasCommand({
          name: 'LIVE',
          routingConfiguration: [{ stateMachineVersionArn: `${arn}:1`, weight: 100 }],
        }),
      );
      const viaVersion = await sync.send(new StartSyncExecutionCommand({ stateMachineArn: `${arn}:1` }));
      assert.equal(viaVersion.status, 'SUCCEEDED');
      assert.equal(viaVersion.output, '"first"');
      const viaAlias = await sync.send(new StartSyncExecutionCommand({ stateMachineArn: `${arn}:LIVE` }));
      assert.equal(viaAlias.output, '"first"');
      assert.equal(
        (await sync.send(new StartSyncExecutionCommand({ stateMachineArn: arn }))).output,
        '"latest"',
      );
      const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: `${arn}:LIVE` }));
      assert.match(started.executionArn ?? '', /:express:/);
    } finally {
      sync.destroy();
    }
  });

  test('quotas: 1000 versions and 100 aliases per state machine', async () => {
    const { arn } = await createMachine(0, { publish: true });
    for (let n = 1; n < 1000; n += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, 1000 - n) }, (_, i) =>
          sfn.send(
            new UpdateStateMachineCommand({
              stateMachineArn: arn,
              definition: passing(n + i),
              publish: true,
            }),
          ),
        ),
      );
    }
    assert.equal((await versionsOf(arn)).length, 1000);
    const before = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    const refused = await failure(
      sfn.send(
        new UpdateStateMachineCommand({ stateMachineArn: arn, definition: passing('more'), publish: true }),
      ),
    );
    assert.deepEqual(refused, {
      name: 'ServiceQuotaExceededException',
      message: 'Maximum number of versions per state machine (1000) reached',
      status: 402,
    });
    // The refused update changed nothing; publishing the published current revision still works.
    const unchanged = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    assert.equal(unchanged.definition, before.definition);
    assert.equal(unchanged.revisionId, before.revisionId);
    const current = await sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: arn }));
    assert.equal(current.stateMachineVersionArn, `${arn}:1000`);
    await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: passing('later') }));
    assert.equal(
      (await failure(sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: arn })))).name,
      'ServiceQuotaExceededException',
    );
    await sfn.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: `${arn}:1` }));
    const freed = await sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: arn }));
    assert.equal(freed.stateMachineVersionArn, `${arn}:1001`);

    const route = [{ stateMachineVersionArn: `${arn}:2`, weight: 100 }];
    for (let n = 0; n < 100; n += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          sfn.send(
            new CreateStateMachineAliasCommand({ name: `alias-${n + i}`, routingConfiguration: route }),
          ),
        ),
      );
    }
    assert.deepEqual(
      await failure(
        sfn.send(new CreateStateMachineAliasCommand({ name: 'alias-100', routingConfiguration: route })),
      ),
      {
        name: 'ServiceQuotaExceededException',
        message: 'Maximum number of aliases per state machine (100) reached',
        status: 402,
      },
    );
    // An identical create of an existing alias is still answered at the quota.
    await sfn.send(new CreateStateMachineAliasCommand({ name: 'alias-7', routingConfiguration: route }));
    const all = await sfn.send(
      new ListStateMachineAliasesCommand({ stateMachineArn: arn, maxResults: 1000 }),
    );
    assert.equal(all.stateMachineAliases?.length, 100);
  });

  test('DeleteStateMachine deletes its versions and aliases', async () => {
    const { arn } = await createMachine('one', { publish: true });
    await sfn.send(
      new CreateStateMachineAliasCommand({
        name: 'PROD',
        routingConfiguration: [{ stateMachineVersionArn: `${arn}:1`, weight: 100 }],
      }),
    );
    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
    assert.equal(
      (await failure(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${arn}:1` })))).name,
      'StateMachineDoesNotExist',
    );
    assert.equal(
      (await failure(sfn.send(new DescribeStateMachineAliasCommand({ stateMachineAliasArn: `${arn}:PROD` }))))
        .name,
      'ResourceNotFound',
    );
    assert.deepEqual(await versionsOf(arn), []);
    assert.equal(
      (await failure(sfn.send(new StartExecutionCommand({ stateMachineArn: `${arn}:PROD` })))).name,
      'StateMachineDoesNotExist',
    );
  });
});

describe('versions and aliases through boto3', () => {
  test('publish, alias, start through it, and the modeled errors', async () => {
    const script = `
import json, sys, boto3
from botocore.config import Config
c = boto3.client('stepfunctions', config=Config(retries={'max_attempts': 0}))
d = lambda v: json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": v, "End": True}}})
out = {}
m = c.create_state_machine(name=sys.argv[1], definition=d(1), roleArn='arn:aws:iam::123456789012:role/r', publish=True)
arn = m['stateMachineArn']
out['created'] = m['stateMachineVersionArn']
out['updated'] = c.update_state_machine(stateMachineArn=arn, definition=d(2), publish=True)['stateMachineVersionArn']
out['versions'] = [v['stateMachineVersionArn'] for v in c.list_state_machine_versions(stateMachineArn=arn)['stateMachineVersions']]
out['described'] = c.describe_state_machine(stateMachineArn=arn + ':1')['definition']
alias = c.create_state_machine_alias(name='PROD', description='d', routingConfiguration=[
    {'stateMachineVersionArn': arn + ':1', 'weight': 0}, {'stateMachineVersionArn': arn + ':2', 'weight': 100}])['stateMachineAliasArn']
out['alias'] = c.describe_state_machine_alias(stateMachineAliasArn=alias)['routingConfiguration']
e = c.start_execution(stateMachineArn=alias, input='{}')['executionArn']
x = c.describe_execution(executionArn=e)
out['execution'] = [x['output'], x['stateMachineArn'], x['stateMachineVersionArn'], x['stateMachineAliasArn']]
out['listed'] = [[i['stateMachineVersionArn'], i['stateMachineAliasArn']] for i in c.list_executions(stateMachineArn=alias)['executions']]
out['aliases'] = [a['stateMachineAliasArn'] for a in c.list_state_machine_aliases(stateMachineArn=arn)['stateMachineAliases']]
errors = []
for call in [
    lambda: c.delete_state_machine_version(stateMachineVersionArn=arn + ':2'),
    lambda: c.create_state_machine_alias(name='PROD', routingConfiguration=[{'stateMachineVersionArn': arn + ':1', 'weight': 100}]),
    lambda: c.create_state_machine_alias(name='X', routingConfiguration=[{'stateMachineVersionArn': arn, 'weight': 100}]),
    lambda: c.update_state_machine_alias(stateMachineAliasArn=arn + ':NOPE', description='x'),
    lambda: c.publish_state_machine_version(stateMachineArn=arn, revisionId='stale'),
]:
    try:
        call()
        errors.append(None)
    except c.exceptions.ClientError as err:
        errors.append([type(err).__name__, err.response['Error']['Message']])
out['errors'] = errors
print(json.dumps(out))
`;
    const name = unique('boto');
    const { stdout } = await run('python3', ['-c', script, name], {
      env: { ...awsEnv(server.url), AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    const arn = `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`;
    assert.equal(out['created'], `${arn}:1`);
    assert.equal(out['updated'], `${arn}:2`);
    assert.deepEqual(out['versions'], [`${arn}:2`, `${arn}:1`]);
    assert.deepEqual(JSON.parse(out['described'] as string), JSON.parse(passing(1)));
    assert.deepEqual(out['alias'], [
      { stateMachineVersionArn: `${arn}:1`, weight: 0 },
      { stateMachineVersionArn: `${arn}:2`, weight: 100 },
    ]);
    assert.deepEqual(out['execution'], ['2', arn, `${arn}:2`, `${arn}:PROD`]);
    assert.deepEqual(out['listed'], [[`${arn}:2`, `${arn}:PROD`]]);
    assert.deepEqual(out['aliases'], [`${arn}:PROD`]);
    assert.deepEqual(out['errors'], [
      [
        'ConflictException',
        'Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [PROD]',
      ],
      [
        'ConflictException',
        'Failed to create alias because an alias with the same name and a different routing configuration already exists.',
      ],
      [
        'ValidationException',
        `Routing configuration must contain state machine version ARNs. Received: [${arn}]`,
      ],
      ['ResourceNotFound', 'Request references a resource that does not exist.'],
      [
        'ConflictException',
        'Failed to publish the State Machine version for revision stale. The current State Machine revision is ' +
          (await revisionOf(arn)) +
          '.',
      ],
    ]);
  });
});

async function revisionOf(arn: string): Promise<string> {
  return (await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))).revisionId ?? '';
}

describe('versions and aliases survive a restart (SQLite)', () => {
  test('versions, aliases, the ARNs of executions, and the version count', async () => {
    const dir = tempDir();
    try {
      let live = await startServer({ port: 0, dataDir: dir.path });
      let client = sdkClient(live.url);
      const name = unique('durable');
      const created = await client.send(
        new CreateStateMachineCommand({ name, definition: passing('one'), roleArn: ROLE, publish: true }),
      );
      const arn = created.stateMachineArn!;
      await client.send(
        new UpdateStateMachineCommand({ stateMachineArn: arn, definition: passing('two'), publish: true }),
      );
      await client.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: `${arn}:2` }));
      await client.send(
        new UpdateStateMachineCommand({ stateMachineArn: arn, definition: passing('three'), publish: true }),
      );
      await client.send(
        new CreateStateMachineAliasCommand({
          name: 'PROD',
          description: 'kept',
          routingConfiguration: [{ stateMachineVersionArn: `${arn}:1`, weight: 100 }],
        }),
      );
      const execution = (await client.send(new StartExecutionCommand({ stateMachineArn: `${arn}:PROD` })))
        .executionArn!;
      client.destroy();
      await live.close();

      live = await startServer({ port: 0, dataDir: dir.path });
      client = sdkClient(live.url);
      try {
        const versions = await client.send(new ListStateMachineVersionsCommand({ stateMachineArn: arn }));
        assert.deepEqual(
          versions.stateMachineVersions?.map((v) => v.stateMachineVersionArn),
          [`${arn}:3`, `${arn}:1`],
        );
        const alias = await client.send(
          new DescribeStateMachineAliasCommand({ stateMachineAliasArn: `${arn}:PROD` }),
        );
        assert.equal(alias.description, 'kept');
        assert.deepEqual(alias.routingConfiguration, [{ stateMachineVersionArn: `${arn}:1`, weight: 100 }]);
        const described = await client.send(new DescribeExecutionCommand({ executionArn: execution }));
        assert.equal(described.output, '"one"');
        assert.equal(described.stateMachineVersionArn, `${arn}:1`);
        assert.equal(described.stateMachineAliasArn, `${arn}:PROD`);
        const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: `${arn}:PROD` }));
        assert.deepEqual(
          listed.executions?.map((e) => e.executionArn),
          [execution],
        );
        // Numbers go on from the highest ever published, not from the versions left.
        const next = await client.send(
          new UpdateStateMachineCommand({ stateMachineArn: arn, definition: passing('four'), publish: true }),
        );
        assert.equal(next.stateMachineVersionArn, `${arn}:4`);
        const again = await client.send(new StartExecutionCommand({ stateMachineArn: `${arn}:PROD` }));
        assert.equal(
          (await client.send(new DescribeExecutionCommand({ executionArn: again.executionArn }))).output,
          '"one"',
        );
      } finally {
        client.destroy();
        await live.close();
      }
    } finally {
      dir.remove();
    }
  });
});

describe('versions and aliases on PostgreSQL, shared by two nodes', { skip: await postgresSkip() }, () => {
  test('published on one node, run and listed through an alias on the other', async () => {
    const schema = testSchema();
    const nodeA = await startServer({ port: 0, database: schema.url });
    const nodeB = await startServer({ port: 0, database: schema.url });
    const a = sdkClient(nodeA.url);
    const b = sdkClient(nodeB.url);
    try {
      const created = await a.send(
        new CreateStateMachineCommand({
          name: unique('shared'),
          definition: passing('one'),
          roleArn: ROLE,
          publish: true,
          versionDescription: 'first',
        }),
      );
      const arn = created.stateMachineArn!;
      const v2 = (
        await a.send(
          new UpdateStateMachineCommand({ stateMachineArn: arn, definition: passing('two'), publish: true }),
        )
      ).stateMachineVersionArn!;
      await a.send(
        new CreateStateMachineAliasCommand({
          name: 'PROD',
          routingConfiguration: [
            { stateMachineVersionArn: `${arn}:1`, weight: 0 },
            { stateMachineVersionArn: v2, weight: 100 },
          ],
        }),
      );
      const started = await b.send(new StartExecutionCommand({ stateMachineArn: `${arn}:PROD` }));
      const described = await b.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      assert.equal(described.output, '"two"');
      assert.equal(described.stateMachineAliasArn, `${arn}:PROD`);
      const listed = await b.send(new ListExecutionsCommand({ stateMachineArn: v2 }));
      assert.deepEqual(
        listed.executions?.map((e) => e.executionArn),
        [started.executionArn],
      );
      assert.equal(
        (await b.send(new DescribeStateMachineCommand({ stateMachineArn: `${arn}:1` }))).description,
        'first',
      );
      assert.equal(
        (await failure(b.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: v2 })))).name,
        'ConflictException',
      );
      // Publishing from both nodes at once: one version for the revision, whichever answers.
      const [fromA, fromB] = await Promise.all([
        a.send(new PublishStateMachineVersionCommand({ stateMachineArn: arn })),
        b.send(new PublishStateMachineVersionCommand({ stateMachineArn: arn })),
      ]);
      assert.equal(fromA.stateMachineVersionArn, v2);
      assert.equal(fromB.stateMachineVersionArn, v2);
      await b.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
      const versions = await a.send(new ListStateMachineVersionsCommand({ stateMachineArn: arn }));
      assert.deepEqual(versions.stateMachineVersions, []);
    } finally {
      a.destroy();
      b.destroy();
      await nodeA.close();
      await nodeB.close();
      await schema.drop();
    }
  });
});
