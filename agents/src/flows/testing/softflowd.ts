import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * Runs Debian's `softflowd` over a capture file, exporting to `127.0.0.1:port` with NetFlow
 * `version` (5, 9 or 10 = IPFIX), and resolves when it has exported everything and exited.
 *
 * softflowd 1.1.0 in `-r` mode blocks in accept() on its control socket before each read of the
 * capture, so the control socket is poked (`softflowctl statistics`) until softflowd reaches the end
 * of the file, exports every flow and exits. Bounded: at most `timeoutMillis` (default 20 s).
 */
export async function runSoftflowd(options: {
  pcap: string;
  port: number;
  version: 5 | 9 | 10;
  workDir: string;
  timeoutMillis?: number;
  extraArgs?: string[];
}): Promise<{ output: string }> {
  const ctl = join(options.workDir, `softflowd-${options.port}.ctl`);
  const pid = join(options.workDir, `softflowd-${options.port}.pid`);
  const child = spawn(
    'softflowd',
    [
      '-d',
      '-r',
      options.pcap,
      '-n',
      `127.0.0.1:${options.port}`,
      '-v',
      String(options.version),
      '-c',
      ctl,
      '-p',
      pid,
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  // Its closing statistics go to stdout, its log lines to stderr: both are kept, in order.
  child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  const done = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      exited = true;
      resolve(code);
    });
  });
  const deadline = Date.now() + (options.timeoutMillis ?? 20_000);
  const poke = (): Promise<void> =>
    new Promise((resolve) =>
      execFile('softflowctl', ['-c', ctl, 'statistics'], { timeout: 2000 }, () => resolve()),
    );
  while (!exited && Date.now() < deadline) {
    await poke();
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!exited) {
    child.kill('SIGKILL');
    throw new Error(`softflowd did not finish within ${options.timeoutMillis ?? 20_000} ms: ${stderr}`);
  }
  const code = await done;
  if (code !== 0) throw new Error(`softflowd exited with ${code}: ${stderr}`);
  return { output: stderr };
}
