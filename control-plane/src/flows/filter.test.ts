import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { SqlParams, compileFilter, parseFilter, type FilterNode } from './filter.js';

const units = [
  { id: 'sc-cd', name: '成都市', path: '/sc/sc-cd/' },
  { id: 'sc-cd-jj', name: '锦江区', path: '/sc/sc-cd/sc-cd-jj/' },
];
const resolve = (v: string) =>
  units.filter((u) => u.id === v || u.name === v || u.path === v).map((u) => u.id);

function compile(src: string): { sql: string; params: Record<string, unknown> } {
  const ast = parseFilter(src);
  const p = new SqlParams();
  if (!ast) return { sql: '', params: {} };
  return { sql: compileFilter(ast, p, resolve), params: p.values };
}

function failure(src: string): string {
  try {
    compile(src);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('flows.filter');
    return (err as Error).message;
  }
  throw new Error(`"${src}" parsed`);
}

describe('flow filter language', () => {
  it('parses the example of the issue into an AST', () => {
    const ast = parseFilter('srcOrgUnit = "成都市" AND proto = tcp AND NOT dstPort IN (80, 443)');
    expect(ast).toEqual<FilterNode>({
      t: 'and',
      a: {
        t: 'and',
        a: {
          t: 'cmp',
          field: 'srcOrgUnit',
          op: '=',
          value: { kind: 'string', text: '成都市', pos: 14 },
          pos: 12,
        },
        b: { t: 'cmp', field: 'proto', op: '=', value: { kind: 'word', text: 'tcp', pos: 32 }, pos: 30 },
      },
      b: {
        t: 'not',
        e: {
          t: 'in',
          field: 'dstPort',
          negated: false,
          pos: 44,
          values: [
            { kind: 'word', text: '80', pos: 56 },
            { kind: 'word', text: '443', pos: 60 },
          ],
        },
      },
    });
  });

  it('compiles to parameterised SQL: values are parameters, never text', () => {
    const c = compile('srcOrgUnit = "成都市" AND proto = tcp AND NOT dstPort IN (80, 443)');
    expect(c.sql).toBe(
      '(((toString(src_org_unit) IN {p0:Array(String)}) AND (proto = {p1:UInt32})) AND (NOT (dst_port IN {p2:Array(UInt32)})))',
    );
    expect(c.params).toEqual({ p0: ['sc-cd'], p1: 6, p2: [80, 443] });
  });

  it('gives OR lower precedence than AND, honours parentheses, NOT IN and ~', () => {
    expect(compile('app = DNS OR app = HTTPS AND dstPort > 1000').sql).toBe(
      '((toString(app) = {p0:String}) OR ((toString(app) = {p1:String}) AND (dst_port > {p2:UInt32})))',
    );
    expect(compile('(app = DNS OR app = HTTPS) AND dstPort >= 1000').sql).toBe(
      '(((toString(app) = {p0:String}) OR (toString(app) = {p1:String})) AND (dst_port >= {p2:UInt32}))',
    );
    const c = compile(
      "srcAddr ~ 10.1.0.0/16 AND dstAddr NOT IN ('2001:db8::1', 10.0.0.1) AND direction != transit",
    );
    expect(c.sql).toBe(
      "(((src_addr != '' AND isIPAddressInRange(src_addr, {p0:String})) AND (dst_addr NOT IN {p1:Array(String)})) AND (toString(direction) != {p2:String}))",
    );
    expect(c.params).toEqual({ p0: '10.1.0.0/16', p1: ['2001:db8::1', '10.0.0.1'], p2: 'transit' });
    expect(compile('inIf = "10.0.0.1:3" OR outIf = 7').params).toEqual({ p0: '10.0.0.1:3', p1: 7 });
    expect(compile('srcOrgUnit = /sc/sc-cd/sc-cd-jj/').params).toEqual({ p0: ['sc-cd-jj'] });
    expect(compile('dstOrgUnit = ""').params).toEqual({ p0: [''] });
    expect(parseFilter('   ')).toBeUndefined();
  });

  it('names the position of every mistake', () => {
    expect(failure('proto = tcp AND')).toBe('filter: at 16: expected a dimension, got the end');
    expect(failure('srcOrgUnit = "成都市" AND proto =')).toBe('filter: at 31: expected a value');
    expect(failure('bogus = 1')).toMatch(
      /^filter: at 1: unknown dimension "bogus" \(one of exporter, srcAddr/,
    );
    expect(failure('dstPort = http')).toBe('filter: at 11: dstPort compares numbers, got "http"');
    expect(failure('srcAddr < 10.0.0.1')).toBe(
      'filter: at 9: < compares numbers; srcAddr is an address (use = or ~ prefix)',
    );
    expect(failure('srcAddr ~ 10.0.0.1/8')).toMatch(/^filter: at 11: ~ takes a prefix: /);
    expect(failure('app ~ x')).toBe(
      'filter: at 5: ~ (address in prefix) applies to addresses; app is not one',
    );
    expect(failure('(app = DNS')).toBe('filter: at 11: expected ")", got the end');
    expect(failure('app = DNS)')).toBe('filter: at 10: unbalanced ")"');
    expect(failure('app = "DNS')).toBe('filter: at 7: unterminated string');
    expect(failure('app = DNS; DROP TABLE flows_1m')).toBe('filter: at 10: unexpected character ";"');
    expect(failure('srcOrgUnit = 重庆市')).toBe(
      'filter: at 14: no org unit has the id, name or path "重庆市"',
    );
    expect(failure('direction = sideways')).toMatch(/^filter: at 13: direction is one of/);
    expect(failure('dstPort NOT 80')).toBe('filter: at 13: expected IN after NOT, got "80"');
    expect(failure('NOT '.repeat(40) + 'app = x')).toMatch(/nested deeper than 32 levels/);
  });

  it('fuzz: random and mutated input never throws anything but the 400, never puts input into SQL', () => {
    const alphabet = [
      'srcAddr',
      'dstPort',
      'proto',
      'app',
      'srcOrgUnit',
      'AND',
      'OR',
      'NOT',
      'IN',
      '(',
      ')',
      ',',
      '=',
      '!=',
      '<',
      '>=',
      '~',
      '"',
      "'",
      '\\',
      ' ',
      'tcp',
      '443',
      '10.0.0.0/8',
      '成都市',
      ';',
      '--',
      '{p0:String}',
      "' OR 1=1 --",
      'DROP',
      '\u0000',
      '💥',
      '/*',
      '`',
    ];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const base = 'srcOrgUnit = "成都市" AND proto = tcp AND NOT dstPort IN (80, 443)';
    let parsed = 0;
    const started = Date.now();
    for (let i = 0; i < 20_000 && Date.now() - started < 20_000; i++) {
      let src: string;
      if (i % 2 === 0) {
        src = Array.from({ length: 1 + rand(12) }, () => alphabet[rand(alphabet.length)]).join(
          rand(2) ? ' ' : '',
        );
      } else {
        const chars = [...base];
        for (let k = 0, m = 1 + rand(4); k < m; k++) {
          const at = rand(chars.length);
          const op = rand(3);
          if (op === 0) chars.splice(at, 1);
          else if (op === 1) chars.splice(at, 0, alphabet[rand(alphabet.length)]!);
          else chars[at] = String.fromCharCode(rand(128));
        }
        src = chars.join('');
      }
      let out: { sql: string; params: Record<string, unknown> } | undefined;
      try {
        out = compile(src);
      } catch (err) {
        if (!(err instanceof InputError) || (err as InputError).code !== 'flows.filter') {
          throw new Error(`"${src}" threw ${String(err)}`);
        }
        expect((err as Error).message).toMatch(/^filter: at \d+: /);
        continue;
      }
      parsed++;
      // The SQL is built from fixed text only: column expressions, operators and {pN:Type} names.
      const stripped = out.sql
        .replace(/\{p\d+:(?:String|UInt32|Array\(String\)|Array\(UInt32\))\}/g, '')
        .replace(/isIPAddressInRange|startsWith|toString|concat|position|if/g, '');
      expect(stripped, src).toMatch(/^[a-z_() !=<>'A-Z,:[\]0-9]*$/);
      expect(stripped).not.toMatch(/DROP|成都|OR 1=1|;|--/);
    }
    expect(parsed).toBeGreaterThan(100);
  });
});
