import type { EventView } from './event.js';
import { invalid, show, unsupported } from './problem.js';
import type { Pred } from './values.js';

/**
 * A Sigma condition (`selection and not 1 of filter_*`) parsed with the specification's precedence
 * (least to most binding: or, and, not, `x of`, parentheses) and compiled against the detection's
 * compiled search identifiers. Old (Sigma 1.x) aggregations after a pipe and `near` are refused
 * with the reason: correlation rules replace them.
 */

type Node =
  | { k: 'id'; name: string }
  | { k: 'of'; n: number | 'all'; pattern: string }
  | { k: 'not'; a: Node }
  | { k: 'and' | 'or'; a: Node; b: Node };

const MAX_CONDITION_LENGTH = 4096;
const MAX_DEPTH = 64;

function tokenize(s: string): string[] {
  const out: string[] = [];
  const re = /\s*(\(|\)|\||[^\s()|]+)/y;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    m = re.exec(s);
    if (!m) {
      if (/^\s*$/.test(s.slice(pos))) break;
      return invalid(`condition "${show(s)}": cannot read "${show(s.slice(pos))}"`);
    }
    out.push(m[1]!);
    pos = re.lastIndex;
  }
  return out;
}

export function parseCondition(text: string): Node {
  if (text.length > MAX_CONDITION_LENGTH) invalid(`condition longer than ${MAX_CONDITION_LENGTH} characters`);
  const toks = tokenize(text);
  if (toks.includes('|')) {
    return unsupported(
      `condition "${show(text)}": Sigma 1.x aggregations ("| count() ...") are not supported; write a correlation rule`,
    );
  }
  let i = 0;
  const peek = () => toks[i]?.toLowerCase();
  const word = (w: string) => peek() === w;
  const parseOr = (d: number): Node => {
    if (d > MAX_DEPTH) invalid(`condition "${show(text)}" nests deeper than ${MAX_DEPTH}`);
    let a = parseAnd(d);
    while (word('or')) {
      i++;
      a = { k: 'or', a, b: parseAnd(d) };
    }
    return a;
  };
  const parseAnd = (d: number): Node => {
    let a = parseNot(d);
    while (word('and')) {
      i++;
      a = { k: 'and', a, b: parseNot(d) };
    }
    return a;
  };
  const parseNot = (d: number): Node => {
    if (word('not')) {
      i++;
      return { k: 'not', a: parseNot(d + 1) };
    }
    return parseAtom(d);
  };
  const parseAtom = (d: number): Node => {
    const t = toks[i];
    if (t === undefined) return invalid(`condition "${show(text)}" ends too early`);
    if (t === '(') {
      i++;
      const n = parseOr(d + 1);
      if (toks[i] !== ')') return invalid(`condition "${show(text)}": missing ")"`);
      i++;
      return n;
    }
    const lower = t.toLowerCase();
    if (lower === ')' || lower === 'and' || lower === 'or') {
      return invalid(`condition "${show(text)}": unexpected "${t}"`);
    }
    if (lower === 'near')
      return unsupported(
        `condition "${show(text)}": "near" is not supported; write a temporal correlation rule`,
      );
    if (/^\d+$/.test(lower) || lower === 'all' || lower === 'any') {
      if (toks[i + 1]?.toLowerCase() === 'of') {
        const target = toks[i + 2];
        if (target === undefined || target === '(' || target === ')') {
          return invalid(`condition "${show(text)}": "${t} of" needs a search identifier pattern or "them"`);
        }
        i += 3;
        const n = lower === 'all' ? 'all' : lower === 'any' ? 1 : Number(lower);
        if (n === 0) return invalid(`condition "${show(text)}": "0 of" never matches`);
        return { k: 'of', n, pattern: target };
      }
    }
    i++;
    return { k: 'id', name: t };
  };
  const node = parseOr(0);
  if (i !== toks.length) return invalid(`condition "${show(text)}": unexpected "${toks[i]}"`);
  return node;
}

function wildcardToRegExp(pattern: string): RegExp {
  const src = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${src}$`);
}

/** Compiles a parsed condition against the detection's search identifiers. */
export function compileCondition(text: string, ids: ReadonlyMap<string, Pred>): Pred {
  const node = parseCondition(text);
  const build = (n: Node): Pred => {
    switch (n.k) {
      case 'id': {
        const p = ids.get(n.name);
        if (!p) return invalid(`condition names "${n.name}", which the detection does not define`);
        return p;
      }
      case 'not': {
        const a = build(n.a);
        return (e: EventView) => !a(e);
      }
      case 'and': {
        const a = build(n.a);
        const b = build(n.b);
        return (e) => a(e) && b(e);
      }
      case 'or': {
        const a = build(n.a);
        const b = build(n.b);
        return (e) => a(e) || b(e);
      }
      case 'of': {
        let names: string[];
        if (n.pattern.toLowerCase() === 'them') names = [...ids.keys()].filter((k) => !k.startsWith('_'));
        else {
          const re = wildcardToRegExp(n.pattern);
          names = [...ids.keys()].filter((k) => re.test(k));
        }
        if (names.length === 0) return invalid(`"${n.n} of ${n.pattern}" matches no search identifier`);
        const preds = names.map((k) => ids.get(k)!);
        if (n.n === 'all') return (e) => preds.every((p) => p(e));
        if (n.n === 1) return (e) => preds.some((p) => p(e));
        const need = n.n;
        if (need > preds.length)
          return invalid(
            `"${need} of ${n.pattern}" asks for more than the ${preds.length} identifiers it matches`,
          );
        return (e) => {
          let c = 0;
          for (const p of preds) if (p(e) && ++c >= need) return true;
          return false;
        };
      }
    }
  };
  return build(node);
}
