/**
 * GetActivityTask long polls. A waiting poll is a map entry and one timer, never a loop: when
 * a task is queued the runtime calls `notify`, which hands queued tasks to waiting pollers
 * oldest first. Handing over is an engine transition (ActivityStarted) committed before the
 * poller is answered, so each task goes to exactly one poller; a poller whose connection has
 * gone is skipped before the hand-over, which leaves the task queued for the next one.
 */
import type { ActivityTaskRecord } from '@stepwise/core';
import type { Store } from '../store/types.js';

export interface PollRequest {
  activityArn: string;
  workerName?: string;
  signal: AbortSignal;
  isConnected(): boolean;
}

export interface HandedTask {
  taskToken: string;
  input: string;
}

/** Commits ActivityStarted for the task; false when the task is no longer there to start. */
export type StartTask = (task: ActivityTaskRecord, workerName: string | undefined) => Promise<boolean>;

interface Waiter {
  request: PollRequest;
  resolve(task: HandedTask | undefined): void;
  timer: NodeJS.Timeout;
  done: boolean;
  /** A task is being committed to this poller (ActivityStarted): it must not be answered empty. */
  claimed: boolean;
  /** The hold time ended (or the server is closing) while claimed: answer empty if the claim fails. */
  expired: boolean;
}

export class ActivityDispatcher {
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly draining = new Map<string, Promise<void>>();
  private readonly redrain = new Set<string>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly startTask: StartTask,
    private readonly holdMs: number,
  ) {}

  /** Waiting pollers per activity: for consoles and tests. */
  waitingCount(activityArn: string): number {
    return this.waiters.get(activityArn)?.length ?? 0;
  }

  poll(request: PollRequest): Promise<HandedTask | undefined> {
    if (this.closed || request.signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        request,
        resolve,
        done: false,
        claimed: false,
        expired: false,
        timer: setTimeout(() => this.expire(waiter), this.holdMs),
      };
      request.signal.addEventListener('abort', () => this.finish(waiter, undefined), { once: true });
      const queue = this.waiters.get(request.activityArn) ?? [];
      queue.push(waiter);
      this.waiters.set(request.activityArn, queue);
      this.notify(request.activityArn);
    });
  }

  /** A task was queued for this activity (or a poller arrived): hand out what can be handed out. */
  notify(activityArn: string): void {
    if (this.draining.has(activityArn)) {
      this.redrain.add(activityArn);
      return;
    }
    const run = this.drain(activityArn)
      .catch((error: unknown) => console.error('stepwise: activity hand-over failed:', error))
      .finally(() => {
        this.draining.delete(activityArn);
        if (this.redrain.delete(activityArn)) this.notify(activityArn);
      });
    this.draining.set(activityArn, run);
  }

  private async drain(activityArn: string): Promise<void> {
    const skipped = new Set<string>();
    for (;;) {
      const waiter = this.nextLiveWaiter(activityArn);
      if (waiter === undefined) return;
      const task = await this.store.nextQueuedTask(activityArn);
      if (task === undefined || skipped.has(task.token)) return;
      if (waiter.done || !waiter.request.isConnected()) {
        this.finish(waiter, undefined);
        continue;
      }
      // From here the task is this poller's: its hold time or a shutdown must not answer it
      // empty while ActivityStarted commits, or the task would be started with nobody holding it.
      waiter.claimed = true;
      let started: boolean;
      try {
        started = await this.startTask(task, waiter.request.workerName);
      } finally {
        waiter.claimed = false;
      }
      if (!started) {
        skipped.add(task.token);
        if (waiter.expired) this.finish(waiter, undefined);
        continue;
      }
      if (!waiter.done) {
        this.finish(waiter, { taskToken: task.token, input: task.input });
      }
      // A waiter whose connection closed during the commit has lost the token, as on AWS: the
      // task stays started until its timeout or heartbeat expires.
    }
  }

  /** The hold time is over: answer empty, unless a hand-over to this poller is committing. */
  private expire(waiter: Waiter): void {
    if (waiter.claimed) waiter.expired = true;
    else this.finish(waiter, undefined);
  }

  private nextLiveWaiter(activityArn: string): Waiter | undefined {
    const queue = this.waiters.get(activityArn);
    while (queue !== undefined && queue.length > 0) {
      const head = queue[0];
      if (head !== undefined && !head.done && head.request.isConnected()) return head;
      queue.shift();
      if (head !== undefined) this.finish(head, undefined);
    }
    return undefined;
  }

  private finish(waiter: Waiter, task: HandedTask | undefined): void {
    if (waiter.done) return;
    waiter.done = true;
    clearTimeout(waiter.timer);
    const queue = this.waiters.get(waiter.request.activityArn);
    if (queue !== undefined) {
      const index = queue.indexOf(waiter);
      if (index >= 0) queue.splice(index, 1);
      if (queue.length === 0) this.waiters.delete(waiter.request.activityArn);
    }
    waiter.resolve(task);
  }

  /**
   * Answers every open poll empty (graceful shutdown) and waits for hand-overs in flight; a poll
   * whose hand-over is committing gets its task.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const queue of [...this.waiters.values()]) {
      for (const waiter of [...queue]) this.expire(waiter);
    }
    await Promise.allSettled([...this.draining.values()]);
  }
}
