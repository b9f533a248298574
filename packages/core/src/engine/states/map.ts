/**
 * Map (inline): each item runs the ItemProcessor as its own thread; MaxConcurrency bounds how
 * many run at once; the result is the iterations' outputs in item order. The two query
 * languages differ only in how the items, the per-item input and the numbers are obtained.
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
import {
  EvaluationError,
  evaluateField,
  evaluateTyped,
  numberField,
  statesBinding,
  usesJsonata,
} from '../jsonata-io.js';

interface Tolerance {
  toleratedFailureCount?: number;
  toleratedFailurePercentage?: number;
}

/** How one query language supplies a Map's inputs. */
interface MapPlan {
  items: Json[];
  maxConcurrency: number;
  /** Read after MapStateStarted, as AWS does: its errors follow that event. */
  tolerance(): { count: number | undefined; percentage: number | undefined };
  itemInput(item: Json, index: number): Json;
}

function runtime(message: string): StatesError {
  return new StatesError(StatesErrorName.Runtime, message);
}

/** A `…Path` field that must name a number of the given kind. */
function numberAt(field: string, path: string, input: Json, env: IoEnv, kind: 'integer' | 'float'): number {
  const value = selectPath(path, input, env);
  if (typeof value !== 'number' || (kind === 'integer' && !Number.isInteger(value))) {
    const shown = typeof value === 'string' ? value : toJsonText(value);
    throw runtime(`The ${field} field refers to value "${shown}" which is not a valid ${kind}: ${path}`);
  }
  return value;
}

function withItem(context: Json, index: number, item: Json): JsonObject {
  const itemContext: JsonObject = isJsonObject(context) ? { ...context } : {};
  itemContext['Map'] = { Item: { Index: index, Value: item } };
  return itemContext;
}

function jsonPathPlan(step: Step, thread: ThreadRecord, state: MapState): MapPlan {
  const env = step.ioEnv(thread);
  const effective = applyInputPath(state, thread.input, env);
  const items = state.ItemsPath !== undefined ? selectPath(state.ItemsPath, effective, env) : effective;
  if (!Array.isArray(items)) throw runtime(`Reference path "${state.ItemsPath ?? '$'}" must point to array.`);
  let maxConcurrency = typeof state.MaxConcurrency === 'number' ? state.MaxConcurrency : 0;
  if (state.MaxConcurrencyPath !== undefined) {
    maxConcurrency = numberAt('MaxConcurrencyPath', state.MaxConcurrencyPath, effective, env, 'integer');
  }
  const selector = state.ItemSelector ?? state.Parameters;
  return {
    items,
    maxConcurrency,
    tolerance: () => ({
      count:
        state.ToleratedFailureCountPath !== undefined
          ? numberAt('ToleratedFailureCountPath', state.ToleratedFailureCountPath, effective, env, 'integer')
          : typeof state.ToleratedFailureCount === 'number'
            ? state.ToleratedFailureCount
            : undefined,
      percentage:
        state.ToleratedFailurePercentagePath !== undefined
          ? numberAt(
              'ToleratedFailurePercentagePath',
              state.ToleratedFailurePercentagePath,
              effective,
              env,
              'float',
            )
          : typeof state.ToleratedFailurePercentage === 'number'
            ? state.ToleratedFailurePercentage
            : undefined,
    }),
    itemInput: (item, index) =>
      selector === undefined
        ? item
        : applyPayloadTemplate(selector, effective, withItem(env.context, index, item), {
            fieldName: state.ItemSelector !== undefined ? 'ItemSelector' : 'Parameters',
            variables: env.variables,
            intrinsic: env.intrinsic,
          }),
  };
}

function jsonataPlan(step: Step, thread: ThreadRecord, state: MapState): MapPlan {
  const states = statesBinding(step, thread);
  let items: Json;
  if (state.Items !== undefined) {
    items = evaluateTyped(step, thread, state.Items, 'Items', 'array', states);
  } else {
    items = thread.input;
    if (!Array.isArray(items)) {
      throw new EvaluationError(`Map state input must be an array but was: ${toJsonText(items)}`);
    }
  }
  const list = Array.isArray(items) ? items : [];
  const maxConcurrency =
    numberField(step, thread, state.MaxConcurrency, 'MaxConcurrency', 'integer', states) ?? 0;
  const selector = state.ItemSelector;
  return {
    items: list,
    maxConcurrency,
    tolerance: () => ({
      count: numberField(
        step,
        thread,
        state.ToleratedFailureCount,
        'ToleratedFailureCount',
        'integer',
        states,
      ),
      percentage: numberField(
        step,
        thread,
        state.ToleratedFailurePercentage,
        'ToleratedFailurePercentage',
        'number',
        states,
      ),
    }),
    itemInput: (item, index) =>
      selector === undefined
        ? item
        : evaluateField(step, thread, selector, 'ItemSelector', {
            ...states,
            context: withItem(states.context, index, item),
          }),
  };
}

export function runMap(step: Step, thread: ThreadRecord, state: MapState): Next {
  const plan = usesJsonata(step, state)
    ? jsonataPlan(step, thread, state)
    : jsonPathPlan(step, thread, state);
  const started = step.emit('MapStateStarted', thread.lastEventId, { length: plan.items.length });
  thread.lastEventId = started;
  step.putThread(thread);

  const { count, percentage } = plan.tolerance();
  const tolerance: Tolerance = {};
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
  const children = plan.items.map((item, index) => ({
    startAt: processor.StartAt,
    input: plan.itemInput(item, index),
  }));
  startChildren(step, thread, children, {
    maxConcurrency: plan.maxConcurrency,
    chainEventId: started,
    closeEventId: started,
    ...tolerance,
  });
  return null;
}
