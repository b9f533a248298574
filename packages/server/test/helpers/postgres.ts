/**
 * PostgreSQL for tests: the machine's server (127.0.0.1:5432, trust auth, database `test`), or
 * STEPWISE_TEST_DATABASE_URL. Each test works in a schema of its own, dropped afterwards, so runs
 * (and tests running side by side) never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { Client } from 'pg';

export const TEST_DATABASE_URL =
  process.env.STEPWISE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;

/** Whether the test database answers (checked once per process). */
export function postgresAvailable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/** Why PostgreSQL tests are skipped, or false when they can run. */
export async function postgresSkip(): Promise<string | false> {
  return (await postgresAvailable()) ? false : `PostgreSQL is not reachable at ${TEST_DATABASE_URL}`;
}

export interface TestSchema {
  name: string;
  /** The database URL with Stepwise's `schema` parameter: a server or store opened on it uses the schema. */
  url: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** A fresh, uniquely named schema; the store creates its tables in it when it opens. */
export function testSchema(): TestSchema {
  const name = `sw_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('schema', name);
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: TEST_DATABASE_URL });
      client.on('error', () => undefined);
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface TcpProxy {
  /** The port clients connect to (fixed for the proxy's life, so a "restored" database is at the same address). */
  port: number;
  /** Drops every connection and refuses new ones: the database is "gone". */
  cut(): Promise<void>;
  /** Accepts connections again. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP forwarder to PostgreSQL that a test can cut and restore: connection loss without
 * stopping the machine's shared PostgreSQL server.
 */
export async function startProxy(): Promise<TcpProxy> {
  const target = new URL(TEST_DATABASE_URL);
  const targetHost = target.hostname;
  const targetPort = Number(target.port === '' ? '5432' : target.port);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const upstream = connect(targetPort, targetHost);
    sockets.add(socket);
    sockets.add(upstream);
    const drop = (): void => {
      socket.destroy();
      upstream.destroy();
      sockets.delete(socket);
      sockets.delete(upstream);
    };
    socket.on('error', drop);
    upstream.on('error', drop);
    socket.on('close', drop);
    upstream.on('close', drop);
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  return { port, cut: stop, restore: () => listen(port), close: stop };
}

/** TEST_DATABASE_URL rewritten to go through `proxy`, in `schema`. */
export function proxiedUrl(proxy: TcpProxy, schema: TestSchema): string {
  const url = new URL(schema.url);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}
