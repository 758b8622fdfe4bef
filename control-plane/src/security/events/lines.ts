import { LineSplitter } from '@tianshu/protocol';

/**
 * A request body read as lines in bounded memory, with the protocol's `LineSplitter` (newline
 * framing; a line longer than `maxLineBytes` is reported once as `line-too-long` and skipped, never
 * buffered). Blank lines are skipped (they are not events). The body stops being read after
 * `maxBytes` (the rest is left unread and reported as `truncated`); the partial line at the cut is
 * not a line.
 */
export type BodyLine =
  | { lineNo: number; text: string }
  | { lineNo: number; reject: 'line-too-long' | 'bad-framing'; message: string };

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
  const out: BodyLine[] = [];
  const decoder = new TextDecoder('utf-8');
  // One more byte than the longest line: the CR of a CRLF line.
  const splitter = new LineSplitter(opts.maxLineBytes + 1, {
    line: (b) => {
      lineNo++;
      let end = b.length;
      if (end > 0 && b[end - 1] === 13) end--;
      if (end > 0) out.push({ lineNo, text: decoder.decode(b.subarray(0, end)) });
    },
    reject: (reason, message) => {
      lineNo++;
      out.push({ lineNo, reject: reason, message });
    },
  });
  let truncated = false;
  if (body) {
    // Iterated by hand: past the limit the body is left unread, not cancelled (cancelling would
    // destroy the connection before the 413 answer reaches the client).
    const it = body[Symbol.asyncIterator]();
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      let chunk = next.value;
      if (bytes + chunk.length > opts.maxBytes) {
        chunk = chunk.subarray(0, opts.maxBytes - bytes);
        truncated = true;
      }
      bytes += chunk.length;
      splitter.push(chunk);
      if (out.length) await onLines(out.splice(0));
      if (truncated) return { bytes, truncated };
    }
  }
  splitter.end();
  if (out.length) await onLines(out.splice(0));
  return { bytes, truncated };
}
