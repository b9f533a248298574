/**
 * nextToken: an opaque, tamper-evident wrapper around a keyset cursor. Keyset cursors (the sort
 * key of the last item served) keep pages stable while new items are inserted, unlike offsets.
 * The token also binds the query it belongs to, so reusing it with other arguments is refused
 * as AWS refuses it (InvalidToken).
 */
import { invalidToken } from './errors.js';

const DEFAULT_PAGE = 100;

export function pageSize(maxResults: number | undefined): number {
  return maxResults === undefined || maxResults === 0 ? DEFAULT_PAGE : maxResults;
}

export function encodeToken(query: string, cursor: unknown): string {
  return Buffer.from(JSON.stringify({ q: query, c: cursor }), 'utf8').toString('base64url');
}

export function decodeToken<C>(
  token: string | undefined,
  query: string,
  isCursor: (c: unknown) => c is C,
): C | undefined {
  if (token === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken();
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalidToken();
  const { q, c } = parsed as { q?: unknown; c?: unknown };
  if (q !== query || !isCursor(c)) throw invalidToken();
  return c;
}

export function isDateArnCursor<K extends string>(key: K) {
  return (c: unknown): c is Record<K, number> & { arn: string } =>
    typeof c === 'object' &&
    c !== null &&
    typeof (c as Record<string, unknown>)[key] === 'number' &&
    typeof (c as Record<string, unknown>)['arn'] === 'string';
}
