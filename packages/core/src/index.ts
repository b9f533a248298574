export * from './json.js';
export * from './asl/definition.js';
export * from './asl/errors.js';
export * from './engine/types.js';
