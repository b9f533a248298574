/**
 * GetActivityTask long polls. A waiting poll is a map entry and one timer, never a loop. The
 * runtime offers each task it queued once the commit is done, and the dispatcher hands tasks
 * to waiting pollers oldest first, several at once. Handing over is an engine transition
 * (ActivityStarted) committed before the poller is answered, so each task goes to exactly one
 * poller (the transition's version check settles any race); a poller whose connection has gone
 * is skipped before the hand-over, which leaves the task for the next one.
 *
 * Tasks read from the store are claimed there (claimQueuedTask, when the store has it): on a
 * store several nodes share, each node's look-up gets a different task instead of all of them
 * racing for the oldest one. A claim whose hand-over did not happen is released at once.
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

/**
 * A free poller held for a task that a transition is about to queue: the runtime starts the task
 * in that transition's own commit, then delivers it, or cancels (the poller waits on).
 */
export interface Reservation {
  readonly workerName: string | undefined;
  /** The commit that started the task has landed: answer the poller with it. */
  deliver(task: HandedTask): void;
  /** The task was not started for this poller: it is free again. */
  cancel(): void;
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
  /** epoch ms when the poll arrived. */
  since: number;
}

/** A poll waiting now, as the console shows it. */
export interface WaitingPoller {
  workerName?: string;
  /** epoch ms when the poll arrived. */
  since: number;
}

/**
 * Offered tasks kept in memory per activity, at most. Beyond it the store is read instead, so a
 * large backlog with no pollers does not hold every task's input in memory twice.
 */
const MAX_KNOWN_TASKS = 1024;

/**
 * How long a task claimed from the store stays this node's: far longer than its ActivityStarted
 * commit takes, and how late a task claimed by a node that died is handed out elsewhere.
 */
export const TASK_CLAIM_LEASE_MS = 5000;

export class ActivityDispatcher {
  private readonly waiters = new Map<string, Waiter[]>();
  /**
   * Tasks this process saw queued (the runtime offers them after their commit), oldest first.
   * They are handed out without a store read, to several pollers at once, so that their
   * ActivityStarted commits can share one store transaction (group commit).
   */
  private readonly known = new Map<string, ActivityTaskRecord[]>();
  /** Activities whose store may hold queued tasks `known` lacks: a restart, another node, an overflow. */
  private readonly unknown = new Set<string>();
  /** Tokens whose ActivityStarted is committing: never handed out twice meanwhile. */
  private readonly starting = new Set<string>();
  /** Activities with a store look-up in flight (one at a time: the store answers the oldest task). */
  private readonly looking = new Set<string>();
  /** A look-up was asked for while one was in flight: look again when it ends. */
  private readonly relook = new Set<string>();
  private readonly work = new Set<Promise<void>>();
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

  /** Activities with polls waiting now (a shared store's fallback re-check goes through these). */
  waitingActivities(): string[] {
    return [...this.waiters.keys()];
  }

  /** The polls waiting now for an activity, oldest first (the console's activities page). */
  waitingPollers(activityArn: string): WaitingPoller[] {
    return (this.waiters.get(activityArn) ?? [])
      .filter((waiter) => !waiter.done)
      .map((waiter) => ({
        since: waiter.since,
        ...(waiter.request.workerName !== undefined ? { workerName: waiter.request.workerName } : {}),
      }));
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
        since: Date.now(),
        timer: setTimeout(() => this.expire(waiter), this.holdMs),
      };
      request.signal.addEventListener('abort', () => this.finish(waiter, undefined), { once: true });
      const queue = this.waiters.get(request.activityArn) ?? [];
      queue.push(waiter);
      this.waiters.set(request.activityArn, queue);
      // With no task known, the store is asked: a task may have been queued before this process
      // started, or by another process.
      this.pump(request.activityArn, true);
    });
  }

  /**
   * Holds the oldest free poller for a task the caller is about to queue and start in the same
   * commit (ActivityScheduled and ActivityStarted in one store transaction, not two). None when
   * tasks known here, or perhaps in the store, are older: those go first. Like a hand-over, a
   * held poller is not answered empty by its hold time or a shutdown until the reservation ends.
   */
  reserve(activityArn: string): Reservation | undefined {
    if (this.closed || this.unknown.has(activityArn)) return undefined;
    if ((this.known.get(activityArn)?.length ?? 0) > 0) return undefined;
    const waiter = this.nextFreeWaiter(activityArn);
    if (waiter === undefined) return undefined;
    waiter.claimed = true;
    let ended = false;
    return {
      workerName: waiter.request.workerName,
      deliver: (task) => {
        if (ended) return;
        ended = true;
        waiter.claimed = false;
        // A waiter whose connection closed during the commit has lost the token (see handOver).
        this.finish(waiter, task);
      },
      cancel: () => {
        if (ended) return;
        ended = true;
        waiter.claimed = false;
        if (waiter.expired) this.finish(waiter, undefined);
        // Tasks offered meanwhile passed this poller by.
        else this.pump(activityArn, false);
      },
    };
  }

  /** A commit queued this task: hand it to a waiting poller, or keep it for the next one. */
  offer(task: ActivityTaskRecord): void {
    const list = this.known.get(task.activityArn) ?? [];
    // Bounded, as a backlog with no pollers may be large: the store keeps the rest.
    if (list.length >= MAX_KNOWN_TASKS) this.unknown.add(task.activityArn);
    else {
      list.push(task);
      this.known.set(task.activityArn, list);
    }
    this.pump(task.activityArn, false);
  }

  /** The store may hold queued tasks for this activity that this dispatcher was not offered. */
  notify(activityArn: string): void {
    this.unknown.add(activityArn);
    this.pump(activityArn, false);
  }

  /**
   * Pairs free pollers (oldest first) with known tasks (oldest first), each hand-over running
   * concurrently; asks the store when it may hold tasks not known here (first, so that older
   * tasks are not starved by a steady stream of new ones) or when pollers are left over.
   */
  private pump(activityArn: string, lookInStore: boolean): void {
    if (this.unknown.has(activityArn)) {
      this.lookUp(activityArn, true);
      this.handKnown(activityArn);
      return;
    }
    this.handKnown(activityArn);
    if (lookInStore && this.nextFreeWaiter(activityArn) !== undefined) this.lookUp(activityArn, false);
  }

  private handKnown(activityArn: string): void {
    for (;;) {
      const list = this.known.get(activityArn);
      if (list === undefined || list.length === 0) return;
      const waiter = this.nextFreeWaiter(activityArn);
      if (waiter === undefined) return;
      const task = list.shift();
      if (list.length === 0) this.known.delete(activityArn);
      if (task !== undefined && !this.starting.has(task.token)) this.handOver(waiter, task, false);
    }
  }

  /**
   * Reads the oldest queued task from the store and hands it to the oldest free poller. The
   * store answers the same task until its ActivityStarted commits, so store hand-overs go one
   * at a time; the next look-up follows when the hand-over ends. With `reserve` (the store may
   * hold tasks older than the known ones) the oldest free poller is held for the answer, so
   * that offered tasks cannot take every poller and starve the older ones.
   *
   * With a free poller and a store that claims tasks, the read is a claim: the store answers the
   * next unclaimed task (not the one being started), so the next look-up follows at once, and
   * other nodes' look-ups get other tasks. A claimed task that finds no poller is released.
   */
  private lookUp(activityArn: string, reserve: boolean): void {
    if (this.looking.has(activityArn)) {
      this.relook.add(activityArn);
      return;
    }
    const reserved = reserve ? this.nextFreeWaiter(activityArn) : undefined;
    if (reserved !== undefined) reserved.claimed = true;
    const release = (): void => {
      if (reserved === undefined) return;
      reserved.claimed = false;
      if (reserved.expired) this.finish(reserved, undefined);
    };
    this.looking.add(activityArn);
    // Without a free poller the read only tells whether tasks are there: a plain read, no claim.
    const claiming =
      this.store.claimQueuedTask !== undefined &&
      (reserved !== undefined || this.nextFreeWaiter(activityArn) !== undefined);
    const read =
      claiming && this.store.claimQueuedTask !== undefined
        ? this.store.claimQueuedTask(activityArn, Date.now(), TASK_CLAIM_LEASE_MS)
        : this.store.nextQueuedTask(activityArn);
    this.track(
      read.then(
        (task) => {
          this.looking.delete(activityArn);
          release();
          // A notify during the look-up may be about a task the read did not see yet.
          const again = this.relook.delete(activityArn);
          let handed = false;
          if (task === undefined) {
            if (!again) this.unknown.delete(activityArn);
          } else if (!this.starting.has(task.token)) {
            const waiter = this.nextFreeWaiter(activityArn);
            if (waiter !== undefined) {
              this.forget(task);
              this.handOver(waiter, task, true, claiming);
              handed = true;
            } else if (claiming) this.release(task);
          }
          // Unclaimed, a task being started blocks the store's queue: its hand-over's end looks
          // again (looking again now would only read the same task, and spin until that commit
          // lands). Claimed, it does not: the store answers the next task, so look again now.
          if (again || (handed && claiming && this.nextFreeWaiter(activityArn) !== undefined))
            this.pump(activityArn, true);
          else this.handKnown(activityArn);
        },
        (error: unknown) => {
          this.looking.delete(activityArn);
          release();
          this.relook.delete(activityArn);
          console.error('stepwise: activity hand-over failed:', error);
        },
      ),
    );
  }

  /**
   * Commits ActivityStarted for the task, then answers the poller. From the claim on, the task
   * is this poller's: its hold time or a shutdown must not answer it empty while the commit
   * runs, or the task would be started with nobody holding it.
   */
  private handOver(waiter: Waiter, task: ActivityTaskRecord, fromStore: boolean, claimed = false): void {
    waiter.claimed = true;
    this.starting.add(task.token);
    const ended = (): void => {
      this.starting.delete(task.token);
      waiter.claimed = false;
    };
    this.track(
      this.startTask(task, waiter.request.workerName).then(
        (started) => {
          ended();
          if (started) {
            // A waiter whose connection closed during the commit has lost the token, as on AWS:
            // the task stays started until its timeout or heartbeat expires.
            this.finish(waiter, { taskToken: task.token, input: task.input });
          } else if (waiter.expired) this.finish(waiter, undefined);
          this.pump(task.activityArn, fromStore);
        },
        (error: unknown) => {
          ended();
          if (waiter.expired) this.finish(waiter, undefined);
          // The task may still be queued: the next poll or notify finds it in the store. No
          // retry from here, which would spin on a failing store.
          this.unknown.add(task.activityArn);
          if (claimed) this.release(task, false);
          console.error('stepwise: activity hand-over failed:', error);
        },
      ),
    );
  }

  /**
   * Ends this node's claim on a task it did not hand over, so that a poll (here or on another
   * node) gets it now rather than once the lease has passed; then looks again if `pumpAfter`.
   */
  private release(task: ActivityTaskRecord, pumpAfter = true): void {
    if (this.store.releaseTaskClaim === undefined) return;
    this.track(
      this.store.releaseTaskClaim(task.token).then(
        () => {
          if (pumpAfter && !this.closed && this.nextFreeWaiter(task.activityArn) !== undefined) {
            this.pump(task.activityArn, true);
          }
        },
        (error: unknown) => {
          // The lease runs out by itself.
          console.error('stepwise: releasing an activity task claim failed:', error);
        },
      ),
    );
  }

  private forget(task: ActivityTaskRecord): void {
    const list = this.known.get(task.activityArn);
    const index = list?.findIndex((t) => t.token === task.token) ?? -1;
    if (list !== undefined && index >= 0) list.splice(index, 1);
  }

  /** The hold time is over: answer empty, unless a hand-over to this poller is committing. */
  private expire(waiter: Waiter): void {
    if (waiter.claimed) waiter.expired = true;
    else this.finish(waiter, undefined);
  }

  /** The oldest poller that is connected and not claimed; gone ones are answered on the way. */
  private nextFreeWaiter(activityArn: string): Waiter | undefined {
    const queue = this.waiters.get(activityArn);
    if (queue === undefined) return undefined;
    let i = 0;
    while (i < queue.length) {
      const waiter = queue[i];
      if (waiter === undefined) return undefined;
      if (waiter.claimed) i++;
      else if (!waiter.done && waiter.request.isConnected()) return waiter;
      else if (waiter.done) queue.splice(i, 1);
      else this.finish(waiter, undefined);
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

  private track(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: unknown) => console.error('stepwise: activity hand-over failed:', error))
      .finally(() => this.work.delete(tracked));
    this.work.add(tracked);
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
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }
}
