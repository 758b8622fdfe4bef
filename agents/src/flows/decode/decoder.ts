import type { FlowMalformedReason } from '@tianshu/protocol';
import { newFlowRecord, type FlowRecord } from '../record.js';
import { u16, u32 } from './bytes.js';
import { SequenceState, trackSequence } from './sequence.js';
import { decodeSflow } from './sflow.js';
import {
  compileTemplate,
  newReadScratch,
  readRecord,
  TemplateCache,
  TimeKind,
  VARIABLE,
  type ReadScratch,
  type Template,
  type TemplateCacheOptions,
} from './templates.js';
import {
  newInterfaceCounters,
  VERSION_BIT,
  type DecodeResult,
  type FlowDecodeCounters,
  type FlowSink,
} from './types.js';

export interface FlowDecoderOptions extends Omit<TemplateCacheOptions, 'timeoutMillis'> {
  /** v9/IPFIX templates not refreshed for this long are forgotten (UDP). Default 30 minutes. */
  templateTimeoutMillis?: number;
  /** The clock (unix milliseconds); tests pass their own. Default `Date.now`. */
  now?: () => number;
  /** Exporters whose sequence and sampling state is kept (the oldest is forgotten beyond). Default 10,000. */
  maxExporters?: number;
  /** (exporter, version, domain) states kept in total (beyond, datagrams decode without). Default 100,000. */
  maxDomains?: number;
}

/** Sequence and sampling state of one (exporter, version, observation domain / source id). */
export class DomainState {
  readonly seq = new SequenceState();
  /** The last sampling rate the domain's options data gave (0 = none). */
  rate = 0;
  /** Rates per sampler / selector id. */
  readonly samplers = new Map<number, number>();
  /** IPFIX systemInitTimeMilliseconds (160) from options data, for uptime-relative times. */
  systemInit = 0;
}

const MAX_DOMAINS_PER_EXPORTER = 256;
const MAX_SAMPLERS_PER_DOMAIN = 1024;
const MAX_RATE = 4_294_967_295;

/** Per exporter: its domains. */
class ExporterState {
  readonly domains = new Map<number, DomainState>();
}

// Field lists of the template being parsed (a template has at most 16,383 fields in 65,535 bytes).
const FIELD_IDS = new Int32Array(16_384);
const FIELD_LENS = new Int32Array(16_384);

/**
 * The flow decoder: NetFlow v5, NetFlow v9 (RFC 3954), IPFIX (RFC 7011) and sFlow v5, one datagram
 * at a time, with the templates and sequence state of every exporter.
 *
 * Guarantees, whatever the bytes: `decode` never throws, every loop is bounded by the datagram's
 * length, and what it keeps (templates, sampler rates, sequence state) is bounded by the options'
 * limits. A malformed datagram is counted in `counters.malformed[reason]` and dropped: a datagram
 * whose header or set/sample structure is broken delivers nothing; a bad template, variable-length
 * field or flow sample found inside an otherwise well-formed datagram stops the decoding there (the
 * records before it were valid and have been delivered, the rest of the datagram is dropped).
 */
export class FlowDecoder {
  readonly templates: TemplateCache;
  private readonly now: () => number;
  private readonly maxExporters: number;
  private readonly maxDomains: number;
  private domains = 0;
  private readonly exporters = new Map<string, ExporterState>();
  private readonly record: FlowRecord = newFlowRecord();
  private readonly options: FlowRecord = newFlowRecord();
  private readonly x: ReadScratch = newReadScratch();
  private readonly spare = new DomainState();
  /** @internal reused by the sFlow decoder */
  readonly ifCounters = newInterfaceCounters();

  constructor(options: FlowDecoderOptions = {}) {
    this.templates = new TemplateCache({ ...options, timeoutMillis: options.templateTimeoutMillis });
    this.now = options.now ?? Date.now;
    this.maxExporters = options.maxExporters ?? 10_000;
    this.maxDomains = options.maxDomains ?? 100_000;
  }

  /**
   * Decode one datagram from `exporter` (the UDP source address text), calling `sink.onFlow` per
   * flow record (the same reused record each time) and adding to `counters`. Returns 'ok' or the
   * malformation reason (already counted).
   */
  decode(buf: Uint8Array, exporter: string, sink: FlowSink, counters: FlowDecodeCounters): DecodeResult {
    counters.packets++;
    // The decoder's own reads are bounds-checked and cannot throw; an error thrown by the sink is
    // the caller's and passes through.
    const result = this.dispatch(buf, exporter, sink, counters);
    if (result !== 'ok') counters.malformed[result]++;
    return result;
  }

  /** Forget an exporter's templates and state (it was removed from the allowed sources). */
  forget(exporter: string): void {
    this.domains -= this.exporters.get(exporter)?.domains.size ?? 0;
    this.exporters.delete(exporter);
    this.templates.forget(exporter);
  }

  /** Drop expired templates (call now and then; lookups also drop them). Returns how many. */
  expire(): number {
    return this.templates.expire(this.now());
  }

  /** Exporters with state held. */
  get exporterCount(): number {
    return this.exporters.size;
  }

  /** (exporter, version, domain) states held. */
  get domainCount(): number {
    return this.domains;
  }

  private dispatch(buf: Uint8Array, exporter: string, sink: FlowSink, c: FlowDecodeCounters): DecodeResult {
    if (buf.length < 4) return 'truncated';
    const version = u16(buf, 0);
    switch (version) {
      case 5:
        c.versions |= VERSION_BIT[5];
        return this.v5(buf, exporter, sink, c);
      case 9:
        c.versions |= VERSION_BIT[9];
        return this.v9(buf, exporter, sink, c);
      case 10:
        c.versions |= VERSION_BIT[10];
        return this.ipfix(buf, exporter, sink, c);
      case 0:
        if (u32(buf, 0) === 5) {
          c.versions |= VERSION_BIT.sflow;
          return decodeSflow(this, buf, exporter, sink, c, this.record, this.now());
        }
        return 'bad-version';
      default:
        return 'bad-version';
    }
  }

  /** @internal The state of (exporter, version, domain), created when needed (bounded). */
  domain(exporter: string, version: number, domain: number): DomainState {
    let e = this.exporters.get(exporter);
    if (e === undefined) {
      if (this.exporters.size >= this.maxExporters) {
        const oldest = this.exporters.keys().next().value;
        if (oldest !== undefined) {
          this.domains -= this.exporters.get(oldest)!.domains.size;
          this.exporters.delete(oldest);
        }
      }
      e = new ExporterState();
      this.exporters.set(exporter, e);
    }
    const key = version * 4294967296 + domain;
    let d = e.domains.get(key);
    if (d === undefined) {
      if (e.domains.size >= MAX_DOMAINS_PER_EXPORTER || this.domains >= this.maxDomains) {
        // Beyond the bound the datagram is decoded without sequence or sampling state.
        const s = this.spare;
        s.seq.next = -1;
        s.rate = 0;
        s.samplers.clear();
        s.systemInit = 0;
        return s;
      }
      d = new DomainState();
      e.domains.set(key, d);
      this.domains++;
    }
    return d;
  }

  // ---------------------------------------------------------------- NetFlow v5

  private v5(b: Uint8Array, exporter: string, sink: FlowSink, c: FlowDecodeCounters): DecodeResult {
    if (b.length < 24) return 'truncated';
    const count = u16(b, 2);
    if (24 + count * 48 > b.length) return 'truncated';
    const sysUptime = u32(b, 4);
    const exportMillis = u32(b, 8) * 1000 + Math.floor(u32(b, 12) / 1_000_000);
    const seq = u32(b, 16);
    const engine = (b[20]! << 8) | b[21]!;
    // Sampling: 2 bits of mode, 14 bits of interval (0 = the exporter says nothing).
    const rate = u16(b, 22) & 0x3fff;
    trackSequence(this.domain(exporter, 5, engine).seq, seq, count, true, c);
    const r = this.record;
    r.version = 5;
    r.domain = 0;
    r.ipVersion = 4;
    r.srcV6 = '';
    r.dstV6 = '';
    r.nextHopV6 = '';
    r.samplingRate = rate;
    for (let i = 0, o = 24; i < count; i++, o += 48) {
      r.srcV4 = u32(b, o);
      r.dstV4 = u32(b, o + 4);
      r.nextHopV4 = u32(b, o + 8);
      r.inIf = (b[o + 12]! << 8) | b[o + 13]!;
      r.outIf = (b[o + 14]! << 8) | b[o + 15]!;
      r.packets = u32(b, o + 16);
      r.bytes = u32(b, o + 20);
      r.startMillis = exportMillis - ((sysUptime - u32(b, o + 24)) | 0);
      r.endMillis = exportMillis - ((sysUptime - u32(b, o + 28)) | 0);
      r.srcPort = (b[o + 32]! << 8) | b[o + 33]!;
      r.dstPort = (b[o + 34]! << 8) | b[o + 35]!;
      r.tcpFlags = b[o + 37]!;
      r.proto = b[o + 38]!;
      r.tos = b[o + 39]!;
      r.srcAs = (b[o + 40]! << 8) | b[o + 41]!;
      r.dstAs = (b[o + 42]! << 8) | b[o + 43]!;
      sink.onFlow(r);
    }
    c.records += count;
    return 'ok';
  }

  // ---------------------------------------------------------------- NetFlow v9 and IPFIX

  private v9(b: Uint8Array, exporter: string, sink: FlowSink, c: FlowDecodeCounters): DecodeResult {
    if (b.length < 20) return 'truncated';
    const sysUptime = u32(b, 4);
    const exportMillis = u32(b, 8) * 1000;
    const domain = u32(b, 16);
    const ds = this.domain(exporter, 9, domain);
    // A datagram that arrived malformed was not lost: its sequence number counts as received.
    trackSequence(ds.seq, u32(b, 12), 1, false, c);
    const structure = checkSets(b, 20, b.length);
    if (structure !== 'ok') return structure;
    return this.sets(b, 20, b.length, 9, domain, ds, exporter, sysUptime, exportMillis, sink, c);
  }

  private ipfix(b: Uint8Array, exporter: string, sink: FlowSink, c: FlowDecodeCounters): DecodeResult {
    if (b.length < 16) return 'truncated';
    const length = u16(b, 2);
    if (length < 16) return 'bad-length';
    if (length > b.length) return 'truncated';
    const exportMillis = u32(b, 4) * 1000;
    const domain = u32(b, 12);
    const ds = this.domain(exporter, 10, domain);
    const structure = checkSets(b, 16, length);
    if (structure !== 'ok') {
      trackSequence(ds.seq, u32(b, 8), -1, true, c); // its record count is unknown: re-synchronise
      return structure;
    }
    this.dataRecords = 0;
    this.unknownData = false;
    const result = this.sets(b, 16, length, 10, domain, ds, exporter, -1, exportMillis, sink, c);
    trackSequence(ds.seq, u32(b, 8), result === 'ok' && !this.unknownData ? this.dataRecords : -1, true, c);
    return result;
  }

  /** IPFIX data records in the current message (for its sequence number). */
  private dataRecords = 0;
  /** The current message had a data set with an unknown template. */
  private unknownData = false;

  private sets(
    b: Uint8Array,
    start: number,
    end: number,
    version: 9 | 10,
    domain: number,
    ds: DomainState,
    exporter: string,
    sysUptime: number,
    exportMillis: number,
    sink: FlowSink,
    c: FlowDecodeCounters,
  ): DecodeResult {
    const now = this.now();
    const templateSet = version === 9 ? 0 : 2;
    const optionsSet = version === 9 ? 1 : 3;
    let templates = this.templates.of(exporter);
    let o = start;
    while (o + 4 <= end) {
      const id = u16(b, o);
      const setEnd = o + u16(b, o + 2);
      const body = o + 4;
      o = setEnd;
      if (id === templateSet || id === optionsSet) {
        const result = this.templateSet(
          b,
          body,
          setEnd,
          version,
          domain,
          id === optionsSet,
          exporter,
          now,
          c,
        );
        if (result !== 'ok') return result;
        templates = this.templates.of(exporter);
        continue;
      }
      if (id < 256) continue; // reserved set ids: skipped (RFC 3954 §5.3, RFC 7011 §3.3.2)
      const t = this.templates.get(templates, TemplateCache.key(version, domain, id), now);
      if (t === undefined) {
        c.missingTemplates++;
        this.unknownData = true;
        continue;
      }
      const result = t.options
        ? this.optionsData(t, b, body, setEnd, ds, c)
        : this.data(t, b, body, setEnd, version, domain, ds, sysUptime, exportMillis, sink, c);
      if (result !== 'ok') return result;
    }
    return 'ok';
  }

  private templateSet(
    b: Uint8Array,
    o: number,
    end: number,
    version: 9 | 10,
    domain: number,
    options: boolean,
    exporter: string,
    now: number,
    c: FlowDecodeCounters,
  ): DecodeResult {
    const head = options && version === 9 ? 6 : 4;
    while (o + head <= end) {
      const recordStart = o;
      const id = u16(b, o);
      if (id === 0) break; // padding (RFC 3954 §5.2 / RFC 7011 §3.3.1)
      let fields: number;
      let scopeFields = 0;
      if (version === 9 && options) {
        const scopeLength = u16(b, o + 2);
        const optionLength = u16(b, o + 4);
        if (scopeLength % 4 !== 0 || optionLength % 4 !== 0) return 'bad-template';
        scopeFields = scopeLength / 4;
        fields = scopeFields + optionLength / 4;
        o += 6;
      } else {
        fields = u16(b, o + 2);
        o += 4;
        if (fields === 0) {
          if (version === 9) return 'bad-template';
          // IPFIX withdrawal: one template, or all (id 2 / 3) of this domain (RFC 7011 §8.1).
          if (id === (options ? 3 : 2)) this.templates.withdrawAll(exporter, 10, domain, options);
          else this.templates.withdraw(exporter, TemplateCache.key(10, domain, id));
          c.templateWithdrawals++;
          continue;
        }
        if (options) {
          if (o + 2 > end) return 'bad-template';
          scopeFields = u16(b, o);
          o += 2;
          if (scopeFields === 0 || scopeFields > fields) return 'bad-template';
        }
      }
      if (id < 256 || fields === 0) return 'bad-template';
      if (o + fields * 4 > end) return 'bad-template';
      for (let i = 0; i < fields; i++) {
        let fid = u16(b, o);
        const len = u16(b, o + 2);
        o += 4;
        if (version === 10 && fid & 0x8000) {
          if (o + 4 > end) return 'bad-template';
          o += 4; // enterprise number: the element is not ours, skipped by its length
          fid = -1;
        } else if (version === 9 && i < scopeFields) {
          fid = -1; // v9 scope field types are not information elements
        } else if (version === 9 && len === VARIABLE) {
          return 'bad-template'; // v9 has no variable-length fields
        }
        FIELD_IDS[i] = fid;
        FIELD_LENS[i] = len;
      }
      const definition = Buffer.from(b.buffer, b.byteOffset + recordStart, o - recordStart);
      const ids = FIELD_IDS.subarray(0, fields);
      const lens = FIELD_LENS.subarray(0, fields);
      const key = TemplateCache.key(version, domain, id);
      const ok = this.templates.put(exporter, key, definition, now, () =>
        compileTemplate(id, options, ids, lens, definition, now, this.templates.layouts),
      );
      if (ok) c.templates++;
      else if (
        this.templates.sizeOf(exporter) >= this.templates.maxPerExporter ||
        this.templates.size >= this.templates.maxTotal
      ) {
        c.templatesRefused++;
      } else return 'bad-template';
    }
    return 'ok';
  }

  private data(
    t: Template,
    b: Uint8Array,
    o: number,
    end: number,
    version: 9 | 10,
    domain: number,
    ds: DomainState,
    sysUptime: number,
    exportMillis: number,
    sink: FlowSink,
    c: FlowDecodeCounters,
  ): DecodeResult {
    const r = this.record;
    const x = this.x;
    r.version = version;
    r.domain = domain;
    const read = t.read;
    let n = 0;
    let result: DecodeResult = 'ok';
    if (read !== null) {
      const len = t.fixedLength;
      for (; o + len <= end; o += len) {
        read(b, o, r, x);
        this.finish(t, r, x, ds, sysUptime, exportMillis);
        sink.onFlow(r);
        n++;
      }
    } else {
      while (o + t.minLength <= end) {
        const next = readRecord(t, b, o, end, r, x);
        if (next < 0) {
          result = 'bad-length';
          break;
        }
        o = next;
        this.finish(t, r, x, ds, sysUptime, exportMillis);
        sink.onFlow(r);
        n++;
      }
    }
    c.records += n;
    this.dataRecords += n;
    return result;
  }

  private finish(
    t: Template,
    r: FlowRecord,
    x: ReadScratch,
    ds: DomainState,
    sysUptime: number,
    exportMillis: number,
  ) {
    if (t.ipVersion !== 0) r.ipVersion = t.ipVersion;
    else {
      const v = x.ipv === 4 || x.ipv === 6 ? x.ipv : r.srcV4 === 0 && r.dstV4 === 0 && r.srcV6 !== '' ? 6 : 4;
      r.ipVersion = v;
    }
    if (r.ipVersion === 4) {
      r.srcV6 = '';
      r.dstV6 = '';
      r.nextHopV6 = '';
    } else {
      r.srcV4 = 0;
      r.dstV4 = 0;
      r.nextHopV4 = 0;
    }
    r.startMillis = this.time(t.startKind, x.t0, ds, sysUptime, exportMillis);
    r.endMillis = this.time(t.endKind, x.t1, ds, sysUptime, exportMillis);
    if (x.rate > 0) r.samplingRate = x.rate;
    else if (t.hasSampler) r.samplingRate = ds.samplers.get(x.sampler) ?? ds.rate;
    else r.samplingRate = ds.rate;
  }

  private time(kind: TimeKind, v: number, ds: DomainState, sysUptime: number, exportMillis: number): number {
    switch (kind) {
      case TimeKind.None:
        return 0;
      case TimeKind.Absolute:
        return v;
      case TimeKind.Uptime:
        // v9: relative to the header's sysUptime; IPFIX: to systemInitTimeMilliseconds when known.
        // (sysUptime is −1 for IPFIX, which has none in its header.)
        if (sysUptime >= 0) return exportMillis - ((sysUptime - v) | 0);
        return ds.systemInit > 0 ? ds.systemInit + v : 0;
      case TimeKind.DeltaUs:
        return exportMillis - Math.floor(v / 1000);
    }
  }

  private optionsData(
    t: Template,
    b: Uint8Array,
    o: number,
    end: number,
    ds: DomainState,
    c: FlowDecodeCounters,
  ): DecodeResult {
    const r = this.options;
    const x = this.x;
    while (o + t.minLength <= end) {
      const next = readRecord(t, b, o, end, r, x);
      if (next < 0) return 'bad-length';
      o = next;
      this.dataRecords++;
      let rate = x.rate;
      if (rate === 0 && x.packetInterval > 0)
        rate = Math.round((x.packetInterval + x.packetSpace) / x.packetInterval);
      if (rate === 0 && x.sampleSize > 0 && x.samplePopulation > 0)
        rate = Math.round(x.samplePopulation / x.sampleSize);
      if (rate > 0) {
        rate = Math.min(rate, MAX_RATE);
        c.samplingOptions++;
        ds.rate = rate;
        if (t.hasSampler && (ds.samplers.size < MAX_SAMPLERS_PER_DOMAIN || ds.samplers.has(x.sampler))) {
          ds.samplers.set(x.sampler, rate);
        }
      }
      if (x.systemInit > 0) ds.systemInit = x.systemInit;
    }
    return 'ok';
  }
}

/** Check that the sets of a v9/IPFIX datagram tile `[start, end)` (trailing bytes under 4 = padding). */
function checkSets(b: Uint8Array, start: number, end: number): FlowMalformedReason | 'ok' {
  let o = start;
  while (o + 4 <= end) {
    const len = u16(b, o + 2);
    if (len < 4) return 'bad-length';
    if (o + len > end) return 'truncated';
    o += len;
  }
  return 'ok';
}

/** A decoder with its own template cache and state (see `FlowDecoder`). */
export function createFlowDecoder(options: FlowDecoderOptions = {}): FlowDecoder {
  return new FlowDecoder(options);
}
