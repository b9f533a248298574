/** DescribeMapRun, ListMapRuns, UpdateMapRun: the runs of Distributed Map states. */
import type { MapRunRecord } from '../../store/types.js';
import { parseExecutionArn, parseMapRunArn } from '../arn.js';
import { executionDoesNotExist, resourceNotFound, validation } from '../errors.js';
import type { Operation } from './context.js';

/** AWS reports the same breakdown for items and for child executions (one item per child). */
function counts(run: MapRunRecord): Record<string, number> {
  const closed = run.succeeded + run.failed + run.timedOut + run.aborted;
  return {
    pending: run.total - run.launched,
    running: run.launched - closed - run.pendingRedrive,
    succeeded: run.succeeded,
    failed: run.failed,
    timedOut: run.timedOut,
    aborted: run.aborted,
    total: run.total,
    resultsWritten: run.status === 'SUCCEEDED' ? run.succeeded : 0,
    failuresNotRedrivable: 0,
    pendingRedrive: run.pendingRedrive,
  };
}

export const DescribeMapRun: Operation = async (service, input) => {
  const arn = parseMapRunArn(input.string('mapRunArn')).arn;
  const run = await service.store.getMapRun(arn);
  if (run === undefined) throw resourceNotFound(arn);
  return {
    mapRunArn: run.mapRunArn,
    executionArn: run.executionArn,
    status: run.status,
    startDate: new Date(run.startDate),
    ...(run.stopDate !== undefined ? { stopDate: new Date(run.stopDate) } : {}),
    maxConcurrency: run.maxConcurrency,
    toleratedFailurePercentage: run.toleratedFailurePercentage,
    toleratedFailureCount: run.toleratedFailureCount,
    itemCounts: counts(run),
    executionCounts: counts(run),
    redriveCount: run.redriveCount,
    ...(run.redriveDate !== undefined ? { redriveDate: new Date(run.redriveDate) } : {}),
  };
};

export const ListMapRuns: Operation = async (service, input) => {
  const arn = parseExecutionArn(input.string('executionArn')).arn;
  if ((await service.store.getExecution(arn)) === undefined) throw executionDoesNotExist(arn);
  const runs = await service.store.listMapRuns(arn);
  return {
    mapRuns: runs.map((run) => ({
      executionArn: run.executionArn,
      mapRunArn: run.mapRunArn,
      stateMachineArn: run.stateMachineArn,
      startDate: new Date(run.startDate),
      ...(run.stopDate !== undefined ? { stopDate: new Date(run.stopDate) } : {}),
    })),
  };
};

export const UpdateMapRun: Operation = async (service, input) => {
  const arn = parseMapRunArn(input.string('mapRunArn')).arn;
  if ((await service.store.getMapRun(arn)) === undefined) throw resourceNotFound(arn);
  const maxConcurrency = input.optionalNumber('maxConcurrency');
  const toleratedFailureCount = input.optionalNumber('toleratedFailureCount');
  const toleratedFailurePercentage = input.optionalNumber('toleratedFailurePercentage');
  if (
    maxConcurrency === undefined &&
    toleratedFailureCount === undefined &&
    toleratedFailurePercentage === undefined
  ) {
    throw validation(
      'Must provide at least one of maxConcurrency, toleratedFailurePercentage or toleratedFailureCount',
    );
  }
  await service.runtime.mapRuns.update(arn, {
    ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    ...(toleratedFailureCount !== undefined ? { toleratedFailureCount } : {}),
    ...(toleratedFailurePercentage !== undefined ? { toleratedFailurePercentage } : {}),
  });
  return {};
};
