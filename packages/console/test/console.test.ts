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
import { bigMachine } from './big-machine.js';

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

  /** Each data-flow step of the open state panel: where its value came from, and its text. */
  const flowSteps = async (): Promise<Record<string, { source: string; text: string }>> => {
    const panel = page.getByTestId('state-panel');
    await panel.getByTestId('flow-variables').waitFor();
    const steps: Record<string, { source: string; text: string }> = {};
    for (const key of [
      'raw',
      'inputPath',
      'parameters',
      'result',
      'resultSelector',
      'resultPath',
      'output',
      'variables',
    ]) {
      const step = panel.getByTestId(`flow-${key}`);
      steps[key] = {
        source: (await step.getAttribute('data-source')) ?? '',
        text: (await step.textContent()) ?? '',
      };
    }
    return steps;
  };

  it('shows a Task state’s data flow step by step, recorded and recomputed', async () => {
    await openExecution(executions['adult'] ?? '');
    await page
      .getByTestId('graph')
      .getByRole('button', { name: /State ContentBrowsedAllowed\?/ })
      .click();
    let steps = await flowSteps();
    assert.equal(steps['raw']?.source, 'recorded');
    assert.match(steps['raw']?.text ?? '', /"age": 30/);
    // No InputPath or Parameters: the input passes unchanged, and the recorded effective input
    // (ActivityScheduled) agrees with the recomputation.
    assert.equal(steps['inputPath']?.source, 'unchanged');
    assert.match(steps['inputPath']?.text ?? '', /"age": 30/);
    assert.equal(steps['parameters']?.source, 'recorded');
    assert.match(steps['parameters']?.text ?? '', /"age": 30/);
    assert.equal(steps['result']?.source, 'recorded');
    assert.match(steps['result']?.text ?? '', /"message": "allowed"/);
    assert.equal(steps['resultSelector']?.source, 'unchanged');
    assert.equal(steps['resultPath']?.source, 'computed');
    assert.match(steps['resultPath']?.text ?? '', /"type": "adult"/);
    assert.equal(steps['output']?.source, 'recorded');
    assert.match(steps['output']?.text ?? '', /"message": "allowed"/);
    assert.equal(steps['variables']?.source, 'notApplicable');
    assert.equal(await page.getByTestId('flow-mismatch').count(), 0);
    await page.getByTestId('state-panel').screenshot({ path: join(ARTIFACTS, 'state-data-flow-panel.png') });

    // The refused one: the error output, placed at the Catch's ResultPath in the raw input.
    await openExecution(executions['child'] ?? '');
    await page
      .getByTestId('graph')
      .getByRole('button', { name: /State ContentBrowsedAllowed\?/ })
      .click();
    steps = await flowSteps();
    assert.match(steps['raw']?.text ?? '', /"age": 12/);
    assert.equal(steps['parameters']?.source, 'recorded');
    assert.match(steps['parameters']?.text ?? '', /"age": 12/);
    assert.equal(steps['result']?.source, 'recorded');
    assert.match(steps['result']?.text ?? '', /"Error": "age check failed"/);
    assert.match(steps['result']?.text ?? '', /"Cause": "<b>too young<\/b>"/);
    assert.equal(steps['resultSelector']?.source, 'notApplicable');
    assert.equal(steps['resultPath']?.source, 'computed');
    assert.match(steps['resultPath']?.text ?? '', /"error-info": \{/);
    assert.equal(steps['output']?.source, 'recorded');
    const output = JSON.parse(
      (await page.getByTestId('state-panel').getByTestId('state-output').textContent()) ?? '',
    ) as unknown;
    assert.deepEqual(output, {
      age: 12,
      note: '<img src=x onerror="window.__xss=1">',
      'error-info': { Error: 'age check failed', Cause: '<b>too young</b>' },
    });
    assert.equal(await page.getByTestId('flow-mismatch').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    await shot('state-data-flow-caught');
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

  it('lays out a 120-state machine readably, with every node drawn, and pans and zooms', async () => {
    const bigActivity = (await sfn.send(new CreateActivityCommand({ name: 'bigWork' }))).activityArn ?? '';
    const { definition, stateCount } = bigMachine(bigActivity);
    assert.ok(stateCount >= 120);
    const bigArn =
      (
        await sfn.send(
          new CreateStateMachineCommand({
            name: 'BigMachine',
            definition,
            roleArn: 'arn:aws:iam::123456789012:role/stepwise',
          }),
        )
      ).stateMachineArn ?? '';
    const run = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: bigArn, name: 'big', input: '{"n": 1, "items": [1, 2]}' }),
    );
    await page.goto(`${server.url}/#/executions/${encodeURIComponent(run.executionArn ?? '')}`);
    const graph = page.getByTestId('graph');
    // Step003 is a Task waiting for a bigWork worker: the execution stays at it.
    await graph.locator('[data-state="Step003"][data-status="running"]').waitFor({ timeout: 20_000 });
    assert.equal(await graph.locator('[data-state]').count(), stateCount);
    assert.equal(await graph.locator('[data-state="Step001"]').getAttribute('data-status'), 'succeeded');
    for (const name of ['Fanout', 'EachItem', 'Left1', 'Item4', 'Handler', 'Done', 'Detour12'])
      assert.equal(await graph.locator(`[data-state="${name}"]`).count(), 1, name);
    // Next and Catch edges leave a state from different points (Catch from its right side).
    const starts = async (kind: string): Promise<string[]> =>
      graph
        .locator(`.edge-${kind} path.react-flow__edge-path`)
        .evaluateAll((paths) =>
          paths.map((p) => /^M ?[\d.-]+ [\d.-]+/.exec(p.getAttribute('d') ?? '')?.[0] ?? ''),
        );
    const catchStarts = await starts('catch');
    const nextStarts = new Set([
      ...(await starts('next')),
      ...(await starts('choice')),
      ...(await starts('default')),
    ]);
    assert.ok(catchStarts.length >= 20, `${catchStarts.length} catch edges`);
    for (const start of catchStarts)
      assert.ok(!nextStarts.has(start), `a Catch edge shares its start ${start}`);
    // Opens on the first states at a readable zoom, not a speck of the whole.
    const zoomOf = async (): Promise<number> =>
      graph
        .locator('.react-flow__viewport')
        .evaluate((el) => new DOMMatrixReadOnly(getComputedStyle(el).transform).a);
    assert.ok((await zoomOf()) >= 0.5, `initial zoom ${await zoomOf()}`);
    await shot('big-machine');

    // The data flow of a Pass state with Parameters, recomputed in the browser.
    await graph.getByRole('button', { name: /State Step001,/ }).click();
    const steps = await flowSteps();
    assert.equal(steps['parameters']?.source, 'computed');
    assert.match(steps['parameters']?.text ?? '', /"step": "1"/);
    assert.equal(steps['resultPath']?.source, 'computed');
    assert.match(steps['resultPath']?.text ?? '', /"s1": \{/);
    assert.equal(steps['output']?.source, 'recorded');
    assert.equal(await page.getByTestId('flow-mismatch').count(), 0);

    // Zoom with the wheel, pan by dragging the background, then fit the whole machine.
    const box = await graph.boundingBox();
    assert.ok(box);
    const before = await zoomOf();
    await page.mouse.move(box.x + 40, box.y + 40);
    await page.mouse.wheel(0, 600);
    await page.waitForTimeout(300);
    const zoomed = await zoomOf();
    assert.ok(zoomed < before, `zoom ${before} → ${zoomed}`);
    const origin = async (): Promise<number> =>
      graph
        .locator('.react-flow__viewport')
        .evaluate((el) => new DOMMatrixReadOnly(getComputedStyle(el).transform).f);
    const y0 = await origin();
    // (The top right: clear of the controls, bottom left, and the minimap, bottom right.)
    await page.mouse.move(box.x + box.width - 30, box.y + 240);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width - 30, box.y + 40, { steps: 8 });
    await page.mouse.up();
    assert.ok((await origin()) < y0, 'dragging up pans the graph');
    await graph.locator('.react-flow__controls-fitview').click();
    await page.waitForTimeout(400);
    await graph.screenshot({ path: join(ARTIFACTS, 'big-machine-overview.png') });
    // Zoom into the Parallel and the Map: nested groups stay legible.
    const fanout = await graph.locator('[data-state="Fanout"]').boundingBox();
    assert.ok(fanout);
    await page.mouse.move(fanout.x + fanout.width / 2, fanout.y + fanout.height / 2);
    for (let i = 0; i < 6; i++) await page.mouse.wheel(0, -400);
    await page.waitForTimeout(400);
    await graph.screenshot({ path: join(ARTIFACTS, 'big-machine-parallel.png') });
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
