/**
 * Resource names (activities, state machines, executions): the model's `Name` shape, 1–80
 * characters, without the characters AWS rejects as `InvalidName` (see
 * ../shared/reference/sfn-compatibility-inventory.md §1.7). Anything else, non-ASCII included,
 * is allowed.
 */

const MAX_NAME_LENGTH = 80;

const FORBIDDEN_PUNCTUATION = new Set('<>{}[]?*"#%\\^|~`$&,;:/');
const WHITESPACE = /\s/;

export function isValidName(name: string): boolean {
  if (name.length === 0) return false;
  let length = 0;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0xfffe || code === 0xffff) return false;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = name.charCodeAt(i + 1);
      // A proper surrogate pair (e.g. an emoji) is one character; a lone half is none.
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return false;
    } else {
      const c = name.charAt(i);
      if (FORBIDDEN_PUNCTUATION.has(c) || WHITESPACE.test(c)) return false;
    }
    length++;
  }
  return length <= MAX_NAME_LENGTH;
}
