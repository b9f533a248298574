/**
 * Distributed Map runs. The engine starts one (MapRunStarted) and waits; this manager keeps the
 * run as a record, starts its items as child executions as MaxConcurrency allows, counts them
 * as they close, and tells the parent execution when the run has ended (MapRunEnded).
 *
 * Everything here is restartable: starting a child is idempotent (its name is derived from the
 * run and the item index), and a run found RUNNING after a restart is recounted from its
 * children, then continued or finished. Telling the parent twice is harmless: the engine
 * ignores a MapRunEnded it no longer waits for.
 *
 * On a store several nodes share, a run is driven by one node at a time: the one holding its
 * lease (claimMapRun), taken for each advance and released after it. Any node counts the children
 * that close on it (a versioned update, retried); if the run is owned elsewhere at that moment it
 * does not advance it, and the owner, finding on release that the run changed meanwhile, advances
 * again. A node that dies while driving a run leaves its lease to run out; the other nodes look
 * for such runs periodically (takeOverOrphans) and resume them. The lease saves work, it is not
 * what makes this correct: child starts are idempotent and every update is versioned.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { EngineEvent, Json, MapRunStart } from '@stepwise/core';
import { StatesErrorName } from '@stepwise/core';
import type {
  ExecutionRecord,
  MapRunRecord,
  StateMachineRecord,
  StateMachineRevision,
  Store,
} from '../store/types.js';
import { KeyedMutex } from './keyed-mutex.js';

/** Children of one run running at once when the run sets no MaxConcurrency (AWS: 10,000). */
export const DEFAULT_CHILD_CONCURRENCY = 1000;
/** How long a node owns a run it advances, at most (a release ends it sooner). */
export const MAP_RUN_LEASE_MS = 30_000;
/** A counter update that keeps losing version races to other nodes gives up after this many. */
const MAX_COUNT_ATTEMPTS = 50;
/** Advances in a row for one run when other nodes keep changing it meanwhile. */
const MAX_ADVANCE_ROUNDS = 50;

export interface MapRunHost {
  startChild(
    stateMachine: StateMachineRecord,
    executionArn: string,
    name: string,
    input: { text: string; value: Json },
    link: { mapRunArn: string; mapRunIndex: number },
  ): Promise<ExecutionRecord>;
  /** Redrives a child execution (PENDING_REDRIVE); false when it could not be. */
  redriveChild(executionArn: string): Promise<boolean>;
  /** Marks an unsuccessful child PENDING_REDRIVE; false when it cannot be redriven. */
  markPendingRedrive(executionArn: string): Promise<boolean>;
  deliver(executionArn: string, event: EngineEvent): Promise<unknown>;
  now(): number;
}

export class MapRunManager {
  private readonly locks = new KeyedMutex();
  /**
   * Held while a run's end is told to its parent and carried out (the run marked, its children
   * stopped), and while a run is redriven: a redrive that follows the parent's failure closely
   * finds the run ended and its children stopped, not half-way there.
   */
  private readonly ending = new KeyedMutex();
  /** This process's name as a Map Run owner: random, so a restarted node is a new owner. */
  private readonly owner = randomBytes(8).toString('hex');

  constructor(
    private readonly store: Store,
    private readonly host: MapRunHost,
    private readonly concurrencyCap = DEFAULT_CHILD_CONCURRENCY,
  ) {}

  /** Creates the run (unless it exists already: the start timer may fire twice) and starts children. */
  async begin(start: MapRunStart, parentRevision: StateMachineRevision): Promise<void> {
    await this.locks.run(start.mapRunArn, async () => {
      if ((await this.store.getMapRun(start.mapRunArn)) !== undefined) return;
      const now = this.host.now();
      await this.store.putRevision({
        stateMachineArn: start.stateMachineArn,
        revisionKey: start.mapRunArn,
        definition: start.definition,
        roleArn: parentRevision.roleArn,
        loggingConfiguration: parentRevision.loggingConfiguration,
        tracingConfiguration: parentRevision.tracingConfiguration,
        createdAt: now,
      });
      await this.store.createMapRun(
        {
          mapRunArn: start.mapRunArn,
          executionArn: start.executionArn,
          threadId: start.threadId,
          stateMachineArn: start.stateMachineArn,
          revisionKey: start.mapRunArn,
          executionType: start.executionType,
          status: 'RUNNING',
          startDate: now,
          maxConcurrency: start.maxConcurrency,
          toleratedFailureCount: start.toleratedFailureCount,
          toleratedFailurePercentage: start.toleratedFailurePercentage,
          total: start.items.length,
          launched: 0,
          succeeded: 0,
          failed: 0,
          timedOut: 0,
          aborted: 0,
          redriveCount: 0,
          pendingRedrive: 0,
          version: 0,
        },
        start.items.map((item) => JSON.stringify(item)),
      );
    });
    await this.advance(start.mapRunArn);
  }

  /**
   * Resumes runs left RUNNING by a previous process (on a shared store, those no live node is
   * driving right now): recounts them from their children, then continues or ends them.
   */
  async resume(): Promise<void> {
    for (const run of await this.store.runningMapRuns()) await this.resumeRun(run.mapRunArn);
  }

  /** Shared stores: resumes the runs whose owner died while driving them (its lease ran out). */
  async takeOverOrphans(): Promise<void> {
    if (this.store.orphanedMapRuns === undefined) return;
    for (const mapRunArn of await this.store.orphanedMapRuns(this.host.now())) {
      await this.resumeRun(mapRunArn);
    }
  }

  private async resumeRun(mapRunArn: string): Promise<void> {
    const mine = await this.locks.run(mapRunArn, async () => {
      const run = await this.claim(mapRunArn);
      if (run === undefined) return false;
      const children = await this.store.mapRunChildren(mapRunArn);
      const counted = {
        ...run,
        launched: Math.max(run.launched, children.length),
        ...countClosed(children),
      };
      if (!sameCounts(counted, run)) await this.store.updateMapRun(counted, run.version);
      return true;
    });
    if (mine) await this.advance(mapRunArn);
  }

  /**
   * The run, claimed for this node: undefined when it is not RUNNING, or (on a shared store) while
   * another node drives it.
   */
  private async claim(mapRunArn: string): Promise<MapRunRecord | undefined> {
    if (this.store.claimMapRun === undefined) {
      const run = await this.store.getMapRun(mapRunArn);
      return run?.status === 'RUNNING' ? run : undefined;
    }
    return this.store.claimMapRun(mapRunArn, this.owner, this.host.now(), MAP_RUN_LEASE_MS);
  }

  /** A child execution closed: count it (on whichever node it closed), then advance the run. */
  async childClosed(child: ExecutionRecord): Promise<void> {
    const mapRunArn = child.mapRunArn;
    if (mapRunArn === undefined) return;
    await this.change(mapRunArn, (run) => {
      const next = { ...run };
      if (child.status === 'SUCCEEDED') next.succeeded++;
      else if (child.status === 'FAILED') next.failed++;
      else if (child.status === 'TIMED_OUT') next.timedOut++;
      else if (child.status === 'ABORTED') next.aborted++;
      return next;
    });
    await this.advance(mapRunArn);
  }

  /**
   * Applies `change` to the RUNNING run; false when it is not RUNNING. Another node may update the
   * run at the same moment (count a child that closed there): a lost version race is retried
   * from the new version, so that no count is lost.
   */
  private async change(mapRunArn: string, change: (run: MapRunRecord) => MapRunRecord): Promise<boolean> {
    return this.locks.run(mapRunArn, async () => {
      for (let attempt = 0; attempt < MAX_COUNT_ATTEMPTS; attempt++) {
        const run = await this.store.getMapRun(mapRunArn);
        if (run?.status !== 'RUNNING') return false;
        if (await this.store.updateMapRun(change(run), run.version)) return true;
      }
      throw new Error(`map run ${mapRunArn}: too many concurrent updates`);
    });
  }

  /** The parent closed (stopped, timed out, failed elsewhere): stop the children. */
  async abort(mapRunArn: string): Promise<void> {
    const stop = await this.change(mapRunArn, (run) => ({
      ...run,
      status: 'ABORTED',
      stopDate: this.host.now(),
    }));
    if (stop) await this.stopRunningChildren(mapRunArn);
  }

  /** UpdateMapRun: new limits apply from now on. */
  async update(
    mapRunArn: string,
    change: { maxConcurrency?: number; toleratedFailureCount?: number; toleratedFailurePercentage?: number },
  ): Promise<boolean> {
    const updated = await this.locks.run(mapRunArn, async () => {
      const run = await this.store.getMapRun(mapRunArn);
      if (run === undefined) return false;
      return this.store.updateMapRun({ ...run, ...change }, run.version);
    });
    if (updated) await this.advance(mapRunArn);
    return updated;
  }

  /**
   * Decides what the run's counters call for: start more children, fail, or succeed. On a shared
   * store only the node that can claim the run does it; the claim is released afterwards, and
   * if another node changed the run meanwhile (it counted a child but could not advance), the
   * run is advanced again.
   */
  private async advance(mapRunArn: string): Promise<void> {
    let outcome: { run: MapRunRecord; event: EngineEvent } | undefined;
    for (let round = 0; round < MAX_ADVANCE_ROUNDS && outcome === undefined; round++) {
      const step = await this.locks.run(mapRunArn, async () => {
        const run = await this.claim(mapRunArn);
        if (run === undefined) return { done: true };
        const failures = run.failed + run.timedOut + run.aborted;
        const closed = run.succeeded + failures;
        if (exceedsTolerance(run, failures)) {
          const failed: MapRunRecord = {
            ...run,
            status: 'FAILED',
            stopDate: this.host.now(),
            error: StatesErrorName.ExceedToleratedFailureThreshold,
            cause: 'The specified tolerated failure threshold was exceeded',
          };
          // Ending it, the lease is kept: the run leaves RUNNING, which no claim answers.
          return { done: true, outcome: { run: failed, event: endEvent(failed, undefined) } };
        }
        if (closed === run.total) {
          const children = await this.store.mapRunChildren(mapRunArn);
          const done: MapRunRecord = { ...run, status: 'SUCCEEDED', stopDate: this.host.now() };
          return { done: true, outcome: { run: done, event: endEvent(done, children.map(resultOf)) } };
        }
        const wrote = await this.launch(run, closed);
        if (this.store.releaseMapRun === undefined) return { done: true };
        const version = await this.store.releaseMapRun(mapRunArn, this.owner);
        // Unchanged but for this node's own write: nothing happened elsewhere meanwhile.
        return { done: version === undefined || version === run.version + (wrote ? 1 : 0) };
      });
      outcome = step.outcome;
      if (step.done) break;
    }
    if (outcome === undefined) return;
    const { run: ended, event } = outcome;
    await this.ending.run(mapRunArn, async () => {
      // The parent first: if the process dies before the run is marked, a restart tells it again.
      await this.host.deliver(ended.executionArn, event);
      await this.change(mapRunArn, () => ended);
      if (ended.status === 'FAILED') await this.stopRunningChildren(mapRunArn);
    });
  }

  /**
   * The parent was redriven while this run was unsuccessful (FAILED, or ABORTED with its parent):
   * the run is RUNNING again, with its redrive counted. Its unsuccessful children that can be
   * redriven wait as PENDING_REDRIVE until MaxConcurrency lets each be redriven; those that cannot
   * count as failed from the start; items never launched are launched as usual. A no-op when the
   * run is RUNNING already (the redrive timer fired twice) or does not exist (never started:
   * the parent's start timer starts it).
   */
  async redrive(mapRunArn: string): Promise<void> {
    const redriven = await this.ending.run(mapRunArn, async () =>
      this.locks.run(mapRunArn, async () => {
        for (let attempt = 0; attempt < MAX_COUNT_ATTEMPTS; attempt++) {
          const run = await this.store.getMapRun(mapRunArn);
          if (run === undefined || run.status === 'RUNNING') return run !== undefined;
          const children = await this.store.mapRunChildren(mapRunArn);
          const counts = { succeeded: 0, failed: 0, timedOut: 0, aborted: 0, pendingRedrive: 0 };
          for (const child of children) {
            if (child.status === 'SUCCEEDED') counts.succeeded++;
            else if (child.status === 'RUNNING') continue;
            else if (await this.host.markPendingRedrive(child.executionArn)) counts.pendingRedrive++;
            else if (child.status === 'FAILED') counts.failed++;
            else if (child.status === 'TIMED_OUT') counts.timedOut++;
            else if (child.status === 'ABORTED') counts.aborted++;
          }
          const next: MapRunRecord = {
            ...run,
            ...counts,
            status: 'RUNNING',
            launched: Math.max(run.launched, children.length),
            redriveCount: run.redriveCount + 1,
            redriveDate: this.host.now(),
          };
          delete next.stopDate;
          delete next.error;
          delete next.cause;
          if (await this.store.updateMapRun(next, run.version)) return true;
        }
        throw new Error(`map run ${mapRunArn}: too many concurrent updates`);
      }),
    );
    if (redriven) await this.advance(mapRunArn);
  }

  /** Starts children as the limit allows; true when it wrote the run (its version moved by one). */
  private async launch(run: MapRunRecord, closed: number): Promise<boolean> {
    const limit =
      run.maxConcurrency > 0 ? Math.min(run.maxConcurrency, this.concurrencyCap) : this.concurrencyCap;
    let launched = run.launched;
    const revision = await this.store.getRevision(run.stateMachineArn, run.revisionKey);
    if (revision === undefined) throw new Error(`map run ${run.mapRunArn}: child definition is missing`);
    const machineName = run.stateMachineArn.slice(run.stateMachineArn.indexOf(':stateMachine:') + 14);
    const stateMachine: StateMachineRecord = {
      stateMachineArn: run.stateMachineArn,
      name: machineName,
      type: 'STANDARD',
      status: 'ACTIVE',
      creationDate: run.startDate,
      current: revision,
    };
    // Children waiting for a redrive go first; they count as neither running nor closed.
    let pending = run.pendingRedrive;
    let failed = run.failed;
    if (pending > 0 && launched - closed - pending < limit) {
      const waiting = await this.store.listExecutions(
        { mapRunArn: run.mapRunArn, status: 'PENDING_REDRIVE' },
        { limit: Math.min(pending, limit - (launched - closed - pending)) },
      );
      for (const child of waiting.items) {
        // A child that cannot be redriven after all (it has no snapshot) counts as failed.
        if (!(await this.host.redriveChild(child.executionArn))) failed++;
        pending--;
      }
    }
    while (launched < run.total && launched - closed - pending < limit) {
      const text = await this.store.getMapRunItem(run.mapRunArn, launched);
      if (text === undefined) throw new Error(`map run ${run.mapRunArn}: item ${launched} is missing`);
      const name = childName(run.mapRunArn, launched);
      const arn = `${run.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      await this.host.startChild(
        stateMachine,
        arn,
        name,
        { text, value: JSON.parse(text) as Json },
        {
          mapRunArn: run.mapRunArn,
          mapRunIndex: launched,
        },
      );
      launched++;
    }
    if (launched === run.launched && pending === run.pendingRedrive) return false;
    return this.store.updateMapRun({ ...run, launched, pendingRedrive: pending, failed }, run.version);
  }

  private async stopRunningChildren(mapRunArn: string): Promise<void> {
    for (const child of await this.store.mapRunChildren(mapRunArn)) {
      if (child.status === 'RUNNING') {
        await this.host.deliver(child.executionArn, { type: 'StopExecution', error: null, cause: null });
      }
    }
  }
}

/** A name like AWS's (a UUID) but derived from the run and the index, so a restart reuses it. */
function childName(mapRunArn: string, index: number): string {
  const hex = createHash('sha256').update(`${mapRunArn}#${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function exceedsTolerance(run: MapRunRecord, failures: number): boolean {
  if (failures === 0) return false;
  return (
    failures > run.toleratedFailureCount || (failures / run.total) * 100 > run.toleratedFailurePercentage
  );
}

function countClosed(
  children: ExecutionRecord[],
): Pick<MapRunRecord, 'succeeded' | 'failed' | 'timedOut' | 'aborted' | 'pendingRedrive'> {
  const counts = { succeeded: 0, failed: 0, timedOut: 0, aborted: 0, pendingRedrive: 0 };
  for (const child of children) {
    if (child.status === 'SUCCEEDED') counts.succeeded++;
    else if (child.status === 'FAILED') counts.failed++;
    else if (child.status === 'TIMED_OUT') counts.timedOut++;
    else if (child.status === 'ABORTED') counts.aborted++;
    else if (child.status === 'PENDING_REDRIVE') counts.pendingRedrive++;
  }
  return counts;
}

function sameCounts(a: MapRunRecord, b: MapRunRecord): boolean {
  return (
    a.launched === b.launched &&
    a.succeeded === b.succeeded &&
    a.failed === b.failed &&
    a.timedOut === b.timedOut &&
    a.aborted === b.aborted &&
    a.pendingRedrive === b.pendingRedrive
  );
}

/** A child's slot in the Map's result: its output, or its error output when it failed (tolerated). */
function resultOf(child: ExecutionRecord): Json {
  if (child.status === 'SUCCEEDED' && child.output !== undefined) return JSON.parse(child.output) as Json;
  return { Error: child.error ?? null, Cause: child.cause ?? null };
}

function endEvent(run: MapRunRecord, outputs: Json[] | undefined): EngineEvent {
  return run.status === 'SUCCEEDED'
    ? { type: 'MapRunEnded', mapRunArn: run.mapRunArn, status: 'SUCCEEDED', outputs: outputs ?? [] }
    : {
        type: 'MapRunEnded',
        mapRunArn: run.mapRunArn,
        status: 'FAILED',
        error: run.error ?? null,
        cause: run.cause ?? null,
      };
}
