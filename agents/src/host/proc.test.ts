import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
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

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/proc/${name}`, import.meta.url), 'utf8');

describe('parseStat', () => {
  it('reads every cpu line in seconds and the boot time', () => {
    const r = parseStat(fixture('stat'));
    expect(r.errors).toBe(0);
    expect(r.value.cpus.map((c) => c.cpu)).toEqual(['all', '0', '1']);
    expect(r.value.cpus[0]!.seconds).toEqual({
      user: 65.29,
      nice: 0.12,
      system: 36.17,
      idle: 554.07,
      iowait: 3.63,
      irq: 0.01,
      softirq: 0.84,
      steal: 0.09,
    });
    expect(r.value.bootTime).toBe(1763800000);
  });

  it('skips malformed cpu lines, counts them and keeps the good ones', () => {
    const r = parseStat('cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 x 3 4\ncpuz 1 2 3 4\ncpu1 1 2\nbtime nope\n');
    expect(r.errors).toBe(4);
    expect(r.value.cpus).toHaveLength(1);
    expect(r.value.bootTime).toBeUndefined();
  });

  it('treats missing trailing modes of old kernels as zero', () => {
    const r = parseStat('cpu 100 0 100 800\n');
    expect(r.errors).toBe(0);
    expect(r.value.cpus[0]!.seconds.steal).toBe(0);
    expect(r.value.cpus[0]!.seconds.idle).toBe(8);
  });
});

describe('parseMeminfo', () => {
  it('converts kB to bytes and keeps unitless counts', () => {
    const r = parseMeminfo(fixture('meminfo'));
    expect(r.errors).toBe(0);
    expect(r.value.MemTotal).toBe(24684092 * 1024);
    expect(r.value.SwapFree).toBe(2097000 * 1024);
    expect(r.value.HugePages_Total).toBe(0);
  });

  it('skips malformed lines', () => {
    const r = parseMeminfo('MemTotal: 10 kB\ngarbage line\nMemFree: -5 kB\nCached: 3 kB\n');
    expect(r.errors).toBe(2);
    expect(r.value).toEqual({ MemTotal: 10240, Cached: 3072 });
  });
});

describe('parseLoadavg and parseUptime', () => {
  it('reads load averages', () => {
    expect(parseLoadavg(fixture('loadavg'))).toEqual({
      value: { load1: 0.14, load5: 0.15, load15: 0.08 },
      errors: 0,
    });
  });
  it('reports malformed load averages', () => {
    expect(parseLoadavg('0.1 abc')).toEqual({ value: undefined, errors: 1 });
    expect(parseLoadavg('')).toEqual({ value: undefined, errors: 1 });
  });
  it('reads uptime and rejects garbage', () => {
    expect(parseUptime(fixture('uptime'))).toEqual({ value: 332.78, errors: 0 });
    expect(parseUptime('up a while')).toEqual({ value: undefined, errors: 1 });
  });
});

describe('parseDiskstats and selectDisks', () => {
  it('converts sectors to bytes and milliseconds to seconds', () => {
    const r = parseDiskstats(fixture('diskstats'));
    expect(r.errors).toBe(0);
    const sda = r.value.find((d) => d.device === 'sda');
    expect(sda).toEqual({
      device: 'sda',
      readsCompleted: 1000,
      readBytes: 20000 * 512,
      writesCompleted: 2000,
      writtenBytes: 40000 * 512,
      ioTimeSeconds: 1.5,
    });
  });

  it('drops loop and ram devices and partitions of listed disks', () => {
    const names = selectDisks(parseDiskstats(fixture('diskstats')).value).map((d) => d.device);
    expect(names).toEqual(['sda', 'nvme0n1', 'dm-0', 'mmcblk0p1']);
  });

  it('skips short and non-numeric lines', () => {
    const r = parseDiskstats(
      '8 0 sda 1 2 3\n8 0 sdb 1 2 3 4 5 6 7 8 9 x 11\n8 0 sdc 1 2 3 4 5 6 7 8 9 10 11\n',
    );
    expect(r.errors).toBe(2);
    expect(r.value.map((d) => d.device)).toEqual(['sdc']);
  });
});

describe('parseNetDev', () => {
  it('reads receive and transmit counters, with or without a space after the colon', () => {
    const r = parseNetDev(fixture('net/dev'));
    expect(r.errors).toBe(0);
    expect(r.value.map((n) => n.device)).toEqual(['lo', 'eth0', 'wlan0']);
    expect(r.value[1]).toEqual({
      device: 'eth0',
      receiveBytes: 594058435,
      receivePackets: 14604,
      receiveErrs: 1,
      receiveDrop: 2,
      transmitBytes: 892838,
      transmitPackets: 8443,
      transmitErrs: 3,
      transmitDrop: 4,
    });
    expect(r.value[2]!.transmitBytes).toBe(200);
  });

  it('skips malformed lines', () => {
    const r = parseNetDev('eth0 1 2 3\neth1: 1 2 3\neth2: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n');
    expect(r.errors).toBe(2);
    expect(r.value.map((n) => n.device)).toEqual(['eth2']);
  });
});

describe('parseMounts and selectFilesystems', () => {
  it('keeps real filesystems once per device and unescapes mount points', () => {
    const r = parseMounts(fixture('mounts'));
    expect(r.errors).toBe(0);
    expect(selectFilesystems(r.value)).toEqual([
      { device: '/dev/sda2', mountpoint: '/', fstype: 'ext4' },
      { device: '/dev/nvme0n1p1', mountpoint: '/data disk', fstype: 'xfs' },
      { device: 'server:/export', mountpoint: '/mnt/nfs', fstype: 'nfs4' },
    ]);
  });

  it('skips malformed lines', () => {
    const r = parseMounts('justonefield\n/dev/sda1 relative ext4 rw 0 0\n/dev/sda1 /boot ext4 rw 0 0\n');
    expect(r.errors).toBe(2);
    expect(r.value).toHaveLength(1);
  });
});
