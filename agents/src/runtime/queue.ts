import { readdir, readFile, rename, rm } from 'node:fs/promises';
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

/** Counters and sizes of a queue; the counters survive restarts. */
export interface DiskQueueStats {
  pendingBatches: number;
  pendingBytes: number;
  /** Batches dropped because the queue was full, since the queue was created. */
  droppedBatches: number;
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
}

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
  #meta: Meta = { nextSequence: 0, droppedBatches: 0, rejectedBatches: 0, corruptBatches: 0 };
  #lock: Promise<unknown> = Promise.resolve();
  #onDrop: ((count: number) => void) | undefined;

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

  /** Registers a callback told how many items were dropped for lack of space. */
  onDrop(fn: (count: number) => void): void {
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
    await ensureDir(dir);
    try {
      const raw = JSON.parse(await readFile(join(dir, metaFile), 'utf8')) as Partial<Meta>;
      for (const key of ['nextSequence', 'droppedBatches', 'rejectedBatches', 'corruptBatches'] as const) {
        const v = raw[key];
        if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) this.#meta[key] = v;
      }
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
      if (!e.isFile()) continue;
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
  }

  async #moveAside(name: string, kind: 'corrupt' | 'rejected'): Promise<void> {
    const target = join(this.#opts.dir, kind);
    await ensureDir(target);
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
    await writeFileAtomic(join(this.#opts.dir, metaFile), JSON.stringify(this.#meta), { skipDirSync: true });
  }

  /**
   * Appends an item. `build` receives the item's sequence number and returns its content. The item
   * is durable when the promise resolves; if the queue is then over a bound, the oldest items (never
   * the new one) are dropped and counted.
   */
  append(build: (seq: number) => string | Uint8Array): Promise<{ seq: number; dropped: number }> {
    return this.#serial(async () => {
      const seq = this.#meta.nextSequence;
      const content = build(seq);
      const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
      await writeFileAtomic(join(this.#opts.dir, queueFileName(seq)), data, { skipDirSync: true });
      this.#meta.nextSequence = seq + 1;
      this.#items.push({ seq, size: data.length });
      this.#bytes += data.length;
      let dropped = 0;
      while (
        this.#items.length > 1 &&
        (this.#items.length > this.#opts.maxBatches || this.#bytes > this.#opts.maxBytes)
      ) {
        const oldest = this.#items.shift()!;
        this.#bytes -= oldest.size;
        await rm(join(this.#opts.dir, queueFileName(oldest.seq)), { force: true });
        dropped += 1;
      }
      this.#meta.droppedBatches += dropped;
      await this.#saveMeta();
      await fsyncDir(this.#opts.dir);
      if (dropped > 0) {
        this.#log.warn('queue full, dropped oldest batches', { dropped, total: this.#meta.droppedBatches });
        this.#onDrop?.(dropped);
      }
      return { seq, dropped };
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
      rejectedBatches: this.#meta.rejectedBatches,
      corruptBatches: this.#meta.corruptBatches,
      nextSequence: this.#meta.nextSequence,
    };
  }

  /** Waits for pending operations and persists the counters. */
  close(): Promise<void> {
    return this.#serial(async () => {
      await this.#saveMeta();
      await fsyncDir(this.#opts.dir);
    });
  }
}
