import { isIP } from 'node:net';
import type { AlertInput, Observable } from '@tianshu/protocol';
import type { StoredEvent } from '../types.js';
import { severityOf, type CompiledRule, type RuleInfo, type RuleStatus } from './compile.js';
import { CorrelationRuntime, type CorrelationFire } from './correlation.js';
import { EventView } from './event.js';

/**
 * Compiled Sigma rules over a batch of events: detections indexed by event type (an event is
 * tested only against the rules of its type), correlation rules fed by the detections they name,
 * hits aggregated into one alert per (rule, main observable) per batch. A rule that throws on an
 * event counts an error and the batch goes on. Pure: no I/O; the rules service and the bench
 * build one over the loaded rules.
 */

/** A rule as loaded: compiled, with where it came from. */
export interface LoadedRule {
  rule: CompiledRule;
  file: string;
  origin: 'policy' | 'api';
  /**
   * Runs only on events of this org unit subtree (`''` = every event): an API rule runs in its
   * author's subtree.
   */
  scopePath: string;
  /** The org unit an API rule belongs to (its author's). */
  orgUnitId?: string | undefined;
}

/** A rule's final status (correlations resolved against the other rules). */
export interface EngineRule extends LoadedRule {
  info: RuleInfo;
}

/** Receives hit and error counts (the service keeps them per org unit and flushes them). */
export interface HitRecorder {
  hit(ruleId: string, orgPath: string, ts: number, count: number): void;
  error(ruleId: string, message: string): void;
}

interface Detection {
  entry: EngineRule;
  match: (e: EventView) => boolean;
  /** Raises alerts of its own (false when only correlations that do not `generate` name it). */
  alerts: boolean;
  /** Correlations fed by it, with its index in each. */
  feeds: { corr: Correlation; index: number; groupFields: string[]; valueField: string | undefined }[];
}

interface Correlation {
  entry: EngineRule;
  runtime: CorrelationRuntime;
  /** ECS names of the group-by fields (of the first referenced rule), for observables. */
  groupFields: string[];
}

const MAX_EVENT_IDS = 100;

const noRecorder: HitRecorder = { hit: () => undefined, error: () => undefined };

function withStatus(e: LoadedRule, status: RuleStatus, reason: string): EngineRule {
  return { ...e, info: { ...e.rule.info, status, reason } };
}

const OBSERVABLE_FIELDS: [string, Observable['type'], Observable['role']][] = [
  ['source.ip', 'ip', 'source'],
  ['destination.ip', 'ip', 'target'],
  ['user.name', 'user', 'related'],
  ['dns.question.name', 'domain', 'related'],
  ['url.domain', 'domain', 'related'],
  ['destination.domain', 'domain', 'related'],
  ['tls.client.server_name', 'domain', 'related'],
  ['url.original', 'url', 'related'],
  ['file.hash.sha256', 'hash', 'related'],
  ['file.hash.sha1', 'hash', 'related'],
  ['file.hash.md5', 'hash', 'related'],
  ['host.hostname', 'host', 'target'],
];

function observablesOf(ev: StoredEvent): Observable[] {
  const out: Observable[] = [];
  for (const [field, type, role] of OBSERVABLE_FIELDS) {
    const v = ev.fields[field];
    if (typeof v === 'string' && v && v.length <= 2048) out.push({ type, value: v, role });
    else if (typeof v === 'number' && type === 'ip') out.push({ type, value: String(v), role });
  }
  return out;
}

function ipOf(v: unknown): string | undefined {
  return typeof v === 'string' && isIP(v) ? v : undefined;
}

export class SigmaEngine {
  readonly rules: EngineRule[] = [];
  private readonly byType = new Map<string, Detection[]>();
  private readonly correlations: Correlation[] = [];
  private watermark = 0;

  constructor(
    loaded: readonly LoadedRule[],
    private readonly recorder: HitRecorder = noRecorder,
  ) {
    const byId = new Map<string, EngineRule>();
    const byName = new Map<string, EngineRule>();
    const first: EngineRule[] = [];
    for (const l of loaded) {
      let e: EngineRule = { ...l, info: l.rule.info };
      const dup = byId.get(e.info.id);
      if (dup) e = withStatus(l, 'invalid', `duplicate id: ${dup.file} defines ${e.info.id} too`);
      else byId.set(e.info.id, e);
      if (e.info.name && !byName.has(e.info.name)) byName.set(e.info.name, e);
      first.push(e);
    }
    const detections = new Map<string, Detection>();
    // Detections first, then correlations over them.
    for (const e of first) {
      if (
        e.info.kind === 'sigma' &&
        e.info.status === 'compiled' &&
        e.rule.detection &&
        byId.get(e.info.id) === e
      ) {
        detections.set(e.info.id, { entry: e, match: e.rule.detection.match, alerts: true, feeds: [] });
      }
    }
    const referencedNoGenerate = new Set<string>();
    const referencedGenerate = new Set<string>();
    const final = new Map<EngineRule, EngineRule>();
    for (const e of first) {
      if (e.info.kind !== 'correlation' || e.info.status !== 'compiled' || !e.rule.correlation) continue;
      const spec = e.rule.correlation;
      const targets: Detection[] = [];
      let problem: [RuleStatus, string] | undefined;
      for (const ref of spec.rules) {
        const t = byId.get(ref) ?? byName.get(ref);
        if (!t) {
          problem = ['invalid', `refers to rule "${ref}", which no loaded rule defines`];
          break;
        }
        if (t.info.kind === 'correlation') {
          problem = ['unsupported', `refers to correlation "${ref}": chained correlations are not supported`];
          break;
        }
        const d = detections.get(t.info.id);
        if (!d) {
          problem = [
            'unsupported',
            `refers to rule "${ref}", which is ${t.info.status}: ${t.info.reason ?? ''}`,
          ];
          break;
        }
        targets.push(d);
      }
      const feeds: Detection['feeds'] = [];
      if (!problem) {
        try {
          targets.forEach((d, index) => {
            const ref = spec.rules[index]!;
            const fieldFor = (name: string) => {
              const alias = spec.aliases[name];
              const f = alias
                ? (alias[ref] ?? alias[d.entry.info.name ?? ''] ?? alias[d.entry.info.id])
                : name;
              if (!f) throw new Error(`alias "${name}" has no field for rule "${ref}"`);
              return d.entry.rule.detection!.resolve(f);
            };
            feeds.push({
              corr: undefined as unknown as Correlation,
              index,
              groupFields: spec.groupBy.map(fieldFor),
              valueField: spec.field ? fieldFor(spec.field) : undefined,
            });
          });
        } catch (err) {
          problem = ['unsupported', `group-by: ${(err as Error).message}`];
        }
      }
      if (problem) {
        final.set(e, withStatus(e, problem[0], problem[1]));
        continue;
      }
      const corr: Correlation = {
        entry: e,
        runtime: new CorrelationRuntime(spec, targets.length),
        groupFields: feeds[0]?.groupFields ?? [],
      };
      this.correlations.push(corr);
      targets.forEach((d, i) => {
        d.feeds.push({ ...feeds[i]!, corr });
        (spec.generate ? referencedGenerate : referencedNoGenerate).add(d.entry.info.id);
      });
    }
    for (const [id, d] of detections) {
      if (referencedNoGenerate.has(id) && !referencedGenerate.has(id)) d.alerts = false;
      for (const type of d.entry.rule.detection!.binding.types) {
        let list = this.byType.get(type);
        if (!list) this.byType.set(type, (list = []));
        list.push(d);
      }
    }
    for (const e of first) this.rules.push(final.get(e) ?? e);
  }

  summary(): Record<RuleStatus, number> {
    const s = { compiled: 0, unsupported: 0, invalid: 0 };
    for (const r of this.rules) s[r.info.status]++;
    return s;
  }

  /** Groups evicted and events truncated by the correlations' caps, by rule id. */
  capsHit(): Record<string, { evicted: number; truncated: number; groups: number }> {
    const out: Record<string, { evicted: number; truncated: number; groups: number }> = {};
    for (const c of this.correlations) {
      out[c.entry.info.id] = {
        evicted: c.runtime.evicted,
        truncated: c.runtime.truncated,
        groups: c.runtime.groupCount,
      };
    }
    return out;
  }

  evaluate(events: readonly StoredEvent[]): AlertInput[] {
    const pending = new Map<string, AlertInput>();
    const out: AlertInput[] = [];
    for (const ev of events) {
      const list = this.byType.get(ev.type);
      if (ev.ts > this.watermark) this.watermark = ev.ts;
      if (!list) continue;
      let view: EventView | undefined;
      for (const d of list) {
        const scope = d.entry.scopePath;
        if (scope && !ev.orgPath.startsWith(scope)) continue;
        view ??= new EventView(ev);
        let hit: boolean;
        try {
          hit = d.match(view);
        } catch (err) {
          this.recorder.error(d.entry.info.id, (err as Error).message);
          continue;
        }
        if (!hit) continue;
        this.recorder.hit(d.entry.info.id, ev.orgPath, ev.ts, 1);
        if (d.alerts) this.addHit(pending, d.entry, ev);
        for (const f of d.feeds) this.feed(f, ev, view, out);
      }
    }
    for (const c of this.correlations) {
      for (const fire of c.runtime.sweep(this.watermark)) out.push(this.correlationAlert(c, fire));
    }
    return [...pending.values(), ...out];
  }

  private feed(f: Detection['feeds'][number], ev: StoredEvent, view: EventView, out: AlertInput[]): void {
    const scope = f.corr.entry.scopePath;
    if (scope && !ev.orgPath.startsWith(scope)) return;
    const text = (field: string) => {
      const t = view.text(field);
      return t === undefined ? '' : typeof t === 'string' ? t : t.join(',');
    };
    // Correlation never crosses org units: the unit is part of every group.
    const group = [ev.orgUnitId, ...f.groupFields.map(text)];
    const value = f.valueField ? view.text(f.valueField) : undefined;
    const fire = f.corr.runtime.observe(
      {
        id: ev.id,
        ts: ev.ts,
        group,
        value: value === undefined ? undefined : typeof value === 'string' ? value : value.join(','),
      },
      f.index,
    );
    if (fire) {
      this.recorder.hit(f.corr.entry.info.id, ev.orgPath, ev.ts, 1);
      out.push(this.correlationAlert(f.corr, fire));
    }
  }

  private correlationAlert(c: Correlation, fire: CorrelationFire): AlertInput {
    const info = c.entry.info;
    const [orgUnitId = '', ...values] = fire.group;
    const observables: Observable[] = [];
    const details: Record<string, string | number> = { correlation: c.entry.rule.correlation!.type };
    c.groupFields.forEach((field, i) => {
      const v = values[i] ?? '';
      details[`group.${field}`] = v.slice(0, 4096);
      const o = OBSERVABLE_FIELDS.find(([f]) => f === field);
      if (o && v && v.length <= 2048) observables.push({ type: o[1], value: v, role: o[2] });
    });
    const target = c.groupFields.indexOf('destination.ip');
    const asset = target >= 0 ? ipOf(values[target]) : undefined;
    return {
      source: 'sigma',
      reference: info.id,
      fingerprint: `sigma:${info.id}:${values.join('|')}`.slice(0, 256),
      title: info.title.slice(0, 512),
      ...(info.description ? { description: info.description.slice(0, 8192) } : {}),
      severity: severityOf(info.level),
      attack: info.attack,
      observables: observables.slice(0, 64),
      ...(orgUnitId ? { orgUnitId } : {}),
      ...(asset ? { assetAddress: asset } : {}),
      firstSeen: fire.firstSeen,
      lastSeen: fire.lastSeen,
      count: fire.count,
      eventIds: fire.eventIds.slice(-MAX_EVENT_IDS),
      details,
    };
  }

  private addHit(pending: Map<string, AlertInput>, entry: EngineRule, ev: StoredEvent): void {
    const info = entry.info;
    const main = ipOf(ev.fields['source.ip']) ?? ipOf(ev.fields['destination.ip']) ?? '';
    const fingerprint = `sigma:${info.id}:${ev.orgUnitId}:${main}`.slice(0, 256);
    const prev = pending.get(fingerprint);
    if (prev) {
      prev.count++;
      prev.firstSeen = Math.min(prev.firstSeen, ev.ts);
      prev.lastSeen = Math.max(prev.lastSeen, ev.ts);
      const ids = prev.eventIds!;
      ids.push(ev.id);
      if (ids.length > MAX_EVENT_IDS) ids.shift();
      return;
    }
    const asset = ipOf(ev.fields['destination.ip']) ?? ipOf(ev.fields['host.ip']);
    pending.set(fingerprint, {
      source: 'sigma',
      reference: info.id,
      fingerprint,
      title: info.title.slice(0, 512),
      ...(info.description ? { description: info.description.slice(0, 8192) } : {}),
      severity: severityOf(info.level),
      attack: info.attack,
      observables: observablesOf(ev).slice(0, 64),
      ...(ev.orgUnitId ? { orgUnitId: ev.orgUnitId } : {}),
      ...(asset ? { assetAddress: asset } : {}),
      firstSeen: ev.ts,
      lastSeen: ev.ts,
      count: 1,
      eventIds: [ev.id],
    });
  }
}
