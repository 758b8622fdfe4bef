import type { Identity } from '../auth/identity.js';
import type { AgentPrincipal } from '../fleet/service.js';

/** Variables the middleware puts on every request context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    sourceIp: string;
    identity?: Identity;
    sessionId?: string;
    agent?: AgentPrincipal;
    /** Route template for metrics labels, set by the metrics middleware. */
    routePath?: string;
  };
}
