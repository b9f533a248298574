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
import type { MapRunStart, ThreadRecord } from '../types.js';
import type { Step } from '../step.js';
import type { Next } from '../flow.js';
import { exitContainer, startChildren } from '../children.js';
import { catchOrFail, errorDetails, tryRetry } from '../flow.js';
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

export interface Tolerance {
  toleratedFailureCount?: number;
  toleratedFailurePercentage?: number;
}

/** How one query language supplies a Map's inputs. */
export interface MapPlan {
  items: Json[];
  maxConcurrency: number;
  /** Read after MapStateStarted, as AWS does: its errors follow that event. */
  tolerance(): { count: number | undefined; percentage: number | undefined };
  itemInput(item: Json, index: number): Json;
  /** No ItemSelector (or Parameters): every item is its own input. */
  identity: boolean;
}

const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

function runtime(message: string): StatesError {
  return new StatesError(StatesErrorName.Runtime, message);
}

/** A `…Path` field that must name a number of the given kind. */
function numberAt(field: string, path: string, input: Json, env: IoEnv, kind: 'integer' | 'float'): number {
  const value = selectPath(path, input, env);
  // AWS reads the value's text as a number, so "1" is as good as 1.
  const number =
    typeof value === 'number' ? value : typeof value === 'string' && NUMBER.test(value) ? Number(value) : NaN;
  if (Number.isNaN(number) || (kind === 'integer' && !Number.isInteger(number))) {
    const shown = typeof value === 'string' ? value : toJsonText(value);
    throw runtime(`The ${field} field refers to value "${shown}" which is not a valid ${kind}: ${path}`);
  }
  return number;
}

function withItem(context: Json, index: number, item: Json): JsonObject {
  const itemContext: JsonObject = isJsonObject(context) ? { ...context } : {};
  itemContext['Map'] = { Item: { Index: index, Value: item } };
  return itemContext;
}

/**
 * `readItems` replaces ItemsPath (or Items) as the source of the items: TestState supplies the
 * items an ItemReader would have read.
 */
export function jsonPathPlan(step: Step, thread: ThreadRecord, state: MapState, readItems?: Json[]): MapPlan {
  const env = step.ioEnv(thread);
  const effective = applyInputPath(state, thread.input, env);
  const items =
    readItems ?? (state.ItemsPath !== undefined ? selectPath(state.ItemsPath, effective, env) : effective);
  if (!Array.isArray(items)) throw runtime(`Reference path "${state.ItemsPath ?? '$'}" must point to array.`);
  let maxConcurrency = typeof state.MaxConcurrency === 'number' ? state.MaxConcurrency : 0;
  if (state.MaxConcurrencyPath !== undefined) {
    maxConcurrency = numberAt('MaxConcurrencyPath', state.MaxConcurrencyPath, effective, env, 'integer');
  }
  const selector = state.ItemSelector ?? state.Parameters;
  return {
    items,
    maxConcurrency,
    identity: selector === undefined,
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
    itemInput: (item, index) => {
      if (selector === undefined) return item;
      let context: JsonObject | undefined;
      return applyPayloadTemplate(
        selector,
        effective,
        () => (context ??= withItem(env.context(), index, item)),
        {
          fieldName: state.ItemSelector !== undefined ? 'ItemSelector' : 'Parameters',
          variables: env.variables,
          intrinsic: env.intrinsic,
        },
      );
    },
  };
}

export function jsonataPlan(step: Step, thread: ThreadRecord, state: MapState, readItems?: Json[]): MapPlan {
  const states = statesBinding(step, thread);
  let items: Json;
  if (readItems !== undefined) {
    items = readItems;
  } else if (state.Items !== undefined) {
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
    identity: selector === undefined,
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

/** The failure thresholds the plan declares, checked; only the ones set are present. */
export function toleranceOf(plan: MapPlan): Tolerance {
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
  return tolerance;
}

export function runMap(step: Step, thread: ThreadRecord, state: MapState): Next {
  const plan = usesJsonata(step, state)
    ? jsonataPlan(step, thread, state)
    : jsonPathPlan(step, thread, state);
  const started = step.emit('MapStateStarted', thread.lastEventId, { length: plan.items.length });
  thread.lastEventId = started;
  step.putThread(thread);

  const tolerance = toleranceOf(plan);

  const processor = state.ItemProcessor ?? state.Iterator;
  if (processor === undefined) throw new Error(`Map state ${thread.stateName} has no ItemProcessor`);
  if (processor.ProcessorConfig?.Mode === 'DISTRIBUTED') {
    const inputs = batched(
      state,
      plan.items.map((item, index) => plan.itemInput(item, index)),
    );
    return startMapRun(step, thread, state, inputs, plan.maxConcurrency, tolerance);
  }
  // Without a selector each item is its input: no array of inputs to build.
  const inputs = plan.identity ? plan.items : plan.items.map((item, index) => plan.itemInput(item, index));
  startChildren(
    step,
    thread,
    { startAt: processor.StartAt, inputs },
    {
      maxConcurrency: plan.maxConcurrency,
      chainEventId: started,
      closeEventId: started,
      ...tolerance,
    },
  );
  return null;
}

/**
 * ItemBatcher: children receive `{ "Items": [...] }` (and `BatchInput` when given) instead of
 * one item each, cut by item count and by size.
 */
export function batched(state: MapState, inputs: Json[]): Json[] {
  const batcher = state.ItemBatcher;
  if (batcher === undefined) return inputs;
  const maxItems = typeof batcher['MaxItemsPerBatch'] === 'number' ? batcher['MaxItemsPerBatch'] : Infinity;
  const maxBytes =
    typeof batcher['MaxInputBytesPerBatch'] === 'number' ? batcher['MaxInputBytesPerBatch'] : Infinity;
  const batchInput = batcher['BatchInput'];
  const batches: Json[] = [];
  let current: Json[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (current.length === 0) return;
    batches.push(batchInput !== undefined ? { BatchInput: batchInput, Items: current } : { Items: current });
    current = [];
    bytes = 0;
  };
  for (const input of inputs) {
    const size = toJsonText(input).length;
    if (current.length >= maxItems || (current.length > 0 && bytes + size > maxBytes)) flush();
    current.push(input);
    bytes += size;
  }
  flush();
  return batches;
}

/** DISTRIBUTED: the items run as child executions of a Map Run the runtime manages. */
function startMapRun(
  step: Step,
  thread: ThreadRecord,
  state: MapState,
  items: Json[],
  maxConcurrency: number,
  tolerance: Tolerance,
): Next {
  const processor = state.ItemProcessor ?? state.Iterator;
  if (processor === undefined) throw new Error(`Map state ${thread.stateName} has no ItemProcessor`);
  const label = state.Label ?? thread.stateName;
  const parentMachine = step.execution.stateMachineArn;
  const mapRunArn = `${parentMachine.replace(':stateMachine:', ':mapRun:')}/${label}:${step.uuid()}`;
  const definition: JsonObject = {
    StartAt: processor.StartAt,
    States: processor.States as unknown as JsonObject,
  };
  const queryLanguage = processor.QueryLanguage ?? step.definition.QueryLanguage;
  if (queryLanguage !== undefined) definition['QueryLanguage'] = queryLanguage;
  thread.lastEventId = step.emit('MapRunStarted', thread.lastEventId, { mapRunArn });
  // Unset tolerances: none tolerated. One set alone: the other must not bind.
  const countSet = tolerance.toleratedFailureCount !== undefined;
  const percentageSet = tolerance.toleratedFailurePercentage !== undefined;
  const start: MapRunStart = {
    mapRunArn,
    executionArn: step.execution.executionArn,
    threadId: thread.id,
    stateMachineArn: `${parentMachine}/${label}`,
    definition: toJsonText(definition),
    executionType: processor.ProcessorConfig?.ExecutionType ?? 'STANDARD',
    items,
    maxConcurrency,
    toleratedFailureCount: tolerance.toleratedFailureCount ?? (percentageSet ? items.length : 0),
    toleratedFailurePercentage: tolerance.toleratedFailurePercentage ?? (countSet ? 100 : 0),
  };
  thread.wait = { kind: 'mapRun', mapRunArn, start };
  step.putThread(thread);
  step.armTimer(thread.id, 'mapRunStart', step.env.now, `${mapRunArn}#start`);
  return null;
}

/** The Map Run ended: the Map succeeds with the children's outputs, or fails with the run's error. */
export function onMapRunEnded(
  step: Step,
  thread: ThreadRecord,
  state: MapState,
  event: { status: 'SUCCEEDED' | 'FAILED'; outputs?: Json[]; error?: string | null; cause?: string | null },
): Next {
  const wait = thread.wait?.kind === 'mapRun' ? thread.wait : undefined;
  thread.wait = null;
  if (event.status === 'SUCCEEDED') {
    const succeeded = step.emit('MapRunSucceeded', thread.lastEventId);
    step.emit('MapStateSucceeded', succeeded);
    thread.lastEventId = succeeded;
    step.putThread(thread);
    exitContainer(step, thread, state, event.outputs ?? []);
    return null;
  }
  const failure = { error: event.error ?? null, cause: event.cause ?? null };
  if (wait !== undefined) step.keepFailedRun(thread, wait);
  thread.lastEventId = step.emit('MapRunFailed', thread.lastEventId, errorDetails(failure));
  step.putThread(thread);
  if (tryRetry(step, thread, state, failure)) return null;
  thread.lastEventId = step.emit('MapStateFailed', thread.lastEventId);
  step.putThread(thread);
  return catchOrFail(step, thread, state, failure);
}
