import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { z } from 'zod';
import {
  AgentConfig,
  EnrolRequest,
  EnrolResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  ReportAck,
  ReportBatch,
} from '@tianshu/protocol';
import type { Router } from '../route.js';
import type { Services } from '../../services.js';
import { InputError, PayloadTooLargeError } from '../../errors.js';
import { EnrolmentTokenInput } from '../../fleet/service.js';

const gunzipAsync = promisify(gunzip);

const QueueOut = z.object({
  pendingBatches: z.number(),
  pendingBytes: z.number(),
  droppedBatches: z.number(),
  /** By reason; absent from agents older than this field. */
  droppedReasons: z.object({ full: z.number(), enospc: z.number(), write_error: z.number() }).optional(),
  lastDropAt: z.string().optional(),
});
export const AgentOut = z.object({
  id: z.string(),
  hostname: z.string(),
  roles: z.array(z.string()),
  orgUnitId: z.string(),
  version: z.string(),
  os: z.string().nullable(),
  arch: z.string().nullable(),
  status: z.enum(['online', 'stale', 'offline', 'never']),
  enrolledAt: z.string(),
  lastSeenAt: z.string().nullable(),
  lastReportAt: z.string().nullable(),
  queue: QueueOut.nullable(),
  revoked: z.boolean(),
  latest: z
    .object({
      cpuPercent: z.number().nullable(),
      memoryPercent: z.number().nullable(),
      load1: z.number().nullable(),
      at: z.string(),
    })
    .nullable(),
});

const TokenOut = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  orgUnitId: z.string(),
  roles: z.array(z.string()),
  maxUses: z.number(),
  uses: z.number(),
  expiresAt: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});

/** Reads a possibly gzip-compressed JSON body within `limit` bytes (after decoding). */
async function readReportBody(
  raw: ArrayBuffer,
  encoding: string | undefined,
  limit: number,
): Promise<unknown> {
  let buf = Buffer.from(raw);
  if (encoding && /gzip/i.test(encoding)) {
    try {
      buf = await gunzipAsync(buf, { maxOutputLength: limit });
    } catch (err) {
      if (err instanceof RangeError || (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new PayloadTooLargeError(`report body is larger than ${limit} bytes once decompressed`, limit);
      }
      throw new InputError('report body is not valid gzip');
    }
  } else if (encoding && !/^identity$/i.test(encoding)) {
    throw new InputError(`Content-Encoding "${encoding}" is not supported; use gzip or none`);
  }
  if (buf.length > limit) throw new PayloadTooLargeError(`report body is larger than ${limit} bytes`, limit);
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new InputError(`report body is not valid JSON: ${(err as Error).message}`, { code: 'input.json' });
  }
}

export function fleetRoutes(
  r: Router,
  s: Services,
  latest: (agentIds: string[]) => Promise<Map<string, z.infer<typeof AgentOut>['latest']>>,
): void {
  // ---- agents' own endpoints ---------------------------------------------------------------------
  r.define(
    {
      method: 'post',
      path: '/api/v1/fleet/enrol',
      summary: 'Enrol an agent with a bootstrap token; returns its identity and credential (once)',
      tags: ['fleet'],
      auth: 'public',
      status: 201,
      body: EnrolRequest,
      response: EnrolResponse,
    },
    async ({ c, body }) =>
      s.fleet.enrol(body, {
        sourceIp: c.get('sourceIp'),
        requestId: c.get('requestId'),
        clientRequestId: c.get('clientRequestId'),
      }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/agents/{id}/heartbeat',
      summary: 'Agent heartbeat with queue statistics',
      tags: ['fleet'],
      auth: 'agent',
      body: HeartbeatRequest,
      response: HeartbeatResponse,
    },
    async ({ agent, body }) => s.fleet.heartbeat(agent, body),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/agents/{id}/config',
      summary: 'The configuration the agent should run',
      tags: ['fleet'],
      auth: 'agent',
      response: AgentConfig,
    },
    async ({ agent }) => s.fleet.configFor(agent),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/agents/{id}/reports',
      summary: 'Push a report batch (gzip allowed); idempotent by batchId, acknowledged once durably stored',
      tags: ['fleet'],
      auth: 'agent',
      body: ReportBatch,
      rawBody: true,
      response: ReportAck,
    },
    async ({ c, agent }) => {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/json\b/i.test(type)) {
        throw new InputError('request body must be JSON (Content-Type: application/json)', {
          code: 'input.json',
        });
      }
      const raw = await readReportBody(
        await c.req.arrayBuffer(),
        c.req.header('content-encoding'),
        s.config.limits.reportBodyBytes,
      );
      const batch = s.ingest.parse(raw);
      return s.ingest.store(agent, batch);
    },
  );

  // ---- operators' endpoints ----------------------------------------------------------------------
  r.define(
    {
      method: 'get',
      path: '/api/v1/agents',
      summary: "Agents in the caller's org-unit subtree with status and latest host figures",
      tags: ['fleet'],
      permission: 'fleet:read',
      response: z.object({ items: z.array(AgentOut) }),
    },
    async ({ identity }) => {
      const agents = await s.fleet.listAgents(identity);
      const figures = await latest(agents.map((a) => a.id));
      return { items: agents.map((a) => ({ ...a, latest: figures.get(a.id) ?? null })) };
    },
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/agents/{id}',
      summary: 'One agent',
      tags: ['fleet'],
      permission: 'fleet:read',
      response: AgentOut,
    },
    async ({ identity, params }) => {
      const a = await s.fleet.getAgent(identity, params.id!);
      return { ...a, latest: (await latest([a.id])).get(a.id) ?? null };
    },
  );
  r.define(
    {
      method: 'delete',
      path: '/api/v1/agents/{id}',
      summary: 'Revoke an agent credential',
      tags: ['fleet'],
      permission: 'fleet:write',
      status: 204,
    },
    async ({ identity, params }) => {
      await s.fleet.revokeAgent(identity, params.id!);
      return undefined;
    },
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/fleet/enrolment-tokens',
      summary: "Enrolment tokens in the caller's subtree (never their secrets)",
      tags: ['fleet'],
      permission: 'fleet:read',
      response: z.object({ items: z.array(TokenOut) }),
    },
    async ({ identity }) => ({ items: await s.fleet.listEnrolmentTokens(identity) }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/fleet/enrolment-tokens',
      summary:
        'Create an enrolment token scoped to an org unit, expiring, with limited uses; secret shown once',
      tags: ['fleet'],
      permission: 'fleet:write',
      status: 201,
      body: EnrolmentTokenInput,
      response: TokenOut.extend({ token: z.string() }),
    },
    async ({ identity, body }) => s.fleet.createEnrolmentToken(identity, body),
  );
  r.define(
    {
      method: 'delete',
      path: '/api/v1/fleet/enrolment-tokens/{id}',
      summary: 'Revoke an enrolment token',
      tags: ['fleet'],
      permission: 'fleet:write',
      status: 204,
    },
    async ({ identity, params }) => {
      await s.fleet.revokeEnrolmentToken(identity, params.id!);
      return undefined;
    },
  );
}
