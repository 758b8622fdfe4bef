import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, usage } from '../cli.js';
import { silentLogger } from '../runtime/logger.js';
import { addToAddress, startLabFromCli, type RoutersFile } from './cli.js';
import { parsePortRange, portCandidates, startLab } from './lab.js';
import { LabConfigError } from './errors.js';

/** Holds a UDP port on `address` (a free one), as another process would. */
async function holdPort(address: string): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, address, () => resolve());
  });
  return s;
}

function recordingLogger() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) =>
      void lines.push({ level, msg, fields });
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger: { ...silentLogger, ...logger }, lines };
}

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

  it('--fast-v2c answers v2c with the fast responder', async () => {
    expect(usage).toContain('--fast-v2c');
    const offset = 30_000 + Math.floor(Math.random() * 15_000);
    const lab = await startLabFromCli(
      { inventory: inventoryFile, portOffset: String(offset), addressBase: '127.0.78.0', fastV2c: true },
      silentLogger,
    );
    try {
      const { stdout } = await run('snmpget', [
        '-v2c',
        '-c',
        'public',
        '-Oqv',
        '-t',
        '1',
        '-r',
        '0',
        `127.0.78.13:${16100 + offset}`,
        '1.3.6.1.2.1.1.5.0',
      ]);
      expect(stdout.trim()).toBe('"sc-lz-jy-acc"');
      expect(lab.fastV2cStats('sc-lz-jy-acc')).toEqual({ answered: 1, declined: 0, truncated: 0 });
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

  describe('when a port is taken', () => {
    let dir: string;
    let file: string;
    let held: Socket;
    let port: number;

    const inventoryOn = (p: number) => ({
      devices: [
        { id: 'r1', managementAddress: '127.0.0.1', snmp: { port: p }, interfaces: [] },
        { id: 'r2', managementAddress: '127.0.0.2', snmp: { port: p }, interfaces: [] },
      ],
    });

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tianshu-lab-'));
      held = await holdPort('127.0.0.1');
      port = held.address().port;
      file = join(dir, 'inventory.yaml');
      await writeFile(file, JSON.stringify(inventoryOn(port)));
    });
    afterAll(async () => {
      held?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('parses port ranges and orders the candidates from the router’s own port', () => {
      expect(parsePortRange('16100-16199')).toEqual({ first: 16100, last: 16199 });
      expect(parsePortRange('161')).toEqual({ first: 161, last: 161 });
      expect(() => parsePortRange('16199-16100', '--port-range')).toThrow(
        /--port-range must be FIRST-LAST .*not "16199-16100"/,
      );
      expect(() => parsePortRange('0-10')).toThrow(LabConfigError);
      expect(portCandidates(5, { first: 3, last: 7 })).toEqual([5, 6, 7, 3, 4]);
      expect(portCandidates(161, { first: 3, last: 5 })).toEqual([161, 3, 4, 5]);
    });

    it('without a range the lab stops with an error naming the device, address and port', async () => {
      const errors: string[] = [];
      const io = { env: {}, out: () => undefined, err: (t: string) => void errors.push(t) };
      expect(await main(['lab', '--inventory', file], io)).toBe(2);
      expect(errors.join('')).toContain(
        `lab router r1: cannot listen on 127.0.0.1:${port}: bind EADDRINUSE 127.0.0.1:${port}`,
      );
      expect(errors.join('')).toContain('set a port range to let it move');
    });

    it('with a range the router moves to the next free port, says so, and the routers file has it', async () => {
      const { logger, lines } = recordingLogger();
      const routersFile = join(dir, 'routers.json');
      const lab = await startLabFromCli(
        { inventory: file, portRange: `${port}-${port + 20}`, routersFile },
        logger,
      );
      try {
        const r1 = lab.routers.find((r) => r.deviceId === 'r1')!;
        const r2 = lab.routers.find((r) => r.deviceId === 'r2')!;
        expect(r1.port).toBeGreaterThan(port);
        expect(r1.port).toBeLessThanOrEqual(port + 20);
        // The other address's port was free: that router stays.
        expect(r2).toEqual({ deviceId: 'r2', address: '127.0.0.2', port });
        const taken = lines.find((l) => l.msg.startsWith('lab router port taken'));
        expect(taken?.fields).toMatchObject({ device: 'r1', address: '127.0.0.1', port });
        expect(String(taken?.fields.error)).toContain('EADDRINUSE');
        expect(lines.find((l) => l.msg === 'lab router moved to another port')?.fields).toMatchObject({
          device: 'r1',
          from: port,
          port: r1.port,
        });
        const { stdout } = await run('snmpget', [
          '-v2c',
          '-c',
          'public',
          '-Oqv',
          '-t',
          '1',
          '-r',
          '0',
          `127.0.0.1:${r1.port}`,
          '1.3.6.1.2.1.1.5.0',
        ]);
        expect(stdout.trim()).toBe('"r1"');
      } finally {
        await lab.stop();
      }
      const written = JSON.parse(await readFile(routersFile, 'utf8')) as RoutersFile;
      expect(written.routers.map((r) => r.deviceId)).toEqual(['r1', 'r2']);
      expect(written.routers[0]!.port).toBeGreaterThan(port);
    });

    it('a range with every port taken stops the lab naming the range', async () => {
      await expect(
        startLabFromCli({ inventory: file, portRange: `${port}-${port}` }, silentLogger),
      ).rejects.toThrow(
        new RegExp(
          `lab router r1: .*cannot listen on 127\\.0\\.0\\.1:${port} or any other port of ${port}-${port}`,
        ),
      );
    });

    it('--address puts every router on one address, each on its own port of the range', async () => {
      const errors: string[] = [];
      const io = { env: {}, out: () => undefined, err: (t: string) => void errors.push(t) };
      expect(await main(['lab', '--inventory', file, '--address', '127.0.0.1'], io)).toBe(2);
      expect(errors.join('')).toMatch(/--address needs --port-range/);
      const lab = await startLabFromCli(
        { inventory: file, address: '127.0.0.3', portRange: `${port}-${port + 20}` },
        silentLogger,
      );
      try {
        expect(lab.routers).toEqual([
          { deviceId: 'r1', address: '127.0.0.3', port },
          { deviceId: 'r2', address: '127.0.0.3', port: port + 1 },
        ]);
      } finally {
        await lab.stop();
      }
    });
  });
});
