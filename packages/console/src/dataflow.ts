/**
 * One state visit's data flow, step by step: raw input → InputPath → Parameters/Arguments →
 * the task result → ResultSelector → ResultPath → OutputPath → output, and the variables it
 * assigned. The history records the raw input, the effective input sent to an activity, the
 * result, the output and the assigned variables; the steps in between are recomputed here with
 * core's own functions (the ones the engine runs), from the recorded values. A step that
 * cannot be recomputed (JSONata, a random or hashing intrinsic, a path that misses) says so;
 * where a recomputed value disagrees with a recorded one, the recorded one is shown, with a
 * warning.
 */
import {
  applyInputPath,
  applyOutputPath,
  applyParameters,
  applyResultPath,
  applyResultSelector,
  buildContext,
  deepEqual,
  errorEqualsMatches,
  evaluateIntrinsic,
  isJsonObject,
} from '@stepwise/core/dataflow';
import type { IoEnv, IoFields, Json, JsonObject } from '@stepwise/core/dataflow';
import type { StateSummary, StateVisit } from './execution-state';
import { NotInBrowserError } from './shims/node-crypto';

export type StepKey =
  'raw' | 'inputPath' | 'parameters' | 'result' | 'resultSelector' | 'resultPath' | 'output' | 'variables';

/**
 * recorded: read from the history; computed: recomputed here; unchanged: the field is absent,
 * so the value passes through; notComputed: could not be derived (the note says why);
 * notApplicable: the state type (or this path through it) has no such step.
 */
export type StepSource = 'recorded' | 'computed' | 'unchanged' | 'notComputed' | 'notApplicable';

export interface FlowStep {
  key: StepKey;
  title: string;
  source: StepSource;
  /** JSON text. */
  value?: string;
  note?: string;
  /** The recomputed value disagreed with the recorded one (which is `value`). */
  mismatch?: string;
}

export interface FlowExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input?: string | undefined;
  /** Epoch seconds. */
  startDate: number;
  redriveCount?: number | undefined;
  roleArn?: string | undefined;
}

class NotReproducibleError extends Error {}

/** A state's definition anywhere in the machine (names are unique across branches). */
export function findState(definition: unknown, name: string): JsonObject | undefined {
  if (!isJsonObject(definition)) return undefined;
  const states = definition['States'];
  if (isJsonObject(states)) {
    const own = states[name];
    if (isJsonObject(own)) return own;
    for (const state of Object.values(states)) {
      if (!isJsonObject(state)) continue;
      const branches = state['Branches'];
      const nested: Json[] = [
        ...(Array.isArray(branches) ? branches : []),
        state['ItemProcessor'] ?? null,
        state['Iterator'] ?? null,
      ];
      for (const child of nested) {
        const found = findState(child, name);
        if (found !== undefined) return found;
      }
    }
  }
  return undefined;
}

/** The variables assigned by visits that exited before this one was entered, in order. */
export function variablesBefore(
  summaries: ReadonlyMap<string, StateSummary>,
  enteredId: number,
): Map<string, Json> {
  const assigned: { at: number; values: Record<string, unknown> }[] = [];
  for (const summary of summaries.values())
    for (const v of summary.visits) {
      const at = v.eventIds[v.eventIds.length - 1] ?? v.enteredId;
      if (v.assignedVariables !== undefined && at < enteredId)
        assigned.push({ at, values: v.assignedVariables });
    }
  assigned.sort((a, b) => a.at - b.at);
  const variables = new Map<string, Json>();
  for (const { values } of assigned)
    for (const [name, text] of Object.entries(values)) {
      const value = typeof text === 'string' ? parse(text) : undefined;
      if (value !== undefined) variables.set(name, value.value);
    }
  return variables;
}

function parse(text: string | undefined): { value: Json } | undefined {
  if (text === undefined) return undefined;
  try {
    return { value: JSON.parse(text) as Json };
  } catch {
    return undefined;
  }
}

const show = (value: Json): string => JSON.stringify(value);

function reason(error: unknown): string {
  if (error instanceof NotInBrowserError || (error instanceof Error && error.name === 'NotInBrowserError'))
    return 'Not computed in the browser: it uses States.Hash.';
  // States.Base64Encode/Decode use Node's Buffer, which the browser lacks: not polyfilled.
  if (error instanceof ReferenceError && /Buffer/.test(error.message))
    return 'Not computed in the browser: it uses States.Base64Encode or States.Base64Decode.';
  if (error instanceof NotReproducibleError) return `Not recomputed: ${error.message}.`;
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return `Could not recompute it: ${error.name}${typeof cause === 'string' ? ` — ${cause}` : ` — ${error.message}`}`;
  }
  return `Could not recompute it: ${String(error)}`;
}

const STEP_TITLES: Record<StepKey, string> = {
  raw: '1. Raw input',
  inputPath: '2. After InputPath',
  parameters: '3. After Parameters',
  result: '4. Task result',
  resultSelector: '5. After ResultSelector',
  resultPath: '6. After ResultPath',
  output: '7. Output (after OutputPath)',
  variables: '8. Assigned variables',
};

/** The value fed to the next step, or why there is none. */
type Carried = { ok: true; value: Json } | { ok: false; why: string };

export function dataFlow(options: {
  definition: unknown;
  visit: StateVisit;
  execution: FlowExecution | undefined;
  variables: ReadonlyMap<string, Json>;
}): FlowStep[] {
  const { visit } = options;
  const state = findState(options.definition, visit.name) ?? {};
  const type = typeof state['Type'] === 'string' ? state['Type'] : '?';
  const topLanguage = isJsonObject(options.definition) ? options.definition['QueryLanguage'] : undefined;
  const jsonata = (state['QueryLanguage'] ?? topLanguage) === 'JSONata';
  const fields = state as IoFields;
  const steps: FlowStep[] = [];
  const add = (key: StepKey, step: Omit<FlowStep, 'key' | 'title'>, title?: string): void => {
    steps.push({ key, title: title ?? STEP_TITLES[key], ...step });
  };
  const na = (key: StepKey, note: string, title?: string): void =>
    add(key, { source: 'notApplicable', note }, title);

  // The environment the engine gives the state's paths: its context object, the variables in
  // scope, the intrinsics (random ones cannot be replayed, States.Hash has no browser crypto).
  let context: JsonObject | undefined;
  const env: IoEnv = {
    context: () => {
      const e = options.execution;
      if (e === undefined) throw new NotReproducibleError('the execution is not loaded yet');
      context ??= buildContext(
        {
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          stateMachineName: e.stateMachineArn.split(':').pop() ?? '',
          name: e.name,
          roleArn: e.roleArn ?? '',
          input: parse(e.input)?.value ?? {},
          startDate: Math.round(e.startDate * 1000),
          status: 'RUNNING',
          nextEventId: 0,
          redriveCount: e.redriveCount ?? 0,
        },
        {
          stateName: visit.name,
          enteredTime: Math.round(visit.enteredAt * 1000),
          ...(type === 'Task' ? { retryCount: visit.retries } : {}),
        },
      );
      return context;
    },
    variables: (name) => options.variables.get(name),
    intrinsic: (expression, resolvePath) =>
      evaluateIntrinsic(expression, resolvePath, {
        random: () => {
          throw new NotReproducibleError('States.MathRandom is random');
        },
        uuid: () => {
          throw new NotReproducibleError('States.UUID is random');
        },
      }),
  };
  const run = (input: Carried, f: (value: Json) => Json): Carried => {
    if (!input.ok) return { ok: false, why: 'An earlier step could not be derived.' };
    try {
      return { ok: true, value: f(input.value) };
    } catch (error) {
      return { ok: false, why: reason(error) };
    }
  };
  /** A step with a recomputed value and maybe a recorded one: the record wins. */
  const settle = (
    key: StepKey,
    computed: Carried,
    recorded: string | undefined,
    unchangedNote: string | undefined,
    title?: string,
  ): Carried => {
    const rec = parse(recorded);
    if (recorded !== undefined && rec !== undefined) {
      const step: FlowStep = { key, title: title ?? STEP_TITLES[key], source: 'recorded', value: recorded };
      if (computed.ok && !deepEqual(computed.value, rec.value)) {
        step.mismatch = show(computed.value);
        step.note = 'The recomputed value differs from the recorded one; the recorded one is shown.';
      } else if (!computed.ok) step.note = computed.why;
      steps.push(step);
      return { ok: true, value: rec.value };
    }
    if (computed.ok)
      add(
        key,
        {
          source: unchangedNote !== undefined ? 'unchanged' : 'computed',
          value: show(computed.value),
          ...(unchangedNote !== undefined ? { note: unchangedNote } : {}),
        },
        title,
      );
    else add(key, { source: 'notComputed', note: computed.why }, title);
    return computed;
  };

  const rawParsed = parse(visit.input);
  const raw: Carried =
    rawParsed !== undefined
      ? { ok: true, value: rawParsed.value }
      : { ok: false, why: 'No raw input recorded.' };
  add(
    'raw',
    visit.input !== undefined
      ? { source: 'recorded', value: visit.input }
      : { source: 'notComputed', note: 'Not recorded.' },
  );

  const variablesStep = (): void => {
    if (visit.assignedVariables !== undefined) {
      const shown: Record<string, Json> = {};
      for (const [name, text] of Object.entries(visit.assignedVariables))
        shown[name] = typeof text === 'string' ? (parse(text)?.value ?? text) : (text as Json);
      add('variables', { source: 'recorded', value: show(shown) });
    } else
      add('variables', {
        source: 'notApplicable',
        note: visit.exitedAt === undefined ? 'Not exited yet.' : 'None assigned.',
      });
  };
  const outputStep = (computed: Carried, note?: string): void => {
    if (visit.output === undefined) {
      add('output', {
        source: 'notApplicable',
        note: visit.exitedAt === undefined ? 'Not exited yet.' : 'No output recorded.',
      });
      return;
    }
    settle('output', computed, visit.output, undefined);
    if (note !== undefined) {
      const last = steps[steps.length - 1];
      if (last !== undefined && last.mismatch === undefined) last.note = note;
    }
  };

  if (type === 'Fail') {
    for (const key of [
      'inputPath',
      'parameters',
      'result',
      'resultSelector',
      'resultPath',
      'output',
    ] as const)
      na(key, 'A Fail state has no output: it ends the execution (or its branch) with its Error and Cause.');
    variablesStep();
    return steps;
  }

  if (jsonata) {
    na('inputPath', 'JSONata states have no InputPath.');
    if (visit.effectiveInput !== undefined)
      add('parameters', { source: 'recorded', value: visit.effectiveInput }, '3. After Arguments');
    else if (state['Arguments'] === undefined && (type === 'Task' || type === 'Parallel'))
      add(
        'parameters',
        raw.ok
          ? { source: 'unchanged', value: show(raw.value), note: 'No Arguments: the raw input.' }
          : { source: 'notComputed', note: raw.why },
        '3. After Arguments',
      );
    else if (type === 'Task' || type === 'Parallel' || type === 'Map')
      add(
        'parameters',
        {
          source: 'notComputed',
          note: 'Arguments is a JSONata expression: it is not evaluated in the browser.',
        },
        '3. After Arguments',
      );
    else na('parameters', `${type} states have no Arguments.`, '3. After Arguments');
    resultStep(null);
    na('resultSelector', 'JSONata states have no ResultSelector.');
    na('resultPath', 'JSONata states have no ResultPath: Output says what leaves the state.');
    outputStep(
      { ok: false, why: 'Output is a JSONata expression: it is not evaluated in the browser.' },
      'Recorded. Output is a JSONata expression: it is not recomputed in the browser.',
    );
    variablesStep();
    return steps;
  }

  // JSONPath.
  const afterInputPath = settle(
    'inputPath',
    run(raw, (v) => applyInputPath(fields, v, env)),
    undefined,
    fields.InputPath === undefined ? 'No InputPath: the raw input.' : undefined,
  );
  const hasParameters = type === 'Task' || type === 'Pass' || type === 'Parallel';
  let effective = afterInputPath;
  if (hasParameters) {
    effective = settle(
      'parameters',
      run(afterInputPath, (v) => applyParameters(fields, v, env)),
      visit.effectiveInput,
      fields.Parameters === undefined ? 'No Parameters: unchanged.' : undefined,
      type === 'Task' ? '3. After Parameters (sent to the resource)' : undefined,
    );
  } else if (type === 'Map') {
    na(
      'parameters',
      'A Map state applies ItemSelector (or Parameters) to each item: see its iterations.',
      '3. After ItemSelector',
    );
  } else na('parameters', `${type} states have no Parameters.`);

  // A visit that failed and moved on through a Catch: the error output replaces the result.
  const lastFailure = visit.failures[visit.failures.length - 1];
  const caught = visit.result === undefined && lastFailure !== undefined && visit.exitedAt !== undefined;
  if (caught) {
    const failure = { error: lastFailure.error ?? null, cause: lastFailure.cause ?? null };
    const errorOutput: Json = { Error: failure.error, Cause: failure.cause };
    add(
      'result',
      {
        source: 'recorded',
        value: show(errorOutput),
        note: `${lastFailure.type}: caught; this is the error output.`,
      },
      '4. Error output (caught)',
    );
    na('resultSelector', 'Not applied to a caught error.');
    const catchers = Array.isArray(state['Catch']) ? state['Catch'] : [];
    const catcher = catchers.find(
      (c): c is JsonObject =>
        isJsonObject(c) &&
        Array.isArray(c['ErrorEquals']) &&
        errorEqualsMatches(
          c['ErrorEquals'].filter((e): e is string => typeof e === 'string'),
          failure,
        ),
    );
    const resultPath = catcher?.['ResultPath'];
    const afterResultPath =
      catcher === undefined
        ? ({ ok: false, why: 'No Catch of this state matches the error.' } as Carried)
        : run(raw, (v) =>
            applyResultPath(
              typeof resultPath === 'string' || resultPath === null ? resultPath : undefined,
              v,
              errorOutput,
            ),
          );
    settle('resultPath', afterResultPath, undefined, undefined, "6. After the Catch's ResultPath");
    outputStep(
      afterResultPath,
      "Recorded. A Catch applies no OutputPath: this is the raw input with the error output at the catcher's ResultPath.",
    );
    variablesStep();
    return steps;
  }

  const result = resultStep(effective);
  const hasResultSelector = type === 'Task' || type === 'Parallel' || type === 'Map';
  const hasResultPath = hasResultSelector || type === 'Pass';
  let value: Carried;
  if (hasResultPath) {
    const selected = hasResultSelector
      ? settle(
          'resultSelector',
          run(result, (v) => applyResultSelector(fields, v, env)),
          undefined,
          fields.ResultSelector === undefined ? 'No ResultSelector: the result as it is.' : undefined,
        )
      : (na('resultSelector', `${type} states have no ResultSelector.`), result);
    const resultPath = fields.ResultPath;
    value = settle(
      'resultPath',
      raw.ok && selected.ok
        ? run(selected, (v) => applyResultPath(resultPath, raw.value, v))
        : { ok: false, why: raw.ok ? (selected.ok ? '' : selected.why) : raw.why },
      undefined,
      undefined,
    );
    const last = steps[steps.length - 1];
    if (last !== undefined && last.source === 'computed')
      last.note =
        resultPath === undefined
          ? 'No ResultPath: the result replaces the input.'
          : resultPath === null
            ? 'ResultPath null: the result is discarded, the raw input passes on.'
            : `The result placed at ${resultPath} in the raw input.`;
  } else {
    na('resultSelector', `${type} states have no ResultSelector.`);
    na('resultPath', `${type} states have no ResultPath.`);
    value = effective;
  }
  outputStep(run(value, (v) => applyOutputPath(fields, v, env)));
  variablesStep();
  return steps;

  function resultStep(effectiveInput: Carried | null): Carried {
    if (type === 'Pass') {
      if (effectiveInput === null) {
        na('result', 'Pass states have no result.');
        return { ok: false, why: 'No result.' };
      }
      if (state['Result'] !== undefined) {
        add(
          'result',
          { source: 'unchanged', value: show(state['Result']), note: "The state's Result field." },
          '4. Result',
        );
        return { ok: true, value: state['Result'] };
      }
      if (effectiveInput.ok)
        add(
          'result',
          { source: 'unchanged', value: show(effectiveInput.value), note: 'No Result: the effective input.' },
          '4. Result',
        );
      else add('result', { source: 'notComputed', note: effectiveInput.why }, '4. Result');
      return effectiveInput;
    }
    if (type !== 'Task' && type !== 'Parallel' && type !== 'Map') {
      na('result', `${type} states do no work.`);
      return { ok: false, why: 'No result.' };
    }
    const recorded = parse(visit.result);
    if (visit.result !== undefined && recorded !== undefined) {
      add('result', { source: 'recorded', value: visit.result });
      return { ok: true, value: recorded.value };
    }
    const why =
      visit.exitedAt === undefined
        ? 'No result yet.'
        : type === 'Task'
          ? 'No result recorded.'
          : `A ${type} state's result (its ${type === 'Map' ? 'iterations' : 'branches'}' outputs in order) is not recorded as one event.`;
    add('result', { source: 'notComputed', note: why });
    return { ok: false, why };
  }
}
