/**
 * A generated province in the shape of the network API's topology, for tests and the console bench:
 * by default the size of Sichuan (21 cities, 183 counties, 3,000 townships). Every city and county
 * has a router on each plane (A and B) with a primary uplink on plane A and a backup on plane B to
 * its parent's routers; every township has one access router with a primary uplink to its county's
 * plane-A router and a backup to the plane-B router. A few pairs are failed over (primary down,
 * backup carrying the traffic) and a few links are unknown. Deterministic: the same options give the
 * same topology.
 */
import type {
  LinkLevel,
  LinkView,
  Plane,
  Topology,
  TopologyDevice,
  TopologyOrgUnit,
} from '../data/network.js';

export interface ProvinceOptions {
  cities: number;
  counties: number;
  townships: number;
  /** Seed of the pseudo-random choices (names, utilisation, which links fail). */
  seed: number;
  /** Share of uplink pairs whose primary is down (failed over to the backup). */
  downShare: number;
  /** Share of links whose state is unknown. */
  unknownShare: number;
}

export const sichuanSize: ProvinceOptions = {
  cities: 21,
  counties: 183,
  townships: 3000,
  seed: 510000,
  downShare: 0.01,
  unknownShare: 0.005,
};

/** The 21 prefecture-level divisions of Sichuan, in GB/T 2260 order. */
const cityNames = [
  '成都市',
  '自贡市',
  '攀枝花市',
  '泸州市',
  '德阳市',
  '绵阳市',
  '广元市',
  '遂宁市',
  '内江市',
  '乐山市',
  '南充市',
  '眉山市',
  '宜宾市',
  '广安市',
  '达州市',
  '雅安市',
  '巴中市',
  '资阳市',
  '阿坝藏族羌族自治州',
  '甘孜藏族自治州',
  '凉山彝族自治州',
];

const syllables = [
  ...'安宝北昌城崇大丹德东峨丰福富高古广汉和河红华怀会江金锦井九开康乐黎利隆龙泸罗马茂美蒙米名南宁平蒲青庆仁荣三沙山石双顺松遂太天通旺威文武西喜仙兴秀盐阳永玉元岳云长中州资',
];

/** Mulberry32: a small, fast, deterministic generator of numbers in [0, 1). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `total` into `parts` shares of at least `min`, at random but summing exactly to `total`. */
function split(total: number, parts: number, min: number, next: () => number): number[] {
  if (parts <= 0) return [];
  if (total < parts * min)
    throw new RangeError(`cannot split ${total} into ${parts} parts of at least ${min}`);
  const weights = Array.from({ length: parts }, () => 0.4 + next());
  const sum = weights.reduce((s, w) => s + w, 0);
  const spare = total - parts * min;
  const shares = weights.map((w) => min + Math.floor((w / sum) * spare));
  let left = total - shares.reduce((s, n) => s + n, 0);
  for (let i = 0; left > 0; i = (i + 1) % parts, left -= 1) shares[i] = (shares[i] ?? 0) + 1;
  return shares;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Generates a province topology; see the module comment. */
export function generateProvince(options: Partial<ProvinceOptions> = {}): Topology {
  const o = { ...sichuanSize, ...options };
  for (const key of ['cities', 'counties', 'townships'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 0) throw new RangeError(`${key} must be a whole number ≥ 0`);
  }
  if (o.cities === 0 && o.counties > 0) throw new RangeError('counties need at least one city');
  if (o.counties === 0 && o.townships > 0) throw new RangeError('townships need at least one county');
  if (o.cities > cityNames.length * 9) throw new RangeError(`at most ${cityNames.length * 9} cities`);
  const next = random(o.seed);
  const orgUnits: TopologyOrgUnit[] = [];
  const devices: TopologyDevice[] = [];
  const links: LinkView[] = [];
  const usedNames = new Set<string>();

  const placeName = (suffixes: readonly string[]): string => {
    for (;;) {
      const a = syllables[Math.floor(next() * syllables.length)] ?? '安';
      const b = syllables[Math.floor(next() * syllables.length)] ?? '宁';
      const suffix = suffixes[Math.floor(next() * suffixes.length)] ?? suffixes[0] ?? '';
      const name = `${a}${b}${suffix}`;
      if (a !== b && !usedNames.has(name)) {
        usedNames.add(name);
        return name;
      }
    }
  };

  const router = (
    unit: TopologyOrgUnit,
    role: string,
    plane: Plane | null,
    address: string,
  ): TopologyDevice => {
    const suffix = plane === null ? role : `${role}-${plane.toLowerCase()}`;
    const device: TopologyDevice = {
      id: `${unit.id}-${suffix}`,
      name: `${unit.id}-${suffix}`,
      orgUnitId: unit.id,
      role: role === 'acc' ? 'access' : role === 'core' ? 'core' : 'aggregation',
      managementAddress: address,
      plane,
      reachable: true,
    };
    devices.push(device);
    return device;
  };

  const targets: Record<LinkLevel, number> = {
    backbone: 10_000,
    city: 10_000,
    county: 1_000,
    township: 100,
    department: 100,
  };

  const link = (
    unit: TopologyOrgUnit,
    level: LinkLevel,
    role: 'primary' | 'backup',
    plane: Plane,
    a: TopologyDevice,
    b: TopologyDevice,
    state: { status: LinkView['status']; failedOver: boolean },
  ) => {
    const speed = targets[level];
    const inPercent = Math.round(next() * (role === 'primary' ? 90 : 20) * 10) / 10;
    const outPercent = Math.round(next() * (role === 'primary' ? 70 : 15) * 10) / 10;
    const up = state.status === 'up';
    const active = state.failedOver ? role === 'backup' : role === 'primary';
    links.push({
      id: `${unit.id}-${role}`,
      name: `${unit.id} ${role === 'primary' ? 'primary' : 'backup'} uplink`,
      orgUnitId: unit.id,
      level,
      role,
      plane,
      pairId: `${unit.id}-uplink`,
      a: { deviceId: a.id, deviceName: a.name, ifIndex: 1, ifName: 'GigabitEthernet0/0/1' },
      b: {
        deviceId: b.id,
        deviceName: b.name,
        ifIndex: links.length + 2,
        ifName: `GigabitEthernet1/0/${links.length % 48}`,
      },
      status: state.status,
      speedMbps: speed,
      utilisation: up ? { inPercent, outPercent, maxPercent: Math.max(inPercent, outPercent) } : null,
      bps: up ? { in: (inPercent / 100) * speed * 1e6, out: (outPercent / 100) * speed * 1e6 } : null,
      errorsPerSecond: up ? 0 : null,
      active: state.status === 'unknown' ? null : active,
      failedOver: state.failedOver,
      tier: {
        targetMbps: speed,
        actualMbps: state.status === 'unknown' ? null : speed,
        verdict: state.status === 'unknown' ? 'unknown' : 'ok',
      },
      flapping: false,
      lastChangeAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
  };

  /** A primary on plane A and a backup on plane B from a unit's routers to its parent's. */
  const uplinks = (
    unit: TopologyOrgUnit,
    level: LinkLevel,
    own: [TopologyDevice, TopologyDevice],
    parent: [TopologyDevice, TopologyDevice],
  ) => {
    const roll = next();
    const failedOver = roll < o.downShare;
    const unknown = !failedOver && roll < o.downShare + o.unknownShare;
    const status = failedOver ? 'down' : unknown ? 'unknown' : 'up';
    link(unit, level, 'primary', 'A', own[0], parent[0], { status, failedOver });
    link(unit, level, 'backup', 'B', own[1], parent[1], { status: unknown ? 'unknown' : 'up', failedOver });
  };

  const province: TopologyOrgUnit = { id: 'sc', parentId: null, level: 'province', name: '四川省' };
  orgUnits.push(province);
  const core: [TopologyDevice, TopologyDevice] = [
    router(province, 'core', 'A', '10.0.0.1'),
    router(province, 'core', 'B', '10.0.0.2'),
  ];

  const countiesPerCity = split(
    o.counties,
    o.cities,
    o.cities > 0 ? Math.min(3, Math.floor(o.counties / o.cities)) : 0,
    next,
  );
  let countyTotal = 0;
  const countyList: {
    unit: TopologyOrgUnit;
    routers: [TopologyDevice, TopologyDevice];
    c: number;
    k: number;
  }[] = [];
  countiesPerCity.forEach((countyCount, ci) => {
    const c = ci + 1;
    const base = cityNames[ci % cityNames.length] ?? '成都市';
    const name = ci < cityNames.length ? base : `${base}${Math.floor(ci / cityNames.length) + 1}`;
    const city: TopologyOrgUnit = { id: `sc-c${pad(c, 2)}`, parentId: province.id, level: 'city', name };
    orgUnits.push(city);
    const cityRouters: [TopologyDevice, TopologyDevice] = [
      router(city, 'agg', 'A', `10.${c}.0.1`),
      router(city, 'agg', 'B', `10.${c}.0.2`),
    ];
    uplinks(city, 'city', cityRouters, core);
    for (let k = 1; k <= countyCount; k += 1) {
      countyTotal += 1;
      const county: TopologyOrgUnit = {
        id: `${city.id}-k${pad(k, 2)}`,
        parentId: city.id,
        level: 'county',
        name: placeName(['县', '区', '县', '市']),
      };
      orgUnits.push(county);
      const countyRouters: [TopologyDevice, TopologyDevice] = [
        router(county, 'agg', 'A', `10.${c}.${k}.1`),
        router(county, 'agg', 'B', `10.${c}.${k}.2`),
      ];
      uplinks(county, 'county', countyRouters, cityRouters);
      countyList.push({ unit: county, routers: countyRouters, c, k });
    }
  });

  const townshipsPerCounty = split(o.townships, countyTotal, 1, next);
  countyList.forEach(({ unit: county, routers: countyRouters, c, k }, i) => {
    const count = townshipsPerCounty[i] ?? 0;
    for (let t = 1; t <= count; t += 1) {
      const township: TopologyOrgUnit = {
        id: `${county.id}-t${pad(t, 3)}`,
        parentId: county.id,
        level: 'township',
        name: placeName(['镇', '乡', '街道', '镇']),
      };
      orgUnits.push(township);
      const host = 10 + t;
      const address = host < 255 ? `10.${c}.${k}.${host}` : `10.${c}.${100 + k}.${host - 245}`;
      const access = router(township, 'acc', null, address);
      uplinks(township, 'township', [access, access], countyRouters);
    }
  });

  return { orgUnits, devices, links };
}
