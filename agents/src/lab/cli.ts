import { isIPv4 } from 'node:net';
import type { Logger } from '../runtime/logger.js';
import { runUntilSignal } from '../runtime/signals.js';
import { LabConfigError } from './errors.js';
import { loadInventory } from './inventory.js';
import { startLab, type Lab } from './lab.js';

export interface LabCommandOptions {
  inventory?: string;
  scenario?: string;
  portOffset?: string;
  addressBase?: string;
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
  let offset = 0;
  if (o.portOffset !== undefined) {
    offset = Number(o.portOffset);
    if (!Number.isInteger(offset) || offset < -65535 || offset > 65535) {
      throw new LabConfigError(`--port-offset must be an integer, not "${o.portOffset}"`);
    }
  }
  let addressOverride: ((id: string) => string) | undefined;
  if (o.addressBase !== undefined) {
    if (!isIPv4(o.addressBase))
      throw new LabConfigError(`--address-base must be an IPv4 address, not "${o.addressBase}"`);
    const inv = await loadInventory(o.inventory);
    const index = new Map(inv.devices.map((d, i) => [d.id, i + 1]));
    const base = o.addressBase;
    for (const n of index.values()) addToAddress(base, n);
    addressOverride = (id) => addToAddress(base, index.get(id) ?? 0);
  }
  return startLab({
    inventoryFile: o.inventory,
    ...(o.scenario ? { scenarioFile: o.scenario } : {}),
    portOverride: (_id, port) => {
      const p = port + offset;
      if (p < 1 || p > 65535)
        throw new LabConfigError(`--port-offset ${offset} puts port ${port} out of range`);
      return p;
    },
    ...(addressOverride ? { addressOverride } : {}),
    logger: log,
  });
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
