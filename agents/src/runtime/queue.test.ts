import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskQueue, QueueDropError, queueFileName } from './queue.js';

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'tianshu-queue-')), 'queue');
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

const item = (n: number, pad = 0): string => JSON.stringify({ n, pad: 'x'.repeat(pad) });
const open = (opts: Partial<{ maxBytes: number; maxBatches: number }> = {}): Promise<DiskQueue> =>
  DiskQueue.open({ dir, maxBytes: opts.maxBytes ?? 1 << 20, maxBatches: opts.maxBatches ?? 100 });

async function drain(q: DiskQueue): Promise<number[]> {
  const out: number[] = [];
  for (let head = await q.peek(); head; head = await q.peek()) {
    out.push((JSON.parse(head.data.toString()) as { n: number }).n);
    await q.ack(head.seq);
  }
  return out;
}

describe('DiskQueue', () => {
  it('is first in, first out and names files by zero-padded sequence', async () => {
    const q = await open();
    for (let i = 0; i < 3; i++) await q.append(() => item(i));
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json') && f !== 'queue-state.json');
    expect(files.sort()).toEqual([queueFileName(0), queueFileName(1), queueFileName(2)]);
    expect(queueFileName(7)).toBe('00000000000000000007.json');
    expect(await drain(q)).toEqual([0, 1, 2]);
    expect(q.stats()).toMatchObject({ pendingBatches: 0, pendingBytes: 0, nextSequence: 3 });
  });

  it('passes each item its sequence number', async () => {
    const q = await open();
    const seqs: number[] = [];
    for (let i = 0; i < 3; i++) await q.append((seq) => (seqs.push(seq), item(seq)));
    expect(seqs).toEqual([0, 1, 2]);
  });

  it('drops the oldest beyond the count bound and counts them', async () => {
    const q = await open({ maxBatches: 3 });
    const dropped: number[] = [];
    q.onDrop((n) => dropped.push(n));
    for (let i = 0; i < 5; i++) await q.append(() => item(i));
    expect(q.stats()).toMatchObject({ pendingBatches: 3, droppedBatches: 2 });
    expect(dropped).toEqual([1, 1]);
    expect(await drain(q)).toEqual([2, 3, 4]);
  });

  it('drops the oldest beyond the byte bound but never the newest item', async () => {
    const q = await open({ maxBytes: 250 });
    for (let i = 0; i < 4; i++) await q.append(() => item(i, 90));
    // Each item is about 110 bytes, so two fit in 250.
    expect(q.stats().pendingBatches).toBe(2);
    expect(q.stats().pendingBytes).toBeLessThanOrEqual(250);
    expect(q.stats().droppedBatches).toBe(2);
    await q.append(() => item(9, 1000));
    expect(q.stats().pendingBatches).toBe(1);
    expect(await drain(q)).toEqual([9]);
  });

  it('keeps order, sequence and the drop counter across a reopen', async () => {
    let q = await open({ maxBatches: 2 });
    for (let i = 0; i < 4; i++) await q.append(() => item(i));
    await q.close();
    q = await open({ maxBatches: 2 });
    expect(q.stats()).toMatchObject({ pendingBatches: 2, droppedBatches: 2, nextSequence: 4 });
    await q.append(() => item(4));
    expect(q.stats().droppedBatches).toBe(3);
    expect(await drain(q)).toEqual([3, 4]);
    // Acknowledging everything must not reset the sequence after a restart.
    q = await open({ maxBatches: 2 });
    const { seq } = await q.append(() => item(5));
    expect(seq).toBe(5);
  });

  it('recovers the next sequence from the files when the state file is lost', async () => {
    let q = await open();
    for (let i = 0; i < 3; i++) await q.append(() => item(i));
    await rm(join(dir, 'queue-state.json'));
    q = await open();
    expect(q.stats().nextSequence).toBe(3);
    expect(await drain(q)).toEqual([0, 1, 2]);
  });

  it('moves corrupt and stray files aside on open, counts them, and deletes unfinished temp files', async () => {
    let q = await open();
    for (let i = 0; i < 3; i++) await q.append(() => item(i));
    await q.close();
    await writeFile(join(dir, queueFileName(1)), '{"n": 1, trunc');
    await writeFile(join(dir, 'garbage.bin'), 'zzz');
    await writeFile(join(dir, `.${queueFileName(3)}.abc.tmp`), '{"n":3}');
    q = await open();
    expect(q.stats()).toMatchObject({ pendingBatches: 2, corruptBatches: 2 });
    expect((await readdir(join(dir, 'corrupt'))).sort()).toEqual([queueFileName(1), 'garbage.bin']);
    expect((await readdir(dir)).some((f) => f.endsWith('.tmp'))).toBe(false);
    expect(await drain(q)).toEqual([0, 2]);
    // The counter persists too.
    q = await open();
    expect(q.stats().corruptBatches).toBe(2);
  });

  it('skips an item damaged after opening instead of returning it', async () => {
    const q = await open();
    await q.append(() => item(0));
    await q.append(() => item(1));
    await writeFile(join(dir, queueFileName(0)), 'not json');
    expect(await drain(q)).toEqual([1]);
    expect(q.stats().corruptBatches).toBe(1);
  });

  it('moves rejected items to rejected/ and counts them', async () => {
    const q = await open();
    await q.append(() => item(0));
    await q.append(() => item(1));
    await q.reject(0);
    expect(q.stats()).toMatchObject({ pendingBatches: 1, rejectedBatches: 1 });
    expect(JSON.parse(await readFile(join(dir, 'rejected', queueFileName(0)), 'utf8'))).toEqual({
      n: 0,
      pad: '',
    });
    expect(await drain(q)).toEqual([1]);
  });

  it('uses the validator given to it', async () => {
    let q = await open();
    await q.append(() => JSON.stringify({ ok: false }));
    await q.append(() => JSON.stringify({ ok: true }));
    await q.close();
    q = await DiskQueue.open({
      dir,
      maxBytes: 1 << 20,
      maxBatches: 10,
      validate: (d) => (JSON.parse(d.toString()) as { ok: boolean }).ok,
    });
    expect(q.stats()).toMatchObject({ pendingBatches: 1, corruptBatches: 1 });
  });

  it('checks its options at once', async () => {
    await expect(DiskQueue.open({ dir, maxBytes: 0, maxBatches: 1 })).rejects.toThrow(/maxBytes/);
    await expect(DiskQueue.open({ dir, maxBytes: 10, maxBatches: 0.5 })).rejects.toThrow(/maxBatches/);
  });

  it('serialises concurrent appends without losing or reordering items', async () => {
    const q = await open();
    await Promise.all(Array.from({ length: 20 }, (_, i) => q.append((seq) => item(seq + i * 0))));
    expect(await drain(q)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('counts the reason of every drop and when it happened', async () => {
    const q = await open({ maxBatches: 2 });
    for (let i = 0; i < 4; i++) await q.append(() => item(i));
    const st = q.stats();
    expect(st.droppedBatches).toBe(2);
    expect(st.droppedReasons).toEqual({ full: 2, enospc: 0, write_error: 0 });
    expect(Date.parse(st.lastDropAt!)).toBeGreaterThan(Date.now() - 10_000);
    await q.close();
    expect((await open({ maxBatches: 2 })).stats()).toMatchObject({
      droppedReasons: { full: 2 },
      lastDropAt: st.lastDropAt,
    });
  });

  it('never replaces a queued file: two queues on one directory keep both appends', async () => {
    const a = await open();
    const b = await open();
    const ra = await a.append((seq) => item(seq, 1));
    const rb = await b.append((seq) => item(seq, 2));
    expect(rb.seq).not.toBe(ra.seq);
    const contents = await Promise.all(
      [ra.seq, rb.seq].map(async (s) => JSON.parse(await readFile(join(dir, queueFileName(s)), 'utf8'))),
    );
    expect(contents).toEqual([
      { n: ra.seq, pad: 'x' },
      { n: rb.seq, pad: 'xx' },
    ]);
  });

  it('reserves each sequence number on disk before using it, so no restart can reuse one', async () => {
    const q = await open();
    const seen: { seq: number; reserved: number }[] = [];
    for (let i = 0; i < 3; i++) {
      await q.append((seq) => {
        const state = JSON.parse(readFileSync(join(dir, 'queue-state.json'), 'utf8')) as {
          nextSequence: number;
        };
        seen.push({ seq, reserved: state.nextSequence });
        return item(seq);
      });
    }
    expect(seen.every((s) => s.reserved > s.seq)).toBe(true);
    // Everything acknowledged, then a restart: the numbers go on.
    await drain(q);
    expect((await (await open()).append(() => item(9))).seq).toBe(3);
  });

  it('writes every file private (0600) in a private directory (0700) and fixes older modes', async () => {
    let q = await open();
    for (let i = 0; i < 3; i++) await q.append(() => item(i));
    await q.reject(1);
    const modes = async () => {
      const out: Record<string, number> = {};
      for (const d of [dir, join(dir, 'rejected')]) {
        out[d] = (await stat(d)).mode & 0o777;
        for (const f of await readdir(d, { withFileTypes: true }))
          if (f.isFile()) out[join(d, f.name)] = (await stat(join(d, f.name))).mode & 0o777;
      }
      return out;
    };
    for (const [path, mode] of Object.entries(await modes())) {
      expect(mode, path).toBe(path === dir || path.endsWith('rejected') ? 0o700 : 0o600);
    }
    await q.close();
    // A queue left by an older agent with world-readable files is fixed on open.
    const { chmod } = await import('node:fs/promises');
    await chmod(dir, 0o755);
    for (const f of await readdir(dir)) if (f.endsWith('.json')) await chmod(join(dir, f), 0o644);
    q = await open();
    for (const [path, mode] of Object.entries(await modes())) {
      expect(mode, path).toBe(path === dir || path.endsWith('rejected') ? 0o700 : 0o600);
    }
  });
});

const isRoot = process.getuid?.() === 0;

/** A real small tmpfs, so ENOSPC comes from the kernel (needs root, as CI runs). */
describe.skipIf(!isRoot)('DiskQueue on a full filesystem', () => {
  let mnt: string;
  beforeEach(async () => {
    mnt = await mkdtemp(join(tmpdir(), 'tianshu-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,nr_inodes=200', 'tianshu-test', mnt]);
  });
  afterEach(async () => {
    execFileSync('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });

  it('drops the oldest batches to make room, counts them as enospc and keeps the sequence', async () => {
    const qdir = join(mnt, 'queue');
    const q = await DiskQueue.open({ dir: qdir, maxBytes: 1 << 30, maxBatches: 10_000 });
    const seqs: number[] = [];
    // 40 KiB items on a 256 KiB filesystem: about six fit, the rest must push the oldest out.
    for (let i = 0; i < 20; i++) seqs.push((await q.append((seq) => item(seq, 40 * 1024))).seq);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const st = q.stats();
    expect(st.droppedReasons.enospc).toBeGreaterThan(0);
    expect(st.droppedBatches).toBe(st.droppedReasons.enospc);
    expect(st.pendingBatches + st.droppedBatches).toBe(20);
    // The newest are kept, the oldest dropped.
    const kept = await drain(q);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 20 - kept.length + i));
    // The counters made it to disk.
    await q.close();
    const state = JSON.parse(await readFile(join(qdir, 'queue-state.json'), 'utf8'));
    expect(state).toMatchObject({ droppedBatches: st.droppedBatches, nextSequence: 20 });
  });

  it('counts the new batch as dropped and uses its sequence when nothing can be freed', async () => {
    const qdir = join(mnt, 'queue');
    const q = await DiskQueue.open({ dir: qdir, maxBytes: 1 << 30, maxBatches: 10_000 });
    await q.append(() => item(0));
    await q.peek().then((h) => q.ack(h!.seq));
    // Something else fills the filesystem.
    await writeFile(join(mnt, 'filler'), Buffer.alloc(256 * 1024)).catch(() => undefined);
    const dropped: number[] = [];
    q.onDrop((n) => dropped.push(n));
    const err = await q.append((seq) => item(seq, 8 * 1024)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueDropError);
    expect((err as QueueDropError).reason).toBe('enospc');
    expect((err as QueueDropError).seq).toBe(1);
    expect(q.stats()).toMatchObject({ droppedBatches: 1, droppedReasons: { enospc: 1 }, nextSequence: 2 });
    expect(dropped).toEqual([1]);
    await rm(join(mnt, 'filler'));
    expect((await q.append((seq) => item(seq))).seq).toBe(2);
  });

  it('closes on a full disk, keeping the sequence it reserved', async () => {
    const qdir = join(mnt, 'queue');
    const q = await DiskQueue.open({ dir: qdir, maxBytes: 1 << 30, maxBatches: 10_000 });
    await q.append((seq) => item(seq));
    await q.append((seq) => item(seq));
    await writeFile(join(mnt, 'filler'), Buffer.alloc(256 * 1024)).catch(() => undefined);
    // An agent stopping on a full disk must not fail; the reserved sequence is already on disk.
    await expect(q.close()).resolves.toBeUndefined();
    await rm(join(mnt, 'filler'));
    const again = await DiskQueue.open({ dir: qdir, maxBytes: 1 << 30, maxBatches: 10_000 });
    expect((await again.append((seq) => item(seq))).seq).toBe(2);
    await again.close();
  });
});
