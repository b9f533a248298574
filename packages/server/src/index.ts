export { startServer, DEFAULTS } from './server.js';
export type { ServerOptions, StepwiseServer } from './server.js';
export type { Store } from './store/types.js';
export { MemoryStore } from './store/memory.js';
export { SqliteStore } from './store/sqlite.js';
