import type { PollTarget } from '@tianshu/protocol';
import { compareOidSuffix } from '../oid.js';
import type { SnmpSession, SnmpSessionFactory, Varbind, WalkColumnsOptions } from '../snmp-client.js';
import { SnmpType } from '../snmp-client.js';

/** A test double of {@link SnmpSession} over a fixed list of varbinds (any order). */
export class FakeSnmpSession implements SnmpSession {
  readonly #table: Varbind[];
  varbindsReceived = 0;
  closed = false;

  constructor(varbinds: readonly Varbind[]) {
    this.#table = [...varbinds].sort((a, b) => compareOidSuffix(a.oid, b.oid));
  }

  async get(oids: readonly string[]): Promise<Varbind[]> {
    return oids.map(
      (oid) => this.#table.find((v) => v.oid === oid) ?? { oid, type: SnmpType.NoSuchObject, value: null },
    );
  }

  async walk(baseOid: string): Promise<Varbind[]> {
    const rows = this.#table.filter((v) => v.oid.startsWith(`${baseOid}.`));
    this.varbindsReceived += rows.length;
    return rows;
  }

  /** Calls of {@link walkColumns} so far (one per group of columns), for tests that count them. */
  walkCalls = 0;

  async walkColumns(
    baseOids: readonly string[],
    _maxRepetitions?: number,
    options: WalkColumnsOptions = {},
  ): Promise<Varbind[][]> {
    this.walkCalls += 1;
    const max = options.maxRows ?? Infinity;
    return Promise.all(baseOids.map(async (b) => (await this.walk(b)).slice(0, max)));
  }

  close(): void {
    this.closed = true;
  }
}

/** A session factory handing out fake sessions per device id. */
export function fakeSessionFactory(byDevice: Record<string, readonly Varbind[]>): SnmpSessionFactory {
  return (target: PollTarget) => new FakeSnmpSession(byDevice[target.deviceId] ?? []);
}

/** Shorthands for building varbinds in tests. */
export const vb = {
  str: (oid: string, s: string | Buffer): Varbind => ({
    oid,
    type: SnmpType.OctetString,
    value: Buffer.isBuffer(s) ? s : Buffer.from(s),
  }),
  int: (oid: string, n: number): Varbind => ({ oid, type: SnmpType.Integer, value: n }),
  gauge: (oid: string, n: number): Varbind => ({ oid, type: SnmpType.Gauge32, value: n }),
  c32: (oid: string, n: number): Varbind => ({ oid, type: SnmpType.Counter32, value: n }),
  c64: (oid: string, n: bigint): Varbind => ({ oid, type: SnmpType.Counter64, value: n }),
  ticks: (oid: string, n: number): Varbind => ({ oid, type: SnmpType.TimeTicks, value: n }),
  oid: (oid: string, v: string): Varbind => ({ oid, type: SnmpType.ObjectIdentifier, value: v }),
};
