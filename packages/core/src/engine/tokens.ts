/**
 * Task tokens are self-describing so that SendTask* can find the execution without a lookup
 * table: base64url of the execution ARN, the thread and a fresh nonce (≥128 random bits from
 * the runtime). The nonce is what makes a token unguessable; the rest only routes it.
 */
export interface TokenParts {
  executionArn: string;
  threadId: string;
  nonce: string;
}

const PREFIX = 'sw1.';

export function encodeTaskToken(parts: TokenParts): string {
  const body = JSON.stringify([parts.executionArn, parts.threadId, parts.nonce]);
  return PREFIX + Buffer.from(body, 'utf8').toString('base64url');
}

/** `undefined` for anything that is not a token Stepwise minted (the API answers InvalidToken). */
export function decodeTaskToken(token: string): TokenParts | undefined {
  if (!token.startsWith(PREFIX) || token.length > 2048) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
  const [executionArn, threadId, nonce] = parsed as unknown[];
  if (typeof executionArn !== 'string' || typeof threadId !== 'string' || typeof nonce !== 'string') {
    return undefined;
  }
  return { executionArn, threadId, nonce };
}
