import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { findUnsafeValue, isSafeText, UNSAFE_TEXT_MESSAGE } from '@tianshu/protocol';
import { AuthenticationError, InputError, NotFoundError, zodDetails } from '../errors.js';
import { requirePermission, type Identity } from '../auth/identity.js';
import type { Permission } from '../auth/permissions.js';
import type { AgentPrincipal } from '../fleet/service.js';
import type { AppEnv } from './env.js';

/**
 * How a route authenticates: `user` (console session or API token; the default), `agent` (agent
 * credential, and the `{id}` in the path must be the agent's own), or `public` (health, login,
 * enrolment — which checks its own bootstrap token).
 */
export type RouteAuth = 'user' | 'agent' | 'public';

export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI-style path: `/api/v1/users/{id}`. */
  path: string;
  summary: string;
  tags: string[];
  auth?: RouteAuth;
  permission?: Permission;
  body?: B;
  /** The handler reads the body itself (e.g. gzip); `body` then only documents it. */
  rawBody?: boolean;
  /**
   * The handler reads the body as a stream (`c.req.raw.body`) and applies its own size limit: the
   * route is exempt from the API body limit. Documents the body's media types.
   */
  streamedBody?: { contentTypes: string[]; description: string };
  query?: Q;
  /** Response schema for the OpenAPI document. */
  response?: z.ZodType;
  status?: ContentfulStatusCode | 204;
  /** Other success answers the handler may give (returning `c.json(body, status)`), for the OpenAPI document. */
  otherResponses?: Record<number, { description: string; schema: z.ZodType }>;
}

export interface HandlerArgs<B, Q> {
  c: Context<AppEnv>;
  body: B;
  query: Q;
  params: Record<string, string>;
  /** Present on `user` routes. */
  identity: Identity;
  /** Present on `agent` routes. */
  agent: AgentPrincipal;
}

/** Every route defined through `defineRoute`, so tests can check each one's authentication. */
export interface RouteInfo {
  method: string;
  path: string;
  auth: RouteAuth;
}

/** Error answers in the OpenAPI document: the `ErrorResponse` component (see `error-schema.ts`). */
const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } };

/** Reads and validates a JSON body; names the problem on malformed JSON, wrong types or unknown fields. */
export async function readJson<T>(c: Context<AppEnv>, schema: z.ZodType<T>): Promise<T> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new InputError('request body must be JSON (Content-Type: application/json)', {
      code: 'input.json',
    });
  }
  let raw: unknown;
  const text = await c.req.text();
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`request body is not valid JSON: ${(err as Error).message}`, { code: 'input.json' });
  }
  return validate(schema, raw, 'request body');
}

/**
 * Refuses what no schema should see and PostgreSQL cannot store: NUL characters and lone
 * surrogates in any string or field name, and documents nested deeper than MAX_JSON_DEPTH (which
 * would overflow the stack of a recursive validator). Names the field at fault.
 */
export function assertSafeInput(raw: unknown, what: string): void {
  const bad = findUnsafeValue(raw);
  if (bad) throw new InputError(`${what} is not valid: ${bad.path}: ${bad.message}`, [bad]);
}

/** Path parameters are text too: `%00` in a URL decodes to NUL. */
export function assertSafeParams(params: Record<string, string>): void {
  for (const [name, value] of Object.entries(params)) {
    if (!isSafeText(value)) {
      throw new InputError(`path parameter "${name}" ${UNSAFE_TEXT_MESSAGE}`, [
        { path: name, message: UNSAFE_TEXT_MESSAGE },
      ]);
    }
  }
}

export function validate<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  assertSafeInput(raw, what);
  const r = schema.safeParse(raw);
  if (!r.success) {
    const details = zodDetails(r.error.issues);
    const first = details[0];
    throw new InputError(`${what} is not valid${first ? `: ${first.path}: ${first.message}` : ''}`, details);
  }
  return r.data;
}

export class Router {
  readonly routes: RouteInfo[] = [];
  /** Routes whose handler streams the body under its own limit (exempt from the API body limit). */
  private readonly streamed: Array<{ method: string; re: RegExp }> = [];

  /** True when `method path` is a route that streams its body (see `RouteSpec.streamedBody`). */
  streamsBody(method: string, path: string): boolean {
    return this.streamed.some((s) => s.method === method && s.re.test(path));
  }

  constructor(
    private readonly app: Hono<AppEnv>,
    private readonly registry: OpenAPIRegistry,
  ) {}

  define<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<B, Q>,
    handler: (
      args: HandlerArgs<
        B extends z.ZodType ? z.infer<B> : undefined,
        Q extends z.ZodType ? z.infer<Q> : undefined
      >,
    ) => Promise<unknown>,
  ): void {
    const auth = spec.auth ?? 'user';
    this.routes.push({ method: spec.method.toUpperCase(), path: spec.path, auth });
    const paramNames = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const status = spec.status ?? 200;
    this.registry.registerPath({
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      tags: spec.tags,
      ...(auth === 'public'
        ? { security: [] }
        : auth === 'agent'
          ? { security: [{ agentCredential: [] }] }
          : {}),
      request: {
        ...(paramNames.length
          ? { params: z.object(Object.fromEntries(paramNames.map((p) => [p, z.string()]))) }
          : {}),
        ...(spec.query ? { query: spec.query as unknown as z.ZodObject } : {}),
        ...(spec.body
          ? { body: { content: { 'application/json': { schema: spec.body } }, required: true } }
          : spec.streamedBody
            ? {
                body: {
                  description: spec.streamedBody.description,
                  content: Object.fromEntries(
                    spec.streamedBody.contentTypes.map((t) => [t, { schema: z.string() }]),
                  ),
                  required: true,
                },
              }
            : {}),
      },
      responses: {
        [String(status)]:
          status === 204 || !spec.response
            ? { description: status === 204 ? 'No content' : 'Success' }
            : { description: 'Success', content: { 'application/json': { schema: spec.response } } },
        ...Object.fromEntries(
          Object.entries(spec.otherResponses ?? {}).map(([code, o]) => [
            code,
            { description: o.description, content: { 'application/json': { schema: o.schema } } },
          ]),
        ),
        '4XX': {
          description:
            'Client error: `error.code` is one of the codes of `ErrorResponse` (see `x-error-codes`)',
          content: errorContent,
        },
        '5XX': {
          description:
            'Server error: `internal`, `service.unavailable`, `secret.unavailable` or `storage.full`',
          content: errorContent,
        },
      },
    });
    if (spec.streamedBody) {
      const escape = (t: string) => t.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      this.streamed.push({
        method: spec.method.toUpperCase(),
        re: new RegExp(
          `^${spec.path
            .split(/\{\w+\}/)
            .map(escape)
            .join('[^/]+')}$`,
        ),
      });
    }
    const honoPath = spec.path.replace(/\{(\w+)\}/g, ':$1');
    this.app.on(spec.method.toUpperCase(), honoPath, async (c) => {
      const identity = c.get('identity');
      const agent = c.get('agent');
      if (auth === 'user') {
        if (!identity) throw new AuthenticationError('authentication required: log in or send an API token');
        if (spec.permission) requirePermission(identity, spec.permission);
      } else if (auth === 'agent') {
        if (!agent) throw new AuthenticationError('agent credential required');
        if (c.req.param('id') !== agent.agentId) throw new NotFoundError('agent not found');
      }
      const params = c.req.param() as Record<string, string>;
      assertSafeParams(params);
      const rawQuery = c.req.query();
      if (!spec.query) assertSafeInput(rawQuery, 'query string');
      const body = spec.body && !spec.rawBody ? await readJson(c, spec.body) : undefined;
      const query = spec.query ? validate(spec.query, rawQuery, 'query string') : undefined;
      const out = await handler({
        c,
        body: body as never,
        query: query as never,
        params,
        identity: identity as Identity,
        agent: agent as AgentPrincipal,
      });
      if (out instanceof Response) return out;
      if (status === 204) return c.body(null, 204);
      return c.json(out as object, status);
    });
  }
}
