/** `stepwise serve`: the Step Functions API over HTTP, durable on SQLite. */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { DEFAULTS, startServer } from '../server.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number');
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

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the Step Functions API (and, later, the console) over HTTP')
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
    .addHelpText(
      'after',
      `
Examples:
  $ stepwise serve
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
      }) => {
        const env = process.env.STEPWISE_DATABASE_URL;
        const database = options.database ?? (env !== undefined && env !== '' ? env : undefined);
        const server = await startServer({ ...options, ...(database !== undefined ? { database } : {}) });
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
        console.log(`stepwise: listening on ${server.url} (data in ${where})`);
      },
    );
}
