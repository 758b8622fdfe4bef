import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import type { PollTarget } from '@tianshu/protocol';
import { compareOidSuffix } from '../oid.js';
import type { ResponderValue } from './ber.js';
import { Tag, decodeRequest, encodeResponse } from './ber.js';

/** How a {@link HostileAgent} misbehaves. */
export type HostileMode =
  /** Answers correctly from its table (a control). */
  | 'honest'
  /** Never answers. */
  | 'silent'
  /** Sends the first half of a correct answer. */
  | 'truncated'
  /** Sends random bytes. */
  | 'garbage'
  /** Serves ifHCInOctets as OctetString. */
  | 'wrong-type'
  /** Answers every GETBULK with the same OID, forever. */
  | 'repeat'
  /** Answers a GETBULK with OIDs below the one asked for. */
  | 'backwards'
  /** Never leaves the subtree: every answer goes deeper below the OID asked for. */
  | 'endless'
  /** Answers with another community string. */
  | 'wrong-community';

/** A UDP SNMP v2c responder on 127.0.0.1 that answers with crafted BER, for hostile-input tests. */
export interface HostileAgent {
  mode: HostileMode;
  port: number;
  /** Requests received. */
  readonly requests: number;
  target(deviceId?: string, overrides?: Partial<PollTarget>): PollTarget;
  close(): Promise<void>;
}

type Entry = { oid: string; value: ResponderValue };

/** A tiny IF-MIB of `interfaces` rows, sorted by OID. */
export function smallIfMib(interfaces = 3, options: { hcInAsString?: boolean } = {}): Entry[] {
  const out: Entry[] = [];
  const col = (oid: string, f: (i: number) => ResponderValue): void => {
    for (let i = 1; i <= interfaces; i += 1) out.push({ oid: `${oid}.${i}`, value: f(i) });
  };
  out.push({ oid: '1.3.6.1.2.1.1.3.0', value: { type: 'timeticks', value: 12345 } });
  col('1.3.6.1.2.1.2.2.1.7', () => ({ type: 'int', value: 1 }));
  col('1.3.6.1.2.1.2.2.1.8', () => ({ type: 'int', value: 1 }));
  for (const c of [13, 14, 19, 20]) col(`1.3.6.1.2.1.2.2.1.${c}`, () => ({ type: 'counter32', value: 0 }));
  col('1.3.6.1.2.1.31.1.1.1.1', (i) => ({ type: 'string', value: `ge-0/0/${i}` }));
  col('1.3.6.1.2.1.31.1.1.1.6', (i) =>
    options.hcInAsString
      ? { type: 'string', value: `${i}000` }
      : { type: 'counter64', value: BigInt(i) * 1000n },
  );
  col('1.3.6.1.2.1.31.1.1.1.10', (i) => ({ type: 'counter64', value: BigInt(i) * 2000n }));
  col('1.3.6.1.2.1.31.1.1.1.15', () => ({ type: 'gauge32', value: 1000 }));
  col('1.3.6.1.2.1.31.1.1.1.18', () => ({ type: 'string', value: '' }));
  return out.sort((a, b) => compareOidSuffix(a.oid, b.oid));
}

function next(table: readonly Entry[], oid: string): Entry | undefined {
  return table.find((e) => compareOidSuffix(e.oid, oid) > 0);
}

/** Starts a hostile responder in the given mode. */
export async function startHostileAgent(
  mode: HostileMode,
  community = 'hostile-secret',
): Promise<HostileAgent> {
  const table = smallIfMib(3, { hcInAsString: mode === 'wrong-type' });
  const sock: Socket = createSocket('udp4');
  let requests = 0;
  let endlessCounter = 0;
  const served = new Set<string>();
  sock.on('message', (buf, rinfo) => {
    requests += 1;
    let req;
    try {
      req = decodeRequest(buf);
    } catch {
      return;
    }
    const reply = (vbs: Entry[], comm = req.community): void => {
      let out = encodeResponse(req.version, comm, req.requestId, vbs);
      if (mode === 'truncated') out = out.subarray(0, Math.floor(out.length / 2));
      sock.send(out, rinfo.port, rinfo.address);
    };
    if (mode === 'silent') return;
    if (mode === 'garbage') {
      const junk = Buffer.alloc(64);
      for (let i = 0; i < junk.length; i += 1) junk[i] = (i * 73 + requests * 29) & 0xff;
      junk[0] = 0x30;
      sock.send(junk, rinfo.port, rinfo.address);
      return;
    }
    if (req.pduType === Tag.GetRequest) {
      const vbs = req.oids.map(
        (oid) =>
          table.find((e) => e.oid === oid) ?? {
            oid,
            value: { type: 'raw', bytes: Buffer.from([0x80, 0]) } as const,
          },
      );
      reply(vbs, mode === 'wrong-community' ? `${community}-other` : req.community);
      return;
    }
    if (req.pduType !== Tag.GetBulkRequest) return;
    const maxRep = Math.max(1, Math.min(req.field3, 100));
    const vbs: Entry[] = [];
    const cursors = [...req.oids];
    for (let r = 0; r < maxRep; r += 1) {
      cursors.forEach((cur, i) => {
        let e: Entry;
        const one = { type: 'int', value: 1 } as const;
        if (mode === 'repeat') {
          // The first answer goes one level down; every later one repeats the OID already served.
          const oid = served.has(cur) ? cur : `${cur}.1`;
          served.add(oid);
          e = { oid, value: one };
        } else if (mode === 'backwards') {
          // Row 9 first, then row 5 of the same column: the walk would go back.
          const base = req.oids[i] as string;
          e = { oid: `${base}.${r === 0 ? 9 : 5}`, value: one };
        } else if (mode === 'endless') {
          endlessCounter += 1;
          e = { oid: `${req.oids[i] as string}.${endlessCounter}`, value: one };
        } else {
          e = next(table, cur) ?? { oid: cur, value: { type: 'endOfMibView' } };
        }
        vbs.push(e);
        cursors[i] = e.oid;
      });
    }
    reply(vbs);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => resolve());
  });
  const port = sock.address().port;
  return {
    mode,
    port,
    get requests() {
      return requests;
    },
    target: (deviceId = `hostile-${mode}`, overrides = {}) => ({
      deviceId,
      address: '127.0.0.1',
      port,
      credentials: { version: '2c', community },
      timeoutMs: 300,
      retries: 1,
      maxRepetitions: 10,
      ...overrides,
    }),
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
