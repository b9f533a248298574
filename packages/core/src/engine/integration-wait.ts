/** Facts about a task waiting on a service integration that the whole engine needs. */
import type { IntegrationWait } from './types.js';
import { parseTaskResource } from './resources.js';

/** The guard timer of an integration call (see states/integration.ts). */
export function guardTimerId(token: string): string {
  return `${token}#guard`;
}

/**
 * The nested execution to stop when a `.sync` task ends other than by its child's end (the
 * parent stopped, failed elsewhere, or the task timed out), as AWS does for `.sync`.
 */
export function stopsChild(wait: IntegrationWait): string | undefined {
  if (wait.childExecutionArn === undefined) return undefined;
  const resource = parseTaskResource(wait.resource);
  return resource?.kind === 'integration' && (resource.pattern === 'sync' || resource.pattern === 'sync2')
    ? wait.childExecutionArn
    : undefined;
}

/** Whether SendTaskSuccess/Failure/Heartbeat may answer this task: a `.waitForTaskToken` one. */
export function answersCallbacks(wait: IntegrationWait): boolean {
  const resource = parseTaskResource(wait.resource);
  return resource?.kind === 'integration' && resource.pattern === 'callback';
}
