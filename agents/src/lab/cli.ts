import { rename, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import type { Logger } from '../runtime/logger.js';
import { runUntilSignal } from '../runtime/signals.js';
import { LabConfigError } from './errors.js';
import { loadInventory } from './inventory.js';
import { parsePortRange, startLab, type Lab, type PortRange } from './lab.js';
import { parseEndpoint } from './flows/exporter.js';
import type { FlowExportOptions } from './flows/start.js';
import { AttackSchema, type ScenarioAttack } from './scenario.js';

export interface LabCommandOptions {
  inventory?: string;
  scenario?: string;
  portOffset?: string;
  addressBase?: string;
  address?: string;
  portRange?: string;
  routersFile?: string;
  /** Answer SNMPv2c reads with the fast responder (see StartLabOptions.fastV2c). */
  fastV2c?: boolean;
  /** Flow export: collectors (`host:port`), protocol, sampling, bounds, a misreporting router. */
  flowsNetflow?: string;
  flowsSflow?: string;
  flowsProtocol?: string;
  flowsSampling?: string;
  flowsMaxExporters?: string;
  flowsMisreport?: string;
  /** `--attack KIND,SOURCE,TARGET,PPS,SECONDS[,AT]` (repeatable). */
  attack?: string[] | undefined;
}

/** Parses the `--attack` flags into the scenario's `attacks:` entries. */
export function attacksFromCli(specs: readonly string[] | undefined): ScenarioAttack[] {
  return (specs ?? []).map((text) => {
    const parts = text.split(',').map((p) => p.trim());
    const [kind, source, target, pps, seconds, at] = parts;
    const parsed = AttackSchema.safeParse({
      kind,
      source,
      target,
      pps: Number(pps),
      durationSeconds: Number(seconds),
      at: at === undefined ? 0 : Number(at),
    });
    if (parts.length < 5 || parts.length > 6 || !parsed.success) {
      const why = parsed.success
        ? ''
        : `: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`;
      throw new LabConfigError(
        `--attack is KIND,SOURCE,TARGET,PPS,SECONDS[,AT] (e.g. ddos,36.152.44.0/24,10.1.2.3,200000,30), not "${text}"${why}`,
      );
    }
    return parsed.data;
  });
}

/** Validates the flow export flags. */
export function flowOptionsFromCli(o: LabCommandOptions): FlowExportOptions {
  const flows: FlowExportOptions = {};
  const endpoint = (flag: string, v: string): string => {
    try {
      parseEndpoint(v);
    } catch (err) {
      throw new LabConfigError(`${flag}: ${(err as Error).message}`);
    }
    return v;
  };
  const positive = (flag: string, v: string, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new LabConfigError(`${flag} must be an integer from 1 to ${max}, not "${v}"`);
    }
    return n;
  };
  if (o.flowsNetflow !== undefined) flows.netflowCollector = endpoint('--flows-netflow', o.flowsNetflow);
  if (o.flowsSflow !== undefined) flows.sflowCollector = endpoint('--flows-sflow', o.flowsSflow);
  if (o.flowsProtocol !== undefined) {
    const p = o.flowsProtocol;
    if (p !== 'v9' && p !== 'ipfix' && p !== 'sflow' && p !== 'mix') {
      throw new LabConfigError(`--flows-protocol must be v9, ipfix, sflow or mix, not "${p}"`);
    }
    flows.protocol = p;
  }
  if (o.flowsSampling !== undefined)
    flows.samplingRate = positive('--flows-sampling', o.flowsSampling, 16_777_215);
  if (o.flowsMaxExporters !== undefined) {
    flows.maxExporters = positive('--flows-max-exporters', o.flowsMaxExporters, 100_000);
  }
  if (o.flowsMisreport !== undefined) {
    const m = /^([^:\s]+):(\d+)$/.exec(o.flowsMisreport);
    if (!m)
      throw new LabConfigError(
        `--flows-misreport is DEVICE:RATE (e.g. sc-cd-agg:1), not "${o.flowsMisreport}"`,
      );
    flows.misreport = {
      device: m[1]!,
      reportedSamplingRate: positive('--flows-misreport', m[2]!, 16_777_215),
    };
  }
  return flows;
}

/** What `--routers-file` holds: where each router listens, written once all of them do. */
export interface RoutersFile {
  pid: number;
  startedAt: string;
  routers: { deviceId: string; address: string; port: number }[];
}

/** Writes the routers file atomically (a reader never sees half of it). */
export async function writeRoutersFile(file: string, lab: Lab): Promise<void> {
  const doc: RoutersFile = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    routers: lab.routers.map((r) => ({ deviceId: r.deviceId, address: r.address, port: r.port })),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(doc) + '\n');
  await rename(tmp, file);
}

/** Adds `n` to an IPv4 address (`127.0.10.0` + 3 = `127.0.10.3`). */
export function addToAddress(base: string, n: number): string {
  const v = base.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) + n;
  if (v > 0xffff_ffff) throw new LabConfigError(`--address-base ${base} leaves no room for ${n} routers`);
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/** Validates the lab command's options and starts the lab. */
export async function startLabFromCli(o: LabCommandOptions, log: Logger): Promise<Lab> {
  if (!o.inventory) throw new LabConfigError('lab needs --inventory FILE');
  const flows = flowOptionsFromCli(o);
  const attacks = attacksFromCli(o.attack);
  let offset = 0;
  if (o.portOffset !== undefined) {
    offset = Number(o.portOffset);
    if (!Number.isInteger(offset) || offset < -65535 || offset > 65535) {
      throw new LabConfigError(`--port-offset must be an integer, not "${o.portOffset}"`);
    }
  }
  let range: PortRange | undefined;
  if (o.portRange !== undefined) range = parsePortRange(o.portRange, '--port-range');
  let addressOverride: ((id: string) => string) | undefined;
  let portOf: ((id: string, port: number) => number) | undefined;
  if (o.address !== undefined) {
    if (o.addressBase !== undefined) throw new LabConfigError('give --address or --address-base, not both');
    if (!isIPv4(o.address)) throw new LabConfigError(`--address must be an IPv4 address, not "${o.address}"`);
    if (!range)
      throw new LabConfigError('--address needs --port-range: routers on one address need distinct ports');
    // One address: router i listens on the range's i-th port (and moves on from there if taken).
    const inv = await loadInventory(o.inventory);
    const size = range.last - range.first + 1;
    if (inv.devices.length > size) {
      throw new LabConfigError(
        `--port-range ${range.first}-${range.last} has ${size} ports for ${inv.devices.length} routers on ${o.address}`,
      );
    }
    const first = range.first;
    const index = new Map(inv.devices.map((d, i) => [d.id, i]));
    const address = o.address;
    addressOverride = () => address;
    portOf = (id) => first + (index.get(id) ?? 0);
  }
  if (o.addressBase !== undefined) {
    if (!isIPv4(o.addressBase))
      throw new LabConfigError(`--address-base must be an IPv4 address, not "${o.addressBase}"`);
    const inv = await loadInventory(o.inventory);
    const index = new Map(inv.devices.map((d, i) => [d.id, i + 1]));
    const base = o.addressBase;
    for (const n of index.values()) addToAddress(base, n);
    addressOverride = (id) => addToAddress(base, index.get(id) ?? 0);
  }
  const lab = await startLab({
    inventoryFile: o.inventory,
    ...(o.scenario ? { scenarioFile: o.scenario } : {}),
    ...(range ? { portRange: range } : {}),
    portOverride: (id, port) => {
      if (portOf) return portOf(id, port);
      const p = port + offset;
      if (p < 1 || p > 65535)
        throw new LabConfigError(`--port-offset ${offset} puts port ${port} out of range`);
      return p;
    },
    ...(addressOverride ? { addressOverride } : {}),
    ...(o.fastV2c ? { fastV2c: true } : {}),
    flows,
    ...(attacks.length ? { attacks } : {}),
    logger: log,
  });
  if (o.routersFile) {
    try {
      await writeRoutersFile(o.routersFile, lab);
    } catch (e) {
      await lab.stop();
      throw new Error(`cannot write --routers-file ${o.routersFile}: ${(e as Error).message}`);
    }
  }
  return lab;
}

/** Runs the lab until SIGTERM or SIGINT; resolves with the exit code. */
export async function runLabCommand(
  o: LabCommandOptions,
  log: Logger,
  err: (t: string) => void,
): Promise<number> {
  let lab: Lab;
  try {
    lab = await startLabFromCli(o, log);
  } catch (e) {
    err(`tianshu-agent: ${(e as Error).message}\n`);
    return e instanceof LabConfigError ? 2 : 1;
  }
  log.info('lab running', { routers: lab.routers.length, links: lab.links().length });
  return runUntilSignal(lab, log);
}
