import { appendFileSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTailer } from './tail.js';

const tailers: FileTailer[] = [];
afterEach(async () => {
  await Promise.all(tailers.splice(0).map((t) => t.stop()));
});

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function tailer(dir: string, startAt: 'end' | 'beginning', lines: string[], tooLong: string[] = []) {
  const t = new FileTailer({
    path: join(dir, 'eve.json'),
    positionFile: join(dir, 'pos.json'),
    startAt,
    maxLineBytes: 64,
    pollMillis: 10,
    onLine: (l) => lines.push(l),
    onTooLong: (m) => tooLong.push(m),
  });
  tailers.push(t);
  return t;
}

describe('FileTailer', () => {
  it('reads from the start, waits for a partial line, follows rename and truncation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tail-'));
    const path = join(dir, 'eve.json');
    writeFileSync(path, 'one\ntwo\npar');
    const lines: string[] = [];
    const tooLong: string[] = [];
    const t = tailer(dir, 'beginning', lines, tooLong);
    await t.start();
    await until(() => lines.length === 2, 'two lines');
    appendFileSync(path, 'tial\n');
    await until(() => lines.length === 3, 'the completed line');
    expect(lines).toEqual(['one', 'two', 'partial']);
    // Rotation by rename: the rest of the old file, then the new one from its start.
    appendFileSync(path, 'last of old\n');
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'first of new\n');
    await until(() => lines.length === 5, 'the rotated lines');
    expect(lines.slice(3)).toEqual(['last of old', 'first of new']);
    // Truncation: read again from the start.
    truncateSync(path, 0);
    await new Promise((r) => setTimeout(r, 50));
    writeFileSync(path, 'after truncation\n');
    await until(() => lines.length === 6, 'the line after truncation');
    expect(lines[5]).toBe('after truncation');
    appendFileSync(path, `${'z'.repeat(100)}\nok\n`);
    await until(() => lines.length === 7, 'the line after the long one');
    expect(lines[6]).toBe('ok');
    expect(tooLong).toHaveLength(1);
    expect(t.stats.rotations).toBe(1);
    expect(t.stats.truncations).toBe(1);
  });

  it('starts at the end by default and resumes from the saved position after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tail-'));
    const path = join(dir, 'eve.json');
    writeFileSync(path, 'old line\n');
    const lines: string[] = [];
    const t = tailer(dir, 'end', lines);
    await t.start();
    appendFileSync(path, 'a\nb\nhalf');
    await until(() => lines.length === 2, 'two new lines');
    expect(lines).toEqual(['a', 'b']);
    await t.savePosition();
    await t.stop();
    // Written while the agent was down; the partial line is read again in full.
    appendFileSync(path, ' done\nc\n');
    const again: string[] = [];
    const u = tailer(dir, 'end', again);
    await u.start();
    await until(() => again.length === 2, 'the lines written while stopped');
    expect(again).toEqual(['half done', 'c']);
  });

  it('waits for a file that does not exist yet, reporting it once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tail-'));
    const problems: string[] = [];
    const lines: string[] = [];
    const t = new FileTailer({
      path: join(dir, 'eve.json'),
      positionFile: join(dir, 'pos.json'),
      startAt: 'end',
      maxLineBytes: 64,
      pollMillis: 10,
      onLine: (l) => lines.push(l),
      onTooLong: () => {},
      onProblem: (m) => problems.push(m),
    });
    tailers.push(t);
    await t.start();
    await new Promise((r) => setTimeout(r, 60));
    writeFileSync(join(dir, 'eve.json'), 'x\n');
    await until(() => lines.length === 1, 'the line of the new file');
    expect(problems).toHaveLength(1);
  });
});
