import type { Identity } from '../auth/identity.js';
import type { AgentPrincipal } from '../fleet/service.js';

/** Variables the middleware puts on every request context. */
export interface AppEnv {
  Variables: {
    /** The server's own id of this request (never the client's). */
    requestId: string;
    /** The client's `X-Request-Id`, when well-formed. */
    clientRequestId?: string;
    sourceIp: string;
    identity?: Identity;
    sessionId?: string;
    agent?: AgentPrincipal;
    /** Route template for metrics labels, set by the metrics middleware. */
    routePath?: string;
  };
}
