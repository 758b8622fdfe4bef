import { describe, expect, it } from 'vitest';
import { CloudError } from '../../types.js';
import {
  MANAGED_TAG,
  capacityOfHypervisors,
  capacityOfPools,
  fromQuotaSets,
  labelsOfTags,
  mergeTags,
  projectOfTags,
  sameLimits,
  tagsFor,
  toQuotaSets,
} from './mapping.js';

const target = {
  projectId: 'tax-portal',
  externalName: 'ts-tax-portal',
  orgUnitId: 'city-a',
  orgPath: '/province/city-a',
  labels: {},
};

describe('OpenStack class mapping', () => {
  it('writes each class as its quota key, memory in MiB', () => {
    expect(toQuotaSets({ vcpu: 16, memory: 32, 'block-storage': 500, 'public-ip': 3 })).toEqual({
      compute: { cores: 16, ram: 32_768 },
      volume: { gigabytes: 500 },
      network: { floatingip: 3 },
    });
  });

  it('writes only the services of the classes given', () => {
    expect(toQuotaSets({ 'block-storage': 10 })).toEqual({ volume: { gigabytes: 10 } });
    expect(toQuotaSets({})).toEqual({});
  });

  it('refuses classes the quota sets cannot hold, naming them', () => {
    const err = (() => {
      try {
        toQuotaSets({ vcpu: 1, gpu: 2, bandwidth: 100 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CloudError);
    expect((err as CloudError).kind).toBe('rejected');
    expect((err as CloudError).message).toContain('bandwidth, gpu');
  });

  it('refuses amounts that are negative, not whole in the quota unit, or too large', () => {
    expect(() => toQuotaSets({ vcpu: -1 })).toThrow(/vcpu -1/);
    expect(() => toQuotaSets({ vcpu: 2.5 })).toThrow(/whole number/);
    expect(() => toQuotaSets({ vcpu: 3e9 })).toThrow(/2147483647/);
    // Half a GiB is a whole number of MiB.
    expect(toQuotaSets({ memory: 0.5 })).toEqual({ compute: { ram: 512 } });
  });

  it('reads limits and usage back as classes; unlimited (-1) is no limit', () => {
    const state = fromQuotaSets({
      compute: { cores: { limit: 20, used: 4 }, ram: { limit: 51_200, used: 2_560 } },
      volume: { gigabytes: { limit: -1, used: 40 } },
      network: { floatingip: { limit: 50, used: 1 } },
    });
    expect(state.hard).toEqual({ vcpu: 20, memory: 50, 'public-ip': 50 });
    expect(state.used).toEqual({ vcpu: 4, memory: 2.5, 'block-storage': 40, 'public-ip': 1 });
  });

  it('round-trips what it writes', () => {
    const hard = { vcpu: 8, memory: 16, 'block-storage': 200, 'public-ip': 1 };
    const sets = toQuotaSets(hard);
    const entries = Object.fromEntries(
      Object.entries(sets).map(([s, keys]) => [
        s,
        Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, { limit: v, used: 0 }])),
      ]),
    );
    expect(fromQuotaSets(entries).hard).toEqual(hard);
  });

  it('compares wanted limits with those read back key by key', () => {
    expect(sameLimits({ cores: 4 }, { cores: { limit: 4, used: 9 }, ram: { limit: 1, used: 0 } })).toBe(true);
    expect(sameLimits({ cores: 4, ram: 2048 }, { cores: { limit: 4, used: 0 } })).toBe(false);
  });
});

describe('project tags', () => {
  it('name the project and its org unit, and read back as labels', () => {
    const tags = tagsFor(target);
    expect(tags).toEqual([MANAGED_TAG, 'tianshu:project=tax-portal', 'tianshu:org-unit=city-a']);
    expect(projectOfTags(tags)).toBe('tax-portal');
    expect(labelsOfTags(tags)).toEqual({
      'app.kubernetes.io/managed-by': 'tianshu',
      'tianshu.gov.cn/project': 'tax-portal',
      'tianshu.gov.cn/org-unit': 'city-a',
    });
  });

  it('keep to what Keystone accepts (no "," or "/")', () => {
    for (const t of tagsFor({ ...target, orgUnitId: 'a/b,c' })) expect(t).toMatch(/^[^,/]{1,255}$/);
  });

  it('replace Tianshu tags and keep the others', () => {
    const merged = mergeTags(['billing', 'tianshu:org-unit=old-unit'], target);
    expect(merged).toEqual(['billing', ...tagsFor(target)]);
  });
});

describe('capacity', () => {
  it('sums the enabled hypervisors, memory in whole GiB', () => {
    expect(
      capacityOfHypervisors([
        { status: 'enabled', vcpus: 64, memory_mb: 262_144 },
        { status: 'enabled', vcpus: 32, memory_mb: 1_536 },
        { status: 'disabled', vcpus: 1000, memory_mb: 1_000_000 },
      ]),
    ).toEqual({ vcpu: 96, memory: 257 });
    expect(capacityOfHypervisors([])).toEqual({ vcpu: 0, memory: 0 });
  });

  it('sums the pools that report a figure', () => {
    expect(capacityOfPools([1024, 'infinite', 512.7])).toBe(1536);
    expect(capacityOfPools(['unknown', undefined])).toBeUndefined();
  });
});
