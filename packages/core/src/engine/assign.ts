/**
 * Workflow variables (`Assign`) in JSONPath states. Every right-hand side is evaluated against
 * the variables as they were when the state was entered; the new values become visible from
 * the next state on, which is why `exitState` applies them only after the output is computed.
 */
import type { Json, JsonObject } from '../json.js';
import { isJsonObject, toJsonText } from '../json.js';
import { applyPayloadTemplate } from '../asl/payload.js';
import type { IoEnv } from './io.js';
import { NOT_TRUNCATED } from './history.js';

/** Evaluates an `Assign` block where `$` means `dollar` (the result, input or error output). */
export function evaluateAssign(
  assign: JsonObject | undefined,
  dollar: Json,
  env: IoEnv,
): JsonObject | undefined {
  if (assign === undefined) return undefined;
  const values = applyPayloadTemplate(assign, dollar, env.context, {
    fieldName: 'Assign',
    variables: env.variables,
    intrinsic: env.intrinsic,
  });
  return isJsonObject(values) ? values : {};
}

/** The `assignedVariables` members of a StateExited event: each value as JSON text. */
export function assignedDetails(assigned: JsonObject): Record<string, Json> {
  const texts: JsonObject = {};
  for (const [name, value] of Object.entries(assigned)) texts[name] = toJsonText(value);
  return { assignedVariables: texts, assignedVariablesDetails: NOT_TRUNCATED };
}
