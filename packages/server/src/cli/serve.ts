/** `stepwise serve`: the Step Functions API over HTTP, durable on SQLite. */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { DEFAULT_LIMITS } from '@stepwise/core';
import { readFile } from 'node:fs/promises';
import { DEFAULTS, startServer } from '../server.js';
import { MockConfig } from '../runtime/mocks.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** The URL without its password, for logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(connection string)';
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The mock config, read once at start as Step Functions Local does; null after reporting an error. */
async function loadMocks(file: string): Promise<MockConfig | null> {
  try {
    return MockConfig.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(`stepwise serve: cannot load the mock config ${file}: ${reason}`);
    return null;
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the Step Functions API and the console over HTTP')
    .option('--host <host>', 'address to bind', DEFAULTS.host)
    .option('--port <port>', 'port to listen on', port, DEFAULTS.port)
    .option('--data-dir <dir>', 'where the SQLite database lives', DEFAULTS.dataDir)
    .option(
      '--database <url>',
      'a PostgreSQL URL (postgres://user@host/db[?schema=name]); several servers may share it ' +
        '(default: $STEPWISE_DATABASE_URL, else SQLite in --data-dir)',
    )
    .option('--region <region>', 'region used in ARNs', DEFAULTS.region)
    .option('--account <account>', 'account id used in ARNs', DEFAULTS.account)
    .option(
      '--max-history-events <n>',
      'history events an execution may have before it fails (AWS: 25,000)',
      positive,
      DEFAULT_LIMITS.maxHistoryEvents,
    )
    .option(
      '--max-payload-bytes <n>',
      'largest state input or output in bytes before States.DataLimitExceeded (AWS: 262,144)',
      positive,
      DEFAULT_LIMITS.maxPayloadBytes,
    )
    .option(
      '--mock-config <file>',
      'mocked service integrations, in the format of Step Functions Local (default: $SFN_MOCK_CONFIG); ' +
        'start an execution on <state machine ARN>#<test case> to run with one',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ stepwise serve
  $ stepwise serve --mock-config MockConfigFile.json   # then StartExecution on <arn>#HappyPath
  $ stepwise serve --port 9000 --data-dir /var/lib/stepwise
  $ stepwise serve --host 0.0.0.0 --database postgres://stepwise@db.internal/stepwise
  $ AWS_ENDPOINT_URL_SFN=http://127.0.0.1:8083 aws stepfunctions list-state-machines`,
    )
    .action(
      async (options: {
        host: string;
        port: number;
        dataDir: string;
        database?: string;
        region: string;
        account: string;
        maxHistoryEvents: number;
        maxPayloadBytes: number;
        mockConfig?: string;
      }) => {
        const env = process.env.STEPWISE_DATABASE_URL;
        const database = options.database ?? (env !== undefined && env !== '' ? env : undefined);
        const { maxHistoryEvents, maxPayloadBytes, mockConfig, ...rest } = options;
        const mockFile = mockConfig ?? nonEmpty(process.env.SFN_MOCK_CONFIG);
        const mocks = mockFile !== undefined ? await loadMocks(mockFile) : undefined;
        if (mocks === null) {
          process.exitCode = 1;
          return;
        }
        const server = await startServer({
          ...rest,
          limits: { ...DEFAULT_LIMITS, maxHistoryEvents, maxPayloadBytes },
          ...(database !== undefined ? { database } : {}),
          ...(mocks !== undefined ? { mocks } : {}),
        });
        let stopping = false;
        const stop = (signal: string): void => {
          if (stopping) return;
          stopping = true;
          console.log(`stepwise: ${signal}, shutting down`);
          server.close().then(
            () => process.exit(0),
            (error: unknown) => {
              console.error('stepwise: shutdown failed:', error);
              process.exit(1);
            },
          );
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
        // Announced only once the signal handlers are in place: whoever waits for this line may
        // send SIGTERM straight away and must get a graceful shutdown.
        const where = database !== undefined ? `PostgreSQL ${redact(database)}` : options.dataDir;
        if (mockFile !== undefined) console.log(`stepwise: mocked service integrations from ${mockFile}`);
        console.log(`stepwise: listening on ${server.url} (data in ${where})`);
      },
    );
}
