import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HostMetricsPayload, hostMetricsSeries } from '@tianshu/protocol';
import { HostCollector } from './collector.js';

const procRoot = fileURLToPath(new URL('./fixtures/proc', import.meta.url));
const now = 1_763_800_500_000;

function find(
  payload: HostMetricsPayload,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const s = hostMetricsSeries(payload).find(
    (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
  return s?.points[0]?.[1];
}

describe('HostCollector', () => {
  it('emits node_exporter-style series that match the protocol', async () => {
    const errors: string[] = [];
    const c = new HostCollector({
      procRoot,
      host: 'web-1',
      deps: {
        now: () => now,
        statfs: async (p) => ({ bsize: 4096, blocks: p === '/' ? 1000 : 500, bavail: 100 }),
      },
      onError: (source) => errors.push(source),
    });
    const payload = await c.collect();
    expect(HostMetricsPayload.safeParse(payload).success).toBe(true);
    expect(errors).toEqual([]);
    expect(payload.host).toBe('web-1');
    // The wire encoding is columnar: one dictionary of names, one of label sets, one point per series.
    expect(payload.encoding).toBe('columnar');
    expect(new Set(payload.names).size).toBe(payload.names.length);
    expect(payload.t0).toBe(now);
    expect(payload.t.every((t) => t === 0)).toBe(true);
    const series = hostMetricsSeries(payload);
    expect(series.every((s) => s.points.length === 1 && s.points[0]![0] === now)).toBe(true);

    // Three cpu lines (all, 0, 1) times eight modes.
    expect(series.filter((s) => s.name === 'node_cpu_seconds_total')).toHaveLength(24);
    expect(find(payload, 'node_cpu_seconds_total', { cpu: 'all', mode: 'user' })).toBe(65.29);
    expect(find(payload, 'node_cpu_seconds_total', { cpu: '1', mode: 'iowait' })).toBe(3.09);
    expect(find(payload, 'node_memory_total_bytes')).toBe(24684092 * 1024);
    expect(find(payload, 'node_memory_available_bytes')).toBe(24188120 * 1024);
    expect(find(payload, 'node_memory_free_bytes')).toBe(23984744 * 1024);
    expect(find(payload, 'node_memory_buffers_bytes')).toBe(3388 * 1024);
    expect(find(payload, 'node_memory_cached_bytes')).toBe(371320 * 1024);
    expect(find(payload, 'node_memory_swap_total_bytes')).toBe(2097148 * 1024);
    expect(find(payload, 'node_memory_swap_free_bytes')).toBe(2097000 * 1024);
    expect(find(payload, 'node_load1')).toBe(0.14);
    expect(find(payload, 'node_load5')).toBe(0.15);
    expect(find(payload, 'node_load15')).toBe(0.08);
    expect(find(payload, 'node_uptime_seconds')).toBe(332.78);
    expect(find(payload, 'node_boot_time_seconds')).toBe(1763800000);
    expect(find(payload, 'node_disk_read_bytes_total', { device: 'sda' })).toBe(20000 * 512);
    expect(find(payload, 'node_disk_written_bytes_total', { device: 'nvme0n1' })).toBe(8000 * 512);
    expect(find(payload, 'node_disk_reads_completed_total', { device: 'dm-0' })).toBe(50);
    expect(find(payload, 'node_disk_writes_completed_total', { device: 'sda' })).toBe(2000);
    expect(find(payload, 'node_disk_io_time_seconds_total', { device: 'sda' })).toBe(1.5);
    expect(find(payload, 'node_disk_read_bytes_total', { device: 'sda1' })).toBeUndefined();
    expect(find(payload, 'node_disk_read_bytes_total', { device: 'loop0' })).toBeUndefined();
    expect(find(payload, 'node_network_receive_bytes_total', { device: 'eth0' })).toBe(594058435);
    expect(find(payload, 'node_network_receive_packets_total', { device: 'eth0' })).toBe(14604);
    expect(find(payload, 'node_network_receive_errs_total', { device: 'eth0' })).toBe(1);
    expect(find(payload, 'node_network_receive_drop_total', { device: 'eth0' })).toBe(2);
    expect(find(payload, 'node_network_transmit_bytes_total', { device: 'eth0' })).toBe(892838);
    expect(find(payload, 'node_network_transmit_packets_total', { device: 'eth0' })).toBe(8443);
    expect(find(payload, 'node_network_transmit_errs_total', { device: 'eth0' })).toBe(3);
    expect(find(payload, 'node_network_transmit_drop_total', { device: 'eth0' })).toBe(4);
    expect(find(payload, 'node_network_receive_bytes_total', { device: 'lo' })).toBeUndefined();
    expect(
      find(payload, 'node_filesystem_size_bytes', { mountpoint: '/', device: '/dev/sda2', fstype: 'ext4' }),
    ).toBe(4096 * 1000);
    expect(find(payload, 'node_filesystem_avail_bytes', { mountpoint: '/data disk' })).toBe(4096 * 100);
    expect(find(payload, 'node_filesystem_size_bytes', { mountpoint: '/run' })).toBeUndefined();
  });

  it('survives missing files, malformed text and failing statfs, counting each problem', async () => {
    const files: Record<string, string> = {
      '/p/stat': 'cpu 1 2 3 4 5 6 7 8\ncpu0 broken\n',
      '/p/meminfo': 'MemTotal: 10 kB\n???\n',
      '/p/loadavg': 'nonsense',
      '/p/mounts': '/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /slow xfs rw 0 0\n',
    };
    const errors: Record<string, number> = {};
    const c = new HostCollector({
      procRoot: '/p',
      host: 'h',
      statfsTimeoutMillis: 50,
      deps: {
        readFile: async (p) => {
          const t = files[p];
          if (t === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
          return t;
        },
        statfs: (p) =>
          p === '/slow' ? new Promise(() => undefined) : Promise.resolve({ bsize: 1, blocks: 10, bavail: 5 }),
      },
      onError: (source, count) => {
        errors[source] = (errors[source] ?? 0) + count;
      },
    });
    const payload = await c.collect();
    expect(errors).toEqual({
      stat: 1,
      meminfo: 1,
      loadavg: 1,
      uptime: 1,
      diskstats: 1,
      'net/dev': 1,
      statfs: 1,
    });
    expect(find(payload, 'node_cpu_seconds_total', { cpu: 'all', mode: 'steal' })).toBe(0.08);
    expect(find(payload, 'node_memory_total_bytes')).toBe(10240);
    expect(find(payload, 'node_filesystem_size_bytes', { mountpoint: '/' })).toBe(10);
    expect(find(payload, 'node_filesystem_size_bytes', { mountpoint: '/slow' })).toBeUndefined();
    expect(HostMetricsPayload.safeParse(payload).success).toBe(true);
  });

  it('reads the real /proc of this machine', async () => {
    const c = new HostCollector({ procRoot: '/proc', host: 'self' });
    const payload = await c.collect();
    expect(HostMetricsPayload.safeParse(payload).success).toBe(true);
    expect(find(payload, 'node_memory_total_bytes')).toBeGreaterThan(0);
    expect(find(payload, 'node_cpu_seconds_total', { cpu: 'all', mode: 'idle' })).toBeGreaterThan(0);
  });
});
