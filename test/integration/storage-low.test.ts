import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';
import { canMount, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';
import { eventually } from '../support/process.js';

/**
 * Low free space on the data directory (a small real tmpfs): below `storage.minFreeMegabytes`
 * /readyz turns unready naming both embedded stores and the storage-full alarm fires, before any
 * write fails; when space returns both clear. (A file of its own: chDB binds one data directory
 * per process and cannot reopen it after close.)
 */
let fs: Tmpfs | undefined;
let t: TestControlPlane;
let admin: Session;

describe.skipIf(!canMount)('low free space on the data directory (embedded stores on a small tmpfs)', () => {
  beforeAll(() => {
    fs = mountTmpfs('tianshu-low-', '160m');
  });
  afterAll(async () => {
    await t?.close();
    fs?.unmount();
  });

  it('turns unready when free space falls below storage.minFreeMegabytes, before any write fails', async () => {
    t = await startTestControlPlane({
      dataDir: fs!.dir,
      overrides: { storage: { minFreeMegabytes: 16, checkIntervalSeconds: 1 } },
    });
    admin = await login(t.request, 'admin', ADMIN_PASSWORD);
    expect((await t.request('/readyz')).status).toBe(200);
    fs!.fill(8 * 1024 * 1024);
    const ready = await t.request('/readyz');
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Record<string, string> };
    expect(body.checks.state).toMatch(/below storage\.minFreeMegabytes \(16\)/);
    expect(body.checks.telemetry).toMatch(/below storage\.minFreeMegabytes \(16\)/);
    // The state store can still write, so the alarm is stored at once.
    const alarms = await eventually(async () => {
      const res = await admin.get('/api/v1/alarms?kind=storage-full');
      const items = ((await res.json()) as { items: { targetId: string; state: string }[] }).items;
      return items.length === 2 ? items : undefined;
    }, 15_000);
    expect(alarms.every((a) => a.state === 'firing')).toBe(true);
    fs!.empty();
    await eventually(async () => (await t.request('/readyz')).status === 200, 15_000);
    await eventually(async () => {
      const res = await admin.get('/api/v1/alarms?kind=storage-full');
      return ((await res.json()) as { items: unknown[] }).items.length === 0;
    }, 15_000);
  });
});
