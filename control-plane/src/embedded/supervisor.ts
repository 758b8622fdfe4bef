import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../logger.js';

/** What operators see about one supervised child process. */
export interface ProcessState {
  name: string;
  state: 'running' | 'backing-off' | 'waiting' | 'stopped';
  /** While `waiting`: the child it needs running first (see `ChildSpec.requires`). */
  waitingFor?: string | undefined;
  pid: number | null;
  /** Restarts since the supervisor started. */
  restarts: number;
  /** Exits in a row that came before the child had run healthily; drives the back-off. */
  consecutiveFailures: number;
  startedAt: string | null;
  lastExit: {
    at: string;
    code: number | null;
    signal: string | null;
    /** The last line the child wrote to stderr (its log message when it is a JSON log line). */
    reason: string | null;
  } | null;
  /** When the next start is due while backing off. */
  nextRestartAt: string | null;
}

/** Read side of a {@link Supervisor}, as the API needs it. */
export interface ProcessTable {
  list(): ProcessState[];
}

export interface SupervisorOptions {
  log: Logger;
  /** Delay before the first restart; doubled after each quick exit. Default 1 s. */
  initialBackoffMillis?: number;
  /** Longest delay between restarts. Default 5 minutes. */
  maxBackoffMillis?: number;
  /** A child that ran this long was healthy: the back-off starts over. Default 60 s. */
  healthyAfterMillis?: number;
  /** Time a child gets between SIGTERM and SIGKILL when stopped. Default 5 s. */
  stopTimeoutMillis?: number;
}

/** How to start one child. */
export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /**
   * Another child this one may run only beside: it starts once that child has run for
   * `readyAfterMillis` (default 2 s), and is stopped (state `waiting`, no restart counted) whenever
   * that child exits. The embedded edge agent requires the lab, so that while the lab cannot bind
   * its ports the agent does not poll whatever holds them.
   */
  requires?: {
    name: string;
    readyAfterMillis?: number;
    /** Also required before the start: the embedded lab's routers file has been applied, say. */
    ready?: () => boolean;
  };
  /**
   * Exit codes meaning the child cannot run as configured (the lab's 2: a bad inventory or
   * scenario, or a port it may not move from is taken). After one the child is not restarted: its
   * state is `stopped` and its last exit carries the reason, until the configuration is fixed and
   * the control plane restarted. Any other exit is restarted with back-off.
   */
  fatalExitCodes?: readonly number[];
}

interface Entry {
  spec: ChildSpec;
  child: ChildProcess | undefined;
  // One object per launch, so that 'error' and 'exit' of the same run count as one exit.
  run: object | undefined;
  state: ProcessState;
  timer: NodeJS.Timeout | undefined;
  startedAtMillis: number;
  stderrTail: string;
  /** Stopped because the child it requires exited; its exit is not a failure. */
  heldBack: boolean;
}

/** Environment variable telling a child the PID of the parent it must not outlive. */
export const parentPidEnv = 'TIANSHU_AGENT_PARENT_PID';

/**
 * Runs child processes, restarting each when it exits with exponential back-off (reset after a
 * healthy run), and keeps per child what operators need to see: running or backing off, restarts,
 * the last exit code or signal with the last stderr line as its reason, and the next restart time.
 * Children get an IPC channel and {@link parentPidEnv}, so they exit when this process dies, even
 * by SIGKILL.
 */
export class Supervisor implements ProcessTable {
  readonly #log: Logger;
  readonly #initial: number;
  readonly #max: number;
  readonly #healthy: number;
  readonly #stopTimeout: number;
  readonly #entries = new Map<string, Entry>();
  #stopping = false;

  constructor(options: SupervisorOptions) {
    this.#log = options.log;
    this.#initial = options.initialBackoffMillis ?? 1000;
    this.#max = options.maxBackoffMillis ?? 300_000;
    this.#healthy = options.healthyAfterMillis ?? 60_000;
    this.#stopTimeout = options.stopTimeoutMillis ?? 5000;
    if (!(this.#initial > 0)) throw new Error('supervisor option "initialBackoffMillis" must be positive');
    if (!(this.#max >= this.#initial)) {
      throw new Error('supervisor option "maxBackoffMillis" must be at least "initialBackoffMillis"');
    }
    if (!(this.#healthy > 0)) throw new Error('supervisor option "healthyAfterMillis" must be positive');
  }

  /** Starts a child and keeps it running until {@link stop}. Names are unique. */
  start(spec: ChildSpec): void {
    if (this.#stopping) throw new Error('supervisor is stopping');
    if (this.#entries.has(spec.name)) throw new Error(`a child named "${spec.name}" is already supervised`);
    const entry: Entry = {
      spec,
      child: undefined,
      run: undefined,
      timer: undefined,
      startedAtMillis: 0,
      stderrTail: '',
      heldBack: false,
      state: {
        name: spec.name,
        state: 'stopped',
        pid: null,
        restarts: 0,
        consecutiveFailures: 0,
        startedAt: null,
        lastExit: null,
        nextRestartAt: null,
      },
    };
    this.#entries.set(spec.name, entry);
    this.#launch(entry);
  }

  list(): ProcessState[] {
    return [...this.#entries.values()].map((e) => ({
      ...e.state,
      lastExit: e.state.lastExit ? { ...e.state.lastExit } : null,
    }));
  }

  /** Whether the child `entry` requires has run long enough; true without a requirement. */
  #requirementReady(entry: Entry): boolean {
    const req = entry.spec.requires;
    if (!req) return true;
    const other = this.#entries.get(req.name);
    return (
      other !== undefined &&
      other.state.state === 'running' &&
      Date.now() - other.startedAtMillis >= (req.readyAfterMillis ?? 2000) &&
      (req.ready?.() ?? true)
    );
  }

  #launch(entry: Entry): void {
    entry.timer = undefined;
    if (this.#stopping) return;
    const { spec } = entry;
    if (!this.#requirementReady(entry)) {
      Object.assign(entry.state, { state: 'waiting', waitingFor: spec.requires!.name, nextRestartAt: null });
      entry.timer = setTimeout(() => this.#launch(entry), 500);
      entry.timer.unref();
      return;
    }
    entry.heldBack = false;
    entry.state.waitingFor = undefined;
    const run = {};
    entry.run = run;
    entry.startedAtMillis = Date.now();
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
        env: { ...(spec.env ?? process.env), [parentPidEnv]: String(process.pid) },
      });
    } catch (err) {
      this.#exited(entry, run, null, null, `cannot start: ${(err as Error).message}`);
      return;
    }
    entry.child = child;
    entry.stderrTail = '';
    // The channel is only there so the child notices our death; it must not keep us alive.
    child.channel?.unref();
    child.on('error', (err) => {
      // spawn failures (ENOENT, EACCES) arrive here and are followed by 'exit' or nothing at all.
      if (child.pid === undefined) this.#exited(entry, run, null, null, `cannot start: ${err.message}`);
    });
    child.stderr?.on('data', (d: Buffer) => {
      process.stderr.write(d);
      entry.stderrTail = (entry.stderrTail + d.toString('utf8')).slice(-4096);
    });
    child.on('exit', (code, signal) => {
      this.#exited(entry, run, code, signal, lastLineReason(entry.stderrTail));
    });
    Object.assign(entry.state, {
      state: 'running',
      pid: child.pid ?? null,
      startedAt: new Date(entry.startedAtMillis).toISOString(),
      nextRestartAt: null,
    });
  }

  #exited(
    entry: Entry,
    run: object,
    code: number | null,
    signal: string | null,
    reason: string | null,
  ): void {
    if (entry.run !== run) return;
    entry.run = undefined;
    entry.child = undefined;
    const ranMillis = Date.now() - entry.startedAtMillis;
    entry.state.pid = null;
    entry.state.lastExit = { at: new Date().toISOString(), code, signal, reason };
    if (this.#stopping) {
      entry.state.state = 'stopped';
      return;
    }
    // Children that require this one stop with it and wait for it to run again.
    for (const d of this.#entries.values()) {
      if (d.spec.requires?.name !== entry.spec.name || !d.child) continue;
      d.heldBack = true;
      this.#log.warn(
        { name: d.spec.name, requires: entry.spec.name },
        'embedded process stopped: the process it requires exited',
      );
      d.child.kill('SIGTERM');
    }
    if (entry.heldBack) {
      entry.heldBack = false;
      this.#launch(entry);
      return;
    }
    if (code !== null && entry.spec.fatalExitCodes?.includes(code)) {
      entry.state.state = 'stopped';
      entry.state.nextRestartAt = null;
      this.#log.error(
        { name: entry.spec.name, code, reason, ranSeconds: Math.round(ranMillis / 1000) },
        'embedded process cannot run as configured; not restarting it (fix the configuration and restart)',
      );
      return;
    }
    entry.state.consecutiveFailures = ranMillis >= this.#healthy ? 1 : entry.state.consecutiveFailures + 1;
    const delay = Math.min(this.#max, this.#initial * 2 ** Math.min(entry.state.consecutiveFailures - 1, 40));
    entry.state.state = 'backing-off';
    entry.state.restarts += 1;
    entry.state.nextRestartAt = new Date(Date.now() + delay).toISOString();
    this.#log.warn(
      {
        name: entry.spec.name,
        code,
        signal,
        reason,
        restarts: entry.state.restarts,
        ranSeconds: Math.round(ranMillis / 1000),
        restartInSeconds: delay / 1000,
      },
      'embedded process exited; restarting after back-off',
    );
    entry.timer = setTimeout(() => this.#launch(entry), delay);
    entry.timer.unref();
  }

  /** Stops every child (SIGTERM, then SIGKILL after the stop timeout) and restarts none. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      [...this.#entries.values()].map(async (e) => {
        if (e.timer) clearTimeout(e.timer);
        e.timer = undefined;
        const child = e.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) {
          e.state.state = 'stopped';
          e.state.nextRestartAt = null;
          return;
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => child.kill('SIGKILL'), this.#stopTimeout);
          child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          child.kill('SIGTERM');
        });
        e.state.nextRestartAt = null;
      }),
    );
  }
}

/** The last non-empty stderr line; for a JSON log line its message (and error), else the line. */
export function lastLineReason(tail: string): string | null {
  const lines = tail
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines.at(-1);
  if (!last) return null;
  try {
    const o = JSON.parse(last) as Record<string, unknown>;
    if (typeof o.msg === 'string') {
      const detail = [o.error, o.err, o.message, o.reason].find((v) => typeof v === 'string') as
        string | undefined;
      return (detail ? `${o.msg}: ${detail}` : o.msg).slice(0, 500);
    }
  } catch {
    // Not a JSON log line.
  }
  return last.slice(0, 500);
}
