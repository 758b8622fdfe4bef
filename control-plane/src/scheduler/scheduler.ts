import type { Logger } from '../logger.js';
import type { StateStore } from '../store/state/index.js';

interface Job {
  name: string;
  intervalMs: number;
  fn: () => Promise<void>;
  timer?: NodeJS.Timeout;
  running: boolean;
}

/**
 * Periodic jobs. A run is skipped while the previous one is still going. Across replicas a run is
 * claimed in the database: one atomic upsert moves the job's `next_run_at` forward only when it is
 * due, so exactly one replica wins each period and the others skip it. Failures are recorded on the
 * job row and logged; they never stop the schedule. Timers are unref()ed.
 */
export class Scheduler {
  private readonly jobs: Job[] = [];
  private started = false;

  private readonly runner = `${process.pid}@${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    private readonly db: StateStore,
    private readonly log: Logger,
  ) {}

  every(name: string, intervalMs: number, fn: () => Promise<void>): void {
    if (intervalMs < 1000) throw new Error(`job "${name}" interval must be at least 1000 ms`);
    this.jobs.push({ name, intervalMs, fn, running: false });
  }

  /** Runs one job now if it is due (`force`: even if not); resolves false when it did not run. */
  async runOnce(name: string, force = false): Promise<boolean> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new Error(`no job named "${name}"`);
    return this.run(job, force);
  }

  private async run(job: Job, force = false): Promise<boolean> {
    if (job.running) return false;
    job.running = true;
    try {
      const claim = await this.db.query(
        `INSERT INTO scheduled_jobs (name, next_run_at, last_run_at, last_runner)
         VALUES ($1, now() + make_interval(secs => $2), now(), $3)
         ON CONFLICT (name) DO UPDATE SET next_run_at = EXCLUDED.next_run_at, last_run_at = now(),
           last_runner = EXCLUDED.last_runner
         WHERE scheduled_jobs.next_run_at <= now() OR $4::boolean
         RETURNING name`,
        [job.name, (job.intervalMs / 1000) * 0.9, this.runner, force],
      );
      if (claim.rowCount === 0) return false;
      try {
        await job.fn();
        await this.db.query('UPDATE scheduled_jobs SET last_error = NULL WHERE name = $1', [job.name]);
      } catch (err) {
        const message = (err as Error).message.slice(0, 500);
        await this.db.query('UPDATE scheduled_jobs SET last_error = $2 WHERE name = $1', [job.name, message]);
        this.log.error({ job: job.name, err: message }, 'scheduled job failed');
      }
      return true;
    } catch (err) {
      this.log.error({ job: job.name, err: (err as Error).message }, 'cannot claim scheduled job');
      return false;
    } finally {
      job.running = false;
    }
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const job of this.jobs) {
      job.timer = setInterval(() => void this.run(job), job.intervalMs);
      job.timer.unref();
    }
  }

  stop(): void {
    for (const job of this.jobs) clearInterval(job.timer);
    this.started = false;
  }
}
