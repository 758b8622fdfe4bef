import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenStack, type FakeOpenStack } from '../../fakes/openstack.js';
import { CloudError } from '../../types.js';
import { KeystoneSession, kindOfStatus, renewMargin, serviceMessage } from './session.js';

/*
 * The Keystone session against the fake OpenStack (fakes/openstack.ts: a test double written from the
 * published Keystone v3 and Nova/Cinder/Neutron API references, since no OpenStack runs here). The
 * clock is injected so renewal is tested without waiting.
 */
const SECRET = 'app-cred-secret-7c1e';
let cloud: FakeOpenStack;
let clock: number;

const session = (over: Partial<ConstructorParameters<typeof KeystoneSession>[0]> = {}) =>
  new KeystoneSession({
    authUrl: cloud.url,
    credentialId: 'ac-1',
    credentialSecret: SECRET,
    region: 'RegionOne',
    interface: 'public',
    timeoutMs: 10_000,
    now: () => clock,
    ...over,
  });

const failure = async (p: Promise<unknown>): Promise<CloudError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof CloudError) return err;
    throw err;
  }
  throw new Error('expected a CloudError');
};

beforeEach(async () => {
  clock = Date.now();
  cloud = await startFakeOpenStack({
    applicationCredentials: [{ id: 'ac-1', secret: SECRET }],
    tokenTtlSeconds: 3600,
  });
});
afterEach(async () => {
  await cloud.close();
});

describe('KeystoneSession', () => {
  it('authenticates once and reuses the token', async () => {
    const s = session();
    await s.request('compute', 'GET', `/os-quota-sets/${cloud.state.adminProjectId}`);
    await s.request('volume', 'GET', `/os-quota-sets/${cloud.state.adminProjectId}`);
    await s.request('identity', 'GET', '/projects');
    expect(cloud.state.tokensIssued()).toBe(1);
    const auth = cloud.state.requests.filter((r) => r.path === '/identity/v3/auth/tokens');
    expect(auth).toHaveLength(1);
  });

  it('renews the token before it expires', async () => {
    const s = session();
    await s.request('identity', 'GET', '/projects');
    // 3600 s tokens are renewed 300 s before their end.
    clock += 3_000_000;
    await s.request('identity', 'GET', '/projects');
    expect(cloud.state.tokensIssued()).toBe(1);
    clock += 400_000;
    await s.request('identity', 'GET', '/projects');
    expect(cloud.state.tokensIssued()).toBe(2);
  });

  it('authenticates once for requests made together', async () => {
    const s = session();
    await Promise.all(Array.from({ length: 5 }, () => s.request('identity', 'GET', '/projects')));
    expect(cloud.state.tokensIssued()).toBe(1);
  });

  it('renews once on a 401 and succeeds', async () => {
    const s = session();
    await s.request('identity', 'GET', '/projects');
    cloud.state.expireTokens();
    await s.request('compute', 'GET', `/os-quota-sets/${cloud.state.adminProjectId}`);
    expect(cloud.state.tokensIssued()).toBe(2);
  });

  it('gives up after one renewal when the service keeps answering 401', async () => {
    const s = session();
    await s.request('identity', 'GET', '/projects');
    cloud.faults.failNext('compute', 401, 5);
    const err = await failure(s.request('compute', 'GET', `/os-quota-sets/${cloud.state.adminProjectId}`));
    expect(err.kind).toBe('unauthorized');
    expect(err.status).toBe(401);
    expect(cloud.state.tokensIssued()).toBe(2);
  });

  it('says the credential was refused, never with the secret', async () => {
    const s = session({ credentialSecret: 'wrong-secret-value' });
    const err = await failure(s.request('identity', 'GET', '/projects'));
    expect(err.kind).toBe('unauthorized');
    expect(err.message).toContain('ac-1');
    expect(err.message).toContain('requires authentication');
    expect(err.message).not.toContain('wrong-secret-value');
  });

  it('finds endpoints by interface and region, and names what is missing', async () => {
    const s = session();
    expect(await s.endpoint('compute')).toMatch(/\/compute\/v2\.1$/);
    expect(await s.endpoint('volume')).toContain(`/volume/v3/${cloud.state.adminProjectId}`);
    expect(await s.endpoint('network')).toMatch(/\/network$/);
    const other = session({ region: 'RegionTwo' });
    const err = await failure(other.endpoint('compute'));
    expect(err.kind).toBe('not-found');
    expect(err.message).toContain('Nova');
    expect(err.message).toContain('RegionTwo');
  });

  it('maps a service refusal with its own message', async () => {
    const s = session();
    const err = await failure(
      s.request('compute', 'PUT', `/os-quota-sets/${cloud.state.adminProjectId}`, {
        quota_set: { cores: -2 },
      }),
    );
    expect(err.kind).toBe('rejected');
    expect(err.status).toBe(400);
    expect(err.message).toContain('Nova answered 400');
    expect(err.message).toContain('-2 is less than the minimum of -1');
  });

  it('calls an answer that is not JSON invalid, and a closed port unreachable', async () => {
    const s = session();
    await s.request('identity', 'GET', '/projects');
    cloud.faults.garbage(true);
    const garbage = await failure(s.request('identity', 'GET', '/projects'));
    expect(garbage.kind).toBe('invalid-answer');
    expect(garbage.message).toContain('not JSON');
    cloud.faults.garbage(false);
    cloud.faults.down(true);
    const down = await failure(s.request('identity', 'GET', '/projects'));
    expect(down.kind).toBe('unreachable');
    expect(down.message).toContain('unreachable');
  });
});

describe('error helpers', () => {
  it('map statuses to kinds', () => {
    expect([400, 401, 403, 404, 409, 413, 408, 504, 500, 503].map(kindOfStatus)).toEqual([
      'rejected',
      'unauthorized',
      'forbidden',
      'not-found',
      'conflict',
      'rejected',
      'timeout',
      'timeout',
      'unreachable',
      'unreachable',
    ]);
  });

  it("read each service's error body", () => {
    expect(
      serviceMessage(
        '{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}',
      ),
    ).toBe('The request you have made requires authentication.');
    expect(serviceMessage('{"badRequest":{"code":400,"message":"Quota limit must be -1 or greater."}}')).toBe(
      'Quota limit must be -1 or greater.',
    );
    expect(
      serviceMessage(
        '{"NeutronError":{"type":"HTTPBadRequest","message":"Unrecognized attribute(s) \'x\'","detail":""}}',
      ),
    ).toBe("Unrecognized attribute(s) 'x'");
    expect(serviceMessage('<html><body><h1>502 Bad Gateway</h1></body></html>')).toBe('502 Bad Gateway');
    expect(serviceMessage('')).toBe('(no message)');
  });

  it('renew a tenth of the lifetime early, between 30 s and 5 min', () => {
    expect(renewMargin(3_600_000)).toBe(300_000);
    expect(renewMargin(600_000)).toBe(60_000);
    expect(renewMargin(60_000)).toBe(30_000);
  });
});
