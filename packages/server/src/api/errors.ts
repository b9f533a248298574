/**
 * API errors: what a client sees as `{"__type": shape, "message": …}` with an HTTP status.
 *
 * `shape` is the error shape name from the service model, so boto3 raises
 * `client.exceptions.<shape>` and @aws-sdk/client-sfn throws the class of that name. Messages
 * follow AWS's wording where it was recorded (../shared/reference/aws-api-error-messages.tsv);
 * the few marked "unrecorded" follow the same pattern but were never seen from AWS.
 */

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly shape: string,
    message: string,
    readonly status = 400,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The JSON 1.0 error body. */
  toBody(): Record<string, unknown> {
    return { ...this.extra, __type: this.shape, message: this.message };
  }
}

// --- ARNs and names -------------------------------------------------------------------------

/** A value that is not an ARN at all. */
export function invalidArn(value: string): ApiError {
  return new ApiError('InvalidArn', `Invalid Arn: 'Invalid ARN prefix: ${value}'`);
}

/** A well-formed ARN of a resource type the operation does not take (e.g. `express`). */
export function invalidArnResourceType(resourceType: string): ApiError {
  return new ApiError(
    'InvalidArn',
    `Invalid Arn: 'Resource type not valid in this context: ${resourceType}'`,
  );
}

export function invalidName(name: string): ApiError {
  return new ApiError('InvalidName', `Invalid Name: '${name}'`);
}

// --- Resources --------------------------------------------------------------------------------

export function activityDoesNotExist(arn: string): ApiError {
  return new ApiError('ActivityDoesNotExist', `Activity Does Not Exist: '${arn}'`);
}

export function stateMachineDoesNotExist(arn: string): ApiError {
  return new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
}

export function stateMachineAlreadyExists(arn: string): ApiError {
  return new ApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
}

export function stateMachineTypeNotSupported(): ApiError {
  return new ApiError(
    'StateMachineTypeNotSupported',
    'This operation is not supported by this type of state machine',
  );
}

export function executionDoesNotExist(arn: string): ApiError {
  return new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
}

/** AWS's wording for this error is not recorded; the message is the reason DescribeExecution gives. */
export function executionNotRedrivable(reason: string): ApiError {
  return new ApiError('ExecutionNotRedrivable', reason);
}

export function executionAlreadyExists(arn: string): ApiError {
  return new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
}

export function resourceNotFound(
  resourceName: string,
  message = 'Request references a resource that does not exist.',
): ApiError {
  return new ApiError('ResourceNotFound', message, 400, { resourceName });
}

/** AWS's wording for a resource TagResource cannot find (recorded for a version ARN). */
export function taggedResourceNotFound(arn: string): ApiError {
  return resourceNotFound(arn, `Resource not found: '${arn}'`);
}

/** Unrecorded wording; `resourceName` as the model's TooManyTags shape carries it. */
export function tooManyTags(arn: string, limit: number): ApiError {
  return new ApiError('TooManyTags', `Too Many Tags: 'A resource can have at most ${limit} tags'`, 400, {
    resourceName: arn,
  });
}

/** A well-formed state machine ARN that does not name a version (or an alias) where one is needed. Unrecorded wording. */
export function invalidQualifiedArn(value: string, kind: 'version' | 'alias'): ApiError {
  return new ApiError('InvalidArn', `Invalid Arn: 'Not a state machine ${kind} ARN: ${value}'`);
}

// --- Versions and aliases ---------------------------------------------------------------------

export function conflict(message: string): ApiError {
  return new ApiError('ConflictException', message);
}

/** AWS documents this shape with HTTP 402; SDKs go by `__type`. */
export function serviceQuotaExceeded(message: string): ApiError {
  return new ApiError('ServiceQuotaExceededException', message, 402);
}

export function publishRevisionConflict(requested: string, current: string): ApiError {
  return conflict(
    `Failed to publish the State Machine version for revision ${requested}. ` +
      `The current State Machine revision is ${current}.`,
  );
}

export function versionReferencedByAliases(aliases: string[]): ApiError {
  return conflict(
    'Version to be deleted must not be referenced by an alias. ' +
      `Current list of aliases referencing this version: [${aliases.join(', ')}]`,
  );
}

export function aliasAlreadyExists(): ApiError {
  return conflict(
    'Failed to create alias because an alias with the same name and a different routing configuration already exists.',
  );
}

/** Unrecorded wording. */
export function versionQuotaExceeded(max: number): ApiError {
  return serviceQuotaExceeded(`Maximum number of versions per state machine (${max}) reached`);
}

/** Unrecorded wording. */
export function aliasQuotaExceeded(max: number): ApiError {
  return serviceQuotaExceeded(`Maximum number of aliases per state machine (${max}) reached`);
}

// --- Tasks and tokens -------------------------------------------------------------------------

/** A garbage task token, or a bad pagination token. */
export function invalidToken(): ApiError {
  return new ApiError('InvalidToken', "Invalid Token: 'Invalid token'");
}

/** A token of a task that has completed, timed out or whose execution has stopped. */
export function taskTimedOut(): ApiError {
  return new ApiError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
}

/** Unrecorded wording (AWS documents the shape as "The activity does not exist"). */
export function taskDoesNotExist(): ApiError {
  return new ApiError('TaskDoesNotExist', "Task Does Not Exist: 'Provided task does not exist'");
}

// --- Payloads and definitions -----------------------------------------------------------------

/** Unrecorded wording; `detail` is typically a `jsonSyntaxError` result. */
export function invalidOutput(detail: string): ApiError {
  return new ApiError('InvalidOutput', `Invalid Output: '${detail}'`);
}

export function invalidExecutionInput(detail: string): ApiError {
  return new ApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${detail}'`);
}

/** `text` is e.g. `SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /`. */
export function invalidDefinition(text: string): ApiError {
  return new ApiError('InvalidDefinition', `Invalid State Machine Definition: '${text}'`);
}

// --- Request validation -----------------------------------------------------------------------

export function missingRequiredParameter(message: string): ApiError {
  return new ApiError('MissingRequiredParameter', message);
}

export function validation(message: string, reason?: string): ApiError {
  return new ApiError('ValidationException', message, 400, reason === undefined ? undefined : { reason });
}

/** The request body could not be read as the operation's input (bad JSON, wrong JSON types). */
export function serialization(message: string): ApiError {
  return new ApiError('SerializationException', message);
}

export function unknownOperation(message: string): ApiError {
  return new ApiError('UnknownOperationException', message);
}

// --- Server side ------------------------------------------------------------------------------

/** Wording of AWS's common InternalFailure error; SDKs retry it. */
export function internalFailure(): ApiError {
  return new ApiError(
    'InternalFailure',
    'The request processing has failed because of an unknown error, exception or failure.',
    500,
  );
}

/** Wording of AWS's common ServiceUnavailable error; SDKs retry it. */
export function serviceUnavailable(): ApiError {
  return new ApiError(
    'ServiceUnavailable',
    'The request has failed due to a temporary failure of the server.',
    503,
  );
}

// --- JSON payload parsing ---------------------------------------------------------------------

/** Parses execution input as AWS does: any JSON text, including `null`, `5` and `"str"`. */
export function parseExecutionInput(text: string): unknown {
  if (text.trim() === '') throw invalidExecutionInput('Invalid execution input.');
  return parseOr(text, invalidExecutionInput);
}

/** Parses the `output` of SendTaskSuccess. */
export function parseTaskOutput(text: string): unknown {
  return parseOr(text, invalidOutput);
}

function parseOr(text: string, fail: (detail: string) => ApiError): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw fail(jsonSyntaxError(text) ?? 'Invalid JSON');
  }
}

const VALID_VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

/**
 * Describes the first syntax error in `text` the way AWS's parser (Jackson) words it, without
 * the location suffix AWS strips; `undefined` when `text` is valid JSON. Only called after
 * JSON.parse has failed, so it favours brevity over speed. Messages for the cases AWS was seen
 * to return are exact; the rest follow Jackson's phrasing closely enough to be recognisable.
 */
export function jsonSyntaxError(text: string): string | undefined {
  let pos = 0;
  const stack: ('Object' | 'Array')[] = [];
  const skipWs = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text.charAt(pos))) pos++;
  };
  const unexpected = (what: string): string => `Unexpected character (${describeChar(text, pos)}): ${what}`;
  const endOfInput = (): string => {
    const open = stack[stack.length - 1];
    return open === undefined
      ? 'No content to map due to end-of-input'
      : `Unexpected end-of-input: expected close marker for ${open}`;
  };

  // One loop with two modes: reading a value, or looking at what follows one.
  let wantValue = true;
  for (;;) {
    skipWs();
    if (wantValue) {
      if (pos >= text.length) return endOfInput();
      const c = text.charAt(pos);
      if (c === '{' || c === '[') {
        stack.push(c === '{' ? 'Object' : 'Array');
        pos++;
        skipWs();
        if (text.charAt(pos) === (c === '{' ? '}' : ']')) {
          stack.pop();
          pos++;
          wantValue = false;
        } else if (c === '{') {
          const err = fieldName();
          if (err !== undefined) return err;
        }
        continue;
      }
      if (c === '"') {
        const err = string();
        if (err !== undefined) return err;
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        const err = number();
        if (err !== undefined) return err;
      } else if (/[\p{L}_$]/u.test(c)) {
        const m = /^[\p{L}\p{N}_$]+/u.exec(text.slice(pos, pos + 256));
        const token = m?.[0] ?? c;
        if (token !== 'true' && token !== 'false' && token !== 'null') {
          return `Unrecognized token '${token}': was expecting ${VALID_VALUES}`;
        }
        pos += token.length;
      } else if ((c === ']' || c === '}') && stack.length === 0) {
        return `Unexpected close marker '${c}': expected ']'`;
      } else {
        return unexpected(`expected a valid value ${VALID_VALUES}`);
      }
      wantValue = false;
      continue;
    }
    const open = stack[stack.length - 1];
    if (open === undefined) {
      if (pos >= text.length) return undefined;
      return unexpected('expected end-of-input');
    }
    if (pos >= text.length) return endOfInput();
    const c = text.charAt(pos);
    if (c === ',') {
      pos++;
      if (open === 'Object') {
        skipWs();
        const err = fieldName();
        if (err !== undefined) return err;
      }
      wantValue = true;
    } else if (c === (open === 'Object' ? '}' : ']')) {
      stack.pop();
      pos++;
    } else {
      return unexpected(`was expecting comma to separate ${open} entries`);
    }
  }

  function fieldName(): string | undefined {
    if (pos >= text.length) return endOfInput();
    if (text.charAt(pos) !== '"') return unexpected('was expecting double-quote to start field name');
    const err = string();
    if (err !== undefined) return err;
    skipWs();
    if (pos >= text.length) return endOfInput();
    if (text.charAt(pos) !== ':') return unexpected('was expecting a colon to separate field name and value');
    pos++;
    return undefined;
  }

  function string(): string | undefined {
    pos++;
    while (pos < text.length) {
      const code = text.charCodeAt(pos);
      if (code === 0x22) {
        pos++;
        return undefined;
      }
      if (code < 0x20) {
        return `Illegal unquoted character (${describeChar(text, pos)}): has to be escaped using backslash to be included in string value`;
      }
      if (code === 0x5c) {
        pos++;
        const e = text.charAt(pos);
        if (e === 'u') {
          for (let i = 1; i <= 4; i++) {
            if (!/[0-9a-fA-F]/.test(text.charAt(pos + i))) {
              if (pos + i >= text.length) break;
              pos += i;
              return unexpected('expected a hex-digit for character escape sequence');
            }
          }
          pos += 4;
        } else if (e !== '' && !'"\\/bfnrt'.includes(e)) {
          return `Unrecognized character escape ${describeChar(text, pos)}`;
        }
      }
      pos++;
    }
    return 'Unexpected end-of-input: was expecting closing quote for a string value';
  }

  function number(): string | undefined {
    const digits = (): number => {
      const start = pos;
      while (pos < text.length && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') pos++;
      return pos - start;
    };
    const fail = (what: string): string =>
      pos >= text.length
        ? 'Unexpected end-of-input in a Number value'
        : `Unexpected character (${describeChar(text, pos)}) in numeric value: ${what}`;
    if (text.charAt(pos) === '-') {
      pos++;
      if (!/[0-9]/.test(text.charAt(pos)))
        return fail('expected digit (0-9) to follow minus sign, for valid numeric value');
    }
    if (text.charAt(pos) === '0' && /[0-9]/.test(text.charAt(pos + 1))) {
      return 'Invalid numeric value: Leading zeroes not allowed';
    }
    digits();
    if (text.charAt(pos) === '.') {
      pos++;
      if (digits() === 0) return fail('Decimal point not followed by a digit');
    }
    if (text.charAt(pos) === 'e' || text.charAt(pos) === 'E') {
      pos++;
      if (text.charAt(pos) === '+' || text.charAt(pos) === '-') pos++;
      if (digits() === 0) return fail('Exponent indicator not followed by a digit');
    }
    if (stack.length === 0 && pos < text.length && !' \t\n\r'.includes(text.charAt(pos))) {
      return unexpected('Expected space separating root-level values');
    }
    return undefined;
  }
}

/** Jackson's rendering of a character in its messages. */
function describeChar(text: string, pos: number): string {
  const code = text.charCodeAt(pos);
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `(CTRL-CHAR, code ${code})`;
  const c = text.charAt(pos);
  if (code > 0xff) return `'${c}' (code ${code} / 0x${code.toString(16)})`;
  return `'${c}' (code ${code})`;
}
