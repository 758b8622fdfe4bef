import { HostCollector } from '../host/collector.js';
import { PeriodicRunner } from '../runtime/runner.js';
import { defineRole } from './contract.js';

/** The host role: the /proc collector on the interval of the config's `host` section. */
export const hostRole = defineRole({
  name: 'host',
  configSection: 'host',
  payloadKinds: ['host-metrics'],
  start: (ctx, config) => {
    const collector = new HostCollector({
      procRoot: ctx.settings.procRoot,
      host: ctx.host,
      ...(ctx.inject.hostDeps ? { deps: ctx.inject.hostDeps } : {}),
      onError: (source, count, err) => ctx.collectorErrors('host', source, count, err),
    });
    const millis = config.host.intervalSeconds * 1000;
    const runner = new PeriodicRunner({
      name: 'host',
      intervalMillis: millis,
      timeoutMillis: Math.min(millis, 30_000),
      runOnStart: true,
      onError: (err, name) => ctx.onRunnerError(err, name),
      onSkip: (name) => ctx.onSkip(name),
      task: async () => {
        const payload = await collector.collect();
        if (payload.t.length === 0) return;
        ctx.report(payload);
      },
    });
    return {
      apply: (next) => {
        runner.setIntervalMillis(next.host.intervalSeconds * 1000);
        if (next.host.enabled) runner.start();
        else void runner.stop();
      },
      stop: () => runner.stop(),
    };
  },
});
