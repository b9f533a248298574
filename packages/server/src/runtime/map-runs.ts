/**
 * Distributed Map runs. The engine starts one (MapRunStarted) and waits; this manager keeps the
 * run as a record, starts its items as child executions as MaxConcurrency allows, counts them
 * as they close, and tells the parent execution when the run has ended (MapRunEnded).
 *
 * Everything here is restartable: starting a child is idempotent (its name is derived from the
 * run and the item index), and a run found RUNNING after a restart is recounted from its
 * children, then continued or finished. Telling the parent twice is harmless: the engine
 * ignores a MapRunEnded it no longer waits for.
 */
import { createHash } from 'node:crypto';
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

export interface MapRunHost {
  startChild(
    stateMachine: StateMachineRecord,
    executionArn: string,
    name: string,
    input: { text: string; value: Json },
    link: { mapRunArn: string; mapRunIndex: number },
  ): Promise<ExecutionRecord>;
  deliver(executionArn: string, event: EngineEvent): Promise<unknown>;
  now(): number;
}

export class MapRunManager {
  private readonly locks = new KeyedMutex();

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
          version: 0,
        },
        start.items.map((item) => JSON.stringify(item)),
      );
    });
    await this.advance(start.mapRunArn);
  }

  /** Resumes runs left RUNNING by a previous process. */
  async resume(): Promise<void> {
    for (const run of await this.store.runningMapRuns()) {
      await this.locks.run(run.mapRunArn, async () => {
        const children = await this.store.mapRunChildren(run.mapRunArn);
        const counted = {
          ...run,
          launched: Math.max(run.launched, children.length),
          ...countClosed(children),
        };
        if (!sameCounts(counted, run)) await this.store.updateMapRun(counted, run.version);
      });
      await this.advance(run.mapRunArn);
    }
  }

  /** A child execution closed. */
  async childClosed(child: ExecutionRecord): Promise<void> {
    const mapRunArn = child.mapRunArn;
    if (mapRunArn === undefined) return;
    await this.locks.run(mapRunArn, async () => {
      const run = await this.store.getMapRun(mapRunArn);
      if (run?.status !== 'RUNNING') return;
      const next = { ...run };
      if (child.status === 'SUCCEEDED') next.succeeded++;
      else if (child.status === 'FAILED') next.failed++;
      else if (child.status === 'TIMED_OUT') next.timedOut++;
      else if (child.status === 'ABORTED') next.aborted++;
      await this.store.updateMapRun(next, run.version);
    });
    await this.advance(mapRunArn);
  }

  /** The parent closed (stopped, timed out, failed elsewhere): stop the children. */
  async abort(mapRunArn: string): Promise<void> {
    const stop = await this.locks.run(mapRunArn, async () => {
      const run = await this.store.getMapRun(mapRunArn);
      if (run?.status !== 'RUNNING') return false;
      await this.store.updateMapRun({ ...run, status: 'ABORTED', stopDate: this.host.now() }, run.version);
      return true;
    });
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

  /** Decides what the run's counters call for: start more children, fail, or succeed. */
  private async advance(mapRunArn: string): Promise<void> {
    const outcome = await this.locks.run(mapRunArn, async () => {
      const run = await this.store.getMapRun(mapRunArn);
      if (run?.status !== 'RUNNING') return undefined;
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
        return { run: failed, event: endEvent(failed, undefined) };
      }
      if (closed === run.total) {
        const children = await this.store.mapRunChildren(mapRunArn);
        const done: MapRunRecord = { ...run, status: 'SUCCEEDED', stopDate: this.host.now() };
        return { run: done, event: endEvent(done, children.map(resultOf)) };
      }
      await this.launch(run, closed);
      return undefined;
    });
    if (outcome === undefined) return;
    // The parent first: if the process dies before the run is marked, a restart tells it again.
    await this.host.deliver(outcome.run.executionArn, outcome.event);
    const current = await this.store.getMapRun(mapRunArn);
    if (current?.status === 'RUNNING') await this.store.updateMapRun(outcome.run, current.version);
    if (outcome.run.status === 'FAILED') await this.stopRunningChildren(mapRunArn);
  }

  private async launch(run: MapRunRecord, closed: number): Promise<void> {
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
    while (launched < run.total && launched - closed < limit) {
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
    if (launched !== run.launched) await this.store.updateMapRun({ ...run, launched }, run.version);
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
): Pick<MapRunRecord, 'succeeded' | 'failed' | 'timedOut' | 'aborted'> {
  const counts = { succeeded: 0, failed: 0, timedOut: 0, aborted: 0 };
  for (const child of children) {
    if (child.status === 'SUCCEEDED') counts.succeeded++;
    else if (child.status === 'FAILED') counts.failed++;
    else if (child.status === 'TIMED_OUT') counts.timedOut++;
    else if (child.status === 'ABORTED') counts.aborted++;
  }
  return counts;
}

function sameCounts(a: MapRunRecord, b: MapRunRecord): boolean {
  return (
    a.launched === b.launched &&
    a.succeeded === b.succeeded &&
    a.failed === b.failed &&
    a.timedOut === b.timedOut &&
    a.aborted === b.aborted
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
