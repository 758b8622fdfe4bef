import type { QueryParams } from '../store/telemetry/types.js';
import { InputError } from '../errors.js';
import { parseCidr } from '../inventory/cidr.js';
import { PROTOCOL_NUMBERS } from './apps.js';
import { DIMENSION_SPECS, FLOW_DIMENSIONS, isDimension, type FlowDimension } from './dimensions.js';
import { parseIpv4, parseIpv6 } from './prefix-lookup.js';

/**
 * The flow filter language: `srcOrgUnit = "成都市" AND proto = tcp AND NOT dstPort IN (80, 443)`.
 * A tokenizer and a recursive-descent parser build an AST; the compiler turns it into a ClickHouse
 * condition whose every value is a `{pN:Type}` parameter — user text never becomes SQL text.
 *
 *   expr       := and (OR and)*
 *   and        := unary (AND unary)*
 *   unary      := NOT unary | '(' expr ')' | comparison
 *   comparison := dimension op value | dimension [NOT] IN '(' value (',' value)* ')'
 *   op         := = | != | < | > | <= | >= | ~
 *   value      := "text" | 'text' | word (tcp, 443, 10.1.0.0/16, sc-cd, 成都市)
 */

export const FILTER_OPERATORS = [
  '=',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '~',
  'IN',
  'NOT IN',
  'NOT',
  'AND',
  'OR',
  '( )',
];
export const FILTER_MAX_LENGTH = 2000;
const MAX_DEPTH = 32;
const MAX_LIST = 1000;
const MAX_COMPARISONS = 200;

export type CompareOp = '=' | '!=' | '<' | '>' | '<=' | '>=' | '~';

export interface FilterValue {
  kind: 'string' | 'word';
  text: string;
  pos: number;
}

export type FilterNode =
  | { t: 'and' | 'or'; a: FilterNode; b: FilterNode }
  | { t: 'not'; e: FilterNode }
  | { t: 'cmp'; field: FlowDimension; op: CompareOp; value: FilterValue; pos: number }
  | { t: 'in'; field: FlowDimension; values: FilterValue[]; negated: boolean; pos: number };

interface Token {
  type: 'word' | 'string' | 'op' | '(' | ')' | ',' | 'end';
  text: string;
  /** 1-based character position. */
  pos: number;
}

/** The 400 answer of a bad filter, naming the position. */
export function filterError(pos: number, message: string): InputError {
  return new InputError(`filter: at ${pos}: ${message}`, { code: 'flows.filter' });
}

/** A bare word: letters of any script, digits, and the characters of addresses, prefixes and ids. */
const WORD = /[\p{L}\p{N}_.:/\-[\]]+/uy;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const pos = i + 1;
    if (c === '(' || c === ')' || c === ',') {
      out.push({ type: c, text: c, pos });
      i++;
    } else if (c === '"' || c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= n) throw filterError(pos, 'unterminated string');
        const d = src[i]!;
        if (d === '\\') {
          if (i + 1 >= n) throw filterError(pos, 'unterminated string');
          text += src[i + 1];
          i += 2;
        } else if (d === c) {
          i++;
          break;
        } else {
          text += d;
          i++;
        }
      }
      out.push({ type: 'string', text, pos });
    } else if (c === '!' || c === '<' || c === '>' || c === '=') {
      const two = src.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=' || two === '==') {
        out.push({ type: 'op', text: two === '==' ? '=' : two, pos });
        i += 2;
      } else if (c === '!') {
        throw filterError(pos, 'unexpected "!" (use != or NOT)');
      } else {
        out.push({ type: 'op', text: c, pos });
        i++;
      }
    } else if (c === '~') {
      out.push({ type: 'op', text: '~', pos });
      i++;
    } else {
      WORD.lastIndex = i;
      const m = WORD.exec(src);
      if (!m) {
        const cp = src.codePointAt(i)!;
        throw filterError(pos, `unexpected character ${JSON.stringify(String.fromCodePoint(cp))}`);
      }
      out.push({ type: 'word', text: m[0], pos });
      i += m[0].length;
    }
    if (out.length > 4 * MAX_LIST) throw filterError(pos, 'the filter is too long');
  }
  out.push({ type: 'end', text: '', pos: n + 1 });
  return out;
}

const keyword = (t: Token, k: string) => t.type === 'word' && t.text.toUpperCase() === k;

class Parser {
  private i = 0;
  private comparisons = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.type !== 'end') this.i++;
    return t;
  }

  parse(): FilterNode {
    const node = this.or(0);
    const t = this.peek();
    if (t.type !== 'end') {
      throw filterError(
        t.pos,
        t.type === ')' ? 'unbalanced ")"' : `expected AND, OR or the end, got ${show(t)}`,
      );
    }
    return node;
  }

  private or(depth: number): FilterNode {
    let a = this.and(depth);
    while (keyword(this.peek(), 'OR')) {
      this.next();
      a = { t: 'or', a, b: this.and(depth) };
    }
    return a;
  }

  private and(depth: number): FilterNode {
    let a = this.unary(depth);
    while (keyword(this.peek(), 'AND')) {
      this.next();
      a = { t: 'and', a, b: this.unary(depth) };
    }
    return a;
  }

  private unary(depth: number): FilterNode {
    const t = this.peek();
    if (depth > MAX_DEPTH) throw filterError(t.pos, `nested deeper than ${MAX_DEPTH} levels`);
    if (keyword(t, 'NOT')) {
      this.next();
      return { t: 'not', e: this.unary(depth + 1) };
    }
    if (t.type === '(') {
      this.next();
      const e = this.or(depth + 1);
      const close = this.next();
      if (close.type !== ')') throw filterError(close.pos, `expected ")", got ${show(close)}`);
      return e;
    }
    return this.comparison();
  }

  private comparison(): FilterNode {
    const f = this.next();
    if (f.type !== 'word') throw filterError(f.pos, `expected a dimension, got ${show(f)}`);
    if (!isDimension(f.text)) {
      throw filterError(
        f.pos,
        `unknown dimension "${f.text.slice(0, 40)}" (one of ${FLOW_DIMENSIONS.join(', ')})`,
      );
    }
    if (++this.comparisons > MAX_COMPARISONS)
      throw filterError(f.pos, `more than ${MAX_COMPARISONS} comparisons`);
    const field = f.text;
    let op = this.next();
    let negated = false;
    if (keyword(op, 'NOT')) {
      negated = true;
      op = this.next();
      if (!keyword(op, 'IN')) throw filterError(op.pos, `expected IN after NOT, got ${show(op)}`);
    }
    if (keyword(op, 'IN')) {
      const open = this.next();
      if (open.type !== '(') throw filterError(open.pos, `expected "(" after IN, got ${show(open)}`);
      const values: FilterValue[] = [this.value()];
      for (;;) {
        const sep = this.next();
        if (sep.type === ')') break;
        if (sep.type !== ',') throw filterError(sep.pos, `expected "," or ")", got ${show(sep)}`);
        if (values.length >= MAX_LIST) throw filterError(sep.pos, `IN lists hold at most ${MAX_LIST} values`);
        values.push(this.value());
      }
      return { t: 'in', field, values, negated, pos: f.pos };
    }
    if (op.type !== 'op')
      throw filterError(op.pos, `expected an operator (=, !=, <, >, <=, >=, ~, IN), got ${show(op)}`);
    return { t: 'cmp', field, op: op.text as CompareOp, value: this.value(), pos: op.pos };
  }

  private value(): FilterValue {
    const v = this.next();
    if (v.type === 'string') return { kind: 'string', text: v.text, pos: v.pos };
    if (v.type === 'word' && !['AND', 'OR', 'NOT', 'IN'].includes(v.text.toUpperCase())) {
      return { kind: 'word', text: v.text, pos: v.pos };
    }
    throw filterError(v.pos, 'expected a value');
  }
}

function show(t: Token): string {
  if (t.type === 'end') return 'the end';
  return JSON.stringify(t.text.length > 20 ? t.text.slice(0, 20) + '…' : t.text);
}

/** Parses a filter into its AST; throws the 400 `flows.filter` error on any problem. */
export function parseFilter(src: string): FilterNode | undefined {
  if (src.length > FILTER_MAX_LENGTH)
    throw filterError(FILTER_MAX_LENGTH + 1, `the filter is longer than ${FILTER_MAX_LENGTH} characters`);
  const tokens = tokenize(src);
  if (tokens.length === 1) return undefined;
  return new Parser(tokens).parse();
}

/** Resolves an org unit value (id, name or path) to the ids it names. */
export type OrgUnitResolver = (value: string) => string[];

/** Collects the parameters of a compiled condition: `{p0:String}`, `{p1:UInt32}`… */
export class SqlParams {
  readonly values: QueryParams = {};
  private n = 0;
  constructor(private readonly prefix = 'p') {}
  add(type: string, value: string | number | ReadonlyArray<string | number>): string {
    const name = `${this.prefix}${this.n++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

const DIRECTIONS = new Set(['internal', 'egress', 'ingress', 'transit']);

function numberValue(field: FlowDimension, v: FilterValue): number {
  const t = v.text.trim().toLowerCase();
  if (DIMENSION_SPECS[field].kind === 'proto' && Object.prototype.hasOwnProperty.call(PROTOCOL_NUMBERS, t)) {
    return PROTOCOL_NUMBERS[t]!;
  }
  if (field === 'ipVersion' && (t === 'ipv4' || t === 'ipv6')) return t === 'ipv4' ? 4 : 6;
  if (!/^\d{1,10}$/.test(t) || Number(t) > 4_294_967_295) {
    throw filterError(
      v.pos,
      `${field} compares numbers${DIMENSION_SPECS[field].kind === 'proto' ? ' or protocol names (tcp, udp…)' : ''}, got ${JSON.stringify(v.text.slice(0, 40))}`,
    );
  }
  return Number(t);
}

function addressValue(field: FlowDimension, v: FilterValue): string {
  if (v.text === '') return '';
  if (parseIpv4(v.text) >= 0 || parseIpv6(v.text, new Uint32Array(4))) return v.text.toLowerCase();
  throw filterError(v.pos, `${field} is an IPv4 or IPv6 address, got ${JSON.stringify(v.text.slice(0, 45))}`);
}

function textValue(field: FlowDimension, v: FilterValue): string {
  if (field === 'direction' && !DIRECTIONS.has(v.text)) {
    throw filterError(
      v.pos,
      `direction is one of internal, egress, ingress, transit, got ${JSON.stringify(v.text.slice(0, 40))}`,
    );
  }
  if (v.text.length > 500) throw filterError(v.pos, 'values are at most 500 characters');
  return v.text;
}

/** Compiles an AST into a ClickHouse condition; every value becomes a parameter in `params`. */
export function compileFilter(node: FilterNode, params: SqlParams, orgUnits: OrgUnitResolver): string {
  switch (node.t) {
    case 'and':
      return `(${compileFilter(node.a, params, orgUnits)} AND ${compileFilter(node.b, params, orgUnits)})`;
    case 'or':
      return `(${compileFilter(node.a, params, orgUnits)} OR ${compileFilter(node.b, params, orgUnits)})`;
    case 'not':
      return `(NOT ${compileFilter(node.e, params, orgUnits)})`;
    case 'in':
      return compileIn(node.field, node.values, node.negated, params, orgUnits);
    case 'cmp':
      return compileCmp(node.field, node.op, node.value, node.pos, params, orgUnits);
  }
}

function resolveUnits(v: FilterValue, orgUnits: OrgUnitResolver): string[] {
  if (v.text === '') return [''];
  const ids = orgUnits(v.text);
  if (ids.length === 0) {
    throw filterError(v.pos, `no org unit has the id, name or path ${JSON.stringify(v.text.slice(0, 60))}`);
  }
  return ids;
}

function compileIn(
  field: FlowDimension,
  values: FilterValue[],
  negated: boolean,
  params: SqlParams,
  orgUnits: OrgUnitResolver,
): string {
  const spec = DIMENSION_SPECS[field];
  const not = negated ? 'NOT ' : '';
  switch (spec.kind) {
    case 'number':
    case 'proto':
      return `(${spec.sql} ${not}IN ${params.add(
        'Array(UInt32)',
        values.map((v) => numberValue(field, v)),
      )})`;
    case 'address':
      return `(${spec.sql} ${not}IN ${params.add(
        'Array(String)',
        values.map((v) => addressValue(field, v)),
      )})`;
    case 'orgUnit':
      return `(${spec.sql} ${not}IN ${params.add(
        'Array(String)',
        values.flatMap((v) => resolveUnits(v, orgUnits)),
      )})`;
    case 'interface': {
      const texts = values.filter((v) => !/^\d+$/.test(v.text)).map((v) => textValue(field, v));
      const nums = values.filter((v) => /^\d+$/.test(v.text)).map((v) => numberValue(field, v));
      const parts: string[] = [];
      if (texts.length) parts.push(`${spec.sql} IN ${params.add('Array(String)', texts)}`);
      if (nums.length) parts.push(`${spec.column!} IN ${params.add('Array(UInt32)', nums)}`);
      return `(${not}(${parts.join(' OR ')}))`;
    }
    case 'text':
      return `(${spec.sql} ${not}IN ${params.add(
        'Array(String)',
        values.map((v) => textValue(field, v)),
      )})`;
  }
}

function compileCmp(
  field: FlowDimension,
  op: CompareOp,
  v: FilterValue,
  pos: number,
  params: SqlParams,
  orgUnits: OrgUnitResolver,
): string {
  const spec = DIMENSION_SPECS[field];
  const ordered = op === '<' || op === '>' || op === '<=' || op === '>=';
  if (op === '~' && spec.kind !== 'address') {
    throw filterError(pos, `~ (address in prefix) applies to addresses; ${field} is not one`);
  }
  switch (spec.kind) {
    case 'number':
    case 'proto':
      return `(${spec.sql} ${op} ${params.add('UInt32', numberValue(field, v))})`;
    case 'interface':
      if (/^\d+$/.test(v.text))
        return `(${spec.column!} ${op} ${params.add('UInt32', numberValue(field, v))})`;
      if (ordered)
        throw filterError(
          pos,
          `${op} compares numbers (an ifIndex); "${field}" values are "exporter:ifIndex"`,
        );
      return `(${spec.sql} ${op} ${params.add('String', textValue(field, v))})`;
    case 'address': {
      if (ordered)
        throw filterError(pos, `${op} compares numbers; ${field} is an address (use = or ~ prefix)`);
      if (op === '~') {
        const c = parseCidr(v.text);
        if (typeof c === 'string') throw filterError(v.pos, `~ takes a prefix: ${c}`);
        const p = params.add('String', c.text);
        return `(${spec.sql} != '' AND isIPAddressInRange(${spec.sql}, ${p}))`;
      }
      return `(${spec.sql} ${op} ${params.add('String', addressValue(field, v))})`;
    }
    case 'orgUnit': {
      if (ordered) throw filterError(pos, `${op} compares numbers; ${field} is an org unit`);
      const ids = resolveUnits(v, orgUnits);
      return `(${spec.sql} ${op === '=' ? '' : 'NOT '}IN ${params.add('Array(String)', ids)})`;
    }
    case 'text':
      if (ordered) throw filterError(pos, `${op} compares numbers; ${field} is text`);
      return `(${spec.sql} ${op} ${params.add('String', textValue(field, v))})`;
  }
}
