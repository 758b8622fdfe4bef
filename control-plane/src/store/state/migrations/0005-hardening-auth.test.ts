import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../../alerting/webhook.js';
import { splitStatements } from '../migrate.js';
import { allStateMigrations } from '../../../modules.js';

describe('migrations 5 (core) and 8 (network)', () => {
  it('keys pair states and pair alarms by org unit and pair id, and scopes pair ids by org unit', async () => {
    const db = new PGlite();
    const run = async (ids: number[]) => {
      for (const m of allStateMigrations().filter((x) => ids.includes(x.id)))
        for (const s of splitStatements(m.sql)) await db.query(s);
    };
    await run([1, 2, 3, 4]);
    await db.exec(`
      INSERT INTO org_units (id, level, name, path) VALUES ('sc', 'province', 'SC', '/sc/');
      INSERT INTO org_units (id, parent_id, level, name, path) VALUES ('sc-a', 'sc', 'city', 'A', '/sc/sc-a/'),
        ('sc-b', 'sc', 'city', 'B', '/sc/sc-b/');
      INSERT INTO sites (id, org_unit_id, name, kind) VALUES ('s', 'sc', 'S', 'node');
      INSERT INTO devices (id, site_id, org_unit_id, name, role, management_address) VALUES
        ('d1', 's', 'sc', 'D1', 'core', '10.0.0.1'), ('d2', 's', 'sc', 'D2', 'core', '10.0.0.2');
    `);
    const ifc = async (device: string, n: number) => {
      const id = `00000000-0000-4000-8000-00000000000${n}`;
      await db.query(
        `INSERT INTO interfaces (id, device_id, org_unit_id, if_index, name) VALUES ($1, $2, 'sc', $3, 'x')`,
        [id, device, n],
      );
      return id;
    };
    const link = async (n: number, orgUnitId: string, role: string) =>
      db.query(
        `INSERT INTO links (id, org_unit_id, a_device_id, a_interface_id, b_device_id, b_interface_id, level, role,
           plane, pair_id) VALUES ($1, $2, 'd1', $3, 'd2', $4, 'city', $5, 'A', 'up')`,
        [
          `10000000-0000-4000-8000-00000000000${n}`,
          orgUnitId,
          await ifc('d1', n),
          await ifc('d2', n + 5),
          role,
        ],
      );
    await link(1, 'sc-a', 'primary');
    await db.query(`INSERT INTO pair_state (pair_id, state, updated_at) VALUES ('up', '{}', now())`);
    await db.query(
      `INSERT INTO alarms (fingerprint, kind, severity, state, org_unit_id, target_type, target_id, summary,
         starts_at, last_seen_at) VALUES ($1, 'failed-over', 'major', 'firing', 'sc-a', 'pair', 'up', 's', now(), now())`,
      [fingerprintOf('failed-over', 'pair', 'up')],
    );
    // Before: another city cannot use the same pair id and role.
    await expect(link(2, 'sc-b', 'primary')).rejects.toThrow(/unique/);
    await run([5, 8]);
    expect((await db.query<{ pair_id: string }>('SELECT pair_id FROM pair_state')).rows).toEqual([
      { pair_id: 'sc-a/up' },
    ]);
    const alarm = (await db.query<{ target_id: string; fingerprint: string }>('SELECT * FROM alarms'))
      .rows[0]!;
    expect(alarm.target_id).toBe('sc-a/up');
    expect(alarm.fingerprint).toBe(fingerprintOf('failed-over', 'pair', 'sc-a/up'));
    // After: the other city's pair of the same id is its own.
    await link(3, 'sc-b', 'primary');
    await expect(link(4, 'sc-a', 'primary')).rejects.toThrow(/unique/);
    await db.close();
  });
});
