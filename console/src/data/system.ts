import { msg, str } from '@lit/localize';
import { apiFetch } from './api.js';

/** One child process the control plane supervises (embedded agents and lab). */
export interface SupervisedProcess {
  name: string;
  state: 'running' | 'backing-off' | 'waiting' | 'stopped';
  /** While waiting: the process it needs running first. */
  waitingFor?: string;
  pid: number | null;
  restarts: number;
  consecutiveFailures: number;
  startedAt: string | null;
  lastExit: { at: string; code: number | null; signal: string | null; reason: string | null } | null;
  nextRestartAt: string | null;
}

export interface ProcessList {
  /** False when the control plane runs no children (not embedded mode). */
  supervised: boolean;
  items: SupervisedProcess[];
}

export const fetchProcesses = (signal?: AbortSignal): Promise<ProcessList> =>
  apiFetch<ProcessList>('/api/v1/system/processes', { signal });

function stateText(p: SupervisedProcess): string {
  switch (p.state) {
    case 'running':
      return msg('running', { id: 'agents.process.running' });
    case 'backing-off':
      return msg('backing off', { id: 'agents.process.backingOff' });
    case 'stopped':
      return msg('stopped', { id: 'agents.process.stopped' });
    case 'waiting': {
      const other = p.waitingFor;
      return other === undefined
        ? msg('waiting for another process', { id: 'agents.process.waitingAny' })
        : msg(str`waiting for ${other}`, { id: 'agents.process.waitingFor' });
    }
  }
}

function lastExitText(exit: NonNullable<SupervisedProcess['lastExit']>): string {
  const reason = exit.reason;
  if (exit.signal) {
    const signal = exit.signal;
    return reason
      ? msg(str`last signal ${signal}: ${reason}`, { id: 'agents.process.lastSignalReason' })
      : msg(str`last signal ${signal}`, { id: 'agents.process.lastSignal' });
  }
  const code = exit.code ?? '?';
  return reason
    ? msg(str`last exit code ${code}: ${reason}`, { id: 'agents.process.lastExitReason' })
    : msg(str`last exit code ${code}`, { id: 'agents.process.lastExit' });
}

/**
 * One line for operators in the console's language, e.g. `lab: backing off, 5 restarts, last exit
 * code 3: cannot bind…, next start in 40 s` (the exit reason is the process's own words).
 */
export function describeProcess(p: SupervisedProcess, now = Date.now()): string {
  const parts: string[] = [stateText(p)];
  const restarts = p.restarts;
  if (restarts > 0) {
    parts.push(
      restarts === 1
        ? msg(str`${restarts} restart`, { id: 'agents.process.restarts.one' })
        : msg(str`${restarts} restarts`, { id: 'agents.process.restarts.other' }),
    );
  }
  if (p.lastExit && restarts > 0) parts.push(lastExitText(p.lastExit));
  if (p.state === 'backing-off' && p.nextRestartAt) {
    const seconds = Math.max(0, Math.round((Date.parse(p.nextRestartAt) - now) / 1000));
    parts.push(msg(str`next start in ${seconds} s`, { id: 'agents.process.nextStart' }));
  }
  const name = p.name;
  const details = parts.join(msg(', ', { id: 'agents.process.separator' }));
  return msg(str`${name}: ${details}`, { id: 'agents.process.line' });
}
