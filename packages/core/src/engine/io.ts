/**
 * The JSONPath half of the per-state pipeline, written once: InputPath → Parameters →
 * (the state's work) → ResultSelector → ResultPath → OutputPath. State handlers only supply
 * the work in the middle.
 */
import type { Json, JsonObject } from '../json.js';
import type { VariableLookup } from '../asl/jsonpath.js';
import { evaluatePath, PathError, pathMissCause, setAtReferencePath } from '../asl/jsonpath.js';
import { applyPayloadTemplate } from '../asl/payload.js';
import { StatesError, StatesErrorName } from '../asl/errors.js';

export interface IoFields {
  InputPath?: string | null;
  OutputPath?: string | null;
  Parameters?: Json;
  ResultSelector?: JsonObject;
  ResultPath?: string | null;
}

export interface IoEnv {
  /** The Context Object, built on first use. */
  context: () => Json;
  /** Workflow variables visible to the thread (its own scope, then enclosing ones). */
  variables: VariableLookup;
  intrinsic: (expression: string, resolvePath: (path: string) => Json) => Json;
}

/** A path read whose miss is AWS's States.Runtime "Invalid path" error. */
export function selectPath(path: string, value: Json, env: Pick<IoEnv, 'context' | 'variables'>): Json {
  try {
    return evaluatePath(path, value, env.context, env.variables);
  } catch (error) {
    if (error instanceof PathError) {
      throw new StatesError(StatesErrorName.Runtime, pathMissCause(path, value, env.context, env.variables));
    }
    throw error;
  }
}

/** InputPath: absent keeps the input, `null` gives `{}`. */
export function applyInputPath(fields: IoFields, raw: Json, env: IoEnv): Json {
  if (fields.InputPath === undefined) return raw;
  if (fields.InputPath === null) return {};
  return selectPath(fields.InputPath, raw, env);
}

export function applyParameters(fields: IoFields, effective: Json, env: IoEnv): Json {
  if (fields.Parameters === undefined) return effective;
  return applyPayloadTemplate(fields.Parameters, effective, env.context, {
    fieldName: 'Parameters',
    variables: env.variables,
    intrinsic: env.intrinsic,
  });
}

export function applyResultSelector(fields: IoFields, result: Json, env: IoEnv): Json {
  if (fields.ResultSelector === undefined) return result;
  return applyPayloadTemplate(fields.ResultSelector, result, env.context, {
    fieldName: 'ResultSelector',
    variables: env.variables,
    intrinsic: env.intrinsic,
  });
}

/** ResultPath: absent replaces the input with the result, `null` discards the result. */
export function applyResultPath(resultPath: string | null | undefined, raw: Json, result: Json): Json {
  if (resultPath === undefined) return result;
  if (resultPath === null) return raw;
  return setAtReferencePath(raw, resultPath, result);
}

/** OutputPath: absent keeps the value, `null` gives `{}`. */
export function applyOutputPath(fields: IoFields, value: Json, env: IoEnv): Json {
  if (fields.OutputPath === undefined) return value;
  if (fields.OutputPath === null) return {};
  return selectPath(fields.OutputPath, value, env);
}
