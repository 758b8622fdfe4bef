import { readFile, statfs as fsStatfs } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeHostMetrics, type HostMetricsColumnarPayload, type Series } from '@tianshu/protocol';
import {
  cpuModes,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseStat,
  parseUptime,
  selectDisks,
  selectFilesystems,
} from './proc.js';

/** Size figures of a mounted filesystem, as `fs.statfs` returns them. */
export interface StatfsResult {
  bsize: number;
  blocks: number;
  bavail: number;
}

/** What the host collector needs from the outside world; replaceable in tests. */
export interface HostCollectorDeps {
  readFile(path: string): Promise<string>;
  statfs(path: string): Promise<StatfsResult>;
  now(): number;
}

/** Options of a {@link HostCollector}. */
export interface HostCollectorOptions {
  /** Root of the proc filesystem; `/proc` except in tests. */
  procRoot: string;
  /** Host name put in every payload. */
  host: string;
  /** Network interfaces left out; the loopback by default. */
  excludeInterfaces?: RegExp;
  /** A filesystem whose statfs takes longer than this is skipped for the cycle. */
  statfsTimeoutMillis?: number;
  deps?: Partial<HostCollectorDeps>;
  /** Told about every problem: an unreadable file or malformed lines in one. */
  onError?: (source: string, count: number, err?: unknown) => void;
}

const defaultDeps: HostCollectorDeps = {
  readFile: (p) => readFile(p, 'utf8'),
  statfs: (p) => fsStatfs(p),
  now: () => Date.now(),
};

/** Reads host metrics from /proc and statfs and shapes them as node_exporter-style series. */
export class HostCollector {
  readonly #o: HostCollectorOptions;
  readonly #deps: HostCollectorDeps;
  readonly #excludeIf: RegExp;

  constructor(options: HostCollectorOptions) {
    if (!options.procRoot) throw new Error('host collector requires option "procRoot"');
    if (!options.host) throw new Error('host collector requires option "host"');
    this.#o = options;
    this.#deps = { ...defaultDeps, ...options.deps };
    this.#excludeIf = options.excludeInterfaces ?? /^lo$/;
  }

  #error(source: string, count: number, err?: unknown): void {
    if (count > 0) this.#o.onError?.(source, count, err);
  }

  async #read(name: string): Promise<string | undefined> {
    try {
      return await this.#deps.readFile(join(this.#o.procRoot, name));
    } catch (err) {
      this.#error(name, 1, err);
      return undefined;
    }
  }

  /**
   * Collects one sample of every metric as a columnar payload (the wire encoding); problems are
   * reported through `onError`, never thrown.
   */
  async collect(): Promise<HostMetricsColumnarPayload> {
    return encodeHostMetrics(this.#o.host, await this.collectSeries());
  }

  /** The same sample as series, one point each. */
  async collectSeries(): Promise<Series[]> {
    const t = this.#deps.now();
    const series: Series[] = [];
    const add = (name: string, labels: Record<string, string>, value: number): void => {
      if (Number.isFinite(value)) series.push({ name, labels, points: [[t, value]] });
    };
    const [stat, meminfo, loadavg, uptime, diskstats, netdev, mounts] = await Promise.all(
      ['stat', 'meminfo', 'loadavg', 'uptime', 'diskstats', 'net/dev', 'mounts'].map((n) => this.#read(n)),
    );

    if (stat !== undefined) {
      const r = parseStat(stat);
      this.#error('stat', r.errors);
      for (const c of r.value.cpus) {
        for (const mode of cpuModes) add('node_cpu_seconds_total', { cpu: c.cpu, mode }, c.seconds[mode]);
      }
      if (r.value.bootTime !== undefined) add('node_boot_time_seconds', {}, r.value.bootTime);
    }

    if (meminfo !== undefined) {
      const r = parseMeminfo(meminfo);
      this.#error('meminfo', r.errors);
      const fields: [string, string][] = [
        ['MemTotal', 'node_memory_total_bytes'],
        ['MemAvailable', 'node_memory_available_bytes'],
        ['MemFree', 'node_memory_free_bytes'],
        ['Buffers', 'node_memory_buffers_bytes'],
        ['Cached', 'node_memory_cached_bytes'],
        ['SwapTotal', 'node_memory_swap_total_bytes'],
        ['SwapFree', 'node_memory_swap_free_bytes'],
      ];
      for (const [field, name] of fields) {
        const v = r.value[field];
        if (v !== undefined) add(name, {}, v);
      }
    }

    if (loadavg !== undefined) {
      const r = parseLoadavg(loadavg);
      this.#error('loadavg', r.errors);
      if (r.value) {
        add('node_load1', {}, r.value.load1);
        add('node_load5', {}, r.value.load5);
        add('node_load15', {}, r.value.load15);
      }
    }

    if (uptime !== undefined) {
      const r = parseUptime(uptime);
      this.#error('uptime', r.errors);
      if (r.value !== undefined) add('node_uptime_seconds', {}, r.value);
    }

    if (diskstats !== undefined) {
      const r = parseDiskstats(diskstats);
      this.#error('diskstats', r.errors);
      for (const d of selectDisks(r.value)) {
        const l = { device: d.device };
        add('node_disk_read_bytes_total', l, d.readBytes);
        add('node_disk_written_bytes_total', l, d.writtenBytes);
        add('node_disk_reads_completed_total', l, d.readsCompleted);
        add('node_disk_writes_completed_total', l, d.writesCompleted);
        add('node_disk_io_time_seconds_total', l, d.ioTimeSeconds);
      }
    }

    if (netdev !== undefined) {
      const r = parseNetDev(netdev);
      this.#error('net/dev', r.errors);
      for (const n of r.value) {
        if (this.#excludeIf.test(n.device)) continue;
        const l = { device: n.device };
        add('node_network_receive_bytes_total', l, n.receiveBytes);
        add('node_network_receive_packets_total', l, n.receivePackets);
        add('node_network_receive_errs_total', l, n.receiveErrs);
        add('node_network_receive_drop_total', l, n.receiveDrop);
        add('node_network_transmit_bytes_total', l, n.transmitBytes);
        add('node_network_transmit_packets_total', l, n.transmitPackets);
        add('node_network_transmit_errs_total', l, n.transmitErrs);
        add('node_network_transmit_drop_total', l, n.transmitDrop);
      }
    }

    if (mounts !== undefined) {
      const r = parseMounts(mounts);
      this.#error('mounts', r.errors);
      const results = await Promise.all(
        selectFilesystems(r.value).map(async (m) => ({ m, st: await this.#statfs(m.mountpoint) })),
      );
      for (const { m, st } of results) {
        if (!st) continue;
        const l = { mountpoint: m.mountpoint, device: m.device, fstype: m.fstype };
        add('node_filesystem_size_bytes', l, st.blocks * st.bsize);
        add('node_filesystem_avail_bytes', l, st.bavail * st.bsize);
      }
    }

    return series;
  }

  async #statfs(mountpoint: string): Promise<StatfsResult | undefined> {
    const ms = this.#o.statfsTimeoutMillis ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    try {
      // A hung network filesystem must not stall the whole collection.
      return await Promise.race([
        this.#deps.statfs(mountpoint),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`statfs of ${mountpoint} timed out`)), ms);
          timer.unref();
        }),
      ]);
    } catch (err) {
      this.#error('statfs', 1, err);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
