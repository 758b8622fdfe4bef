/**
 * Network devices and their interfaces as the device views API describes them (`/api/v1/network/
 * devices…`), adding devices by address or by sweeping a subnet, and the sites the add form offers.
 */
import { msg, str } from '@lit/localize';
import { apiFetch, query } from './api.js';
import type { MetricPoint, MetricsRange } from './hosts.js';

export type DeviceHealth = 'up' | 'down' | 'failing' | 'unknown';

export const deviceHealths: readonly DeviceHealth[] = ['down', 'failing', 'unknown', 'up'];

/** How one poll (or discovery) of a device ended. */
export type PollOutcome = 'ok' | 'partial' | 'timeout' | 'auth' | 'agent-error' | 'error';

export interface LastPoll {
  at: string;
  outcome: PollOutcome;
  error: string | null;
  durationMs: number;
  consecutiveFailures: number;
  /** Columns or objects the device did not answer (a partial poll). */
  missing: string[];
  warnings: string[];
}

export interface LastDiscovery {
  at: string;
  outcome: PollOutcome;
  error: string | null;
}

/** A device with its latest poll and discovery, as the list shows it. */
export interface DeviceStatus {
  id: string;
  name: string;
  orgUnitId: string;
  siteId: string;
  role: string;
  managementAddress: string;
  /** Null: the SNMP default, 161. */
  snmpPort: number | null;
  vendor: string | null;
  model: string | null;
  osVersion: string | null;
  serial: string | null;
  sysName: string | null;
  sysDescr: string | null;
  sysObjectId: string | null;
  sysLocation: string | null;
  uptimeSeconds: number | null;
  status: DeviceHealth;
  lastPoll: LastPoll | null;
  lastDiscovery: LastDiscovery | null;
  interfaces: { total: number; up: number; down: number; missing: number };
  pollerAgentId: string | null;
  lastPollAgentId: string | null;
}

export interface InterfaceStatus {
  id: string;
  ifIndex: number;
  name: string;
  descr: string | null;
  alias: string | null;
  /** IANAifType. */
  type: number | null;
  speedMbps: number | null;
  mac: string | null;
  adminStatus: string | null;
  operStatus: string | null;
  counterBits: 32 | 64 | null;
  inBps: number | null;
  outBps: number | null;
  inUtilisation: number | null;
  outUtilisation: number | null;
  inErrorsPerSecond: number | null;
  outErrorsPerSecond: number | null;
  inDiscardsPerSecond: number | null;
  outDiscardsPerSecond: number | null;
  lastChangeAt: string | null;
  missingSince: string | null;
  polledAt: string | null;
}

export interface Neighbour {
  localIfIndex: number;
  localPortName: string | null;
  remoteSysName: string | null;
  remotePortId: string | null;
  remoteChassisId: string | null;
}

export interface DeviceLink {
  id: string;
  name: string;
  status: string;
  role: string;
  ifIndex: number;
}

export interface DeviceDetail extends Omit<DeviceStatus, 'interfaces'> {
  interfaces: InterfaceStatus[];
  neighbours: Neighbour[];
  links: DeviceLink[];
}

export interface PollRecord {
  at: string;
  outcome: PollOutcome;
  error: string | null;
  durationMs: number;
}

export interface InterfaceHistoryEntry {
  at: string;
  change: string;
  detail: string;
}

export interface InterfaceDetail extends InterfaceStatus {
  history: InterfaceHistoryEntry[];
}

export interface InterfaceSeries {
  inBitsPerSecond: MetricPoint[];
  outBitsPerSecond: MetricPoint[];
  inPercent: MetricPoint[];
  outPercent: MetricPoint[];
  inErrorsPerSecond: MetricPoint[];
  outErrorsPerSecond: MetricPoint[];
  inDiscardsPerSecond: MetricPoint[];
  outDiscardsPerSecond: MetricPoint[];
}

export interface InterfaceMetrics {
  stepSeconds: number;
  series: InterfaceSeries;
}

export interface DeviceFilter {
  orgUnitId?: string;
  status?: DeviceHealth;
  q?: string;
}

export type SnmpVersion = '2c' | '3';

export interface AddSnmp {
  version: SnmpVersion;
  credentialRef: string;
  port?: number;
}

export interface AddByAddress {
  siteId: string;
  address: string;
  snmp: AddSnmp;
  role?: string;
  name?: string;
}

export interface AddBySweep {
  siteId: string;
  cidr: string;
  snmp: AddSnmp;
  role?: string;
}

export type SweepState = 'pending' | 'running' | 'done' | 'failed';

export interface Sweep {
  id: string;
  cidr: string;
  state: SweepState;
  probed: number;
  found: number;
  /** Ids of the devices the sweep added. */
  added: string[];
  error: string | null;
}

export interface Site {
  id: string;
  orgUnitId: string;
  name: string;
  kind: string;
}

/** The device roles of the inventory. */
export const deviceRoles = ['core', 'aggregation', 'access', 'firewall', 'egress'] as const;

const base = '/api/v1/network/devices';

const id = (value: string): string => encodeURIComponent(value);

export const fetchDevices = (
  filter: DeviceFilter = {},
  signal?: AbortSignal,
): Promise<{ items: DeviceStatus[] }> =>
  apiFetch<{ items: DeviceStatus[] }>(`${base}${query({ ...filter })}`, { signal });

export const fetchDevice = (deviceId: string, signal?: AbortSignal): Promise<DeviceDetail> =>
  apiFetch<DeviceDetail>(`${base}/${id(deviceId)}`, { signal });

export const fetchDevicePolls = (
  deviceId: string,
  range: MetricsRange,
  signal?: AbortSignal,
): Promise<{ items: PollRecord[] }> =>
  apiFetch<{ items: PollRecord[] }>(`${base}/${id(deviceId)}/polls${query({ range })}`, { signal });

export const fetchInterface = (
  deviceId: string,
  ifIndex: number,
  signal?: AbortSignal,
): Promise<InterfaceDetail> =>
  apiFetch<InterfaceDetail>(`${base}/${id(deviceId)}/interfaces/${ifIndex}`, { signal });

export const fetchInterfaceMetrics = (
  deviceId: string,
  ifIndex: number,
  range: MetricsRange,
  signal?: AbortSignal,
): Promise<InterfaceMetrics> =>
  apiFetch<InterfaceMetrics>(`${base}/${id(deviceId)}/interfaces/${ifIndex}/metrics${query({ range })}`, {
    signal,
  });

/** Adds one device by its address: the server answers with the new device (201). */
export const addDevice = (body: AddByAddress): Promise<DeviceStatus> =>
  apiFetch<DeviceStatus>(`${base}/add`, { method: 'POST', body });

/** Starts a bounded sweep of a subnet: the server answers 202 with the sweep's id. */
export const startSweep = (body: AddBySweep): Promise<{ sweepId: string }> =>
  apiFetch<{ sweepId: string }>(`${base}/add`, { method: 'POST', body });

export const fetchSweep = (sweepId: string, signal?: AbortSignal): Promise<Sweep> =>
  apiFetch<Sweep>(`/api/v1/network/sweeps/${id(sweepId)}`, { signal });

export const discoverDevice = (deviceId: string): Promise<{ requestedAt: string }> =>
  apiFetch<{ requestedAt: string }>(`${base}/${id(deviceId)}/discover`, { method: 'POST' });

export const fetchSites = (signal?: AbortSignal): Promise<{ items: Site[] }> =>
  apiFetch<{ items: Site[] }>(`/api/v1/inventory/sites${query({ limit: 5000 })}`, { signal });

/** Whether a sweep has ended (its result no longer changes). */
export const sweepEnded = (sweep: Pick<Sweep, 'state'>): boolean =>
  sweep.state === 'done' || sweep.state === 'failed';

/** The largest subnet one sweep may cover (a /22: 1,024 addresses); the server checks it too. */
export const maxSweepPrefix = 22;

const ipv4Octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipv4 = new RegExp(`^${ipv4Octet}(\\.${ipv4Octet}){3}$`);

/** Whether `value` is an IPv4 address or a plausible IPv6 address (the server checks it fully). */
export function isIpAddress(value: string): boolean {
  if (ipv4.test(value)) return true;
  return /^[0-9a-f:.]+$/i.test(value) && value.includes(':') && value.split('::').length <= 2;
}

/** What the add form holds, as the user typed it. */
export interface AddDeviceForm {
  mode: 'address' | 'cidr';
  siteId: string;
  address: string;
  cidr: string;
  version: SnmpVersion;
  credentialRef: string;
  port: string;
  role: string;
  name: string;
}

export type AddDeviceField = 'siteId' | 'address' | 'cidr' | 'credentialRef' | 'port' | 'role';

export type AddDeviceRequest = { kind: 'address'; body: AddByAddress } | { kind: 'cidr'; body: AddBySweep };

/**
 * Checks the add form and builds the request, or returns a message per invalid field in the locale in
 * force. Nothing is sent while a field is invalid.
 */
export function validateAddDevice(
  form: AddDeviceForm,
): { ok: true; request: AddDeviceRequest } | { ok: false; errors: Partial<Record<AddDeviceField, string>> } {
  const errors: Partial<Record<AddDeviceField, string>> = {};
  if (!form.siteId) errors.siteId = msg('Choose the site of the device.', { id: 'devices.add.error.site' });
  const address = form.address.trim();
  const cidr = form.cidr.trim();
  if (form.mode === 'address') {
    if (!address)
      errors.address = msg('Enter the management address.', { id: 'devices.add.error.addressMissing' });
    else if (!isIpAddress(address))
      errors.address = msg(str`${address} is not an IP address.`, { id: 'devices.add.error.address' });
  } else {
    const match = /^(.+)\/(\d{1,3})$/.exec(cidr);
    const bits = match ? Number(match[2]) : NaN;
    if (!cidr)
      errors.cidr = msg('Enter the subnet to sweep, e.g. 10.1.2.0/24.', {
        id: 'devices.add.error.cidrMissing',
      });
    else if (!match || !ipv4.test(match[1] ?? '') || bits > 32)
      errors.cidr = msg(str`${cidr} is not an IPv4 subnet such as 10.1.2.0/24.`, {
        id: 'devices.add.error.cidr',
      });
    else if (bits < maxSweepPrefix) {
      const limit = maxSweepPrefix;
      errors.cidr = msg(str`A sweep covers at most a /${limit}; split the subnet.`, {
        id: 'devices.add.error.cidrTooLarge',
      });
    }
  }
  if (!form.credentialRef)
    errors.credentialRef = msg('Choose the SNMP credential.', { id: 'devices.add.error.credential' });
  const portText = form.port.trim();
  const port = portText === '' ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535))
    errors.port = msg('The port is a whole number from 1 to 65535.', { id: 'devices.add.error.port' });
  if (form.role && !(deviceRoles as readonly string[]).includes(form.role))
    errors.role = msg('Choose a role from the list.', { id: 'devices.add.error.role' });
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const snmp: AddSnmp = {
    version: form.version,
    credentialRef: form.credentialRef,
    ...(port ? { port } : {}),
  };
  const role = form.role ? { role: form.role } : {};
  if (form.mode === 'address') {
    const name = form.name.trim();
    return {
      ok: true,
      request: {
        kind: 'address',
        body: { siteId: form.siteId, address, snmp, ...role, ...(name ? { name } : {}) },
      },
    };
  }
  return { ok: true, request: { kind: 'cidr', body: { siteId: form.siteId, cidr, snmp, ...role } } };
}

/** Sends a checked add request: a device (by address) or a started sweep (by subnet). */
export async function submitAddDevice(
  request: AddDeviceRequest,
): Promise<{ kind: 'device'; device: DeviceStatus } | { kind: 'sweep'; sweepId: string }> {
  if (request.kind === 'address') return { kind: 'device', device: await addDevice(request.body) };
  const { sweepId } = await startSweep(request.body);
  return { kind: 'sweep', sweepId };
}

/** Whether a device matches the list's text filter: id, name, address, sysName, vendor, model or OS. */
export function matchesText(d: DeviceStatus, text: string): boolean {
  const q = text.trim().toLowerCase();
  if (!q) return true;
  return [d.id, d.name, d.managementAddress, d.sysName, d.vendor, d.model, d.osVersion].some(
    (v) => v !== null && v.toLowerCase().includes(q),
  );
}

/**
 * The interface a device page charts first: of the interfaces still present, the busiest that is up,
 * else the busiest, else the first that is up, else the first (by ifIndex).
 */
export function topInterface(interfaces: readonly InterfaceStatus[]): InterfaceStatus | undefined {
  const present = [...interfaces.filter((i) => i.missingSince === null)].sort(
    (a, b) => a.ifIndex - b.ifIndex,
  );
  const rate = (i: InterfaceStatus) => Math.max(i.inBps ?? -1, i.outBps ?? -1);
  const busiest = (list: InterfaceStatus[]) =>
    [...list].sort((a, b) => rate(b) - rate(a) || a.ifIndex - b.ifIndex).find((i) => rate(i) > 0);
  const up = present.filter((i) => i.operStatus === 'up');
  return busiest(up) ?? busiest(present) ?? up[0] ?? present[0] ?? interfaces[0];
}
