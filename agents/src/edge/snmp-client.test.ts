import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnmpSession, SnmpError, SnmpType } from './snmp-client.js';
import { startSnmpd } from './testing/snmpd.js';
import type { RunningSnmpd } from './testing/snmpd.js';
import { startHostileAgent } from './testing/hostile-agent.js';
import { EdgePoller } from './poller.js';
import { createJsonLogger } from '../runtime/logger.js';

const run = promisify(execFile);
const ifXTable = '1.3.6.1.2.1.31.1.1';
let snmpd: RunningSnmpd;

beforeAll(async () => {
  snmpd = await startSnmpd();
});
afterAll(async () => {
  await snmpd?.stop();
});

/** Runs snmpbulkwalk and returns its lines as `oid value` (enums and timeticks as numbers). */
async function snmpbulkwalk(oid: string): Promise<string[]> {
  const { stdout } = await run('snmpbulkwalk', [
    '-v2c',
    '-c',
    snmpd.community,
    '-On',
    '-Oe', // enums as numbers
    '-Oq', // "oid value" without the equals sign and the type
    '-Ot', // timeticks as numbers
    '-Cr50',
    `${snmpd.host}:${snmpd.port}`,
    oid,
  ]);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^\./, ''));
}

describe('net-snmp session against Debian snmpd', () => {
  it('walks ifXTable over v2c exactly like snmpbulkwalk (OIDs and values; counters may move)', async () => {
    const s = createSnmpSession(snmpd.v2cTarget());
    try {
      const mine = await s.walk(ifXTable, 50);
      const theirs = await snmpbulkwalk(ifXTable);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.map((v) => v.oid)).toEqual(theirs.map((l) => l.split(' ')[0]));
      // lo is always there.
      expect(mine.find((v) => v.oid === `${ifXTable}.1.1.1`)?.value).toEqual(Buffer.from('lo'));
      // Non-counter columns match value for value; octet counters only grow between the two walks.
      for (let i = 0; i < mine.length; i += 1) {
        const vb = mine[i]!;
        const other = theirs[i]!.slice(vb.oid.length + 1);
        if (vb.type === SnmpType.Counter64) {
          expect(typeof vb.value).toBe('bigint');
          expect(BigInt(other)).toBeGreaterThanOrEqual(vb.value as bigint);
        } else if (vb.type === SnmpType.Counter32) {
          expect(Number(other)).toBeGreaterThanOrEqual(vb.value as number);
        } else if (vb.type === SnmpType.OctetString) {
          expect(other.replace(/^"|"$/g, '')).toBe((vb.value as Buffer).toString('latin1'));
        } else {
          expect(other).toBe(String(vb.value));
        }
      }
    } finally {
      s.close();
    }
  });

  it('walks several columns at once with the same result as one walk per column', async () => {
    const s = createSnmpSession(snmpd.v2cTarget());
    try {
      const cols = ['1.3.6.1.2.1.31.1.1.1.1', '1.3.6.1.2.1.2.2.1.8', '1.3.6.1.2.1.31.1.1.1.15'];
      const together = await s.walkColumns(cols, 3);
      for (const [i, c] of cols.entries()) {
        const alone = await s.walk(c, 50);
        expect(together[i]!.map((v) => [v.oid, v.value])).toEqual(alone.map((v) => [v.oid, v.value]));
      }
    } finally {
      s.close();
    }
  });

  it('stops each column after maxRows rows, with the same first rows as a full walk', async () => {
    const s = createSnmpSession(snmpd.v2cTarget());
    try {
      // sysORTable's sysORID column (1.3.6.1.2.1.1.9.1.2) has a dozen rows on Debian's snmpd.
      const cols = ['1.3.6.1.2.1.1.9.1.2', '1.3.6.1.2.1.1.9.1.3'];
      const full = await s.walkColumns(cols, 50);
      expect(full[0]!.length).toBeGreaterThan(4);
      const bounded = await s.walkColumns(cols, 50, { maxRows: 3 });
      for (const [i, rows] of bounded.entries()) {
        expect(rows.map((v) => v.oid)).toEqual(full[i]!.slice(0, 3).map((v) => v.oid));
      }
    } finally {
      s.close();
    }
  });

  it('speaks v3 authPriv (SHA/AES)', async () => {
    const s = createSnmpSession(snmpd.v3Target());
    try {
      const [up, name] = await s.get(['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.5.0']);
      expect(up?.type).toBe(SnmpType.TimeTicks);
      expect(name?.type).toBe(SnmpType.OctetString);
      const rows = await s.walk('1.3.6.1.2.1.31.1.1.1.6', 10);
      expect(rows.every((r) => typeof r.value === 'bigint')).toBe(true);
    } finally {
      s.close();
    }
  });

  it('fails with a clear auth error for a wrong v3 key, and never shows the keys', async () => {
    const good = snmpd.v3Target();
    if (good.credentials.version !== '3') throw new Error('unreachable');
    const wrongKey = 'not-the-auth-key-42';
    const target = { ...good, credentials: { ...good.credentials, authKey: wrongKey } };
    const s = createSnmpSession(target);
    const err = (await s.get(['1.3.6.1.2.1.1.3.0']).catch((e: unknown) => e)) as SnmpError;
    s.close();
    expect(err).toBeInstanceOf(SnmpError);
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/authentication failed: wrong digest/);
    expect(err.message).not.toContain(wrongKey);
    expect(err.message).not.toContain(good.credentials.privKey!);

    const lines: string[] = [];
    const poller = new EdgePoller({
      logger: createJsonLogger({ level: 'debug', write: (l) => lines.push(l) }),
    });
    const p = await poller.pollDevice(target);
    expect(p).toMatchObject({ reachable: true, interfaces: [] });
    expect(p.error).toMatch(/^auth: /);
    expect(lines.length).toBeGreaterThan(0);
    const all = lines.join('') + JSON.stringify(p);
    for (const secret of [wrongKey, good.credentials.privKey!, good.credentials.authKey!]) {
      expect(all).not.toContain(secret);
    }
  });

  it('scrubs the community from library errors that quote it', async () => {
    // The responder answers with a different community; net-snmp's error text quotes ours.
    const agent = await startHostileAgent('wrong-community');
    const lines: string[] = [];
    try {
      const target = agent.target();
      const s = createSnmpSession(target);
      const err = (await s.get(['1.3.6.1.2.1.1.3.0']).catch((e: unknown) => e)) as SnmpError;
      s.close();
      expect(err.kind).toBe('auth');
      const poller = new EdgePoller({
        logger: createJsonLogger({ level: 'debug', write: (l) => lines.push(l) }),
      });
      const p = await poller.pollDevice(target);
      expect(p.error).toMatch(/community/);
      expect(`${err.message}${lines.join('')}${JSON.stringify(p)}`).not.toContain('hostile-secret');
    } finally {
      await agent.close();
    }
  });
});
