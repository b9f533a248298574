/**
 * The JSONata half of the per-state pipeline: `Arguments` → work → `Output` and `Assign`, with
 * `$states` bound to the state's input, the context object, and the result or error output.
 * Failures are States.QueryEvaluationError; the ones raised while evaluating a field carry its
 * location, which AWS reports in the EvaluationFailed event.
 */
import type { Json, JsonObject } from '../json.js';
import { isJsonObject } from '../json.js';
import type { State } from '../asl/definition.js';
import { StatesError, StatesErrorName } from '../asl/errors.js';
import type { JsonataEnv, JsonataExpectedType, StatesBinding } from '../asl/jsonata.js';
import { evaluateJsonataField, evaluateJsonataTyped } from '../asl/jsonata.js';
import type { ThreadRecord } from './types.js';
import type { Step } from './step.js';

/**
 * A JSONata failure. AWS chains its EvaluationFailed event to the event before the state was
 * entered when it arose while evaluating the state's fields (`beforeState`), but to the
 * state's last event when the state's own work found it (a Wait's unparsable timestamp).
 */
export class EvaluationError extends StatesError {
  constructor(
    cause: string | null,
    location?: string,
    readonly follows: 'beforeState' | 'lastEvent' = 'beforeState',
  ) {
    super(StatesErrorName.QueryEvaluationError, cause, location !== undefined ? { location } : {});
  }
}

/** A state's query language: its own, else the machine's (never the enclosing state's). */
export function usesJsonata(step: Step, state: State): boolean {
  return (state.QueryLanguage ?? step.definition.QueryLanguage) === 'JSONata';
}

export function statesBinding(
  step: Step,
  thread: ThreadRecord,
  extra: { result?: Json; errorOutput?: Json } = {},
  context: { taskToken?: string } = {},
): StatesBinding {
  return { input: thread.input, context: step.ioEnv(thread, context).context(), ...extra };
}

function jsonataEnv(step: Step, thread: ThreadRecord, states: StatesBinding): JsonataEnv {
  return {
    states,
    variables: (name) => step.variable(thread, name),
    random: () => step.random(),
    uuid: () => step.uuid(),
    now: () => step.env.now,
  };
}

function located<T>(field: string, evaluate: () => T): T {
  try {
    return evaluate();
  } catch (error) {
    if (error instanceof StatesError && error.name === StatesErrorName.QueryEvaluationError) {
      throw new EvaluationError(error.cause, error.location ?? field);
    }
    throw error;
  }
}

export function evaluateField(
  step: Step,
  thread: ThreadRecord,
  value: Json,
  field: string,
  states: StatesBinding,
): Json {
  return located(field, () => evaluateJsonataField(value, field, jsonataEnv(step, thread, states)));
}

export function evaluateTyped(
  step: Step,
  thread: ThreadRecord,
  value: Json,
  field: string,
  expected: JsonataExpectedType,
  states: StatesBinding,
): Json {
  return located(field, () => evaluateJsonataTyped(value, field, expected, jsonataEnv(step, thread, states)));
}

/** `Output` (or the given default) and `Assign`, both against the same `$states`. */
export function outputAndAssign(
  step: Step,
  thread: ThreadRecord,
  fields: { Output?: Json; Assign?: JsonObject },
  states: StatesBinding,
  fallback: Json,
): { output: Json; assigned: JsonObject | undefined } {
  const output =
    fields.Output !== undefined ? evaluateField(step, thread, fields.Output, 'Output', states) : fallback;
  let assigned: JsonObject | undefined;
  if (fields.Assign !== undefined) {
    const values = evaluateField(step, thread, fields.Assign, 'Assign', states);
    assigned = isJsonObject(values) ? values : {};
  }
  return { output, assigned };
}

/** A number-valued field that may be a literal or a template (TimeoutSeconds, MaxConcurrency…). */
export function numberField(
  step: Step,
  thread: ThreadRecord,
  value: number | string | undefined,
  field: string,
  expected: 'integer' | 'number',
  states: StatesBinding,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const result = evaluateTyped(step, thread, value, field, expected, states);
  return typeof result === 'number' ? result : undefined;
}
