export * from './json.js';
export * from './asl/definition.js';
export * from './asl/errors.js';
export { validateDefinition, formatInvalidDefinition } from './asl/validate.js';
export type { Diagnostic, DiagnosticSeverity, ValidationResult } from './asl/validate.js';
export * from './engine/types.js';
export { transition, ROOT_THREAD } from './engine/transition.js';
export { DEFAULT_LIMITS } from './engine/step.js';
export type { EngineLimits } from './engine/step.js';
export { decodeTaskToken } from './engine/tokens.js';
export { isActivityArn } from './engine/states/task.js';
export { unsupportedFeatures } from './engine/support.js';
export { buildGraph, describeChoiceRule, allNodes } from './asl/graph.js';
export type { GraphNode, GraphEdge, GraphEdgeKind, GraphGroup } from './asl/graph.js';
export { testState, TestStateRejected } from './engine/test-state.js';
export type {
  InspectionData,
  InspectionErrorDetails,
  InspectionLevel,
  TestStateEnvironment,
  TestStateIdentity,
  TestStateRequest,
  TestStateResult,
  TestStateStatus,
} from './engine/test-state.js';
