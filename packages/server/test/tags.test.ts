/**
 * Resource tags through the real clients: TagResource, UntagResource and ListTagsForResource on
 * state machines and activities, the tags CreateActivity and CreateStateMachine take, the errors
 * (ResourceNotFound with AWS's recorded wording, InvalidArn, TooManyTags, ValidationException),
 * and tags surviving a SIGKILL of the server on its SQLite data directory.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  DeleteActivityCommand,
  DeleteStateMachineCommand,
  InvalidArn,
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  ResourceNotFound,
  SFNServiceException,
  TagResourceCommand,
  TooManyTags,
  UntagResourceCommand,
} from '@aws-sdk/client-sfn';
import type { SFNClient, Tag } from '@aws-sdk/client-sfn';

import { awsEnv, sdkClient, spawnServer, startTestServer, tempDir } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';
import { ROLE, unique } from './helpers/sfn.js';

const run = promisify(execFile);

const PREFIX = 'arn:aws:states:us-east-1:123456789012';
const PASS = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
const OTHER_PASS = JSON.stringify({ StartAt: 'Q', States: { Q: { Type: 'Pass', End: true } } });

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

async function machine(tags?: Tag[], name = unique('tags-sm')): Promise<string> {
  const out = await sfn.send(
    new CreateStateMachineCommand({
      name,
      definition: PASS,
      roleArn: ROLE,
      ...(tags !== undefined ? { tags } : {}),
    }),
  );
  return out.stateMachineArn!;
}

async function activity(tags?: Tag[], name = unique('tags-act')): Promise<string> {
  const out = await sfn.send(new CreateActivityCommand({ name, ...(tags !== undefined ? { tags } : {}) }));
  return out.activityArn!;
}

async function tagsOf(resourceArn: string): Promise<Tag[] | undefined> {
  return (await sfn.send(new ListTagsForResourceCommand({ resourceArn }))).tags;
}

function numbered(from: number, n: number): Tag[] {
  return Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` }));
}

/** A raw JSON 1.0 request, for what the SDKs refuse to send. */
async function raw(
  operation: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `AWSStepFunctions.${operation}`,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function rejects(
  promise: Promise<unknown>,
  name: string,
  message?: string,
): Promise<SFNServiceException> {
  let caught: SFNServiceException | undefined;
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SFNServiceException, `expected ${name}, got ${String(error)}`);
    assert.equal(error.name, name);
    assert.equal(error.$metadata.httpStatusCode, 400);
    if (message !== undefined) assert.equal(error.message, message);
    caught = error;
    return true;
  });
  assert.ok(caught);
  return caught;
}

describe('tags through @aws-sdk/client-sfn', () => {
  test('state machines: tags of CreateStateMachine, then tag, replace, untag, list', async () => {
    const arn = await machine([
      { key: 'team', value: 'payments' },
      { key: 'env', value: 'dev' },
    ]);
    assert.deepEqual(await tagsOf(arn), [
      { key: 'team', value: 'payments' },
      { key: 'env', value: 'dev' },
    ]);

    const tagged = await sfn.send(
      new TagResourceCommand({
        resourceArn: arn,
        tags: [
          { key: 'env', value: 'prod' },
          { key: 'cost-center', value: '' },
          { key: 'Name', value: 'a b_c.d:e/f=g+h-i@j' },
        ],
      }),
    );
    assert.equal(tagged.$metadata.httpStatusCode, 200);
    // An existing key takes the new value in its place; new keys follow in request order.
    assert.deepEqual(await tagsOf(arn), [
      { key: 'team', value: 'payments' },
      { key: 'env', value: 'prod' },
      { key: 'cost-center', value: '' },
      { key: 'Name', value: 'a b_c.d:e/f=g+h-i@j' },
    ]);

    // Untagging a key the resource does not have is no error.
    await sfn.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['team', 'never-set'] }));
    await sfn.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: [] }));
    assert.deepEqual(await tagsOf(arn), [
      { key: 'env', value: 'prod' },
      { key: 'cost-center', value: '' },
      { key: 'Name', value: 'a b_c.d:e/f=g+h-i@j' },
    ]);
    await sfn.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['env', 'cost-center', 'Name'] }));
    assert.deepEqual(await tagsOf(arn), []);

    // A key given twice in one request is set once, to its last value (recorded from AWS with
    // identical duplicates).
    await sfn.send(
      new TagResourceCommand({
        resourceArn: arn,
        tags: [
          { key: 'dup', value: 'first' },
          { key: 'dup', value: 'last' },
        ],
      }),
    );
    assert.deepEqual(await tagsOf(arn), [{ key: 'dup', value: 'last' }]);
  });

  test('activities: tags of CreateActivity, tag, untag, list', async () => {
    const arn = await activity([{ key: 'owner', value: 'age-check' }]);
    assert.deepEqual(await tagsOf(arn), [{ key: 'owner', value: 'age-check' }]);
    await sfn.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'tier', value: 'gold' }] }));
    await sfn.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['owner'] }));
    assert.deepEqual(await tagsOf(arn), [{ key: 'tier', value: 'gold' }]);
    assert.deepEqual(await tagsOf(await activity()), []);
  });

  test('an idempotent re-create ignores its differing tags', async () => {
    const name = unique('idem');
    const arn = await machine([{ key: 'a', value: '1' }], name);
    assert.equal(await machine([{ key: 'b', value: '2' }], name), arn);
    assert.deepEqual(await tagsOf(arn), [{ key: 'a', value: '1' }]);

    const actName = unique('idem-act');
    const actArn = await activity([{ key: 'a', value: '1' }], actName);
    assert.equal(await activity([{ key: 'a', value: 'changed' }], actName), actArn);
    assert.deepEqual(await tagsOf(actArn), [{ key: 'a', value: '1' }]);
  });

  test('ResourceNotFound in AWS words for unknown, version, alias and label ARNs', async () => {
    const arn = await machine();
    for (const resourceArn of [
      `${PREFIX}:stateMachine:no-such-machine`,
      `${PREFIX}:activity:no-such-activity`,
      `${arn}:1`,
      `${arn}:PROD`,
      `${arn}/MapLabel`,
      // Another account's or region's resource is not this server's.
      arn.replace('123456789012', '210987654321'),
    ]) {
      const message = `Resource not found: '${resourceArn}'`;
      for (const send of [
        () => sfn.send(new TagResourceCommand({ resourceArn, tags: [{ key: 'k', value: 'v' }] })),
        () => sfn.send(new UntagResourceCommand({ resourceArn, tagKeys: ['k'] })),
        () => sfn.send(new ListTagsForResourceCommand({ resourceArn })),
      ]) {
        const error = await rejects(send(), 'ResourceNotFound', message);
        assert.ok(error instanceof ResourceNotFound);
        assert.equal(error.resourceName, resourceArn);
      }
    }
    assert.deepEqual(await tagsOf(arn), [], 'nothing was tagged by the refused requests');
  });

  test('InvalidArn for what is not a state machine or activity ARN', async () => {
    const error = await rejects(
      sfn.send(new ListTagsForResourceCommand({ resourceArn: 'not-an-arn' })),
      'InvalidArn',
      "Invalid Arn: 'Invalid ARN prefix: not-an-arn'",
    );
    assert.ok(error instanceof InvalidArn);
    await rejects(
      sfn.send(new TagResourceCommand({ resourceArn: `${PREFIX}:execution:sm:e1`, tags: [] })),
      'InvalidArn',
      "Invalid Arn: 'Resource type not valid in this context: execution'",
    );
    await rejects(
      sfn.send(
        new UntagResourceCommand({ resourceArn: 'arn:aws:sqs:us-east-1:123456789012:q', tagKeys: [] }),
      ),
      'InvalidArn',
      "Invalid Arn: 'Invalid ARN prefix: arn:aws:sqs:us-east-1:123456789012:q'",
    );
  });

  test('TooManyTags past 50 tags a resource, with resourceName; a replaced key does not count', async () => {
    const arn = await machine(numbered(0, 40));
    const error = await rejects(
      sfn.send(new TagResourceCommand({ resourceArn: arn, tags: numbered(40, 11) })),
      'TooManyTags',
    );
    assert.ok(error instanceof TooManyTags);
    assert.equal(error.resourceName, arn);
    assert.equal((await tagsOf(arn))?.length, 40, 'a refused request sets nothing');

    // Ten new keys and five already set: exactly 50.
    await sfn.send(
      new TagResourceCommand({ resourceArn: arn, tags: [...numbered(40, 10), ...numbered(0, 5)] }),
    );
    await sfn.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'k49', value: 'replaced' }] }));
    const tags = await tagsOf(arn);
    assert.equal(tags?.length, 50);
    assert.deepEqual(tags?.[49], { key: 'k49', value: 'replaced' });
    await rejects(
      sfn.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'one-more', value: '' }] })),
      'TooManyTags',
    );
    // Making room lets it in.
    await sfn.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['k0'] }));
    await sfn.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'one-more', value: '' }] }));
    assert.equal((await tagsOf(arn))?.at(-1)?.key, 'one-more');
  });

  test('TooManyTags on create: nothing is created', async () => {
    const name = unique('too-many');
    const error = await rejects(
      sfn.send(
        new CreateStateMachineCommand({ name, definition: PASS, roleArn: ROLE, tags: numbered(0, 51) }),
      ),
      'TooManyTags',
    );
    assert.equal((error as TooManyTags).resourceName, `${PREFIX}:stateMachine:${name}`);
    const machines = (await sfn.send(new ListStateMachinesCommand({ maxResults: 1000 }))).stateMachines ?? [];
    assert.ok(!machines.some((m) => m.name === name));

    const actName = unique('too-many-act');
    await rejects(
      sfn.send(new CreateActivityCommand({ name: actName, tags: numbered(0, 51) })),
      'TooManyTags',
    );
    await rejects(
      sfn.send(new ListTagsForResourceCommand({ resourceArn: `${PREFIX}:activity:${actName}` })),
      'ResourceNotFound',
    );
    // A key repeated in the request counts once: 50 distinct keys fit.
    const arn = await activity([...numbered(0, 50), ...numbered(0, 10)]);
    assert.equal((await tagsOf(arn))?.length, 50);
  });

  test('key and value lengths are checked as the model says (ValidationException)', async () => {
    const arn = await activity();
    await rejects(
      sfn.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'k'.repeat(129), value: 'v' }] })),
      'ValidationException',
      `1 validation error detected: Value '${'k'.repeat(129)}' at 'tags.1.member.key' failed to satisfy ` +
        'constraint: Member must have length less than or equal to 128',
    );
    await rejects(
      sfn.send(
        new TagResourceCommand({
          resourceArn: arn,
          tags: [
            { key: 'ok', value: 'v' },
            { key: '', value: 'v'.repeat(257) },
          ],
        }),
      ),
      'ValidationException',
      "2 validation errors detected: Value '' at 'tags.2.member.key' failed to satisfy constraint: " +
        `Member must have length greater than or equal to 1; Value '${'v'.repeat(257)}' at ` +
        "'tags.2.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
    );
    await rejects(
      sfn.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['ok', ''] })),
      'ValidationException',
      "1 validation error detected: Value '' at 'tagKeys.2.member' failed to satisfy constraint: " +
        'Member must have length greater than or equal to 1',
    );
    await rejects(
      sfn.send(
        new CreateActivityCommand({ name: unique('long'), tags: [{ key: 'k', value: 'v'.repeat(257) }] }),
      ),
      'ValidationException',
    );
    // The limits themselves are allowed.
    await sfn.send(
      new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'k'.repeat(128), value: 'v'.repeat(256) }] }),
    );
    assert.equal((await tagsOf(arn))?.length, 1);
  });

  test('raw requests: a tag without a key is refused, one without a value gets the empty value', async () => {
    const arn = await activity();
    const noKey = await raw('TagResource', { resourceArn: arn, tags: [{ value: 'v' }] });
    assert.equal(noKey.status, 400);
    assert.deepEqual(noKey.body, {
      __type: 'ValidationException',
      message:
        "1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null",
    });
    const missingTags = await raw('TagResource', { resourceArn: arn });
    assert.equal(missingTags.body['__type'], 'ValidationException');
    const noValue = await raw('TagResource', { resourceArn: arn, tags: [{ key: 'k' }] });
    assert.equal(noValue.status, 200);
    assert.deepEqual(noValue.body, {});
    assert.deepEqual(await tagsOf(arn), [{ key: 'k', value: '' }]);
    const notFound = await raw('ListTagsForResource', { resourceArn: `${arn}-gone` });
    assert.deepEqual(notFound.body, {
      __type: 'ResourceNotFound',
      message: `Resource not found: '${arn}-gone'`,
      resourceName: `${arn}-gone`,
    });
  });

  test('deleting a resource deletes its tags; one created again with its name starts untagged', async () => {
    const name = unique('deleted');
    const arn = await machine([{ key: 'a', value: '1' }], name);
    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
    await rejects(sfn.send(new ListTagsForResourceCommand({ resourceArn: arn })), 'ResourceNotFound');
    assert.equal(
      (await sfn.send(new CreateStateMachineCommand({ name, definition: OTHER_PASS, roleArn: ROLE })))
        .stateMachineArn,
      arn,
    );
    assert.deepEqual(await tagsOf(arn), []);

    const actName = unique('deleted-act');
    const actArn = await activity([{ key: 'a', value: '1' }], actName);
    await sfn.send(new DeleteActivityCommand({ activityArn: actArn }));
    await rejects(
      sfn.send(new TagResourceCommand({ resourceArn: actArn, tags: [{ key: 'b', value: '2' }] })),
      'ResourceNotFound',
    );
    await activity(undefined, actName);
    assert.deepEqual(await tagsOf(actArn), []);
  });
});

describe('tags through boto3 and the aws CLI', () => {
  test('boto3: tag, list, untag, and the modeled errors', async () => {
    const smArn = await machine();
    const actArn = await activity();
    const script = `
import json, os, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
a = json.loads(os.environ['ARGS'])
sfn = boto3.client('stepfunctions', config=Config(retries={'max_attempts': 0}))
out = {}
def error(label, call):
    try:
        call()
        out[label] = None
    except ClientError as e:
        out[label] = {'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'],
                      'resourceName': e.response.get('resourceName'),
                      'modeled': type(e).__name__ == e.response['Error']['Code'] and
                                 isinstance(e, getattr(sfn.exceptions, e.response['Error']['Code']))}
sfn.tag_resource(resourceArn=a['sm'], tags=[{'key': 'k1', 'value': 'v1'}, {'key': 'k2', 'value': 'v2'}])
sfn.tag_resource(resourceArn=a['act'], tags=[{'key': 'worker', 'value': 'py'}])
out['listed'] = sfn.list_tags_for_resource(resourceArn=a['sm'])['tags']
out['untag'] = sfn.untag_resource(resourceArn=a['sm'], tagKeys=['k1', 'missing'])['ResponseMetadata']['HTTPStatusCode']
out['after'] = sfn.list_tags_for_resource(resourceArn=a['sm'])['tags']
out['activity'] = sfn.list_tags_for_resource(resourceArn=a['act'])['tags']
error('notFound', lambda: sfn.tag_resource(resourceArn=a['sm'] + ':1', tags=[{'key': 'k', 'value': 'v'}]))
error('invalidArn', lambda: sfn.list_tags_for_resource(resourceArn='not-an-arn'))
error('tooMany', lambda: sfn.tag_resource(resourceArn=a['act'],
      tags=[{'key': 'k%d' % i, 'value': ''} for i in range(50)]))
error('tooLong', lambda: sfn.tag_resource(resourceArn=a['act'], tags=[{'key': 'x' * 129, 'value': ''}]))
print(json.dumps(out))
`;
    const { stdout } = await run('python3', ['-c', script], {
      env: { ...awsEnv(server.url), ARGS: JSON.stringify({ sm: smArn, act: actArn }) },
      timeout: 30_000,
    });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    assert.deepEqual(out['listed'], [
      { key: 'k1', value: 'v1' },
      { key: 'k2', value: 'v2' },
    ]);
    assert.equal(out['untag'], 200);
    assert.deepEqual(out['after'], [{ key: 'k2', value: 'v2' }]);
    assert.deepEqual(out['activity'], [{ key: 'worker', value: 'py' }]);
    assert.deepEqual(out['notFound'], {
      code: 'ResourceNotFound',
      message: `Resource not found: '${smArn}:1'`,
      resourceName: `${smArn}:1`,
      modeled: true,
    });
    assert.deepEqual(out['invalidArn'], {
      code: 'InvalidArn',
      message: "Invalid Arn: 'Invalid ARN prefix: not-an-arn'",
      resourceName: null,
      modeled: true,
    });
    const tooMany = out['tooMany'] as { code: string; resourceName: string; modeled: boolean };
    assert.equal(tooMany.code, 'TooManyTags');
    assert.equal(tooMany.resourceName, actArn);
    assert.equal(tooMany.modeled, true);
    // boto3 checks only minimum lengths before sending; the maximum is the server's to refuse.
    const tooLong = out['tooLong'] as { code: string; message: string; modeled: boolean };
    assert.equal(tooLong.code, 'ValidationException');
    assert.equal(tooLong.modeled, true);
    assert.match(
      tooLong.message,
      /at 'tags\.1\.member\.key' failed to satisfy constraint: Member must have length less than or equal to 128$/,
    );
  });

  test('aws stepfunctions tag-resource and list-tags-for-resource', async () => {
    const arn = await activity();
    const env = awsEnv(server.url);
    const tagged = await run(
      'aws',
      [
        'stepfunctions',
        'tag-resource',
        '--resource-arn',
        arn,
        '--tags',
        'key=team,value=cli',
        'key=env,value=test',
      ],
      { env },
    );
    assert.equal(tagged.stdout.trim(), '');
    const { stdout } = await run('aws', ['stepfunctions', 'list-tags-for-resource', '--resource-arn', arn], {
      env,
    });
    assert.deepEqual(JSON.parse(stdout), {
      tags: [
        { key: 'team', value: 'cli' },
        { key: 'env', value: 'test' },
      ],
    });
  });
});

describe('tags and a restart', () => {
  test('tags survive SIGKILL of the server on the same SQLite data directory', async () => {
    const dir = tempDir();
    try {
      let child = await spawnServer(dir.path);
      let client = sdkClient(child.url);
      try {
        const smArn = (
          await client.send(
            new CreateStateMachineCommand({
              name: 'durable-tags',
              definition: PASS,
              roleArn: ROLE,
              tags: [{ key: 'created', value: 'with-machine' }],
            }),
          )
        ).stateMachineArn!;
        const actArn = (await client.send(new CreateActivityCommand({ name: 'durable-tags' }))).activityArn!;
        await client.send(
          new TagResourceCommand({ resourceArn: smArn, tags: [{ key: 'added', value: 'later' }] }),
        );
        await client.send(new TagResourceCommand({ resourceArn: actArn, tags: [{ key: 'a', value: '1' }] }));
        await client.send(new UntagResourceCommand({ resourceArn: actArn, tagKeys: ['a'] }));
        await client.send(new TagResourceCommand({ resourceArn: actArn, tags: [{ key: 'b', value: '2' }] }));
      } finally {
        client.destroy();
        await child.kill('SIGKILL');
      }

      child = await spawnServer(dir.path);
      client = sdkClient(child.url);
      try {
        const list = async (resourceArn: string) =>
          (await client.send(new ListTagsForResourceCommand({ resourceArn }))).tags;
        assert.deepEqual(await list(`${PREFIX}:stateMachine:durable-tags`), [
          { key: 'created', value: 'with-machine' },
          { key: 'added', value: 'later' },
        ]);
        assert.deepEqual(await list(`${PREFIX}:activity:durable-tags`), [{ key: 'b', value: '2' }]);
      } finally {
        client.destroy();
        await child.kill('SIGKILL');
      }
    } finally {
      dir.remove();
    }
  });
});
