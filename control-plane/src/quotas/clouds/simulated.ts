import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { systemIdentity } from '../../auth/identity.js';
import type { Logger } from '../../logger.js';
import type { ControlPlane } from '../../server.js';
import { startFakeKubernetes, type FakeKubernetes } from '../fakes/kubernetes.js';
import { startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack.js';
import { quotasRef } from '../module.js';
import type { Amounts } from '../types.js';
import type { CloudConnectionsFile } from './service.js';

/**
 * The simulated province's clouds for embedded mode ("1 + N"): the provincial cloud on a fake
 * OpenStack (20,000 vCPU), two city clouds on fake Kubernetes API servers, and a department cloud
 * whose capacity is entered by hand. The fakes (`../fakes/`) stand in for clouds that cannot run on
 * this machine; they serve on free loopback ports in this process, with credentials made at each
 * start. Their connections go to a connections file under dataDir (mode 0600), loaded like any
 * `cloudConnectionsFile` (secrets sealed in the state store); the clouds themselves are in the demo
 * inventory (`inventory/demo-province.yaml`).
 */
export interface SimulatedClouds {
  /** The connections file to load (`cloudConnectionsFile`). */
  file: string;
  close(): Promise<void>;
}

/** Hypervisors of the provincial cloud: 250 × 80 vCPU = 20,000 vCPU, 320 GiB each. */
const PROVINCE_HYPERVISORS = 250;
/** Nodes of the city clusters: [count, cpu, memory, GPUs per node]. */
const CITY_NODES: Record<string, [number, number, string, number]> = {
  'sc-cd-cloud': [40, 64, '256Gi', 0],
  'sc-my-cloud': [24, 48, '192Gi', 2],
};

export async function startSimulatedClouds(dataDir: string, log: Logger): Promise<SimulatedClouds> {
  const started = Date.now();
  const secret = () => randomBytes(24).toString('base64url');
  const app = { id: `tianshu-${randomBytes(6).toString('hex')}`, secret: secret() };
  const tokens = Object.fromEntries(Object.keys(CITY_NODES).map((id) => [id, secret()]));
  const stops: Array<() => Promise<void>> = [];
  try {
    const [province, ...cities] = await Promise.all([
      startFakeOpenStack({
        applicationCredentials: [app],
        hypervisors: Array.from({ length: PROVINCE_HYPERVISORS }, (_, i) => ({
          hypervisor_hostname: `sc-gov-compute-${String(i + 1).padStart(3, '0')}`,
          vcpus: 80,
          memory_mb: 320 * 1024,
          local_gb: 2000,
        })),
        volumePoolsGb: [400_000, 400_000, 200_000],
        externalNetworks: [{ name: 'sc-gov-public', cidr: '198.51.100.0/22', totalIps: 1021 }],
      }).then((f: FakeOpenStack) => {
        stops.push(() => f.close());
        return f;
      }),
      ...Object.keys(CITY_NODES).map((id) =>
        startFakeKubernetes({ token: tokens[id]! }).then((f: FakeKubernetes) => {
          stops.push(() => f.close());
          return { id, f };
        }),
      ),
    ]);
    for (const { id, f } of cities) {
      const [count, cpu, memory, gpus] = CITY_NODES[id]!;
      for (let i = 1; i <= count; i++) {
        f.setNode(`${id}-node-${String(i).padStart(2, '0')}`, {
          cpu: String(cpu),
          memory,
          pods: '110',
          ...(gpus ? { 'nvidia.com/gpu': String(gpus) } : {}),
        });
      }
    }
    const doc: CloudConnectionsFile = {
      version: 1,
      clouds: [
        {
          cloudId: 'sc-gov-cloud',
          kind: 'openstack',
          endpoint: province.url,
          settings: { interface: 'public' },
          secrets: { applicationCredentialId: app.id, applicationCredentialSecret: app.secret },
          // Object storage is not in the quota sets the adapter reads: entered.
          capacity: { 'object-storage': { capacity: 2_000_000 }, vcpu: { overcommit: 2 } },
        },
        ...cities.map(({ id, f }) => ({
          cloudId: id,
          kind: 'kubernetes' as const,
          endpoint: f.url,
          settings: { caCert: f.caCert! },
          secrets: { token: tokens[id]! },
          capacity: { 'block-storage': { capacity: 100_000 } },
        })),
        {
          cloudId: 'sc-edu-cloud',
          kind: 'manual',
          capacity: {
            vcpu: { capacity: 2000, overcommit: 3 },
            memory: { capacity: 8000 },
            'block-storage': { capacity: 200_000 },
          },
        },
      ],
    };
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, 'simulated-cloud-connections.yaml');
    writeFileSync(
      file,
      `# Written at each embedded start: the simulated clouds' connections (fakes on loopback).\n${stringify(doc)}`,
      { mode: 0o600 },
    );
    log.info({ clouds: doc.clouds.length, millis: Date.now() - started }, 'simulated clouds started');
    return {
      file,
      close: async () => {
        await Promise.all(stops.map((s) => s().catch(() => undefined)));
      },
    };
  } catch (err) {
    await Promise.all(stops.map((s) => s().catch(() => undefined)));
    throw err;
  }
}

/** Org-unit quotas of the simulated province: the cities on the provincial cloud, counties on theirs. */
const QUOTAS: Array<{ cloudId: string; orgUnitId: string; amounts: Amounts }> = [
  {
    cloudId: 'sc-gov-cloud',
    orgUnitId: 'sc-cd',
    amounts: { vcpu: 12_000, memory: 30_000, 'block-storage': 300_000 },
  },
  {
    cloudId: 'sc-gov-cloud',
    orgUnitId: 'sc-my',
    amounts: { vcpu: 8_000, memory: 20_000, 'block-storage': 200_000 },
  },
  {
    cloudId: 'sc-gov-cloud',
    orgUnitId: 'sc-lz',
    amounts: { vcpu: 6_000, memory: 15_000, 'block-storage': 150_000 },
  },
  { cloudId: 'sc-cd-cloud', orgUnitId: 'sc-cd-jj', amounts: { vcpu: 1_500, memory: 4_000 } },
  { cloudId: 'sc-cd-cloud', orgUnitId: 'sc-cd-sl', amounts: { vcpu: 1_200, memory: 3_000 } },
  { cloudId: 'sc-my-cloud', orgUnitId: 'sc-my-fc', amounts: { vcpu: 800, memory: 2_000, gpu: 8 } },
  { cloudId: 'sc-my-cloud', orgUnitId: 'sc-my-az', amounts: { vcpu: 600, memory: 1_500 } },
];

/**
 * After start: reads the simulated clouds' capacity now (instead of at the job's first period) and
 * gives the cities and counties their quotas where they hold none yet (through the quota tree, so
 * every invariant and the audit apply). Failures are logged with the reason; they never stop the
 * start.
 */
export async function seedSimulatedQuotas(cp: ControlPlane, log: Logger): Promise<void> {
  const q = cp.services.modules.use(quotasRef);
  const r = await q.clouds.readAll();
  if (r.failed) log.warn(r, 'simulated clouds: some capacity reads failed (shown on each cloud)');
  const system = systemIdentity();
  for (const want of QUOTAS) {
    const held = await cp.services.db.query(
      'SELECT 1 FROM quota_org_unit_quotas WHERE cloud_id = $1 AND org_unit_id = $2',
      [want.cloudId, want.orgUnitId],
    );
    if (held.rowCount) continue;
    try {
      await q.tree.setOrgUnitQuota(system, { ...want, reason: 'simulated province' });
    } catch (err) {
      log.error(
        { ...want, err: (err as Error).message },
        'simulated province: an org-unit quota was refused',
      );
    }
  }
}
