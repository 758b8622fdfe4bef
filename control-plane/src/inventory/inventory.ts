import type { InventoryDeps } from './common.js';
import { CloudService } from './clouds.js';
import { DedicatedNetworkService } from './dedicated-networks.js';
import { DeviceService } from './devices.js';
import { HostService } from './hosts.js';
import { InterfaceService } from './interfaces.js';
import { LinkService } from './links.js';
import { PrefixService } from './prefixes.js';
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
  /** The IP prefix registry: address space owned by org units, nested by delegation. */
  prefixes: PrefixService;
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
  const devices = new DeviceService(deps);
  return {
    sites: new SiteService(deps, (identity, siteId, orgUnitId, path, q) =>
      devices.checkMove(identity, siteId, orgUnitId, path, q),
    ),
    devices,
    interfaces: new InterfaceService(deps),
    links: new LinkService(deps),
    clouds: new CloudService(deps),
    hosts: new HostService(deps),
    dedicatedNetworks: new DedicatedNetworkService(deps, target),
    prefixes: new PrefixService(deps),
  };
}
