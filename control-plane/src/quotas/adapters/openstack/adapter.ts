// STUB — replaced by the OpenStack adapter (helper E): Keystone v3 application credentials, Nova/Cinder/Neutron quota sets.
import type { AdapterFactory } from '../../types.js';
import { CloudError } from '../../types.js';

export const openstackAdapter: AdapterFactory = () => {
  throw new CloudError('unreachable', 'the OpenStack adapter is not built yet');
};
