import { allStateMigrations } from '../modules.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDatabase } from '../../../test/support/postgres.js';
import { AuditLog } from '../auth/audit.js';
import { systemIdentity } from '../auth/identity.js';
import { OrgUnitService } from '../inventory/org-units.js';
import { PostgresStateStore } from '../store/state/index.js';
import { startTestReceiver, testAlarmService, type TestReceiver } from './testing.js';
import type { AlarmCondition } from './types.js';

/** One control-plane replica: its own connection pool and services on the shared database. */
function replica(db: PostgresStateStore, receiver: TestReceiver) {
  const audit: AuditLog = new AuditLog(db, (id, tx) => orgUnits.pathOf(id, tx));
  const orgUnits: OrgUnitService = new OrgUnitService(db, () => audit);
  const svc = testAlarmService(
    { db, audit, orgUnits },
    {
      policy: {
        receivers: [{ name: 'noc', webhook: { url: receiver.url } }],
        routes: [{ receivers: ['noc'] }],
        groupWaitSeconds: 0,
      },
    },
  );
  return { db, orgUnits, alarms: svc.alarms };
}

let stores: PostgresStateStore[] = [];
let receiver: TestReceiver;
let replicas: ReturnType<typeof replica>[];

// A real PostgreSQL server (Debian's postgresql), started by the test run's global setup.
beforeAll(async () => {
  const url = await createDatabase(inject('postgresUrl'));
  stores = await Promise.all([1, 2].map(() => PostgresStateStore.open(url)));
  await stores[0]!.migrate(allStateMigrations());
  receiver = await startTestReceiver();
  replicas = stores.map((s) => replica(s, receiver));
  const system = systemIdentity();
  await replicas[0]!.orgUnits.create(system, { id: 'sc', level: 'province', name: 'Sichuan' });
  await replicas[0]!.orgUnits.create(system, { id: 'sc-cd', parentId: 'sc', level: 'city', name: 'Chengdu' });
});
afterAll(async () => {
  await receiver?.close();
  await Promise.all(stores.map((s) => s.close()));
});

const cond = (targetId: string): AlarmCondition => ({
  kind: 'redundancy-lost',
  severity: 'major',
  orgUnitId: 'sc-cd',
  targetType: 'pair',
  targetId,
  summary: `Pair ${targetId} has no working backup`,
});

describe('alarms on a PostgreSQL server shared by two replicas', () => {
  it('concurrent fires of one condition from both replicas open one firing alarm', async () => {
    for (let round = 0; round < 5; round++) {
      const target = `pair-${round}`;
      await Promise.all(Array.from({ length: 8 }, (_, i) => replicas[i % 2]!.alarms.fire(cond(target))));
      const r = await stores[0]!.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM alarms WHERE target_id = $1 AND state = 'firing'",
        [target],
      );
      expect(r.rows[0]!.n).toBe(1);
    }
    // Resolve and fire again from both sides: one resolved and one new firing alarm.
    await Promise.all([
      replicas[0]!.alarms.resolve('redundancy-lost', 'pair', 'pair-0'),
      replicas[1]!.alarms.resolve('redundancy-lost', 'pair', 'pair-0'),
    ]);
    await Promise.all([replicas[0]!.alarms.fire(cond('pair-0')), replicas[1]!.alarms.fire(cond('pair-0'))]);
    const states = await stores[0]!.query<{ state: string }>(
      "SELECT state FROM alarms WHERE target_id = 'pair-0' ORDER BY id",
    );
    expect(states.rows.map((r) => r.state)).toEqual(['resolved', 'firing']);
  });

  it('the database refuses a second firing row for a fingerprint', async () => {
    await expect(
      stores[0]!.query(
        `INSERT INTO alarms (fingerprint, kind, severity, state, org_unit_id, target_type, target_id, summary,
           starts_at, last_seen_at)
         SELECT fingerprint, kind, severity, 'firing', org_unit_id, target_type, target_id, summary, now(), now()
         FROM alarms WHERE target_id = 'pair-1' AND state = 'firing'`,
      ),
    ).rejects.toThrow(/alarms_firing_fingerprint_idx/);
  });

  it('both replicas delivering at once send each notification once', async () => {
    await stores[0]!.query('DELETE FROM alarms');
    receiver.requests.length = 0;
    for (let i = 0; i < 30; i++) {
      await replicas[i % 2]!.alarms.fire({
        ...cond(`p-${i}`),
        kind: i % 3 ? 'redundancy-lost' : 'failed-over',
      });
    }
    const reports = await Promise.all([
      replicas[0]!.alarms.deliver(),
      replicas[1]!.alarms.deliver(),
      replicas[0]!.alarms.deliver(),
      replicas[1]!.alarms.deliver(),
    ]);
    const ids = receiver.requests.flatMap((r) => r.body.alerts.map((a) => a.labels.target_id));
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(reports.reduce((n, r) => n + r.failed, 0)).toBe(0);
    const pending = await stores[0]!.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM alarm_deliveries WHERE status <> 'sent' OR claimed_by IS NOT NULL",
    );
    expect(pending.rows[0]!.n).toBe(0);
  });
});
