import type { AdapterFactory } from '../types.js';
import { kubernetesAdapter } from './kubernetes/adapter.js';
import { openstackAdapter } from './openstack/adapter.js';

/** The cloud adapters by cloud kind (manual clouds have none: an admin confirms their allocations). */
export const ADAPTERS: Readonly<Record<'kubernetes' | 'openstack', AdapterFactory>> = {
  kubernetes: kubernetesAdapter,
  openstack: openstackAdapter,
};
