import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openstackAdapter } from '../../control-plane/src/quotas/adapters/openstack/adapter.js';
import { startFakeOpenStack, type FakeOpenStack } from '../../control-plane/src/quotas/fakes/openstack.js';
import type { CloudAdapter } from '../../control-plane/src/quotas/types.js';

/*
 * Tianshu's OpenStack adapter writes a project's quotas; Debian's own `openstack` client
 * (python3-openstackclient 6.0, with keystoneauth1, novaclient, cinderclient and openstacksdk) reads
 * them back. The cloud is the FAKE in control-plane/src/quotas/fakes/openstack.ts — Keystone v3, Nova,
 * Cinder and Neutron written from their published API references — because no OpenStack can run on
 * this machine; a real client reading it is what shows the fake answers as OpenStack does, and that
 * what Tianshu writes is what an operator's tools see. The fake listens on a free loopback port.
 *
 * The client is slow to start (~5 s), so only a few calls, each bounded by a timeout.
 */
const SECRET = 'osc-test-secret-4f2a9c';
const CLIENT_TIMEOUT_MS = 90_000;
let cloud: FakeOpenStack;
let adapter: CloudAdapter;
let home: string;

/** Runs `openstack <args>` with an application credential and nothing else from the machine. */
function run(args: string[]): Promise<string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
  };
  const auth = [
    '--os-auth-type',
    'v3applicationcredential',
    '--os-auth-url',
    cloud.url,
    '--os-application-credential-id',
    'ac-tianshu',
    '--os-application-credential-secret',
    SECRET,
    '--os-region-name',
    cloud.region,
    '--os-interface',
    'public',
  ];
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/openstack',
      [...auth, ...args],
      { env, timeout: CLIENT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`openstack ${args.join(' ')} failed: ${err.message}\n${stderr}`))
          : resolve(stdout),
    );
  });
}

/** `openstack <args> -f json`, parsed. */
async function openstack(args: string[]): Promise<unknown> {
  const out = await run([...args, '-f', 'json']);
  try {
    return JSON.parse(out);
  } catch {
    throw new Error(`openstack ${args.join(' ')} printed no JSON: ${out.slice(0, 500)}`);
  }
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'tianshu-osc-'));
  cloud = await startFakeOpenStack({ applicationCredentials: [{ id: 'ac-tianshu', secret: SECRET }] });
  adapter = openstackAdapter({
    cloudId: 'province-openstack',
    kind: 'openstack',
    endpoint: cloud.url,
    region: cloud.region,
    settings: { projectDomain: 'Default' },
    secrets: { applicationCredentialId: 'ac-tianshu', applicationCredentialSecret: SECRET },
  });
});

afterAll(async () => {
  await adapter?.close();
  await cloud?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('OpenStack quotas, read back by Debian’s openstack client', () => {
  it('shows the quotas Tianshu wrote: cores, ram, gigabytes, floating IPs', async () => {
    const written = await adapter.ensure(
      {
        projectId: 'tax-portal',
        externalName: 'ts-tax-portal',
        orgUnitId: 'city-a',
        orgPath: '/province/city-a',
        labels: {},
      },
      { vcpu: 24, memory: 48, 'block-storage': 750, 'public-ip': 4 },
    );
    expect(written.hard).toEqual({ vcpu: 24, memory: 48, 'block-storage': 750, 'public-ip': 4 });

    const shown = (await openstack(['quota', 'show', 'ts-tax-portal'])) as Record<string, unknown>;
    expect(shown.project_name).toBe('ts-tax-portal');
    expect(shown.cores).toBe(24);
    expect(shown.ram).toBe(48 * 1024);
    expect(shown.gigabytes).toBe(750);
    expect(shown['floating-ips']).toBe(4);
    // What Tianshu did not write stays at the cloud's defaults.
    expect(shown.instances).toBe(10);
  });

  it(
    'lists the project, with the tags and description naming its org unit',
    async () => {
      const list = (await openstack(['project', 'list'])) as Array<{ ID: string; Name: string }>;
      const row = list.find((p) => p.Name === 'ts-tax-portal');
      expect(row).toBeDefined();
      const show = (await openstack(['project', 'show', row!.ID])) as { tags: string[]; description: string };
      expect(show.tags).toEqual(['tianshu:managed', 'tianshu:project=tax-portal', 'tianshu:org-unit=city-a']);
      expect(show.description).toContain('/province/city-a');
    },
    2 * CLIENT_TIMEOUT_MS + 20_000,
  );

  it('reads back what an operator changed with the client (drift)', async () => {
    await run(['quota', 'set', '--cores', '40', '--gigabytes', '900', 'ts-tax-portal']);
    const [state] = await adapter.read(['ts-tax-portal']);
    expect(state?.hard).toEqual({ vcpu: 40, memory: 48, 'block-storage': 900, 'public-ip': 4 });
  });
});
