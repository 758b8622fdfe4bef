import type { EventValue } from '@tianshu/protocol';
import type { StoredEvent } from '../types.js';
import { compileSigma, type CompiledRule } from './compile.js';
import { SigmaEngine, type LoadedRule } from './engine.js';

/** Helpers for tests of the Sigma compiler and engine (not used by the product). */

let seq = 0;

/** A stored event in the shape of the parsers' output (ECS fields), attributed to `orgUnitId`. */
export function storedEvent(
  type: string,
  fields: Record<string, EventValue>,
  opts: {
    ts?: number;
    raw?: string;
    orgUnitId?: string;
    orgPath?: string;
    format?: StoredEvent['format'];
  } = {},
): StoredEvent {
  const format = opts.format ?? (type === 'syslog' ? 'syslog' : type === 'cef' ? 'cef' : 'eve');
  return {
    id: `ev-${++seq}`,
    ts: opts.ts ?? Date.UTC(2026, 11, 1, 12, 0, 0),
    format,
    type,
    fields,
    raw: opts.raw ?? JSON.stringify(fields),
    orgUnitId: opts.orgUnitId ?? 'county-a',
    orgPath: opts.orgPath ?? '/sc/cd/county-a/',
    agentId: '',
    source: 'test',
  };
}

/** Compiles one YAML text; throws when it holds other than one rule. */
export function compileOne(yaml: string): CompiledRule {
  const rules = compileSigma(yaml, 'test.yml');
  if (rules.length !== 1) throw new Error(`expected one rule, got ${rules.length}`);
  return rules[0]!;
}

/** An engine over YAML texts (each a file). */
export function engineOf(...texts: string[]): SigmaEngine {
  const loaded: LoadedRule[] = texts.flatMap((t, i) =>
    compileSigma(t, `test-${i}.yml`).map((rule) => ({
      rule,
      file: `test-${i}.yml`,
      origin: 'policy' as const,
      scopePath: '',
    })),
  );
  return new SigmaEngine(loaded);
}

/** A detection rule's YAML around a logsource and detection body (indented YAML lines). */
export function ruleYaml(logsource: string, detection: string, extra = ''): string {
  return `title: test rule\nid: 11111111-2222-3333-4444-555555555555\nlevel: high\n${extra}logsource:\n${logsource
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\ndetection:\n${detection
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
}
