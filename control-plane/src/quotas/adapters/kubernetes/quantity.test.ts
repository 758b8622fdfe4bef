import { describe, expect, it } from 'vitest';
import {
  amountsFromQuantities,
  cpuOf,
  formatCpu,
  formatGiB,
  gibOf,
  hardFromAmounts,
  parseQuantity,
} from './quantity.js';
import { hardOf, toCloudError } from './adapter.js';
import { ApiException } from '@kubernetes/client-node';
import { CloudError } from '../../types.js';

describe('Kubernetes quantities', () => {
  it('parses the suffixes of resource.Quantity', () => {
    expect(parseQuantity('8')).toBe(8);
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('16Gi')).toBe(16 * 2 ** 30);
    expect(parseQuantity('1Ki')).toBe(1024);
    expect(parseQuantity('1T')).toBe(1e12);
    expect(parseQuantity('1k')).toBe(1000);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('1.5')).toBe(1.5);
    expect(parseQuantity('.5')).toBe(0.5);
    expect(parseQuantity('0')).toBe(0);
    expect(parseQuantity('100n')).toBeCloseTo(1e-7);
  });

  it('refuses what is not a quantity, naming it', () => {
    for (const bad of ['', 'abc', '1GB', '1 Gi', '--1', 'Gi', '1ki', '1.2.3']) {
      expect(() => parseQuantity(bad), bad).toThrow(/not a Kubernetes quantity/);
    }
  });

  it('formats CPU as whole cores or millicores, and reads them back', () => {
    expect(formatCpu(8)).toBe('8');
    expect(formatCpu(0.5)).toBe('500m');
    expect(formatCpu(0.0001)).toBe('1m'); // rounded up: never less than asked
    expect(formatCpu(2.25)).toBe('2250m');
    expect(cpuOf('2250m')).toBe(2.25);
    expect(cpuOf('2')).toBe(2);
  });

  it('formats GiB as Gi, or Mi when fractional, and reads any unit back in GiB', () => {
    expect(formatGiB(16)).toBe('16Gi');
    expect(formatGiB(0.5)).toBe('512Mi');
    expect(formatGiB(0)).toBe('0Gi');
    expect(gibOf('512Mi')).toBe(0.5);
    expect(gibOf('16Gi')).toBe(16);
    expect(gibOf('1Ti')).toBe(1024);
    expect(gibOf('1T')).toBeCloseTo(931.322575, 5);
    expect(gibOf('17179869184')).toBe(16);
  });

  it('maps classes to ResourceQuota keys and back; classes without a Kubernetes quota are left out', () => {
    const hard = hardFromAmounts({ vcpu: 8, memory: 16, 'block-storage': 200, gpu: 1, 'public-ip': 2, bandwidth: 100, 'object-storage': 50 });
    expect(hard).toEqual({
      'requests.cpu': '8',
      'limits.cpu': '8',
      'requests.memory': '16Gi',
      'limits.memory': '16Gi',
      'requests.storage': '200Gi',
      'requests.nvidia.com/gpu': '1',
    });
    expect(amountsFromQuantities(hard)).toEqual({ vcpu: 8, memory: 16, 'block-storage': 200, gpu: 1 });
    expect(amountsFromQuantities({ pods: '10', 'requests.cpu': '1500m' })).toEqual({ vcpu: 1.5 });
    expect(() => hardFromAmounts({ vcpu: -1 })).toThrow(/not a quota amount/);
  });

  it('reports a class whose keys disagree with the differing key, and a removed key as no limit', () => {
    expect(hardOf({ 'requests.cpu': '8', 'limits.cpu': '16' })).toEqual({ vcpu: 8, 'vcpu/limits.cpu': 16 });
    expect(hardOf({ 'requests.cpu': '8' })).toEqual({});
    expect(hardOf({ 'requests.cpu': '8', 'limits.cpu': '8000m' })).toEqual({ vcpu: 8 });
  });
});

describe('Kubernetes error mapping', () => {
  const status = (code: number, message: string) =>
    JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });
  it('maps API statuses to CloudError kinds with the Status message', () => {
    const cases: Array<[number, string]> = [
      [401, 'unauthorized'],
      [403, 'forbidden'],
      [404, 'not-found'],
      [409, 'conflict'],
      [422, 'rejected'],
      [400, 'rejected'],
      [429, 'unreachable'],
      [500, 'unreachable'],
      [503, 'unreachable'],
      [504, 'timeout'],
    ];
    for (const [code, kind] of cases) {
      const e = toCloudError(new ApiException(code, 'x', status(code, `because ${code}`), {}), 'quota ns/tianshu');
      expect(e).toBeInstanceOf(CloudError);
      expect(e.kind, String(code)).toBe(kind);
      expect(e.status).toBe(code);
      expect(e.message).toBe(`quota ns/tianshu: because ${code}`);
    }
  });

  it('says what happened when the body is no Status, and never repeats the token', () => {
    const e = toCloudError(new ApiException(401, 'Unauthorized', undefined, {}), 'list namespaces', 'sekret');
    expect(e.message).toMatch(/refused the token/);
    const leak = toCloudError(new Error('connect ECONNREFUSED with sekret inside'), 'read', 'sekret');
    expect(leak.kind).toBe('unreachable');
    expect(leak.message).not.toContain('sekret');
    expect(toCloudError(new SyntaxError('Unexpected token <'), 'read').kind).toBe('invalid-answer');
  });
});
