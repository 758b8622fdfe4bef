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

/** One line for operators, e.g. `lab: backing off, 5 restarts, exit code 3: cannot bind…, next in 40 s`. */
export function describeProcess(p: SupervisedProcess, now = Date.now()): string {
  const parts: string[] = [
    p.state === 'backing-off'
      ? 'backing off'
      : p.state === 'waiting'
        ? `waiting for ${p.waitingFor ?? 'another process'}`
        : p.state,
  ];
  if (p.restarts > 0) parts.push(`${p.restarts} restart${p.restarts === 1 ? '' : 's'}`);
  if (p.lastExit && p.restarts > 0) {
    const how = p.lastExit.signal ? `signal ${p.lastExit.signal}` : `exit code ${p.lastExit.code ?? '?'}`;
    parts.push(p.lastExit.reason ? `last ${how}: ${p.lastExit.reason}` : `last ${how}`);
  }
  if (p.state === 'backing-off' && p.nextRestartAt) {
    const s = Math.max(0, Math.round((Date.parse(p.nextRestartAt) - now) / 1000));
    parts.push(`next start in ${s} s`);
  }
  return `${p.name}: ${parts.join(', ')}`;
}
