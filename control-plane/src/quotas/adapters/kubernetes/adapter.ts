// STUB — replaced by the Kubernetes adapter (helper D), on @kubernetes/client-node 1.4.x.
import type { AdapterFactory } from '../../types.js';
import { CloudError } from '../../types.js';

export const kubernetesAdapter: AdapterFactory = () => {
  throw new CloudError('unreachable', 'the Kubernetes adapter is not built yet');
};
