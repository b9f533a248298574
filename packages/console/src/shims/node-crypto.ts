/**
 * The browser's stand-in for `node:crypto`, which core's intrinsics import for States.Hash
 * alone (vite.config.ts maps the import here). It does not polyfill: hashing refuses, and the
 * data-flow panel shows the step that needed it as not computed in the browser.
 */
export class NotInBrowserError extends Error {
  override readonly name = 'NotInBrowserError';
}

export function createHash(): never {
  throw new NotInBrowserError('States.Hash is not computed in the browser');
}
