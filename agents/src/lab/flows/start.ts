import type { Logger } from '../../runtime/logger.js';
import { LabConfigError } from '../errors.js';
import type { LabInventory } from '../inventory.js';
import type { LabModel } from '../model.js';
import { FLOW_PROTOCOLS, type FlowProtocol, type Scenario } from '../scenario.js';
import { LabFlowExport, parseEndpoint, RouterFlowExporter, type Endpoint } from './exporter.js';
import { buildFlowPlans } from './synth.js';

/** Flow export settings given beside the scenario (command-line flags, embedded mode). */
export interface FlowExportOptions {
  /** `host:port` of the NetFlow v9 / IPFIX collector (overrides the scenario's). */
  netflowCollector?: string;
  /** `host:port` of the sFlow collector (overrides the scenario's). */
  sflowCollector?: string;
  /** Protocol of every router the scenario gives none (`mix`: v9, IPFIX and sFlow in turn). */
  protocol?: FlowProtocol | 'mix';
  /** Sampling rate of every router the scenario gives none. */
  samplingRate?: number;
  maxExporters?: number;
  /** One router that misreports its sampling rate: it samples as configured but says this rate. */
  misreport?: { device: string; reportedSamplingRate: number };
}

/**
 * Starts the flow exporters of the routers the scenario (and the options) say export, or returns
 * null when no collector is given or flows are off.
 */
export async function startFlowExport(
  model: LabModel,
  inventory: LabInventory,
  scenario: Scenario,
  o: FlowExportOptions & { addressOf: (id: string) => string; clock: () => number; log: Logger },
): Promise<LabFlowExport | null> {
  const f = scenario.flows;
  if (!f.enabled) return null;
  const collectors: { netflow: Endpoint | null; sflow: Endpoint | null } = { netflow: null, sflow: null };
  try {
    const nf = o.netflowCollector ?? f.collector.netflow;
    const sf = o.sflowCollector ?? f.collector.sflow;
    if (nf) collectors.netflow = parseEndpoint(nf);
    if (sf) collectors.sflow = parseEndpoint(sf);
  } catch (err) {
    throw new LabConfigError(`flows.collector: ${(err as Error).message}`);
  }
  if (!collectors.netflow && !collectors.sflow) return null;
  for (const id of Object.keys(f.routers)) {
    if (!model.devices.has(id))
      throw new LabConfigError(`flows.routers.${id}: no device ${id} in the inventory`);
  }
  if (o.misreport && !model.devices.has(o.misreport.device)) {
    throw new LabConfigError(`misreported sampling: no device ${o.misreport.device} in the inventory`);
  }
  const candidates = inventory.devices
    .map((d) => d.id)
    .filter((id) =>
      f.exporters === 'all' ? f.routers[id]?.enabled !== false : f.routers[id]?.enabled === true,
    );
  const max = o.maxExporters ?? f.maxExporters;
  const chosen = candidates.slice(0, max);
  if (candidates.length > chosen.length) {
    o.log.warn('lab flow export: more routers than maxExporters; the rest export nothing', {
      routers: candidates.length,
      maxExporters: max,
    });
  }
  const plans = buildFlowPlans(model, inventory, o.addressOf);
  const perRouter = Math.max(
    1,
    Math.min(f.maxDatagramsPerSecond, Math.floor(f.maxTotalDatagramsPerSecond / Math.max(1, chosen.length))),
  );
  const exporters: RouterFlowExporter[] = [];
  const missing = new Set<string>();
  chosen.forEach((id, i) => {
    const r = f.routers[id];
    const fallback = o.protocol ?? f.protocol;
    const protocol: FlowProtocol = r?.protocol ?? (fallback === 'mix' ? FLOW_PROTOCOLS[i % 3]! : fallback);
    const collector = protocol === 'sflow' ? collectors.sflow : collectors.netflow;
    if (!collector) {
      missing.add(protocol === 'sflow' ? 'sflow' : 'netflow');
      return;
    }
    const samplingRate =
      r?.samplingRate ??
      o.samplingRate ??
      (protocol === 'sflow' ? f.samplingRate.sflow : f.samplingRate.netflow);
    const reported =
      o.misreport?.device === id ? o.misreport.reportedSamplingRate : (r?.reportedSamplingRate ?? null);
    exporters.push(
      new RouterFlowExporter(
        plans.get(id)!,
        {
          protocol,
          samplingRate,
          interfaceRates: new Map(Object.entries(r?.interfaces ?? {}).map(([k, v]) => [Number(k), v])),
          reportedSamplingRate: reported,
          collector,
          maxDatagramsPerSecond: perRouter,
        },
        f,
        o.clock,
        o.log,
        scenario.seed,
      ),
    );
  });
  for (const m of missing) {
    o.log.warn(`lab flow export: no ${m} collector given; routers exporting ${m} export nothing`);
  }
  const exp = new LabFlowExport(exporters, f.intervalSeconds, o.clock, o.log, plans);
  await exp.start();
  o.log.info('lab flow export started', {
    routers: exporters.length,
    netflow: collectors.netflow ? `${collectors.netflow.host}:${collectors.netflow.port}` : null,
    sflow: collectors.sflow ? `${collectors.sflow.host}:${collectors.sflow.port}` : null,
    intervalSeconds: f.intervalSeconds,
  });
  return exp;
}
