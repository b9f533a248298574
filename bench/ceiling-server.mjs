/**
 * The ceiling: a minimal in-memory responder for the protocol subset the benchmark uses. It
 * reads and parses each request and writes a JSON answer the way any AWS JSON 1.0 server must,
 * but has no engine and no storage: StartExecution puts the input in an in-memory queue and
 * hands it at once to a waiting GetActivityTask; SendTaskSuccess just answers {}.
 *
 * Runs as a child process of bench/run.mjs (fork, IPC): it sends {ready, url} once listening
 * on {stats} it answers its CPU time and event-loop utilization; on {stop} it exits.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const HOLD_MS = Number(process.env.BENCH_POLL_HOLD_MS ?? 60_000);

/** @type {Map<string, { waiters: Array<{ answer(task: object): void }>, tasks: object[] }>} */
const activities = new Map();
/** stateMachineArn -> activityArn (the one Task state's Resource) */
const stateMachines = new Map();

function queueOf(activityArn) {
  let queue = activities.get(activityArn);
  if (queue === undefined) {
    queue = { waiters: [], tasks: [] };
    activities.set(activityArn, queue);
  }
  return queue;
}

class ApiError extends Error {
  constructor(type, message, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

/** @type {Record<string, (input: any, req: http.IncomingMessage, res: http.ServerResponse) => object | Promise<object>>} */
const operations = {
  CreateActivity(input) {
    const activityArn = `arn:aws:states:${REGION}:${ACCOUNT}:activity:${input.name}`;
    queueOf(activityArn);
    return { activityArn, creationDate: Date.now() / 1000 };
  },
  CreateStateMachine(input) {
    const definition = JSON.parse(input.definition);
    const task = definition.States[definition.StartAt];
    const stateMachineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${input.name}`;
    stateMachines.set(stateMachineArn, task.Resource);
    return { stateMachineArn, creationDate: Date.now() / 1000 };
  },
  StartExecution(input) {
    const activityArn = stateMachines.get(input.stateMachineArn);
    if (activityArn === undefined)
      throw new ApiError('StateMachineDoesNotExist', 'State Machine Does Not Exist');
    const name = input.name ?? randomUUID();
    const task = { taskToken: randomBytes(32).toString('base64url'), input: input.input ?? '{}' };
    const queue = queueOf(activityArn);
    const waiter = queue.waiters.shift();
    if (waiter !== undefined) waiter.answer(task);
    else queue.tasks.push(task);
    const smName = input.stateMachineArn.slice(input.stateMachineArn.lastIndexOf(':') + 1);
    return {
      executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${smName}:${name}`,
      startDate: Date.now() / 1000,
    };
  },
  GetActivityTask(input, req) {
    const queue = activities.get(input.activityArn);
    if (queue === undefined) throw new ApiError('ActivityDoesNotExist', 'Activity Does Not Exist');
    const task = queue.tasks.shift();
    if (task !== undefined) return task;
    return new Promise((resolve) => {
      const waiter = {
        answer(found) {
          clearTimeout(timer);
          req.socket.off('close', gone);
          resolve(found);
        },
      };
      const drop = () => {
        const index = queue.waiters.indexOf(waiter);
        if (index >= 0) queue.waiters.splice(index, 1);
      };
      const gone = () => drop();
      const timer = setTimeout(() => {
        drop();
        req.socket.off('close', gone);
        resolve({});
      }, HOLD_MS);
      req.socket.once('close', gone);
      queue.waiters.push(waiter);
    });
  },
  SendTaskSuccess(input) {
    if (typeof input.taskToken !== 'string') throw new ApiError('InvalidToken', 'Invalid Token');
    return {};
  },
};

function send(res, status, body) {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(payload);
}

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = operations[target.slice(target.indexOf('.') + 1)];
      if (operation === undefined)
        throw new ApiError('UnknownOperationException', `Unknown operation ${target}`);
      const text = Buffer.concat(chunks).toString('utf8');
      const input = text === '' ? {} : JSON.parse(text);
      send(res, 200, await operation(input, req, res));
    } catch (error) {
      if (error instanceof ApiError) send(res, error.status, { __type: error.type, message: error.message });
      else send(res, 500, { __type: 'InternalFailure', message: String(error) });
    }
  });
});
server.requestTimeout = 0;

const cpuAtStart = process.cpuUsage();
const eluAtStart = performance.eventLoopUtilization();
server.listen(0, '127.0.0.1', () => {
  process.send({ ready: true, url: `http://127.0.0.1:${server.address().port}` });
});
process.on('message', (message) => {
  if (message?.stats) {
    process.send({
      stats: {
        cpu: process.cpuUsage(cpuAtStart),
        elu: performance.eventLoopUtilization(eluAtStart),
        trace: {},
      },
    });
  }
  if (message?.stop) {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
