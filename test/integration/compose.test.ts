import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { describeSettings, loadConfig } from '../../control-plane/src/config.js';

/**
 * Static checks of the scaled deployment (docker-compose.yml, Dockerfile, deploy/nginx.conf): no
 * Docker engine runs in CI, so this is what keeps the files from breaking silently when settings,
 * services or paths change.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Service {
  image?: string;
  build?: string | { context?: string; target?: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  ports?: Array<string | number | { published?: string | number; target?: number }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  entrypoint?: string | string[];
  command?: string | string[];
  profiles?: string[];
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as Compose;
const dockerfile = read('Dockerfile');
const nginx = read('deploy/nginx.conf');
const services = Object.entries(compose.services ?? {});

/** Values for variables the compose file interpolates from the operator's environment. */
const TEST_VARIABLES: Record<string, string> = {
  TIANSHU_ADMIN_PASSWORD: 'compose-test-password',
  TIANSHU_SECRET_KEY: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  TIANSHU_AGENT_TOKEN: 'tse_compose-test-token',
};

/** Compose interpolation: `$$`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`. */
function interpolate(value: string, vars: Record<string, string> = TEST_VARIABLES): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (whole, name, op, arg) => {
    if (whole === '$$') return '$';
    const given = vars[name as string];
    if (op === ':?' || op === '?') {
      if (given === undefined) throw new Error(`required variable ${name} has no test value (${arg})`);
      return given;
    }
    if (op === ':-' || op === '-') return given ?? (arg as string);
    return given ?? '';
  });
}

function environment(s: Service): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(s.environment)) {
    for (const entry of s.environment) {
      const i = entry.indexOf('=');
      out[i < 0 ? entry : entry.slice(0, i)] = i < 0 ? '' : interpolate(entry.slice(i + 1));
    }
  } else {
    for (const [k, v] of Object.entries(s.environment ?? {}))
      out[k] = v === null ? '' : interpolate(String(v));
  }
  return out;
}

const buildTarget = (s: Service) => (typeof s.build === 'object' ? s.build.target : undefined);
const controlPlanes = services.filter(([, s]) => buildTarget(s) === 'control-plane');
const agents = services.filter(([, s]) => buildTarget(s) === 'agent');

/** Stage names declared with `FROM <image> AS <name>`. */
const stages = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)\s*$/gim)].map((m) => m[1]!);

/** The instructions of one stage (from its FROM line to the next). */
function stage(name: string): string {
  const start = dockerfile.search(new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${name}\\s*$`, 'im'));
  expect(start, `stage ${name}`).toBeGreaterThanOrEqual(0);
  const rest = dockerfile.slice(start + 1);
  const next = rest.search(/^FROM\s/im);
  return next < 0 ? dockerfile.slice(start) : dockerfile.slice(start, start + 1 + next);
}

describe('docker-compose.yml', () => {
  it('defines the scaled-mode services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['clickhouse', 'control-plane-1', 'control-plane-2', 'host-agent', 'lb', 'postgres'].sort(),
    );
    expect(controlPlanes.map(([n]) => n).sort()).toEqual(['control-plane-1', 'control-plane-2']);
    expect(agents.map(([n]) => n)).toEqual(['host-agent']);
    expect(compose.services.postgres!.image).toMatch(/^postgres:16\b/);
    expect(compose.services.clickhouse!.image).toMatch(/^clickhouse\/clickhouse-server\b/);
    expect(compose.services.lb!.image).toMatch(/^nginx:stable\b/);
  });

  it('gives every service an image or a build whose target is a Dockerfile stage', () => {
    for (const [name, s] of services) {
      expect(s.image !== undefined || s.build !== undefined, `${name} has image or build`).toBe(true);
      if (s.build !== undefined) {
        const context = typeof s.build === 'string' ? s.build : (s.build.context ?? '.');
        const file = typeof s.build === 'object' && s.build.dockerfile ? s.build.dockerfile : 'Dockerfile';
        expect(existsSync(join(root, context, file)), `${name} build file`).toBe(true);
        const target = buildTarget(s);
        if (target) expect(stages, `${name} build target`).toContain(target);
      }
    }
  });

  it('depends only on defined services, waiting for the stores to be healthy', () => {
    for (const [name, s] of services) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) expect(compose.services, `${name} depends on ${d}`).toHaveProperty([d]);
    }
    for (const [name, s] of controlPlanes) {
      const deps = s.depends_on as Record<string, { condition?: string }>;
      expect(deps.postgres?.condition, `${name} → postgres`).toBe('service_healthy');
      expect(deps.clickhouse?.condition, `${name} → clickhouse`).toBe('service_healthy');
    }
  });

  it('declares every named volume it uses, and bind-mounts files that exist', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const [name, s] of services) {
      for (const v of s.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : (v.source ?? '');
        const bind = typeof v === 'string' ? /^[./~$]/.test(source) : v.type === 'bind';
        if (!bind) expect(declared, `volume ${source} of ${name}`).toContain(source);
        else if (source.startsWith('.'))
          expect(existsSync(join(root, source)), `bind mount ${source} of ${name}`).toBe(true);
      }
    }
  });

  it('publishes no host port twice', () => {
    const seen = new Map<string, string>();
    for (const [name, s] of services) {
      for (const p of s.ports ?? []) {
        let host: string | undefined;
        if (typeof p === 'object') host = p.published === undefined ? undefined : String(p.published);
        else {
          const parts = interpolate(String(p)).split(':');
          host = parts.length >= 2 ? parts.slice(0, -1).join(':') : undefined;
        }
        if (host === undefined) continue;
        expect(seen.get(host), `port ${host} of ${name}`).toBeUndefined();
        seen.set(host, name);
      }
    }
    expect(seen.size).toBeGreaterThan(0);
  });

  it('has health checks for postgres, clickhouse and every control-plane replica', () => {
    for (const name of ['postgres', 'clickhouse', ...controlPlanes.map(([n]) => n)]) {
      const hc = compose.services[name]!.healthcheck;
      expect(hc?.test, `${name} healthcheck`).toBeDefined();
      expect(hc?.disable, `${name} healthcheck`).not.toBe(true);
    }
    for (const [name, s] of controlPlanes)
      expect(JSON.stringify(s.healthcheck!.test), name).toContain('/healthz');
  });

  it('sets only real control-plane settings, and they validate', () => {
    const known = new Set(describeSettings().map((s) => s.env));
    for (const [name, s] of controlPlanes) {
      const env = environment(s);
      for (const key of Object.keys(env).filter((k) => k.startsWith('TIANSHU_'))) {
        expect(known.has(key), `${key} of ${name} is a setting`).toBe(true);
      }
      const config = loadConfig({ env });
      expect(config.databaseUrl, name).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
      expect(config.clickhouseUrl, name).toMatch(/^http:\/\/clickhouse:8123\b/);
      expect(config.adminPassword, name).toBe(TEST_VARIABLES.TIANSHU_ADMIN_PASSWORD);
    }
  });

  it('takes the admin password from the environment, required with ${VAR:?...}', () => {
    for (const [name, s] of controlPlanes) {
      const raw = (s.environment as Record<string, string>).TIANSHU_ADMIN_PASSWORD;
      expect(raw, name).toMatch(/^\$\{TIANSHU_ADMIN_PASSWORD:\?[^}]+\}$/);
    }
    expect(() => interpolate(composeText, {})).toThrow(/TIANSHU_ADMIN_PASSWORD/);
  });

  it('sets only agent variables the agent reads, and mounts the host /proc where it reads it', () => {
    const agentConfig = read('agents/src/config.ts');
    const readByAgent = new Set(
      [...agentConfig.matchAll(/\bTIANSHU_(?:AGENT_[A-Z0-9_]+|PROC_ROOT)\b/g)].map((m) => m[0]),
    );
    expect(readByAgent.has('TIANSHU_AGENT_TOKEN')).toBe(true);
    for (const [name, s] of agents) {
      const env = environment(s);
      for (const key of Object.keys(env).filter((k) => k.startsWith('TIANSHU_'))) {
        expect(readByAgent.has(key), `${key} of ${name} is read by the agent`).toBe(true);
      }
      expect(env.TIANSHU_AGENT_TOKEN, name).toBe(TEST_VARIABLES.TIANSHU_AGENT_TOKEN);
      expect(env.TIANSHU_PROC_ROOT, name).toBe('/host/proc');
      expect(s.volumes, name).toContain('/proc:/host/proc:ro');
      const stateVolume = (s.volumes ?? []).find(
        (v) => typeof v === 'string' && v.endsWith(`:${env.TIANSHU_AGENT_STATE_DIR}`),
      );
      expect(stateVolume, `${name} keeps its state dir in a volume`).toBeDefined();
      const server = new URL(env.TIANSHU_AGENT_SERVER!);
      expect(compose.services, `${name} server host`).toHaveProperty([server.hostname]);
      const script = JSON.stringify([s.entrypoint, s.command]);
      expect(script).toContain('agents/dist/cli.js enrol');
      expect(script).toContain('agents/dist/cli.js run');
    }
  });
});

describe('deploy/nginx.conf', () => {
  it('balances over every control-plane replica by service name and port', () => {
    for (const [name, s] of controlPlanes) {
      const port = loadConfig({ env: environment(s) }).port;
      expect(nginx, name).toMatch(new RegExp(`^\\s*server\\s+${name}:${port}\\b`, 'm'));
    }
    const upstreamHosts = [...nginx.matchAll(/^\s*server\s+([A-Za-z0-9_-]+):\d+/gm)].map((m) => m[1]!);
    for (const host of upstreamHosts) expect(compose.services, `upstream ${host}`).toHaveProperty([host]);
  });

  it('streams Server-Sent Events unbuffered', () => {
    const events = /location\s+\/api\/v1\/events\s*\{([^}]*)\}/.exec(nginx);
    expect(events, 'location /api/v1/events').not.toBeNull();
    expect(events![1]).toMatch(/proxy_buffering\s+off;/);
    expect(events![1]).toMatch(/proxy_pass\s+http:\/\/tianshu_control_plane;/);
    expect(read('control-plane/src/api/routes/events.ts')).toContain("path: '/api/v1/events'");
  });

  it('is mounted into the lb service', () => {
    expect(compose.services.lb!.volumes).toContainEqual(expect.stringMatching(/^\.\/deploy\/nginx\.conf:/));
  });
});

describe('Dockerfile', () => {
  it('builds on node:20-bookworm-slim in stages with the targets compose uses', () => {
    expect(stages).toEqual(expect.arrayContaining(['build', 'control-plane', 'agent']));
    for (const m of dockerfile.matchAll(/^FROM\s+(\S+)/gim)) {
      const image = m[1]!;
      expect(image === 'node:20-bookworm-slim' || stages.includes(image), `FROM ${image}`).toBe(true);
    }
    const build = stage('build');
    expect(build).toMatch(/\bnpm ci\b/);
    expect(build).toMatch(/\bnpm run build\b/);
    expect(build).toMatch(/\bnpm prune --omit=dev\b/);
  });

  it('copies only files that exist', () => {
    for (const m of dockerfile.matchAll(/^COPY\s+(?!--from)(?:--\S+\s+)*(.+)$/gim)) {
      const parts = m[1]!.trim().split(/\s+/);
      for (const source of parts.slice(0, -1))
        expect(existsSync(join(root, source)), `COPY ${source}`).toBe(true);
    }
  });

  it('runs the control plane as a non-root user with a health check on /healthz', () => {
    const cp = stage('control-plane');
    expect(cp).toMatch(/^USER\s+(?!root\b|0\b)\S+/m);
    expect(cp).toMatch(/^HEALTHCHECK\b[\s\S]*\/healthz/m);
    expect(cp).toMatch(/^ENTRYPOINT\s+\["node",\s*"control-plane\/dist\/main\.js"\]/m);
    expect(cp).toMatch(/^CMD\s+\["serve"\]/m);
    expect(read('control-plane/src/api/routes/health.ts')).toContain("path: '/healthz'");
  });

  it('runs the agent as a non-root user', () => {
    const agent = stage('agent');
    expect(agent).toMatch(/^USER\s+(?!root\b|0\b)\S+/m);
    expect(agent).toMatch(/^ENTRYPOINT\s+\["node",\s*"agents\/dist\/cli\.js"\]/m);
    expect(agent).toMatch(/^CMD\s+\["run"\]/m);
  });

  it('starts files that the build produces (tsc -b compiles src/X.ts to dist/X.js)', () => {
    const started = [...dockerfile.matchAll(/"((?:control-plane|agents)\/dist\/[^"]+\.js)"/g)].map(
      (m) => m[1]!,
    );
    expect(started.sort()).toEqual(['agents/dist/cli.js', 'control-plane/dist/main.js']);
    for (const js of started) {
      const source = js.replace('/dist/', '/src/').replace(/\.js$/, '.ts');
      expect(existsSync(join(root, source)), source).toBe(true);
      const pkg = js.split('/')[0]!;
      const tsconfig = JSON.parse(read(`${pkg}/tsconfig.json`)) as {
        compilerOptions: { rootDir: string; outDir: string };
      };
      expect(tsconfig.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    }
    expect(JSON.parse(read('package.json')).scripts.build).toMatch(/tsc -b\b.*\bcontrol-plane\b.*\bagents\b/);
  });
});
