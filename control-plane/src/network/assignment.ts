import type { AlarmService, AlarmSink } from '../alerting/types.js';
import { systemIdentity } from '../auth/identity.js';
import type { Logger } from '../logger.js';
import type { StateStore } from '../store/state/index.js';
import { pollCandidates, unpolledReason } from './candidates.js';

export const DEVICE_UNPOLLED = 'device-unpolled';

/** A device with SNMP settings that no edge agent polls, and why. */
export interface UnpolledDevice {
  deviceId: string;
  orgUnitId: string;
  reason: string;
}

/**
 * Finds the devices with SNMP settings that no edge agent will poll — no agent serves their org
 * unit, their management address is outside their unit's prefixes, their credential is missing, not
 * granted, of another version, or owned above every agent that serves them — and keeps one
 * `device-unpolled` alarm per such device, with the reason, resolved once an agent polls it. So a
 * device left out of every edge config is never silent.
 */
export class AssignmentCheck {
  constructor(
    private readonly deps: {
      db: StateStore;
      alarms: AlarmSink & Pick<AlarmService, 'list'>;
      log: Logger;
    },
  ) {}

  async unpolled(): Promise<UnpolledDevice[]> {
    const agents = await this.deps.db.query<{ id: string; path: string }>(
      `SELECT a.id::text AS id, u.path FROM agents a JOIN org_units u ON u.id = a.org_unit_id
        WHERE a.revoked_at IS NULL AND 'edge' = ANY(a.roles)`,
    );
    const devices = await pollCandidates(this.deps.db, 'true', []);
    const out: UnpolledDevice[] = [];
    for (const d of devices) {
      const serving = agents.rows.filter(
        (a) => d.path.startsWith(a.path) && (d.poller_agent_id === null || d.poller_agent_id === a.id),
      );
      if (!serving.length) {
        out.push({
          deviceId: d.id,
          orgUnitId: d.org_unit_id,
          reason: d.poller_agent_id
            ? "the named poller is not an enrolled edge agent serving the device's org unit"
            : "no edge agent is enrolled at or above the device's org unit",
        });
        continue;
      }
      // The nearest agent's reason is the one to show (the longest path serves the unit most closely).
      const reasons = serving
        .sort((a, b) => b.path.length - a.path.length)
        .map((a) => unpolledReason(d, a.path));
      if (reasons.some((r) => r === undefined)) continue;
      out.push({ deviceId: d.id, orgUnitId: d.org_unit_id, reason: reasons[0]! });
    }
    return out;
  }

  /** Fires an alarm per unpolled device and resolves those of devices polled again (periodic job). */
  async run(now = new Date()): Promise<{ unpolled: number; resolved: number }> {
    const unpolled = await this.unpolled();
    const ids = new Set(unpolled.map((u) => u.deviceId));
    for (const u of unpolled) {
      await this.deps.alarms.fire(
        {
          kind: DEVICE_UNPOLLED,
          severity: 'warning',
          orgUnitId: u.orgUnitId,
          targetType: 'device',
          targetId: u.deviceId,
          summary: `Device ${u.deviceId} is not polled: ${u.reason}`,
          labels: { reason: u.reason },
        },
        now,
      );
    }
    let resolved = 0;
    let before: string | undefined;
    for (let page = 0; page < 100; page++) {
      const firing = await this.deps.alarms.list(systemIdentity(), {
        kind: DEVICE_UNPOLLED,
        limit: 1000,
        ...(before ? { before } : {}),
      });
      for (const a of firing.items) {
        if (ids.has(a.targetId)) continue;
        await this.deps.alarms.resolve(DEVICE_UNPOLLED, 'device', a.targetId, now);
        resolved++;
      }
      if (!firing.nextBefore) break;
      before = firing.nextBefore;
    }
    if (unpolled.length)
      this.deps.log.debug({ unpolled: unpolled.length }, 'devices not polled by any edge agent');
    return { unpolled: unpolled.length, resolved };
  }
}
