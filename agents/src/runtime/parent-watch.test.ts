import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { parentPidEnv, watchParent } from './parent-watch.js';
import { waitFor } from '../testing/wait.js';

describe('watchParent', () => {
  it('reports a closed IPC channel at once', () => {
    const channel = new EventEmitter();
    const why: string[] = [];
    watchParent((w) => why.push(w), { deps: { ppid: () => 10, channel, env: {} } });
    channel.emit('disconnect');
    channel.emit('disconnect');
    expect(why).toEqual(['the parent process closed its channel']);
  });

  it('reports re-parenting (the parent pid changed) within the interval', async () => {
    let ppid = 4242;
    const why: string[] = [];
    const stop = watchParent((w) => why.push(w), {
      intervalMillis: 10,
      deps: { ppid: () => ppid, channel: undefined, env: { [parentPidEnv]: '4242' } },
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(why).toEqual([]);
    ppid = 1;
    await waitFor(() => why.length > 0, 2000, 'parent gone');
    expect(why).toEqual(['the parent process 4242 exited']);
    stop();
  });

  it('reports at once when the named parent is already gone', () => {
    const why: string[] = [];
    watchParent((w) => why.push(w), {
      deps: { ppid: () => 1, channel: undefined, env: { [parentPidEnv]: '777' } },
    });
    expect(why).toHaveLength(1);
  });

  it('does nothing for a process started without a supervisor', async () => {
    const why: string[] = [];
    watchParent((w) => why.push(w), {
      intervalMillis: 5,
      deps: { ppid: () => Math.random(), channel: undefined, env: {} },
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(why).toEqual([]);
  });
});
