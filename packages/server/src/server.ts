/**
 * `stepwise serve` as a library: a store, the runtime on top of it, and the API edge in front.
 * Tests and the CLI both start servers through here.
 */
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { EngineLimits } from '@stepwise/core';
import { createApiHandler } from './api/http.js';
import { CONSOLE_TARGET_PREFIX, createConsoleOperations, createOperations } from './api/operations/index.js';
import { createConsoleHandler } from './console-files.js';
import { Runtime } from './runtime/runtime.js';
import { MemoryStore } from './store/memory.js';
import { PostgresStore } from './store/postgres.js';
import { SqliteStore } from './store/sqlite.js';
import type { Store } from './store/types.js';

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Where the SQLite database lives; `null` keeps everything in memory. */
  dataDir?: string | null;
  /**
   * A PostgreSQL URL (`postgres://…`): several servers on one database share the work, and
   * `dataDir` is not used. A `schema` URL parameter picks the schema (default: public).
   */
  database?: string;
  region?: string;
  account?: string;
  pollHoldMs?: number;
  limits?: EngineLimits;
  /** Where the built console is served from on GET; `null` serves none (405 as before). */
  consoleDir?: string | null;
}

export interface StepwiseServer {
  readonly url: string;
  readonly port: number;
  readonly store: Store;
  readonly runtime: Runtime;
  /** Graceful: stops accepting, answers open polls empty, lets transitions finish, closes the store. */
  close(): Promise<void>;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8083,
  dataDir: './.stepwise',
  region: 'us-east-1',
  account: '123456789012',
} as const;

export async function startServer(options: ServerOptions = {}): Promise<StepwiseServer> {
  const dataDir = options.dataDir === undefined ? DEFAULTS.dataDir : options.dataDir;
  const store: Store =
    options.database !== undefined
      ? await PostgresStore.open(options.database)
      : dataDir === null
        ? new MemoryStore()
        : SqliteStore.open(join(dataDir, 'stepwise.db'));
  const runtime = new Runtime({
    store,
    ...(options.pollHoldMs !== undefined ? { pollHoldMs: options.pollHoldMs } : {}),
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
  });
  // Express executions run on the same engine but are kept only in memory: AWS keeps no
  // history for them either (it goes to CloudWatch Logs), and they last at most five minutes.
  const expressStore = new MemoryStore();
  const express = new Runtime({
    store: expressStore,
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
  });
  const service = {
    store,
    runtime,
    express: { runtime: express, store: expressStore },
    scope: {
      partition: 'aws',
      region: options.region ?? DEFAULTS.region,
      account: options.account ?? DEFAULTS.account,
    },
    now: Date.now,
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
  };
  const operations = createOperations(service);
  const handler = createApiHandler(operations, {
    extensions: [{ targetPrefix: CONSOLE_TARGET_PREFIX, operations: createConsoleOperations(service) }],
    ...(options.consoleDir !== null
      ? { fallback: createConsoleHandler(...(options.consoleDir !== undefined ? [options.consoleDir] : [])) }
      : {}),
  });
  const http = createHttpServer({ keepAliveTimeout: 65_000 }, handler);
  // Long polls hold a request for up to a minute: no request timeout may cut them.
  http.requestTimeout = 0;
  http.headersTimeout = 60_000;
  const sockets = new Set<Socket>();
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await runtime.start();
  await listen(http, options.host ?? DEFAULTS.host, options.port ?? DEFAULTS.port);
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    store,
    runtime,
    close: () => {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        await runtime.close();
        await express.close();
        http.closeIdleConnections();
        // Connections still busy after the runtime drained have nothing more to receive.
        setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, 2000).unref();
        await stopped;
        await store.close();
      })();
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
