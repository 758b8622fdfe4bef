import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A UDP port free on `address` now (the kernel picks it; the socket is closed again). */
export async function freeUdpPort(address = '127.0.0.1'): Promise<number> {
  const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, address, () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** One flow as `nfdump -o csv` prints it (the fields the tests compare). */
export interface NfdumpFlow {
  sa: string;
  da: string;
  sp: number;
  dp: number;
  pr: string;
  flg: string;
  stos: number;
  ipkt: number;
  ibyt: number;
  in: number;
  out: number;
  sas: number;
  das: number;
  nh: string;
  ra: string;
  raw: Record<string, string>;
}

/**
 * nfdump's `nfcapd` (NetFlow/IPFIX) or `sfcapd` (sFlow) listening on loopback on a free port,
 * writing into a temporary directory with a short rotation; `flows()` reads what it stored with
 * `nfdump -R dir -o csv` (the current file is flushed when the capture stops).
 */
export class Capture {
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly child: ChildProcess,
    private log: string[],
  ) {}

  static async start(tool: 'nfcapd' | 'sfcapd', extra: string[] = []): Promise<Capture> {
    const dir = await mkdtemp(join(tmpdir(), `tianshu-${tool}-`));
    const port = await freeUdpPort();
    const log: string[] = [];
    const child = spawn(
      tool,
      [
        '-b',
        '127.0.0.1',
        '-p',
        String(port),
        '-w',
        dir,
        '-t',
        '60',
        ...extra,
        ...(process.env.CAPTURE_VERBOSE ? ['-v', '-v'] : []),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
    const c = new Capture(port, dir, child, log);
    // Wait until the socket is bound: a probe to the port gets no ICMP port unreachable.
    await c.waitBound();
    return c;
  }

  get output(): string {
    return this.log.join('');
  }

  private async waitBound(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (this.child.exitCode !== null) throw new Error(`capture exited: ${this.output}`);
      const { stdout } = await run('ss', ['-Huln', `sport = :${this.port}`]).catch(() => ({ stdout: '' }));
      if (stdout.trim() !== '') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`capture did not bind port ${this.port}: ${this.output}`);
  }

  /**
   * Waits (at most 5 s) until the capture has read every datagram queued on its socket (`ss` shows
   * the receive queue empty): it exits on SIGTERM without reading what is still queued.
   */
  async drain(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const { stdout } = await run('ss', ['-Huln', `sport = :${this.port}`]).catch(() => ({ stdout: '' }));
      const recvQ = Number(stdout.trim().split(/\s+/)[1] ?? '0');
      if (recvQ === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // The last datagram read may still be in process; one more round trip of the event loop and a
    // short pause let the capture finish it before the signal.
    await new Promise((r) => setTimeout(r, 100));
  }

  /** Stops the capture (it writes its last file on SIGTERM) and reads every flow it stored. */
  async stopAndRead(): Promise<NfdumpFlow[]> {
    await this.drain();
    if (this.child.exitCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    const { stdout } = await run('nfdump', ['-R', this.dir, '-o', 'csv', '-N'], { maxBuffer: 64 << 20 });
    return parseCsv(stdout);
  }

  async cleanup(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    if (!process.env.KEEP_CAPTURE) await rm(this.dir, { recursive: true, force: true });
  }
}

/** Parses `nfdump -o csv` output: a header line, flow lines, then a summary that is ignored. */
export function parseCsv(text: string): NfdumpFlow[] {
  const lines = text.split('\n');
  const head = lines.findIndex((l) => l.startsWith('ts,'));
  if (head < 0) return [];
  const names = lines[head]!.split(',');
  const flows: NfdumpFlow[] = [];
  for (const line of lines.slice(head + 1)) {
    if (line === '' || line.startsWith('Summary') || !/^\d{4}-/.test(line)) {
      if (line.startsWith('Summary')) break;
      continue;
    }
    const v = line.split(',');
    const raw: Record<string, string> = {};
    names.forEach((n, i) => (raw[n] = (v[i] ?? '').trim()));
    const num = (k: string): number => Number(raw[k] ?? 'NaN');
    flows.push({
      sa: raw.sa ?? '',
      da: raw.da ?? '',
      sp: num('sp'),
      dp: num('dp'),
      pr: raw.pr ?? '',
      flg: raw.flg ?? '',
      stos: num('stos'),
      ipkt: num('ipkt'),
      ibyt: num('ibyt'),
      in: num('in'),
      out: num('out'),
      sas: num('sas'),
      das: num('das'),
      nh: raw.nh ?? '',
      ra: raw.ra ?? '',
      raw,
    });
  }
  return flows;
}
