import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import type { AlertSeverity } from '@tianshu/protocol';
import { compileCondition } from './condition.js';
import type { EventView } from './event.js';
import { bindLogsource, resolveField, type SourceBinding } from './logsource.js';
import { RuleProblem, invalid, show, unsupported } from './problem.js';
import { compileField, compileKeywords, type Pred } from './values.js';
import { compileCorrelationSpec, type CorrelationSpec } from './correlation.js';

/**
 * The Sigma compiler: YAML (one rule, a multi-document collection with `action: global`, or a
 * correlation rule with the rules it refers to) into compiled rules — closures over pre-lowered
 * needles, compiled RegExps and parsed CIDRs, never the YAML interpreted per event. Each rule is
 * `compiled`, or `unsupported` / `invalid` with the reason and never run.
 */

export type RuleStatus = 'compiled' | 'unsupported' | 'invalid';
export type SigmaLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';

/** Longest rule text the compiler reads. */
export const MAX_RULE_BYTES = 1_048_576;
/** Most documents one file may hold. */
export const MAX_DOCUMENTS = 500;

export interface RuleInfo {
  id: string;
  title: string;
  /** The correlation-reference name (`name:`), when set. */
  name: string | undefined;
  kind: 'sigma' | 'correlation';
  level: SigmaLevel;
  status: RuleStatus;
  reason: string | null;
  logsource: Record<string, string>;
  /** ATT&CK technique ids from `attack.tNNNN[.NNN]` tags. */
  attack: string[];
  description: string | undefined;
  /** Position of the document in its file (0-based, `action: global` documents not counted). */
  document: number;
}

export interface CompiledDetection {
  binding: SourceBinding;
  match: (e: EventView) => boolean;
  /** Maps a Sigma field name to the event's (for correlation group-by); throws when unknown. */
  resolve(field: string): string;
}

export interface CompiledRule {
  info: RuleInfo;
  /** Set when `info.kind` is sigma and the status compiled. */
  detection?: CompiledDetection;
  /** Set when `info.kind` is correlation and the document is well formed (references unresolved). */
  correlation?: CorrelationSpec;
}

const LEVELS: readonly SigmaLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];

export function severityOf(level: SigmaLevel): AlertSeverity {
  return level === 'informational' ? 'low' : level;
}

/** `attack.t1110.001` → `T1110.001`; other tags ignored. */
export function attackIds(tags: unknown): string[] {
  if (!Array.isArray(tags)) return [];
  const out = new Set<string>();
  for (const t of tags) {
    if (typeof t !== 'string') continue;
    const m = /^attack\.t(\d{4})(?:\.(\d{3}))?$/i.exec(t.trim());
    if (m) out.add(`T${m[1]}${m[2] ? `.${m[2]}` : ''}`);
  }
  return [...out].slice(0, 32);
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge for `action: global` (maps merged key by key; anything else replaced). */
function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isMap(prev) && isMap(v) ? merge(prev, v) : v;
  }
  return out;
}

function compileSelection(name: string, v: unknown, resolve: (f: string) => string): Pred {
  if (v === null || v === undefined) return invalid(`search identifier "${name}" is empty`);
  if (typeof v === 'string' || typeof v === 'number') return compileKeywords([v]);
  if (Array.isArray(v)) {
    if (v.length === 0) return invalid(`search identifier "${name}" is an empty list`);
    if (v.every((x) => isMap(x))) {
      const ors = v.map((m, i) => compileMap(`${name}[${i}]`, m as Record<string, unknown>, resolve));
      return ors.length === 1 ? ors[0]! : (e) => ors.some((p) => p(e));
    }
    if (v.some((x) => isMap(x) || Array.isArray(x))) {
      return invalid(`search identifier "${name}" mixes keywords and field maps`);
    }
    return compileKeywords(v);
  }
  if (isMap(v)) return compileMap(name, v, resolve);
  return invalid(`search identifier "${name}" must be a map, a list or a keyword, got ${show(v)}`);
}

function compileMap(name: string, m: Record<string, unknown>, resolve: (f: string) => string): Pred {
  const entries = Object.entries(m);
  if (entries.length === 0) return invalid(`search identifier "${name}" is an empty map`);
  const preds = entries.map(([k, v]) => {
    if (isMap(v)) return invalid(`"${name}.${k}": a value cannot be a map`);
    if (k.startsWith('|')) {
      const mods = k.slice(1).split('|');
      if (mods.some((x) => x !== 'all' && x !== 'contains')) {
        return unsupported(`"${show(k)}": modifiers other than all on keywords are not supported`);
      }
      return compileKeywords(Array.isArray(v) ? v : [v], mods.includes('all'));
    }
    if (Array.isArray(v) && v.some((x) => isMap(x) || Array.isArray(x))) {
      return invalid(`"${name}.${k}": values must be scalars`);
    }
    return compileField(k, v, resolve);
  });
  return preds.length === 1 ? preds[0]! : (e) => preds.every((p) => p(e));
}

function compileDetection(detection: unknown, binding: SourceBinding): CompiledDetection {
  if (!isMap(detection)) return invalid('the rule has no detection map');
  const resolve = (f: string) => resolveField(binding, f);
  const ids = new Map<string, Pred>();
  let condition: unknown;
  for (const [k, v] of Object.entries(detection)) {
    if (k === 'condition') condition = v;
    else if (k === 'timeframe')
      unsupported('detection.timeframe (Sigma 1.x aggregation) is not supported; write a correlation rule');
    else ids.set(k, compileSelection(k, v, resolve));
  }
  if (condition === undefined) return invalid('the detection has no condition');
  const conds = Array.isArray(condition) ? condition : [condition];
  if (conds.length === 0 || conds.some((c) => typeof c !== 'string' || !c.trim())) {
    return invalid('detection.condition must be an expression or a list of expressions');
  }
  const preds = (conds as string[]).map((c) => compileCondition(c, ids));
  const cond: Pred = preds.length === 1 ? preds[0]! : (e) => preds.some((p) => p(e));
  const filter = binding.filter;
  const match: Pred = filter ? (e) => filter(e) && cond(e) : cond;
  return { binding, match, resolve };
}

function textOf(v: unknown, what: string, max: number): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') return invalid(`${what} must be text`);
  const s = String(v);
  if (s.length > max) return invalid(`${what} is longer than ${max} characters`);
  return s;
}

/** A stable id for a rule without one: its source and position. */
function derivedId(source: string, index: number): string {
  return `tianshu-${createHash('sha256').update(`${source}#${index}`).digest('hex').slice(0, 24)}`;
}

function compileDocument(doc: Record<string, unknown>, source: string, index: number): CompiledRule {
  const idText = textOf(doc.id, 'id', 128);
  const rawTitle = typeof doc.title === 'string' ? doc.title : undefined;
  const levelRaw = typeof doc.level === 'string' ? doc.level.toLowerCase() : undefined;
  const info: RuleInfo = {
    id: idText && /^[A-Za-z0-9._:-]{1,128}$/.test(idText) ? idText : derivedId(source, index),
    title: (rawTitle ?? idText ?? `rule ${index + 1}`).slice(0, 256),
    name: typeof doc.name === 'string' ? doc.name.slice(0, 128) : undefined,
    kind: 'correlation' in doc ? 'correlation' : 'sigma',
    level: LEVELS.includes(levelRaw as SigmaLevel) ? (levelRaw as SigmaLevel) : 'medium',
    status: 'compiled',
    reason: null,
    logsource: isMap(doc.logsource)
      ? Object.fromEntries(
          Object.entries(doc.logsource)
            .filter(([k, v]) => typeof v === 'string' && k !== 'definition')
            .map(([k, v]) => [k, String(v).slice(0, 128)]),
        )
      : {},
    attack: attackIds(doc.tags),
    description: typeof doc.description === 'string' ? doc.description.slice(0, 8192) : undefined,
    document: index,
  };
  try {
    if (idText !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(idText)) {
      invalid(`id "${show(idText)}" must be letters, digits and . _ : - (a UUID)`);
    }
    if (!rawTitle || !rawTitle.trim()) invalid('the rule has no title');
    if (rawTitle!.length > 256) invalid('title is longer than 256 characters');
    if (doc.level !== undefined && !LEVELS.includes(levelRaw as SigmaLevel)) {
      invalid(`level "${show(doc.level)}" is not one of ${LEVELS.join(', ')}`);
    }
    if (doc.status === 'deprecated' || doc.status === 'unsupported') {
      unsupported(`the rule's own status is "${String(doc.status)}"`);
    }
    if ('filter' in doc && !('detection' in doc)) {
      unsupported('Sigma filter documents (meta filters) are not supported');
    }
    if (info.kind === 'correlation') {
      if ('detection' in doc) invalid('a document has both correlation and detection');
      return { info, correlation: compileCorrelationSpec(doc.correlation) };
    }
    const binding = bindLogsource(doc.logsource);
    return { info, detection: compileDetection(doc.detection, binding) };
  } catch (err) {
    if (err instanceof RuleProblem) return { info: { ...info, status: err.status, reason: err.message } };
    // A bug in the compiler must not take the loader down: the rule is reported, not run.
    return { info: { ...info, status: 'invalid', reason: `compiler error: ${(err as Error).message}` } };
  }
}

/** An invalid entry for a file that cannot be read as rules. */
export function invalidRule(source: string, reason: string, index = 0): CompiledRule {
  return {
    info: {
      id: derivedId(source, index),
      title: source,
      name: undefined,
      kind: 'sigma',
      level: 'medium',
      status: 'invalid',
      reason,
      logsource: {},
      attack: [],
      description: undefined,
      document: index,
    },
  };
}

/** The outcome of compiling one file: its rules, or one invalid entry when the YAML is unreadable. */
export function compileSigma(text: string, source: string): CompiledRule[] {
  const broken = (reason: string): CompiledRule[] => [invalidRule(source, reason)];
  if (text.length > MAX_RULE_BYTES) return broken(`the file is larger than ${MAX_RULE_BYTES} bytes`);
  let docs;
  try {
    docs = parseAllDocuments(text, { uniqueKeys: true, logLevel: 'error' });
  } catch (err) {
    return broken(`not YAML: ${(err as Error).message}`);
  }
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.length > MAX_DOCUMENTS) return broken(`more than ${MAX_DOCUMENTS} documents`);
  const out: CompiledRule[] = [];
  let global: Record<string, unknown> | undefined;
  let previous: Record<string, unknown> | undefined;
  let index = 0;
  const brokenAt = (reason: string): CompiledRule => invalidRule(source, reason, index++);
  for (const d of list) {
    if (d.errors.length) {
      out.push(brokenAt(`not YAML: ${d.errors[0]!.message.split('\n')[0]}`));
      continue;
    }
    let value: unknown;
    try {
      value = d.toJS({ maxAliasCount: 100 });
    } catch (err) {
      out.push(brokenAt(`not YAML: ${(err as Error).message}`));
      continue;
    }
    if (value === null || value === undefined) continue;
    if (!isMap(value)) {
      out.push(brokenAt('a rule document must be a map'));
      continue;
    }
    const action = value.action;
    if (action === 'global') {
      const { action: _a, ...rest } = value;
      global = rest;
      continue;
    }
    if (action === 'reset') {
      global = undefined;
      continue;
    }
    let doc = value;
    if (action === 'repeat') {
      const { action: _a, ...rest } = value;
      doc = merge(previous ?? {}, rest);
    } else if (action !== undefined) {
      out.push(brokenAt(`unknown action "${show(action)}"`));
      continue;
    }
    previous = doc;
    const full = global && !('correlation' in doc) ? merge(global, doc) : doc;
    out.push(compileDocument(full, source, index++));
  }
  if (out.length === 0) return broken('the file holds no rule');
  return out;
}
