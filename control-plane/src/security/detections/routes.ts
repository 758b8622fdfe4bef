import { z } from 'zod';
import type { Router } from '../../api/route.js';
import type { SecurityModule } from '../module.js';

const Severity = z.enum(['low', 'medium', 'high', 'critical']);

const Thresholds = z.object({
  scan: z.object({
    portsPerHost: z.number().int().describe('distinct destination ports of one source towards one host'),
    hostsPerPort: z.number().int().describe('distinct destination hosts of one source on one port'),
    windowSeconds: z.number().int(),
  }),
  ddos: z.object({
    factor: z.number().describe('alert above max(minPps, baseline × factor)'),
    minPps: z.number().int(),
    minBps: z.number().int(),
    sustainSeconds: z.number().int(),
    baselineHalfLifeSeconds: z.number().int(),
  }),
  realertSeconds: z.number().int(),
});

const List = z.object({
  name: z.string().describe('alerts of this list have reference intel:<name>'),
  file: z.string().describe('path under policies/detections/intel/'),
  format: z.enum(['list', 'stix']),
  severity: Severity,
  indicators: z.number().int().describe('prefixes loaded and shipped to the edge agents'),
  errors: z.number().int().describe('invalid entries, not loaded'),
  errorDetails: z
    .array(
      z.object({
        line: z.number().int().optional(),
        index: z.number().int().optional(),
        id: z.string().optional(),
        reason: z.string(),
      }),
    )
    .describe('the first 100 errors'),
  skipped: z.object({
    expired: z.number().int(),
    notYetValid: z.number().int(),
    revoked: z.number().int(),
    unsupported: z.number().int().describe('indicators on what flows do not carry (domains, files)'),
  }),
  loadedAt: z.string(),
});

/** `GET /api/v1/security/detections`. */
export function detectionRoutes(r: Router, svc: SecurityModule): void {
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/detections',
      summary:
        'Flow detections in force: the scan and DDoS thresholds, the unusual-egress settings, the threat-intelligence lists loaded (indicators, errors with reasons, skipped) and the edge agents of the caller’s org units running them',
      tags: ['security'],
      permission: 'security:read',
      response: z.object({
        enabled: z.boolean(),
        thresholds: Thresholds,
        egress: z.object({
          enabled: z.boolean(),
          factor: z.number(),
          baselineDays: z.number().int(),
          minBytes: z.number().int(),
          severity: Severity,
        }),
        lists: z.array(List),
        agents: z.array(
          z.object({
            agentId: z.string(),
            hostname: z.string(),
            orgUnitId: z.string(),
            lastConfigAt: z.string().describe('last time the agent pulled its config or heartbeat'),
          }),
        ),
      }),
    },
    async ({ identity }) => svc.detections.view(identity),
  );
}
