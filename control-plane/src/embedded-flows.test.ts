import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { embeddedFlowPorts, labFlowArgs } from './embedded.js';

// Embedded mode: the lab's routers export flows to the edge agent's collector, on ports the
// configuration gives or, left unset, picked free on loopback before the control plane starts.

const base = () => loadConfig({ env: {} });

describe('embedded flow ports', () => {
  it('picks two free loopback ports when unset, and the lab is told them', async () => {
    const c = await embeddedFlowPorts(base());
    const { netflowPort, sflowPort, bindAddress } = c.flows;
    expect(bindAddress).toBe('127.0.0.1');
    expect(netflowPort).toBeGreaterThan(0);
    expect(sflowPort).toBeGreaterThan(0);
    // Both can be bound now (nothing else holds them).
    for (const port of [netflowPort!, sflowPort!]) {
      const s = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, '127.0.0.1', () => resolve());
      });
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    expect(labFlowArgs(c)).toEqual([
      '--flows-netflow',
      `127.0.0.1:${netflowPort}`,
      '--flows-sflow',
      `127.0.0.1:${sflowPort}`,
    ]);
  });

  it('keeps configured ports (0 = off) and the bind address', async () => {
    const cfg = base();
    const c = await embeddedFlowPorts({
      ...cfg,
      flows: { netflowPort: 2055, sflowPort: 0, bindAddress: '0.0.0.0' },
    });
    expect(c.flows).toEqual({ netflowPort: 2055, sflowPort: 0, bindAddress: '0.0.0.0' });
    expect(labFlowArgs(c)).toEqual(['--flows-netflow', '127.0.0.1:2055']);
    const v6 = { ...cfg, flows: { netflowPort: 2055, sflowPort: 6343, bindAddress: '::1' } };
    expect(labFlowArgs(v6)).toEqual(['--flows-netflow', '[::1]:2055', '--flows-sflow', '[::1]:6343']);
  });

  it('leaves the configuration alone without the lab or the edge agent', async () => {
    const cfg = base();
    const noLab = { ...cfg, embedded: { ...cfg.embedded, lab: false } };
    expect(await embeddedFlowPorts(noLab)).toBe(noLab);
    const noEdge = { ...cfg, embedded: { ...cfg.embedded, edgeAgent: false } };
    expect(await embeddedFlowPorts(noEdge)).toBe(noEdge);
  });
});
