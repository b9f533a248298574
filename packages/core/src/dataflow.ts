/**
 * The per-state data flow, for callers outside the engine (the console recomputes the steps
 * the history does not record: after InputPath, after Parameters, after ResultSelector, after
 * ResultPath). Only pure modules are re-exported here; `asl/intrinsics.js` imports
 * `node:crypto` for States.Hash alone, so a browser bundle maps that import to a stub that
 * refuses (the console shows such a step as "not computed in the browser").
 */
export type { Json, JsonObject } from './json.js';
export { isJsonObject, toJsonText } from './json.js';
export type { IoEnv, IoFields } from './engine/io.js';
export {
  applyInputPath,
  applyOutputPath,
  applyParameters,
  applyResultPath,
  applyResultSelector,
} from './engine/io.js';
export type { StateView } from './engine/context.js';
export { buildContext } from './engine/context.js';
export type { ExecutionSnapshot } from './engine/types.js';
export type { IntrinsicEnv } from './asl/intrinsics.js';
export { evaluateIntrinsic } from './asl/intrinsics.js';
export { deepEqual } from './asl/jsonpath.js';
export type { VariableLookup } from './asl/jsonpath.js';
export { StatesError } from './asl/errors.js';
export type { Failure } from './asl/errors.js';
export { errorEqualsMatches } from './asl/errors.js';
