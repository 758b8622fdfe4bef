// STUB — replaced by the clouds part (helper A).
import type { Identity } from '../../auth/identity.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { Queryable } from '../../store/state/index.js';
import type { QuotasPolicy } from '../policy.js';
import type { AdapterFactory, CloudCapacity, CloudConnection, CloudDirectory, CloudKind } from '../types.js';

export class QuotaClouds implements CloudDirectory {
  constructor(
    readonly d: ModuleDeps,
    readonly parts: {
      policy: () => QuotasPolicy;
      adapters: Readonly<Record<'kubernetes' | 'openstack', AdapterFactory>>;
    },
  ) {}
  capacity(_cloudId: string, _tx?: Queryable): Promise<CloudCapacity | undefined> {
    return Promise.resolve(undefined);
  }
  connection(_cloudId: string): Promise<CloudConnection | undefined> {
    return Promise.resolve(undefined);
  }
  managedClouds(): Promise<Array<{ cloudId: string; kind: CloudKind; orgUnitId: string; orgPath: string }>> {
    return Promise.resolve([]);
  }
  /** Loads `clouds` connection settings and capacities from the inventory file's extension, if any. */
  seed(_system: Identity): Promise<void> {
    return Promise.resolve();
  }
  overview(_identity: Identity): Promise<Record<string, unknown>> {
    return Promise.resolve({});
  }
  jobs(): ModuleJob[] {
    return [];
  }
}
