import type { EngineLimits } from '@stepwise/core';
import type { Store } from '../../store/types.js';
import type { MemoryStore } from '../../store/memory.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { ArnScope } from '../arn.js';
import type { RequestContext } from '../http.js';
import type { Input } from '../input.js';

/** What every operation may use: the store to read, the runtime to change executions. */
export interface ServiceContext {
  store: Store;
  runtime: Runtime;
  /** Where EXPRESS executions run: in memory, forgotten once their caller has the result. */
  express: { runtime: Runtime; store: MemoryStore };
  scope: ArnScope;
  now(): number;
  /** The engine's limits, where the server was given its own (TestState applies them too). */
  limits?: EngineLimits;
}

export type Operation = (
  service: ServiceContext,
  input: Input,
  request: RequestContext,
) => Promise<Record<string, unknown>>;
