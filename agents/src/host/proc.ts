/**
 * Pure parsers of Linux /proc files. Each takes the file's text and returns what it could read plus
 * the number of lines it had to skip; none of them throws on malformed input.
 */

/** A parse result: the values read and how many malformed lines were skipped. */
export interface Parsed<T> {
  value: T;
  errors: number;
}

/** Kernel clock ticks per second for /proc/stat (USER_HZ, 100 on every mainstream architecture). */
export const userHz = 100;

export const cpuModes = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
export type CpuMode = (typeof cpuModes)[number];

export interface CpuTimes {
  /** `all` for the aggregate line, otherwise the CPU number. */
  cpu: string;
  /** Seconds spent in each mode since boot. */
  seconds: Record<CpuMode, number>;
}

export interface ProcStat {
  cpus: CpuTimes[];
  /** Boot time in Unix seconds (`btime`). */
  bootTime: number | undefined;
}

function nonNegative(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** Parses /proc/stat: per-CPU time by mode and the boot time. */
export function parseStat(text: string): Parsed<ProcStat> {
  const out: ProcStat = { cpus: [], bootTime: undefined };
  let errors = 0;
  for (const line of lines(text)) {
    const f = line.trim().split(/\s+/);
    const key = f[0]!;
    if (key.startsWith('cpu')) {
      const id = key === 'cpu' ? 'all' : key.slice(3);
      // Kernels since 2.6.33 print ten fields; older ones fewer, so a missing steal reads as zero.
      const nums = f.slice(1, 1 + cpuModes.length).map(nonNegative);
      if ((id !== 'all' && !/^\d+$/.test(id)) || nums.length < 4 || nums.some((n) => n === undefined)) {
        errors += 1;
        continue;
      }
      const seconds = {} as Record<CpuMode, number>;
      cpuModes.forEach((m, i) => {
        seconds[m] = (nums[i] ?? 0) / userHz;
      });
      out.cpus.push({ cpu: id, seconds });
    } else if (key === 'btime') {
      const n = nonNegative(f[1]);
      if (n === undefined) errors += 1;
      else out.bootTime = n;
    }
  }
  return { value: out, errors };
}

/** Parses /proc/meminfo into bytes by field name (`MemTotal`, `Cached`, ...). */
export function parseMeminfo(text: string): Parsed<Record<string, number>> {
  const out: Record<string, number> = {};
  let errors = 0;
  for (const line of lines(text)) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!m) {
      errors += 1;
      continue;
    }
    const n = Number(m[2]);
    out[m[1]!] = m[3] ? n * 1024 : n;
  }
  return { value: out, errors };
}

export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
}

/** Parses /proc/loadavg. */
export function parseLoadavg(text: string): Parsed<LoadAvg | undefined> {
  const f = text.trim().split(/\s+/);
  const [a, b, c] = [nonNegative(f[0]), nonNegative(f[1]), nonNegative(f[2])];
  if (a === undefined || b === undefined || c === undefined) return { value: undefined, errors: 1 };
  return { value: { load1: a, load5: b, load15: c }, errors: 0 };
}

/** Parses /proc/uptime into seconds since boot. */
export function parseUptime(text: string): Parsed<number | undefined> {
  const n = nonNegative(text.trim().split(/\s+/)[0]);
  return n === undefined ? { value: undefined, errors: 1 } : { value: n, errors: 0 };
}

export interface DiskStat {
  device: string;
  readsCompleted: number;
  readBytes: number;
  writesCompleted: number;
  writtenBytes: number;
  ioTimeSeconds: number;
}

/** /proc/diskstats counts sectors of 512 bytes whatever the device's real sector size. */
const sectorBytes = 512;

/** Parses /proc/diskstats (all devices; see {@link selectDisks} for filtering). */
export function parseDiskstats(text: string): Parsed<DiskStat[]> {
  const out: DiskStat[] = [];
  let errors = 0;
  for (const line of lines(text)) {
    const f = line.trim().split(/\s+/);
    const device = f[2];
    const nums = f.slice(3, 13).map(nonNegative);
    if (!device || f.length < 14 || nums.some((n) => n === undefined)) {
      errors += 1;
      continue;
    }
    const n = nums as number[];
    out.push({
      device,
      readsCompleted: n[0]!,
      readBytes: n[2]! * sectorBytes,
      writesCompleted: n[4]!,
      writtenBytes: n[6]! * sectorBytes,
      ioTimeSeconds: n[9]! / 1000,
    });
  }
  return { value: out, errors };
}

const virtualDisk = /^(loop|ram|zram)\d+$/;

/** Name of the whole disk a partition belongs to (`sda1` → `sda`, `nvme0n1p2` → `nvme0n1`). */
function parentDisk(name: string, known: Set<string>): string | undefined {
  const m = /^(.*?)(p?)(\d+)$/.exec(name);
  if (!m) return undefined;
  const base = m[1]!;
  // A "p" separator is used when the disk name itself ends in a digit (nvme0n1p1, mmcblk0p1).
  if (m[2] === 'p' && /\d$/.test(base) && known.has(base)) return base;
  if (m[2] === '' && base !== '' && !/\d$/.test(base) && known.has(base)) return base;
  return undefined;
}

/** Drops loop and RAM devices, and partitions whose whole disk is also listed. */
export function selectDisks(disks: DiskStat[]): DiskStat[] {
  const names = new Set(disks.map((d) => d.device));
  return disks.filter((d) => !virtualDisk.test(d.device) && parentDisk(d.device, names) === undefined);
}

export interface NetDev {
  device: string;
  receiveBytes: number;
  receivePackets: number;
  receiveErrs: number;
  receiveDrop: number;
  transmitBytes: number;
  transmitPackets: number;
  transmitErrs: number;
  transmitDrop: number;
}

/** Parses /proc/net/dev (its two header lines are skipped). */
export function parseNetDev(text: string): Parsed<NetDev[]> {
  const out: NetDev[] = [];
  let errors = 0;
  for (const line of lines(text)) {
    const colon = line.indexOf(':');
    if (line.includes('|')) continue;
    if (colon < 0) {
      errors += 1;
      continue;
    }
    const device = line.slice(0, colon).trim();
    const n = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(nonNegative);
    if (!device || n.length < 16 || n.some((x) => x === undefined)) {
      errors += 1;
      continue;
    }
    const v = n as number[];
    out.push({
      device,
      receiveBytes: v[0]!,
      receivePackets: v[1]!,
      receiveErrs: v[2]!,
      receiveDrop: v[3]!,
      transmitBytes: v[8]!,
      transmitPackets: v[9]!,
      transmitErrs: v[10]!,
      transmitDrop: v[11]!,
    });
  }
  return { value: out, errors };
}

export interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
}

/** Undoes the octal escapes /proc/mounts uses for space, tab, newline and backslash. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses /proc/mounts. */
export function parseMounts(text: string): Parsed<Mount[]> {
  const out: Mount[] = [];
  let errors = 0;
  for (const line of lines(text)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || !f[1]!.startsWith('/')) {
      errors += 1;
      continue;
    }
    out.push({ device: unescapeMount(f[0]!), mountpoint: unescapeMount(f[1]!), fstype: f[2]! });
  }
  return { value: out, errors };
}

/** Filesystem types that hold no user data (kernel interfaces, memory, overlays of other mounts). */
export const pseudoFilesystems = new Set([
  'autofs',
  'binfmt_misc',
  'bpf',
  'cgroup',
  'cgroup2',
  'configfs',
  'debugfs',
  'devpts',
  'devtmpfs',
  'efivarfs',
  'fusectl',
  'fuse.gvfsd-fuse',
  'fuse.lxcfs',
  'fuse.portal',
  'hugetlbfs',
  'mqueue',
  'nsfs',
  'nfsd',
  'overlay',
  'proc',
  'pstore',
  'ramfs',
  'rpc_pipefs',
  'securityfs',
  'selinuxfs',
  'squashfs',
  'sysfs',
  'tmpfs',
  'tracefs',
]);

const pseudoMountpoint = /^\/(proc|sys|dev|run\/(containerd|docker|netns|user\/\d+\/))(\/|$)/;

/**
 * Keeps mounts of real filesystems, one per device (the shortest mount point wins, so a bind mount
 * or a second mount of the same device is not counted twice).
 */
export function selectFilesystems(mounts: Mount[]): Mount[] {
  const byDevice = new Map<string, Mount>();
  for (const m of mounts) {
    if (pseudoFilesystems.has(m.fstype) || pseudoMountpoint.test(m.mountpoint)) continue;
    const seen = byDevice.get(m.device);
    if (!seen || m.mountpoint.length < seen.mountpoint.length) byDevice.set(m.device, m);
  }
  return [...byDevice.values()].sort((a, b) => a.mountpoint.localeCompare(b.mountpoint));
}
