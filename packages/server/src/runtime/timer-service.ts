/**
 * Durable timers (Wait states, retry back-off, task, heartbeat and execution timeouts) are
 * rows in the store. This service keeps one `setTimeout` armed for the earliest due row and,
 * when it fires, hands every due timer to the runtime. After a restart it simply re-arms from
 * the store, so timers fire at their original due times, or at once if already past.
 *
 * Due timers are claimed (leased), not just read: on a store several nodes share, each timer is
 * fired by the one node whose claim won, and by another once the lease has passed if that node
 * died before the timer's transition deleted it. A node also re-checks every `recheckMs`, since
 * it is not told about timers other nodes armed (it only needs them if their node dies).
 */
import type { TimerRecord } from '@stepwise/core';
import type { Store } from '../store/types.js';

/** setTimeout's ceiling (~24.8 days); longer waits re-arm on the way. */
const MAX_SLEEP_MS = 2_147_483_647;
const BATCH = 200;
/**
 * How long a claim keeps other nodes away from a timer: far longer than firing a batch takes,
 * and the delay with which a timer of a node that died fires elsewhere.
 */
export const TIMER_LEASE_MS = 30_000;
/**
 * A timer whose firing failed is released after this back-off, doubled on each failure in a row
 * up to the lease: soon enough to recover from a brief outage, not so soon that it spins.
 */
const RETRY_BACKOFF_MS = 1000;

export class TimerService {
  private handle: NodeJS.Timeout | undefined;
  private armedFor: number | undefined;
  private firing = false;
  private again = false;
  private closed = false;
  /** Failures in a row per timer id (for the back-off); forgotten when the timer fires. */
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly fire: (timer: TimerRecord) => Promise<void>,
    private readonly now: () => number = Date.now,
    private readonly recheckMs?: number,
  ) {}

  async start(): Promise<void> {
    const due = await this.store.nextTimerDue();
    if (due !== undefined) this.schedule(due);
    else if (this.recheckMs !== undefined) this.arm(this.now() + this.recheckMs);
  }

  /** A timer due at `dueAt` was committed: wake earlier if it is the new earliest. */
  schedule(dueAt: number): void {
    if (this.closed) return;
    if (this.firing) {
      this.again = true;
      return;
    }
    if (this.armedFor !== undefined && this.armedFor <= dueAt) return;
    this.arm(dueAt);
  }

  private arm(at: number): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    const dueAt = this.recheckMs === undefined ? at : Math.min(at, this.now() + this.recheckMs);
    this.armedFor = dueAt;
    const delay = Math.min(Math.max(dueAt - this.now(), 0), MAX_SLEEP_MS);
    this.handle = setTimeout(() => void this.run(), delay);
  }

  private async run(): Promise<void> {
    this.handle = undefined;
    this.armedFor = undefined;
    if (this.closed) return;
    this.firing = true;
    try {
      for (;;) {
        this.again = false;
        const due = await this.store.claimDueTimers(this.now(), BATCH, TIMER_LEASE_MS);
        let fired = 0;
        for (const timer of due) {
          if (this.closed) return;
          try {
            await this.fire(timer);
            fired++;
            this.failures.delete(timer.id);
          } catch (error) {
            console.error(`stepwise: timer ${timer.id} (${timer.kind}) failed:`, error);
            await this.retryLater(timer);
          }
        }
        if (fired === 0 || (due.length < BATCH && !this.again)) break;
      }
    } catch (error) {
      // The store is unreachable (a database connection lost): try again shortly.
      console.error('stepwise: claiming due timers failed:', error);
    } finally {
      this.firing = false;
    }
    if (this.closed) return;
    let next: number | undefined;
    try {
      next = await this.store.nextTimerDue();
    } catch (error) {
      console.error('stepwise: reading the next timer failed:', error);
      next = this.now();
    }
    // A timer whose firing keeps failing would spin; back off a second in that case.
    if (next !== undefined) this.arm(Math.max(next, next <= this.now() ? this.now() + 1000 : next));
    else if (this.recheckMs !== undefined) this.arm(this.now() + this.recheckMs);
  }

  /** Gives up the claim on a timer whose firing failed, so that it is tried again after a back-off. */
  private async retryLater(timer: TimerRecord): Promise<void> {
    if (this.store.releaseTimerClaim === undefined) return;
    // Bounded: a timer that never fires (its execution is gone) must not grow this forever.
    if (this.failures.size >= 10_000) this.failures.clear();
    const failures = (this.failures.get(timer.id) ?? 0) + 1;
    this.failures.set(timer.id, failures);
    const backoff = Math.min(RETRY_BACKOFF_MS * 2 ** Math.min(failures - 1, 16), TIMER_LEASE_MS);
    try {
      await this.store.releaseTimerClaim(timer.id, this.now() + backoff);
    } catch (error) {
      // The store is unreachable too: the lease runs out by itself.
      console.error(`stepwise: releasing timer ${timer.id} failed:`, error);
    }
  }

  close(): void {
    this.closed = true;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}
