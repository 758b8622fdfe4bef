import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL server from Debian's packages (postgresql-15), on 127.0.0.1 and a free port,
 * with trust authentication for the loopback only. Tests use a real server, never a double.
 */
export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

function binDir(): string {
  for (const v of ['17', '16', '15', '14', '13']) {
    const d = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(d, 'initdb'))) return d;
  }
  throw new Error(
    'PostgreSQL server binaries not found: install Debian package postgresql (apt-get install postgresql)',
  );
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function asPostgresUser(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', cmd, ...args]];
  return [cmd, args];
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'tianshu-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0)
    chownSync(
      dir,
      Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    );
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, 'unused\n');
  const [c1, a1] = asPostgresUser(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'tianshu',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--no-locale',
    '-N',
  ]);
  execFileSync(c1, a1, { stdio: 'pipe' });
  const port = await freePort();
  const [c2, a2] = asPostgresUser(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-h',
    '127.0.0.1',
    '-k',
    dir,
    '-c',
    'fsync=off',
    '-c',
    'max_connections=200',
  ]);
  const proc = spawn(c2, a2, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `postgres://tianshu@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => undefined);
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`PostgreSQL did not start: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    stop: async () => {
      // runuser does not forward signals, so stop the server through pg_ctl.
      const [c3, a3] = asPostgresUser(join(bin, 'pg_ctl'), [
        'stop',
        '-D',
        data,
        '-m',
        'immediate',
        '-w',
        '-t',
        '20',
      ]);
      try {
        execFileSync(c3, a3, { stdio: 'ignore' });
      } catch {
        proc.kill('SIGKILL');
      }
      proc.stderr.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a fresh empty database on the server and returns its URL. */
export async function createDatabase(serverUrl: string): Promise<string> {
  const name = `t_${Math.random().toString(36).slice(2, 12)}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return serverUrl.replace(/\/[^/]*$/, `/${name}`);
}
