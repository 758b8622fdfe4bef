import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { attacksFromCli, flowOptionsFromCli } from '../cli.js';
import { LabConfigError } from '../errors.js';
import { startLab } from '../lab.js';
import { parseScenario } from '../scenario.js';
import { parseEndpoint } from './exporter.js';

const run = promisify(execFile);

// The flows section of a scenario and the lab's flow flags: bad input gets an error naming the
// field or flag, and defaults are what the docs say.

const inventory = {
  devices: [
    {
      id: 'r1',
      managementAddress: '127.0.0.1',
      interfaces: [
        { ifIndex: 1, name: 'ge-0/0/1', speedMbps: 1000 },
        { ifIndex: 9, name: 'ge-0/0/9', speedMbps: 1000, internetEgress: true },
      ],
    },
    {
      id: 'r2',
      managementAddress: '127.0.0.1',
      interfaces: [{ ifIndex: 1, name: 'ge-0/0/1', speedMbps: 1000 }],
    },
  ],
  links: [{ a: { device: 'r1', ifIndex: 1 }, b: { device: 'r2', ifIndex: 1 }, level: 'county' }],
};

describe('the flows section of a scenario', () => {
  it('has defaults: a protocol mix, 1 for NetFlow and 512 for sFlow, bounded export', () => {
    const f = parseScenario({}).flows;
    expect(f).toMatchObject({
      enabled: true,
      exporters: 'all',
      protocol: 'mix',
      samplingRate: { netflow: 1, sflow: 512 },
      intervalSeconds: 10,
      maxExporters: 64,
      maxDatagramsPerSecond: 100,
      maxTotalDatagramsPerSecond: 2000,
    });
    expect(f.collector).toEqual({});
  });

  it('names the field at fault', () => {
    expect(() => parseScenario({ flows: { collector: { netflow: 'localhost' } } })).toThrow(
      /flows\.collector\.netflow: a collector is host:port/,
    );
    expect(() => parseScenario({ flows: { routers: { r1: { protocol: 'v5' } } } })).toThrow(
      /flows\.routers\.r1\.protocol/,
    );
    expect(() => parseScenario({ flows: { routers: { r1: { samplingRate: 0 } } } })).toThrow(
      /flows\.routers\.r1\.samplingRate/,
    );
    expect(() => parseScenario({ flows: { samplingRate: { sflow: -1 } } })).toThrow(
      /flows\.samplingRate\.sflow/,
    );
    expect(() => parseScenario({ load: { external: { 'r1-9': 0.2 } } })).toThrow(/load\.external/);
  });

  it('refuses a router, an external interface or a misreporting router that is not in the inventory', async () => {
    const collector = { netflow: '127.0.0.1:9', sflow: '127.0.0.1:9' };
    await expect(
      startLab({ inventory, scenario: { flows: { collector, routers: { nope: {} } } }, portOverride: 0 }),
    ).rejects.toThrow(/flows\.routers\.nope: no device nope/);
    await expect(
      startLab({ inventory, scenario: { load: { external: { 'r1:7': 0.2 } } }, portOverride: 0 }),
    ).rejects.toThrow(/load\.external\.r1:7: no interface r1:7/);
    await expect(
      startLab({ inventory, scenario: { load: { external: { 'r1:1': 0.2 } } }, portOverride: 0 }),
    ).rejects.toThrow(/r1:1 is the end of a link/);
    await expect(
      startLab({
        inventory,
        scenario: { flows: { collector } },
        portOverride: 0,
        flows: { misreport: { device: 'nope', reportedSamplingRate: 1 } },
      }),
    ).rejects.toThrow(LabConfigError);
  });

  it('gives an interface marked internetEgress internet traffic, and exports nothing without a collector', async () => {
    let now = 1_700_000_000_000;
    const lab = await startLab({ inventory, portOverride: 0, clock: () => now });
    try {
      const r1 = lab.routers.find((r) => r.deviceId === 'r1')!;
      const inOctets = async (): Promise<bigint> => {
        const { stdout } = await run('snmpget', [
          '-v2c',
          '-c',
          'public',
          '-Oqv',
          `${r1.address}:${r1.port}`,
          '1.3.6.1.2.1.31.1.1.1.6.9',
        ]);
        return BigInt(stdout.trim());
      };
      const before = await inOctets();
      expect(lab.flowStats()).toEqual([]);
      now += 60_000;
      await lab.exportFlows();
      expect(lab.flowStats()).toEqual([]);
      // 1 Gbit/s at a mean 20 % inbound for a minute: about 1.5 GB, within the shape's swing.
      const got = Number((await inOctets()) - before);
      expect(got).toBeGreaterThan(0.2 * 0.2 * 125e6 * 60);
      expect(got).toBeLessThan(2 * 0.2 * 125e6 * 60);
    } finally {
      await lab.stop();
    }
  });
});

describe('the lab flow flags', () => {
  it('parse into export options', () => {
    expect(
      flowOptionsFromCli({
        flowsNetflow: '127.0.0.1:2055',
        flowsSflow: '[::1]:6343',
        flowsProtocol: 'ipfix',
        flowsSampling: '100',
        flowsMaxExporters: '5',
        flowsMisreport: 'sc-lz-agg:1',
      }),
    ).toEqual({
      netflowCollector: '127.0.0.1:2055',
      sflowCollector: '[::1]:6343',
      protocol: 'ipfix',
      samplingRate: 100,
      maxExporters: 5,
      misreport: { device: 'sc-lz-agg', reportedSamplingRate: 1 },
    });
    expect(parseEndpoint('[::1]:6343')).toEqual({ host: '::1', port: 6343 });
  });

  it.each([
    [{ flowsNetflow: 'localhost:2055' }, /--flows-netflow: a collector is host:port/],
    [{ flowsSflow: '127.0.0.1:70000' }, /--flows-sflow/],
    [{ flowsProtocol: 'v5' }, /--flows-protocol must be v9, ipfix, sflow or mix/],
    [{ flowsSampling: '0' }, /--flows-sampling must be an integer from 1/],
    [{ flowsMaxExporters: 'many' }, /--flows-max-exporters must be an integer/],
    [{ flowsMisreport: 'sc-lz-agg' }, /--flows-misreport is DEVICE:RATE/],
  ])('refuse %o with a message naming the flag', (o, message) => {
    expect(() => flowOptionsFromCli(o)).toThrow(LabConfigError);
    expect(() => flowOptionsFromCli(o)).toThrow(message);
  });
});

describe('--attack', () => {
  it('parses KIND,SOURCE,TARGET,PPS,SECONDS[,AT] and names what is wrong', () => {
    expect(
      attacksFromCli([
        'ddos,36.152.44.0/24,10.1.2.3,200000,30',
        'port-scan,2408:8000::5,2001:db8:1::9,50,10,5',
      ]),
    ).toEqual([
      {
        kind: 'ddos',
        source: '36.152.44.0/24',
        target: '10.1.2.3',
        pps: 200_000,
        durationSeconds: 30,
        at: 0,
      },
      {
        kind: 'port-scan',
        source: '2408:8000::5',
        target: '2001:db8:1::9',
        pps: 50,
        durationSeconds: 10,
        at: 5,
      },
    ]);
    expect(() => attacksFromCli(['flood,1.2.3.4,10.1.2.3,1,1'])).toThrow(/--attack is KIND,SOURCE.*kind/);
    expect(() => attacksFromCli(['ddos,1.2.3.4,10.1.2.3,1'])).toThrow(/--attack is KIND/);
    expect(() => attacksFromCli(['ddos,1.2.3.4,10.1.2.3,0,5'])).toThrow(/pps/);
  });
});
