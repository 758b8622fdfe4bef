import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportBatch } from '@tianshu/protocol';
import { MODULES } from '../modules.js';
import { FleetService, type AgentPrincipal } from '../fleet/service.js';
import { IngestService } from '../ingest/service.js';
import { Metrics } from '../observability/metrics.js';
import { openTestInventory, type TestInventory } from '../inventory/testing.js';
import { InputError } from '../errors.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import type { TelemetryStore } from '../store/telemetry/index.js';
import { defineModule, moduleRef, payloadKind, type ModuleDefinition } from './contract.js';
import { ModuleHost } from './host.js';
import { alertingModule, alarmsRef } from '../alerting/module.js';
import type { DefaultAlarmService } from '../alerting/service.js';
import { unavailableSealer } from '../auth/crypto.js';
import { ROLES } from '../../../agents/src/roles/index.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The non-test TypeScript files of a folder of control-plane/src. */
function sources(folder: string): { file: string; text: string }[] {
  return readdirSync(join(SRC, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.case.ts'))
    .map((f) => ({ file: `${folder}/${f}`, text: readFileSync(join(SRC, folder, f), 'utf8') }));
}

describe('the module contract', () => {
  it('leaves ingest, fleet and the scheduler without a module’s name, payload kind or import', () => {
    // The folders of the listed modules are found from their definitions' own files, so a new
    // module is covered without this test changing.
    const folders = new Set<string>();
    for (const entry of readdirSync(SRC, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(SRC, entry.name);
      const files = readdirSync(dir);
      if (files.includes('module.ts')) folders.add(entry.name);
    }
    expect([...folders].sort()).toEqual(expect.arrayContaining(['alerting', 'hosts', 'network']));
    const names = MODULES.map((m) => m.name);
    const kinds = MODULES.flatMap((m) => Object.keys(m.payloads ?? {}));
    expect(kinds).toEqual(expect.arrayContaining(['host-metrics', 'interface-poll', 'discovery']));
    const found: string[] = [];
    for (const { file, text } of [...sources('ingest'), ...sources('fleet'), ...sources('scheduler')]) {
      for (const m of text.matchAll(/from\s+'([^']+)'/g)) {
        const target = m[1]!;
        if (!target.startsWith('.')) continue;
        const top = resolve(join(SRC, dirname(file)), target)
          .slice(SRC.length + 1)
          .split('/')[0]!;
        if (folders.has(top)) found.push(`${file} imports ${target}`);
      }
      for (const m of text.matchAll(/'([^'\n]*)'|"([^"\n]*)"|`([^`\n]*)`/g)) {
        const literal = m[1] ?? m[2] ?? m[3] ?? '';
        if ([...names, ...kinds].includes(literal)) found.push(`${file} names "${literal}"`);
      }
      for (const name of names) {
        if (new RegExp(`\\b${name}(Service|Module|Batch)\\b`, 'i').test(text))
          found.push(`${file} uses ${name}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('has a module storing every payload kind an agent role reports, and startAgent names no role', () => {
    const claimed = new Set(MODULES.flatMap((m) => Object.keys(m.payloads ?? {})));
    for (const role of ROLES)
      for (const kind of role.payloadKinds) expect(claimed, `${role.name}: ${kind}`).toContain(kind);
    const agent = readFileSync(join(SRC, '../../agents/src/agent.ts'), 'utf8');
    // Type imports of the embedding options are allowed; code from a role's folder is not.
    const valueImports = [...agent.matchAll(/^import (?!type )[^\n]*from '\.\/(host|edge|lab)\//gm)].map(
      (m) => m[0],
    );
    expect(valueImports).toEqual([]);
    for (const role of ROLES) expect(agent).not.toMatch(new RegExp(`roles\\.includes\\('${role.name}'\\)`));
  });

  it('checks a module list: unique names, payload kinds and policy files', () => {
    const a = defineModule({
      name: 'alpha',
      create: () => ({}),
      payloads: { 'x-kind': payloadKind({ prepare: async () => 0 }) },
    });
    const b = defineModule({
      name: 'beta',
      create: () => ({}),
      payloads: { 'x-kind': payloadKind({ prepare: async () => 0 }) },
    });
    expect(() => new ModuleHost([a, a])).toThrow(/module "alpha" is listed twice/);
    expect(() => new ModuleHost([a, b])).toThrow(
      /payload kind "x-kind" is claimed by modules "alpha" and "beta"/,
    );
    expect(() => defineModule({ name: 'Bad Name', create: () => ({}) })).toThrow(/lowercase/);
    const late = defineModule({ name: 'late', create: (d) => d.use(moduleRef<unknown>('beta')) });
    expect(() => new ModuleHost([late, b]).create({} as never)).toThrow(
      /module "beta" is not created \(yet\)/,
    );
    const badJob = defineModule({
      name: 'gamma',
      create: () => ({}),
      jobs: () => [{ name: 'other.job', everyMillis: 60_000, run: async () => undefined }],
    });
    const host = new ModuleHost([badJob]);
    host.create({} as never);
    expect(() => host.jobs()).toThrow(/job "other.job" must be named "gamma.<job>"/);
  });

  describe('a module added to the list', () => {
    let t: TestInventory;
    const stored: { payload: unknown; token: string }[] = [];
    const applied: unknown[] = [];
    let section = { level: 1 };

    /** A module of the kind later issues add: a payload kind, a config section, a job, figures. */
    const probe: ModuleDefinition<{ runs: number }> = defineModule({
      name: 'probe',
      create: () => ({ runs: 0 }),
      payloads: {
        'probe-sample': payloadKind<
          { runs: number },
          { kind: string; value: number },
          { agent: string; values: number[] }
        >({
          prepare: async (_svc, agent, payloads) => {
            if (payloads.some((p) => p.value < 0)) throw new InputError('probe values are never negative');
            return { agent: agent.agentId, values: payloads.map((p) => p.value) };
          },
          store: async (_svc, _batch, payload, token) => {
            stored.push({ payload, token });
            return 1;
          },
          apply: async (_svc, batch) => {
            applied.push(batch);
          },
        }),
      },
      agentConfig: async (_svc, agent) => (agent.roles.includes('edge') ? { probe: section } : undefined),
      jobs: (svc) => [{ name: 'probe.tick', everyMillis: 60_000, run: async () => void svc.runs++ }],
      overview: async (svc) => ({ runs: svc.runs }),
    });

    let host: ModuleHost;
    let fleet: FleetService;
    let ingest: IngestService;
    const agent: AgentPrincipal = {
      agentId: '00000000-0000-4000-8000-000000000001',
      hostname: 'edge-1',
      orgUnitId: 'sc',
      orgUnitPath: '/sc/',
      roles: ['edge'],
    };

    beforeAll(async () => {
      t = await openTestInventory();
      const config = loadConfig({ env: {}, overrides: { dataDir: '/nonexistent', logLevel: 'silent' } });
      host = new ModuleHost([MODULES[0], probe]);
      fleet = new FleetService({
        db: t.db,
        audit: t.audit,
        orgUnits: t.orgUnits,
        config: config.fleet,
        sections: (a) => host.agentConfig(a),
      });
      host.create({
        config,
        log: createLogger('silent'),
        db: t.db,
        telemetry: { insertJsonEachRow: async () => undefined } as unknown as TelemetryStore,
        metrics: new Metrics(),
        policies: undefined as never,
        audit: t.audit,
        orgUnits: t.orgUnits,
        inventory: t.inventory,
        fleet,
        sealer: unavailableSealer('no key in this test'),
        sealerProblem: 'no key in this test',
      });
      await t.db.query(
        `INSERT INTO agents (id, hostname, org_unit_id, roles, credential_hash, version)
         VALUES ($1, 'edge-1', 'sc', ARRAY['edge'], 'x', '0.1.0')`,
        [agent.agentId],
      );
      ingest = new IngestService({ db: t.db, fleet, metrics: new Metrics(), payloads: host });
    });
    afterAll(async () => {
      await t?.close();
    });

    const batch = (values: number[]): ReportBatch =>
      ({
        batchId: crypto.randomUUID(),
        sequence: 1,
        createdAt: new Date().toISOString(),
        payloads: values.map((value) => ({ kind: 'probe-sample', value })),
      }) as unknown as ReportBatch;

    it('stores its payloads once each with a token per payload, applies once, and refuses a bad batch whole', async () => {
      const b = batch([3, 4]);
      expect(await ingest.store(agent, b)).toMatchObject({ duplicate: false });
      expect(stored.map((s) => s.token)).toEqual([`${b.batchId}:0`, `${b.batchId}:1`]);
      expect(applied).toEqual([{ agent: agent.agentId, values: [3, 4] }]);
      expect(await ingest.store(agent, b)).toMatchObject({ duplicate: true });
      expect(stored).toHaveLength(2);
      await expect(ingest.store(agent, batch([5, -1]))).rejects.toThrow(/never negative/);
      expect(stored).toHaveLength(2);
      await expect(
        ingest.store(agent, { ...batch([1]), payloads: [{ kind: 'nobody-stores-this' }] } as never),
      ).rejects.toThrow(/payload kind "nobody-stores-this" is not handled/);
    });

    it('puts its section in the agent config and changes the version with it', async () => {
      const before = await fleet.configFor(agent);
      expect(before).toMatchObject({ probe: { level: 1 }, host: { enabled: true } });
      section = { level: 2 };
      const after = await fleet.configFor(agent);
      expect(after.configVersion).not.toBe(before.configVersion);
      expect(
        (await fleet.configFor({ ...agent, roles: ['host'] })) as Record<string, unknown>,
      ).not.toHaveProperty('probe');
    });

    it('declares its alarm domain to the alerting module without alerting naming it', async () => {
      const withAlarms = defineModule({
        name: 'probe',
        create: () => ({}),
        alarmDomains: [{ name: 'probe', kindPrefixes: ['probe-'], writePermission: 'quotas:approve' }],
      });
      const h = new ModuleHost([alertingModule, withAlarms]);
      const config = loadConfig({ env: {}, overrides: { dataDir: '/nonexistent', logLevel: 'silent' } });
      h.create({
        config,
        log: createLogger('silent'),
        db: t.db,
        telemetry: undefined as never,
        metrics: new Metrics(),
        policies: undefined as never,
        audit: t.audit,
        orgUnits: t.orgUnits,
        inventory: t.inventory,
        fleet,
        sealer: unavailableSealer('no key in this test'),
        sealerProblem: 'no key in this test',
      });
      expect((h.use(alarmsRef) as DefaultAlarmService).domains.map((d) => d.name)).toEqual(['probe']);
      // In the real list, the network, flows, security and quotas modules' domains reach alerting the same way.
      expect(MODULES.flatMap((m) => m.alarmDomains ?? []).map((d) => d.name)).toEqual([
        'network',
        'flows',
        'security',
        'quotas',
      ]);
    });

    it('contributes its jobs and overview figures', async () => {
      const jobs = host.jobs();
      expect(jobs.map((j) => j.name)).toEqual(['probe.tick']);
      await jobs[0]!.run();
      expect(await host.overview(t.system)).toEqual({ probe: { runs: 1 } });
    });
  });
});
