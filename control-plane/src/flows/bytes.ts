/**
 * Appends TabSeparated fields straight into a growing byte buffer: ASCII text byte by byte,
 * pre-encoded (escaped, UTF-8) fields by copy, integers as decimal digits — no intermediate
 * strings per row, so encoding 100,000 rows makes almost no garbage.
 */
export class ByteWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly digits = new Uint8Array(20);

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Text known to be ASCII without TSV specials (addresses, numbers as text, fixed words). */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** An already encoded field. */
  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** A non-negative integer (up to 2^53) as decimal digits. */
  uint(v: number): void {
    this.ensure(20);
    const b = this.buf;
    if (v < 10) {
      b[this.pos++] = 48 + v;
      return;
    }
    const d = this.digits;
    let k = 0;
    while (v > 0) {
      const q = Math.floor(v / 10);
      d[k++] = 48 + (v - q * 10);
      v = q;
    }
    let p = this.pos;
    while (k > 0) b[p++] = d[--k]!;
    this.pos = p;
  }

  byte(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }

  /** The bytes written (a copy, so that the writer's buffer can be dropped). */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
