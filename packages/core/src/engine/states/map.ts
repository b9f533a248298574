/**
 * Map (inline): each item runs the ItemProcessor as its own thread; MaxConcurrency bounds how
 * many run at once; the result is the iterations' outputs in item order.
 */
import type { Json, JsonObject } from '../../json.js';
import { isJsonObject, toJsonText } from '../../json.js';
import type { MapState } from '../../asl/definition.js';
import { StatesError, StatesErrorName } from '../../asl/errors.js';
import { applyPayloadTemplate } from '../../asl/payload.js';
import type { ThreadRecord } from '../types.js';
import type { Step } from '../step.js';
import type { Next } from '../flow.js';
import { startChildren } from '../children.js';
import { applyInputPath, selectPath } from '../io.js';
import type { IoEnv } from '../io.js';

function runtime(message: string): StatesError {
  return new StatesError(StatesErrorName.Runtime, message);
}

/** A `…Path` field that must name a number of the given kind. */
function numberAt(
  field: string,
  path: string,
  input: Json,
  env: IoEnv,
  kind: 'integer' | 'float',
): number {
  const value = selectPath(path, input, env);
  if (typeof value !== 'number' || (kind === 'integer' && !Number.isInteger(value))) {
    const shown = typeof value === 'string' ? value : toJsonText(value);
    throw runtime(`The ${field} field refers to value "${shown}" which is not a valid ${kind}: ${path}`);
  }
  return value;
}

export function runMap(step: Step, thread: ThreadRecord, state: MapState): Next {
  const env = step.ioEnv(thread);
  const effective = applyInputPath(state, thread.input, env);
  const items = state.ItemsPath !== undefined ? selectPath(state.ItemsPath, effective, env) : effective;
  if (!Array.isArray(items)) throw runtime(`Reference path "${state.ItemsPath ?? '$'}" must point to array.`);
  let maxConcurrency = typeof state.MaxConcurrency === 'number' ? state.MaxConcurrency : 0;
  if (state.MaxConcurrencyPath !== undefined) {
    maxConcurrency = numberAt(
      'MaxConcurrencyPath',
      state.MaxConcurrencyPath,
      effective,
      env,
      'integer',
    );
  }
  const started = step.emit('MapStateStarted', thread.lastEventId, { length: items.length });
  thread.lastEventId = started;
  step.putThread(thread);

  const tolerance: { toleratedFailureCount?: number; toleratedFailurePercentage?: number } = {};
  let count = typeof state.ToleratedFailureCount === 'number' ? state.ToleratedFailureCount : undefined;
  if (state.ToleratedFailureCountPath !== undefined) {
    count = numberAt(
      'ToleratedFailureCountPath',
      state.ToleratedFailureCountPath,
      effective,
      env,
      'integer',
    );
  }
  let percentage =
    typeof state.ToleratedFailurePercentage === 'number' ? state.ToleratedFailurePercentage : undefined;
  if (state.ToleratedFailurePercentagePath !== undefined) {
    percentage = numberAt(
      'ToleratedFailurePercentagePath',
      state.ToleratedFailurePercentagePath,
      effective,
      env,
      'float',
    );
  }
  if (count !== undefined) {
    if (count < 0) throw runtime('ToleratedFailureCount cannot be negative.');
    tolerance.toleratedFailureCount = count;
  }
  if (percentage !== undefined) {
    if (percentage < 0 || percentage > 100)
      throw runtime('ToleratedFailurePercentage must be between 0 and 100.');
    tolerance.toleratedFailurePercentage = percentage;
  }

  const processor = state.ItemProcessor ?? state.Iterator;
  if (processor === undefined) throw new Error(`Map state ${thread.stateName} has no ItemProcessor`);
  const selector = state.ItemSelector ?? state.Parameters;
  const context = env.context;
  const children = items.map((item, index) => {
    let input: Json = item;
    if (selector !== undefined) {
      const itemContext: JsonObject = isJsonObject(context) ? { ...context } : {};
      itemContext['Map'] = { Item: { Index: index, Value: item } };
      input = applyPayloadTemplate(selector, effective, itemContext, {
        fieldName: state.ItemSelector !== undefined ? 'ItemSelector' : 'Parameters',
        variables: env.variables,
        intrinsic: env.intrinsic,
      });
    }
    return { startAt: processor.StartAt, input };
  });
  startChildren(step, thread, children, {
    maxConcurrency,
    chainEventId: started,
    closeEventId: started,
    ...tolerance,
  });
  return null;
}
