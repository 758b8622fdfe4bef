import type { FlowSamplingOverride } from '@tianshu/protocol';
import { canonicalAddress } from './addresses.js';
import type { FlowRecord } from './record.js';

/** Where a record's sampling rate came from (counted per payload in `stats.samplingSources`). */
export type SamplingSource = 'exporter' | 'configured' | 'default';

export interface ExporterSampling {
  rate: number | undefined;
  interfaces: Map<number, number>;
  override: boolean;
}

/**
 * Chooses the sampling rate of each record:
 * 1. a rate configured for the exporter (for the record's input interface, else its output
 *    interface, else the whole exporter) when that configuration says `override: true`;
 * 2. else the rate the exporter gave (`record.samplingRate` > 0: header, options data, sFlow sample);
 * 3. else the configured rate (interface, then exporter);
 * 4. else `defaultSamplingRate`.
 * Input interface first: routers sample on ingress, so the input interface's rate is the one that
 * applied to the packet.
 */
export class SamplingResolver {
  readonly #byExporter = new Map<string, ExporterSampling>();
  readonly #default: number;
  /** Set by {@link resolve}: the source of the rate it returned. */
  source: SamplingSource = 'default';

  constructor(overrides: readonly FlowSamplingOverride[], defaultRate: number) {
    if (!(Number.isInteger(defaultRate) && defaultRate >= 1)) {
      throw new Error(`defaultSamplingRate must be an integer of at least 1, got ${defaultRate}`);
    }
    this.#default = defaultRate;
    for (const o of overrides) {
      const address = canonicalAddress(o.exporter);
      if (!address) throw new Error(`sampling override for "${o.exporter}": not an IPv4 or IPv6 address`);
      const interfaces = new Map<number, number>();
      for (const i of o.interfaces ?? []) interfaces.set(i.ifIndex, i.samplingRate);
      this.#byExporter.set(address, { rate: o.samplingRate, interfaces, override: o.override ?? false });
    }
  }

  /** The exporter's entry, looked up once per datagram (undefined: nothing configured). */
  exporter(address: string): ExporterSampling | undefined {
    return this.#byExporter.get(address);
  }

  /** The rate for `r` (exporter entry from {@link exporter}); sets {@link source}. */
  resolve(cfg: ExporterSampling | undefined, r: FlowRecord): number {
    let configured: number | undefined;
    if (cfg) {
      configured =
        cfg.interfaces.size > 0
          ? (cfg.interfaces.get(r.inIf) ?? cfg.interfaces.get(r.outIf) ?? cfg.rate)
          : cfg.rate;
      if (configured !== undefined && cfg.override) {
        this.source = 'configured';
        return configured;
      }
    }
    if (r.samplingRate > 0) {
      this.source = 'exporter';
      return r.samplingRate;
    }
    if (configured !== undefined) {
      this.source = 'configured';
      return configured;
    }
    this.source = 'default';
    return this.#default;
  }
}
