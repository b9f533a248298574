/**
 * What this engine can run today. A definition that is valid ASL but uses something the engine
 * does not run yet is refused when the state machine is created, with a diagnostic naming the
 * feature, rather than failing executions later.
 */
import type { State, StateMachineDefinition } from '../asl/definition.js';
import type { Diagnostic } from '../asl/validate.js';
import { parseTaskResource } from './resources.js';

const CODE = 'UNSUPPORTED_FEATURE';

export function unsupportedFeatures(definition: StateMachineDefinition): Diagnostic[] {
  const found: Diagnostic[] = [];
  const report = (message: string, location: string): void => {
    found.push({
      severity: 'ERROR',
      code: CODE,
      message: `Stepwise does not support ${message} yet`,
      location,
    });
  };
  const visit = (states: Record<string, State>, base: string): void => {
    for (const [name, state] of Object.entries(states)) {
      const at = `${base}/${name}`;
      switch (state.Type) {
        case 'Parallel':
          state.Branches.forEach((branch, i) => visit(branch.States, `${at}/Branches[${i}]/States`));
          break;
        case 'Map': {
          const processor = state.ItemProcessor ?? state.Iterator;
          for (const field of ['ItemReader', 'ResultWriter'] as const) {
            const source = state[field];
            if (source === undefined) continue;
            // These read or write S3, which this server does not provide: say which source is missing.
            const resource = typeof source['Resource'] === 'string' ? ` ${source['Resource']}` : '';
            report(`the Map field '${field}' (its resource${resource} needs Amazon S3)`, `${at}/${field}`);
          }
          if (processor !== undefined) {
            visit(
              processor.States,
              `${at}/${state.ItemProcessor !== undefined ? 'ItemProcessor' : 'Iterator'}/States`,
            );
          }
          break;
        }
        case 'Task':
          // Activities, service integrations and Lambda functions; anything else (an SNS topic
          // ARN, a typo) names nothing this engine can call.
          if (parseTaskResource(state.Resource) === undefined) {
            report(`the resource ${state.Resource}`, `${at}/Resource`);
          }
          break;
        case 'Pass':
        case 'Choice':
        case 'Wait':
        case 'Succeed':
        case 'Fail':
          break;
        default: {
          const never: never = state;
          throw new Error(`unknown state ${JSON.stringify(never)}`);
        }
      }
    }
  };
  visit(definition.States, '/States');
  return found;
}
