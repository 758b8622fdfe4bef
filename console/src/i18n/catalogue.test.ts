import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasWords, scanSource, type MessageKind, type MessageUse } from './catalogue-scan.js';
import { templates as zhCN } from './zh-CN/index.js';

/**
 * The catalogue check: the code's messages (English) and the Chinese catalogue have the same ids,
 * kinds and placeholders; no console source renders a visible literal outside `msg()`; Chinese is
 * not a copy of the English; the enforced words of docs/glossary.md are used.
 */
const srcDir = fileURLToPath(new URL('..', import.meta.url));
const repo = fileURLToPath(new URL('../../..', import.meta.url));

/** Messages that read the same in both languages (abbreviations, units, product names). */
const sameInBothLanguages = new Set<string>([
  // Each language is offered under its own name.
  'app.language.en',
]);

/** Messages that need not carry a glossary term, with the reason. */
const glossaryExceptions: Record<string, string> = {
  // The navigation names the area's page by what it shows (the collection of flows), 流量采集.
  'nav.flowExporters': 'the flows area names this page 流量采集',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path.endsWith(join('i18n', 'zh-CN')) ? [] : sources(path);
    if (!entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts') || entry.name.endsWith('.d.ts'))
      return [];
    if (entry.name === 'catalogue-scan.ts') return [];
    return [path];
  });
}

const files = sources(srcDir);
const scans = files.map((file) => scanSource(relative(repo, file), readFileSync(file, 'utf8')));
const uses = scans.flatMap((s) => s.uses);
const problems = scans.flatMap((s) => s.problems);
const byId = new Map<string, MessageUse>();
for (const use of uses) if (!byId.has(use.id)) byId.set(use.id, use);

interface Translation {
  kind: MessageKind;
  text: string;
  values: number[];
}

function translation(value: unknown): Translation | undefined {
  if (typeof value === 'string') return { kind: 'string', text: value, values: [] };
  if (value && typeof value === 'object' && 'strings' in value && 'values' in value) {
    const strings = (value as { strings: readonly string[] }).strings;
    const values = (value as { values: readonly unknown[] }).values;
    if (!values.every((v) => typeof v === 'number')) return undefined;
    const nums = values as number[];
    return {
      kind: 'strTag' in value ? 'str' : 'html',
      text: strings.map((s, i) => (i === 0 ? s : `\${${nums[i - 1]}}${s}`)).join(''),
      values: nums,
    };
  }
  return undefined;
}

const at = (use: MessageUse): string => `${use.file}:${use.line}`;

describe('message catalogue', () => {
  it('finds the console’s messages', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(uses.length).toBeGreaterThan(0);
  });

  it('renders no visible literal outside msg(), and every msg() has a literal id and runs late', () => {
    expect(problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([]);
  });

  it('uses each id for one English text only', () => {
    const clashes = uses
      .filter((use) => byId.get(use.id)?.source !== use.source || byId.get(use.id)?.kind !== use.kind)
      .map((use) => `${use.id} at ${at(use)} differs from ${at(byId.get(use.id) as MessageUse)}`);
    expect(clashes).toEqual([]);
  });

  it('has a Chinese translation for every id and no translation without an id', () => {
    const zh = new Set(Object.keys(zhCN));
    const untranslated = [...byId.keys()]
      .filter((id) => !zh.has(id))
      .map((id) => `${id} (${at(byId.get(id) as MessageUse)})`);
    const stale = [...zh].filter((id) => !byId.has(id));
    expect({ untranslated, stale }).toEqual({ untranslated: [], stale: [] });
  });

  it('keeps kind and placeholders between English and Chinese', () => {
    const wrong: string[] = [];
    for (const [id, value] of Object.entries(zhCN)) {
      const use = byId.get(id);
      if (!use) continue;
      const t = translation(value);
      if (!t) {
        wrong.push(
          `${id}: the translation is neither a string nor a str/html template with numbered placeholders`,
        );
        continue;
      }
      if (t.kind !== use.kind) wrong.push(`${id}: English is ${use.kind}, Chinese is ${t.kind}`);
      const expected = Array.from({ length: use.placeholders }, (_, i) => i);
      const got = [...new Set(t.values)].sort((a, b) => a - b);
      if (JSON.stringify(got) !== JSON.stringify(expected))
        wrong.push(
          `${id}: placeholders ${JSON.stringify(got)} but the English has ${JSON.stringify(expected)}`,
        );
      if (!t.text.trim()) wrong.push(`${id}: empty translation`);
    }
    expect(wrong).toEqual([]);
  });

  it('translates rather than copies the English', () => {
    const copies = Object.entries(zhCN)
      .filter(([id, value]) => {
        const use = byId.get(id);
        const t = translation(value);
        return (
          use && t && t.text === use.source && /[a-z]{3,}/.test(use.source) && !sameInBothLanguages.has(id)
        );
      })
      .map(([id]) => id);
    expect(copies).toEqual([]);
  });

  it('follows the enforced words of the glossary', () => {
    const glossary = readFileSync(join(repo, 'docs', 'glossary.md'), 'utf8');
    const rules = glossary
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .flatMap((line) => (line.split('|')[3] ?? '').split(';'))
      .map((cell) => cell.split('→').map((s) => s.trim()))
      .filter((pair): pair is [string, string] => pair.length === 2 && !!pair[0] && !!pair[1]);
    expect(rules.length).toBeGreaterThan(5);
    const misses: string[] = [];
    for (const [id, value] of Object.entries(zhCN)) {
      const use = byId.get(id);
      const t = translation(value);
      if (!use || !t || id in glossaryExceptions) continue;
      for (const [term, chinese] of rules) {
        const word = new RegExp(`\\b${term.replace(/[-]/g, '\\-')}(s|es)?\\b`, 'i');
        if (word.test(use.source) && !t.text.includes(chinese))
          misses.push(`${id}: "${use.source}" mentions "${term}" but "${t.text}" lacks "${chinese}"`);
      }
    }
    expect(misses).toEqual([]);
  });
});

describe('the scanner behind the check', () => {
  const scan = (code: string) => scanSource('x.ts', code);

  it('reads messages with their ids, kinds and placeholders', () => {
    const { uses: found, problems: none } = scan(
      "const f = (n: number) => [msg('Links', { id: 'links.heading' }), msg(str`${n} of ${n}`, { id: 'links.count' })];",
    );
    expect(none).toEqual([]);
    expect(found.map((u) => [u.id, u.kind, u.source, u.placeholders])).toEqual([
      ['links.heading', 'string', 'Links', 0],
      ['links.count', 'str', '${0} of ${1}', 2],
    ]);
  });

  it('reports literal text, visible attributes and literal expressions in templates', () => {
    const { problems: found } = scan(
      [
        'const a = () => html`<h1>Links</h1>`;',
        'const b = () => html`<input placeholder="Search" class="x">`;',
        "const c = (up: boolean) => html`<span>${up ? 'Up' : 'Down'}</span>`;",
        "const d = () => html`<ts-panel .heading=${'Links'}></ts-panel>`;",
        "const e = () => ({ label: 'Name' });",
      ].join('\n'),
    );
    expect(found.map((p) => p.line)).toEqual([1, 2, 3, 3, 4, 5]);
  });

  it('leaves markup without words, class names, styles and ignored lines alone', () => {
    const { problems: none } = scan(
      [
        "const a = (v: string) => html`<div class=${v ? 'up' : 'down'} data-testid=\"x\">${v} · — &nbsp;%</div>`;",
        'const b = () => html`<style>.x { font-family: Arial }</style>`;',
        '// i18n-ignore: the product mark',
        'const c = () => html`<b>Tianshu</b>`;',
        "const d = () => html`${msg(html`Read <b>more</b>`, { id: 'a.more' })}`;",
      ].join('\n'),
    );
    expect(none).toEqual([]);
  });

  it('reports msg() without an id, at module level, and elements without @localized()', () => {
    const { problems: found } = scan(
      [
        "const a = () => msg('No id');",
        "const b = msg('Early', { id: 'a.early' });",
        "class X { label = msg('Field', { id: 'a.field' }); }",
        "@customElement('ts-x') class Y extends LitElement {}",
        "@localized() @customElement('ts-z') class Z extends LitElement {}",
      ].join('\n'),
    );
    expect(found.map((p) => p.line)).toEqual([1, 2, 3, 4]);
  });

  it('counts words, not punctuation or entities', () => {
    expect(hasWords(' · — 42 % &nbsp; ')).toBe(false);
    expect(hasWords('链路')).toBe(true);
    expect(hasWords('s')).toBe(true);
  });
});
