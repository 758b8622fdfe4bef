import { encodeInterfacePoll } from '@tianshu/protocol';
import { EdgeMetrics } from '../edge/metrics.js';
import { EdgeRole } from '../edge/role.js';
import { defineRole } from './contract.js';

/** The edge role: SNMP polls, discovery and sweeps of the devices listed in the config's `edge` section. */
export const edgeRole = defineRole({
  name: 'edge',
  configSection: 'edge',
  payloadKinds: ['interface-poll', 'discovery', 'sweep'],
  start: (ctx) => {
    const role = new EdgeRole({
      metrics: new EdgeMetrics(ctx.metrics.registry),
      logger: ctx.log.child({ role: 'edge' }),
      ...(ctx.inject.snmpSessionFactory ? { sessionFactory: ctx.inject.snmpSessionFactory } : {}),
      onRunnerError: (err, name) => ctx.onRunnerError(err, name),
      onSkip: (name) => ctx.onSkip(name),
      // Polls travel in the columnar encoding; discovery and sweeps are one observation each.
      onPayload: (payload) =>
        ctx.report(payload.kind === 'interface-poll' ? encodeInterfacePoll(payload) : payload),
    });
    return {
      apply: (config) => role.apply(config.edge),
      stop: () => role.stop(),
      stats: () => role.stats(),
    };
  },
});
