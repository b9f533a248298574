/**
 * What a Task state's `Resource` names: an activity, a service integration
 * (`arn:aws:states:::<service>:<action>[.sync|.sync:2|.waitForTaskToken]`), or a Lambda function
 * by its ARN (the older form, with the LambdaFunction… history events).
 */

/** How Step Functions waits on a service integration. */
export type IntegrationPattern =
  /** Request-response: done when the service answers. */
  | 'request'
  /** Run a job (`.sync`): done when the job ends; a nested execution's Input/Output as text. */
  | 'sync'
  /** `.sync:2`: the same, with a nested execution's Input/Output as JSON. */
  | 'sync2'
  /** Wait for a callback (`.waitForTaskToken`): done on SendTaskSuccess/Failure with the token. */
  | 'callback';

export type TaskResource =
  | { kind: 'activity'; arn: string }
  | {
      kind: 'integration';
      arn: string;
      /** History's `resourceType`: `lambda`, `states`, `aws-sdk:s3`… */
      resourceType: string;
      /** History's `resource`: the action with its suffix (`invoke`, `startExecution.sync:2`). */
      resource: string;
      /** The action without its suffix (`startExecution`). */
      action: string;
      pattern: IntegrationPattern;
    }
  | { kind: 'lambda'; arn: string; region: string };

const ACTIVITY_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:activity:[^:]+$/;
const INTEGRATION_ARN =
  /^arn:[^:]+:states:::((?:aws-sdk:)?[a-z0-9][a-z0-9-]*):([A-Za-z][A-Za-z0-9]*)(\.sync(?::2)?|\.waitForTaskToken)?$/;
const LAMBDA_ARN = /^arn:[^:]+:lambda:([a-z0-9-]+):\d{12}:function:[A-Za-z0-9_-]+(?::[A-Za-z0-9_$-]+)?$/;

const PATTERNS: Readonly<Record<string, IntegrationPattern>> = {
  '': 'request',
  '.sync': 'sync',
  '.sync:2': 'sync2',
  '.waitForTaskToken': 'callback',
};

/** The resource a Task state names, or undefined for one this engine cannot run. */
export function parseTaskResource(resource: string): TaskResource | undefined {
  if (ACTIVITY_ARN.test(resource)) return { kind: 'activity', arn: resource };
  const integration = INTEGRATION_ARN.exec(resource);
  if (integration !== null) {
    const [, resourceType = '', action = '', suffix = ''] = integration;
    return {
      kind: 'integration',
      arn: resource,
      resourceType,
      resource: `${action}${suffix}`,
      action,
      pattern: PATTERNS[suffix] ?? 'request',
    };
  }
  const lambda = LAMBDA_ARN.exec(resource);
  if (lambda !== null) return { kind: 'lambda', arn: resource, region: lambda[1] ?? '' };
  return undefined;
}

export function isActivityArn(resource: string): boolean {
  return ACTIVITY_ARN.test(resource);
}

/** A nested execution (`states:startExecution…`): Stepwise runs these itself. */
export function isNestedExecution(resource: TaskResource): boolean {
  return (
    resource.kind === 'integration' &&
    resource.resourceType === 'states' &&
    resource.action === 'startExecution'
  );
}
