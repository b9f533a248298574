/**
 * `stepwise run <definition.json>`: one execution, in this process, on the memory store.
 *
 * It starts a real server (memory store, a free loopback port) and answers activities with the
 * worker SDK over HTTP, rather than driving the runtime directly: a handler that works here then
 * works unchanged against `stepwise serve` or AWS, because it went through the same API, tokens
 * and SDK. The few milliseconds this costs do not matter for a command run by hand. The one
 * thing the API cannot say — which state an activity task belongs to, needed to answer it from
 * a mock config — is read from the in-process store.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { DescribeExecutionCommandOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import { decodeTaskToken, isActivityArn } from '@stepwise/core';
import type { Json, State } from '@stepwise/core';
import { TaskFailure, createWorker } from '@stepwise/worker';
import type { TaskContext, Worker } from '@stepwise/worker';
import { startServer } from '../server.js';
import type { StepwiseServer } from '../server.js';
import { checkDefinition, formatDiagnostic } from './check.js';
import { MockConfigError, loadTestCase } from '../runtime/mocks.js';
import type { MockSource, TestCase } from '../runtime/mocks.js';
import { palette, progress } from './style.js';
import { renderTree } from './tree.js';

export type ActivityHandler = (input: Json, context: TaskContext) => unknown;

interface RunOptions {
  input: string;
  activity: string[];
  mockConfig?: string;
  testCase?: string;
  history?: boolean;
  name?: string;
}

const ROLE = 'arn:aws:iam::123456789012:role/stepwise-run';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run a definition once, in this process (memory store), and print the execution')
    .argument('<definition>', 'definition file (JSON)')
    .option('--input <json|@file>', 'execution input: JSON text, or @path to a JSON file', '{}')
    .option(
      '--activity <NAME=./handler.js>',
      'answer activity NAME with the default export of a module (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--mock-config <file>', 'AWS Step Functions Local mock config (needs --test-case)')
    .option('--test-case <name>', 'the test case of the mock config to apply')
    .option('--name <name>', 'state machine name (default: the file name)')
    .option(
      '--history',
      'print the execution history as AWS returns it (JSON on stdout; the tree goes to stderr)',
    )
    .addHelpText(
      'after',
      `
Activities are matched by name: a Task whose Resource is arn:…:activity:ageCheck is answered by
--activity ageCheck=./age-check.js, whatever region and account its ARN names. A handler module's
default export is async (input, context) => output; context has taskToken, signal and
heartbeat(). A thrown error fails the task with error = the error's name, cause = its message
(throw TaskFailure.create(error, cause) from @stepwise/worker for an explicit error name).

--mock-config uses the AWS Step Functions Local format (StateMachines → TestCases → state name →
mocked response; MockedResponses with Return/Throw per invocation index, "0", "1-2"…). It answers
activity Task states, service integrations (arn:aws:states:::lambda:invoke, …) and Lambda functions
alike; a service integration that is not mocked cannot run here.

Exit code: 0 when the execution SUCCEEDED, 1 otherwise (FAILED, TIMED_OUT, ABORTED, or an error).

Examples:
  $ stepwise run machine.json --input '{"age": 30}' --activity ageCheck=./age-check.js
  $ stepwise run machine.json --input @input.json --mock-config mocks.json --test-case Underage
  $ stepwise run machine.json --history | jq '.events[].type'`,
    )
    .action(async (file: string, options: RunOptions) => {
      process.exitCode = await runDefinition(file, options);
    });
}

class UsageError extends Error {}

async function runDefinition(file: string, options: RunOptions): Promise<number> {
  try {
    return await execute(file, options);
  } catch (error) {
    if (error instanceof UsageError || error instanceof MockConfigError) {
      console.error(`stepwise run: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

interface TaskStateRef {
  state: string;
  resource: string;
}

/** Task states anywhere in the definition (Parallel branches and Map processors too). */
function taskStates(states: Record<string, State>, out: TaskStateRef[] = []): TaskStateRef[] {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') out.push({ state: name, resource: state.Resource });
    if (state.Type === 'Parallel') for (const branch of state.Branches) taskStates(branch.States, out);
    if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor !== undefined) taskStates(processor.States, out);
    }
  }
  return out;
}

/** The definition with each activity ARN replaced by the local one of the same name. */
function rewriteActivities(value: Json, arns: Map<string, string>): Json {
  if (Array.isArray(value)) return value.map((v) => rewriteActivities(v, arns));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, Json> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'Resource' && typeof child === 'string' && isActivityArn(child)) {
      out[key] = arns.get(child.slice(child.lastIndexOf(':') + 1)) ?? child;
    } else {
      out[key] = rewriteActivities(child, arns);
    }
  }
  return out;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${what} ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function loadHandler(spec: string): Promise<[string, ActivityHandler]> {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1)
    throw new UsageError(`--activity expects NAME=./handler.js, got "${spec}"`);
  const name = spec.slice(0, eq);
  const path = resolve(spec.slice(eq + 1));
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new UsageError(`cannot load ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof module.default !== 'function') {
    throw new UsageError(
      `${path} must export a default function: export default async (input, context) => output`,
    );
  }
  return [name, module.default as ActivityHandler];
}

function machineNameOf(file: string): string {
  const base = basename(file, extname(file)).replace(/[^A-Za-z0-9_-]/g, '-');
  return base.slice(0, 80) || 'machine';
}

async function execute(file: string, options: RunOptions): Promise<number> {
  const text = await readText(file, 'definition');
  const { definition, diagnostics } = checkDefinition(text);
  if (definition === undefined) {
    const c = palette(process.stderr);
    for (const d of diagnostics) console.error(formatDiagnostic(file, d, c));
    return 1;
  }
  const inputText = options.input.startsWith('@')
    ? await readText(options.input.slice(1), 'input')
    : options.input;
  try {
    JSON.parse(inputText);
  } catch (error) {
    throw new UsageError(`--input is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const machineName = options.name ?? machineNameOf(file);

  const handlers = new Map(await Promise.all(options.activity.map(loadHandler)));
  if ((options.mockConfig === undefined) !== (options.testCase === undefined)) {
    throw new UsageError('--mock-config and --test-case go together');
  }
  let testCase: TestCase | undefined;
  if (options.mockConfig !== undefined && options.testCase !== undefined) {
    testCase = loadTestCase(await readText(options.mockConfig, 'mock config'), machineName, options.testCase);
  }
  const tasks: { state: string; activity: string }[] = [];
  for (const { state, resource } of taskStates(definition.States)) {
    const mocked = testCase?.answer(state, 0) !== undefined;
    if (!isActivityArn(resource)) {
      if (mocked) continue;
      throw new UsageError(
        `state "${state}" calls ${resource}, which stepwise run cannot call: ` +
          'mock it with --mock-config and --test-case',
      );
    }
    const activity = resource.slice(resource.lastIndexOf(':') + 1);
    tasks.push({ state, activity });
    if (handlers.has(activity) || mocked) continue;
    throw new UsageError(
      `state "${state}" waits on activity "${activity}", which nothing answers: ` +
        `pass --activity ${activity}=./handler.js${testCase !== undefined ? ' or mock the state' : ''}`,
    );
  }
  const activities = [...new Set(tasks.map((t) => t.activity))];

  // The SDK's notice about future Node versions is for whoever picks the Node version, not for
  // someone running a definition: it would only clutter the output.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  // The server answers mocked service integrations itself; activity states are mocked below,
  // by the worker that answers them.
  const caseName = options.testCase;
  const mocks: MockSource | undefined =
    testCase !== undefined
      ? { testCase: (_machine, name) => (name === caseName ? testCase : undefined) }
      : undefined;
  const server = await startServer({
    dataDir: null,
    port: 0,
    host: '127.0.0.1',
    pollHoldMs: 5000,
    ...(mocks !== undefined ? { mocks } : {}),
  });
  const client = new SFNClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const workers: { worker: Worker; run: Promise<void> }[] = [];
  const bar = progress();
  try {
    const arns = new Map<string, string>();
    for (const name of activities) {
      const out = await client.send(new CreateActivityCommand({ name }));
      if (out.activityArn !== undefined) arns.set(name, out.activityArn);
    }
    const created = await client.send(
      new CreateStateMachineCommand({
        name: machineName,
        definition: JSON.stringify(rewriteActivities(JSON.parse(text) as Json, arns)),
        roleArn: ROLE,
      }),
    );
    const stateMachineArn = created.stateMachineArn ?? '';

    const invocations = new Map<string, number>();
    for (const [name, activityArn] of arns) {
      const handler = handlers.get(name);
      const worker = createWorker<Json, unknown>({
        activityArn,
        client,
        concurrency: 8,
        workerName: 'stepwise-run',
        stopOnSignals: [],
        logger: { error: (message, fields) => console.error(message, fields ?? '') },
        handler: async (input, context) => {
          const state = await stateOf(server, context.taskToken);
          const invocation = invocations.get(state) ?? 0;
          invocations.set(state, invocation + 1);
          const mocked = testCase?.answer(state, invocation);
          if (mocked === 'exhausted') {
            throw TaskFailure.create(
              'Stepwise.MockExhausted',
              `the mock config has no response for invocation ${invocation} of "${state}"`,
            );
          }
          if (mocked?.kind === 'return') return mocked.value;
          if (mocked?.kind === 'throw') throw TaskFailure.create(mocked.error, mocked.cause);
          if (handler === undefined) {
            throw TaskFailure.create(
              'Stepwise.NoHandler',
              `nothing answers activity "${name}" for state "${state}"`,
            );
          }
          return handler(input, context);
        },
      });
      workers.push({ worker, run: worker.run() });
    }

    const target = caseName !== undefined ? `${stateMachineArn}#${caseName}` : stateMachineArn;
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: target, input: inputText }),
    );
    const executionArn = started.executionArn ?? '';
    const interrupt = (): void => {
      void client.send(
        new StopExecutionCommand({ executionArn, error: 'Stepwise.Interrupted', cause: 'SIGINT' }),
      );
    };
    process.once('SIGINT', interrupt);
    let described: DescribeExecutionCommandOutput;
    const began = Date.now();
    try {
      for (;;) {
        described = await client.send(new DescribeExecutionCommand({ executionArn }));
        if (described.status !== 'RUNNING') break;
        bar.update(await describeProgress(server, executionArn, Date.now() - began));
        await new Promise((r) => setTimeout(r, 40));
      }
    } finally {
      process.off('SIGINT', interrupt);
      bar.done();
    }

    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new GetExecutionHistoryCommand({
          executionArn,
          maxResults: 1000,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);

    const status = described.status ?? 'UNKNOWN';
    const treeStream = options.history === true ? process.stderr : process.stdout;
    const c = palette(treeStream);
    const lines = [renderTree(events, { machineName, status, colours: c })];
    if (status === 'SUCCEEDED') lines.push('', c.bold('Output'), prettyJson(described.output ?? 'null'));
    treeStream.write(`${lines.join('\n')}\n`);
    if (options.history === true) process.stdout.write(`${JSON.stringify({ events }, null, 2)}\n`);
    return status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    bar.done();
    // Nothing is in flight once the execution ended: stop at once, then close (answers open polls).
    const stopping = workers.map(({ worker }) => worker.stop({ deadlineMs: 0 }));
    await server.close();
    await Promise.allSettled([...stopping, ...workers.map((w) => w.run)]);
    client.destroy();
  }
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

async function stateOf(server: StepwiseServer, taskToken: string): Promise<string> {
  const parts = decodeTaskToken(taskToken);
  if (parts === undefined) return '';
  const threads = await server.store.loadThreads(parts.executionArn);
  return threads.find((t) => t.id === parts.threadId)?.stateName ?? '';
}

async function describeProgress(
  server: StepwiseServer,
  executionArn: string,
  elapsedMs: number,
): Promise<string> {
  const threads = await server.store.loadThreads(executionArn);
  const where = threads
    .map((t) => {
      const wait =
        t.wait === null
          ? ''
          : t.wait.kind === 'activity'
            ? ' (waiting for its activity)'
            : t.wait.kind === 'integration'
              ? ` (waiting for ${t.wait.resource})`
              : ' (waiting for a timer)';
      return `${t.stateName}${wait}`;
    })
    .join(', ');
  return `running ${(elapsedMs / 1000).toFixed(1)} s${where !== '' ? ` · ${where}` : ''}`;
}
