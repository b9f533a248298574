/**
 * The console in a real browser (Debian's Chromium through playwright-core) against a real
 * server: the seed's ContentBrowse machine and ageCheck activity, executions answered by a
 * worker, then what a person sees and does. Screenshots land in test-artifacts/console/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetActivityTaskCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT, sdkClient, startTestServer } from '../../server/test/helpers/server.js';
import type { TestServer } from '../../server/test/helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/console');
const BUILT = existsSync(join(REPO_ROOT, 'packages/console/dist/index.html'));
const skip = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is not installed (apt-get install -y chromium)`
  : !BUILT
    ? 'the console is not built (npm run build)'
    : false;

function contentBrowse(activityArn: string): string {
  return JSON.stringify(
    {
      Comment: 'An example using a Task state.',
      StartAt: 'ContentBrowsedAllowed?',
      TimeoutSeconds: 300,
      States: {
        'ContentBrowsedAllowed?': {
          Type: 'Task',
          Resource: activityArn,
          Next: 'Succeed',
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error-info', Next: 'Failure' }],
        },
        Failure: { Type: 'Fail', Cause: 'Invalid response.', Error: 'CheckFailed' },
        Succeed: { Type: 'Succeed' },
      },
    },
    null,
    2,
  );
}

describe('console in Chromium', { skip, timeout: 90_000 }, () => {
  let server: TestServer;
  let sfn: SFNClient;
  let browser: Browser;
  let page: Page;
  let activityArn: string;
  let stateMachineArn: string;
  const executions: Record<string, string> = {};

  const takeTask = async (): Promise<string> => {
    const task = await sfn.send(new GetActivityTaskCommand({ activityArn, workerName: 'test-worker' }));
    assert.ok(task.taskToken);
    return task.taskToken;
  };

  const start = async (name: string, input: object): Promise<string> => {
    const r = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    assert.ok(r.executionArn);
    executions[name] = r.executionArn;
    return r.executionArn;
  };

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  const openExecution = async (arn: string): Promise<void> => {
    await page.goto(`${server.url}/#/executions/${encodeURIComponent(arn)}`);
    await page.getByTestId('graph').locator('[data-state="Succeed"]').waitFor();
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startTestServer({ pollHoldMs: 2000 });
    sfn = sdkClient(server.url);
    activityArn = (await sfn.send(new CreateActivityCommand({ name: 'ageCheck' }))).activityArn ?? '';
    stateMachineArn =
      (
        await sfn.send(
          new CreateStateMachineCommand({
            name: 'ContentBrowse',
            definition: contentBrowse(activityArn),
            roleArn: 'arn:aws:iam::123456789012:role/stepwise',
          }),
        )
      ).stateMachineArn ?? '';
    // One allowed, one refused (caught to the Fail state), one left waiting for a person.
    await start('adult', { age: 30 });
    await sfn.send(
      new SendTaskSuccessCommand({
        taskToken: await takeTask(),
        output: '{"type":"adult","message":"allowed"}',
      }),
    );
    await start('child', { age: 12, note: '<img src=x onerror="window.__xss=1">' });
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: await takeTask(),
        error: 'age check failed',
        cause: '<b>too young</b>',
      }),
    );
    await start('waiting-for-a-person', { age: 40, note: 'please check' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('dialog', (dialog) => void dialog.accept());
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('serves the console with content types and a JSON 404 for missing assets', async () => {
    const index = await fetch(`${server.url}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset);
    const js = await fetch(`${server.url}${asset}`);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    const missing = await fetch(`${server.url}/assets/nope.js`);
    assert.equal(missing.status, 404);
    const traversal = await fetch(`${server.url}/..%2f..%2fpackage.json`);
    assert.notEqual(traversal.headers.get('content-type'), 'application/json; charset=utf-8');
  });

  it('colours the graph by state status and lists the history', async () => {
    await openExecution(executions['adult'] ?? '');
    const graph = page.getByTestId('graph');
    await graph.locator('[data-state="Succeed"][data-status="succeeded"]').waitFor();
    assert.equal(
      await graph.locator('[data-state="ContentBrowsedAllowed?"]').getAttribute('data-status'),
      'succeeded',
    );
    assert.equal(await graph.locator('[data-state="Failure"]').getAttribute('data-status'), 'notReached');
    const history = page.getByTestId('history-table');
    for (const type of [
      'ExecutionStarted',
      'ActivityScheduled',
      'ActivityStarted',
      'ActivitySucceeded',
      'ExecutionSucceeded',
    ])
      await history.locator(`[data-event-type="${type}"]`).first().waitFor();
    await shot('execution-succeeded');

    await openExecution(executions['child'] ?? '');
    await graph.locator('[data-state="Failure"][data-status="failed"]').waitFor();
    assert.equal(
      await graph.locator('[data-state="ContentBrowsedAllowed?"]').getAttribute('data-status'),
      'caught',
    );
    assert.equal(await graph.locator('[data-state="Succeed"]').getAttribute('data-status'), 'notReached');
    assert.equal(await page.getByTestId('execution-error').textContent(), 'CheckFailed');
    // Untrusted data is text, never markup.
    assert.match((await page.getByTestId('execution-input').textContent()) ?? '', /onerror/);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    await shot('execution-caught');
    await page.getByRole('tab', { name: 'Timeline' }).click();
    await page.getByTestId('timeline').waitFor();
    await shot('execution-timeline');
  });

  it('shows a state’s input and output when it is clicked', async () => {
    await openExecution(executions['adult'] ?? '');
    await page
      .getByTestId('graph')
      .getByRole('button', { name: /State ContentBrowsedAllowed\?/ })
      .click();
    const panel = page.getByTestId('state-panel');
    await panel.getByTestId('state-input').waitFor();
    assert.match((await panel.getByTestId('state-input').textContent()) ?? '', /"age": 30/);
    assert.match((await panel.getByTestId('state-output').textContent()) ?? '', /"message": "allowed"/);
    await page.getByTestId('history-table').locator('[data-event-type="ActivitySucceeded"]').click();
    await page.getByTestId('event-details').waitFor();
    await shot('state-data-flow');
  });

  it('starts and stops an execution from the UI', async () => {
    await page.goto(`${server.url}/#/state-machines/${encodeURIComponent(stateMachineArn)}`);
    await page.getByTestId('open-start').click();
    await page.getByTestId('start-name').fill('started-in-the-browser');
    await page.getByTestId('start-input').fill('{"age": 21}');
    await page.getByTestId('start-submit').click();
    await page
      .getByTestId('graph')
      .locator('[data-state="ContentBrowsedAllowed?"][data-status="running"]')
      .waitFor();
    assert.equal(await page.getByTestId('execution-name').textContent(), 'started-in-the-browser');
    await shot('execution-running');
    await page.getByTestId('stop-execution').click();
    await page.locator('.badge-aborted').first().waitFor();
    const arn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:started-in-the-browser`;
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    assert.equal(described.status, 'ABORTED');
    assert.equal(described.input, '{"age": 21}');
    await shot('execution-stopped');
  });

  it('answers a human task from the inbox', async () => {
    await page.goto(`${server.url}/#/activities`);
    await page.getByTestId('human-ageCheck').check();
    await page.goto(`${server.url}/#/inbox`);
    const card = page.getByTestId('inbox-ageCheck');
    await card.getByText('please check').waitFor();
    await shot('inbox');
    await card.getByTestId('claim').click();
    const claimed = page.getByTestId('claimed-task');
    await claimed.waitFor();
    await shot('inbox-claimed');
    await claimed.getByTestId('approve-output').fill('{"type":"adult","approvedBy":"a person"}');
    await claimed.getByTestId('approve').click();
    await claimed.waitFor({ state: 'detached' });
    const arn = executions['waiting-for-a-person'] ?? '';
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    assert.equal(described.status, 'SUCCEEDED');
    assert.match(described.output ?? '', /a person/);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn }));
    const started = history.events?.find((e) => e.type === 'ActivityStarted');
    assert.equal(started?.activityStartedEventDetails?.workerName, 'console:operator');
  });

  it('shows a definition’s diagnostic at its location', async () => {
    await page.goto(`${server.url}/#/state-machines/new`);
    const broken = contentBrowse(activityArn).replace('"Next": "Succeed"', '"Next": "Nowhere"');
    await page.getByTestId('definition-editor').fill(broken);
    const diagnostics = page.getByTestId('diagnostics');
    await diagnostics.locator('.diagnostic.error').first().waitFor();
    const text = (await diagnostics.textContent()) ?? '';
    assert.match(text, /Nowhere/);
    const line = broken.split('\n').findIndex((l) => l.includes('"Nowhere"')) + 1;
    assert.match(text, new RegExp(`${line}:\\d+`));
    await page.getByTestId('graph').locator('[data-state="Failure"]').waitFor();
    await shot('definition-diagnostic');
    await page.evaluate(() => (document.documentElement.dataset['theme'] = 'dark'));
    await shot('definition-diagnostic-dark');
  });
});
