import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SnmpCredentials } from '@tianshu/protocol';
import { ConflictError, InputError, NotFoundError, notAvailable } from '../errors.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import type { AuditLog } from '../auth/audit.js';
import { check, inTx, recordChange, requireOrgUnit } from '../inventory/common.js';
import { OrgUnitId, type OrgUnitService } from '../inventory/org-units.js';
import type { Queryable, StateStore } from '../store/state/index.js';
import type { Sealer } from '../auth/crypto.js';
import type { DeviceCheck } from '../inventory/devices.js';

const CredentialId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'credential ids are letters, digits, ".", "_" and "-"');

const V3Fields = {
  user: z.string().min(1).max(64),
  level: z.enum(['noAuthNoPriv', 'authNoPriv', 'authPriv']),
  authProtocol: z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']),
  authKey: z.string().min(8).max(256),
  privProtocol: z.enum(['des', 'aes', 'aes256b', 'aes256r']),
  privKey: z.string().min(8).max(256),
};

/** What an operator sends to create a credential: its id (the devices' `credentialRef`), scope and secrets. */
export const CredentialInput = z
  .object({
    id: CredentialId,
    orgUnitId: OrgUnitId,
    version: z.enum(['2c', '3']),
    community: z.string().min(1).max(128).optional(),
    user: V3Fields.user.optional(),
    level: V3Fields.level.optional(),
    authProtocol: V3Fields.authProtocol.optional(),
    authKey: V3Fields.authKey.optional(),
    privProtocol: V3Fields.privProtocol.optional(),
    privKey: V3Fields.privKey.optional(),
    /**
     * Org units below the owner whose devices (in their subtrees) may use this credential. Without a
     * grant only the owner's own devices can; the secrets still go only to agents enrolled at or
     * above the owner.
     */
    grants: z.array(OrgUnitId).max(100).optional(),
  })
  .strict();
export type CredentialInput = z.infer<typeof CredentialInput>;

/** A change: fields given replace the stored ones; the result must again be a complete credential. */
export const CredentialPatch = CredentialInput.omit({ id: true }).partial().strict();
export type CredentialPatch = z.infer<typeof CredentialPatch>;

/** The credentials file for the embedded lab (`snmpCredentialsFile`). */
export const CredentialsFile = z
  .object({ version: z.literal(1), credentials: z.array(CredentialInput) })
  .strict();
export type CredentialsFile = z.infer<typeof CredentialsFile>;

/** A credential as the API shows it: never a secret, only whether each secret is set. */
export interface CredentialView {
  id: string;
  orgUnitId: string;
  version: '2c' | '3';
  user: string | null;
  level: string | null;
  authProtocol: string | null;
  privProtocol: string | null;
  secrets: { community: boolean; authKey: boolean; privKey: boolean };
  /** Org units below the owner whose subtrees' devices may use the credential. */
  grants: string[];
  /** Devices that refer to this credential. */
  devices: number;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  org_unit_id: string;
  version: '2c' | '3';
  user_name: string | null;
  security_level: string | null;
  auth_protocol: string | null;
  priv_protocol: string | null;
  secret: string;
  created_at: Date;
  updated_at: Date;
  path: string;
  devices?: number | string;
  grants?: string[] | null;
}

/** The secret fields, sealed together as one JSON document. */
interface Secrets {
  community?: string | undefined;
  authKey?: string | undefined;
  privKey?: string | undefined;
}

const SELECT = `SELECT c.*, u.path,
  (SELECT count(*) FROM devices d WHERE d.snmp_credential_ref = c.id) AS devices,
  ARRAY(SELECT g.org_unit_id FROM snmp_credential_grants g WHERE g.credential_id = c.id ORDER BY g.org_unit_id) AS grants
  FROM snmp_credentials c JOIN org_units u ON u.id = c.org_unit_id`;

/** The associated data binding a sealed value to its credential. */
const context = (id: string) => `snmp_credentials:${id}`;

/**
 * SNMP credentials referred to by `devices.snmp.credentialRef`. Secrets are write-only through the
 * API: they are sealed at rest (see `crypto.ts`) and opened only to build an edge agent's config.
 */
export class SnmpCredentialService {
  constructor(
    private readonly deps: { db: StateStore; audit: AuditLog; orgUnits: OrgUnitService; box: Sealer },
  ) {}

  private view(r: Row): CredentialView {
    const s = this.secrets(r);
    return {
      id: r.id,
      orgUnitId: r.org_unit_id,
      version: r.version,
      user: r.user_name,
      level: r.security_level,
      authProtocol: r.auth_protocol,
      privProtocol: r.priv_protocol,
      secrets: { community: !!s.community, authKey: !!s.authKey, privKey: !!s.privKey },
      grants: r.grants ?? [],
      devices: Number(r.devices ?? 0),
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  private secrets(r: Pick<Row, 'id' | 'secret'>): Secrets {
    return JSON.parse(this.deps.box.open(r.secret, context(r.id))) as Secrets;
  }

  /** The credential in the form the edge agent uses; the secrets are opened here. */
  wire(
    r: Pick<
      Row,
      'id' | 'secret' | 'version' | 'user_name' | 'security_level' | 'auth_protocol' | 'priv_protocol'
    >,
  ): SnmpCredentials {
    const s = this.secrets(r);
    if (r.version === '2c') return { version: '2c', community: s.community ?? '' };
    return SnmpCredentials.parse({
      version: '3',
      user: r.user_name,
      level: r.security_level ?? 'noAuthNoPriv',
      ...(r.auth_protocol ? { authProtocol: r.auth_protocol } : {}),
      ...(s.authKey ? { authKey: s.authKey } : {}),
      ...(r.priv_protocol ? { privProtocol: r.priv_protocol } : {}),
      ...(s.privKey ? { privKey: s.privKey } : {}),
    });
  }

  async list(identity: Identity): Promise<CredentialView[]> {
    requirePermission(identity, 'network:write');
    const r = await this.deps.db.query<Row>(`${SELECT} WHERE u.path LIKE $1 ORDER BY c.id`, [
      identity.orgUnitPath + '%',
    ]);
    return r.rows.map((x) => this.view(x));
  }

  async get(identity: Identity, id: string, tx?: Queryable): Promise<CredentialView> {
    requirePermission(identity, 'network:write');
    return this.view(await this.row(identity, id, tx ?? this.deps.db));
  }

  async create(identity: Identity, raw: CredentialInput, tx?: Queryable): Promise<CredentialView> {
    requirePermission(identity, 'network:write');
    const v = check(CredentialInput, raw, 'SNMP credential');
    const wire = complete(v);
    return inTx(this.deps.db, tx, async (q) => {
      const ownerPath = await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q);
      const grants = await this.checkGrants(identity, ownerPath, v.grants ?? [], q);
      const exists = await q.query('SELECT 1 FROM snmp_credentials WHERE id = $1', [v.id]);
      if (exists.rowCount > 0) throw notAvailable('id', `SNMP credential id "${v.id}"`);
      const cols = this.columns(v.id, wire);
      await q.query(
        `INSERT INTO snmp_credentials (id, org_unit_id, version, user_name, security_level, auth_protocol,
           priv_protocol, secret) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [v.id, v.orgUnitId, ...cols],
      );
      await this.writeGrants(v.id, grants, q);
      await recordChange(this.deps.audit, identity, q, 'snmp-credential', 'create', v.id, v.orgUnitId, {
        version: wire.version,
        ...(wire.version === '3' ? { user: wire.user, level: wire.level } : {}),
        grants,
      });
      return this.view(await this.row(identity, v.id, q));
    });
  }

  async update(
    identity: Identity,
    id: string,
    raw: CredentialPatch,
    tx?: Queryable,
  ): Promise<CredentialView> {
    requirePermission(identity, 'network:write');
    const v = check(CredentialPatch, raw, 'SNMP credential patch');
    return inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      const old = this.wire(before);
      const { grants: newGrants, ...fields } = v;
      const merged: CredentialInput = {
        id,
        orgUnitId: v.orgUnitId ?? before.org_unit_id,
        ...(v.version && v.version !== old.version ? {} : old),
        ...stripUndefined(fields),
        version: v.version ?? old.version,
      } as CredentialInput;
      const wire = complete(check(CredentialInput, merged, 'SNMP credential'));
      const ownerPath = v.orgUnitId
        ? await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q)
        : before.path;
      const grants = await this.checkGrants(identity, ownerPath, newGrants ?? before.grants ?? [], q);
      await q.query(
        `UPDATE snmp_credentials SET org_unit_id = $2, version = $3, user_name = $4, security_level = $5,
           auth_protocol = $6, priv_protocol = $7, secret = $8, updated_at = now() WHERE id = $1`,
        [id, merged.orgUnitId, ...this.columns(id, wire)],
      );
      await this.writeGrants(id, grants, q);
      await this.assertStillUsable(id, q);
      await recordChange(this.deps.audit, identity, q, 'snmp-credential', 'update', id, merged.orgUnitId, {
        // Which fields changed, never their values.
        fields: Object.keys(stripUndefined(v)),
        grants,
      });
      return this.view(await this.row(identity, id, q));
    });
  }

  async remove(identity: Identity, id: string): Promise<void> {
    requirePermission(identity, 'network:write');
    await this.deps.db.transaction(async (q) => {
      const before = await this.row(identity, id, q);
      const used = await q.query<{ id: string }>(
        'SELECT id FROM devices WHERE snmp_credential_ref = $1 ORDER BY id LIMIT 6',
        [id],
      );
      if (used.rowCount > 0) {
        const ids = used.rows.map((d) => d.id);
        throw new ConflictError(
          `SNMP credential "${id}" is still used by devices ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ' and more' : ''}; change them first`,
          { code: 'credential.in_use' },
        );
      }
      await q.query('DELETE FROM snmp_credentials WHERE id = $1', [id]);
      await recordChange(this.deps.audit, identity, q, 'snmp-credential', 'delete', id, before.org_unit_id);
    });
  }

  /**
   * Loads a credentials file (embedded lab): creates missing credentials and updates those whose
   * content differs, so loading the same file twice changes nothing.
   */
  async applyFile(identity: Identity, file: CredentialsFile): Promise<{ created: number; updated: number }> {
    let created = 0;
    let updated = 0;
    await this.deps.db.transaction(async (q) => {
      for (const c of file.credentials) {
        const r = await q.query<Row>(`${SELECT} WHERE c.id = $1`, [c.id]);
        const have = r.rows[0];
        if (!have) {
          await this.create(identity, c, q);
          created++;
          continue;
        }
        const want = complete(c);
        if (
          have.org_unit_id !== c.orgUnitId ||
          JSON.stringify([...(c.grants ?? [])].sort()) !== JSON.stringify(have.grants ?? []) ||
          JSON.stringify(sorted(this.wire(have))) !== JSON.stringify(sorted(want))
        ) {
          const { id: _id, ...patch } = c;
          await this.update(identity, c.id, patch, q);
          updated++;
        }
      }
    });
    return { created, updated };
  }

  /**
   * Grants name org units strictly below the owner (and so in the caller's scope when the owner is);
   * a unit outside that subtree is answered as absent.
   */
  private async checkGrants(
    identity: Identity,
    ownerPath: string,
    grants: readonly string[],
    q: Queryable,
  ): Promise<string[]> {
    const unique = [...new Set(grants)].sort();
    for (const g of unique) {
      const path = await requireOrgUnit(this.deps.orgUnits, identity, g, q, 'grants');
      if (path === ownerPath || !path.startsWith(ownerPath)) {
        throw new InputError(
          `grants: org unit "${g}" is not below the credential's org unit; grant only to units beneath the owner`,
          { code: 'credential.grant_outside' },
        );
      }
    }
    return unique;
  }

  private async writeGrants(id: string, grants: readonly string[], q: Queryable): Promise<void> {
    await q.query('DELETE FROM snmp_credential_grants WHERE credential_id = $1', [id]);
    for (const g of grants) {
      await q.query('INSERT INTO snmp_credential_grants (credential_id, org_unit_id) VALUES ($1, $2)', [
        id,
        g,
      ]);
    }
  }

  /** A change may not take the credential away from devices that use it. */
  private async assertStillUsable(id: string, q: Queryable): Promise<void> {
    const r = await q.query<{ id: string; path: string }>(
      `SELECT d.id, u.path FROM devices d JOIN org_units u ON u.id = d.org_unit_id
        WHERE d.snmp_credential_ref = $1 ORDER BY d.id`,
      [id],
    );
    const lost: string[] = [];
    for (const d of r.rows) if (!(await credentialUsable(q, id, d.path))) lost.push(d.id);
    if (lost.length) {
      // Devices using the credential are in its owner's subtree, so in the caller's scope.
      const shown = lost.slice(0, 5);
      throw new ConflictError(
        `SNMP credential "${id}" would no longer be usable by devices ${shown.join(', ')}${lost.length > 5 ? ' and more' : ''}; change them or keep their grant`,
        { code: 'credential.in_use' },
      );
    }
  }

  private columns(id: string, wire: SnmpCredentials): unknown[] {
    if (wire.version === '2c') {
      return [
        '2c',
        null,
        null,
        null,
        null,
        this.deps.box.seal(JSON.stringify({ community: wire.community }), context(id)),
      ];
    }
    const secrets: Secrets = { authKey: wire.authKey, privKey: wire.privKey };
    return [
      '3',
      wire.user,
      wire.level,
      wire.authProtocol ?? null,
      wire.privProtocol ?? null,
      this.deps.box.seal(JSON.stringify(secrets), context(id)),
    ];
  }

  private async row(identity: Identity, id: string, q: Queryable): Promise<Row> {
    const r = await q.query<Row>(`${SELECT} WHERE c.id = $1`, [id]);
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`SNMP credential "${id}" not found`);
    return row;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function sorted(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/** Checks that the input is a complete credential of its version (the wire schema's rules). */
function complete(v: CredentialInput): SnmpCredentials {
  const candidate =
    v.version === '2c'
      ? { version: '2c', community: v.community }
      : {
          version: '3',
          user: v.user,
          level: v.level,
          ...(v.authProtocol ? { authProtocol: v.authProtocol } : {}),
          ...(v.authKey ? { authKey: v.authKey } : {}),
          ...(v.privProtocol ? { privProtocol: v.privProtocol } : {}),
          ...(v.privKey ? { privKey: v.privKey } : {}),
        };
  if (v.version === '2c' && (v.user || v.level || v.authKey || v.privKey)) {
    throw new InputError('SNMP credential is not valid: a v2c credential has only a community');
  }
  if (v.version === '3' && v.community) {
    throw new InputError('SNMP credential is not valid: a v3 credential has no community');
  }
  return check(SnmpCredentials, candidate, 'SNMP credential');
}

/** Reads and validates a credentials file. */
export function loadCredentialsFile(path: string): CredentialsFile {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'), { uniqueKeys: true });
  } catch (err) {
    throw new InputError(`${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, {
      code: 'input.yaml',
    });
  }
  return check(CredentialsFile, doc, path);
}

/**
 * Whether devices of the org unit at `devicePath` may use the credential: it is the owner's own, or
 * the owner is above and has granted the credential to a unit on the way down to the device.
 */
export async function credentialUsable(
  q: Queryable,
  credentialId: string,
  devicePath: string,
): Promise<{ version: '2c' | '3'; ownerPath: string } | undefined> {
  const r = await q.query<{ version: '2c' | '3'; path: string; grants: string[] | null }>(
    `SELECT c.version, u.path,
        ARRAY(SELECT gu.path FROM snmp_credential_grants g JOIN org_units gu ON gu.id = g.org_unit_id
               WHERE g.credential_id = c.id) AS grants
       FROM snmp_credentials c JOIN org_units u ON u.id = c.org_unit_id WHERE c.id = $1`,
    [credentialId],
  );
  const c = r.rows[0];
  if (!c) return undefined;
  const usable =
    devicePath === c.path ||
    (devicePath.startsWith(c.path) && (c.grants ?? []).some((g) => devicePath.startsWith(g)));
  return usable ? { version: c.version, ownerPath: c.path } : undefined;
}

/**
 * The device rule the network module adds to inventory writes: a device may name only a credential
 * usable at its org unit (see {@link credentialUsable}) and of its SNMP version. A credential it may
 * not use is answered exactly as one that does not exist.
 */
export const credentialCheck: DeviceCheck = async (_identity, d, q) => {
  if (!d.snmp) return;
  const ref = d.snmp.credentialRef;
  const c = await credentialUsable(q, ref, d.path);
  if (!c) throw new NotFoundError(`snmp.credentialRef: SNMP credential "${ref}" not found`);
  if (c.version !== d.snmp.version) {
    throw new InputError(
      `snmp.version: SNMP credential "${ref}" is for SNMP v${c.version}, not v${d.snmp.version}`,
      { code: 'credential.version_mismatch' },
    );
  }
};
