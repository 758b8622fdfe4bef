import { describe, expect, it } from 'vitest';
import type { Topology } from '../data/network.js';
import { generateProvince } from './topology-fixture.js';
import { createTopologySearch, normaliseQuery } from './topology-search.js';

const topology: Topology = {
  orgUnits: [
    { id: 'sc', parentId: null, level: 'province', name: '四川省' },
    { id: 'sc-cd', parentId: 'sc', level: 'city', name: '成都市' },
    { id: 'sc-cd-sl', parentId: 'sc-cd', level: 'county', name: '双流区' },
    { id: 'sc-cd-sl-dsj', parentId: 'sc-cd-sl', level: 'township', name: '东升街道' },
  ],
  devices: [
    {
      id: 'sc-core-a',
      name: 'SC-Core-A',
      orgUnitId: 'sc',
      role: 'core',
      managementAddress: '10.0.0.1',
      plane: 'A',
      reachable: true,
    },
    {
      id: 'sc-cd-agg',
      name: 'sc-cd-agg',
      orgUnitId: 'sc-cd',
      role: 'aggregation',
      managementAddress: '10.1.0.1',
      plane: 'A',
      reachable: true,
    },
    {
      id: 'sc-cd-sl-acc',
      name: 'shuangliu-acc',
      orgUnitId: 'sc-cd-sl',
      role: 'access',
      managementAddress: '10.1.2.10',
      plane: null,
      reachable: false,
    },
  ],
  links: [],
};

describe('topology search', () => {
  const search = createTopologySearch(topology);

  it('finds org units by a part of their Chinese name', () => {
    expect(search.find('双流').map((m) => m.id)).toEqual(['sc-cd-sl']);
    expect(search.find('街道').map((m) => [m.kind, m.id])).toEqual([['unit', 'sc-cd-sl-dsj']]);
  });

  it('finds routers by name, case-insensitively, and by management address', () => {
    expect(search.find('core-a').map((m) => m.id)).toEqual(['sc-core-a']);
    expect(search.find('SC-CORE').map((m) => m.id)).toEqual(['sc-core-a']);
    const byAddress = search.find('10.1.2.10');
    expect(byAddress.map((m) => m.id)).toEqual(['sc-cd-sl-acc']);
    expect(byAddress[0]?.detail).toBe('双流区');
    expect(byAddress[0]?.unitId).toBe('sc-cd-sl');
  });

  it('ranks exact, then prefix, then inner matches, and units before routers', () => {
    expect(search.find('10.1.').map((m) => m.id)).toEqual(['sc-cd-agg', 'sc-cd-sl-acc']);
    expect(search.find('sc-cd-agg').map((m) => m.id)[0]).toBe('sc-cd-agg');
    expect(search.find('成都市').map((m) => m.id)).toEqual(['sc-cd']);
  });

  it('reads full-width input and ignores surrounding space; an empty query finds nothing', () => {
    expect(normaliseQuery('  ＳＣ－ＣＯＲＥ ')).toBe('sc-core');
    expect(search.find('ＳＣ-ＣＯＲＥ').map((m) => m.id)).toEqual(['sc-core-a']);
    expect(search.find('   ')).toEqual([]);
    expect(search.find('nothing like it')).toEqual([]);
  });

  it('limits the matches in a Sichuan-sized province', () => {
    const big = createTopologySearch(generateProvince());
    expect(big.find('sc-c01', 5)).toHaveLength(5);
    expect(big.find('镇', 1000).length).toBeGreaterThan(100);
    expect(big.find('10.5.2.11').map((m) => m.id)).toEqual(['sc-c05-k02-t001-acc']);
  });
});
