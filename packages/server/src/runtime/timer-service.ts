/**
 * Durable timers (Wait states, retry back-off, task, heartbeat and execution timeouts) are
 * rows in the store. This service keeps one `setTimeout` armed for the earliest due row and,
 * when it fires, hands every due timer to the runtime. After a restart it simply re-arms from
 * the store, so timers fire at their original due times, or at once if already past.
 */
import type { TimerRecord } from '@stepwise/core';
import type { Store } from '../store/types.js';

/** setTimeout's ceiling (~24.8 days); longer waits re-arm on the way. */
const MAX_SLEEP_MS = 2_147_483_647;
const BATCH = 200;

export class TimerService {
  private handle: NodeJS.Timeout | undefined;
  private armedFor: number | undefined;
  private firing = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly fire: (timer: TimerRecord) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    const due = await this.store.nextTimerDue();
    if (due !== undefined) this.schedule(due);
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

  private arm(dueAt: number): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
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
        const due = await this.store.dueTimers(this.now(), BATCH);
        let fired = 0;
        for (const timer of due) {
          if (this.closed) return;
          try {
            await this.fire(timer);
            fired++;
          } catch (error) {
            console.error(`stepwise: timer ${timer.id} (${timer.kind}) failed:`, error);
          }
        }
        if (fired === 0 || (due.length < BATCH && !this.again)) break;
      }
    } finally {
      this.firing = false;
    }
    if (this.closed) return;
    const next = await this.store.nextTimerDue();
    // A timer whose firing keeps failing would spin; back off a second in that case.
    if (next !== undefined) this.arm(Math.max(next, next <= this.now() ? this.now() + 1000 : next));
  }

  close(): void {
    this.closed = true;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}
