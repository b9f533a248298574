/**
 * Per-state checks of the definition validator, and the walk over `StartAt`/`States` blocks
 * (the machine, each Parallel branch, each Map processor).
 */
import type { Json, JsonObject } from '../json.js';
import type { QueryLanguage, StateType } from './definition.js';
import { STATE_TYPES } from './definition.js';
import type { Context, Scope } from './validate-context.js';
import { Code, isRfc3339 } from './validate-context.js';

type Lang = 'both' | 'JSONPath' | 'JSONata';

const JP: Lang = 'JSONPath';
const JA: Lang = 'JSONata';
const BOTH: Lang = 'both';

const COMMON: Record<string, Lang> = { Type: BOTH, Comment: BOTH, QueryLanguage: BOTH };
const IO: Record<string, Lang> = { InputPath: JP, OutputPath: JP };
const FLOW: Record<string, Lang> = { Next: BOTH, End: BOTH };

/** The fields each state type accepts, and in which query language (inventory §2.2). */
const STATE_FIELDS: Record<StateType, Record<string, Lang>> = {
  Pass: { ...IO, ...FLOW, Result: JP, ResultPath: JP, Parameters: JP, Output: JA, Assign: BOTH },
  Task: {
    ...IO,
    ...FLOW,
    Resource: BOTH,
    Credentials: BOTH,
    Parameters: JP,
    ResultSelector: JP,
    ResultPath: JP,
    Arguments: JA,
    Output: JA,
    Assign: BOTH,
    Retry: BOTH,
    Catch: BOTH,
    TimeoutSeconds: BOTH,
    TimeoutSecondsPath: JP,
    HeartbeatSeconds: BOTH,
    HeartbeatSecondsPath: JP,
  },
  Wait: {
    ...IO,
    ...FLOW,
    Output: JA,
    Assign: BOTH,
    Seconds: BOTH,
    Timestamp: BOTH,
    SecondsPath: JP,
    TimestampPath: JP,
  },
  Parallel: {
    ...IO,
    ...FLOW,
    Branches: BOTH,
    Parameters: JP,
    ResultSelector: JP,
    ResultPath: JP,
    Arguments: JA,
    Output: JA,
    Assign: BOTH,
    Retry: BOTH,
    Catch: BOTH,
  },
  Map: {
    ...IO,
    ...FLOW,
    ItemProcessor: BOTH,
    Iterator: BOTH,
    ItemsPath: JP,
    Items: JA,
    ItemSelector: BOTH,
    Parameters: JP,
    ResultSelector: JP,
    ResultPath: JP,
    Output: JA,
    Assign: BOTH,
    Retry: BOTH,
    Catch: BOTH,
    MaxConcurrency: BOTH,
    MaxConcurrencyPath: JP,
    ToleratedFailurePercentage: BOTH,
    ToleratedFailurePercentagePath: JP,
    ToleratedFailureCount: BOTH,
    ToleratedFailureCountPath: JP,
    ItemReader: BOTH,
    ItemBatcher: BOTH,
    ResultWriter: BOTH,
    Label: BOTH,
  },
  Choice: { ...IO, Choices: BOTH, Default: BOTH, Output: JA, Assign: BOTH },
  Succeed: { ...IO, Output: JA },
  Fail: { Error: BOTH, Cause: BOTH, ErrorPath: JP, CausePath: JP },
};

const RETRIER_FIELDS: Record<string, Lang> = {
  ErrorEquals: BOTH,
  IntervalSeconds: BOTH,
  MaxAttempts: BOTH,
  BackoffRate: BOTH,
  MaxDelaySeconds: BOTH,
  JitterStrategy: BOTH,
  Comment: BOTH,
};

const CATCHER_FIELDS: Record<string, Lang> = {
  ErrorEquals: BOTH,
  Next: BOTH,
  ResultPath: JP,
  Output: JA,
  Assign: BOTH,
  Comment: BOTH,
};

type ComparatorKind = 'string' | 'number' | 'boolean' | 'timestamp' | 'path';

const COMPARATORS: Record<string, ComparatorKind> = {};
for (const op of ['Equals', 'LessThan', 'GreaterThan', 'LessThanEquals', 'GreaterThanEquals']) {
  COMPARATORS[`String${op}`] = 'string';
  COMPARATORS[`String${op}Path`] = 'path';
  COMPARATORS[`Numeric${op}`] = 'number';
  COMPARATORS[`Numeric${op}Path`] = 'path';
  COMPARATORS[`Timestamp${op}`] = 'timestamp';
  COMPARATORS[`Timestamp${op}Path`] = 'path';
}
COMPARATORS['StringMatches'] = 'string';
COMPARATORS['BooleanEquals'] = 'boolean';
COMPARATORS['BooleanEqualsPath'] = 'path';
for (const test of ['IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp']) {
  COMPARATORS[test] = 'boolean';
}
const COMPARATOR_NAMES = Object.keys(COMPARATORS);

const RULE_SELECTORS = ['And', 'Or', 'Not', 'Variable', 'Condition'] as const;

/** Characters AWS refuses in a Map Label (the name becomes part of child execution ARNs). */
const LABEL_FORBIDDEN = /[\s!"#$%&*,:;<>?[\\\]^`{|}~\u0000-\u001f\u007f-\u009f]/u;

const NO_FIELDS: Record<string, Lang> = {};

/** Validate one `StartAt`/`States` block and register it as a transition scope. */
export function validateScope(
  ctx: Context,
  obj: JsonObject,
  base: string,
  extraFields: Record<string, Lang>,
): void {
  const scope: Scope = {
    base,
    startAt: undefined,
    names: [],
    nameSet: new Set(),
    edges: new Map(),
    hasTerminal: false,
    hasStates: false,
  };
  ctx.scopes.push(scope);
  const where = base === '' ? '/' : base;

  ctx.required(obj, ['StartAt', 'States'], where);
  for (const key of Object.keys(obj)) {
    if (key !== 'StartAt' && key !== 'States' && key !== 'Comment' && extraFields[key] === undefined) {
      ctx.unsupported(key, where);
    }
  }
  ctx.string(obj['Comment'], `${base}/Comment`);
  if (ctx.string(obj['StartAt'], `${base}/StartAt`)) scope.startAt = obj['StartAt'];

  const states = obj['States'];
  if (!ctx.object(states, `${base}/States`)) return;
  scope.hasStates = true;
  for (const name of ctx.duplicates.get(states) ?? []) {
    ctx.error(Code.DuplicateStateName, `Duplicate State name: ${name}`, `${base}/States/${name}`);
  }
  for (const [name, state] of Object.entries(states)) {
    const location = `${base}/States/${name}`;
    if ([...name].length > 80) {
      ctx.error(
        Code.InvalidStateName,
        `State name '${name}' exceeds the 80-character limit allowed by the service`,
        location,
      );
    }
    if (ctx.stateNames.has(name)) {
      ctx.error(Code.DuplicateStateName, `Duplicate State name: ${name}`, location);
    }
    ctx.stateNames.add(name);
    scope.names.push(name);
    scope.nameSet.add(name);
    validateState(ctx, scope, name, state, location);
  }
}

function addEdge(scope: Scope, from: string, target: string, location: string): void {
  const list = scope.edges.get(from);
  if (list) list.push({ target, location });
  else scope.edges.set(from, [{ target, location }]);
}

function validateState(ctx: Context, scope: Scope, name: string, state: Json, loc: string): void {
  if (!ctx.object(state, loc)) {
    // Nothing can be said about its transitions; counting it as terminal avoids a second,
    // misleading MISSING_END_STATE diagnostic.
    scope.hasTerminal = true;
    return;
  }
  const type = state['Type'];
  if (type === undefined) {
    ctx.required(state, ['Type'], loc);
    scope.hasTerminal = true;
    return;
  }
  if (typeof type !== 'string' || !isStateType(type)) {
    ctx.schema(
      `The field 'Type' should have one of these values: [${STATE_TYPES.join(', ')}]`,
      `${loc}/Type`,
    );
    scope.hasTerminal = true;
    return;
  }

  const language = stateLanguage(ctx, state, loc);
  const fields = STATE_FIELDS[type];
  const usable = checkFields(ctx, state, fields, COMMON, language, loc);
  ctx.string(state['Comment'], `${loc}/Comment`);

  if (type === 'Succeed' || type === 'Fail') scope.hasTerminal = true;
  if (fields['Next'] !== undefined) checkNextEnd(ctx, scope, name, state, loc);

  if (usable.has('InputPath')) ctx.path('InputPath', state['InputPath'], `${loc}/InputPath`);
  if (usable.has('OutputPath')) ctx.path('OutputPath', state['OutputPath'], `${loc}/OutputPath`);
  if (usable.has('ResultPath')) ctx.resultPath(state['ResultPath'], `${loc}/ResultPath`);
  const parameters = state['Parameters'];
  if (usable.has('Parameters') && parameters !== undefined)
    ctx.payloadTemplate(parameters, `${loc}/Parameters`);
  const selector = state['ResultSelector'];
  if (usable.has('ResultSelector') && ctx.object(selector, `${loc}/ResultSelector`)) {
    ctx.payloadTemplate(selector, `${loc}/ResultSelector`);
  }
  const args = state['Arguments'];
  if (usable.has('Arguments') && args !== undefined) checkArguments(ctx, args, `${loc}/Arguments`);
  const output = state['Output'];
  if (usable.has('Output') && output !== undefined) ctx.jsonataValue(output, `${loc}/Output`);
  if (usable.has('Assign')) ctx.assign(state['Assign'], language, `${loc}/Assign`);
  if (usable.has('Retry')) checkRetry(ctx, state['Retry'], `${loc}/Retry`);
  if (usable.has('Catch')) checkCatch(ctx, scope, name, state['Catch'], language, `${loc}/Catch`);

  switch (type) {
    case 'Task':
      checkTask(ctx, state, language, loc);
      break;
    case 'Wait':
      checkWait(ctx, state, language, loc);
      break;
    case 'Choice':
      checkChoice(ctx, scope, name, state, language, loc);
      break;
    case 'Fail':
      checkFail(ctx, state, language, loc);
      break;
    case 'Parallel':
      checkParallel(ctx, state, loc);
      break;
    case 'Map':
      checkMap(ctx, state, language, usable, loc);
      break;
    case 'Pass':
    case 'Succeed':
      break;
    default:
      return assertNeverType(type);
  }
}

function assertNeverType(value: never): never {
  throw new Error(`unexpected state type ${String(value)}`);
}

function isStateType(value: string): value is StateType {
  return (STATE_TYPES as readonly string[]).includes(value);
}

/**
 * A state's own QueryLanguage wins; otherwise the machine's (nested states inherit from the
 * machine, not from the enclosing Map or Parallel). Any value other than exactly `JSONPath`
 * behaves as JSONata, the enum diagnostic being reported on its own.
 */
function stateLanguage(ctx: Context, state: JsonObject, loc: string): QueryLanguage {
  const declared = state['QueryLanguage'];
  if (declared === undefined) return ctx.machineLanguage;
  ctx.enumeration(declared, ['JSONPath', 'JSONata'], `${loc}/QueryLanguage`);
  if (declared === 'JSONPath') {
    if (ctx.machineLanguage === 'JSONata') {
      ctx.schema("'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine", loc);
    }
    return 'JSONPath';
  }
  return 'JSONata';
}

/** Unknown fields and fields of the other query language; returns the fields whose value can be checked. */
function checkFields(
  ctx: Context,
  obj: JsonObject,
  fields: Record<string, Lang>,
  common: Record<string, Lang>,
  language: QueryLanguage,
  loc: string,
): Set<string> {
  const usable = new Set<string>();
  for (const key of Object.keys(obj)) {
    const lang = fields[key] ?? common[key];
    if (lang === undefined) ctx.unsupported(key, loc);
    else if (lang !== BOTH && lang !== language) ctx.languageMismatch(language, key, loc);
    else usable.add(key);
  }
  return usable;
}

function checkNextEnd(ctx: Context, scope: Scope, name: string, state: JsonObject, loc: string): void {
  const next = state['Next'];
  const end = state['End'];
  if (ctx.string(next, `${loc}/Next`)) addEdge(scope, name, next, `${loc}/Next`);
  ctx.boolean(end, `${loc}/End`);
  const hasNext = next !== undefined;
  const isEnd = end === true;
  if (hasNext && isEnd) ctx.schema('There should only be one of the following fields: [Next, End]', loc);
  if (!hasNext && !isEnd) {
    ctx.schema('This object should have only one of the following fields: [Next, End]', loc);
  }
  if (isEnd || !hasNext) scope.hasTerminal = true;
}

function checkArguments(ctx: Context, value: Json, loc: string): void {
  if (typeof value === 'string') {
    ctx.jsonataExpression(value, loc);
    return;
  }
  if (!ctx.object(value, loc)) return;
  ctx.jsonataValue(value, loc);
}

function checkErrorEquals(ctx: Context, entry: JsonObject, loc: string, isLast: boolean): void {
  const errors = entry['ErrorEquals'];
  if (!ctx.array(errors, `${loc}/ErrorEquals`, true)) return;
  errors.forEach((e, i) => ctx.string(e, `${loc}/ErrorEquals[${i}]`));
  if (errors.includes('States.ALL') && (errors.length > 1 || !isLast)) {
    ctx.schema('States.ALL must appear alone and at end of list', `${loc}/ErrorEquals`);
  }
}

function checkRetry(ctx: Context, value: Json | undefined, loc: string): void {
  if (!ctx.array(value, loc)) return;
  value.forEach((entry, i) => {
    const at = `${loc}[${i}]`;
    if (!ctx.object(entry, at)) return;
    for (const key of Object.keys(entry)) if (RETRIER_FIELDS[key] === undefined) ctx.unsupported(key, at);
    ctx.required(entry, ['ErrorEquals'], at);
    checkErrorEquals(ctx, entry, at, i === value.length - 1);
    ctx.number(entry['IntervalSeconds'], `${at}/IntervalSeconds`, { integer: true, min: 1, max: 99999999 });
    ctx.number(entry['MaxAttempts'], `${at}/MaxAttempts`, { integer: true, min: 0, max: 99999999 });
    ctx.number(entry['BackoffRate'], `${at}/BackoffRate`, { integer: false, min: 1 });
    ctx.number(entry['MaxDelaySeconds'], `${at}/MaxDelaySeconds`, { integer: true, min: 1, max: 31622400 });
    ctx.enumeration(entry['JitterStrategy'], ['FULL', 'NONE'], `${at}/JitterStrategy`);
    ctx.string(entry['Comment'], `${at}/Comment`);
  });
}

function checkCatch(
  ctx: Context,
  scope: Scope,
  name: string,
  value: Json | undefined,
  language: QueryLanguage,
  loc: string,
): void {
  if (!ctx.array(value, loc)) return;
  value.forEach((entry, i) => {
    const at = `${loc}[${i}]`;
    if (!ctx.object(entry, at)) return;
    const usable = checkFields(ctx, entry, CATCHER_FIELDS, NO_FIELDS, language, at);
    ctx.required(entry, ['ErrorEquals', 'Next'], at);
    checkErrorEquals(ctx, entry, at, i === value.length - 1);
    const next = entry['Next'];
    if (ctx.string(next, `${at}/Next`)) addEdge(scope, name, next, `${at}/Next`);
    if (usable.has('ResultPath')) ctx.resultPath(entry['ResultPath'], `${at}/ResultPath`);
    const output = entry['Output'];
    if (usable.has('Output') && output !== undefined) ctx.jsonataValue(output, `${at}/Output`);
    if (usable.has('Assign')) ctx.assign(entry['Assign'], language, `${at}/Assign`);
    ctx.string(entry['Comment'], `${at}/Comment`);
  });
}

const ACTIVITY_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:activity:/;
/** Enough to tell an ARN from a typo; the service list itself is open-ended. */
const RESOURCE_ARN = /^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+/;

function checkTask(ctx: Context, state: JsonObject, language: QueryLanguage, loc: string): void {
  ctx.required(state, ['Resource'], loc);
  const resource = state['Resource'];
  if (ctx.string(resource, `${loc}/Resource`)) {
    if (!RESOURCE_ARN.test(resource)) {
      ctx.schema('Value is not a valid resource ARN', `${loc}/Resource`);
    } else if (ctx.express) {
      if (ACTIVITY_ARN.test(resource)) {
        ctx.schema('Express state machine does not support Activity ARN', `${loc}/Resource`);
      } else if (/\.sync(:\d+)?$/.test(resource)) {
        ctx.schema("Express state machine does not support '.sync' service integration", `${loc}/Resource`);
      } else if (resource.endsWith('.waitForTaskToken')) {
        // AWS's text carries this trailing space, visible as a double space before " at ".
        ctx.schema(
          "Express state machine does not support '.waitForTaskToken' service integration ",
          `${loc}/Resource`,
        );
      }
    }
  }

  const jsonata = language === 'JSONata';
  ctx.exclusive(state, ['TimeoutSeconds', 'TimeoutSecondsPath'], loc);
  ctx.exclusive(state, ['HeartbeatSeconds', 'HeartbeatSecondsPath'], loc);
  const limits = { integer: true, min: 1, max: 99999999, jsonata };
  const timeout = ctx.number(state['TimeoutSeconds'], `${loc}/TimeoutSeconds`, limits);
  const heartbeat = ctx.number(state['HeartbeatSeconds'], `${loc}/HeartbeatSeconds`, limits);
  if (timeout !== undefined && heartbeat !== undefined && heartbeat >= timeout) {
    ctx.schema('HeartbeatSeconds must be less than TimeoutSeconds', `${loc}/HeartbeatSeconds`);
  }
  if (!jsonata) {
    ctx.referencePath('TimeoutSecondsPath', state['TimeoutSecondsPath'], `${loc}/TimeoutSecondsPath`);
    ctx.referencePath('HeartbeatSecondsPath', state['HeartbeatSecondsPath'], `${loc}/HeartbeatSecondsPath`);
  }

  const credentials = state['Credentials'];
  if (ctx.object(credentials, `${loc}/Credentials`)) {
    const at = `${loc}/Credentials`;
    const roleFields = jsonata ? ['RoleArn'] : ['RoleArn', 'RoleArn.$'];
    for (const key of Object.keys(credentials)) if (!roleFields.includes(key)) ctx.unsupported(key, at);
    if (roleFields.every((f) => credentials[f] === undefined)) {
      ctx.schema("The field 'RoleArn' is required but was missing", at);
    }
    ctx.exclusive(credentials, roleFields, at);
    const role = credentials['RoleArn'];
    if (ctx.string(role, `${at}/RoleArn`) && jsonata) ctx.jsonataValue(role, `${at}/RoleArn`);
    if (!jsonata) ctx.payloadTemplate(credentials, at);
  }
}

const WAIT_FIELDS = ['SecondsPath', 'Seconds', 'TimestampPath', 'Timestamp'] as const;

function checkWait(ctx: Context, state: JsonObject, language: QueryLanguage, loc: string): void {
  const jsonata = language === 'JSONata';
  ctx.exclusive(state, WAIT_FIELDS, loc, true);
  ctx.number(state['Seconds'], `${loc}/Seconds`, { integer: true, min: 0, max: 99999999, jsonata });
  const timestamp = state['Timestamp'];
  if (ctx.string(timestamp, `${loc}/Timestamp`)) {
    if (jsonata && timestamp.startsWith('{%')) ctx.jsonataExpression(timestamp, `${loc}/Timestamp`);
    else if (!isRfc3339(timestamp)) ctx.schema('String does not match RFC3339 timestamp', `${loc}/Timestamp`);
  }
  if (!jsonata) {
    ctx.referencePath('SecondsPath', state['SecondsPath'], `${loc}/SecondsPath`);
    ctx.referencePath('TimestampPath', state['TimestampPath'], `${loc}/TimestampPath`);
  }
}

function checkFail(ctx: Context, state: JsonObject, language: QueryLanguage, loc: string): void {
  ctx.exclusive(state, ['Error', 'ErrorPath'], loc);
  ctx.exclusive(state, ['Cause', 'CausePath'], loc);
  for (const field of ['Error', 'Cause']) {
    const value = state[field];
    if (ctx.string(value, `${loc}/${field}`) && language === 'JSONata')
      ctx.jsonataValue(value, `${loc}/${field}`);
  }
  if (language === 'JSONPath') {
    ctx.pathOrIntrinsic('ErrorPath', state['ErrorPath'], `${loc}/ErrorPath`);
    ctx.pathOrIntrinsic('CausePath', state['CausePath'], `${loc}/CausePath`);
  }
}

function checkChoice(
  ctx: Context,
  scope: Scope,
  name: string,
  state: JsonObject,
  language: QueryLanguage,
  loc: string,
): void {
  ctx.required(state, ['Choices'], loc);
  const choices = state['Choices'];
  if (ctx.array(choices, `${loc}/Choices`, true)) {
    choices.forEach((rule, i) => {
      const at = `${loc}/Choices[${i}]`;
      if (language === 'JSONata') checkJsonataRule(ctx, scope, name, rule, at);
      else checkJsonPathRule(ctx, rule, at, true, (next) => addEdge(scope, name, next, `${at}/Next`));
    });
  }
  const fallback = state['Default'];
  if (ctx.string(fallback, `${loc}/Default`)) addEdge(scope, name, fallback, `${loc}/Default`);
}

function checkJsonataRule(ctx: Context, scope: Scope, name: string, rule: Json, loc: string): void {
  if (!ctx.object(rule, loc)) return;
  for (const key of Object.keys(rule)) {
    if (key === 'Condition' || key === 'Next' || key === 'Comment' || key === 'Assign' || key === 'Output')
      continue;
    if (
      key === 'Variable' ||
      key === 'And' ||
      key === 'Or' ||
      key === 'Not' ||
      COMPARATORS[key] !== undefined
    ) {
      ctx.languageMismatch('JSONata', key, loc);
    } else {
      ctx.unsupported(key, loc);
    }
  }
  ctx.required(rule, ['Condition', 'Next'], loc);
  const condition = rule['Condition'];
  if (typeof condition === 'string') ctx.jsonataExpression(condition, `${loc}/Condition`);
  else if (condition !== undefined) ctx.boolean(condition, `${loc}/Condition`);
  const next = rule['Next'];
  if (ctx.string(next, `${loc}/Next`)) addEdge(scope, name, next, `${loc}/Next`);
  const output = rule['Output'];
  if (output !== undefined) ctx.jsonataValue(output, `${loc}/Output`);
  if (rule['Assign'] !== undefined) ctx.assign(rule['Assign'], 'JSONata', `${loc}/Assign`);
  ctx.string(rule['Comment'], `${loc}/Comment`);
}

function checkJsonPathRule(
  ctx: Context,
  rule: Json,
  loc: string,
  top: boolean,
  onNext: (next: string) => void,
): void {
  if (!ctx.object(rule, loc)) return;
  for (const key of Object.keys(rule)) {
    if (key === 'Output' || key === 'Condition') ctx.languageMismatch('JSONPath', key, loc);
    else if ((key === 'Next' || key === 'Assign') && !top) ctx.unsupported(key, loc);
    else if (!isJsonPathRuleField(key)) ctx.unsupported(key, loc);
  }
  if (top) {
    ctx.required(rule, ['Next'], loc);
    const next = rule['Next'];
    if (ctx.string(next, `${loc}/Next`)) onNext(next);
    if (rule['Assign'] !== undefined) ctx.assign(rule['Assign'], 'JSONPath', `${loc}/Assign`);
  }
  ctx.string(rule['Comment'], `${loc}/Comment`);

  const selectors = RULE_SELECTORS.filter((s) => rule[s] !== undefined);
  if (selectors.length !== 1) {
    ctx.schema(`The object must have only one of the following fields, [${RULE_SELECTORS.join(', ')}]`, loc);
  }
  const nested = (value: Json, at: string): void => checkJsonPathRule(ctx, value, at, false, onNext);
  for (const op of ['And', 'Or'] as const) {
    const list = rule[op];
    if (ctx.array(list, `${loc}/${op}`, true)) list.forEach((r, i) => nested(r, `${loc}/${op}[${i}]`));
  }
  const negated = rule['Not'];
  if (negated !== undefined) nested(negated, `${loc}/Not`);

  const comparators = COMPARATOR_NAMES.filter((c) => rule[c] !== undefined);
  if (rule['Variable'] !== undefined) {
    ctx.referencePath('Variable', rule['Variable'], `${loc}/Variable`);
    if (comparators.length !== 1) {
      ctx.schema(`There should only be one of the following fields: [${COMPARATOR_NAMES.join(', ')}]`, loc);
    }
  }
  for (const comparator of comparators) {
    checkComparatorValue(ctx, comparator, rule[comparator], `${loc}/${comparator}`);
  }
}

function isJsonPathRuleField(key: string): boolean {
  return (
    key === 'Next' ||
    key === 'Assign' ||
    key === 'Comment' ||
    key === 'Variable' ||
    key === 'And' ||
    key === 'Or' ||
    key === 'Not' ||
    COMPARATORS[key] !== undefined
  );
}

function checkComparatorValue(ctx: Context, comparator: string, value: Json | undefined, loc: string): void {
  switch (COMPARATORS[comparator]) {
    case 'string':
      ctx.string(value, loc);
      break;
    case 'number':
      ctx.number(value, loc, { integer: false });
      break;
    case 'boolean':
      ctx.boolean(value, loc);
      break;
    case 'timestamp':
      if (ctx.string(value, loc) && !isRfc3339(value))
        ctx.schema('String does not match RFC3339 timestamp', loc);
      break;
    case 'path':
      ctx.referencePath(comparator, value, loc);
      break;
    case undefined:
      break;
  }
}

function checkParallel(ctx: Context, state: JsonObject, loc: string): void {
  ctx.required(state, ['Branches'], loc);
  const branches = state['Branches'];
  if (!ctx.array(branches, `${loc}/Branches`, true)) return;
  branches.forEach((branch, i) => {
    const at = `${loc}/Branches[${i}]`;
    if (!ctx.object(branch, at)) return;
    validateScope(ctx, branch, at, { QueryLanguage: BOTH });
    ctx.enumeration(branch['QueryLanguage'], ['JSONPath', 'JSONata'], `${at}/QueryLanguage`);
  });
}

function checkMap(
  ctx: Context,
  state: JsonObject,
  language: QueryLanguage,
  usable: Set<string>,
  loc: string,
): void {
  const jsonata = language === 'JSONata';
  ctx.exclusive(state, ['ItemProcessor', 'Iterator'], loc, true);
  for (const key of ['ItemProcessor', 'Iterator']) {
    const processor = state[key];
    const at = `${loc}/${key}`;
    if (!ctx.object(processor, at)) continue;
    validateScope(ctx, processor, at, { ProcessorConfig: BOTH });
    const config = processor['ProcessorConfig'];
    if (ctx.object(config, `${at}/ProcessorConfig`))
      checkProcessorConfig(ctx, config, `${at}/ProcessorConfig`);
  }

  if (usable.has('ItemsPath')) ctx.referencePath('ItemsPath', state['ItemsPath'], `${loc}/ItemsPath`);
  const items = state['Items'];
  if (usable.has('Items') && items !== undefined) {
    if (typeof items === 'string') ctx.jsonataExpression(items, `${loc}/Items`);
    else if (ctx.array(items, `${loc}/Items`)) ctx.jsonataValue(items, `${loc}/Items`);
  }
  const itemSelector = state['ItemSelector'];
  if (itemSelector !== undefined) {
    if (jsonata) ctx.jsonataValue(itemSelector, `${loc}/ItemSelector`);
    else if (ctx.object(itemSelector, `${loc}/ItemSelector`))
      ctx.payloadTemplate(itemSelector, `${loc}/ItemSelector`);
  }

  ctx.exclusive(state, ['MaxConcurrency', 'MaxConcurrencyPath'], loc);
  ctx.exclusive(state, ['ToleratedFailurePercentage', 'ToleratedFailurePercentagePath'], loc);
  ctx.exclusive(state, ['ToleratedFailureCount', 'ToleratedFailureCountPath'], loc);
  ctx.number(state['MaxConcurrency'], `${loc}/MaxConcurrency`, { integer: true, min: 0, jsonata });
  ctx.number(state['ToleratedFailurePercentage'], `${loc}/ToleratedFailurePercentage`, {
    integer: false,
    min: 0,
    max: 100,
    jsonata,
  });
  ctx.number(state['ToleratedFailureCount'], `${loc}/ToleratedFailureCount`, {
    integer: true,
    min: 0,
    jsonata,
  });
  if (!jsonata) {
    for (const field of [
      'MaxConcurrencyPath',
      'ToleratedFailurePercentagePath',
      'ToleratedFailureCountPath',
    ]) {
      ctx.referencePath(field, state[field], `${loc}/${field}`);
    }
  }

  const label = state['Label'];
  if (ctx.string(label, `${loc}/Label`)) checkLabel(ctx, label, `${loc}/Label`);

  const reader = state['ItemReader'];
  if (ctx.object(reader, `${loc}/ItemReader`)) {
    ctx.required(reader, ['Resource'], `${loc}/ItemReader`);
    ctx.string(reader['Resource'], `${loc}/ItemReader/Resource`);
    checkIntegrationPayload(ctx, reader, language, `${loc}/ItemReader`);
  }
  const writer = state['ResultWriter'];
  if (ctx.object(writer, `${loc}/ResultWriter`)) {
    ctx.string(writer['Resource'], `${loc}/ResultWriter/Resource`);
    checkIntegrationPayload(ctx, writer, language, `${loc}/ResultWriter`);
  }
  const batcher = state['ItemBatcher'];
  if (ctx.object(batcher, `${loc}/ItemBatcher`)) {
    const input = batcher['BatchInput'];
    if (input !== undefined) {
      if (jsonata) ctx.jsonataValue(input, `${loc}/ItemBatcher/BatchInput`);
      else ctx.payloadTemplate(input, `${loc}/ItemBatcher/BatchInput`);
    }
  }
}

function checkIntegrationPayload(ctx: Context, obj: JsonObject, language: QueryLanguage, loc: string): void {
  const parameters = obj['Parameters'];
  if (parameters !== undefined) {
    if (language === 'JSONata') ctx.languageMismatch(language, 'Parameters', loc);
    else ctx.payloadTemplate(parameters, `${loc}/Parameters`);
  }
  const args = obj['Arguments'];
  if (args !== undefined) {
    if (language === 'JSONPath') ctx.languageMismatch(language, 'Arguments', loc);
    else checkArguments(ctx, args, `${loc}/Arguments`);
  }
}

function checkProcessorConfig(ctx: Context, config: JsonObject, loc: string): void {
  for (const key of Object.keys(config)) {
    if (key !== 'Mode' && key !== 'ExecutionType') ctx.unsupported(key, loc);
  }
  const mode = config['Mode'];
  ctx.enumeration(mode, ['INLINE', 'DISTRIBUTED'], `${loc}/Mode`);
  ctx.enumeration(config['ExecutionType'], ['STANDARD', 'EXPRESS'], `${loc}/ExecutionType`);
  if (mode === 'DISTRIBUTED') {
    ctx.required(config, ['ExecutionType'], loc);
    if (ctx.express) {
      ctx.schema(
        "The field 'Mode' with value 'DISTRIBUTED' is not supported inside 'EXPRESS' state machines",
        loc,
      );
    }
  } else if (config['ExecutionType'] !== undefined) {
    ctx.unsupported('ExecutionType', loc);
  }
}

function checkLabel(ctx: Context, label: string, loc: string): void {
  const forbidden = LABEL_FORBIDDEN.exec(label);
  if (label === '') ctx.error(Code.InvalidLabel, 'Label cannot be empty', loc);
  else if ([...label].length > 40) ctx.error(Code.InvalidLabel, 'Label cannot exceed 40 characters', loc);
  else if (forbidden)
    ctx.error(Code.InvalidLabel, `Label contains invalid character: ${describeChar(forbidden[0])}`, loc);
  if (ctx.labels.has(label)) ctx.error(Code.DuplicateLabel, `Duplicate label name: ${label}`, loc);
  ctx.labels.add(label);
}

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `'\\u${code.toString(16).padStart(4, '0')}'`;
  return `'${ch}'`;
}
