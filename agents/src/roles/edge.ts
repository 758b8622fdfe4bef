import { encodeInterfacePoll } from '@tianshu/protocol';
import { EdgeMetrics } from '../edge/metrics.js';
import { EdgeRole } from '../edge/role.js';
import type { EdgeRoleStats } from '../edge/role.js';
import { FlowCollector } from '../flows/collector.js';
import type { FlowCollectorStats } from '../flows/collector.js';
import { FlowMetrics } from '../flows/metrics.js';
import { SecurityCollector } from '../security/collector.js';
import type { SecurityCollectorStats } from '../security/collector.js';
import { SecurityMetrics } from '../security/metrics.js';
import { defineRole } from './contract.js';

/** `security-alerts` payloads hold at most this many alerts (the protocol's limit). */
const MAX_ALERTS_PER_PAYLOAD = 1000;

/** The edge role's stats: the SNMP side, and the flow collector's when the config has one. */
export type EdgeStats = EdgeRoleStats & { flows?: FlowCollectorStats; security?: SecurityCollectorStats };

/**
 * The edge role: SNMP polls, discovery and sweeps of the devices listed in the config's `edge`
 * section, and the flow collector of its `flows` section (NetFlow/IPFIX/sFlow over UDP, aggregated
 * per minute into `flow-aggregates`), and the security collector of its `security` section
 * (syslog/CEF/EVE listeners and tailed EVE files, normalised into `security-events`).
 */
export const edgeRole = defineRole({
  name: 'edge',
  configSection: ['edge', 'flows', 'security', 'detections'],
  payloadKinds: [
    'interface-poll',
    'discovery',
    'sweep',
    'flow-aggregates',
    'security-events',
    'security-alerts',
  ],
  start: (ctx) => {
    const log = ctx.log.child({ role: 'edge' });
    const role = new EdgeRole({
      metrics: new EdgeMetrics(ctx.metrics.registry),
      logger: log,
      ...(ctx.inject.snmpSessionFactory ? { sessionFactory: ctx.inject.snmpSessionFactory } : {}),
      onRunnerError: (err, name) => ctx.onRunnerError(err, name),
      onSkip: (name) => ctx.onSkip(name),
      // Polls travel in the columnar encoding; discovery and sweeps are one observation each.
      onPayload: (payload) =>
        ctx.report(payload.kind === 'interface-poll' ? encodeInterfacePoll(payload) : payload),
    });
    const flowMetrics = new FlowMetrics(ctx.metrics.registry);
    let collector: FlowCollector | undefined;
    const newCollector = (): FlowCollector =>
      new FlowCollector({
        ...ctx.inject.flowCollector,
        metrics: flowMetrics,
        logger: log.child({ collector: 'flows' }),
        onPayload: (payload) => ctx.report(payload),
        // The edge detections' alerts leave at once (an attack is news within seconds).
        onAlerts: (alerts) => {
          for (let i = 0; i < alerts.length; i += MAX_ALERTS_PER_PAYLOAD) {
            ctx.report(
              { kind: 'security-alerts', alerts: alerts.slice(i, i + MAX_ALERTS_PER_PAYLOAD) },
              { urgent: true },
            );
          }
        },
        onError: (source, count, err) => ctx.collectorErrors('flows', source, count, err),
      });
    let securityMetrics: SecurityMetrics | undefined;
    let security: SecurityCollector | undefined;
    const newSecurity = (): SecurityCollector =>
      new SecurityCollector({
        ...ctx.inject.securityCollector,
        stateDir: ctx.settings.stateDir,
        metrics: (securityMetrics ??= new SecurityMetrics(ctx.metrics.registry)),
        logger: log.child({ collector: 'security' }),
        report: (payload) => ctx.report(payload),
        ...(ctx.queuePressure ? { queuePressure: ctx.queuePressure } : {}),
      });
    let stopping: Promise<void> | undefined;
    return {
      apply: (config) => {
        role.apply(config.edge);
        if (config.security?.enabled) {
          security ??= newSecurity();
          security.apply(config.security);
        } else if (security) {
          // Disabled: what the listeners and files accepted is sent, then they are closed.
          const c = security;
          security = undefined;
          void c.stop();
        }
        if (config.flows?.enabled) {
          collector ??= newCollector();
          collector.apply(config.flows, config.detections);
        } else if (collector) {
          // Disabled: the minutes in progress are flushed and the sockets closed.
          const c = collector;
          collector = undefined;
          void c.stop();
        }
      },
      stop: () => {
        stopping ??= Promise.all([role.stop(), collector?.stop(), security?.stop()]).then(() => undefined);
        return stopping;
      },
      stats: (): EdgeStats => ({
        ...role.stats(),
        ...(collector ? { flows: collector.stats() } : {}),
        ...(security ? { security: security.stats() } : {}),
      }),
    };
  },
});
