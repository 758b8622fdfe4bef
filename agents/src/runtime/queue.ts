import { chmod, link, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ensureDir, fsyncDir, writeFileAtomic } from './fs-atomic.js';
import type { Logger } from './logger.js';
import { errorFields, silentLogger } from './logger.js';

/** Options of a {@link DiskQueue}. */
export interface DiskQueueOptions {
  /** Directory that holds one file per batch; `rejected/` and `corrupt/` live beneath it. */
  dir: string;
  /** Upper bound of the summed size of queued files; the oldest are dropped beyond it. */
  maxBytes: number;
  /** Upper bound of the number of queued files; the oldest are dropped beyond it. */
  maxBatches: number;
  /**
   * Checks a file's content when the queue opens or reads it; a file that fails is moved to
   * `corrupt/` instead of being sent. Defaults to "parses as JSON".
   */
  validate?: (data: Buffer) => boolean;
  logger?: Logger;
}

/** One queued item, identified by its sequence number. */
export interface QueuedItem {
  seq: number;
  data: Buffer;
}

/**
 * Why a batch was dropped: `full` — a bound (count or bytes) was reached and the oldest went;
 * `enospc` — the filesystem was full (ENOSPC, EDQUOT); `write_error` — the disk refused the write
 * for another reason (EIO, EROFS, EACCES…).
 */
export type DropReason = 'full' | 'enospc' | 'write_error';
export const dropReasons: readonly DropReason[] = ['full', 'enospc', 'write_error'];

/** Thrown by {@link DiskQueue.append} when the new batch itself could not be stored; it is counted. */
export class QueueDropError extends Error {
  constructor(
    readonly seq: number,
    readonly reason: DropReason,
    override readonly cause: unknown,
  ) {
    super(`batch ${seq} dropped (${reason}): ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'QueueDropError';
  }
}

/** Counters and sizes of a queue; the counters survive restarts. */
export interface DiskQueueStats {
  pendingBatches: number;
  pendingBytes: number;
  /** Batches dropped (for any reason in `droppedReasons`), since the queue was created. */
  droppedBatches: number;
  droppedReasons: Record<DropReason, number>;
  /** When the last batch was dropped, ISO 8601; undefined if never. */
  lastDropAt: string | undefined;
  /** Batches moved to `rejected/` because the server refused them for good. */
  rejectedBatches: number;
  /** Files found unreadable and moved to `corrupt/`. */
  corruptBatches: number;
  /** The sequence number the next appended item gets. */
  nextSequence: number;
}

interface Meta {
  nextSequence: number;
  droppedBatches: number;
  rejectedBatches: number;
  corruptBatches: number;
  droppedReasons: Record<DropReason, number>;
  lastDropAt: string | undefined;
}

const fileMode = 0o600;
const dirMode = 0o700;
// ENOSPC: no space; EDQUOT: quota. Both mean "make room".
const noSpace = new Set(['ENOSPC', 'EDQUOT']);
const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException)?.code;

const metaFile = 'queue-state.json';
const itemName = /^(\d{20})\.json$/;

/** Formats a sequence number as a file name that sorts in sequence order. */
export function queueFileName(seq: number): string {
  return `${String(seq).padStart(20, '0')}.json`;
}

function defaultValidate(data: Buffer): boolean {
  try {
    JSON.parse(data.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/**
 * A bounded on-disk FIFO of report batches. Each item is one file, written atomically and named by
 * its zero-padded sequence number, so the order survives restarts. When a bound is exceeded the
 * oldest items are dropped and counted; the counters are persisted beside the items.
 * Operations are serialised, so callers may use the queue from several tasks.
 */
export class DiskQueue {
  readonly #opts: Required<Omit<DiskQueueOptions, 'logger'>>;
  readonly #log: Logger;
  // Sequence numbers and sizes of queued items, oldest first.
  #items: { seq: number; size: number }[] = [];
  #bytes = 0;
  #meta: Meta = {
    nextSequence: 0,
    droppedBatches: 0,
    rejectedBatches: 0,
    corruptBatches: 0,
    droppedReasons: { full: 0, enospc: 0, write_error: 0 },
    lastDropAt: undefined,
  };
  // The sequence number persisted in the state file: numbers below it may have been used.
  #reservedUpTo = 0;
  // Items dropped in memory whose files still have to be removed.
  #toRemove: number[] = [];
  // Drops counted but not yet logged and told to onDrop.
  #pendingDrops: Record<DropReason, number> = { full: 0, enospc: 0, write_error: 0 };
  #lock: Promise<unknown> = Promise.resolve();
  #onDrop: ((count: number, reason: DropReason) => void) | undefined;

  private constructor(options: DiskQueueOptions) {
    if (!options.dir) throw new Error('disk queue requires option "dir"');
    if (!(options.maxBytes > 0)) throw new Error('disk queue option "maxBytes" must be positive');
    if (!(Number.isInteger(options.maxBatches) && options.maxBatches > 0)) {
      throw new Error('disk queue option "maxBatches" must be a positive integer');
    }
    this.#opts = {
      dir: options.dir,
      maxBytes: options.maxBytes,
      maxBatches: options.maxBatches,
      validate: options.validate ?? defaultValidate,
    };
    this.#log = options.logger ?? silentLogger;
  }

  /** Opens (or creates) a queue directory, recovering its items and counters. */
  static async open(options: DiskQueueOptions): Promise<DiskQueue> {
    const q = new DiskQueue(options);
    await q.#load();
    return q;
  }

  /** Registers a callback told how many items were dropped and why. */
  onDrop(fn: (count: number, reason: DropReason) => void): void {
    this.#onDrop = fn;
  }

  get dir(): string {
    return this.#opts.dir;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#lock.then(fn, fn);
    this.#lock = next.catch(() => undefined);
    return next;
  }

  async #load(): Promise<void> {
    const dir = this.#opts.dir;
    await ensureDir(dir, dirMode);
    // Older agents wrote the queue world-readable; batches may hold inventory details.
    await chmod(dir, dirMode);
    const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    try {
      const raw = JSON.parse(await readFile(join(dir, metaFile), 'utf8')) as Partial<Meta>;
      for (const key of ['nextSequence', 'droppedBatches', 'rejectedBatches', 'corruptBatches'] as const) {
        const v = raw[key];
        if (count(v)) this.#meta[key] = v;
      }
      for (const r of dropReasons) {
        const v = raw.droppedReasons?.[r];
        if (count(v)) this.#meta.droppedReasons[r] = v;
      }
      if (typeof raw.lastDropAt === 'string') this.#meta.lastDropAt = raw.lastDropAt;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#log.warn(
          'queue state file unreadable, counters restart from the queued files',
          errorFields(err),
        );
      }
    }
    const entries = await readdir(dir, { withFileTypes: true });
    const found: { seq: number; size: number }[] = [];
    for (const e of entries) {
      if (e.isDirectory() && (e.name === 'rejected' || e.name === 'corrupt')) {
        await privatise(join(dir, e.name));
        continue;
      }
      if (!e.isFile()) continue;
      await chmod(join(dir, e.name), fileMode).catch(() => undefined);
      if (e.name.endsWith('.tmp')) {
        // A write that never reached its rename; the batch it held was never acknowledged as queued.
        await rm(join(dir, e.name), { force: true });
        continue;
      }
      if (e.name === metaFile) continue;
      const m = itemName.exec(e.name);
      if (!m) {
        await this.#moveAside(e.name, 'corrupt');
        continue;
      }
      const seq = Number(m[1]);
      const path = join(dir, e.name);
      let ok = false;
      let size = 0;
      try {
        const data = await readFile(path);
        size = data.length;
        ok = Number.isSafeInteger(seq) && this.#opts.validate(data);
      } catch {
        ok = false;
      }
      if (!ok) {
        await this.#moveAside(e.name, 'corrupt');
        continue;
      }
      found.push({ seq, size });
    }
    found.sort((a, b) => a.seq - b.seq);
    this.#items = found;
    this.#bytes = found.reduce((n, i) => n + i.size, 0);
    const last = found.at(-1);
    if (last && last.seq >= this.#meta.nextSequence) this.#meta.nextSequence = last.seq + 1;
    await this.#saveMeta();
    this.#reservedUpTo = this.#meta.nextSequence;
  }

  async #moveAside(name: string, kind: 'corrupt' | 'rejected'): Promise<void> {
    const target = join(this.#opts.dir, kind);
    await ensureDir(target, dirMode);
    try {
      await rename(join(this.#opts.dir, name), join(target, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (kind === 'corrupt') {
      this.#meta.corruptBatches += 1;
      this.#log.warn('corrupt queue file moved aside', { file: name });
    } else {
      this.#meta.rejectedBatches += 1;
    }
  }

  async #saveMeta(): Promise<void> {
    await writeFileAtomic(join(this.#opts.dir, metaFile), JSON.stringify(this.#meta), {
      skipDirSync: true,
      mode: fileMode,
    });
  }

  /** Saves the counters; on a full disk the oldest items (never `keep`) make room, each counted. */
  async #saveMetaMakingRoom(keep?: number): Promise<void> {
    for (;;) {
      try {
        await this.#saveMeta();
        return;
      } catch (err) {
        if (!noSpace.has(errCode(err) ?? '') || !this.#dropOldest('enospc', keep)) throw err;
        await this.#removeDropped();
      }
    }
  }

  /** Drops the oldest item other than `keep` (in memory; {@link #removeDropped} deletes the file). */
  #dropOldest(reason: DropReason, keep?: number): boolean {
    const idx = this.#items.findIndex((i) => i.seq !== keep);
    if (idx < 0) return false;
    const [oldest] = this.#items.splice(idx, 1);
    this.#bytes -= oldest!.size;
    this.#toRemove.push(oldest!.seq);
    this.#countDrop(reason, 1);
    return true;
  }

  async #removeDropped(): Promise<void> {
    for (const seq of this.#toRemove.splice(0)) {
      await rm(join(this.#opts.dir, queueFileName(seq)), { force: true });
    }
  }

  #countDrop(reason: DropReason, n: number): void {
    this.#meta.droppedBatches += n;
    this.#meta.droppedReasons[reason] += n;
    this.#meta.lastDropAt = new Date().toISOString();
    this.#pendingDrops[reason] += n;
  }

  /** Logs and reports the drops counted since the last call. */
  #announceDrops(): void {
    for (const reason of dropReasons) {
      const n = this.#pendingDrops[reason];
      if (n === 0) continue;
      this.#pendingDrops[reason] = 0;
      this.#log.warn(
        reason === 'full' ? 'queue full, dropped oldest batches' : 'disk full, dropped oldest batches',
        { dropped: n, reason, total: this.#meta.droppedBatches },
      );
      this.#onDrop?.(n, reason);
    }
  }

  /**
   * Writes an item file without ever replacing one: the data goes to a temporary file that is
   * fsynced and then hard-linked to the item's name, which fails with EEXIST if the name is taken.
   */
  async #writeExclusive(seq: number, data: Buffer): Promise<void> {
    const dir = this.#opts.dir;
    const tmp = join(dir, `.${queueFileName(seq)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(tmp, 'wx', fileMode);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await link(tmp, join(dir, queueFileName(seq)));
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /**
   * Makes sure the state file says the next sequence is above `seq` before `seq` is used, so that a
   * crash, a full disk or a lost write can never hand out a number twice.
   */
  async #reserve(seq: number, keep?: number): Promise<void> {
    if (seq < this.#reservedUpTo) return;
    await this.#saveMetaMakingRoom(keep);
    this.#reservedUpTo = this.#meta.nextSequence;
  }

  /**
   * Another writer created an item file this queue did not know (it should never happen: the agent
   * holds a lock on its state directory). Adopts such files and moves the next sequence past them.
   */
  async #adoptForeignFiles(): Promise<void> {
    const known = new Set(this.#items.map((i) => i.seq));
    let added = 0;
    for (const name of await readdir(this.#opts.dir)) {
      const m = itemName.exec(name);
      if (!m) continue;
      const seq = Number(m[1]);
      if (seq >= this.#meta.nextSequence) this.#meta.nextSequence = seq + 1;
      if (known.has(seq)) continue;
      const data = await readFile(join(this.#opts.dir, name)).catch(() => undefined);
      if (!data || !this.#opts.validate(data)) continue;
      this.#items.push({ seq, size: data.length });
      this.#bytes += data.length;
      added += 1;
    }
    this.#items.sort((a, b) => a.seq - b.seq);
    this.#log.warn('queue file already existed, another process writes this queue', { adopted: added });
  }

  /**
   * Appends an item. `build` receives the item's sequence number and returns its content. The item
   * is durable when the promise resolves; if the queue is then over a bound, the oldest items (never
   * the new one) are dropped and counted. On a full disk the oldest items make room, counted as
   * `enospc`. If the item cannot be stored at all, its sequence number stays used (the server sees
   * the gap), it is counted as dropped and {@link QueueDropError} is thrown. An existing file is
   * never replaced.
   */
  append(build: (seq: number) => string | Uint8Array): Promise<{ seq: number; dropped: number }> {
    return this.#serial(async () => {
      const droppedBefore = this.#meta.droppedBatches;
      let seq = this.#meta.nextSequence;
      // Bounded: every failed round either drops one queued item or consumes one sequence number.
      for (let round = 0; ; round += 1) {
        this.#meta.nextSequence = seq + 1;
        let data: Buffer | undefined;
        try {
          await this.#reserve(seq);
          const content = build(seq);
          data = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
          await this.#writeExclusive(seq, data);
          this.#items.push({ seq, size: data.length });
          this.#bytes += data.length;
          break;
        } catch (err) {
          const code = errCode(err);
          if (code === 'EEXIST' && round < 5) {
            await this.#adoptForeignFiles();
            seq = this.#meta.nextSequence;
            continue;
          }
          if (noSpace.has(code ?? '') && round < 100_000 && this.#dropOldest('enospc')) {
            await this.#removeDropped();
            continue;
          }
          const reason: DropReason = noSpace.has(code ?? '') ? 'enospc' : 'write_error';
          this.#countDrop(reason, 1);
          await this.#saveMeta().catch((e: unknown) =>
            this.#log.warn('cannot save queue state', errorFields(e)),
          );
          this.#announceDrops();
          throw new QueueDropError(seq, reason, err);
        } finally {
          await this.#removeDropped();
        }
      }
      while (
        this.#items.length > 1 &&
        (this.#items.length > this.#opts.maxBatches || this.#bytes > this.#opts.maxBytes)
      ) {
        this.#dropOldest('full', seq);
      }
      await this.#removeDropped();
      try {
        // The sequence was saved by the reservation; only changed drop counters need a write.
        if (this.#meta.droppedBatches !== droppedBefore) await this.#saveMetaMakingRoom(seq);
      } catch (err) {
        // The item is stored and its number reserved; the counters are saved with the next write.
        this.#log.warn('cannot save queue state', errorFields(err));
      }
      await this.#removeDropped();
      await fsyncDir(this.#opts.dir);
      this.#announceDrops();
      return { seq, dropped: this.#meta.droppedBatches - droppedBefore };
    });
  }

  /** Returns the oldest item without removing it, or undefined when the queue is empty. */
  peek(): Promise<QueuedItem | undefined> {
    return this.#serial(async () => {
      while (this.#items.length > 0) {
        const head = this.#items[0]!;
        const name = queueFileName(head.seq);
        let data: Buffer | undefined;
        try {
          data = await readFile(join(this.#opts.dir, name));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        if (data && this.#opts.validate(data)) return { seq: head.seq, data };
        // The file vanished or was damaged after the queue opened; move on to the next one.
        this.#items.shift();
        this.#bytes -= head.size;
        if (data) {
          await this.#moveAside(name, 'corrupt');
          await this.#saveMeta();
        }
      }
      return undefined;
    });
  }

  /** Removes an item after the server acknowledged it. Unknown sequence numbers are ignored. */
  ack(seq: number): Promise<void> {
    return this.#serial(async () => {
      const idx = this.#items.findIndex((i) => i.seq === seq);
      if (idx < 0) return;
      const [item] = this.#items.splice(idx, 1);
      this.#bytes -= item!.size;
      await rm(join(this.#opts.dir, queueFileName(seq)), { force: true });
      await fsyncDir(this.#opts.dir);
    });
  }

  /** Moves an item the server refused for good to `rejected/` and counts it. */
  reject(seq: number): Promise<void> {
    return this.#serial(async () => {
      const idx = this.#items.findIndex((i) => i.seq === seq);
      if (idx < 0) return;
      const [item] = this.#items.splice(idx, 1);
      this.#bytes -= item!.size;
      await this.#moveAside(queueFileName(seq), 'rejected');
      await this.#saveMeta();
      await fsyncDir(this.#opts.dir);
    });
  }

  /** Current sizes and persisted counters. */
  stats(): DiskQueueStats {
    return {
      pendingBatches: this.#items.length,
      pendingBytes: this.#bytes,
      droppedBatches: this.#meta.droppedBatches,
      droppedReasons: { ...this.#meta.droppedReasons },
      lastDropAt: this.#meta.lastDropAt,
      rejectedBatches: this.#meta.rejectedBatches,
      corruptBatches: this.#meta.corruptBatches,
      nextSequence: this.#meta.nextSequence,
    };
  }

  /**
   * Waits for pending operations and persists the counters. On a full disk the counters stay as last
   * saved (every sequence number is reserved on disk before use, so none can be reused) and the
   * queue closes anyway: an agent must be able to stop on a full disk.
   */
  close(): Promise<void> {
    return this.#serial(async () => {
      try {
        await this.#saveMeta();
      } catch (err) {
        if (!noSpace.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
        this.#log.warn('disk full at close: queue counters stay as last saved', {
          droppedBatches: this.#meta.droppedBatches,
        });
      }
      await fsyncDir(this.#opts.dir);
    });
  }
}

/** Makes a directory 0700 and its files 0600 (one level; what the queue keeps below it). */
async function privatise(dir: string): Promise<void> {
  await chmod(dir, dirMode);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isFile()) await chmod(join(dir, e.name), fileMode).catch(() => undefined);
  }
}
