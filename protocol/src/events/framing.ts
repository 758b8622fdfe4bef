/**
 * Framing of syslog and CEF over a byte stream (RFC 6587): newline-delimited lines (§3.4.2), octet
 * counting (`MSG-LEN SP SYSLOG-MSG`, §3.4.1), or `auto` — decided on the first byte of a connection
 * (a digit means octet counting, RFC 6587 §3.4.1 / RFC 5425 §4.3). Pure, over bytes (Buffers are
 * Uint8Arrays); a frame longer than `maxLineBytes` is reported once as `line-too-long` and skipped
 * without being buffered.
 */

export type Framing = 'auto' | 'octet-counting' | 'newline';

export interface FrameSink {
  /** A complete frame (without its terminator). */
  line(bytes: Uint8Array): void;
  /** A frame skipped: `line-too-long` (once per frame) or `bad-framing` (the stream cannot be read on). */
  reject(reason: 'line-too-long' | 'bad-framing', message: string): void;
}

export interface Splitter {
  push(chunk: Uint8Array): void;
  /** The stream ended: a partial last line is delivered (newline) or reported (octet counting). */
  end(): void;
  /** Bytes held waiting for the rest of a frame. */
  readonly buffered: number;
}

const LF = 0x0a;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Newline framing: one frame per LF (a CR before it is kept; the parsers ignore it). */
export class LineSplitter implements Splitter {
  private pending: Uint8Array = new Uint8Array(0);
  /** True while skipping the rest of a frame already reported too long. */
  private skipping = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly sink: FrameSink,
  ) {}

  get buffered(): number {
    return this.pending.length;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl < 0) break;
      if (this.skipping) {
        this.skipping = false;
      } else if (this.pending.length + (nl - start) > this.maxLineBytes) {
        this.pending = new Uint8Array(0);
        this.tooLong();
      } else {
        const line = this.pending.length
          ? concat(this.pending, chunk.subarray(start, nl))
          : chunk.subarray(start, nl);
        this.pending = new Uint8Array(0);
        this.sink.line(line);
      }
      start = nl + 1;
    }
    if (start >= chunk.length || this.skipping) return;
    const rest = chunk.subarray(start);
    if (this.pending.length + rest.length > this.maxLineBytes) {
      // Reported now, the rest of the frame up to its LF is skipped unbuffered.
      this.pending = new Uint8Array(0);
      this.skipping = true;
      this.tooLong();
      return;
    }
    // Copied: the caller may reuse its buffer.
    this.pending = concat(this.pending, rest.slice());
  }

  end(): void {
    if (this.pending.length && !this.skipping) this.sink.line(this.pending);
    this.pending = new Uint8Array(0);
    this.skipping = false;
  }

  private tooLong(): void {
    this.sink.reject('line-too-long', `line longer than ${this.maxLineBytes} bytes, skipped`);
  }
}

/** Octet counting: `MSG-LEN SP MSG`; a frame over the limit is skipped by its length, unbuffered. */
export class OctetCountingSplitter implements Splitter {
  private header = '';
  /** Bytes of the current frame still to come (−1: reading the header). */
  private remaining = -1;
  private skip = false;
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private broken = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly sink: FrameSink,
  ) {}

  get buffered(): number {
    return this.partBytes + this.header.length;
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && !this.broken) {
      if (this.remaining < 0) {
        const c = chunk[i]!;
        if (c === 0x20) {
          const n = Number(this.header);
          if (this.header === '' || !Number.isSafeInteger(n) || n === 0) {
            this.fail(`octet count "${this.header}" is not a positive number`);
            return;
          }
          this.header = '';
          this.remaining = n;
          this.skip = n > this.maxLineBytes;
          if (this.skip)
            this.sink.reject(
              'line-too-long',
              `frame of ${n} bytes is longer than ${this.maxLineBytes}, skipped`,
            );
          i++;
          continue;
        }
        // Tolerated between frames: a LF or CR some senders add after a frame.
        if ((c === 0x0a || c === 0x0d) && this.header === '') {
          i++;
          continue;
        }
        if (c < 0x30 || c > 0x39 || this.header.length >= 10) {
          this.fail(`expected an octet count, got byte 0x${c.toString(16).padStart(2, '0')}`);
          return;
        }
        this.header += String.fromCharCode(c);
        i++;
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - i);
      if (!this.skip) {
        this.parts.push(chunk.slice(i, i + take));
        this.partBytes += take;
      }
      this.remaining -= take;
      i += take;
      if (this.remaining === 0) {
        this.remaining = -1;
        if (!this.skip) {
          const frame = this.parts.length === 1 ? this.parts[0]! : concatAll(this.parts, this.partBytes);
          this.parts = [];
          this.partBytes = 0;
          this.sink.line(frame);
        }
        this.skip = false;
      }
    }
  }

  end(): void {
    if (this.remaining > 0 && !this.skip && !this.broken)
      this.sink.reject('bad-framing', `stream ended ${this.remaining} bytes before the end of a frame`);
    else if (this.remaining < 0 && this.header !== '' && !this.broken)
      this.sink.reject('bad-framing', 'stream ended inside an octet count');
    this.parts = [];
    this.partBytes = 0;
    this.header = '';
    this.remaining = -1;
  }

  /** The stream cannot be resynchronised: reported once, the rest of the connection is ignored. */
  private fail(message: string): void {
    this.broken = true;
    this.parts = [];
    this.partBytes = 0;
    this.sink.reject('bad-framing', message);
  }

  /** True once the stream is unreadable (the receiver closes the connection). */
  get failed(): boolean {
    return this.broken;
  }
}

function concatAll(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `auto`: octet counting when the connection's first byte is a digit, else newline framing. */
export class AutoSplitter implements Splitter {
  private inner: LineSplitter | OctetCountingSplitter | undefined;

  constructor(
    private readonly maxLineBytes: number,
    private readonly sink: FrameSink,
  ) {}

  /** The framing decided (undefined before the first byte). */
  get framing(): 'octet-counting' | 'newline' | undefined {
    return this.inner === undefined
      ? undefined
      : this.inner instanceof LineSplitter
        ? 'newline'
        : 'octet-counting';
  }

  get buffered(): number {
    return this.inner?.buffered ?? 0;
  }

  get failed(): boolean {
    return this.inner instanceof OctetCountingSplitter && this.inner.failed;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (!this.inner) {
      const c = chunk[0]!;
      this.inner =
        c >= 0x30 && c <= 0x39
          ? new OctetCountingSplitter(this.maxLineBytes, this.sink)
          : new LineSplitter(this.maxLineBytes, this.sink);
    }
    this.inner.push(chunk);
  }

  end(): void {
    this.inner?.end();
  }
}

/** A splitter for a framing. */
export function createSplitter(
  framing: Framing,
  maxLineBytes: number,
  sink: FrameSink,
): Splitter & { readonly failed?: boolean } {
  if (framing === 'newline') return new LineSplitter(maxLineBytes, sink);
  if (framing === 'octet-counting') return new OctetCountingSplitter(maxLineBytes, sink);
  return new AutoSplitter(maxLineBytes, sink);
}

const decoder = new TextDecoder('utf-8');

/** A frame's text (invalid UTF-8 becomes U+FFFD, as syslog receivers do). */
export function frameText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
