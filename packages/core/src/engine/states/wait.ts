import type { Json } from '../../json.js';
import { toJsonText } from '../../json.js';
import type { WaitState } from '../../asl/definition.js';
import { StatesError, StatesErrorName } from '../../asl/errors.js';
import { evaluatePath, PathError } from '../../asl/jsonpath.js';
import { parseTimestamp } from '../../asl/choice.js';
import type { ThreadRecord } from '../types.js';
import type { Step } from '../step.js';
import type { Next } from '../flow.js';
import { exitState } from '../flow.js';
import { applyInputPath, applyOutputPath } from '../io.js';
import type { IoEnv } from '../io.js';
import { evaluateAssign } from '../assign.js';
import {
  EvaluationError,
  evaluateTyped,
  numberField,
  outputAndAssign,
  statesBinding,
  usesJsonata,
} from '../jsonata-io.js';

/** Longest delay AWS accepts (its seconds are a signed 32-bit count). */
const MAX_WAIT_SECONDS = 2_147_483_647;

export function runWait(step: Step, thread: ThreadRecord, state: WaitState): Next {
  const env = step.ioEnv(thread);
  const dueAt = usesJsonata(step, state)
    ? jsonataDueTime(step, thread, state)
    : dueTime(step.env.now, state, applyInputPath(state, thread.input, env), env);
  if (dueAt <= step.env.now) return completeWait(step, thread, state);
  const timer = step.armTimer(thread.id, 'wait', dueAt);
  thread.wait = { kind: 'wait', timerId: timer.id, dueAt };
  step.putThread(thread);
  return null;
}

export function completeWait(step: Step, thread: ThreadRecord, state: WaitState): Next {
  thread.wait = null;
  if (usesJsonata(step, state)) {
    const { output, assigned } = outputAndAssign(
      step,
      thread,
      state,
      statesBinding(step, thread),
      thread.input,
    );
    return exitState(step, thread, state, output, state.Next, assigned);
  }
  const env = step.ioEnv(thread);
  const effective = applyInputPath(state, thread.input, env);
  const assigned = evaluateAssign(state.Assign, effective, env);
  return exitState(step, thread, state, applyOutputPath(state, effective, env), state.Next, assigned);
}

/** JSONata: Seconds and Timestamp may be templates; a bad timestamp is a QueryEvaluationError. */
export function jsonataDueTime(step: Step, thread: ThreadRecord, state: WaitState): number {
  const now = step.env.now;
  const states = statesBinding(step, thread);
  const seconds = numberField(step, thread, state.Seconds, 'Seconds', 'integer', states);
  if (seconds !== undefined) {
    if (seconds < 0) throw runtime(`The Seconds field must be a non-negative integer, but was ${seconds}`);
    return delayed(now, seconds);
  }
  if (state.Timestamp === undefined) return now;
  const value = evaluateTyped(step, thread, state.Timestamp, 'Timestamp', 'string', states);
  const due = typeof value === 'string' ? parseTimestamp(value) : undefined;
  if (due === undefined) {
    throw new EvaluationError(
      `The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: ${typeof value === 'string' ? value : toJsonText(value)}`,
      'Timestamp',
      'lastEvent',
    );
  }
  return timestampDue(now, due);
}

function runtime(message: string): StatesError {
  return new StatesError(StatesErrorName.Runtime, message);
}

export function dueTime(now: number, state: WaitState, input: Json, env: IoEnv): number {
  if (typeof state.Seconds === 'number') return delayed(now, state.Seconds);
  if (state.Timestamp !== undefined) return timestampDue(now, state.Timestamp);
  if (state.SecondsPath !== undefined) {
    const value = lookup(state.SecondsPath, input, env, 'SecondsPath');
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw runtime(
        `The SecondsPath parameter cannot be parsed as a long value: ${state.SecondsPath} == ${toJsonText(value)}`,
      );
    }
    if (value < 0) {
      throw runtime(
        `The SecondsPath parameter references a negative value: ${state.SecondsPath} == ${value}`,
      );
    }
    return delayed(now, value);
  }
  if (state.TimestampPath !== undefined) {
    const value = lookup(state.TimestampPath, input, env, 'TimestampPath');
    const due = typeof value === 'string' ? parseTimestamp(value) : undefined;
    if (due === undefined) {
      const shown = typeof value === 'string' ? value : toJsonText(value);
      throw runtime(
        `The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ${state.TimestampPath} == ${shown}`,
      );
    }
    return timestampDue(now, due);
  }
  return now;
}

function delayed(now: number, seconds: number): number {
  if (seconds > MAX_WAIT_SECONDS) throw runtime('Wait state delay is too long.');
  return now + seconds * 1000;
}

function timestampDue(now: number, timestamp: string | number): number {
  const due = typeof timestamp === 'number' ? timestamp : parseTimestamp(timestamp);
  if (due === undefined) throw runtime(`The Timestamp field is not a valid timestamp: ${String(timestamp)}`);
  if ((due - now) / 1000 > MAX_WAIT_SECONDS) throw runtime('Wait state delay is too long.');
  return due;
}

function lookup(path: string, input: Json, env: IoEnv, field: string): Json {
  try {
    return evaluatePath(path, input, env.context, env.variables);
  } catch (error) {
    if (error instanceof PathError)
      throw runtime(`The ${field} parameter does not reference an input value: ${path}`);
    throw error;
  }
}
