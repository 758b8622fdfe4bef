import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api.js';
import {
  discoverDevice,
  fetchDevice,
  fetchDevicePolls,
  fetchDevices,
  fetchInterface,
  fetchInterfaceMetrics,
  fetchSweep,
  isIpAddress,
  matchesText,
  submitAddDevice,
  sweepEnded,
  topInterface,
  validateAddDevice,
} from './devices.js';
import type { AddDeviceForm, DeviceStatus, InterfaceStatus } from './devices.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

const device: DeviceStatus = {
  id: 'dev-1',
  name: 'sc-cd-core-1',
  orgUnitId: 'sc-cd',
  siteId: 'site-1',
  role: 'core',
  managementAddress: '10.20.1.1',
  snmpPort: 161,
  vendor: 'Cisco',
  model: 'WS-C3750G-24TS',
  osVersion: '12.2(55)SE',
  serial: 'FOC1234',
  sysName: 'core-1',
  sysDescr: 'Cisco IOS Software',
  sysObjectId: '1.3.6.1.4.1.9.1.516',
  sysLocation: 'Chengdu',
  uptimeSeconds: 86_400,
  status: 'failing',
  lastPoll: {
    at: '2026-12-01T08:00:00Z',
    outcome: 'agent-error',
    error: 'sysUpTime.0: noSuchInstance',
    durationMs: 12,
    consecutiveFailures: 3,
    missing: ['sysUpTime.0'],
    warnings: [],
  },
  lastDiscovery: { at: '2026-12-01T07:00:00Z', outcome: 'ok', error: null },
  interfaces: { total: 59, up: 30, down: 29, missing: 0 },
  pollerAgentId: 'edge-1',
  lastPollAgentId: 'edge-1',
};

const json = (body: unknown, status = 200) =>
  vi.fn(async () => new Response(JSON.stringify(body), { status }));

const form = (over: Partial<AddDeviceForm> = {}): AddDeviceForm => ({
  mode: 'address',
  siteId: 'site-1',
  address: '10.20.1.1',
  cidr: '',
  version: '2c',
  credentialRef: 'sc-v2',
  port: '',
  role: '',
  name: '',
  ...over,
});

describe('device reads', () => {
  it('ask the device views API with encoded ids and the filter in the query', async () => {
    const fetch = json({ items: [device] });
    vi.stubGlobal('fetch', fetch);
    const { items } = await fetchDevices({ status: 'failing', q: 'core 1' });
    expect(items[0]?.lastPoll?.error).toBe('sysUpTime.0: noSuchInstance');
    expect(fetch).toHaveBeenCalledWith(
      '/api/v1/network/devices?status=failing&q=core+1',
      expect.objectContaining({ method: 'GET' }),
    );
    await fetchDevice('a/b');
    expect(fetch).toHaveBeenLastCalledWith('/api/v1/network/devices/a%2Fb', expect.anything());
    await fetchDevicePolls('dev-1', '6h');
    expect(fetch).toHaveBeenLastCalledWith('/api/v1/network/devices/dev-1/polls?range=6h', expect.anything());
    await fetchInterface('dev-1', 10101);
    expect(fetch).toHaveBeenLastCalledWith(
      '/api/v1/network/devices/dev-1/interfaces/10101',
      expect.anything(),
    );
    await fetchInterfaceMetrics('dev-1', 3, '24h');
    expect(fetch).toHaveBeenLastCalledWith(
      '/api/v1/network/devices/dev-1/interfaces/3/metrics?range=24h',
      expect.anything(),
    );
    await fetchSweep('sw 1');
    expect(fetch).toHaveBeenLastCalledWith('/api/v1/network/sweeps/sw%201', expect.anything());
  });

  it('reject with the server error of a device out of scope (404)', async () => {
    const body = { error: { code: 'not_found', message: 'device dev-9 not found' } };
    vi.stubGlobal('fetch', json(body, 404));
    const error = await fetchDevice('dev-9').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(404);
  });

  it('request discovery with a POST', async () => {
    const fetch = json({ requestedAt: '2026-12-01T08:00:00Z' }, 202);
    vi.stubGlobal('fetch', fetch);
    expect((await discoverDevice('dev-1')).requestedAt).toBe('2026-12-01T08:00:00Z');
    expect(fetch).toHaveBeenCalledWith(
      '/api/v1/network/devices/dev-1/discover',
      expect.objectContaining({ method: 'POST' }),
    );
  });

  it('tell when a sweep has ended', () => {
    expect(sweepEnded({ state: 'running' })).toBe(false);
    expect(sweepEnded({ state: 'pending' })).toBe(false);
    expect(sweepEnded({ state: 'done' })).toBe(true);
    expect(sweepEnded({ state: 'failed' })).toBe(true);
  });
});

describe('the add form', () => {
  it('builds an add-by-address request with only the fields given', () => {
    const checked = validateAddDevice(
      form({ address: ' 10.20.1.1 ', port: '1161', role: 'access', name: 'r1' }),
    );
    expect(checked).toEqual({
      ok: true,
      request: {
        kind: 'address',
        body: {
          siteId: 'site-1',
          address: '10.20.1.1',
          snmp: { version: '2c', credentialRef: 'sc-v2', port: 1161 },
          role: 'access',
          name: 'r1',
        },
      },
    });
    const plain = validateAddDevice(form());
    expect(plain.ok && plain.request.body).toEqual({
      siteId: 'site-1',
      address: '10.20.1.1',
      snmp: { version: '2c', credentialRef: 'sc-v2' },
    });
  });

  it('builds a sweep request for a subnet', () => {
    const checked = validateAddDevice(
      form({ mode: 'cidr', cidr: '10.20.1.0/24', version: '3', credentialRef: 'v3' }),
    );
    expect(checked).toEqual({
      ok: true,
      request: {
        kind: 'cidr',
        body: { siteId: 'site-1', cidr: '10.20.1.0/24', snmp: { version: '3', credentialRef: 'v3' } },
      },
    });
  });

  it('names every invalid field and sends nothing', () => {
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    const checked = validateAddDevice(
      form({ siteId: '', address: '10.20.1.256', credentialRef: '', port: '70000' }),
    );
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(Object.keys(checked.errors).sort()).toEqual(['address', 'credentialRef', 'port', 'siteId']);
    expect(checked.errors.address).toBe('10.20.1.256 is not an IP address.');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('refuses an empty address, a malformed subnet and a subnet larger than a sweep may cover', () => {
    const empty = validateAddDevice(form({ address: '  ' }));
    expect(!empty.ok && empty.errors.address).toBe('Enter the management address.');
    const bad = validateAddDevice(form({ mode: 'cidr', cidr: '10.20.1.0' }));
    expect(!bad.ok && bad.errors.cidr).toMatch(/is not an IPv4 subnet/);
    const large = validateAddDevice(form({ mode: 'cidr', cidr: '10.0.0.0/16' }));
    expect(!large.ok && large.errors.cidr).toBe('A sweep covers at most a /22; split the subnet.');
    const port = validateAddDevice(form({ port: '16.1' }));
    expect(!port.ok && port.errors.port).toBeTruthy();
    const role = validateAddDevice(form({ role: 'spine' }));
    expect(!role.ok && role.errors.role).toBeTruthy();
  });

  it('accepts IPv4 and IPv6 addresses only', () => {
    expect(isIpAddress('127.0.0.1')).toBe(true);
    expect(isIpAddress('2001:db8::1')).toBe(true);
    expect(isIpAddress('::1')).toBe(true);
    expect(isIpAddress('router.example')).toBe(false);
    expect(isIpAddress('1.2.3')).toBe(false);
    expect(isIpAddress('1::2::3')).toBe(false);
  });

  it('posts the request: a device comes back for an address, a sweep id for a subnet', async () => {
    const fetch = json(device, 201);
    vi.stubGlobal('fetch', fetch);
    const checked = validateAddDevice(form());
    if (!checked.ok) throw new Error('form should be valid');
    const added = await submitAddDevice(checked.request);
    expect(added).toEqual({ kind: 'device', device });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/network/devices/add');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual(checked.request.body);

    vi.stubGlobal('fetch', json({ sweepId: 'sw-1' }, 202));
    const sweep = validateAddDevice(form({ mode: 'cidr', cidr: '10.20.1.0/24' }));
    if (!sweep.ok) throw new Error('form should be valid');
    expect(await submitAddDevice(sweep.request)).toEqual({ kind: 'sweep', sweepId: 'sw-1' });
  });

  it('rejects with the server reason when the device cannot be added', async () => {
    const body = {
      error: {
        code: 'input.invalid',
        message: 'address 10.9.9.9 is outside the management prefixes of sc-cd',
      },
    };
    vi.stubGlobal('fetch', json(body, 400));
    const checked = validateAddDevice(form({ address: '10.9.9.9' }));
    if (!checked.ok) throw new Error('form should be valid');
    const error = await submitAddDevice(checked.request).catch((e: unknown) => e);
    expect((error as ApiError).message).toMatch(/outside the management prefixes/);
  });
});

const port = (ifIndex: number, over: Partial<InterfaceStatus> = {}): InterfaceStatus => ({
  id: `i${ifIndex}`,
  ifIndex,
  name: `Gi1/0/${ifIndex}`,
  descr: null,
  alias: null,
  type: 6,
  speedMbps: 1000,
  mac: null,
  adminStatus: 'up',
  operStatus: 'up',
  counterBits: 64,
  inBps: null,
  outBps: null,
  inUtilisation: null,
  outUtilisation: null,
  inErrorsPerSecond: null,
  outErrorsPerSecond: null,
  inDiscardsPerSecond: null,
  outDiscardsPerSecond: null,
  lastChangeAt: null,
  missingSince: null,
  polledAt: null,
  ...over,
});

describe('the list and page helpers', () => {
  it('match the text filter on name, address, sysName, vendor and model, in any case', () => {
    expect(matchesText(device, '')).toBe(true);
    expect(matchesText(device, ' CISCO ')).toBe(true);
    expect(matchesText(device, '10.20.1')).toBe(true);
    expect(matchesText(device, 'core-1')).toBe(true);
    expect(matchesText(device, 'c3750g')).toBe(true);
    expect(matchesText(device, 'juniper')).toBe(false);
    expect(matchesText({ ...device, vendor: null, model: null }, 'cisco')).toBe(false);
  });

  it('chart the busiest interface that is up, never a missing one', () => {
    const ports = [
      port(1, { inBps: 5e6, operStatus: 'down' }),
      port(2, { inBps: 1e6 }),
      port(3, { outBps: 3e6 }),
      port(4, { inBps: 9e9, missingSince: '2026-12-01T08:00:00Z' }),
    ];
    expect(topInterface(ports)?.ifIndex).toBe(3);
    // Nothing up carries traffic: the busiest at all; no traffic at all: the first that is up.
    expect(topInterface([port(1, { inBps: 5, operStatus: 'down' }), port(2)])?.ifIndex).toBe(1);
    expect(topInterface([port(1, { operStatus: 'down' }), port(7), port(5)])?.ifIndex).toBe(5);
    expect(topInterface([])).toBeUndefined();
  });
});
