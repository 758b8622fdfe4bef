import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main, usage } from '../cli.js';
import { silentLogger } from '../runtime/logger.js';
import { addToAddress, startLabFromCli } from './cli.js';
import { startLab } from './lab.js';

const run = promisify(execFile);
const inventoryFile = fileURLToPath(
  new URL('../../../control-plane/inventory/demo-province.yaml', import.meta.url),
);

describe('tianshu-agent lab', () => {
  it('is in the usage text', () => {
    expect(usage).toMatch(/^ {2}lab {5}/m);
    expect(usage).toContain('--inventory <file>');
    expect(usage).toContain('--port-offset <n>');
  });

  it('rejects bad options with exit code 2', async () => {
    const errors: string[] = [];
    const io = { env: {}, out: () => undefined, err: (t: string) => void errors.push(t) };
    expect(await main(['lab'], io)).toBe(2);
    expect(errors.join('')).toMatch(/lab needs --inventory/);
    expect(await main(['lab', '--inventory', inventoryFile, '--port-offset', 'x'], io)).toBe(2);
    expect(errors.join('')).toMatch(/--port-offset must be an integer/);
    expect(await main(['lab', '--inventory', inventoryFile, '--address-base', '127.0.0'], io)).toBe(2);
    expect(await main(['lab', '--inventory', '/nonexistent.yaml'], io)).toBe(2);
  });

  it('adds to addresses', () => {
    expect(addToAddress('127.0.10.0', 3)).toBe('127.0.10.3');
    expect(addToAddress('127.0.10.250', 10)).toBe('127.0.11.4');
  });

  it('listens on base+1, base+2… at the inventory port plus the offset', async () => {
    // A random offset from the inventory's 16100 into the ephemeral range; collisions are unlikely.
    const offset = 30_000 + Math.floor(Math.random() * 15_000);
    const lab = await startLabFromCli(
      { inventory: inventoryFile, portOffset: String(offset), addressBase: '127.0.77.0' },
      silentLogger,
    );
    try {
      expect(lab.routers[0]).toEqual({ deviceId: 'sc-core-a', address: '127.0.77.1', port: 16100 + offset });
      expect(lab.routers[12]).toMatchObject({ deviceId: 'sc-lz-jy-acc', address: '127.0.77.13' });
      const { stdout } = await run('snmpget', [
        '-v2c',
        '-c',
        'public',
        '-Oqv',
        '-t',
        '1',
        '-r',
        '0',
        `127.0.77.13:${16100 + offset}`,
        '1.3.6.1.2.1.1.5.0',
      ]);
      expect(stdout.trim()).toBe('"sc-lz-jy-acc"');
    } finally {
      await lab.stop();
    }
  });

  it('scales to a few hundred routers', async () => {
    // 300 routers in a chain of primary/backup pairs, four interfaces each.
    const n = 300;
    const devices = Array.from({ length: n }, (_, i) => ({
      id: `r${i}`,
      managementAddress: '127.0.0.1',
      interfaces: [1, 2, 3, 4].map((ifIndex) => ({ ifIndex, name: `ge-0/0/${ifIndex}`, speedMbps: 1000 })),
    }));
    const links = devices.slice(1).flatMap((_, i) => [
      {
        a: { device: `r${i}`, ifIndex: 3 },
        b: { device: `r${i + 1}`, ifIndex: 1 },
        level: 'county',
        role: 'primary',
        pairId: `p${i}`,
      },
      {
        a: { device: `r${i}`, ifIndex: 4 },
        b: { device: `r${i + 1}`, ifIndex: 2 },
        level: 'county',
        role: 'backup',
        pairId: `p${i}`,
      },
    ]);
    const started = Date.now();
    const lab = await startLab({ inventory: { devices, links }, portOverride: 0 });
    try {
      expect(Date.now() - started).toBeLessThan(5000);
      expect(new Set(lab.routers.map((r) => r.port)).size).toBe(n);
      const last = lab.routers[n - 1]!;
      const { stdout } = await run('snmpbulkwalk', [
        '-v2c',
        '-c',
        'public',
        '-Oqv',
        '-t',
        '1',
        '-r',
        '0',
        `${last.address}:${last.port}`,
        '1.3.6.1.2.1.31.1.1.1.1',
      ]);
      expect(stdout.trim().split('\n')).toHaveLength(4);
    } finally {
      await lab.stop();
    }
  });
});
