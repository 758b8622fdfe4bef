import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from '../../runtime/logger.js';
import type { FlowProtocol, FlowsScenario } from '../scenario.js';
import { SeededRandom, hashString } from '../traffic.js';
import {
  IpfixEncoder,
  MAX_DATAGRAM,
  type LabFlowRecord,
  NetflowV9Encoder,
  SflowEncoder,
  type SflowInterfaceCounters,
} from './encode.js';
import {
  netflowRecords,
  sflowSamples,
  trafficMatrix,
  type InterfaceDelta,
  type RouterFlowPlan,
  type SynthOptions,
} from './synth.js';

/** A collector endpoint. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Parses `127.0.0.1:2055` or `[::1]:2055`. */
export function parseEndpoint(text: string): Endpoint {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535)
    throw new Error(`a collector is host:port such as 127.0.0.1:2055, not "${text}"`);
  return { host: (m[1] ?? m[2])!, port };
}

/** How one router exports. */
export interface RouterExportConfig {
  protocol: FlowProtocol;
  /** The rate the router samples at (1 in N), and per ingress interface. */
  samplingRate: number;
  interfaceRates: Map<number, number>;
  /** The rate it says (differs from samplingRate when it misreports). */
  reportedSamplingRate: number | null;
  collector: Endpoint;
  /** Datagrams per second this router may send. */
  maxDatagramsPerSecond: number;
}

/** What one router's exporter did (running totals since the lab started). */
export interface FlowExportStats {
  deviceId: string;
  address: string;
  protocol: FlowProtocol;
  collector: string;
  samplingRate: number;
  reportedSamplingRate: number | null;
  /** Export intervals done. */
  exports: number;
  datagrams: number;
  /** Flow records (NetFlow/IPFIX) or flow samples (sFlow) sent. */
  records: number;
  /** Octets of the datagrams sent. */
  octets: number;
  /** Octets the sent records say (as exported, before the collector multiplies by the rate). */
  flowOctets: number;
  /** Datagrams not sent because the router's datagram budget was spent (the sequence numbers show the gap). */
  droppedDatagrams: number;
  /** Export intervals whose sFlow rate was raised to keep within the budget. */
  samplingRaised: number;
  sendErrors: number;
  lastError: string | null;
  /**
   * Per ifIndex: the octets the sent records represent (× the real sampling rate), in (the record's
   * inIf) and out (its outIf); compare with the SNMP counters of the interface.
   */
  interfaces: Record<string, { in: number; out: number }>;
}

/** Reads an interface's octet totals from the traffic model (the ones the SNMP counters follow). */
function totals(plan: RouterFlowPlan, tSeconds: number): Map<number, { in: bigint; out: bigint }> {
  const m = new Map<number, { in: bigint; out: bigint }>();
  for (const itf of plan.device.interfaces) {
    m.set(itf.ifIndex, { in: itf.inFlow?.bytes(tSeconds) ?? 0n, out: itf.outFlow?.bytes(tSeconds) ?? 0n });
  }
  return m;
}

/**
 * One router's flow exporter: every interval it turns what its interfaces counted since the last
 * export into flows (synth.ts), encodes them in its protocol and sends them from its own address, so
 * that the collector sees each router as an exporter.
 */
export class RouterFlowExporter {
  readonly stats: FlowExportStats;
  private socket: Socket | null = null;
  private last: Map<number, { in: bigint; out: bigint }>;
  private lastMs: number;
  private readonly rng: SeededRandom;
  private readonly v9: NetflowV9Encoder | null = null;
  private readonly ipfix: IpfixEncoder | null = null;
  private readonly sflow: SflowEncoder | null = null;
  private readonly pools = new Map<number, number>();
  /**
   * Traffic of the lab's attacks crossing this router (attacks.ts): the SNMP counters carry it, the
   * attack exports its own per-second records, so the interval's ordinary flows leave it out.
   */
  readonly attackTraffic: {
    inIf: number;
    outIf: number;
    from: number;
    to: number;
    bytesPerSecond: number;
  }[] = [];

  constructor(
    readonly plan: RouterFlowPlan,
    readonly config: RouterExportConfig,
    private readonly scenario: FlowsScenario,
    private readonly clock: () => number,
    private readonly log: Logger,
    seed: number,
  ) {
    this.lastMs = clock();
    this.last = totals(plan, this.lastMs / 1000);
    this.rng = new SeededRandom(hashString(`${seed}:flows:${plan.deviceId}`));
    const domain = hashString(plan.deviceId) & 0xffff;
    const o = {
      domain,
      templateEveryPackets: scenario.templateEveryPackets,
      templateEverySeconds: scenario.templateEverySeconds,
    };
    if (config.protocol === 'v9') this.v9 = new NetflowV9Encoder(o);
    else if (config.protocol === 'ipfix') this.ipfix = new IpfixEncoder(o);
    else {
      this.sflow = new SflowEncoder({
        agent: plan.address,
        subAgentId: 0,
        macOf: (ifIndex) => plan.device.byIfIndex.get(ifIndex)?.mac ?? Buffer.alloc(6),
      });
    }
    this.stats = {
      deviceId: plan.deviceId,
      address: addressText(plan.address),
      protocol: config.protocol,
      collector: `${config.collector.host}:${config.collector.port}`,
      samplingRate: config.samplingRate,
      reportedSamplingRate: config.reportedSamplingRate,
      exports: 0,
      datagrams: 0,
      records: 0,
      octets: 0,
      flowOctets: 0,
      droppedDatagrams: 0,
      samplingRaised: 0,
      sendErrors: 0,
      lastError: null,
      interfaces: {},
    };
  }

  /** Binds the exporter's UDP socket on the router's own address. */
  async start(): Promise<void> {
    const family = this.plan.address.length === 4 ? 'udp4' : 'udp6';
    const s = createSocket(family);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, addressText(this.plan.address), () => {
        s.off('error', reject);
        resolve();
      });
    });
    s.on('error', (err) => this.fail(err));
    this.socket = s;
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private fail(err: Error): void {
    this.stats.sendErrors++;
    if (this.stats.lastError !== err.message) {
      this.log.warn('lab flow export failed', { device: this.plan.deviceId, error: err.message });
    }
    this.stats.lastError = err.message;
  }

  private rateOf(inIf: number): number {
    return this.config.interfaceRates.get(inIf) ?? this.config.samplingRate;
  }

  /**
   * Exports the traffic counted since the last export (up to `clock()`): builds the flows, encodes
   * them and sends at most the router's budget of datagrams for the interval.
   */
  async exportNow(): Promise<void> {
    const nowMs = this.clock();
    const t = nowMs / 1000;
    const cur = totals(this.plan, t);
    const deltas: InterfaceDelta[] = [];
    for (const [ifIndex, v] of cur) {
      const prev = this.last.get(ifIndex) ?? { in: 0n, out: 0n };
      deltas.push({ ifIndex, inBytes: Number(v.in - prev.in), outBytes: Number(v.out - prev.out) });
    }
    const startMs = this.lastMs;
    this.last = cur;
    this.lastMs = nowMs;
    if (nowMs <= startMs) return;
    for (const a of this.attackTraffic) {
      const overlap = Math.max(0, Math.min(t, a.to) - Math.max(startMs / 1000, a.from));
      if (overlap <= 0) continue;
      const bytes = Math.floor(overlap * a.bytesPerSecond);
      for (const d of deltas) {
        if (d.ifIndex === a.inIf) d.inBytes = Math.max(0, d.inBytes - bytes);
        if (d.ifIndex === a.outIf) d.outBytes = Math.max(0, d.outBytes - bytes);
      }
    }
    const seconds = (nowMs - startMs) / 1000;
    const budget = Math.max(1, Math.floor(this.config.maxDatagramsPerSecond * seconds));
    const cells = trafficMatrix(deltas);
    const uptimeMs = Math.max(0, nowMs - this.plan.device.bootMs);
    const o: SynthOptions = {
      rateOf: (i) => this.rateOf(i),
      ipv6Share: this.scenario.ipv6Share,
      maxFlowsPerCell: 8,
      startMs,
      endMs: nowMs,
      rng: this.rng,
    };
    let datagrams: Buffer[];
    let counts: number[];
    // What each record represents: [inIf, outIf, exported octets, octets × real rate].
    let parts: [number, number, number, number][];
    if (this.sflow) {
      // Bound the datagrams: at least 8 samples fit one; when the interval's samples would need more
      // datagrams than the budget, raise the rate by powers of two (said in every sample).
      const counterSamples = this.counters();
      let factor = 1;
      let pools = new Map(this.pools);
      let samples = sflowSamples(this.plan, cells, o, pools);
      while (Math.ceil((samples.length + counterSamples.length) / 8) > budget && factor < 1 << 16) {
        factor *= 2;
        const f = factor;
        o.rateOf = (i) => this.rateOf(i) * f;
        pools = new Map(this.pools);
        samples = sflowSamples(this.plan, cells, o, pools);
      }
      if (factor > 1) this.stats.samplingRaised++;
      for (const [k, v] of pools) this.pools.set(k, v);
      const said = this.config.reportedSamplingRate;
      const out = samples.map((x) => ({
        ...x.sample,
        samplingRate: said !== null ? said * factor : x.sample.samplingRate,
      }));
      parts = samples.map((x) => [
        x.sample.flow.inIf,
        x.sample.flow.outIf,
        x.sample.frameLength,
        x.sample.frameLength * x.rate,
      ]);
      datagrams = this.sflow.encode(out, counterSamples, { uptimeMs });
      counts = this.sflow.lastRecordCounts;
    } else {
      const recs = netflowRecords(this.plan, cells, o);
      // Interfaces sampled at their own rates name their own sampler (ids from 2).
      const said = this.config.reportedSamplingRate;
      const samplers = [...new Set(this.config.interfaceRates.values())]
        .filter((r) => r !== this.config.samplingRate)
        .map((rate, k) => ({ id: k + 2, rate }));
      const idOf = new Map(samplers.map((x) => [x.rate, x.id]));
      for (const x of recs) x.record.samplerId = idOf.get(x.rate) ?? 1;
      parts = recs.map((x) => [x.record.inIf, x.record.outIf, x.record.bytes, x.record.bytes * x.rate]);
      const enc = (this.v9 ?? this.ipfix)!;
      datagrams = enc.encode(
        recs.map((x) => x.record),
        {
          nowMs,
          uptimeMs,
          samplingRate: said ?? this.config.samplingRate,
          samplers: samplers.map((x) => ({ id: x.id, rate: said ?? x.rate })),
        },
      );
      counts = enc.lastRecordCounts;
    }
    const send = datagrams.slice(0, budget);
    const dropped = datagrams.length - send.length;
    if (dropped > 0) {
      // The router could not send them: the collector sees the gap in the sequence numbers (the
      // encoder numbered them).
      this.stats.droppedDatagrams += dropped;
      this.log.debug('lab flow export over budget', { device: this.plan.deviceId, dropped, budget });
    }
    const sentRecords = counts.slice(0, send.length).reduce((a, b) => a + b, 0);
    for (const [inIf, outIf, octets, represented] of parts.slice(0, sentRecords)) {
      const a = (this.stats.interfaces[String(inIf)] ??= { in: 0, out: 0 });
      a.in += represented;
      const b = (this.stats.interfaces[String(outIf)] ??= { in: 0, out: 0 });
      b.out += represented;
      this.stats.records++;
      this.stats.flowOctets += octets;
    }
    this.stats.exports++;
    await this.sendAll(send);
  }

  /** The real sampling rate of packets entering `inIf`. */
  samplingRateOf(inIf: number): number {
    return this.rateOf(inIf);
  }

  /**
   * Sends records built elsewhere (an attack's, sampled at {@link samplingRateOf}) at once, in the
   * router's protocol; NetFlow v9 and IPFIX only. `represented` is each record's octets × the rate.
   */
  async sendRecords(records: LabFlowRecord[], represented: readonly number[]): Promise<number> {
    const enc = this.v9 ?? this.ipfix;
    if (!enc || records.length === 0) return 0;
    const nowMs = this.clock();
    const said = this.config.reportedSamplingRate;
    const samplers = [...new Set(this.config.interfaceRates.values())]
      .filter((r) => r !== this.config.samplingRate)
      .map((rate, k) => ({ id: k + 2, rate }));
    const idOf = new Map(samplers.map((x) => [x.rate, x.id]));
    for (const r of records) r.samplerId = idOf.get(this.rateOf(r.inIf)) ?? 1;
    const datagrams = enc.encode(records, {
      nowMs,
      uptimeMs: Math.max(0, nowMs - this.plan.device.bootMs),
      samplingRate: said ?? this.config.samplingRate,
      samplers: samplers.map((x) => ({ id: x.id, rate: said ?? x.rate })),
    });
    const budget = Math.max(1, this.config.maxDatagramsPerSecond);
    const send = datagrams.slice(0, budget);
    this.stats.droppedDatagrams += datagrams.length - send.length;
    const sent = enc.lastRecordCounts.slice(0, send.length).reduce((a, b) => a + b, 0);
    records.slice(0, sent).forEach((r, i) => {
      const a = (this.stats.interfaces[String(r.inIf)] ??= { in: 0, out: 0 });
      a.in += represented[i] ?? 0;
      const b = (this.stats.interfaces[String(r.outIf)] ??= { in: 0, out: 0 });
      b.out += represented[i] ?? 0;
      this.stats.records++;
      this.stats.flowOctets += r.bytes;
    });
    await this.sendAll(send);
    return sent;
  }

  private counters(): SflowInterfaceCounters[] {
    const out: SflowInterfaceCounters[] = [];
    for (const itf of this.plan.device.interfaces) {
      if (!itf.link && !itf.external) continue;
      const r = this.plan.device.read(itf.ifIndex);
      if (!r) continue;
      out.push({
        ifIndex: itf.ifIndex,
        speedBitsPerSecond: itf.speedMbps * 1_000_000,
        adminUp: r.adminUp,
        operUp: r.operUp,
        inOctets: r.hcInOctets,
        inPackets: r.hcInPkts,
        inDiscards: r.inDiscards,
        inErrors: r.inErrors,
        outOctets: r.hcOutOctets,
        outPackets: r.hcOutPkts,
        outDiscards: r.outDiscards,
        outErrors: r.outErrors,
      });
    }
    return out;
  }

  private async sendAll(datagrams: Buffer[]): Promise<void> {
    const s = this.socket;
    if (!s) return;
    const { host, port } = this.config.collector;
    await Promise.all(
      datagrams.map(
        (d) =>
          new Promise<void>((resolve) => {
            s.send(d, port, host, (err) => {
              if (err) this.fail(err);
              else {
                this.stats.datagrams++;
                this.stats.octets += d.length;
              }
              resolve();
            });
          }),
      ),
    );
  }
}

function addressText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(i).toString(16));
  return g.join(':');
}

/** Every exporting router of the lab, driven by one timer aligned to the export interval. */
export class LabFlowExport {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    readonly exporters: RouterFlowExporter[],
    private readonly intervalSeconds: number,
    private readonly clock: () => number,
    private readonly log: Logger,
    /** Every router's plan (the attacks walk routers that do not export too). */
    readonly plans: ReadonlyMap<string, RouterFlowPlan> = new Map(
      exporters.map((e) => [e.plan.deviceId, e.plan]),
    ),
  ) {}

  async start(): Promise<void> {
    const started: RouterFlowExporter[] = [];
    try {
      for (const e of this.exporters) {
        await e.start();
        started.push(e);
      }
    } catch (err) {
      await Promise.all(started.map((e) => e.stop()));
      throw err;
    }
    this.schedule();
  }

  /** Exports every router's traffic up to now (the timer does this every interval). */
  async exportNow(): Promise<void> {
    for (const e of this.exporters) {
      try {
        await e.exportNow();
      } catch (err) {
        this.log.warn('lab flow export failed', { device: e.plan.deviceId, error: (err as Error).message });
      }
    }
  }

  stats(): FlowExportStats[] {
    return this.exporters.map((e) => e.stats);
  }

  private schedule(): void {
    if (this.stopped) return;
    const period = this.intervalSeconds * 1000;
    const now = this.clock();
    const wait = period - (now % period) || period;
    this.timer = setTimeout(() => {
      this.running = this.exportNow().finally(() => {
        this.running = null;
        this.schedule();
      });
    }, wait);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.exporters.map((e) => e.stop()));
  }
}

export { MAX_DATAGRAM };
