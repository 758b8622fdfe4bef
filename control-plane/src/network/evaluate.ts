/**
 * Link evaluation as pure functions: from the latest interface samples and the previous state, the
 * new state of every link and primary/backup pair, the events to record, and the alarms to raise or
 * resolve. The service (`service.ts`) loads the inputs, calls these, and saves the outputs; nothing
 * here touches a store or the clock.
 *
 * Rules:
 * - A link end is `up` when its interface's ifOperStatus is up, `down` when it is down,
 *   lowerLayerDown or notPresent (or the interface is administratively down), and unknown when the
 *   device's last poll failed, the sample is older than `staleAfterMs`, or the status is anything else.
 *   A link is down when an end is down, up when an end is up (both, or the only one polled), and
 *   unknown otherwise.
 * - Traffic is seen from side A: `in` is what A receives (or what B sends when A is not polled).
 *   Speed is the smaller ifHighSpeed of the two ends, or the inventory speed when neither reports
 *   one. Utilisation is bits per second over speed, in each direction.
 * - A pair member carries traffic when its larger direction exceeds max(1 % of its speed, 1 Mbit/s).
 *   The active member is the one carrying traffic; when both or neither do, the primary if it is
 *   up, else the backup if it is up. The pair has failed over while its backup is active and it has
 *   a primary.
 * - A pair is degraded (without redundancy) when its backup is down while the primary is up, or when
 *   the member of either plane is down; a pair with no second member is not redundant either.
 * - Flapping: at least `flapping.changes` status changes (up ↔ down) within `flapping.windowSeconds`.
 * - Saturation: utilisation at or above `saturation.thresholdPercent` for `saturation.forSeconds`.
 * - Tier: the link's `targetMbps`, else the policy target of its level; below when the speed is
 *   under it, unknown when no speed is known.
 */
import type { PollOutcome } from '@tianshu/protocol';
import type { AlarmCondition } from '../alerting/types.js';
import type { NetworkPolicy } from './policy.js';

export type LinkStatus = 'up' | 'down' | 'unknown';
export type LinkLevel = keyof NetworkPolicy['tiers'];
export type LinkEventKind = 'down' | 'up' | 'failover' | 'failback' | 'flap';

/** The latest poll of one interface. Times are unix milliseconds. */
export interface InterfaceSnapshot {
  ifName: string;
  operStatus: string;
  adminStatus: string;
  /** ifHighSpeed, Mbit/s; 0 when the device does not know. */
  speedMbps: number;
  inBps: number | null;
  outBps: number | null;
  inErrorsPs: number | null;
  outErrorsPs: number | null;
  polledAt: number;
}

/** What the evaluation keeps per device between polls. */
export interface DeviceSnapshot {
  reachable: boolean;
  consecutiveFailures: number;
  polledAt: number;
  /** Whether the device-unreachable alarm is firing. */
  unreachableAlarm: boolean;
  /** Whether the device-poll-failed alarm is firing. */
  pollFailedAlarm?: boolean;
}

export interface LinkEndDef {
  deviceId: string;
  deviceName: string;
  ifIndex: number;
  ifName: string;
  /** The inventory's speed of the interface, used when SNMP reports none. */
  inventorySpeedMbps: number | null;
}

/** A link as the evaluation needs it (from the inventory). */
export interface LinkDef {
  id: string;
  name: string;
  orgUnitId: string;
  level: LinkLevel;
  role: 'primary' | 'backup';
  plane: 'A' | 'B';
  pairId: string | null;
  targetMbps: number | null;
  a: LinkEndDef;
  b: LinkEndDef;
}

export interface Utilisation {
  inPercent: number;
  outPercent: number;
  maxPercent: number;
}

export interface TierVerdict {
  targetMbps: number;
  actualMbps: number | null;
  verdict: 'ok' | 'below' | 'unknown';
}

/** The evaluated state of one link, kept between polls and shown by the API. */
export interface LinkState {
  status: LinkStatus;
  /** The last known status (up or down), which status changes are measured against. */
  lastKnown: 'up' | 'down' | null;
  lastChangeAt: number | null;
  /** Times of recent status changes, within the flapping window. */
  changes: number[];
  flapping: boolean;
  speedMbps: number | null;
  bps: { in: number; out: number } | null;
  utilisation: Utilisation | null;
  errorsPerSecond: number | null;
  /** Pair members: whether this one carries the traffic; null outside a pair or when unknown. */
  active: boolean | null;
  /** True on both members of a pair that has failed over to its backup. */
  failedOver: boolean;
  tier: TierVerdict;
  saturatedSince: number | null;
  saturated: boolean;
  /** Whether the link-down alarm is firing. */
  downAlarm: boolean;
  /** Whether the below-tier alarm is firing. */
  belowTierAlarm: boolean;
  updatedAt: number;
}

export type RedundancyReason = 'backup-down' | 'plane-down' | 'no-backup' | 'no-primary';

/**
 * The key of a pair: pair ids are chosen per org unit (both links of a pair serve the same unit), so
 * a pair is identified by the unit and the id together. Maps of pair states, `pair_state` rows and
 * pair alarms' target ids use it.
 */
export function pairKey(orgUnitId: string, pairId: string): string {
  return `${orgUnitId}/${pairId}`;
}

export interface PairState {
  pairId: string;
  orgUnitId: string;
  primaryId: string | null;
  backupId: string | null;
  activeLinkId: string | null;
  failedOver: boolean;
  degraded: boolean;
  reasons: RedundancyReason[];
  /** Planes whose member is down. */
  planesDown: ('A' | 'B')[];
  updatedAt: number;
}

export interface LinkEvent {
  linkId: string;
  at: number;
  event: LinkEventKind;
  detail: string;
}

export type AlarmAction =
  | { action: 'fire'; condition: AlarmCondition }
  | { action: 'resolve'; kind: string; targetType: string; targetId: string };

export interface EvaluationInput {
  /** The links to evaluate; pairs are evaluated when all their members are here. */
  links: readonly LinkDef[];
  /** Latest samples by `interfaceKey(deviceId, ifIndex)`. */
  interfaces: ReadonlyMap<string, InterfaceSnapshot>;
  devices: ReadonlyMap<string, DeviceSnapshot>;
  previous: ReadonlyMap<string, LinkState>;
  previousPairs: ReadonlyMap<string, PairState>;
  policy: NetworkPolicy;
  now: number;
  /** A sample older than this no longer tells the status (a few poll intervals). */
  staleAfterMs: number;
}

export interface EvaluationResult {
  links: Map<string, LinkState>;
  pairs: Map<string, PairState>;
  events: LinkEvent[];
  alarms: AlarmAction[];
}

export const interfaceKey = (deviceId: string, ifIndex: number): string => `${deviceId}#${ifIndex}`;

const DOWN_STATUSES = new Set(['down', 'lowerLayerDown', 'notPresent']);
/** A member below this many bits per second is idle, whatever its speed. */
const MIN_ACTIVE_BPS = 1_000_000;

/** The status of one end, from its latest sample and its device's last poll. */
export function endStatus(
  sample: InterfaceSnapshot | undefined,
  device: DeviceSnapshot | undefined,
  now: number,
  staleAfterMs: number,
): LinkStatus {
  if (!sample) return 'unknown';
  if (device && !device.reachable) return 'unknown';
  if (now - sample.polledAt > staleAfterMs) return 'unknown';
  if (sample.adminStatus === 'down') return 'down';
  if (sample.operStatus === 'up') return 'up';
  if (DOWN_STATUSES.has(sample.operStatus)) return 'down';
  return 'unknown';
}

/** Combines the two ends: down wins, then up, else unknown. */
export function linkStatus(a: LinkStatus, b: LinkStatus): LinkStatus {
  if (a === 'down' || b === 'down') return 'down';
  if (a === 'up' || b === 'up') return 'up';
  return 'unknown';
}

/** The tier verdict of a link at `speedMbps`. */
export function tierVerdict(
  level: LinkLevel,
  targetOverride: number | null,
  speedMbps: number | null,
  policy: NetworkPolicy,
): TierVerdict {
  const targetMbps = targetOverride ?? policy.tiers[level];
  if (speedMbps === null || speedMbps <= 0) return { targetMbps, actualMbps: null, verdict: 'unknown' };
  return { targetMbps, actualMbps: speedMbps, verdict: speedMbps < targetMbps ? 'below' : 'ok' };
}

/** Keeps the change times inside the window and says whether they amount to flapping. */
export function flapWindow(
  changes: readonly number[],
  now: number,
  policy: NetworkPolicy,
): { changes: number[]; flapping: boolean } {
  const since = now - policy.flapping.windowSeconds * 1000;
  const kept = changes.filter((t) => t > since);
  return { changes: kept, flapping: kept.length >= policy.flapping.changes };
}

/** Sustained saturation: since when the link has been at or above the threshold, and whether long enough. */
export function saturation(
  maxPercent: number | null,
  previousSince: number | null,
  now: number,
  policy: NetworkPolicy,
): { since: number | null; saturated: boolean } {
  if (maxPercent === null || maxPercent < policy.saturation.thresholdPercent) {
    return { since: null, saturated: false };
  }
  const since = previousSince ?? now;
  return { since, saturated: now - since >= policy.saturation.forSeconds * 1000 };
}

const fresh = (
  s: InterfaceSnapshot | undefined,
  d: DeviceSnapshot | undefined,
  now: number,
  staleAfterMs: number,
): InterfaceSnapshot | undefined =>
  s && (!d || d.reachable) && now - s.polledAt <= staleAfterMs ? s : undefined;

/** Traffic, speed, utilisation and errors of a link from its ends' fresh samples. */
export function measure(
  link: LinkDef,
  a: InterfaceSnapshot | undefined,
  b: InterfaceSnapshot | undefined,
): Pick<LinkState, 'speedMbps' | 'bps' | 'utilisation' | 'errorsPerSecond'> {
  const polled = [a?.speedMbps, b?.speedMbps].filter((x): x is number => typeof x === 'number' && x > 0);
  const inventory = [link.a.inventorySpeedMbps, link.b.inventorySpeedMbps].filter(
    (x): x is number => typeof x === 'number' && x > 0,
  );
  const speeds = polled.length ? polled : inventory;
  const speedMbps = speeds.length ? Math.min(...speeds) : null;
  let bps: { in: number; out: number } | null = null;
  if (a && a.inBps !== null && a.outBps !== null) bps = { in: a.inBps, out: a.outBps };
  else if (b && b.inBps !== null && b.outBps !== null) bps = { in: b.outBps, out: b.inBps };
  let utilisation: Utilisation | null = null;
  if (bps && speedMbps) {
    const bits = speedMbps * 1e6;
    const inPercent = round((bps.in / bits) * 100);
    const outPercent = round((bps.out / bits) * 100);
    utilisation = { inPercent, outPercent, maxPercent: Math.max(inPercent, outPercent) };
  }
  const errors = [a?.inErrorsPs, a?.outErrorsPs, b?.inErrorsPs, b?.outErrorsPs].filter(
    (x): x is number => typeof x === 'number',
  );
  return {
    speedMbps,
    bps,
    utilisation,
    errorsPerSecond: errors.length ? round(errors.reduce((s, x) => s + x, 0)) : null,
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** Whether a pair member carries traffic. */
export function carriesTraffic(state: Pick<LinkState, 'status' | 'bps' | 'speedMbps'>): boolean {
  if (state.status !== 'up' || !state.bps) return false;
  const threshold = Math.max((state.speedMbps ?? 0) * 1e6 * 0.01, MIN_ACTIVE_BPS);
  return Math.max(state.bps.in, state.bps.out) > threshold;
}

/** The active member of a pair (see the rules above), or null when neither is up. */
export function activeMember(
  primary: { id: string; state: LinkState } | undefined,
  backup: { id: string; state: LinkState } | undefined,
): string | null {
  const p = primary && carriesTraffic(primary.state);
  const b = backup && carriesTraffic(backup.state);
  if (p && !b) return primary!.id;
  if (b && !p) return backup!.id;
  if (primary && primary.state.status === 'up') return primary.id;
  if (backup && backup.state.status === 'up') return backup.id;
  return null;
}

/** Redundancy of a pair from its members' statuses. */
export function redundancy(
  primary: { plane: 'A' | 'B'; state: LinkState } | undefined,
  backup: { plane: 'A' | 'B'; state: LinkState } | undefined,
): { degraded: boolean; reasons: RedundancyReason[]; planesDown: ('A' | 'B')[] } {
  const reasons: RedundancyReason[] = [];
  if (!backup) reasons.push('no-backup');
  if (!primary) reasons.push('no-primary');
  if (primary?.state.status === 'up' && backup?.state.status === 'down') reasons.push('backup-down');
  const planesDown = [primary, backup]
    .filter((m) => m?.state.status === 'down')
    .map((m) => m!.plane)
    .filter((p, i, all) => all.indexOf(p) === i)
    .sort();
  if (planesDown.length) reasons.push('plane-down');
  return { degraded: reasons.length > 0, reasons, planesDown };
}

const describeEnd = (e: LinkEndDef) => `${e.deviceName} ${e.ifName}`;

/** Evaluates links and pairs; see the file comment for the rules. */
export function evaluate(input: EvaluationInput): EvaluationResult {
  const { policy, now, staleAfterMs } = input;
  const links = new Map<string, LinkState>();
  const events: LinkEvent[] = [];
  const alarms: AlarmAction[] = [];
  const fire = (condition: AlarmCondition) => alarms.push({ action: 'fire', condition });
  const resolve = (kind: string, targetType: string, targetId: string) =>
    alarms.push({ action: 'resolve', kind, targetType, targetId });

  for (const link of input.links) {
    const prev = input.previous.get(link.id);
    const sa = input.interfaces.get(interfaceKey(link.a.deviceId, link.a.ifIndex));
    const sb = input.interfaces.get(interfaceKey(link.b.deviceId, link.b.ifIndex));
    const da = input.devices.get(link.a.deviceId);
    const db = input.devices.get(link.b.deviceId);
    const stA = endStatus(sa, da, now, staleAfterMs);
    const stB = endStatus(sb, db, now, staleAfterMs);
    const status = linkStatus(stA, stB);
    const m = measure(link, fresh(sa, da, now, staleAfterMs), fresh(sb, db, now, staleAfterMs));

    let lastKnown = prev?.lastKnown ?? null;
    let lastChangeAt = prev?.lastChangeAt ?? null;
    let changes = prev?.changes ?? [];
    if (status !== 'unknown' && status !== lastKnown) {
      const downEnds = [
        stA === 'down'
          ? `${describeEnd(link.a)} is ${sa?.adminStatus === 'down' ? 'administratively down' : (sa?.operStatus ?? 'down')}`
          : null,
        stB === 'down'
          ? `${describeEnd(link.b)} is ${sb?.adminStatus === 'down' ? 'administratively down' : (sb?.operStatus ?? 'down')}`
          : null,
      ].filter(Boolean);
      // A link first seen down is recorded; a link first seen up is simply up.
      if (lastKnown !== null || status === 'down') {
        events.push({
          linkId: link.id,
          at: now,
          event: status,
          detail:
            status === 'down'
              ? `${link.name} went down: ${downEnds.join('; ')}`
              : `${link.name} came back up`,
        });
      }
      if (lastKnown !== null) changes = [...changes, now];
      lastKnown = status;
      lastChangeAt = now;
    }
    const flap = flapWindow(changes, now, policy);
    if (flap.flapping && !prev?.flapping) {
      events.push({
        linkId: link.id,
        at: now,
        event: 'flap',
        detail: `${link.name} changed status ${flap.changes.length} times in ${policy.flapping.windowSeconds} s`,
      });
    }
    const sat = saturation(m.utilisation?.maxPercent ?? null, prev?.saturatedSince ?? null, now, policy);
    const tier = tierVerdict(link.level, link.targetMbps, m.speedMbps, policy);

    let downAlarm = prev?.downAlarm ?? false;
    if (status === 'down' && !downAlarm) {
      downAlarm = true;
      fire({
        kind: 'link-down',
        severity: link.role === 'backup' ? 'major' : 'critical',
        orgUnitId: link.orgUnitId,
        targetType: 'link',
        targetId: link.id,
        summary: `${link.role} link ${link.name} is down`,
        labels: linkLabels(link),
      });
    } else if (status === 'up' && downAlarm) {
      downAlarm = false;
      resolve('link-down', 'link', link.id);
    }
    if (flap.flapping && !prev?.flapping) {
      fire({
        kind: 'link-flapping',
        severity: 'major',
        orgUnitId: link.orgUnitId,
        targetType: 'link',
        targetId: link.id,
        summary: `link ${link.name} is flapping: ${flap.changes.length} status changes in ${policy.flapping.windowSeconds} s`,
        labels: linkLabels(link),
      });
    } else if (!flap.flapping && prev?.flapping) {
      resolve('link-flapping', 'link', link.id);
    }
    if (sat.saturated && !prev?.saturated) {
      fire({
        kind: 'link-saturated',
        severity: 'major',
        orgUnitId: link.orgUnitId,
        targetType: 'link',
        targetId: link.id,
        summary: `link ${link.name} has been at ${m.utilisation?.maxPercent ?? 0}% (≥ ${policy.saturation.thresholdPercent}%) for ${Math.round((now - sat.since!) / 1000)} s`,
        labels: linkLabels(link),
      });
    } else if (!sat.saturated && prev?.saturated) {
      resolve('link-saturated', 'link', link.id);
    }
    let belowTierAlarm = prev?.belowTierAlarm ?? false;
    if (tier.verdict === 'below' && !belowTierAlarm) {
      belowTierAlarm = true;
      fire({
        kind: 'below-tier',
        severity: 'minor',
        orgUnitId: link.orgUnitId,
        targetType: 'link',
        targetId: link.id,
        summary: `${link.level} link ${link.name} runs at ${tier.actualMbps} Mbit/s, below the ${tier.targetMbps} Mbit/s target`,
        labels: linkLabels(link),
      });
    } else if (tier.verdict === 'ok' && belowTierAlarm) {
      belowTierAlarm = false;
      resolve('below-tier', 'link', link.id);
    }

    links.set(link.id, {
      status,
      lastKnown,
      lastChangeAt,
      changes: flap.changes,
      flapping: flap.flapping,
      ...m,
      active: null,
      failedOver: false,
      tier,
      saturatedSince: sat.since,
      saturated: sat.saturated,
      downAlarm,
      belowTierAlarm,
      updatedAt: now,
    });
  }

  // Pairs whose members are all here.
  const byPair = new Map<string, LinkDef[]>();
  for (const l of input.links) {
    if (!l.pairId) continue;
    const key = pairKey(l.orgUnitId, l.pairId);
    byPair.set(key, [...(byPair.get(key) ?? []), l]);
  }
  const pairs = new Map<string, PairState>();
  for (const [key, members] of byPair) {
    const pairId = members[0]!.pairId!;
    const primaryDef = members.find((l) => l.role === 'primary');
    const backupDef = members.find((l) => l.role === 'backup');
    const primary = primaryDef && {
      id: primaryDef.id,
      plane: primaryDef.plane,
      state: links.get(primaryDef.id)!,
    };
    const backup = backupDef && { id: backupDef.id, plane: backupDef.plane, state: links.get(backupDef.id)! };
    const prev = input.previousPairs.get(key);
    const activeLinkId = activeMember(primary, backup);
    const failedOver = !!primary && !!backup && activeLinkId === backup.id;
    const red = redundancy(primary, backup);
    for (const m of [primary, backup]) {
      if (!m) continue;
      m.state.active = activeLinkId === null ? null : activeLinkId === m.id;
      m.state.failedOver = failedOver;
    }
    const orgUnitId = members[0]!.orgUnitId;
    const labels = { pairId, level: members[0]!.level };
    if (failedOver && !prev?.failedOver) {
      for (const m of [primary!, backup!]) {
        events.push({
          linkId: m.id,
          at: now,
          event: 'failover',
          detail: `pair ${pairId} failed over: traffic moved from primary ${primaryDef!.name} to backup ${backupDef!.name}`,
        });
      }
      fire({
        kind: 'failed-over',
        severity: 'major',
        orgUnitId,
        targetType: 'pair',
        targetId: key,
        summary: `pair ${pairId} has failed over to its backup link ${backupDef!.name}`,
        labels,
      });
    } else if (!failedOver && prev?.failedOver) {
      for (const m of [primary, backup]) {
        if (!m) continue;
        events.push({
          linkId: m.id,
          at: now,
          event: 'failback',
          detail: `pair ${pairId} failed back: traffic is on primary ${primaryDef?.name ?? '(none)'} again`,
        });
      }
      resolve('failed-over', 'pair', key);
    }
    if (red.degraded && !prev?.degraded) {
      fire({
        kind: 'redundancy-lost',
        severity: 'major',
        orgUnitId,
        targetType: 'pair',
        targetId: key,
        summary: `pair ${pairId} has no redundancy: ${red.reasons.join(', ')}${red.planesDown.length ? ` (plane ${red.planesDown.join(' and ')} down)` : ''}`,
        labels,
      });
    } else if (!red.degraded && prev?.degraded) {
      resolve('redundancy-lost', 'pair', key);
    }
    pairs.set(key, {
      pairId,
      orgUnitId,
      primaryId: primary?.id ?? null,
      backupId: backup?.id ?? null,
      activeLinkId,
      failedOver,
      degraded: red.degraded,
      reasons: red.reasons,
      planesDown: red.planesDown,
      updatedAt: now,
    });
  }
  return { links, pairs, events, alarms };
}

function linkLabels(link: LinkDef): Record<string, string> {
  return {
    level: link.level,
    role: link.role,
    plane: link.plane,
    ...(link.pairId ? { pairId: link.pairId } : {}),
    a: `${link.a.deviceId}:${link.a.ifName}`,
    b: `${link.b.deviceId}:${link.b.ifName}`,
  };
}

/** What a poll came to; older agents send no `outcome` (then: timeout when unreachable, error with an error). */
export function pollOutcome(poll: {
  reachable: boolean;
  error?: string | undefined;
  outcome?: PollOutcome | undefined;
}): PollOutcome {
  if (poll.outcome) return poll.outcome;
  if (!poll.reachable) return 'timeout';
  return poll.error ? 'error' : 'ok';
}

/** Outcomes that count as the device answering (partial answers are shown as such, not failures). */
export const answered = (outcome: PollOutcome): boolean => outcome === 'ok' || outcome === 'partial';

/**
 * One poll of a device: the new device state and the alarms to raise or resolve. Every failed poll
 * (timeout, auth, agent-error, error) counts toward `consecutiveFailures`; an ok or partial poll
 * resets it. Timeouts raise `device-unreachable` after `unreachable.afterFailedPolls` failures in a
 * row; the other failures raise `device-poll-failed` (naming the outcome and the reason) after
 * `pollFailed.afterFailedPolls`. One cause, one alarm: a device failing for one reason has only that
 * reason's alarm firing, and a change of reason resolves the other.
 */
export function evaluateDevicePoll(
  prev: DeviceSnapshot | undefined,
  poll: {
    reachable: boolean;
    polledAt: number;
    error?: string | undefined;
    outcome?: PollOutcome | undefined;
  },
  device: { id: string; name: string; orgUnitId: string },
  policy: NetworkPolicy,
): { state: DeviceSnapshot; alarms: AlarmAction[] } {
  const outcome = pollOutcome(poll);
  const ok = answered(outcome);
  const failures = ok ? 0 : (prev?.consecutiveFailures ?? 0) + 1;
  const wasUnreachable = prev?.unreachableAlarm ?? false;
  const wasFailed = prev?.pollFailedAlarm ?? false;
  const unreachable =
    outcome === 'timeout' && (failures >= policy.unreachable.afterFailedPolls || wasUnreachable);
  const failedAfter = policy.pollFailed?.afterFailedPolls ?? DEFAULT_POLL_FAILED_AFTER;
  const failed = !ok && outcome !== 'timeout' && (failures >= failedAfter || wasFailed);
  const state: DeviceSnapshot = {
    reachable: ok,
    consecutiveFailures: failures,
    polledAt: poll.polledAt,
    unreachableAlarm: unreachable,
    pollFailedAlarm: failed,
  };
  const alarms: AlarmAction[] = [];
  const target = { targetType: 'device', targetId: device.id };
  if (wasUnreachable && !unreachable)
    alarms.push({ action: 'resolve', kind: 'device-unreachable', ...target });
  if (wasFailed && !failed) alarms.push({ action: 'resolve', kind: 'device-poll-failed', ...target });
  if (unreachable && !wasUnreachable) {
    alarms.push({
      action: 'fire',
      condition: {
        kind: 'device-unreachable',
        severity: 'critical',
        orgUnitId: device.orgUnitId,
        ...target,
        summary: `device ${device.name} did not answer ${failures} polls in a row${poll.error ? `: ${poll.error}` : ''}`,
        labels: { deviceId: device.id, outcome },
      },
    });
  }
  if (failed && !wasFailed) {
    alarms.push({
      action: 'fire',
      condition: {
        kind: 'device-poll-failed',
        severity: 'major',
        orgUnitId: device.orgUnitId,
        ...target,
        summary: `polls of device ${device.name} failed ${failures} times in a row (${outcome})${poll.error ? `: ${poll.error}` : ''}`,
        labels: { deviceId: device.id, outcome, ...(poll.error ? { reason: poll.error.slice(0, 500) } : {}) },
      },
    });
  }
  return { state, alarms };
}

/** Failed polls in a row before `device-poll-failed` when the policy does not say. */
export const DEFAULT_POLL_FAILED_AFTER = 3;
