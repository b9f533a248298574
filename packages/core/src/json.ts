/** JSON values as they travel through a state machine. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy that is cheap for the shapes that flow through states (plain JSON). */
export function cloneJson<T extends Json>(value: T): T {
  return structuredClone(value);
}

/** Compact JSON text, the form AWS uses for `input` and `output` members. */
export function toJsonText(value: Json): string {
  return JSON.stringify(value);
}
