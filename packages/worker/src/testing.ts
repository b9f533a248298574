/**
 * `@stepwise/worker/testing`: a Stepwise server in this process, on a temporary database, for
 * users' own tests of their handlers and workflows.
 *
 * The server is loaded with a dynamic import so that `@stepwise/worker` itself never pulls the
 * server (and its native SQLite module) into a production install; `@stepwise/server` is an
 * optional peer dependency that only the tests need.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';

export interface TestServerOptions {
  /**
   * How long the server holds an idle GetActivityTask (default 2 s; production: 55 s). Short, so
   * that a worker's graceful stop() in a test does not wait for a long poll to come back.
   */
  pollHoldMs?: number;
  /** Keep everything in memory instead of a temporary SQLite file. */
  inMemory?: boolean;
  region?: string;
  account?: string;
}

export interface CreateStateMachineOptions {
  roleArn?: string;
  type?: 'STANDARD' | 'EXPRESS';
}

export interface StepwiseTestServer {
  /** e.g. `http://127.0.0.1:41234` */
  readonly url: string;
  /** A client pointed at the server, with dummy credentials. Pass it to `createWorker`. */
  readonly client: SFNClient;
  /** Creates (or finds: the call is idempotent) an activity; answers its ARN. */
  createActivity(name: string): Promise<string>;
  /** Creates a state machine from a definition (object or JSON text); answers its ARN. */
  createStateMachine(
    name: string,
    definition: object | string,
    options?: CreateStateMachineOptions,
  ): Promise<string>;
  /** Starts an execution; `input` is serialised to JSON. Answers the execution ARN. */
  startExecution(stateMachineArn: string, input?: unknown, name?: string): Promise<string>;
  /** Polls DescribeExecution until the execution leaves RUNNING (default timeout 30 s). */
  waitForExecution(executionArn: string, timeoutMs?: number): Promise<DescribeExecutionCommandOutput>;
  /** Stops the server (open polls are answered empty) and removes the temporary database. */
  close(): Promise<void>;
}

/** The part of `@stepwise/server` the kit uses, declared here so the types need no server. */
interface ServerModule {
  startServer: (options: {
    port: number;
    dataDir: string | null;
    pollHoldMs?: number;
    region?: string;
    account?: string;
  }) => Promise<{ url: string; close(): Promise<void> }>;
}

async function loadServer(): Promise<ServerModule> {
  // A variable specifier: TypeScript must not resolve (or require) the optional peer.
  const specifier = '@stepwise/server';
  try {
    return (await import(specifier)) as ServerModule;
  } catch (error) {
    throw new Error(
      '@stepwise/worker/testing needs @stepwise/server: install it as a dev dependency ' +
        '(npm install --save-dev @stepwise/server)',
      { cause: error },
    );
  }
}

const DEFAULT_ROLE = 'arn:aws:iam::123456789012:role/stepwise-test';

export async function startTestServer(options: TestServerOptions = {}): Promise<StepwiseTestServer> {
  const { startServer } = await loadServer();
  const dataDir = options.inMemory === true ? null : await mkdtemp(join(tmpdir(), 'stepwise-kit-'));
  const server = await startServer({
    port: 0,
    dataDir,
    pollHoldMs: options.pollHoldMs ?? 2000,
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.account !== undefined ? { account: options.account } : {}),
  });
  const client = new SFNClient({
    endpoint: server.url,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: { httpAgent: { maxSockets: 256 } },
  });
  let closed: Promise<void> | undefined;

  return {
    url: server.url,
    client,
    async createActivity(name) {
      const out = await client.send(new CreateActivityCommand({ name }));
      return required(out.activityArn, 'activityArn');
    },
    async createStateMachine(name, definition, machineOptions = {}) {
      const out = await client.send(
        new CreateStateMachineCommand({
          name,
          definition: typeof definition === 'string' ? definition : JSON.stringify(definition),
          roleArn: machineOptions.roleArn ?? DEFAULT_ROLE,
          ...(machineOptions.type !== undefined ? { type: machineOptions.type } : {}),
        }),
      );
      return required(out.stateMachineArn, 'stateMachineArn');
    },
    async startExecution(stateMachineArn, input, name) {
      const out = await client.send(
        new StartExecutionCommand({
          stateMachineArn,
          ...(input !== undefined ? { input: JSON.stringify(input) } : {}),
          ...(name !== undefined ? { name } : {}),
        }),
      );
      return required(out.executionArn, 'executionArn');
    },
    async waitForExecution(executionArn, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
        const out = await client.send(new DescribeExecutionCommand({ executionArn }));
        if (out.status !== 'RUNNING') return out;
        if (Date.now() > until) throw new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    },
    close() {
      closed ??= (async () => {
        await server.close();
        client.destroy();
        if (dataDir !== null) await rm(dataDir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

function required(value: string | undefined, what: string): string {
  if (value === undefined) throw new Error(`the server answered without ${what}`);
  return value;
}
