import type { InventoryDeps } from './common.js';
import { CloudService } from './clouds.js';
import { DedicatedNetworkService } from './dedicated-networks.js';
import { DeviceService } from './devices.js';
import { HostService } from './hosts.js';
import { InterfaceService } from './interfaces.js';
import { LinkService } from './links.js';
import { SiteService } from './sites.js';

/** The inventory services beside the org-unit tree, built from one set of dependencies. */
export interface Inventory {
  sites: SiteService;
  devices: DeviceService;
  interfaces: InterfaceService;
  links: LinkService;
  clouds: CloudService;
  hosts: HostService;
  dedicatedNetworks: DedicatedNetworkService;
}

export interface InventoryOptions {
  /** Target share of non-secret dedicated networks migrated onto the extranet (0–1). */
  integrationTarget?: number | undefined;
}

export function createInventory(deps: InventoryDeps, options: InventoryOptions = {}): Inventory {
  const target = options.integrationTarget;
  if (target !== undefined && !(target > 0 && target <= 1)) {
    throw new Error(`inventory requires integrationTarget between 0 and 1, got ${target}`);
  }
  return {
    sites: new SiteService(deps),
    devices: new DeviceService(deps),
    interfaces: new InterfaceService(deps),
    links: new LinkService(deps),
    clouds: new CloudService(deps),
    hosts: new HostService(deps),
    dedicatedNetworks: new DedicatedNetworkService(deps, target),
  };
}
