/**
 * The Amazon States Language as typed data. Field names are the spec's; a field's absence is
 * meaningful (ASL distinguishes a missing `ResultPath` from `"ResultPath": null`), hence
 * optional members rather than defaults. Only a definition that passed validation
 * (`validateDefinition`) is given these types.
 */
import type { Json, JsonObject } from '../json.js';

export type QueryLanguage = 'JSONPath' | 'JSONata';

export interface StateMachineDefinition {
  StartAt: string;
  States: Record<string, State>;
  Comment?: string;
  Version?: string;
  TimeoutSeconds?: number;
  QueryLanguage?: QueryLanguage;
}

export type StateType = State['Type'];

export const STATE_TYPES = ['Task', 'Wait', 'Pass', 'Succeed', 'Fail', 'Choice', 'Parallel', 'Map'] as const;

interface StateBase {
  Comment?: string;
  QueryLanguage?: QueryLanguage;
}

/** Exactly one of Next/End is present in a valid definition. */
interface Transition {
  Next?: string;
  End?: boolean;
}

interface JsonPathIo {
  InputPath?: string | null;
  OutputPath?: string | null;
}

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
  Comment?: string;
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
  Output?: Json;
  Assign?: JsonObject;
  Comment?: string;
}

export interface TaskState extends StateBase, Transition, JsonPathIo {
  Type: 'Task';
  Resource: string;
  Parameters?: Json;
  ResultSelector?: JsonObject;
  ResultPath?: string | null;
  TimeoutSeconds?: number | string;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number | string;
  HeartbeatSecondsPath?: string;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Credentials?: JsonObject;
  Arguments?: Json;
  Output?: Json;
  Assign?: JsonObject;
}

export interface PassState extends StateBase, Transition, JsonPathIo {
  Type: 'Pass';
  Result?: Json;
  Parameters?: Json;
  ResultPath?: string | null;
  Output?: Json;
  Assign?: JsonObject;
}

/**
 * A Choice rule: a Boolean combinator (And/Or/Not), a data test (`Variable` plus one
 * comparator), or a JSONata `Condition`. Top-level rules carry `Next`; nested ones do not.
 * Comparators are read by name, so the rule keeps them as an open record.
 */
export interface ChoiceRule {
  Next?: string;
  Variable?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  Condition?: Json;
  Output?: Json;
  Assign?: JsonObject;
  Comment?: string;
  [comparator: string]: Json | ChoiceRule | ChoiceRule[] | undefined;
}

export interface ChoiceState extends StateBase, JsonPathIo {
  Type: 'Choice';
  Choices: ChoiceRule[];
  Default?: string;
  Output?: Json;
  Assign?: JsonObject;
}

export interface WaitState extends StateBase, Transition, JsonPathIo {
  Type: 'Wait';
  Seconds?: number | string;
  Timestamp?: string;
  SecondsPath?: string;
  TimestampPath?: string;
  Output?: Json;
  Assign?: JsonObject;
}

export interface SucceedState extends StateBase, JsonPathIo {
  Type: 'Succeed';
  Output?: Json;
}

export interface FailState extends StateBase {
  Type: 'Fail';
  Error?: string;
  Cause?: string;
  ErrorPath?: string;
  CausePath?: string;
}

export interface ProcessorDefinition {
  StartAt: string;
  States: Record<string, State>;
  Comment?: string;
  QueryLanguage?: QueryLanguage;
  ProcessorConfig?: { Mode?: 'INLINE' | 'DISTRIBUTED'; ExecutionType?: 'STANDARD' | 'EXPRESS' };
}

export interface ParallelState extends StateBase, Transition, JsonPathIo {
  Type: 'Parallel';
  Branches: ProcessorDefinition[];
  Parameters?: Json;
  ResultSelector?: JsonObject;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Arguments?: Json;
  Output?: Json;
  Assign?: JsonObject;
}

export interface MapState extends StateBase, Transition, JsonPathIo {
  Type: 'Map';
  ItemProcessor?: ProcessorDefinition;
  Iterator?: ProcessorDefinition;
  ItemsPath?: string;
  Items?: Json;
  ItemSelector?: Json;
  Parameters?: Json;
  MaxConcurrency?: number | string;
  MaxConcurrencyPath?: string;
  ResultSelector?: JsonObject;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Output?: Json;
  Assign?: JsonObject;
  ToleratedFailurePercentage?: number | string;
  ToleratedFailurePercentagePath?: string;
  ToleratedFailureCount?: number | string;
  ToleratedFailureCountPath?: string;
  ItemBatcher?: JsonObject;
  ItemReader?: JsonObject;
  ResultWriter?: JsonObject;
  Label?: string;
}

export type State =
  TaskState | PassState | ChoiceState | WaitState | SucceedState | FailState | ParallelState | MapState;

/** Compile-time exhaustiveness for `switch (state.Type)`. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
