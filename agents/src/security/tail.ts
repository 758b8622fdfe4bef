import { open, readFile, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { LineSplitter, frameText } from '@tianshu/protocol';
import { writeFileAtomic } from '../runtime/fs-atomic.js';

/**
 * Follows one file as `tail -F` does (an EVE log): new lines as they are written; rotation by
 * rename (the inode at the path changes: the old file is read to its end, then the new one from
 * its start) and by truncation (the size drops below the position: read again from the start); a
 * partial last line waits for its newline. The position (inode and offset of the end of the last
 * complete line) is saved in the agent's state directory, so a restart resumes where it stopped
 * — re-reading a partial last line, never a complete one twice.
 */

export interface TailPosition {
  dev: number;
  ino: number;
  offset: number;
}

export interface FileTailerOptions {
  path: string;
  /** Where the position is kept (a JSON file in the state directory). */
  positionFile: string;
  startAt: 'end' | 'beginning';
  maxLineBytes: number;
  /** Each complete line (without its newline). */
  onLine(text: string): void;
  /** A line over `maxLineBytes`, skipped (counted by the caller). */
  onTooLong(message: string): void;
  /** The file cannot be read (missing, permission): reported once per distinct problem. */
  onProblem?(message: string): void;
  /** Milliseconds between checks for new data (default 250). */
  pollMillis?: number;
  /** Most bytes read per check (default 8 MiB), so one busy file never starves the event loop. */
  maxReadBytes?: number;
}

const CHUNK = 256 * 1024;

export class FileTailer {
  readonly #o: FileTailerOptions;
  #fd: FileHandle | undefined;
  #pos: TailPosition | undefined;
  /** Offset up to which bytes were handed to the splitter. */
  #readTo = 0;
  #splitter: LineSplitter;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #problem: string | undefined;
  #savedOffset = -1;
  readonly stats = { lines: 0, bytes: 0, rotations: 0, truncations: 0 };

  constructor(options: FileTailerOptions) {
    this.#o = options;
    this.#splitter = this.#newSplitter();
  }

  #newSplitter(): LineSplitter {
    return new LineSplitter(this.#o.maxLineBytes, {
      line: (bytes) => {
        this.stats.lines++;
        this.#o.onLine(frameText(bytes));
      },
      reject: (_reason, message) => this.#o.onTooLong(message),
    });
  }

  async start(): Promise<void> {
    let saved: TailPosition | undefined;
    try {
      const raw = JSON.parse(await readFile(this.#o.positionFile, 'utf8')) as Partial<TailPosition>;
      if (Number.isInteger(raw.ino) && Number.isInteger(raw.dev) && Number.isInteger(raw.offset))
        saved = raw as TailPosition;
    } catch {
      /* no saved position: first start */
    }
    await this.#openCurrent(saved, true);
    this.#schedule();
  }

  /** Opens the file at the path; resumes a saved position when it is the same file. */
  async #openCurrent(saved: TailPosition | undefined, first: boolean): Promise<boolean> {
    let fd: FileHandle;
    try {
      fd = await open(this.#o.path, 'r');
    } catch (err) {
      this.#report(`cannot open ${this.#o.path}: ${(err as Error).message}`);
      return false;
    }
    const st = await fd.stat();
    let offset = 0;
    if (saved && saved.ino === st.ino && saved.dev === st.dev)
      offset = saved.offset <= st.size ? saved.offset : 0;
    else if (first && !saved && this.#o.startAt === 'end') offset = st.size;
    await this.#fd?.close().catch(() => undefined);
    this.#fd = fd;
    this.#pos = { dev: st.dev, ino: st.ino, offset };
    this.#readTo = offset;
    this.#splitter = this.#newSplitter();
    this.#problem = undefined;
    return true;
  }

  #report(message: string): void {
    if (message === this.#problem) return;
    this.#problem = message;
    this.#o.onProblem?.(message);
  }

  #schedule(delay = this.#o.pollMillis ?? 250): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#tick()
        .catch((err: unknown) => this.#report(`reading ${this.#o.path} failed: ${(err as Error).message}`))
        .then((more) => this.#schedule(more === true ? 0 : undefined));
    }, delay);
  }

  /** One check: read what is new; follow a rotation or truncation. True when more is waiting. */
  async #tick(): Promise<boolean> {
    if (!this.#fd) {
      if (!(await this.#openCurrent(undefined, false))) return false;
    }
    const more = await this.#drain();
    if (more) return true;
    // At the end of the open file: has the path moved on to another file (rename) or shrunk (truncation)?
    let st;
    try {
      st = await stat(this.#o.path);
    } catch {
      return false; // rotated away and not yet recreated: keep the old one until it is.
    }
    const pos = this.#pos!;
    if (st.ino !== pos.ino || st.dev !== pos.dev) {
      // The old file was read to its end above; a partial line there is complete for good.
      this.#splitter.end();
      this.stats.rotations++;
      await this.#openCurrent(undefined, false);
      return true;
    }
    if (st.size < this.#readTo) {
      this.stats.truncations++;
      this.#readTo = 0;
      pos.offset = 0;
      this.#splitter = this.#newSplitter();
      return true;
    }
    return false;
  }

  async #drain(): Promise<boolean> {
    const fd = this.#fd!;
    const max = this.#o.maxReadBytes ?? 8 * 1024 * 1024;
    let read = 0;
    const buf = Buffer.allocUnsafe(CHUNK);
    while (read < max && !this.#stopped) {
      const { bytesRead } = await fd.read(buf, 0, CHUNK, this.#readTo);
      if (bytesRead === 0) return false;
      this.#readTo += bytesRead;
      read += bytesRead;
      this.stats.bytes += bytesRead;
      this.#splitter.push(buf.subarray(0, bytesRead));
      // The position: past the last complete line (a partial one is read again after a restart).
      this.#pos!.offset = this.#readTo - this.#splitter.buffered;
    }
    return !this.#stopped;
  }

  /** The position of the end of the last complete line read. */
  position(): TailPosition | undefined {
    return this.#pos ? { ...this.#pos } : undefined;
  }

  /** Saves the position (when it moved); the caller does so once the lines are handed on. */
  async savePosition(): Promise<void> {
    const pos = this.#pos;
    if (!pos || pos.offset === this.#savedOffset) return;
    this.#savedOffset = pos.offset;
    await writeFileAtomic(this.#o.positionFile, JSON.stringify(pos));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    await this.#fd?.close().catch(() => undefined);
    this.#fd = undefined;
  }
}
