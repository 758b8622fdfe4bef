import { describe, expect, it } from 'vitest';
import { AutoSplitter, LineSplitter, OctetCountingSplitter, frameText } from './framing.js';
import type { FrameSink } from './framing.js';

const enc = (s: string) => new TextEncoder().encode(s);

function collector() {
  const lines: string[] = [];
  const rejects: string[] = [];
  const sink: FrameSink = {
    line: (b) => lines.push(frameText(b)),
    reject: (reason) => rejects.push(reason),
  };
  return { lines, rejects, sink };
}

/** Feed `s` in chunks of every size from 1 to 7 bytes: framing must not depend on chunking. */
function chunked(s: string, size: number): Uint8Array[] {
  const b = enc(s);
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.slice(i, i + size));
  return out;
}

describe('LineSplitter', () => {
  it('splits on LF whatever the chunking, and delivers a final partial line on end', () => {
    for (let size = 1; size <= 7; size++) {
      const c = collector();
      const s = new LineSplitter(100, c.sink);
      for (const ch of chunked('a\nbb\r\n\nccc\nlast', size)) s.push(ch);
      expect(c.lines).toEqual(['a', 'bb\r', '', 'ccc']);
      s.end();
      expect(c.lines).toEqual(['a', 'bb\r', '', 'ccc', 'last']);
      expect(c.rejects).toEqual([]);
    }
  });

  it('reports an over-long line once and skips it without buffering it', () => {
    for (let size = 1; size <= 9; size += 4) {
      const c = collector();
      const s = new LineSplitter(8, c.sink);
      let maxBuffered = 0;
      for (const ch of chunked(`ok\n${'x'.repeat(50)}\nafter\n12345678\n123456789\n`, size)) {
        s.push(ch);
        maxBuffered = Math.max(maxBuffered, s.buffered);
      }
      expect(c.lines).toEqual(['ok', 'after', '12345678']);
      expect(c.rejects).toEqual(['line-too-long', 'line-too-long']);
      expect(maxBuffered).toBeLessThanOrEqual(8);
    }
  });

  it('keeps UTF-8 split across chunks intact', () => {
    const c = collector();
    const s = new LineSplitter(100, c.sink);
    for (const ch of chunked('天枢 安全\n', 1)) s.push(ch);
    expect(c.lines).toEqual(['天枢 安全']);
  });
});

describe('OctetCountingSplitter', () => {
  it('reads MSG-LEN SP MSG frames whatever the chunking (frames may contain LF)', () => {
    const frames = ['<13>1 - - - - - - one', 'two\nlines', '天枢'];
    const stream = frames.map((f) => `${enc(f).length} ${f}`).join('');
    for (let size = 1; size <= 7; size++) {
      const c = collector();
      const s = new OctetCountingSplitter(100, c.sink);
      for (const ch of chunked(stream, size)) s.push(ch);
      s.end();
      expect(c.lines).toEqual(frames);
      expect(c.rejects).toEqual([]);
    }
  });

  it('skips a frame over the limit by its length, unbuffered, and goes on', () => {
    const c = collector();
    const s = new OctetCountingSplitter(10, c.sink);
    let maxBuffered = 0;
    for (const ch of chunked(`2 ok20 ${'y'.repeat(20)}5 after`, 3)) {
      s.push(ch);
      maxBuffered = Math.max(maxBuffered, s.buffered);
    }
    expect(c.lines).toEqual(['ok', 'after']);
    expect(c.rejects).toEqual(['line-too-long']);
    expect(maxBuffered).toBeLessThanOrEqual(10);
  });

  it('tolerates a LF between frames; reports garbage and a truncated frame as bad-framing', () => {
    const c = collector();
    const s = new OctetCountingSplitter(100, c.sink);
    s.push(enc('2 ab\n3 cde\r\n'));
    expect(c.lines).toEqual(['ab', 'cde']);
    s.push(enc('x1 a'));
    s.push(enc('4 more'));
    expect(c.rejects).toEqual(['bad-framing']);
    expect(s.failed).toBe(true);
    expect(c.lines).toEqual(['ab', 'cde']);

    const t = collector();
    const u = new OctetCountingSplitter(100, t.sink);
    u.push(enc('10 abc'));
    u.end();
    expect(t.rejects).toEqual(['bad-framing']);
    const z = collector();
    new OctetCountingSplitter(100, z.sink).push(enc('0 '));
    expect(z.rejects).toEqual(['bad-framing']);
  });
});

describe('AutoSplitter', () => {
  it('decides on the first byte: a digit is octet counting, anything else newline', () => {
    const a = collector();
    const s = new AutoSplitter(100, a.sink);
    s.push(enc('5 hello3 abc'));
    expect(s.framing).toBe('octet-counting');
    expect(a.lines).toEqual(['hello', 'abc']);
    const b = collector();
    const t = new AutoSplitter(100, b.sink);
    expect(t.framing).toBeUndefined();
    t.push(new Uint8Array(0));
    t.push(enc('<13>Dec  1 00:00:00 h a: 5 x\n'));
    expect(t.framing).toBe('newline');
    expect(b.lines).toEqual(['<13>Dec  1 00:00:00 h a: 5 x']);
  });
});
