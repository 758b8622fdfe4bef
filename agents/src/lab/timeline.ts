import type { Logger } from '../runtime/logger.js';
import { errorFields } from '../runtime/logger.js';
import type { LinkRef, ScenarioEvent } from './scenario.js';

/** The operations a timeline drives: the same ones the control API exposes. */
export interface TimelineTarget {
  linkDown(ref: LinkRef, options?: { admin?: boolean }): void;
  linkUp(ref: LinkRef): void;
  reboot(deviceId: string): void;
  setDeviceReachable(deviceId: string, reachable: boolean): Promise<void>;
  setCountersNearWrap(deviceId: string, remaining: bigint): void;
  setCounters32NearWrap(deviceId: string, remaining: bigint): void;
  setLoad(ref: LinkRef, fraction: number | null): void;
}

/** A running timeline; `stop` cancels every pending step. */
export interface Timeline {
  stop(): void;
}

function describe(ref: LinkRef): string {
  if (typeof ref === 'string') return ref;
  return 'device' in ref ? `${ref.device}:${ref.ifIndex}` : `${ref.pairId}/${ref.role}`;
}

/**
 * Plays the scenario's events with one timer per pending step (never one per interface): each
 * event first fires `at` seconds after the start and, with `every`, again each period.
 */
export function startTimeline(
  events: readonly ScenarioEvent[],
  target: TimelineTarget,
  log: Logger,
): Timeline {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const later = (seconds: number, fn: () => void): void => {
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      if (stopped) return;
      try {
        fn();
      } catch (err) {
        log.warn('lab scenario step failed', errorFields(err));
      }
    }, seconds * 1000);
    t.unref();
    timers.add(t);
  };
  const reachable = (device: string, up: boolean): void => {
    target.setDeviceReachable(device, up).catch((err: unknown) => {
      log.warn('lab scenario step failed', { device, ...errorFields(err) });
    });
  };

  const fire = (e: ScenarioEvent, index: number): void => {
    const fields: Record<string, unknown> = { event: e.type, index };
    switch (e.type) {
      case 'link-down': {
        log.info('lab scenario event', { ...fields, link: describe(e.link), admin: e.admin, for: e.for });
        target.linkDown(e.link, { admin: e.admin });
        if (e.for !== undefined) {
          later(e.for, () => {
            log.info('lab scenario event', { event: 'link-up', index, link: describe(e.link) });
            target.linkUp(e.link);
          });
        }
        break;
      }
      case 'link-up':
        log.info('lab scenario event', { ...fields, link: describe(e.link) });
        target.linkUp(e.link);
        break;
      case 'device-reboot':
        log.info('lab scenario event', { ...fields, device: e.device });
        target.reboot(e.device);
        break;
      case 'device-down':
        log.info('lab scenario event', { ...fields, device: e.device, for: e.for });
        reachable(e.device, false);
        if (e.for !== undefined) {
          later(e.for, () => {
            log.info('lab scenario event', { event: 'device-up', index, device: e.device });
            reachable(e.device, true);
          });
        }
        break;
      case 'device-up':
        log.info('lab scenario event', { ...fields, device: e.device });
        reachable(e.device, true);
        break;
      case 'saturate':
        log.info('lab scenario event', { ...fields, link: describe(e.link), load: e.load, for: e.for });
        target.setLoad(e.link, e.load);
        later(e.for, () => {
          log.info('lab scenario event', { event: 'saturate-end', index, link: describe(e.link) });
          target.setLoad(e.link, null);
        });
        break;
      case 'counter-near-wrap':
        log.info('lab scenario event', {
          ...fields,
          device: e.device,
          remaining: e.remaining.toString(),
          bits: e.bits,
        });
        if (e.bits === 32) target.setCounters32NearWrap(e.device, e.remaining);
        else target.setCountersNearWrap(e.device, e.remaining);
        break;
      case 'flap': {
        log.info('lab scenario event', {
          ...fields,
          link: describe(e.link),
          interval: e.interval,
          for: e.for,
        });
        const steps = Math.max(1, Math.floor(e.for / e.interval));
        target.linkDown(e.link);
        for (let s = 1; s <= steps; s++) {
          const down = s % 2 === 0 && s < steps;
          later(s * e.interval, () => (down ? target.linkDown(e.link) : target.linkUp(e.link)));
        }
        later(steps * e.interval, () => {
          target.linkUp(e.link);
          log.info('lab scenario event', { event: 'flap-end', index, link: describe(e.link) });
        });
        break;
      }
    }
  };

  events.forEach((e, index) => {
    const run = (): void => {
      fire(e, index);
      if (e.every !== undefined) later(e.every, run);
    };
    later(e.at, run);
  });

  return {
    stop(): void {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
