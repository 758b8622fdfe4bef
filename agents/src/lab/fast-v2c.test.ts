import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PollTarget } from '@tianshu/protocol';
import { EdgeDiscovery } from '../edge/discovery.js';
import { EdgePoller } from '../edge/poller.js';
import { berInt, berNull, berOctets, berOid, berSequence, tlv } from '../edge/testing/ber.js';
import { maxMessageSize } from './fast-v2c.js';
import { startLab, type Lab, type LabRouterInfo } from './lab.js';

// The fast SNMPv2c responder against the net-snmp agent it stands in for: two labs of the same
// inventory and scenario on the same frozen clock, one answering with net-snmp, one with the fast
// responder. Debian's snmpget/snmpbulkwalk/snmpwalk, the edge agent's poller and discovery, and raw
// requests byte for byte must see the same answers from both.

const run = promisify(execFile);

const itf = (ifIndex: number, name: string, speedMbps = 1000, alias = '') => ({
  ifIndex,
  name,
  speedMbps,
  ...(alias ? { alias } : {}),
});
const inventory = {
  devices: [
    {
      id: 'full',
      vendor: 'Huawei',
      model: 'S5735',
      managementAddress: '127.0.0.1',
      interfaces: [
        itf(1, 'GE0/0/1', 1000, 'to old32'),
        itf(2, 'GE0/0/2', 10000, '上联 核心'),
        itf(10, 'GE0/0/10'),
      ],
    },
    {
      id: 'old32',
      managementAddress: '127.0.0.1',
      interfaces: [itf(1, 'Fa0/1', 100), itf(2, 'Fa0/2', 100)],
    },
    { id: 'nouptime', managementAddress: '127.0.0.1', interfaces: [itf(1, 'eth0')] },
    { id: 'nosystem', managementAddress: '127.0.0.1', interfaces: [itf(1, 'eth0')] },
    {
      id: 'big',
      managementAddress: '127.0.0.1',
      interfaces: Array.from({ length: 600 }, (_, k) =>
        itf(k + 1, `GigabitEthernet1/0/${k + 1}`, 1000, `port ${k + 1}`),
      ),
    },
  ],
  links: [
    { a: { device: 'full', ifIndex: 1 }, b: { device: 'old32', ifIndex: 1 }, level: 'county' },
    { a: { device: 'full', ifIndex: 2 }, b: { device: 'nouptime', ifIndex: 1 }, level: 'county' },
  ],
};
const scenario = {
  devices: {
    old32: { ifXTable: false },
    nouptime: { sysUpTime: 'noSuchInstance' as const },
    nosystem: { systemGroup: false, entityMib: false },
  },
};
const deviceIds = inventory.devices.map((d) => d.id);

let now = Date.UTC(2026, 10, 3, 9, 30, 0);
let slow: Lab;
let fast: Lab;
const router = (lab: Lab, id: string): LabRouterInfo => lab.routers.find((r) => r.deviceId === id)!;

beforeAll(async () => {
  const clock = () => now;
  slow = await startLab({ inventory, scenario, portOverride: 0, clock });
  fast = await startLab({ inventory, scenario, portOverride: 0, clock, fastV2c: true });
  // Let some traffic flow on the frozen clock.
  now += 3_600_000;
});
afterAll(async () => {
  await slow?.stop();
  await fast?.stop();
});

/** Runs an SNMP tool against the device in both labs; returns both outputs. */
async function both(name: string, id: string, options: string[], oids: string[]): Promise<[string, string]> {
  const go = async (lab: Lab) => {
    const r = router(lab, id);
    const { stdout } = await run(
      name,
      ['-v2c', '-c', 'public', '-On', '-t', '2', '-r', '1', ...options, `${r.address}:${r.port}`, ...oids],
      { timeout: 20_000, maxBuffer: 64 << 20 },
    );
    return stdout;
  };
  return [await go(slow), await go(fast)];
}

/** Sends one datagram to a router and resolves with the answer (null after 1.5 s). */
function exchange(r: LabRouterInfo, msg: Buffer): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(null);
    }, 1500);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(msg, r.port, r.address);
  });
}

function request(pdu: number, oids: string[], f2 = 0, f3 = 0, community = 'public', version = 1): Buffer {
  const vbs = berSequence(...oids.map((o) => berSequence(berOid(o), berNull())));
  return berSequence(
    berInt(version),
    berOctets(community),
    tlv(pdu, Buffer.concat([berInt(0x1234567), berInt(f2), berInt(f3), vbs])),
  );
}
const GET = 0xa0;
const GETNEXT = 0xa1;
const GETBULK = 0xa5;

/** The varbinds of a response: OID, tag and content bytes (hex). */
function varbinds(msg: Buffer): { oid: string; tag: number; hex: string }[] {
  let at = 0;
  const node = () => {
    const tag = msg[at] as number;
    let len = msg[at + 1] as number;
    let start = at + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (msg[start + i] as number);
      start += n;
    }
    return { tag, start, end: start + len };
  };
  const enter = () => {
    const n = node();
    at = n.start;
    return n;
  };
  const skip = () => {
    const n = node();
    at = n.end;
    return n;
  };
  enter(); // message
  skip(); // version
  skip(); // community
  enter(); // pdu
  skip();
  skip();
  skip();
  const list = enter();
  const out: { oid: string; tag: number; hex: string }[] = [];
  while (at < list.end) {
    const vb = enter();
    const o = skip();
    const arcs: number[] = [];
    let v = 0;
    for (let i = o.start; i < o.end; i++) {
      const b = msg[i] as number;
      v = v * 128 + (b & 0x7f);
      if (!(b & 0x80)) {
        if (arcs.length === 0)
          arcs.push(Math.min(2, Math.floor(v / 40)), v - 40 * Math.min(2, Math.floor(v / 40)));
        else arcs.push(v);
        v = 0;
      }
    }
    const val = skip();
    out.push({ oid: arcs.join('.'), tag: val.tag, hex: msg.subarray(val.start, val.end).toString('hex') });
    at = vb.end;
  }
  return out;
}

const probes = [
  '1.3.6.1.2.1.1.3.0',
  '1.3.6.1.2.1.1.1.0',
  '1.3.6.1.2.1.1.2.0',
  '1.3.6.1.2.1.1.5.0',
  '1.3.6.1.2.1.1.1',
  '1.3.6.1.2.1.1',
  '1.3.6.1.2.1.2.2.1.5.99',
  '1.3.6.1.2.1.2.2.1.12.1',
  '1.3.6.1.2.1.2.2.1.8.1',
  '1.3.6.1.2.1.2.2.1.10.2',
  '1.3.6.1.2.1.2.2.1.6.1',
  '1.3.6.1.2.1.31.1.1.1.6.1',
  '1.3.6.1.2.1.31.1.1.1.10.2',
  '1.3.6.1.2.1.31.1.1.1.18.2',
  '1.3.6.1.2.1.47.1.1.1.1.2.1',
  '1.3.6.1.2.1.47.1.1.1.1.6.1',
  '1.3.6.1.2.1.47.1.1.1.1.1.1',
  '1.3.6.1.2.1.99.0',
  '1.3.6.1.2.1.2.2',
  '1.0.8802.1.1.2.1.3.2.0',
  '1.0.8802.1.1.2.1.4.1.1.9',
  '1.0.8802.1.1.2.1.4.1.1.9.0.1.1',
  '1.3.6.1.4.1.9.9',
  '1.3',
  '0.0',
];

describe('the fast v2c responder answers as the net-snmp agent does', () => {
  it('GET and GETNEXT of every probe, byte for byte, on every device', async () => {
    for (const id of deviceIds) {
      for (const pdu of [GET, GETNEXT]) {
        for (const oid of probes) {
          const msg = request(pdu, [oid]);
          const [a, b] = [await exchange(router(slow, id), msg), await exchange(router(fast, id), msg)];
          expect(a, `${id} ${pdu.toString(16)} ${oid} from net-snmp`).not.toBeNull();
          expect(b?.toString('hex'), `${id} ${pdu.toString(16)} ${oid}`).toBe(a?.toString('hex'));
        }
        // All probes in one request.
        const msg = request(pdu, probes);
        const [a, b] = [await exchange(router(slow, id), msg), await exchange(router(fast, id), msg)];
        expect(b?.toString('hex'), `${id} ${pdu.toString(16)} all probes`).toBe(a?.toString('hex'));
      }
    }
    // The fast lab's answers came from the fast responder, not from net-snmp behind it.
    const stats = fast.fastV2cStats('full')!;
    expect(stats.answered).toBeGreaterThanOrEqual(2 * (probes.length + 1));
    expect(stats.declined).toBe(0);
    expect(slow.fastV2cStats('full')).toBeNull();
  });

  it('a GETBULK with one repeater, byte for byte, up to and past the end of the MIB', async () => {
    for (const id of deviceIds) {
      for (const [oid, maxRep] of [
        ['1.3.6.1.2.1.2.2.1.10', 3],
        ['1.3.6.1.2.1.1', 12],
        ['1.0.8802.1.1.2.1.4', 20],
        ['1.3.6.1.2.1.2.2.1.8', 1],
        ['1.3.6.1.2.1.47.1.1.1.1.14', 5],
        ['1.3.6.1.2.1.31.1.1.1.18', 6],
        ['1.3.6.1.2.1.2.2.1.20', 4],
        ['1.3.6.1.4', 3],
        ['1.3.6.1.2.1.47.1.1.1.1.16.1', 2],
      ] as const) {
        const msg = request(GETBULK, [oid], 0, maxRep);
        const [a, b] = [await exchange(router(slow, id), msg), await exchange(router(fast, id), msg)];
        expect(b?.toString('hex'), `${id} bulk ${oid} ×${maxRep}`).toBe(a?.toString('hex'));
      }
    }
  });

  it('GETBULK follows RFC 3416: non-repeaters, then max-repetitions rows of the repeaters', async () => {
    const r = router(fast, 'full');
    const oids = ['1.3.6.1.2.1.1.3', '1.3.6.1.2.1.2.2.1.8', '1.3.6.1.2.1.31.1.1.1.6'];
    const vbs = varbinds((await exchange(r, request(GETBULK, oids, 1, 2)))!);
    expect(vbs.map((v) => v.oid)).toEqual([
      '1.3.6.1.2.1.1.3.0',
      '1.3.6.1.2.1.2.2.1.8.1',
      '1.3.6.1.2.1.31.1.1.1.6.1',
      '1.3.6.1.2.1.2.2.1.8.2',
      '1.3.6.1.2.1.31.1.1.1.6.2',
    ]);
    // Every answer equals a GETNEXT's from the net-snmp agent.
    for (const [i, from] of [oids[0], oids[1], oids[2], vbs[1]!.oid, vbs[2]!.oid].entries()) {
      const expected = varbinds((await exchange(router(slow, 'full'), request(GETNEXT, [from!])))!)[0];
      expect(vbs[i], `varbind ${i + 1}`).toEqual(expected);
    }
    // max-repetitions 0: the non-repeaters only; non-repeaters beyond the list: all non-repeaters.
    expect(varbinds((await exchange(r, request(GETBULK, oids, 1, 0)))!)).toHaveLength(1);
    expect(varbinds((await exchange(r, request(GETBULK, oids, 9, 5)))!)).toHaveLength(3);
    // Off the end of the MIB: endOfMibView for the last OID in every remaining repetition.
    const last = '1.3.6.1.2.1.47.1.1.1.1.16.1';
    const end = varbinds((await exchange(r, request(GETBULK, ['1.3.6.1.2.1.47.1.1.1.1.15', last], 0, 4)))!);
    expect(end.map((v) => [v.oid, v.tag])).toEqual([
      ['1.3.6.1.2.1.47.1.1.1.1.15.1', 0x04],
      [last, 0x82],
      [last, 0x02],
      [last, 0x82],
      [last, 0x82],
      [last, 0x82],
      [last, 0x82],
      [last, 0x82],
    ]);
  });

  it('an answer never exceeds a UDP datagram: a huge GETBULK is cut short, a huge GET is tooBig', async () => {
    const r = router(fast, 'big');
    const before = fast.fastV2cStats('big')!.truncated;
    const bulk = (await exchange(
      r,
      request(GETBULK, ['1.3.6.1.2.1.31.1.1.1.18', '1.3.6.1.2.1.2.2.1.2'], 0, 5000),
    ))!;
    expect(bulk.length).toBeLessThanOrEqual(maxMessageSize);
    const vbs = varbinds(bulk);
    expect(vbs.length).toBeGreaterThan(1000);
    expect(vbs.length).toBeLessThan(10_000);
    expect(vbs[0]!.oid).toBe('1.3.6.1.2.1.31.1.1.1.18.1');
    expect(vbs[1]!.oid).toBe('1.3.6.1.2.1.2.2.1.2.1');
    const manyOids = Array.from({ length: 3000 }, (_, k) => `1.3.6.1.2.1.31.1.1.1.18.${(k % 600) + 1}`);
    const get = (await exchange(r, request(GET, manyOids)))!;
    expect(get.length).toBeLessThan(200);
    // error-status tooBig(1), error-index 0, no varbinds.
    expect(varbinds(get)).toEqual([]);
    expect(get.subarray(-8).toString('hex')).toMatch(/020101020100300?0$/);
    expect(fast.fastV2cStats('big')!.truncated).toBe(before + 2);
  });

  it('snmpget, snmpwalk and snmpbulkwalk see the same MIB from both, quirks included', async () => {
    for (const id of deviceIds.filter((d) => d !== 'big')) {
      for (const [toolName, options, oids] of [
        ['snmpbulkwalk', ['-Cr50'], ['.1']],
        ['snmpbulkwalk', ['-Cr7'], ['.1']],
        ['snmpwalk', [], ['.1']],
        ['snmpbulkwalk', ['-Cr10'], ['1.3.6.1.2.1.2.2']],
        ['snmpbulkwalk', ['-Cr10'], ['1.3.6.1.2.1.31.1.1']],
        ['snmpbulkwalk', ['-Cr10'], ['1.3.6.1.2.1.1']],
        ['snmpbulkwalk', ['-Cr10'], ['1.3.6.1.2.1.47.1.1.1']],
        ['snmpbulkwalk', ['-Cr10'], ['1.0.8802.1.1.2.1.4.1']],
        ['snmpbulkwalk', ['-Cr10'], ['1.0.8802.1.1.2.1.3']],
        [
          'snmpget',
          [],
          ['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.2.2.1.10.1', '1.3.6.1.2.1.31.1.1.1.6.2'],
        ],
      ] as const) {
        const [a, b] = await both(toolName, id, [...options], [...oids]);
        expect(a.split('\n').length, `${toolName} ${id} ${oids.join(' ')} printed something`).toBeGreaterThan(
          1,
        );
        expect(b, `${toolName} ${options.join(' ')} ${id} ${oids.join(' ')}`).toBe(a);
      }
    }
    // The walk covered the quirks: no ifXTable, sysUpTime noSuchInstance, no system group.
    const [old32] = await both('snmpbulkwalk', 'old32', [], ['1.3.6.1.2.1.31']);
    expect(old32).toMatch(/No Such Object/);
    const [uptime] = await both('snmpget', 'nouptime', [], ['1.3.6.1.2.1.1.3.0']);
    expect(uptime).toMatch(/No Such Instance/);
    const [walkAll] = await both('snmpbulkwalk', 'full', [], ['.1']);
    expect(walkAll).toMatch(/1\.0\.8802\.1\.1\.2\.1\.4\.1\.1\.9\.\d+\.1\.1 = STRING: "old32"/);
    expect(walkAll).toMatch(/1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\.2 = Counter64: [1-9]/);
  });

  it("the edge agent's poller and discovery get the same payloads from both", async () => {
    const target = (lab: Lab, id: string, maxRepetitions: number): PollTarget => {
      const r = router(lab, id);
      return {
        deviceId: id,
        address: r.address,
        port: r.port,
        credentials: { version: '2c', community: 'public' },
        timeoutMs: 2000,
        retries: 1,
        maxRepetitions,
      };
    };
    const strip = <T extends object>(p: T): unknown => {
      const { durationMs: _d, polledAt: _p, at: _a, ...rest } = p as Record<string, unknown>;
      return rest;
    };
    for (const id of deviceIds) {
      for (const maxRep of [50, 3]) {
        const pollers = [new EdgePoller({ now: () => now }), new EdgePoller({ now: () => now })];
        const first = [
          await pollers[0]!.pollDevice(target(slow, id, maxRep)),
          await pollers[1]!.pollDevice(target(fast, id, maxRep)),
        ];
        expect(strip(first[1]!), `poll ${id} ×${maxRep}`).toEqual(strip(first[0]!));
        now += 60_000;
        const second = [
          await pollers[0]!.pollDevice(target(slow, id, maxRep)),
          await pollers[1]!.pollDevice(target(fast, id, maxRep)),
        ];
        expect(strip(second[1]!), `second poll ${id} ×${maxRep}`).toEqual(strip(second[0]!));
        const discovery = new EdgeDiscovery({ now: () => now });
        const d = [
          await discovery.discoverDevice(target(slow, id, maxRep)),
          await discovery.discoverDevice(target(fast, id, maxRep)),
        ];
        expect(strip(d[1]!), `discovery ${id} ×${maxRep}`).toEqual(strip(d[0]!));
      }
    }
    // The polls saw rates and the quirks' failures alike.
    const p = await new EdgePoller({ now: () => now }).pollDevice(target(fast, 'nouptime', 50));
    expect(p.error).toMatch(/noSuchInstance/i);
  });

  it('hands SNMPv3, SET and unknown communities to net-snmp, as before', async () => {
    const r = router(fast, 'full');
    const before = fast.fastV2cStats('full')!;
    const { stdout } = await run(
      'snmpget',
      [
        '-v3',
        '-l',
        'authPriv',
        '-u',
        'tianshu-lab',
        '-a',
        'SHA',
        '-A',
        'tianshu-lab-auth',
        '-x',
        'AES',
        '-X',
        'tianshu-lab-priv',
        '-On',
        '-t',
        '2',
        '-r',
        '0',
        `${r.address}:${r.port}`,
        '1.3.6.1.2.1.1.5.0',
      ],
      { timeout: 10_000 },
    );
    expect(stdout).toContain('STRING: "full"');
    // A wrong community gets no answer from either.
    expect(await exchange(r, request(GET, ['1.3.6.1.2.1.1.5.0'], 0, 0, 'private'))).toBeNull();
    expect(
      await exchange(router(slow, 'full'), request(GET, ['1.3.6.1.2.1.1.5.0'], 0, 0, 'private')),
    ).toBeNull();
    // SNMPv1 is answered by net-snmp, as the net-snmp router answers it.
    const v1 = request(GET, ['1.3.6.1.2.1.1.5.0'], 0, 0, 'public', 0);
    const [a, b] = [await exchange(router(slow, 'full'), v1), await exchange(r, v1)];
    expect(b?.toString('hex')).toBe(a?.toString('hex'));
    // A SET is refused by net-snmp's agent (notWritable) on both.
    const set = berSequence(
      berInt(1),
      berOctets('public'),
      tlv(
        0xa3,
        Buffer.concat([
          berInt(7),
          berInt(0),
          berInt(0),
          berSequence(berSequence(berOid('1.3.6.1.2.1.1.5.0'), berOctets('x'))),
        ]),
      ),
    );
    const [sa, sb] = [await exchange(router(slow, 'full'), set), await exchange(r, set)];
    expect(sb?.toString('hex')).toBe(sa?.toString('hex'));
    // Garbage is handed on too, and answered by nobody.
    expect(await exchange(r, Buffer.from('30 03 02 01 01'.replace(/ /g, ''), 'hex'))).toBeNull();
    const after = fast.fastV2cStats('full')!;
    expect(after.declined - before.declined).toBeGreaterThanOrEqual(5);
  });
});
