/**
 * Mocked service integrations in the format of AWS Step Functions Local's mock config file:
 *
 *   { "StateMachines": { "<machine>": { "TestCases": { "<case>": { "<state>": "<response>" } } } },
 *     "MockedResponses": { "<response>": { "0": { "Return": … }, "1-2": { "Throw": { "Error", "Cause" } } } } }
 *
 * A test case maps Task state names to mocked responses. The keys of a mocked response are the
 * state's invocation indexes (0 = its first call; retries, later visits and Map iterations each
 * count), alone or as an inclusive range "a-b". `Return` is the service's response (for
 * `.waitForTaskToken`, the callback's result); `Throw` fails the task with its Error and Cause.
 *
 * `stepwise serve --mock-config` (or SFN_MOCK_CONFIG) loads one file for the server: an
 * execution started on `<state machine ARN>#<test case>` runs with that case. `stepwise run
 * --mock-config --test-case` applies one case to the run.
 */
import type { Json, JsonObject } from '@stepwise/core';
import { isJsonObject } from '@stepwise/core';

export type MockAnswer = { kind: 'return'; value: Json } | { kind: 'throw'; error: string; cause: string };

export interface TestCase {
  readonly name: string;
  /** The answer for `state` on its `invocation`-th call, or undefined when the state is not mocked. */
  answer(state: string, invocation: number): MockAnswer | 'exhausted' | undefined;
  /** The mocked response a state is mapped to. */
  responseOf(state: string): string | undefined;
  mockedStates(): string[];
}

/** Where the runtime finds the test case an execution runs with. */
export interface MockSource {
  testCase(machineName: string, testCase: string): TestCase | undefined;
}

export class MockConfigError extends Error {
  override readonly name = 'MockConfigError';
}

interface Entry {
  from: number;
  to: number;
  answer: MockAnswer;
}

/** A whole mock config file, checked when it is loaded (a broken reference is an error then). */
export class MockConfig implements MockSource {
  private constructor(private readonly machines: Map<string, Map<string, TestCase>>) {}

  static parse(text: string): MockConfig {
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
    if (!isJsonObject(responses))
      throw new MockConfigError('the mock config has no "MockedResponses" object');
    const parsed = new Map<string, Map<string, TestCase>>();
    const tables = new Map<string, Entry[]>();
    const tableOf = (name: string): Entry[] => {
      let table = tables.get(name);
      if (table === undefined) {
        table = parseResponse(name, responses[name]);
        tables.set(name, table);
      }
      return table;
    };
    for (const [machineName, machine] of Object.entries(machines)) {
      if (!isJsonObject(machine) || !isJsonObject(machine['TestCases'])) {
        throw new MockConfigError(`state machine "${machineName}" must have a "TestCases" object`);
      }
      const cases = new Map<string, TestCase>();
      for (const [caseName, mapping] of Object.entries(machine['TestCases'])) {
        cases.set(caseName, testCaseOf(caseName, mapping, tableOf));
      }
      parsed.set(machineName, cases);
    }
    return new MockConfig(parsed);
  }

  testCase(machineName: string, testCase: string): TestCase | undefined {
    return this.machines.get(machineName)?.get(testCase);
  }

  /** The machines that define a test case of that name. */
  machinesWith(testCase: string): string[] {
    return [...this.machines].filter(([, cases]) => cases.has(testCase)).map(([name]) => name);
  }
}

function testCaseOf(name: string, mapping: Json, tableOf: (response: string) => Entry[]): TestCase {
  if (!isJsonObject(mapping))
    throw new MockConfigError(`test case "${name}" must map state names to responses`);
  const responses = new Map<string, string>();
  const table = new Map<string, Entry[]>();
  for (const [state, responseName] of Object.entries(mapping)) {
    if (typeof responseName !== 'string') {
      throw new MockConfigError(`test case "${name}": "${state}" must name a mocked response`);
    }
    responses.set(state, responseName);
    table.set(state, tableOf(responseName));
  }
  return {
    name,
    answer(state, invocation) {
      const entries = table.get(state);
      if (entries === undefined) return undefined;
      const hit = entries.find((e) => invocation >= e.from && invocation <= e.to);
      return hit === undefined ? 'exhausted' : hit.answer;
    },
    responseOf: (state) => responses.get(state),
    mockedStates: () => [...table.keys()],
  };
}

function parseResponse(name: string, response: Json | undefined): Entry[] {
  if (!isJsonObject(response)) throw new MockConfigError(`mocked response "${name}" is not defined`);
  const entries: Entry[] = [];
  for (const [key, value] of Object.entries(response)) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(key);
    if (range === null) {
      throw new MockConfigError(`mocked response "${name}": "${key}" is not an invocation index or range`);
    }
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    entries.push({ from, to, answer: parseAnswer(name, key, value) });
  }
  return entries;
}

function parseAnswer(response: string, key: string, value: Json | undefined): MockAnswer {
  if (isJsonObject(value) && 'Return' in value) return { kind: 'return', value: value['Return'] ?? null };
  if (isJsonObject(value) && isJsonObject(value['Throw'])) {
    const thrown: JsonObject = value['Throw'];
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

/**
 * One test case for `stepwise run`: the machine may be named differently in the file than the
 * run names it; one machine defining that test case is then unambiguous.
 */
export function loadTestCase(text: string, machineName: string, testCase: string): TestCase {
  const config = MockConfig.parse(text);
  const found = config.testCase(machineName, testCase);
  if (found !== undefined) return found;
  const holders = config.machinesWith(testCase);
  const only = holders.length === 1 ? config.testCase(holders[0] ?? '', testCase) : undefined;
  if (only !== undefined) return only;
  throw new MockConfigError(
    `no test case "${testCase}" for state machine "${machineName}" in the mock config` +
      (holders.length > 1 ? ` (found under ${holders.join(', ')}: pass --name)` : ''),
  );
}
