import { describe, expect, it } from 'vitest';
import { AgentConfig } from '@tianshu/protocol';
import { AgentSettings, defaultAgentConfig, loadSettings, printableSettings } from './config.js';

describe('agent settings', () => {
  it('has defaults that validate', () => {
    const s = AgentSettings.parse({});
    expect(s).toMatchObject({
      roles: ['host'],
      hostIntervalSeconds: 15,
      queueMaxBytes: 64 * 1024 * 1024,
      queueMaxBatches: 10_000,
      procRoot: '/proc',
    });
    expect(AgentConfig.safeParse(defaultAgentConfig(s)).success).toBe(true);
  });

  it('overlays the environment, and flags over the environment', () => {
    const s = loadSettings(
      {
        TIANSHU_AGENT_STATE_DIR: '/env/state',
        TIANSHU_AGENT_HOST_INTERVAL_SECONDS: '60',
        TIANSHU_AGENT_QUEUE_MAX_BATCHES: '50',
        TIANSHU_AGENT_ROLES: 'host, edge',
        TIANSHU_PROC_ROOT: '/fake/proc',
        TIANSHU_AGENT_METRICS_LISTEN: '',
      },
      { stateDir: '/flag/state', caFile: undefined },
    );
    expect(s.stateDir).toBe('/flag/state');
    expect(s.hostIntervalSeconds).toBe(60);
    expect(s.queueMaxBatches).toBe(50);
    expect(s.roles).toEqual(['host', 'edge']);
    expect(s.procRoot).toBe('/fake/proc');
    expect(s.metricsListen).toBeUndefined();
  });

  it('names the environment variable of a bad value', () => {
    expect(() => loadSettings({ TIANSHU_AGENT_HOST_INTERVAL_SECONDS: 'often' })).toThrow(
      /hostIntervalSeconds \(TIANSHU_AGENT_HOST_INTERVAL_SECONDS\)/,
    );
    expect(() => loadSettings({ TIANSHU_AGENT_ROLES: 'host,spy' })).toThrow(/roles/);
  });

  it('masks the token when printed', () => {
    const s = loadSettings({ TIANSHU_AGENT_TOKEN: 'secret-token' });
    expect(JSON.stringify(printableSettings(s))).not.toContain('secret-token');
  });
});
