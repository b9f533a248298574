/** The operation table: AWS operation name → handler. */
import type { OperationHandler } from '../http.js';
import { Input } from '../input.js';
import type { Operation, ServiceContext } from './context.js';
import { CreateActivity, DeleteActivity, DescribeActivity, ListActivities } from './activities.js';
import { GetActivityTask, SendTaskFailure, SendTaskHeartbeat, SendTaskSuccess } from './tasks.js';
import {
  CreateStateMachine,
  DeleteStateMachine,
  DescribeStateMachine,
  ListStateMachines,
  UpdateStateMachine,
  ValidateStateMachineDefinition,
} from './state-machines.js';
import {
  DescribeExecution,
  DescribeStateMachineForExecution,
  GetExecutionHistory,
  ListExecutions,
  RedriveExecution,
  StartExecution,
  StopExecution,
} from './executions.js';
import { StartSyncExecution } from './express.js';
import { DescribeMapRun, ListMapRuns, UpdateMapRun } from './map-runs.js';
import { ListTagsForResource, TagResource, UntagResource } from './tags.js';
import { TestState } from './test-state.js';
import {
  DeleteStateMachineVersion,
  ListStateMachineVersions,
  PublishStateMachineVersion,
} from './versions.js';
import {
  CreateStateMachineAlias,
  DeleteStateMachineAlias,
  DescribeStateMachineAlias,
  ListStateMachineAliases,
  UpdateStateMachineAlias,
} from './aliases.js';

export type { ServiceContext } from './context.js';
export { createConsoleOperations, CONSOLE_TARGET_PREFIX } from './console.js';

const OPERATIONS: Record<string, Operation> = {
  CreateActivity,
  DescribeActivity,
  ListActivities,
  DeleteActivity,
  GetActivityTask,
  SendTaskSuccess,
  SendTaskFailure,
  SendTaskHeartbeat,
  CreateStateMachine,
  DescribeStateMachine,
  UpdateStateMachine,
  DeleteStateMachine,
  ListStateMachines,
  ValidateStateMachineDefinition,
  StartExecution,
  StartSyncExecution,
  DescribeExecution,
  ListExecutions,
  StopExecution,
  RedriveExecution,
  GetExecutionHistory,
  DescribeStateMachineForExecution,
  DescribeMapRun,
  ListMapRuns,
  UpdateMapRun,
  TagResource,
  UntagResource,
  ListTagsForResource,
  TestState,
  PublishStateMachineVersion,
  ListStateMachineVersions,
  DeleteStateMachineVersion,
  CreateStateMachineAlias,
  DescribeStateMachineAlias,
  UpdateStateMachineAlias,
  DeleteStateMachineAlias,
  ListStateMachineAliases,
};

export function createOperations(service: ServiceContext): Record<string, OperationHandler> {
  const table: Record<string, OperationHandler> = {};
  for (const [name, operation] of Object.entries(OPERATIONS)) {
    table[name] = (body, request) => operation(service, new Input(body), request);
  }
  return table;
}
