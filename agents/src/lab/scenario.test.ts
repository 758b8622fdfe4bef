import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LabConfigError } from './errors.js';
import { startLab } from './lab.js';
import { loadScenario, parseDuration, parseScenario } from './scenario.js';

const demoFile = fileURLToPath(new URL('../../lab/scenarios/demo.yaml', import.meta.url));
const quietFile = fileURLToPath(new URL('../../lab/scenarios/quiet.yaml', import.meta.url));

const inventory = {
  devices: [
    {
      id: 'up',
      managementAddress: '127.0.0.1',
      interfaces: [
        { ifIndex: 1, name: 'ge-0/0/1', speedMbps: 1000 },
        { ifIndex: 2, name: 'ge-0/0/2', speedMbps: 1000 },
      ],
    },
    {
      id: 'down',
      managementAddress: '127.0.0.1',
      interfaces: [
        { ifIndex: 1, name: 'ge-0/0/1', speedMbps: 1000 },
        { ifIndex: 2, name: 'ge-0/0/2', speedMbps: 1000 },
      ],
    },
  ],
  links: [
    {
      a: { device: 'up', ifIndex: 1 },
      b: { device: 'down', ifIndex: 1 },
      level: 'county',
      role: 'primary',
      pairId: 'p',
    },
    {
      a: { device: 'up', ifIndex: 2 },
      b: { device: 'down', ifIndex: 2 },
      level: 'county',
      role: 'backup',
      pairId: 'p',
    },
  ],
};

describe('scenario files', () => {
  it('ships a demo and a quiet scenario that validate', async () => {
    const demo = await loadScenario(demoFile);
    expect(demo.timeline.map((e) => e.type)).toEqual([
      'link-down',
      'flap',
      'saturate',
      'device-down',
      'device-reboot',
      'counter-near-wrap',
    ]);
    expect(demo.timeline[0]).toMatchObject({ at: 120, every: 600, for: 180 });
    const quiet = await loadScenario(quietFile);
    expect(quiet.timeline).toEqual([]);
    expect(quiet.snmp.communities).toEqual(['tianshu-lab', 'public']);
  });

  it('reads durations', () => {
    expect(parseDuration('1m30s')).toBe(90);
    expect(parseDuration('500ms')).toBe(0.5);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration(12)).toBe(12);
  });

  it('names the field at fault', () => {
    const bad = (input: unknown): string => {
      try {
        parseScenario(input, 'demo.yaml');
      } catch (err) {
        expect(err).toBeInstanceOf(LabConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a validation error');
    };
    expect(bad({ timeline: [{ at: '2m', type: 'link-down' }] })).toMatch(
      /^demo\.yaml is not valid: timeline\[0\]\.link: /,
    );
    expect(bad({ timeline: [{ at: 'soon', type: 'device-reboot', device: 'x' }] })).toMatch(
      /timeline\[0\]\.at: a duration/,
    );
    expect(bad({ timeline: [{ at: 1, type: 'explode', device: 'x' }] })).toMatch(/timeline\[0\]\.type/);
    expect(bad({ timeline: [{ at: 1, type: 'saturate', link: 'a:1', load: 2, for: '1m' }] })).toMatch(
      /timeline\[0\]\.load/,
    );
    expect(bad({ timeline: [{ at: 1, type: 'flap', link: 'a:1', for: '1m', often: true }] })).toMatch(
      /timeline\[0\]/,
    );
    expect(bad({ seed: -1 })).toMatch(/seed/);
    expect(bad({ snmp: { v3: { user: 'u', authKey: 'short' } } })).toMatch(/snmp\.v3\.authKey/);
    expect(bad({ load: { levels: { metro: 0.5 } } })).toMatch(/load\.levels/);
    expect(bad({ load: { diurnalAmplitude: 0.9, noiseAmplitude: 0.5 } })).toMatch(/load\.noiseAmplitude/);
    expect(bad({ timeline: [{ at: 1, type: 'counter-near-wrap', device: 'x', remaining: 0 }] })).toMatch(
      /timeline\[0\]\.remaining/,
    );
    expect(bad({ surprise: 1 })).toMatch(/surprise|unrecognized/i);
    expect(
      bad({ timeline: [{ at: 1, type: 'counter-near-wrap', device: 'x', remaining: 5, bits: 16 }] }),
    ).toMatch(/timeline\[0\]\.bits/);
    expect(bad({ devices: { x: { sysUpTime: 'missing' } } })).toMatch(/devices\.x\.sysUpTime/);
    expect(bad({ devices: { x: { ifMIB: false } } })).toMatch(/devices\.x/);
  });

  it('reads device quirks and 32-bit wraps, with defaults for what is not said', () => {
    const s = parseScenario({
      devices: { old: { ifXTable: false }, odd: { sysUpTime: 'noSuchInstance', systemGroup: true } },
      timeline: [{ at: 1, type: 'counter-near-wrap', device: 'old', remaining: 1000, bits: 32 }],
    });
    expect(s.devices.old).toEqual({
      ifXTable: false,
      sysUpTime: 'normal',
      systemGroup: true,
      entityMib: true,
    });
    expect(s.devices.odd).toMatchObject({ ifXTable: true, sysUpTime: 'noSuchInstance' });
    expect(s.timeline[0]).toMatchObject({ bits: 32, remaining: 1000n });
    expect(
      parseScenario({ timeline: [{ at: 1, type: 'counter-near-wrap', device: 'x', remaining: 9 }] })
        .timeline[0],
    ).toMatchObject({ bits: 64 });
  });

  it('names the event whose link or device is not in the inventory', async () => {
    await expect(
      startLab({
        inventory,
        scenario: {
          timeline: [
            { at: 1, type: 'device-reboot', device: 'up' },
            { at: 1, type: 'link-down', link: 'nope:1' },
          ],
        },
        portOverride: 0,
      }),
    ).rejects.toThrow(/timeline\[1\]\.link: no link has end nope:1/);
    await expect(
      startLab({
        inventory,
        scenario: {
          timeline: [
            { at: 1, type: 'link-up', link: { pairId: 'p', role: 'backup' } },
            { at: 1, type: 'device-up', device: 'ghost' },
          ],
        },
        portOverride: 0,
      }),
    ).rejects.toThrow(/timeline\[1\]\.device: no device ghost/);
    await expect(startLab({ inventory: { devices: [{ id: 'x' }] }, portOverride: 0 })).rejects.toThrow(
      /devices\[0\]\.managementAddress/,
    );
  });

  it('plays the timeline: failover and recovery, flapping, saturation', async () => {
    const lab = await startLab({
      inventory,
      scenario: {
        timeline: [
          { at: 0.1, type: 'link-down', link: { pairId: 'p', role: 'primary' }, for: 0.3 },
          { at: 0.6, type: 'saturate', link: 'down:1', load: 0.98, for: 0.2 },
          { at: 0.9, type: 'flap', link: 'up:1', interval: 0.1, for: 0.4 },
        ],
      },
      portOverride: 0,
      addressOverride: () => '127.0.0.1',
    });
    try {
      const seen: string[] = [];
      const started = Date.now();
      let last = '';
      while (Date.now() - started < 1600) {
        const now = lab.activeLink('p')?.role ?? 'none';
        if (now !== last) seen.push(now);
        last = now;
        await new Promise((r) => setTimeout(r, 20));
      }
      // Primary, then backup during the failure, then primary; flapping moves it again at the end.
      expect(seen.slice(0, 3)).toEqual(['primary', 'backup', 'primary']);
      expect(seen.length).toBeGreaterThanOrEqual(5);
      expect(lab.activeLink('p')?.role).toBe('primary');
    } finally {
      await lab.stop();
    }
  });
});

describe('lab start-up', () => {
  it('rejects, and closes what it opened, when a port is taken', async () => {
    const first = await startLab({ inventory, portOverride: 0, addressOverride: () => '127.0.0.1' });
    try {
      const taken = first.routers[1]!.port;
      await expect(
        startLab({
          inventory,
          portOverride: (id) => (id === 'down' ? taken : 0),
          addressOverride: () => '127.0.0.1',
        }),
      ).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });
});
