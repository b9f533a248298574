/**
 * A lean AWS JSON 1.0 client for the benchmark: node:http with one keep-alive Agent, no SDK, no
 * fetch. It does the minimum a real client must do (serialize, send, read, parse) so that the
 * figures measure the server and not the client.
 */
import http from 'node:http';

export class BenchClientError extends Error {
  constructor(status, type, message) {
    super(`${status} ${type}: ${message}`);
    this.status = status;
    this.type = type;
  }
}

export class AwsJsonClient {
  /**
   * @param {string} url e.g. http://127.0.0.1:1234
   * @param {{ maxSockets: number }} options
   */
  constructor(url, { maxSockets }) {
    const parsed = new URL(url);
    this.hostname = parsed.hostname;
    this.port = Number(parsed.port);
    // maxFreeSockets as large as maxSockets: a connection that goes idle for a moment stays
    // open instead of being closed and re-opened under load.
    this.agent = new http.Agent({
      keepAlive: true,
      maxSockets,
      maxFreeSockets: maxSockets,
      scheduling: 'fifo',
    });
  }

  /**
   * Calls `AWSStepFunctions.<operation>` and resolves with the parsed JSON answer.
   * @param {string} operation
   * @param {Record<string, unknown>} input
   * @param {AbortSignal} [signal]
   * @returns {Promise<Record<string, unknown>>}
   */
  call(operation, input, signal) {
    const body = JSON.stringify(input);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.agent,
          hostname: this.hostname,
          port: this.port,
          method: 'POST',
          path: '/',
          headers: {
            'Content-Type': 'application/x-amz-json-1.0',
            'X-Amz-Target': `AWSStepFunctions.${operation}`,
            'Content-Length': Buffer.byteLength(body),
          },
          ...(signal !== undefined ? { signal } : {}),
        },
        (res) => {
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed;
            try {
              parsed = text === '' ? {} : JSON.parse(text);
            } catch {
              reject(new BenchClientError(res.statusCode, 'BadJson', text.slice(0, 200)));
              return;
            }
            if (res.statusCode !== 200) {
              reject(new BenchClientError(res.statusCode, parsed.__type ?? '?', parsed.message ?? text));
              return;
            }
            resolve(parsed);
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close() {
    this.agent.destroy();
  }
}
