import { createHash } from 'node:crypto';
import type { Logger } from '../runtime/logger.js';
import { errorFields, silentLogger } from '../runtime/logger.js';
import { formatPath, LabConfigError } from './errors.js';
import type { FastV2cStats } from './fast-v2c.js';
import { defaultLabPort, loadInventory, parseInventory, type LabInventory } from './inventory.js';
import { LabModel, type LabLinkInfo } from './model.js';
import { ListenError, SnmpRouter } from './router.js';
import {
  loadScenario,
  parseScenario,
  type LinkRef,
  type Scenario,
  type ScenarioAttack,
  type ScenarioInput,
} from './scenario.js';
import { startTimeline, type Timeline } from './timeline.js';
import { startFlowExport, type FlowExportOptions } from './flows/start.js';
import { LabAttacks, type AttackInfo, type AttackSpec } from './flows/attacks.js';
import type { FlowExportStats, LabFlowExport } from './flows/exporter.js';

export interface StartLabOptions {
  /** Attacks played besides the scenario's `attacks:` (the `--attack` flags). */
  attacks?: ScenarioAttack[];
  /** An inventory YAML file (devices, interfaces, links; other sections are ignored)… */
  inventoryFile?: string;
  /** …or the same content as an object. */
  inventory?: unknown;
  /** A scenario YAML file… */
  scenarioFile?: string;
  /** …or the same content as an object; neither means a quiet scenario with default credentials. */
  scenario?: ScenarioInput;
  /** Port for every router (0 picks a free one each), or a function of the device and its port. */
  portOverride?: number | ((deviceId: string, port: number) => number);
  /** Listening address of a device instead of its managementAddress. */
  addressOverride?: (deviceId: string) => string;
  /**
   * Ports the routers may use. A router whose port is taken (EADDRINUSE, EACCES) tries the next
   * ports of the range, in order and wrapping round, on its own address, and logs which port it
   * left and why (a port outside the range is tried first all the same). Without a range a taken
   * port stops the lab with an error naming the device, the address and the port.
   */
  portRange?: PortRange;
  /**
   * Routers answer SNMPv2c reads with the fast responder (fast-v2c.ts), their net-snmp agents
   * everything else; used where thousands of routers must answer every minute (the scale bench).
   */
  fastV2c?: boolean;
  /** Milliseconds since the epoch; counters and sysUpTime follow it. Defaults to Date.now. */
  clock?: () => number;
  /** Flow export settings over the scenario's `flows` (collectors, protocol, sampling; CLI flags). */
  flows?: FlowExportOptions;
  logger?: Logger;
}

/** An inclusive range of UDP ports. */
export interface PortRange {
  first: number;
  last: number;
}

/** Parses `16100-16199` (or one port, `16100`) into a range; the error names the option. */
export function parsePortRange(text: string, option = 'port range'): PortRange {
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(text);
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || first < 1 || last > 65535 || first > last) {
    throw new LabConfigError(
      `${option} must be FIRST-LAST with 1 ≤ FIRST ≤ LAST ≤ 65535 (e.g. 16100-16199), not "${text}"`,
    );
  }
  return { first, last };
}

/**
 * The ports a router tries, in order: its own, then the range's from the one after its own (from
 * the first when its own lies outside the range), wrapping round.
 */
export function portCandidates(preferred: number, range: PortRange): number[] {
  const size = range.last - range.first + 1;
  const inRange = preferred >= range.first && preferred <= range.last;
  const start = inRange ? preferred - range.first : 0;
  const ports = Array.from({ length: size }, (_, i) => range.first + ((start + i) % size));
  return inRange ? ports : [preferred, ...ports];
}

/** Where one simulated router listens. */
export interface LabRouterInfo {
  deviceId: string;
  address: string;
  port: number;
}

/** A running lab and its control API; the scenario's timeline calls the same operations. */
export interface Lab {
  readonly routers: readonly LabRouterInfo[];
  readonly scenario: Scenario;
  /** Takes a link down: both ends report ifOperStatus down(2); `admin` shuts the named end instead. */
  linkDown(ref: LinkRef, options?: { admin?: boolean }): void;
  /** Brings a link back (clears a cut and administrative shutdowns at both ends). */
  linkUp(ref: LinkRef): void;
  /** Restarts a device: sysUpTime and its counters start again from 0. */
  reboot(deviceId: string): void;
  /** Stops (false) or resumes (true) answering SNMP. */
  setDeviceReachable(deviceId: string, reachable: boolean): Promise<void>;
  /** Moves a device's ifHCInOctets/ifHCOutOctets to 2^64 − remaining, so they wrap soon. */
  setCountersNearWrap(deviceId: string, remaining: bigint): void;
  /** Moves a device's 32-bit ifInOctets/ifOutOctets to 2^32 − remaining, so they wrap soon. */
  setCounters32NearWrap(deviceId: string, remaining: bigint): void;
  /** Fixes the load of a link's hop (a fraction of the primary's speed); null restores the profile. */
  setLoad(ref: LinkRef, fraction: number | null): void;
  /** The link of a pair that carries the traffic now, or null when every link of the pair is down. */
  activeLink(pairId: string): LabLinkInfo | null;
  links(): LabLinkInfo[];
  /** What a router's fast responder did (null without `fastV2c`). */
  fastV2cStats(deviceId: string): FastV2cStats | null;
  /** What each exporting router sent (empty when no router exports flows). */
  flowStats(): FlowExportStats[];
  /** Exports every router's flows for the traffic counted up to now (the timer does it every interval). */
  exportFlows(): Promise<void>;
  /**
   * Starts an attack (port scan, host scan, DDoS) now: its traffic crosses the routers' SNMP
   * counters and their flow exports, per second. Throws LabConfigError when it cannot be played.
   */
  startAttack(spec: AttackSpec): AttackInfo;
  /** Attacks running and done, with the records their routers sent. */
  attacks(): AttackInfo[];
  stop(): Promise<void>;
}

/** Starts one SNMP agent per inventory device and plays the scenario's timeline. */
export async function startLab(options: StartLabOptions): Promise<Lab> {
  const log = options.logger ?? silentLogger;
  const inventory = await resolveInventory(options);
  const scenario = options.scenarioFile
    ? await loadScenario(options.scenarioFile)
    : parseScenario(options.scenario ?? {});
  const clock = options.clock ?? Date.now;
  let model: LabModel;
  try {
    model = new LabModel(inventory, scenario, clock);
  } catch (err) {
    throw new LabConfigError(`${options.scenarioFile ?? 'scenario'} is not valid: ${(err as Error).message}`);
  }
  checkTimeline(model, scenario, options.scenarioFile ?? 'scenario');

  const routers = new Map<string, SnmpRouter>();
  const addresses = new Map<string, string>();
  const wanted = new Map<string, number>();
  for (const d of inventory.devices) {
    const port0 = d.snmp?.port ?? defaultLabPort;
    const po = options.portOverride;
    const port = po === undefined ? port0 : typeof po === 'number' ? po : po(d.id, port0);
    const address = options.addressOverride?.(d.id) ?? d.managementAddress;
    const device = model.device(d.id);
    addresses.set(d.id, address);
    wanted.set(d.id, port);
    routers.set(
      d.id,
      new SnmpRouter(device, {
        address,
        port,
        communities: scenario.snmp.communities,
        v3: scenario.snmp.v3,
        engineId: engineIdOf(d.id),
        onError: (err) => log.debug('lab router request rejected', { device: d.id, error: err.message }),
        ...(options.fastV2c ? { fastV2c: true } : {}),
      }),
    );
  }
  const refresh = (ids: string[]): void => {
    for (const id of ids) routers.get(id)?.refreshLldp();
  };
  model.onTopology = refresh;
  model.onActiveLink = (pairId, from, to) => log.info('lab traffic moved', { pairId, from, to });

  const started: SnmpRouter[] = [];
  try {
    for (const [id, r] of routers) {
      await listen(id, addresses.get(id)!, r, options.portRange, log);
      started.push(r);
      log.debug('lab router listening', { device: id, address: addresses.get(id), port: r.port });
    }
  } catch (err) {
    await Promise.all(started.map((r) => r.stop()));
    throw err;
  }
  const moved = [...routers].filter(([id, r]) => r.port !== wanted.get(id));
  log.info('lab routers listening', { routers: routers.size, moved: moved.length });

  const infos: LabRouterInfo[] = [...routers].map(([deviceId, r]) => ({
    deviceId,
    address: addresses.get(deviceId)!,
    port: r.port,
  }));

  let flowExport: LabFlowExport | null = null;
  try {
    flowExport = await startFlowExport(model, inventory, scenario, {
      addressOf: (id) => addresses.get(id)!,
      clock,
      log,
      ...(options.flows ?? {}),
    });
  } catch (err) {
    await Promise.all(started.map((r) => r.stop()));
    throw err;
  }

  const attacks = flowExport
    ? new LabAttacks(model, flowExport.plans, flowExport.exporters, clock, log, scenario.seed)
    : null;
  const startAttack = (spec: AttackSpec): AttackInfo => {
    if (!attacks) {
      throw new LabConfigError(
        'the lab exports no flows, so it plays no attacks: give a flow collector (--flows-netflow)',
      );
    }
    return attacks.start(spec);
  };
  const attackTimers = [...scenario.attacks, ...(options.attacks ?? [])].map((a) => {
    const { at, ...spec } = a;
    const t = setTimeout(() => {
      try {
        startAttack(spec);
      } catch (err) {
        log.warn('lab scenario attack failed', { kind: a.kind, target: a.target, ...errorFields(err) });
      }
    }, at * 1000);
    t.unref();
    return t;
  });

  let timeline: Timeline | null = null;
  let stopped = false;
  const lab: Lab = {
    routers: infos,
    scenario,
    linkDown: (ref, o) => model.linkDown(ref, o),
    linkUp: (ref) => model.linkUp(ref),
    reboot: (id) => model.reboot(id),
    setCountersNearWrap: (id, remaining) => model.setCountersNearWrap(id, remaining),
    setCounters32NearWrap: (id, remaining) => model.setCounters32NearWrap(id, remaining),
    setLoad: (ref, fraction) => model.setLoad(ref, fraction),
    activeLink: (pairId) => model.activeLink(pairId),
    links: () => model.linkInfos(),
    fastV2cStats: (id) => routers.get(id)?.fastStats ?? null,
    flowStats: () => flowExport?.stats() ?? [],
    exportFlows: async () => {
      await attacks?.tick();
      await flowExport?.exportNow();
    },
    startAttack,
    attacks: () => attacks?.list() ?? [],
    async setDeviceReachable(id, reachable) {
      const device = model.device(id);
      const r = routers.get(id)!;
      device.reachable = reachable;
      if (stopped) return;
      if (reachable) await r.start();
      else await r.stop();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      timeline?.stop();
      for (const t of attackTimers) clearTimeout(t);
      attacks?.stop();
      await flowExport?.stop();
      await Promise.all([...routers.values()].map((r) => r.stop()));
      log.info('lab stopped', { routers: routers.size });
    },
  };
  timeline = startTimeline(scenario.timeline, lab, log);
  return lab;
}

/**
 * Binds a router: on its own port, or, when that is taken and a range is set, on the next free port
 * of the range. Every taken port is logged with the device, address and error; when none is free
 * (or without a range) the error names them all.
 */
async function listen(
  deviceId: string,
  address: string,
  r: SnmpRouter,
  range: PortRange | undefined,
  log: Logger,
): Promise<void> {
  const preferred = r.port;
  const ports = range && preferred !== 0 ? portCandidates(preferred, range) : [preferred];
  let first: ListenError | undefined;
  for (const port of ports) {
    r.usePort(port);
    try {
      await r.start();
      if (first) {
        log.warn('lab router moved to another port', {
          device: deviceId,
          address,
          from: preferred,
          port,
          reason: first.message,
        });
      }
      return;
    } catch (err) {
      if (!(err instanceof ListenError)) throw err;
      if (!err.portTaken) {
        throw new LabConfigError(`lab router ${deviceId}: ${err.message}`);
      }
      first ??= err;
      if (ports.length > 1) {
        log.warn('lab router port taken; trying the next port of the range', {
          device: deviceId,
          address,
          port,
          error: err.message,
        });
      }
    }
  }
  const tried = range && preferred !== 0 ? ` or any other port of ${range.first}-${range.last}` : '';
  throw new LabConfigError(
    `lab router ${deviceId}: ${first!.message}; it cannot listen on ${address}:${preferred}${tried}` +
      (range ? '' : ' (set a port range to let it move)'),
  );
}

async function resolveInventory(options: StartLabOptions): Promise<LabInventory> {
  if (options.inventoryFile) return loadInventory(options.inventoryFile);
  if (options.inventory !== undefined) return parseInventory(options.inventory);
  throw new LabConfigError('startLab needs inventoryFile or inventory');
}

/** Checks that every device and link the timeline names exists, naming the event's field if not. */
function checkTimeline(model: LabModel, scenario: Scenario, source: string): void {
  scenario.timeline.forEach((e, i) => {
    try {
      if ('link' in e) model.link(e.link);
      if ('device' in e) model.device(e.device);
    } catch (err) {
      const field = 'link' in e ? 'link' : 'device';
      throw new LabConfigError(
        `${source} is not valid: ${formatPath(['timeline', i, field])}: ${(err as Error).message}`,
      );
    }
  });
  for (const id of Object.keys(scenario.devices)) {
    if (!model.devices.has(id)) {
      throw new LabConfigError(`${source} is not valid: devices.${id}: no device ${id} in the inventory`);
    }
  }
  for (const key of Object.keys(scenario.load.links)) {
    try {
      model.link(key);
    } catch (err) {
      throw new LabConfigError(`${source} is not valid: load.links.${key}: ${(err as Error).message}`);
    }
  }
}

/** An SNMPv3 engine id per device: IANA's documentation enterprise 32473, format octets (5). */
function engineIdOf(deviceId: string): string {
  return '80007ed905' + createHash('sha256').update(deviceId).digest('hex').slice(0, 16);
}
