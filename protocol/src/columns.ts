import { z } from 'zod';
import { isSafeText } from './text.js';

/**
 * Column validators for columnar payloads (flow aggregates and, later, every bulk payload). One tight
 * loop per column instead of one zod schema per element: a column of 100,000 numbers is checked in
 * well under a millisecond. A bad element is reported with its index, e.g.
 * `columns.srcPort[17]: must be an integer from 0 to 65535, got -1`.
 */

const describe = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v;
};

/**
 * One column: an array of at most `maxLength` elements, each passing `bad` (which returns what is
 * wrong with an element, or undefined). `what` names the element type in the message for a
 * non-array. The first bad element is reported with its index.
 */
function column<T>(what: string, maxLength: number, bad: (x: unknown) => string | undefined) {
  return z.unknown().transform((v, ctx): T[] => {
    if (!Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: `must be an array of ${what}, got ${describe(v)}` });
      return z.NEVER;
    }
    if (v.length > maxLength) {
      ctx.addIssue({ code: 'custom', message: `must have at most ${maxLength} elements, got ${v.length}` });
      return z.NEVER;
    }
    for (let i = 0; i < v.length; i++) {
      const message = bad(v[i]);
      if (message !== undefined) {
        ctx.addIssue({ code: 'custom', path: [i], message });
        return z.NEVER;
      }
    }
    return v as T[];
  });
}

/** An array of integers in [min, max]. */
export function intColumn(min: number, max: number, maxLength = 1_000_000) {
  return column<number>('integers', maxLength, (x) =>
    typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max
      ? `must be an integer from ${min} to ${max}, got ${describe(x)}`
      : undefined,
  );
}

/** An array of finite numbers in [0, max] (sampling-corrected byte, packet and flow counts). */
export function countColumn(max = Number.MAX_SAFE_INTEGER, maxLength = 1_000_000) {
  return column<number>('numbers', maxLength, (x) =>
    typeof x !== 'number' || !(x >= 0 && x <= max)
      ? `must be a finite number from 0 to ${max}, got ${describe(x)}`
      : undefined,
  );
}

/** An array of finite numbers of any sign (gauge and counter values). */
export function numberColumn(maxLength = 1_000_000) {
  // `x - x === 0` is false for NaN and the infinities; JSON cannot carry them, objects can.
  return column<number>('numbers', maxLength, (x) =>
    typeof x !== 'number' || x - x !== 0 ? `must be a finite number, got ${describe(x)}` : undefined,
  );
}

/**
 * An array of finite numbers from 0 to `max`, or `null` where the row has no value (e.g. the rates of
 * an interface on its first poll).
 */
export function nullableCountColumn(max = Number.MAX_VALUE, maxLength = 1_000_000) {
  return column<number | null>('numbers or nulls', maxLength, (x) =>
    x !== null && (typeof x !== 'number' || !(x >= 0 && x <= max))
      ? `must be null or a finite number from 0 to ${max}, got ${describe(x)}`
      : undefined,
  );
}

const COUNTER64_MAX = '18446744073709551615';

/** An array of Counter64 values as decimal strings (JSON numbers lose precision above 2^53). */
export function counter64Column(maxLength = 1_000_000) {
  return column<string>('decimal strings', maxLength, (x) =>
    typeof x !== 'string' || !/^\d{1,20}$/.test(x) || (x.length === 20 && x > COUNTER64_MAX)
      ? `must be a Counter64 (a decimal string from 0 to 2^64 - 1), got ${describe(x)}`
      : undefined,
  );
}

/** An array of safe strings of at most `maxChars` characters, each matching `pattern` when given. */
export function textColumn(
  maxChars: number,
  pattern?: { re: RegExp; message: string },
  maxLength = 1_000_000,
) {
  return column<string>('strings', maxLength, (x) =>
    typeof x !== 'string'
      ? `must be a string, got ${describe(x)}`
      : x.length > maxChars
        ? `must be at most ${maxChars} characters`
        : !isSafeText(x)
          ? 'must not contain NUL characters or unpaired UTF-16 surrogates'
          : pattern && !pattern.re.test(x)
            ? `${pattern.message}, got ${describe(x)}`
            : undefined,
  );
}

/** IPv4 dotted quad or IPv6 text (not checked further here; the store parses it). */
const IP_TEXT = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:.]{2,45})$/;

/** An array of IPv4/IPv6 addresses as text; `''` where the row has none (e.g. no next hop). */
export function addressColumn(maxLength = 1_000_000) {
  return textColumn(
    45,
    {
      re: /^$|^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:.]{2,45})$/,
      message: 'must be an IPv4 or IPv6 address',
    },
    maxLength,
  );
}

/** One IPv4/IPv6 address as text. */
export const AddressText = z.string().regex(IP_TEXT, 'must be an IPv4 or IPv6 address');
