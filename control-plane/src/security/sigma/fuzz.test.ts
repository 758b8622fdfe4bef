import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSigma } from './compile.js';
import { SigmaEngine } from './engine.js';
import { EventView } from './event.js';
import { listRuleFiles } from './files.js';
import { storedEvent } from './testing.js';

const REPO = join(import.meta.dirname, '../../../..');
const FIXTURES = join(REPO, 'test/fixtures/sigma/sigmahq');

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '|contains',
  '|re',
  '|all',
  '|base64offset',
  '|cidr',
  '|gt',
  '|exists',
  '|fieldref',
  '|windash',
  '|wide',
  ' and ',
  ' or not ',
  '1 of ',
  'all of them',
  '(',
  ')',
  '*',
  '?',
  '\\',
  ': null',
  ': [',
  ']',
  '- ',
  '\n',
  '  ',
  '---\n',
  'action: global\n',
  'correlation:\n  type: event_count\n',
  '"',
  "'",
  '{',
  '}',
  '&a',
  '*a',
  '!!binary',
  '(a+)+',
  '10.0.0.0/99',
  '::',
  '%00',
  '\u0000',
  '\ud800',
  'condition: x',
];

function mutate(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = r();
    if (op < 0.4) s = s.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)]! + s.slice(at);
    else if (op < 0.7) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 20));
    else if (op < 0.85) {
      const from = Math.floor(r() * s.length);
      s = s.slice(0, at) + s.slice(from, from + Math.floor(r() * 40)) + s.slice(at);
    } else s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + s.slice(at);
  }
  return s;
}

describe('the compiler on mutated genuine rules', () => {
  it('never throws and gives every document a status; compiled rules never throw on events', () => {
    const files = listRuleFiles(FIXTURES).filter((f) => /linux\/builtin|network\/dns|web\//.test(f));
    expect(files.length).toBeGreaterThan(40);
    const texts = files.map((f) => readFileSync(f, 'utf8'));
    const r = rng(20261201);
    const seen = { compiled: 0, unsupported: 0, invalid: 0 };
    const events = [
      storedEvent('syslog', { message: 'Failed password for root', 'process.name': 'sshd' }),
      storedEvent('http', {
        'url.original': '/a?b=c',
        'user_agent.original': 'x',
        'source.ip': '10.0.0.1',
        'http.response.status_code': 200,
      }),
      storedEvent('dns', { 'dns.question.name': 'a.example', 'source.ip': '2001:db8::1' }),
    ];
    // Bounded: 800 mutants.
    for (let i = 0; i < 800; i++) {
      const text = mutate(texts[i % texts.length]!, r);
      let rules;
      try {
        rules = compileSigma(text, `fuzz-${i}.yml`);
      } catch (err) {
        throw new Error(`compileSigma threw on mutant ${i}: ${(err as Error).message}\n${text}`);
      }
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(['compiled', 'unsupported', 'invalid']).toContain(rule.info.status);
        expect(rule.info.status === 'compiled' ? rule.info.reason : typeof rule.info.reason).toBe(
          rule.info.status === 'compiled' ? null : 'string',
        );
        seen[rule.info.status]++;
        if (rule.detection)
          for (const ev of events) expect(typeof rule.detection.match(new EventView(ev))).toBe('boolean');
      }
      const engine = new SigmaEngine(
        rules.map((rule) => ({ rule, file: 'f', origin: 'policy' as const, scopePath: '' })),
      );
      expect(Array.isArray(engine.evaluate(events))).toBe(true);
    }
    // The mutants exercise every outcome.
    expect(seen.compiled).toBeGreaterThan(100);
    expect(seen.unsupported).toBeGreaterThan(10);
    expect(seen.invalid).toBeGreaterThan(100);
  });
});
