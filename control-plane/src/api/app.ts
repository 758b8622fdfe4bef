import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import { serveStatic } from '@hono/node-server/serve-static';
import { getConnInfo } from '@hono/node-server/conninfo';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import {
  AuthenticationError,
  MethodNotAllowedError,
  NotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
} from '../errors.js';
import { can, permissionDenied } from '../auth/identity.js';
import type { Services } from '../services.js';
import { tracer, SpanStatusCode } from '../observability/tracing.js';
import type { AppEnv } from './env.js';
import { errorResponse } from './errors.js';
import { errorCodesExtension, errorCodeTable, errorResponseSchema } from './error-schema.js';
import { Router } from './route.js';
import { healthRoutes } from './routes/health.js';
import { authRoutes, SESSION_COOKIE } from './routes/auth.js';
import { userRoutes } from './routes/users.js';
import { orgUnitRoutes } from './routes/org-units.js';
import { inventoryRoutes } from './routes/inventory.js';
import { auditRoutes } from './routes/audit.js';
import { systemRoutes } from './routes/system.js';
import { fleetRoutes } from './routes/fleet.js';
import { eventRoutes } from './routes/events.js';
import { policyRoutes } from './routes/policies.js';
import { overviewRoutes, latestFigures } from './routes/overview.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const AGENT_BEARER = /^Bearer [0-9a-f-]{36}\.tsa_/;

export interface BuiltApp {
  app: Hono<AppEnv>;
  router: Router;
  openapi: () => unknown;
}

/** Assembles the HTTP application: middleware, every module's routes, OpenAPI, metrics and console. */
export function buildApp(s: Services): BuiltApp {
  const app = new Hono<AppEnv>();
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
  });
  registry.registerComponent('securitySchemes', 'apiToken', { type: 'http', scheme: 'bearer' });
  registry.registerComponent('securitySchemes', 'agentCredential', {
    type: 'http',
    scheme: 'bearer',
    description: '`<agentId>.<credential>` from enrolment',
  });
  registry.registerComponent('schemas', 'ErrorResponse', errorResponseSchema());
  const router = new Router(app, registry);

  app.onError((err, c) => errorResponse(c, err, s.log));
  app.notFound((c) =>
    errorResponse(
      c,
      new NotFoundError(`no route for ${c.req.method} ${c.req.path}`, { code: 'route.not_found' }),
      s.log,
    ),
  );

  // Request id, source address, metrics, access log and a trace span for every request.
  app.use('*', async (c, next) => {
    // The request id is always our own, so no client can choose (or collide with) the id of an
    // audit entry or log line; a well-formed client id is kept beside it and echoed back.
    const requestId = randomUUID();
    const given = c.req.header('x-request-id');
    const clientRequestId = given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : undefined;
    c.set('requestId', requestId);
    if (clientRequestId) c.set('clientRequestId', clientRequestId);
    let ip = '127.0.0.1';
    try {
      ip = getConnInfo(c).remote.address ?? ip;
    } catch {
      // In-process requests (tests) have no socket.
    }
    if (s.config.trustProxy) {
      // The last hop is the one our own load balancer appended; earlier ones are client-supplied.
      const forwarded = c.req.header('x-forwarded-for')?.split(',').pop()?.trim();
      if (forwarded && /^[0-9a-fA-F:.]{2,45}$/.test(forwarded)) ip = forwarded;
    }
    c.set('sourceIp', ip);
    c.header('x-request-id', requestId);
    if (clientRequestId) c.header('x-client-request-id', clientRequestId);
    const started = performance.now();
    await tracer().startActiveSpan(`${c.req.method}`, async (span) => {
      try {
        await next();
      } finally {
        const route =
          c.req.routePath && c.req.routePath !== '*' && c.req.routePath !== '/*'
            ? c.req.routePath
            : 'unmatched';
        const status = c.res.status;
        const seconds = (performance.now() - started) / 1000;
        s.metrics.httpRequests.inc({ method: c.req.method, route, status: `${Math.floor(status / 100)}xx` });
        s.metrics.httpDuration.observe({ method: c.req.method, route }, seconds);
        span.updateName(`${c.req.method} ${route}`);
        span.setAttributes({
          'http.request.method': c.req.method,
          'http.route': route,
          'http.response.status_code': status,
        });
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        if (status >= 500 || c.req.path.startsWith('/api/')) {
          s.log[status >= 500 ? 'warn' : 'debug'](
            {
              requestId,
              ...(clientRequestId ? { clientRequestId } : {}),
              method: c.req.method,
              route,
              status,
              ms: Math.round(seconds * 1000),
              ip,
            },
            'request',
          );
        }
      }
    });
  });

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
      crossOriginEmbedderPolicy: false,
    }),
  );

  // Body limits: agent reports may be large, everything else small.
  const tooLarge = (limit: number) => () => {
    throw new PayloadTooLargeError(`request body is larger than the limit of ${limit} bytes`, limit);
  };
  app.use(
    '/api/v1/agents/:id/reports',
    bodyLimit({
      maxSize: s.config.limits.reportBodyBytes,
      onError: tooLarge(s.config.limits.reportBodyBytes),
    }),
  );
  app.use('*', async (c, next) => {
    if (/^\/api\/v1\/agents\/[^/]+\/reports$/.test(c.req.path)) return next();
    // A route that streams its body applies its own limit (e.g. security event uploads).
    if (router.streamsBody(c.req.method, c.req.path)) return next();
    // Vulnerability reports have their own limit (policies/risk.yaml importMaxBytes), read by the route.
    if (c.req.path === '/api/v1/security/vulnerabilities' && c.req.method === 'POST') return next();
    return bodyLimit({ maxSize: s.config.limits.bodyBytes, onError: tooLarge(s.config.limits.bodyBytes) })(
      c,
      next,
    );
  });

  // Who is calling: console session cookie, API token, or agent credential.
  app.use('*', async (c, next) => {
    const path = c.req.path;
    if (!path.startsWith('/api/') && path !== '/metrics') return next();
    const ctx = {
      sourceIp: c.get('sourceIp'),
      requestId: c.get('requestId'),
      clientRequestId: c.get('clientRequestId'),
      userAgent: c.req.header('user-agent'),
    };
    const authz = c.req.header('authorization');
    if (authz && AGENT_BEARER.test(authz)) {
      c.set('agent', await s.fleet.authenticate(authz));
      return next();
    }
    if (authz) {
      const m = /^Bearer (tsk_[A-Za-z0-9_-]{20,100})$/.exec(authz);
      const identity = m ? await s.auth.resolveApiToken(m[1]!, ctx) : undefined;
      if (!identity)
        throw new AuthenticationError('API token is not valid, expired or revoked', {
          code: 'auth.token_invalid',
        });
      c.set('identity', identity);
      return next();
    }
    const sid = getCookie(c, SESSION_COOKIE);
    if (sid) {
      const identity = await s.auth.resolveSession(sid, ctx);
      if (identity) {
        // Cookie-authenticated changes must echo the session's CSRF token (SameSite=Strict is the
        // first defence, this the second).
        if (!SAFE_METHODS.has(c.req.method) && c.req.header('x-csrf-token') !== identity.csrfToken) {
          throw new NotAllowedError('missing or wrong x-csrf-token header for this session', {
            code: 'auth.csrf_invalid',
          });
        }
        c.set('identity', identity);
        c.set('sessionId', sid);
      }
    }
    return next();
  });

  // Prometheus exposition; authenticated unless configured public.
  app.get('/metrics', async (c) => {
    if (!s.config.metrics.public) {
      const identity = c.get('identity');
      if (!identity)
        throw new AuthenticationError('authentication required for /metrics (API token with metrics:read)');
      if (!can(identity, 'metrics:read')) throw permissionDenied('metrics:read');
    }
    try {
      for (const [status, n] of Object.entries(await s.fleet.countByStatus()))
        s.metrics.agents.set({ status }, n);
    } catch {
      // The store being down must not break the exposition.
    }
    c.header('content-type', s.metrics.registry.contentType);
    return c.body(await s.metrics.exposition());
  });

  healthRoutes(router, s);
  authRoutes(router, s);
  userRoutes(router, s);
  orgUnitRoutes(router, s);
  inventoryRoutes(router, s);
  auditRoutes(router, s);
  fleetRoutes(router, s, (ids) => latestFigures(s, ids));
  overviewRoutes(router, s);
  eventRoutes(router, s);
  policyRoutes(router, s);
  s.modules.routes(router);
  systemRoutes(router, s);

  const openapi = () => ({
    ...new OpenApiGeneratorV31(registry.definitions).generateDocument({
      openapi: '3.1.0',
      info: {
        title: 'Tianshu control plane API',
        version: s.version,
        description:
          'Operations control plane for a provincial e-government: one cloud, one network, one wall. ' +
          'Every route needs a console session or API token, except health, login and agent enrolment.\n\n' +
          'Errors answer `{"error": {"code", "message", "requestId", "details"}}` (the `ErrorResponse` ' +
          'schema). `code` is one of the stable codes below (also listed in `x-error-codes`); `message` is ' +
          'English for people.\n\n' +
          errorCodeTable(),
      },
      security: [{ session: [] }, { apiToken: [] }],
    }),
    'x-error-codes': errorCodesExtension(),
  });
  let cachedDoc: unknown;
  router.define(
    { method: 'get', path: '/api/v1/openapi.json', summary: 'This OpenAPI document', tags: ['meta'] },
    async () => (cachedDoc ??= openapi()),
  );

  // Unknown API paths are JSON 404s, never the console page; a route asked with another method is a 405.
  const patterns = router.routes.map((r) => ({ method: r.method, re: pathPattern(r.path) }));
  app.all('/api/*', (c) => {
    const allow = [...new Set(patterns.filter((p) => p.re.test(c.req.path)).map((p) => p.method))];
    const err = allow.length
      ? new MethodNotAllowedError(
          `${c.req.path} does not accept ${c.req.method}; it accepts ${allow.join(', ')}`,
          allow,
        )
      : new NotFoundError(`no route for ${c.req.method} ${c.req.path}`, { code: 'route.not_found' });
    return errorResponse(c, err, s.log);
  });

  // The console: static files, and index.html for client-side routes.
  const dir = s.consoleDir;
  if (dir && existsSync(join(dir, 'index.html'))) {
    const index = readFileSync(join(dir, 'index.html'), 'utf8');
    app.use(
      '/assets/*',
      serveStatic({
        root: dir,
        onFound: (_p, c) => void c.header('cache-control', 'public, max-age=31536000, immutable'),
      }),
    );
    app.use('*', serveStatic({ root: dir }));
    app.get('*', (c) => {
      c.header('cache-control', 'no-cache');
      return c.html(index);
    });
  } else {
    app.get('/', (c) =>
      c.text('Tianshu control plane is running; the console is not built (run `npm run build`).', 200),
    );
  }
  return { app, router, openapi };
}

/** A regular expression matching the concrete paths of an OpenAPI-style path (`/a/{id}/b`). */
function pathPattern(path: string): RegExp {
  const escape = (t: string) => t.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^${path
      .split(/\{\w+\}/)
      .map(escape)
      .join('[^/]+')}$`,
  );
}
