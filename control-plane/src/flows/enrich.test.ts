import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowAggregatesPayload } from '@tianshu/protocol';
import { writeMmdb } from '../../../test/support/mmdb-writer.js';
import { InputError } from '../errors.js';
import {
  InventorySnapshot,
  PolicyEnrichment,
  encodePayload,
  flowDirection,
  type ExporterDevice,
} from './enrich.js';
import { GeoIp } from './geoip.js';
import { DEFAULT_FLOWS_POLICY } from './policy.js';
import { FLOW_COLUMNS } from './telemetry-schema.js';

const dir = mkdtempSync(join(tmpdir(), 'tianshu-mmdb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const countryDb = join(dir, 'country.mmdb');
const asnDb = join(dir, 'asn.mmdb');
writeFileSync(
  countryDb,
  writeMmdb('GeoLite2-Country', [
    ['8.8.0.0/16', { country: { iso_code: 'US', names: { en: 'United States' } } }],
    ['8.8.8.0/24', { country: { iso_code: 'US' }, registered_country: { iso_code: 'US' } }],
    ['1.0.0.0/8', { registered_country: { iso_code: 'AU' } }],
    ['2001:4860::/32', { country: { iso_code: 'US' } }],
  ]),
);
writeFileSync(
  asnDb,
  writeMmdb('GeoLite2-ASN', [
    ['8.8.8.0/24', { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' }],
    ['2001:4860::/32', { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' }],
  ]),
);

function snapshot(): InventorySnapshot {
  const s = new InventorySnapshot('test');
  const units = [
    { id: 'sc', name: '四川省', path: '/sc/' },
    { id: 'sc-cd', name: '成都市', path: '/sc/sc-cd/' },
  ];
  units.forEach((u, i) => {
    s.units.push(u);
    s.unitsById.set(u.id, u);
    s.trie.add(i === 0 ? '10.0.0.0/8' : '10.16.0.0/12', i);
  });
  s.trie.add('2001:db8::/32', 0);
  const dev: ExporterDevice = {
    id: 'sc-cd-agg',
    name: '成都市汇聚路由器',
    orgUnitId: 'sc-cd',
    path: '/sc/sc-cd/',
    address: '127.0.16.1',
    interfaces: new Map([
      [1, { name: 'Gi0/1\twith a tab', speedMbps: 1000, internetEgress: false }],
      [2, { name: 'internet', speedMbps: 10_000, internetEgress: true }],
    ]),
  };
  s.devicesByAddress.set(dev.address, dev);
  s.devicesById.set(dev.id, dev);
  return s;
}

function payload(src: string[], dst: string[], outIf: number[]): FlowAggregatesPayload {
  const n = src.length;
  return {
    kind: 'flow-aggregates',
    exporter: '127.0.16.1',
    minute: 1_764_547_200_000,
    key: ['outIf', 'srcAddr', 'dstAddr', 'dstPort', 'proto', 'ipVersion', 'srcAs'],
    rows: n,
    columns: {
      outIf,
      srcAddr: src,
      dstAddr: dst,
      dstPort: new Array<number>(n).fill(443),
      proto: new Array<number>(n).fill(6),
      ipVersion: src.map((a) => (a.includes(':') ? 6 : 4)),
      srcAs: src.map((_, i) => (i === 0 ? 65001 : 0)),
      samplingRate: new Array<number>(n).fill(100),
      bytes: new Array<number>(n).fill(1500.4),
      packets: new Array<number>(n).fill(100),
      flows: new Array<number>(n).fill(100),
    },
    stats: {
      packets: 1,
      records: n,
      dropped: 0,
      malformed: {},
      missingTemplates: 0,
      sequenceGaps: 0,
      versions: [10],
      samplingSources: { exporter: n, configured: 0, default: 0 },
    },
  };
}

/** A stored row with every value as text, its columns in the order of `FLOW_COLUMNS`. */
const fields = (row: Record<string, string | number>) => {
  expect(Object.keys(row)).toEqual(FLOW_COLUMNS);
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)]));
};

describe('flow enrichment', () => {
  const inv = snapshot();
  const device = inv.devicesById.get('sc-cd-agg')!;
  const attribution = { exporter: '127.0.16.1', device, orgUnitId: 'sc-cd', orgUnitPath: '/sc/sc-cd/' };

  it('encodes rows with org units, interfaces, direction, app, AS and country', () => {
    const pol = new PolicyEnrichment({
      ...DEFAULT_FLOWS_POLICY,
      geoip: { database: countryDb, asnDatabase: asnDb },
    });
    expect(pol.geo.status.map((s) => [s.kind, s.status, s.databaseType])).toEqual([
      ['country', 'ok', 'GeoLite2-Country'],
      ['asn', 'ok', 'GeoLite2-ASN'],
    ]);
    const e = encodePayload(
      payload(
        ['10.17.0.1', '8.8.8.8', '2001:4860::8888', '10.1.0.1'],
        ['8.8.8.8', '10.1.2.3', '2001:db8::1', '10.16.0.9'],
        [2, 1, 1, 1],
      ),
      'agent-1',
      attribution,
      inv,
      pol,
    );
    expect(e.rows).toBe(4);
    expect(e.samplingRates).toEqual([100]);
    expect(e.builder.rows).toBe(4);
    const rows = [0, 1, 2, 3].map((i) => fields(e.builder.row(i)));
    expect(rows.map((r) => Object.keys(r).length)).toEqual([34, 34, 34, 34]);
    expect(rows[0]).toMatchObject({
      ts: '1764547200',
      agent_id: 'agent-1',
      exporter_device_id: 'sc-cd-agg',
      exporter_org_unit: 'sc-cd',
      out_if: '2',
      out_if_name: 'internet',
      out_if_speed_mbps: '10000',
      src_org_unit: 'sc-cd',
      src_org_path: '/sc/sc-cd/',
      dst_org_unit: '',
      direction: 'egress',
      app: 'HTTPS',
      src_as: '65001', // the exporter's own AS wins
      dst_as: '15169',
      dst_country: 'US',
      src_country: '',
      bytes: '1500',
    });
    expect(rows[1]).toMatchObject({
      out_if_name: 'Gi0/1\twith a tab',
      src_country: 'US',
      src_as: '15169',
      dst_org_unit: 'sc',
      direction: 'ingress',
    });
    expect(rows[2]).toMatchObject({
      src_country: 'US',
      src_as: '15169',
      dst_org_unit: 'sc',
      direction: 'ingress',
    });
    expect(rows[3]).toMatchObject({ src_org_unit: 'sc', dst_org_unit: 'sc-cd', direction: 'internal' });
  });

  it('refuses an address that is not one, naming the column and row', () => {
    const pol = new PolicyEnrichment(DEFAULT_FLOWS_POLICY);
    const bad = () =>
      encodePayload(
        payload(['10.0.0.1', '1.2.3.999'], ['10.0.0.2', '10.0.0.3'], [1, 1]),
        'a',
        attribution,
        inv,
        pol,
      );
    expect(bad).toThrow(InputError);
    expect(bad).toThrow(
      'flow-aggregates from 127.0.16.1: columns.srcAddr[1]: "1.2.3.999" is not an IPv4 or IPv6 address',
    );
  });

  it('reports a database it cannot open and goes on without it', () => {
    const junk = join(dir, 'junk.mmdb');
    writeFileSync(junk, 'not a database');
    const geo = new GeoIp({ database: junk, asnDatabase: join(dir, 'missing.mmdb') });
    expect(geo.enabled).toBe(false);
    expect(geo.status.map((s) => [s.kind, s.status])).toEqual([
      ['country', 'error'],
      ['asn', 'error'],
    ]);
    expect(geo.status[1]!.error).toMatch(/ENOENT/);
    expect(geo.lookup('8.8.8.8')).toEqual({ country: '', asn: 0 });
  });

  it('decides direction from the ends and the egress interfaces', () => {
    expect(flowDirection(true, true, true, false)).toBe('internal');
    expect(flowDirection(true, false, true, false)).toBe('egress');
    expect(flowDirection(false, false, true, false)).toBe('egress');
    expect(flowDirection(false, true, false, true)).toBe('ingress');
    expect(flowDirection(false, false, false, true)).toBe('ingress');
    expect(flowDirection(true, false, false, false)).toBe('egress');
    expect(flowDirection(false, true, false, false)).toBe('ingress');
    expect(flowDirection(false, false, false, false)).toBe('transit');
  });
});
