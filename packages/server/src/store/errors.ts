/**
 * Errors a store raises that callers above it must tell apart from bugs.
 */

/**
 * The database cannot be reached (connection refused, lost mid-query, pool exhausted past its
 * wait). Nothing was committed unless the loss hit a COMMIT in flight, which the database
 * resolves one way or the other; the API edge answers such requests with a retryable 5xx, and
 * the store reconnects by itself when the database is back.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
