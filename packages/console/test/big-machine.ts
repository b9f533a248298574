/**
 * A 120-state definition for the graph's readability test: a long chain of Pass and Task
 * states with Catch edges to a shared handler, Choices that branch and rejoin (labelled rules
 * and a Default), a Parallel with three branches and a Map with an item processor.
 */
type State = Record<string, unknown>;

export function bigMachine(activityArn: string): { definition: string; stateCount: number } {
  const states: Record<string, State> = {};
  let count = 0;
  const put = (into: Record<string, State>, name: string, state: State): void => {
    into[name] = state;
    count++;
  };
  const chain = (n: number): string => `Step${String(n).padStart(3, '0')}`;
  const CHAIN = 94;
  for (let i = 1; i <= CHAIN; i++) {
    const name = chain(i);
    const next = i === CHAIN ? 'Fanout' : chain(i + 1);
    if (i % 12 === 0) {
      // A Choice that skips ahead on one rule and takes a detour on another.
      put(states, name, {
        Type: 'Choice',
        Choices: [
          { Variable: '$.skip', BooleanEquals: true, Next: i + 2 <= CHAIN ? chain(i + 2) : 'Fanout' },
          { Variable: '$.detour', IsPresent: true, Next: `Detour${i}` },
        ],
        Default: next,
      });
      put(states, `Detour${i}`, { Type: 'Pass', Result: { detour: i }, ResultPath: '$.detour', Next: next });
    } else if (i % 3 === 0) {
      put(states, name, {
        Type: 'Task',
        Resource: activityArn,
        Next: next,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Handler' }],
      });
    } else {
      put(states, name, {
        Type: 'Pass',
        Parameters: { 'step.$': "States.Format('{}', $.n)" },
        ResultPath: `$.s${i}`,
        Next: next,
      });
    }
  }
  const branch = (label: string, n: number): State => {
    const inner: Record<string, State> = {};
    for (let j = 1; j <= n; j++)
      put(
        inner,
        `${label}${j}`,
        j === n ? { Type: 'Pass', End: true } : { Type: 'Pass', Next: `${label}${j + 1}` },
      );
    return { StartAt: `${label}1`, States: inner };
  };
  put(states, 'Fanout', {
    Type: 'Parallel',
    Branches: [branch('Left', 4), branch('Middle', 3), branch('Right', 4)],
    ResultPath: '$.fanout',
    Next: 'EachItem',
    Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handler' }],
  });
  put(states, 'EachItem', {
    Type: 'Map',
    ItemsPath: '$.items',
    ItemProcessor: {
      ProcessorConfig: { Mode: 'INLINE' },
      ...branch('Item', 4),
    },
    ResultPath: '$.items',
    Next: 'Done',
  });
  put(states, 'Handler', { Type: 'Pass', Next: 'Failed' });
  put(states, 'Failed', { Type: 'Fail', Error: 'Handled', Cause: 'A step failed' });
  put(states, 'Done', { Type: 'Succeed' });
  return { definition: JSON.stringify({ StartAt: chain(1), States: states }, null, 2), stateCount: count };
}
