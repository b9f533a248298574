/**
 * Step Functions Local's way to run an execution with mocked service integrations:
 * StartExecution on `<state machine ARN>#<test case>`, a test case of the server's mock config
 * (`stepwise serve --mock-config`). The execution itself belongs to the plain state machine.
 */
import type { MockSource } from '../runtime/mocks.js';
import type { StateMachineRecord } from '../store/types.js';
import { validation } from './errors.js';

/** The ARN without its `#<test case>`, and the test case. Names cannot contain `#`. */
export function splitTestCase(stateMachineArn: string): { arn: string; testCase?: string } {
  const hash = stateMachineArn.lastIndexOf('#');
  if (hash < 0) return { arn: stateMachineArn };
  return { arn: stateMachineArn.slice(0, hash), testCase: stateMachineArn.slice(hash + 1) };
}

/** ValidationException unless the mock config defines that test case for the machine. */
export function checkTestCase(
  mocks: MockSource | undefined,
  stateMachine: StateMachineRecord,
  testCase: string,
): void {
  if (mocks === undefined) {
    throw validation(
      `Cannot run the test case '${testCase}': this server has no mock config ` +
        '(start it with --mock-config FILE, or set SFN_MOCK_CONFIG)',
    );
  }
  if (mocks.testCase(stateMachine.name, testCase) === undefined) {
    throw validation(
      `The mock config defines no test case '${testCase}' for the state machine '${stateMachine.name}'`,
    );
  }
}
