/** `stepwise serve`: the Step Functions API over HTTP, durable on SQLite. */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { DEFAULTS, startServer } from '../server.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number');
  return n;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the Step Functions API (and, later, the console) over HTTP')
    .option('--host <host>', 'address to bind', DEFAULTS.host)
    .option('--port <port>', 'port to listen on', port, DEFAULTS.port)
    .option('--data-dir <dir>', 'where the SQLite database lives', DEFAULTS.dataDir)
    .option('--region <region>', 'region used in ARNs', DEFAULTS.region)
    .option('--account <account>', 'account id used in ARNs', DEFAULTS.account)
    .addHelpText(
      'after',
      `
Examples:
  $ stepwise serve
  $ stepwise serve --port 9000 --data-dir /var/lib/stepwise
  $ AWS_ENDPOINT_URL_SFN=http://127.0.0.1:8083 aws stepfunctions list-state-machines`,
    )
    .action(
      async (options: { host: string; port: number; dataDir: string; region: string; account: string }) => {
        const server = await startServer(options);
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
        console.log(`stepwise: listening on ${server.url} (data in ${options.dataDir})`);
      },
    );
}
