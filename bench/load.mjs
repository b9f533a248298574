/**
 * The load: one activity, a one-Task state machine on it, `pollers` workers looping
 * GetActivityTask → SendTaskSuccess, and a starter issuing StartExecution with bounded
 * concurrency. Each execution's input carries the time its StartExecution was sent, so the
 * poller that receives the task records the hand-over latency.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { AwsJsonClient } from './client.mjs';

/**
 * @typedef {object} LoadOptions
 * @property {number} pollers          concurrent GetActivityTask → SendTaskSuccess loops
 * @property {number} startLanes       StartExecution requests in flight at most
 * @property {number} window           executions outstanding (started, task not yet answered) at most
 * @property {number} timeoutMs        a phase that takes longer than this fails
 */

/**
 * @typedef {object} PhaseResult
 * @property {number} executions
 * @property {number} elapsedMs         first StartExecution sent → last SendTaskSuccess answered
 * @property {number} roundTripsPerSec
 * @property {Float64Array} handOverMs  StartExecution sent → task received by a poller
 * @property {Float64Array} startMs     StartExecution round trip
 * @property {Float64Array} successMs   SendTaskSuccess round trip
 * @property {number} emptyPolls
 */

export class Load {
  /**
   * @param {string} url
   * @param {string} tag   unique per run, used in resource names
   * @param {LoadOptions} options
   */
  constructor(url, tag, options) {
    this.options = options;
    this.tag = tag;
    this.client = new AwsJsonClient(url, { maxSockets: options.pollers + options.startLanes + 4 });
    this.stopController = new AbortController();
    // Every open poll listens on the one stop signal.
    setMaxListeners(options.pollers + 16, this.stopController.signal);
    this.phase = undefined;
    this.pollerLoops = [];
    this.failure = undefined;
  }

  async setUp() {
    const { activityArn } = await this.client.call('CreateActivity', { name: `bench-${this.tag}` });
    const definition = JSON.stringify({
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: activityArn, End: true } },
    });
    const { stateMachineArn } = await this.client.call('CreateStateMachine', {
      name: `bench-${this.tag}`,
      definition,
      roleArn: 'arn:aws:iam::123456789012:role/bench',
    });
    this.activityArn = activityArn;
    this.stateMachineArn = stateMachineArn;
    for (let i = 0; i < this.options.pollers; i++) this.pollerLoops.push(this.poller(i));
  }

  async poller(index) {
    const signal = this.stopController.signal;
    const workerName = `bench-worker-${index}`;
    while (!signal.aborted) {
      let task;
      try {
        task = await this.client.call(
          'GetActivityTask',
          { activityArn: this.activityArn, workerName },
          signal,
        );
      } catch (error) {
        if (signal.aborted) return;
        this.fail(error);
        return;
      }
      const received = performance.now();
      const phase = this.phase;
      if (task.taskToken === undefined) {
        if (phase !== undefined) phase.emptyPolls++;
        continue;
      }
      const input = JSON.parse(task.input);
      if (phase === undefined || input.phase !== phase.id) {
        this.fail(new Error(`a task of phase ${input.phase} arrived outside it`));
        return;
      }
      phase.handOverMs[phase.received++] = received - input.sentAt;
      const t0 = performance.now();
      try {
        await this.client.call('SendTaskSuccess', { taskToken: task.taskToken, output: '{"ok":true}' });
      } catch (error) {
        this.fail(error);
        return;
      }
      const t1 = performance.now();
      phase.successMs[phase.answered++] = t1 - t0;
      phase.lastAnsweredAt = t1;
      phase.release();
    }
  }

  fail(error) {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.phase?.reject(error);
  }

  /**
   * Starts `executions` executions and resolves when every task has been answered.
   * @param {string} id
   * @param {number} executions
   * @returns {Promise<PhaseResult>}
   */
  async runPhase(id, executions) {
    if (this.failure !== undefined) throw this.failure;
    const { startLanes, window, timeoutMs } = this.options;
    let resolveDone;
    let rejectDone;
    const done = new Promise((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    // Window slots: a lane waits for one before it starts an execution; an answered task frees one.
    let outstanding = 0;
    const slotWaiters = [];
    const phase = {
      id,
      received: 0,
      answered: 0,
      emptyPolls: 0,
      lastAnsweredAt: 0,
      handOverMs: new Float64Array(executions),
      successMs: new Float64Array(executions),
      startMs: new Float64Array(executions),
      release: () => {
        outstanding--;
        slotWaiters.shift()?.();
        if (phase.answered === executions) resolveDone();
      },
      reject: (error) => rejectDone(error),
    };
    this.phase = phase;
    const timer = setTimeout(
      () =>
        rejectDone(new Error(`phase ${id}: ${phase.answered}/${executions} answered after ${timeoutMs} ms`)),
      timeoutMs,
    );

    let issued = 0;
    let started = 0;
    const lane = async () => {
      while (issued < executions) {
        while (outstanding >= window) await new Promise((resolve) => slotWaiters.push(resolve));
        if (issued >= executions) return;
        const n = issued++;
        outstanding++;
        const sentAt = performance.now();
        const input = JSON.stringify({ phase: id, n, sentAt });
        await this.client.call('StartExecution', {
          stateMachineArn: this.stateMachineArn,
          name: `${id}-${n}`,
          input,
        });
        phase.startMs[started++] = performance.now() - sentAt;
      }
    };
    const firstSentAt = performance.now();
    const lanes = Array.from({ length: startLanes }, lane);
    try {
      await Promise.all([Promise.all(lanes).then(() => done), done]);
    } finally {
      clearTimeout(timer);
      this.phase = undefined;
    }
    const elapsedMs = phase.lastAnsweredAt - firstSentAt;
    return {
      executions,
      elapsedMs,
      roundTripsPerSec: (executions * 1000) / elapsedMs,
      handOverMs: phase.handOverMs,
      startMs: phase.startMs,
      successMs: phase.successMs,
      emptyPolls: phase.emptyPolls,
    };
  }

  async close() {
    this.stopController.abort();
    await Promise.allSettled(this.pollerLoops);
    this.client.close();
  }
}

/** Nearest-rank percentile of an unsorted sample (sorts a copy). */
export function percentile(sample, p) {
  if (sample.length === 0) return NaN;
  const sorted = Float64Array.from(sample).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
