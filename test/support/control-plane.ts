import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../control-plane/src/config.js';
import { createLogger, type Logger } from '../../control-plane/src/logger.js';
import { createControlPlane, type ControlPlane } from '../../control-plane/src/server.js';
import type { StateStore } from '../../control-plane/src/store/state/index.js';
import { seedFromPgliteTemplate } from '../../control-plane/src/store/state/testing.js';
import type { ProcessTable } from '../../control-plane/src/embedded/supervisor.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const ADMIN_PASSWORD = 'correct-horse-battery-staple';

/**
 * The scrypt cost (log2 N) of password hashes in tests that do not test the cost itself: 2^10 takes
 * milliseconds where the production 2^17 takes about half a second per login on a busy CI machine.
 * `control-plane/src/auth/password.test.ts` proves the production parameters; a test passes
 * `overrides: { auth: { passwordHashCost: 17 } }` (or sets the variable to 17) to run at them.
 */
export const TEST_PASSWORD_HASH_COST = 10;

/** The same for a control plane started as a process (its environment). */
export const TEST_PASSWORD_HASH_ENV = { TIANSHU_AUTH_PASSWORD_HASH_COST: String(TEST_PASSWORD_HASH_COST) };

export interface TestControlPlane {
  cp: ControlPlane;
  dataDir: string;
  config: Config;
  /** In-process request against the app (no socket). */
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/**
 * A control plane in this process on embedded stores (PGlite + chDB) in a temporary directory, with
 * the repository's policies, the demo province and its lab SNMP credentials, and `admin` /
 * ADMIN_PASSWORD.
 */
export async function startTestControlPlane(
  opts: {
    dataDir?: string;
    db?: StateStore;
    overrides?: Record<string, unknown>;
    listen?: boolean;
    /** Serve the built console from this directory. */
    consoleDir?: string;
    /** The control plane's logger (silent by default); tests capture log output with it. */
    log?: Logger;
    processes?: ProcessTable;
  } = {},
): Promise<TestControlPlane> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tianshu-cp-'));
  // A fresh data directory on the embedded state store starts as a copy of the run's migrated
  // PGlite template (test/support/pglite-template.ts) instead of running initdb; a data directory
  // the test gives keeps what it holds or is created as in production.
  if (!opts.dataDir && !opts.db && opts.overrides?.databaseUrl === undefined) {
    seedFromPgliteTemplate(join(dataDir, 'state'));
  }
  const config = loadConfig({
    env: {},
    overrides: {
      host: '127.0.0.1',
      port: 0,
      dataDir,
      adminPassword: ADMIN_PASSWORD,
      policiesDir: join(REPO, 'policies'),
      inventoryFile: join(REPO, 'control-plane/inventory/demo-province.yaml'),
      // The demo's devices name these credentials; a device may name only a credential it may use.
      snmpCredentialsFile: join(REPO, 'control-plane/inventory/demo-snmp-credentials.yaml'),
      logLevel: 'silent',
      ...opts.overrides,
      auth: {
        passwordHashCost: TEST_PASSWORD_HASH_COST,
        ...(opts.overrides?.auth as Record<string, unknown> | undefined),
      },
    },
  });
  const cp = await createControlPlane({
    config,
    log: opts.log ?? createLogger('silent'),
    consoleDir: opts.consoleDir,
    ...(opts.db ? { db: opts.db } : {}),
    ...(opts.processes ? { processes: opts.processes } : {}),
  });
  if (opts.listen) await cp.listen();
  return {
    cp,
    dataDir,
    config,
    request: async (path, init) => cp.built.app.request(path, init),
    close: async () => {
      await cp.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A logged-in console session: cookie + CSRF token, with helpers that send both. */
export interface Session {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  send(method: string, path: string, body?: unknown): Promise<Response>;
}

export async function login(
  request: (path: string, init?: RequestInit) => Promise<Response>,
  username: string,
  password: string,
): Promise<Session> {
  const res = await request('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return {
    cookie,
    csrf: csrfToken,
    get: (path) => request(path, { headers: { cookie } }),
    send: (method, path, body) =>
      request(path, {
        method,
        headers: {
          cookie,
          'x-csrf-token': csrfToken,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }),
  };
}
