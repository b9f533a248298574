/**
 * Request validation against the service model, as AWS's front end does it before an operation
 * runs: first the JSON types (a mismatch is a SerializationException, as the body cannot be
 * read as the input shape at all), then the Smithy constraints — required, length, range,
 * enum, pattern — reported together in one ValidationException:
 *
 *   1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint:
 *   Member must have value less than or equal to 1000
 *
 * Members the model does not know are ignored, as on AWS. `pattern` is skipped for the `Name`
 * and `Arn` shapes because AWS reports those as InvalidName / InvalidArn from the operation
 * itself (the current model carries no such patterns; this keeps a future one from changing
 * the error). Paths and value renderings follow AWS's (Java) style: list elements are
 * `list.<1-based index>.member`, structures print as `Shape(member=value, …)`.
 */
import { serialization, unknownOperation, validation } from './errors.js';
import { getOperation, getShape } from './service-model.js';
import type { ShapeDef, StringShape } from './service-model.js';

const PATTERN_CHECKED_ELSEWHERE = new Set(['Name', 'Arn', 'LongArn']);

export function validateInput(operation: string, body: unknown): void {
  const op = getOperation(operation);
  if (op === undefined) throw unknownOperation(`Unknown operation ${operation}`);
  if (!isObject(body)) throw serialization('The request body must be a JSON object');
  if (op.input === null) return;
  const violations: string[] = [];
  checkStructure(op.input, body, '', violations);
  if (violations.length > 0) {
    const n = violations.length;
    throw validation(`${n} validation error${n === 1 ? '' : 's'} detected: ${violations.join('; ')}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkStructure(
  shapeName: string,
  value: Record<string, unknown>,
  path: string,
  violations: string[],
): void {
  const shape = getShape(shapeName);
  if (shape.type !== 'structure') throw new Error(`${shapeName} is not a structure`);
  const required = new Set(shape.required);
  for (const [member, def] of Object.entries(shape.members)) {
    const memberPath = path === '' ? member : `${path}.${member}`;
    const v = Object.hasOwn(value, member) ? value[member] : undefined;
    // JSON null means "absent" in AWS's JSON protocol.
    if (v === undefined || v === null) {
      if (required.has(member)) {
        violations.push(
          `Value null at '${memberPath}' failed to satisfy constraint: Member must not be null`,
        );
      }
      continue;
    }
    check(def.shape, v, memberPath, violations);
  }
}

function check(shapeName: string, value: unknown, path: string, violations: string[]): void {
  const shape = getShape(shapeName);
  const fail = (constraint: string): void => {
    const shown = shape.sensitive ? 'Value' : `Value '${render(shapeName, value)}'`;
    violations.push(`${shown} at '${path}' failed to satisfy constraint: Member must ${constraint}`);
  };
  switch (shape.type) {
    case 'structure':
      if (!isObject(value)) throw wrongType(path, 'an object', value);
      checkStructure(shapeName, value, path, violations);
      return;
    case 'list': {
      if (!Array.isArray(value)) throw wrongType(path, 'an array', value);
      const items: unknown[] = value;
      items.forEach((item, i) => {
        const itemPath = `${path}.${i + 1}.member`;
        if (item === null) throw wrongType(itemPath, 'a value', item);
        check(shape.member, item, itemPath, violations);
      });
      const err = lengthError(items.length, shape.min, shape.max);
      if (err !== undefined) fail(err);
      return;
    }
    case 'map': {
      if (!isObject(value)) throw wrongType(path, 'an object', value);
      for (const [key, item] of Object.entries(value)) {
        const itemPath = `${path}.${key}.member`;
        if (item === null) throw wrongType(itemPath, 'a value', item);
        check(shape.key, key, itemPath, violations);
        check(shape.value, item, itemPath, violations);
      }
      const err = lengthError(Object.keys(value).length, shape.min, shape.max);
      if (err !== undefined) fail(err);
      return;
    }
    case 'string': {
      if (typeof value !== 'string') throw wrongType(path, 'a string', value);
      const err = stringError(shapeName, shape, value);
      if (err !== undefined) fail(err);
      return;
    }
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(path, 'an integer', value);
      if (shape.min !== undefined && value < shape.min)
        fail(`have value greater than or equal to ${shape.min}`);
      else if (shape.max !== undefined && value > shape.max)
        fail(`have value less than or equal to ${shape.max}`);
      return;
    case 'float':
    case 'double':
      if (typeof value !== 'number') throw wrongType(path, 'a number', value);
      if (shape.min !== undefined && value < shape.min)
        fail(`have value greater than or equal to ${shape.min}`);
      else if (shape.max !== undefined && value > shape.max)
        fail(`have value less than or equal to ${shape.max}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw wrongType(path, 'a boolean', value);
      return;
    case 'timestamp':
      if (typeof value !== 'number') throw wrongType(path, 'a timestamp (epoch seconds)', value);
      return;
    case 'blob':
      if (typeof value !== 'string') throw wrongType(path, 'a base64 string', value);
      return;
    default: {
      const never: never = shape;
      throw new Error(`unhandled shape type in ${JSON.stringify(never)}`);
    }
  }
}

function stringError(shapeName: string, shape: StringShape, value: string): string | undefined {
  if (shape.enum !== undefined && !shape.enum.includes(value)) {
    return `satisfy enum value set: [${(shape.enumMessageOrder ?? shape.enum).join(', ')}]`;
  }
  // Smithy measures strings in Unicode scalar values; only astral characters make that differ
  // from .length, so the count is only redone when it could matter.
  const length =
    (shape.max !== undefined && value.length > shape.max) ||
    (shape.min !== undefined && value.length < shape.min * 2)
      ? [...value].length
      : value.length;
  const err = lengthError(length, shape.min, shape.max);
  if (err !== undefined) return err;
  if (shape.pattern !== undefined && !PATTERN_CHECKED_ELSEWHERE.has(shapeName)) {
    const re = compiledPattern(shape.pattern);
    if (re !== undefined && !re.test(value)) return `satisfy regular expression pattern: ${shape.pattern}`;
  }
  return undefined;
}

function lengthError(length: number, min: number | undefined, max: number | undefined): string | undefined {
  if (min !== undefined && length < min) return `have length greater than or equal to ${min}`;
  if (max !== undefined && length > max) return `have length less than or equal to ${max}`;
  return undefined;
}

const patterns = new Map<string, RegExp | undefined>();

/** Smithy patterns are Java regexes and not implicitly anchored; `u` gives JS `\p{…}`. */
function compiledPattern(pattern: string): RegExp | undefined {
  if (!patterns.has(pattern)) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      // A Java-only construct: skip the check rather than reject valid requests.
      re = undefined;
    }
    patterns.set(pattern, re);
  }
  return patterns.get(pattern);
}

function wrongType(path: string, expected: string, value: unknown): Error {
  const actual = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  return serialization(`Expected ${expected} at '${path}' but found ${actual}`);
}

/** Java-style rendering of a value, as AWS prints it in validation messages. */
function render(shapeName: string, value: unknown): string {
  const shape: ShapeDef | undefined = shapeName === '' ? undefined : getShape(shapeName);
  if (typeof value === 'number') {
    return (shape?.type === 'float' || shape?.type === 'double') && Number.isInteger(value)
      ? `${value}.0`
      : String(value);
  }
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    const member = shape?.type === 'list' ? shape.member : '';
    return `[${items.map((v) => render(member, v)).join(', ')}]`;
  }
  if (isObject(value)) {
    if (shape?.type === 'structure') {
      const fields = Object.entries(shape.members)
        .filter(([name]) => value[name] !== undefined && value[name] !== null)
        .map(([name, def]) => `${name}=${render(def.shape, value[name])}`);
      return `${shapeName}(${fields.join(', ')})`;
    }
    const valueShape = shape?.type === 'map' ? shape.value : '';
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${render(valueShape, v)}`)
      .join(', ')}}`;
  }
  return 'null';
}
