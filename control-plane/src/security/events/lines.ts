/**
 * A request body read as lines, in bounded memory: the body's chunks are split at line feeds (a
 * trailing CR is dropped); a line longer than `maxLineBytes` is reported once as too long and its
 * bytes are skipped, never buffered; the body stops being read after `maxBytes` (the rest is left
 * unread and reported as `truncated`), the partial line at the cut is not a line.
 */
export type BodyLine = { lineNo: number; text: string } | { lineNo: number; tooLong: number };

export interface LineReaderResult {
  /** Bytes read from the body (at most `maxBytes`). */
  bytes: number;
  /** The body went on past `maxBytes`. */
  truncated: boolean;
}

export async function readLines(
  body: AsyncIterable<Uint8Array> | null | undefined,
  opts: { maxLineBytes: number; maxBytes: number },
  onLines: (lines: BodyLine[]) => Promise<void>,
): Promise<LineReaderResult> {
  let bytes = 0;
  let lineNo = 0;
  let parts: Buffer[] = [];
  let partBytes = 0;
  /** Bytes of the current too-long line (0 while the line fits). */
  let skipping = 0;
  const out: BodyLine[] = [];
  const emit = (buf: Buffer) => {
    lineNo++;
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 13) end--;
    if (end === 0) return; // blank lines are not events (and not errors)
    out.push({ lineNo, text: buf.toString('utf8', 0, end) });
  };
  const take = (chunk: Buffer) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      if (skipping > 0) {
        lineNo++;
        out.push({ lineNo, tooLong: skipping + (nl - start) });
        skipping = 0;
      } else if (partBytes + (nl - start) > opts.maxLineBytes + 1) {
        lineNo++;
        out.push({ lineNo, tooLong: partBytes + (nl - start) });
      } else if (partBytes > 0) {
        parts.push(chunk.subarray(start, nl));
        emit(Buffer.concat(parts));
      } else emit(chunk.subarray(start, nl));
      parts = [];
      partBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.length - start;
      if (skipping > 0) skipping += rest;
      else if (partBytes + rest > opts.maxLineBytes + 1) {
        skipping = partBytes + rest;
        parts = [];
        partBytes = 0;
      } else {
        // Copy: the caller may reuse the chunk's memory.
        parts.push(Buffer.from(chunk.subarray(start)));
        partBytes += rest;
      }
    }
  };
  let truncated = false;
  if (body) {
    // Iterated by hand: past the limit the body is left unread, not cancelled (cancelling would
    // destroy the connection before the 413 answer reaches the client).
    const it = body[Symbol.asyncIterator]();
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      const raw = next.value;
      let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      if (bytes + chunk.length > opts.maxBytes) {
        chunk = chunk.subarray(0, opts.maxBytes - bytes);
        truncated = true;
      }
      bytes += chunk.length;
      take(chunk);
      if (out.length) await onLines(out.splice(0));
      if (truncated) {
        // The partial line at the cut is dropped: it is not a whole line.
        return { bytes, truncated };
      }
    }
  }
  if (skipping > 0) {
    lineNo++;
    out.push({ lineNo, tooLong: skipping });
  } else if (partBytes > 0) emit(Buffer.concat(parts));
  if (out.length) await onLines(out.splice(0));
  return { bytes, truncated };
}
