/**
 * The AWS Step Functions Local mock configuration format, for activity Task states:
 *
 *   { "StateMachines": { "<machine>": { "TestCases": { "<case>": { "<state>": "<response>" } } } },
 *     "MockedResponses": { "<response>": { "0": { "Return": … }, "1-2": { "Throw": { "Error", "Cause" } } } } }
 *
 * Keys of a mocked response are invocation indexes of that state (0 = first try, then one per
 * retry), alone or as an inclusive range "a-b".
 */
import type { Json } from '@stepwise/core';
import { isJsonObject } from '@stepwise/core';

export type MockAnswer = { kind: 'return'; value: Json } | { kind: 'throw'; error: string; cause: string };

export interface TestCase {
  /** The answer for `state` on its `invocation`-th call, or undefined when the state is not mocked. */
  answer(state: string, invocation: number): MockAnswer | 'exhausted' | undefined;
  mockedStates(): string[];
}

export class MockConfigError extends Error {
  override readonly name = 'MockConfigError';
}

export function loadTestCase(text: string, machineName: string, testCase: string): TestCase {
  let config: Json;
  try {
    config = JSON.parse(text) as Json;
  } catch (error) {
    throw new MockConfigError(
      `the mock config is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!isJsonObject(config)) throw new MockConfigError('the mock config must be a JSON object');
  const machines = config['StateMachines'];
  const responses = config['MockedResponses'];
  if (!isJsonObject(machines)) throw new MockConfigError('the mock config has no "StateMachines" object');
  if (!isJsonObject(responses)) throw new MockConfigError('the mock config has no "MockedResponses" object');

  const casesOf = (name: string): Json | undefined => {
    const machine = machines[name];
    return isJsonObject(machine) && isJsonObject(machine['TestCases'])
      ? machine['TestCases'][testCase]
      : undefined;
  };
  let mapping = casesOf(machineName);
  if (mapping === undefined) {
    // The machine may be named differently here than in the file; one machine with that test
    // case is unambiguous.
    const holders = Object.keys(machines).filter((name) => casesOf(name) !== undefined);
    if (holders.length !== 1) {
      throw new MockConfigError(
        `no test case "${testCase}" for state machine "${machineName}" in the mock config` +
          (holders.length > 1 ? ` (found under ${holders.join(', ')}: pass --name)` : ''),
      );
    }
    mapping = casesOf(holders[0] ?? '');
  }
  if (!isJsonObject(mapping))
    throw new MockConfigError(`test case "${testCase}" must map state names to responses`);

  const table = new Map<string, { from: number; to: number; answer: MockAnswer }[]>();
  for (const [state, responseName] of Object.entries(mapping)) {
    if (typeof responseName !== 'string')
      throw new MockConfigError(`test case "${testCase}": "${state}" must name a mocked response`);
    const response = responses[responseName];
    if (!isJsonObject(response))
      throw new MockConfigError(`mocked response "${responseName}" is not defined`);
    const entries: { from: number; to: number; answer: MockAnswer }[] = [];
    for (const [key, value] of Object.entries(response)) {
      const range = /^(\d+)(?:-(\d+))?$/.exec(key);
      if (range === null)
        throw new MockConfigError(
          `mocked response "${responseName}": "${key}" is not an invocation index or range`,
        );
      const from = Number(range[1]);
      const to = range[2] === undefined ? from : Number(range[2]);
      entries.push({ from, to, answer: parseAnswer(responseName, key, value) });
    }
    table.set(state, entries);
  }

  return {
    answer(state, invocation) {
      const entries = table.get(state);
      if (entries === undefined) return undefined;
      const hit = entries.find((e) => invocation >= e.from && invocation <= e.to);
      return hit === undefined ? 'exhausted' : hit.answer;
    },
    mockedStates: () => [...table.keys()],
  };
}

function parseAnswer(response: string, key: string, value: Json | undefined): MockAnswer {
  if (isJsonObject(value) && 'Return' in value) return { kind: 'return', value: value['Return'] ?? null };
  if (isJsonObject(value) && isJsonObject(value['Throw'])) {
    const thrown = value['Throw'];
    const error = thrown['Error'];
    const cause = thrown['Cause'];
    return {
      kind: 'throw',
      error: typeof error === 'string' ? error : 'States.TaskFailed',
      cause: typeof cause === 'string' ? cause : '',
    };
  }
  throw new MockConfigError(`mocked response "${response}" at "${key}" needs "Return" or "Throw"`);
}
