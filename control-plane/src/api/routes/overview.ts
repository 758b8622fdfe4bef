import { z } from 'zod';
import type { Router } from '../route.js';
import type { Services } from '../../services.js';
import { hostCharts, latestHostSnapshot } from '../../store/telemetry/index.js';

const RANGES = { '15m': 900, '1h': 3600, '6h': 21_600, '24h': 86_400, '7d': 604_800 } as const;
/** About 120 points per chart whatever the range, on whole-minute steps past one hour. */
const STEPS: Record<keyof typeof RANGES, number> = { '15m': 15, '1h': 30, '6h': 180, '24h': 720, '7d': 5040 };

const Points = z.array(z.tuple([z.number(), z.number()]));

export type LatestFigures = {
  cpuPercent: number | null;
  memoryPercent: number | null;
  load1: number | null;
  at: string;
};

/** Latest CPU, memory and load of each agent, from the telemetry store; empty when it cannot answer. */
export async function latestFigures(s: Services, agentIds: string[]): Promise<Map<string, LatestFigures>> {
  const out = new Map<string, LatestFigures>();
  if (agentIds.length === 0) return out;
  try {
    const snap = await s.metrics.timeStore('telemetry', 'latest_snapshot', () =>
      latestHostSnapshot(s.telemetry, agentIds),
    );
    for (const v of snap) {
      if (v.lastSampleMs === null) continue;
      out.set(v.agentId, {
        cpuPercent: v.cpuPercent ?? null,
        memoryPercent: v.memoryPercent ?? null,
        load1: v.load1 ?? null,
        at: new Date(v.lastSampleMs).toISOString(),
      });
    }
  } catch (err) {
    s.log.warn({ err: (err as Error).message }, 'latest host figures unavailable');
  }
  return out;
}

export function overviewRoutes(r: Router, s: Services): void {
  r.define(
    {
      method: 'get',
      path: '/api/v1/overview',
      summary:
        "Summary of the caller's org-unit subtree: fleet status, ingest volume and each module's figures",
      tags: ['overview'],
      permission: 'fleet:read',
      response: z.object({
        orgUnit: z.object({ id: z.string(), name: z.string() }),
        fleet: z.object({ total: z.number(), online: z.number(), stale: z.number(), offline: z.number() }),
        ingest: z.object({ batchesLastHour: z.number(), samplesLastHour: z.number() }),
        modules: z
          .record(z.string(), z.record(z.string(), z.unknown()))
          .describe(
            'figures by module name (network: links; alerting: alarms), or {error} when one cannot answer',
          ),
      }),
    },
    async ({ identity }) => {
      const unit = await s.orgUnits.get({ ...identity, permissions: new Set(['*']) }, identity.orgUnitId);
      return {
        orgUnit: { id: unit.id, name: unit.name },
        fleet: await s.fleet.summary(identity),
        ingest: await s.ingest.lastHour(identity.orgUnitPath),
        modules: (await s.modules.overview(identity)) as Record<string, Record<string, unknown>>,
      };
    },
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/hosts/{agentId}/metrics',
      summary: 'Chart series of a host agent: CPU %, memory %, load, network rates, disk used %',
      tags: ['telemetry'],
      permission: 'telemetry:read',
      query: z.object({ range: z.enum(Object.keys(RANGES) as [keyof typeof RANGES]).default('1h') }).strict(),
      response: z.object({
        agentId: z.string(),
        host: z.string(),
        range: z.string(),
        stepSeconds: z.number(),
        series: z.object({
          cpuPercent: Points,
          memoryPercent: Points,
          load1: Points,
          netRxBytesPerSecond: Points,
          netTxBytesPerSecond: Points,
          diskUsedPercent: Points,
        }),
      }),
    },
    async ({ identity, params, query }) => {
      // getAgent answers 404 for agents outside the caller's subtree.
      const agent = await s.fleet.getAgent({ ...identity, permissions: new Set(['*']) }, params.agentId!);
      const range = query.range;
      const stepSeconds = STEPS[range];
      const toMs = Date.now();
      const fromMs = toMs - RANGES[range] * 1000;
      const charts = await s.metrics.timeStore('telemetry', 'host_charts', () =>
        hostCharts(s.telemetry, { agentId: agent.id, fromMs, toMs, stepSeconds }),
      );
      const { resolution: _resolution, stepSeconds: used, ...series } = charts;
      return { agentId: agent.id, host: agent.hostname, range, stepSeconds: used, series };
    },
  );
}
