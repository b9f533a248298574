/**
 * A JSON reader for definitions. `JSON.parse` silently keeps the last of two equal keys, but ASL
 * gives duplicate keys meaning (two states of the same name in one `States` block, two template
 * fields that collide once `.$` is stripped), so the validator needs to see them.
 */
import type { Json, JsonObject } from '../json.js';

export interface ParsedJson {
  value: Json;
  /** Keys that appeared more than once in an object (the object keeps the last value, as JSON.parse). */
  duplicates: WeakMap<JsonObject, string[]>;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** Thrown when nesting exceeds the limit, before the call stack does. */
export class JsonDepthError extends Error {
  constructor(readonly depth: number) {
    super(`nesting deeper than ${depth}`);
    this.name = 'JsonDepthError';
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const PLAIN_CHARS = /[^"\\\u0000-\u001f]*/y;
const WHITESPACE = /[ \t\n\r]*/y;

export function parseJsonText(text: string, maxDepth: number): ParsedJson {
  const duplicates = new WeakMap<JsonObject, string[]>();
  let pos = 0;

  const fail = (what: string): never => {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < pos && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new JsonSyntaxError(what, line, pos - lineStart + 1);
  };

  const unexpected = (): never => {
    if (pos >= text.length) return fail('Unexpected end of input');
    const ch = text.charAt(pos);
    return fail(`Unexpected character ('${ch}' (code ${ch.charCodeAt(0)}))`);
  };

  const skipWhitespace = (): void => {
    WHITESPACE.lastIndex = pos;
    WHITESPACE.test(text);
    pos = WHITESPACE.lastIndex;
  };

  const readString = (): string => {
    // The caller has checked the opening quote.
    pos++;
    let out = '';
    for (;;) {
      PLAIN_CHARS.lastIndex = pos;
      PLAIN_CHARS.test(text);
      out += text.slice(pos, PLAIN_CHARS.lastIndex);
      pos = PLAIN_CHARS.lastIndex;
      if (pos >= text.length) return fail('Unexpected end of input in a string');
      const code = text.charCodeAt(pos);
      if (code === 34) {
        pos++;
        return out;
      }
      if (code !== 92) return fail(`Illegal unquoted character (code ${code}) in a string`);
      const escape = text.charAt(pos + 1);
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          out += escape;
          pos += 2;
          break;
        case 'b':
          out += '\b';
          pos += 2;
          break;
        case 'f':
          out += '\f';
          pos += 2;
          break;
        case 'n':
          out += '\n';
          pos += 2;
          break;
        case 'r':
          out += '\r';
          pos += 2;
          break;
        case 't':
          out += '\t';
          pos += 2;
          break;
        case 'u': {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            pos++;
            return fail('Invalid \\u escape in a string');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
          break;
        }
        default:
          pos++;
          return fail(`Unrecognized character escape '${escape}'`);
      }
    }
  };

  const setKey = (target: JsonObject, key: string, value: Json): void => {
    if (Object.prototype.hasOwnProperty.call(target, key)) {
      const list = duplicates.get(target);
      if (list) list.push(key);
      else duplicates.set(target, [key]);
    }
    // A plain assignment to "__proto__" would replace the prototype instead of adding a field.
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  };

  const readValue = (depth: number): Json => {
    skipWhitespace();
    const code = text.charCodeAt(pos);
    if (code === 123 || code === 91) {
      if (depth >= maxDepth) throw new JsonDepthError(maxDepth);
    }
    switch (code) {
      case 123: {
        pos++;
        const result: JsonObject = {};
        skipWhitespace();
        if (text.charCodeAt(pos) === 125) {
          pos++;
          return result;
        }
        for (;;) {
          skipWhitespace();
          if (text.charCodeAt(pos) !== 34) return unexpected();
          const key = readString();
          skipWhitespace();
          if (text.charCodeAt(pos) !== 58) return unexpected();
          pos++;
          setKey(result, key, readValue(depth + 1));
          skipWhitespace();
          const next = text.charCodeAt(pos);
          if (next === 44) {
            pos++;
            continue;
          }
          if (next === 125) {
            pos++;
            return result;
          }
          return unexpected();
        }
      }
      case 91: {
        pos++;
        const result: Json[] = [];
        skipWhitespace();
        if (text.charCodeAt(pos) === 93) {
          pos++;
          return result;
        }
        for (;;) {
          result.push(readValue(depth + 1));
          skipWhitespace();
          const next = text.charCodeAt(pos);
          if (next === 44) {
            pos++;
            continue;
          }
          if (next === 93) {
            pos++;
            return result;
          }
          return unexpected();
        }
      }
      case 34:
        return readString();
      case 116:
        return readLiteral('true', true);
      case 102:
        return readLiteral('false', false);
      case 110:
        return readLiteral('null', null);
      default: {
        NUMBER.lastIndex = pos;
        const match = NUMBER.exec(text);
        if (!match) return unexpected();
        pos = NUMBER.lastIndex;
        return Number(match[0]);
      }
    }
  };

  const readLiteral = <T extends Json>(word: string, value: T): T => {
    if (text.startsWith(word, pos)) {
      pos += word.length;
      return value;
    }
    return unexpected();
  };

  const value = readValue(0);
  skipWhitespace();
  if (pos < text.length) unexpected();
  return { value, duplicates };
}
