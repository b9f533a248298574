/**
 * Parsed definitions, cached per revision. A revision never changes once written, so the cache
 * needs no invalidation; it is bounded so that a long-lived server does not keep every
 * revision it ever ran.
 */
import type { StateMachineDefinition, State } from '@stepwise/core';
import { validateDefinition } from '@stepwise/core';

export interface LoadedDefinition {
  definition: StateMachineDefinition;
  /** Activity ARNs named as Task resources: what the engine may ask `activityExists` about. */
  activityArns: string[];
}

const LIMIT = 1000;

export class DefinitionCache {
  private readonly entries = new Map<string, LoadedDefinition>();

  load(revisionKey: string, text: string): LoadedDefinition {
    const hit = this.entries.get(revisionKey);
    if (hit !== undefined) {
      // Refresh recency: Map iteration order is insertion order.
      this.entries.delete(revisionKey);
      this.entries.set(revisionKey, hit);
      return hit;
    }
    const { definition } = validateDefinition(text);
    if (definition === undefined) throw new Error(`stored revision ${revisionKey} does not validate`);
    const loaded: LoadedDefinition = { definition, activityArns: activityArnsOf(definition.States) };
    this.entries.set(revisionKey, loaded);
    if (this.entries.size > LIMIT) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return loaded;
  }
}

function activityArnsOf(states: Record<string, State>): string[] {
  const found = new Set<string>();
  const visit = (scope: Record<string, State>): void => {
    for (const state of Object.values(scope)) {
      if (state.Type === 'Task' && /:activity:/.test(state.Resource)) found.add(state.Resource);
      if (state.Type === 'Parallel') for (const branch of state.Branches) visit(branch.States);
      if (state.Type === 'Map') {
        const processor = state.ItemProcessor ?? state.Iterator;
        if (processor !== undefined) visit(processor.States);
      }
    }
  };
  visit(states);
  return [...found];
}
