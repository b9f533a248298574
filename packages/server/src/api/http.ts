/**
 * The AWS JSON 1.0 protocol edge: turns `POST /` + `X-Amz-Target: AWSStepFunctions.<Op>` into a
 * call of an operation handler, and its result or error into the response AWS would send.
 *
 * Choices a handler author needs to know:
 * - Timestamps: handlers put `Date` objects in timestamp members (e.g.
 *   `creationDate: new Date(record.creationDate)`); the serializer writes every Date as epoch
 *   seconds with milliseconds as the fraction (`1700000000.123`), which is what AWS sends and
 *   what boto3 and the JS SDK parse into datetimes. Plain numbers pass through untouched, so a
 *   value can never be converted twice or by guesswork.
 * - Omitted members: `undefined` members are left out of the JSON, as AWS leaves out empty ones.
 * - Errors: throw an ApiError (errors.ts) for anything the client should see; any other throw
 *   is logged and becomes a 500 InternalFailure, which SDKs retry.
 * - Operations in the model that the table does not provide answer 400
 *   UnknownOperationException, the code AWS gives for an operation it does not serve: SDKs
 *   surface it as a plain, non-retried client error, where a 5xx would be retried in vain.
 * - Input is checked against the model (validate.ts) before the handler runs, so handlers see
 *   correctly typed members and only have to check what the model cannot express.
 * - Long-running handlers (GetActivityTask) get `ctx.signal`, aborted when the client goes
 *   away, and `ctx.isConnected()` to check just before handing out something that must not
 *   be lost in a dead socket.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import {
  ApiError,
  internalFailure,
  jsonSyntaxError,
  serialization,
  serviceUnavailable,
  unknownOperation,
} from './errors.js';
import { StoreUnavailableError } from '../store/errors.js';
import { getOperation, serviceModel } from './service-model.js';
import { validateInput } from './validate.js';

export interface RequestContext {
  requestId: string;
  /** Aborted when the client's connection closes before the response is written. */
  signal: AbortSignal;
  isConnected(): boolean;
}

export type OperationHandler = (
  input: Record<string, unknown>,
  ctx: RequestContext,
) => Promise<Record<string, unknown>>;

/**
 * Decides whether a request may proceed; throws an ApiError to refuse it. SigV4 verification
 * will live here: it needs the headers and the exact body bytes, which is why it runs after the
 * body is read and before anything else looks at it.
 */
export type Authenticator = (req: IncomingMessage, body: Buffer) => void | Promise<void>;

/** Today's policy: any or no `Authorization` header is accepted. */
export const acceptAnySignature: Authenticator = () => {};

/**
 * Operations outside the AWS model (the console's, `StepwiseConsole.<Op>`): same protocol and
 * error shapes, but no model validation; their handlers check their own input.
 */
export interface ApiExtension {
  /** Without the dot, e.g. `StepwiseConsole`. */
  targetPrefix: string;
  operations: Partial<Record<string, OperationHandler>>;
}

export interface ApiHandlerOptions {
  /** Serves everything that is not a POST (the console's files). Without it those get 405. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void;
  extensions?: ApiExtension[];
  authenticate?: Authenticator;
  maxBodyBytes?: number;
  /** Where unexpected handler errors are reported; stderr by default. */
  logError?: (error: unknown, info: { requestId: string; operation: string | undefined }) => void;
}

/**
 * AWS limits a definition to 1 MiB of *characters*; as UTF-8 inside a JSON string (non-ASCII
 * text, escaped quotes) that can be several times as many bytes, so the byte limit leaves room
 * for a maximal definition rather than cutting at 1 MiB.
 */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024 + 64 * 1024;

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

export function createApiHandler(
  operations: Partial<Record<string, OperationHandler>>,
  options: ApiHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const authenticate = options.authenticate ?? acceptAnySignature;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const logError =
    options.logError ??
    ((error: unknown, info: { requestId: string; operation: string | undefined }): void => {
      console.error(`[api] ${info.operation ?? '?'} ${info.requestId} failed:`, error);
    });
  const targetPrefix = `${serviceModel.metadata.targetPrefix}.`;

  async function serve(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    // The AbortController is made on first use of `signal`: only long polls use it, and making
    // one per request was ~1.5% of the server's CPU on the activity round-trip bench.
    let controller: AbortController | undefined;
    let gone = false;
    res.on('close', () => {
      if (res.writableFinished) return;
      gone = true;
      controller?.abort();
    });
    const ctx: RequestContext = {
      requestId,
      get signal(): AbortSignal {
        if (controller === undefined) {
          controller = new AbortController();
          if (gone) controller.abort();
        }
        return controller.signal;
      },
      isConnected: () => !gone && !res.destroyed && !req.socket.destroyed,
    };

    const body = await readBody(req, maxBodyBytes);
    if (body === 'aborted') return;
    if (body === 'tooLarge') {
      res.setHeader('Connection', 'close');
      const error = new ApiError(
        'RequestEntityTooLargeException',
        `Request body exceeds the limit of ${maxBodyBytes} bytes`,
        413,
      );
      send(res, requestId, error.status, error.toBody());
      return;
    }

    let operation: string | undefined;
    try {
      await authenticate(req, body);
      const extension = findExtension(req.headers['x-amz-target'], options.extensions);
      if (extension !== undefined) {
        operation = extension.operation;
        const handler = extension.handler;
        if (handler === undefined) throw unknownOperation(`Unknown operation ${extension.target}`);
        send(res, requestId, 200, await handler(parseBody(body), ctx));
        return;
      }
      operation = parseTarget(req.headers['x-amz-target'], targetPrefix);
      const handler = operations[operation];
      if (handler === undefined) {
        throw unknownOperation(`Operation ${operation} is not supported by this server`);
      }
      const input = parseBody(body);
      validateInput(operation, input);
      const output = await handler(input, ctx);
      send(res, requestId, 200, output);
    } catch (error) {
      if (error instanceof ApiError) {
        send(res, requestId, error.status, error.toBody());
      } else if (error instanceof StoreUnavailableError) {
        // The database is away (PostgreSQL restarting, a network cut): a retryable 503, which
        // SDKs retry with back-off; the store reconnects by itself.
        console.error(`stepwise: ${operation ?? 'request'} failed: ${error.message}`);
        const unavailable = serviceUnavailable();
        send(res, requestId, unavailable.status, unavailable.toBody());
      } else {
        logError(error, { requestId, operation });
        const failure = internalFailure();
        send(res, requestId, failure.status, failure.toBody());
      }
    }
  }

  return (req, res) => {
    if (req.method !== 'POST') {
      if (options.fallback !== undefined) {
        options.fallback(req, res);
        return;
      }
      res.setHeader('Allow', 'POST');
      const error = new ApiError('UnknownOperationException', 'API requests are POST requests', 405);
      send(res, randomUUID(), error.status, error.toBody());
      return;
    }
    const requestId = randomUUID();
    serve(req, res, requestId).catch((error: unknown) => {
      // Only reachable through a bug in serve itself; answer if the response is still open.
      logError(error, { requestId, operation: undefined });
      const failure = internalFailure();
      send(res, requestId, failure.status, failure.toBody());
    });
  };
}

function parseTarget(header: string | string[] | undefined, prefix: string): string {
  if (typeof header !== 'string' || header === '') throw unknownOperation('Missing X-Amz-Target header');
  const operation = header.startsWith(prefix) ? header.slice(prefix.length) : undefined;
  if (operation === undefined || getOperation(operation) === undefined) {
    throw unknownOperation(`Unknown operation ${header}`);
  }
  return operation;
}

function findExtension(
  header: string | string[] | undefined,
  extensions: ApiExtension[] | undefined,
): { target: string; operation: string; handler: OperationHandler | undefined } | undefined {
  if (typeof header !== 'string') return undefined;
  for (const extension of extensions ?? []) {
    const prefix = `${extension.targetPrefix}.`;
    if (!header.startsWith(prefix)) continue;
    const operation = header.slice(prefix.length);
    const handler = Object.hasOwn(extension.operations, operation)
      ? extension.operations[operation]
      : undefined;
    return { target: header, operation, handler };
  }
  return undefined;
}

function parseBody(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  // botocore always sends `{}`; other clients may send nothing for an empty input.
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw serialization(jsonSyntaxError(text) ?? 'The request body is not valid JSON');
  }
  if (!isJsonObject(parsed)) throw serialization('The request body must be a JSON object');
  return parsed;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'tooLarge' | 'aborted'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('tooLarge');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: Buffer | 'tooLarge' | 'aborted'): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        finish('tooLarge');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => finish(Buffer.concat(chunks, size)));
    req.on('error', () => finish('aborted'));
    req.on('close', () => finish(req.complete ? Buffer.concat(chunks, size) : 'aborted'));
  });
}

function send(res: ServerResponse, requestId: string, status: number, body: Record<string, unknown>): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body, dateAsEpochSeconds);
  res.writeHead(status, {
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-RequestId': requestId,
  });
  res.end(payload);
}

/**
 * JSON.stringify has already turned a Date into its ISO string (Date#toJSON) by the time the
 * replacer sees it, so the original is read back from the holder.
 */
function dateAsEpochSeconds(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'string' && typeof this === 'object' && this !== null) {
    const original: unknown = Reflect.get(this, key);
    if (original instanceof Date) return original.getTime() / 1000;
  }
  return value;
}
