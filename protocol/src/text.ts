import { z } from 'zod';

/** A NUL character, or a UTF-16 surrogate without its partner (not encodable as UTF-8). */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this refuses.
const UNSAFE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSAFE_GLOBAL = new RegExp(UNSAFE.source, 'g');

export const UNSAFE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** True when `s` can be stored as PostgreSQL text and encoded as UTF-8. */
export function isSafeText(s: string): boolean {
  return !UNSAFE.test(s);
}

/** A string schema that refuses NUL characters and lone surrogates; use it for every text field. */
export const text = () => z.string().refine(isSafeText, UNSAFE_TEXT_MESSAGE);

/** Nesting depth the API accepts in a JSON document; no request shape comes near it. */
export const MAX_JSON_DEPTH = 64;

export interface UnsafeValue {
  /** Dotted path of the offending field, `(root)` for the value itself. */
  path: string;
  message: string;
}

/**
 * The first string (value or object key) in `value` that is not safe text, the first `__proto__`
 * key, or the first place nested deeper than `maxDepth`. Iterative, so a hostile document cannot overflow the stack.
 */
export function findUnsafeValue(value: unknown, maxDepth = MAX_JSON_DEPTH): UnsafeValue | undefined {
  // Each entry links to its parent, so a path is only built for the value at fault.
  interface Entry {
    v: unknown;
    key: string;
    depth: number;
    parent: Entry | undefined;
  }
  const pathOf = (e: Entry | undefined, last?: string): string => {
    const keys: string[] = last === undefined ? [] : [last];
    for (let x = e; x?.parent; x = x.parent) keys.unshift(x.key);
    return keys.length ? keys.join('.') : '(root)';
  };
  const stack: Entry[] = [{ v: value, key: '', depth: 0, parent: undefined }];
  while (stack.length) {
    const e = stack.pop()!;
    const v = e.v;
    if (typeof v === 'string') {
      if (!isSafeText(v)) return { path: pathOf(e), message: UNSAFE_TEXT_MESSAGE };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (e.depth >= maxDepth)
      return { path: pathOf(e), message: `is nested more than ${maxDepth} levels deep` };
    if (Array.isArray(v)) {
      // Columns of numbers (the bulk payloads) cost one type test per element: only strings are
      // checked, here, and only objects and arrays go on the stack.
      for (let i = v.length - 1; i >= 0; i--) {
        const x: unknown = v[i];
        if (typeof x === 'string') {
          if (!isSafeText(x)) return { path: pathOf(e, String(i)), message: UNSAFE_TEXT_MESSAGE };
        } else if (x !== null && typeof x === 'object') {
          stack.push({ v: x, key: String(i), depth: e.depth + 1, parent: e });
        }
      }
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      if (k === '__proto__') {
        // zod drops such a key silently (it names the prototype), which would lose what was sent.
        return { path: pathOf(e, k), message: 'field name "__proto__" is not allowed' };
      }
      if (!isSafeText(k)) {
        return {
          path: pathOf(e, k.replace(UNSAFE_GLOBAL, '\uFFFD')),
          message: `field name ${UNSAFE_TEXT_MESSAGE}`,
        };
      }
      stack.push({ v: child, key: k, depth: e.depth + 1, parent: e });
    }
  }
  return undefined;
}
