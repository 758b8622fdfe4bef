import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ConfigSchema, describeSettings, loadConfig, redactConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'tianshu-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The ConfigError thrown by `fn`, failing the test when nothing is thrown. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('default configuration', () => {
  it('validates with an empty environment and no file', () => {
    const config = loadConfig({ env: {} });
    expect(config).toEqual(ConfigSchema.parse({}));
    expect(config.port).toBe(8080);
    expect(config.dataDir).toBe('./data');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.clickhouseUrl).toBeUndefined();
    expect(config.metrics.public).toBe(false);
  });

  it('describes every setting once, with a TIANSHU_ variable and a description', () => {
    const settings = describeSettings();
    expect(settings.length).toBeGreaterThan(20);
    expect(new Set(settings.map((s) => s.env)).size).toBe(settings.length);
    for (const s of settings) {
      expect(s.env).toMatch(/^TIANSHU_[A-Z0-9_]+$/);
      expect(s.description, s.path).not.toBe('');
    }
    expect(settings.find((s) => s.path === 'auth.sessionTtlHours')?.env).toBe(
      'TIANSHU_AUTH_SESSION_TTL_HOURS',
    );
  });
});

describe('environment overlay', () => {
  it('coerces numbers, including nested and fractional ones', () => {
    const config = loadConfig({
      env: { TIANSHU_PORT: '9090', TIANSHU_AUTH_SESSION_TTL_HOURS: '0.5', TIANSHU_RETENTION_RAW_DAYS: '7' },
    });
    expect(config.port).toBe(9090);
    expect(config.auth.sessionTtlHours).toBe(0.5);
    expect(config.retention.rawDays).toBe(7);
    // Siblings of an overridden nested setting keep their defaults.
    expect(config.retention.minuteDays).toBe(180);
  });

  it('coerces booleans from the usual spellings', () => {
    for (const yes of ['true', 'TRUE', 'yes', 'on', '1']) {
      expect(loadConfig({ env: { TIANSHU_METRICS_PUBLIC: yes } }).metrics.public, yes).toBe(true);
    }
    for (const no of ['false', 'no', 'off', '0']) {
      expect(loadConfig({ env: { TIANSHU_EMBEDDED_HOST_AGENT: no } }).embedded.hostAgent, no).toBe(false);
    }
  });

  it('turns the embedded lab and edge agent on and off independently, and moves the lab’s ports', () => {
    expect(loadConfig({ env: {} }).embedded).toMatchObject({
      lab: true,
      edgeAgent: true,
      labPortRange: '16100-16199',
    });
    const c = loadConfig({
      env: {
        TIANSHU_EMBEDDED_LAB: 'false',
        TIANSHU_EMBEDDED_EDGE_AGENT: 'true',
        TIANSHU_EMBEDDED_LAB_PORT_RANGE: '20000-20099',
      },
    });
    expect(c.embedded).toMatchObject({ lab: false, edgeAgent: true, labPortRange: '20000-20099' });
    expect(loadConfig({ env: { TIANSHU_EMBEDDED_EDGE_AGENT: 'off' } }).embedded).toMatchObject({
      lab: true,
      edgeAgent: false,
    });
    expect(() => loadConfig({ env: { TIANSHU_EMBEDDED_LAB_PORT_RANGE: '16199-16100' } })).toThrow(
      /embedded\.labPortRange: a port range is FIRST-LAST with 1 ≤ FIRST ≤ LAST ≤ 65535/,
    );
    expect(() => loadConfig({ env: { TIANSHU_EMBEDDED_LAB_PORT_RANGE: '16100' } })).toThrow(
      /embedded\.labPortRange: a port range is FIRST-LAST, e\.g\. 16100-16199/,
    );
  });

  it('takes strings and enums as they are', () => {
    const config = loadConfig({
      env: {
        TIANSHU_DATABASE_URL: 'postgres://u:p@db:5432/tianshu',
        TIANSHU_CLICKHOUSE_URL: 'http://clickhouse:8123',
        TIANSHU_LOG_LEVEL: 'debug',
        TIANSHU_AUTH_COOKIE_SECURE: 'always',
        TIANSHU_TLS_CERT_FILE: '/etc/tls/crt.pem',
        TIANSHU_TLS_KEY_FILE: '/etc/tls/key.pem',
      },
    });
    expect(config.databaseUrl).toBe('postgres://u:p@db:5432/tianshu');
    expect(config.clickhouseUrl).toBe('http://clickhouse:8123');
    expect(config.logLevel).toBe('debug');
    expect(config.auth.cookieSecure).toBe('always');
    expect(config.tls.certFile).toBe('/etc/tls/crt.pem');
    expect(config.tls.keyFile).toBe('/etc/tls/key.pem');
  });

  it('refuses a TLS certificate without its key, naming both variables', () => {
    expect(() => loadConfig({ env: { TIANSHU_TLS_CERT_FILE: '/etc/tls/crt.pem' } })).toThrow(
      /TIANSHU_TLS_CERT_FILE, TIANSHU_TLS_KEY_FILE/,
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ env: { TIANSHU_PORT: '', TIANSHU_METRICS_PUBLIC: '' } })).toEqual(
      ConfigSchema.parse({}),
    );
  });

  it('rejects a value that does not convert, naming the variable', () => {
    expect(configError(() => loadConfig({ env: { TIANSHU_PORT: 'eighty' } })).message).toMatch(
      /TIANSHU_PORT must be a number, got "eighty"/,
    );
    expect(
      configError(() => loadConfig({ env: { TIANSHU_FLEET_STALE_AFTER_SECONDS: ' ' } })).message,
    ).toMatch(/TIANSHU_FLEET_STALE_AFTER_SECONDS/);
    expect(configError(() => loadConfig({ env: { TIANSHU_METRICS_PUBLIC: 'maybe' } })).message).toMatch(
      /TIANSHU_METRICS_PUBLIC must be true or false, got "maybe"/,
    );
  });

  it('rejects a value outside its range or choices, naming the setting', () => {
    expect(configError(() => loadConfig({ env: { TIANSHU_PORT: '70000' } })).message).toMatch(
      /^invalid configuration: port: /,
    );
    expect(configError(() => loadConfig({ env: { TIANSHU_LOG_LEVEL: 'verbose' } })).message).toMatch(
      /logLevel: /,
    );
    expect(configError(() => loadConfig({ env: { TIANSHU_CLICKHOUSE_URL: 'not a url' } })).message).toMatch(
      /clickhouseUrl: /,
    );
    expect(configError(() => loadConfig({ env: { TIANSHU_ADMIN_PASSWORD: 'short' } })).message).toMatch(
      /adminPassword: admin password must have at least 12 characters/,
    );
  });
});

describe('config file', () => {
  it('overrides defaults, and the environment overrides the file', () => {
    const path = file('tianshu.yaml', 'port: 9000\nauth:\n  sessionTtlHours: 8\n');
    const fromFile = loadConfig({ file: path, env: {} });
    expect(fromFile.port).toBe(9000);
    expect(fromFile.auth.sessionTtlHours).toBe(8);
    expect(fromFile.auth.loginUserLockFailures).toBe(50);
    expect(loadConfig({ file: path, env: { TIANSHU_PORT: '9100' } }).port).toBe(9100);
  });

  it('is found through TIANSHU_CONFIG', () => {
    const path = file('via-env.json', JSON.stringify({ logLevel: 'warn' }));
    expect(loadConfig({ env: { TIANSHU_CONFIG: path } }).logLevel).toBe('warn');
  });

  it('refuses unknown keys, a missing file and a non-mapping', () => {
    expect(configError(() => loadConfig({ file: file('typo.yaml', 'prot: 80\n'), env: {} })).message).toMatch(
      /invalid configuration/,
    );
    expect(configError(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).message).toMatch(
      /cannot read config file/,
    );
    expect(configError(() => loadConfig({ file: file('list.yaml', '- 1\n- 2\n'), env: {} })).message).toMatch(
      /must hold a mapping/,
    );
  });
});

describe('redactConfig', () => {
  it('masks passwords, including the one in the database URL', () => {
    const config = loadConfig({
      env: {
        TIANSHU_ADMIN_PASSWORD: 'correct-horse-battery',
        TIANSHU_CLICKHOUSE_PASSWORD: 'ch-secret',
        TIANSHU_DATABASE_URL: 'postgres://tianshu:pg-secret@db:5432/tianshu',
      },
    });
    const text = JSON.stringify(redactConfig(config));
    expect(text).not.toMatch(/correct-horse|ch-secret|pg-secret/);
    expect(text).toContain('postgres://tianshu:***@db:5432/tianshu');
  });
});
