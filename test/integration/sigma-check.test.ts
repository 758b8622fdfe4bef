import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/control-plane.js';
import { CP_MAIN } from '../support/process.js';

/**
 * `tianshu sigma check DIR` as a child process on genuine SigmaHQ rules and the Sigma
 * specification's examples (test/fixtures/sigma/README.md names the sources).
 */

const run = promisify(execFile);

interface Line {
  file: string;
  id: string;
  status: 'compiled' | 'unsupported' | 'invalid';
  reason: string | null;
}

async function check(
  dir: string,
): Promise<{ code: number; rules: Line[]; summary: Record<string, number>; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CP_MAIN, 'sigma', 'check', dir], {
      cwd: REPO,
      maxBuffer: 64 * 1024 * 1024,
    });
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line & { summary?: Record<string, number> });
    const last = lines.pop()!;
    return { code: 0, rules: lines, summary: last.summary!, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, rules: [], summary: {}, stderr: e.stderr };
  }
}

const byFile = (rules: Line[], file: string) => rules.filter((r) => r.file === file);

beforeAll(() => {
  if (!existsSync(CP_MAIN))
    throw new Error(`${CP_MAIN} is missing: run \`npm run build\` first (npm test does)`);
});

describe('sigma check on genuine rules', () => {
  it('prints one line per rule and a summary whose counts are the lines', async () => {
    const { code, rules, summary } = await check(join(REPO, 'test/fixtures/sigma'));
    expect(code).toBe(0);
    const count = (s: string) => rules.filter((r) => r.status === s).length;
    expect(summary).toEqual({
      compiled: count('compiled'),
      unsupported: count('unsupported'),
      invalid: count('invalid'),
    });
    // The genuine selection as of the fixtures' commits.
    expect(summary).toEqual({ compiled: 90, unsupported: 255, invalid: 6 });
    for (const r of rules) {
      expect(typeof r.id).toBe('string');
      expect(
        r.status === 'compiled' ? r.reason === null : typeof r.reason === 'string' && r.reason.length > 0,
      ).toBe(true);
    }
  });
  it('compiles the rules whose log sources Tianshu has, and says why the others do not run', async () => {
    const { rules } = await check(join(REPO, 'test/fixtures/sigma'));
    const one = (file: string) => {
      const r = byFile(rules, file);
      expect(r, file).toHaveLength(1);
      return r[0]!;
    };
    // syslog (linux services, network devices), EVE dns and http.
    for (const f of [
      'sigmahq/rules/linux/builtin/sshd/lnx_sshd_susp_ssh.yml',
      'sigmahq/rules/linux/builtin/lnx_shellshock.yml',
      'sigmahq/rules/network/cisco/aaa/cisco_cli_clear_logs.yml',
      'sigmahq/rules/network/dns/net_dns_mal_cobaltstrike.yml',
      'sigmahq/rules/web/proxy_generic/proxy_ua_hacktool.yml',
      'sigmahq/rules/web/webserver_generic/web_sql_injection_in_access_logs.yml',
      'sigmahq/rules/linux/builtin/lnx_susp_jexboss.yml',
    ]) {
      expect(one(f), f).toMatchObject({ status: 'compiled', reason: null });
    }
    expect(one('sigmahq/rules/linux/process_creation/proc_creation_lnx_base64_decode.yml')).toMatchObject({
      status: 'unsupported',
      reason: expect.stringMatching(/process_creation/),
    });
    expect(one('sigmahq/rules/network/zeek/zeek_dns_torproxy.yml').reason).toMatch(/zeek/);
    expect(
      one('sigmahq/rules/windows/builtin/security/win_security_susp_failed_logon_reasons.yml').reason,
    ).toMatch(/windows/);
    expect(
      one('sigmahq/rules/web/proxy_generic/proxy_hktl_cobalt_strike_malleable_c2_requests.yml'),
    ).toMatchObject({
      status: 'unsupported',
      reason: expect.stringMatching(/"cs-cookie"/),
    });
    expect(one('specification/tests/schema/correlation/value_sum.yml')).toMatchObject({
      status: 'unsupported',
      reason: expect.stringMatching(/value_sum/),
    });
    expect(one('specification/tests/schema/correlation/event_count.yml')).toMatchObject({
      status: 'invalid',
      reason: expect.stringMatching(/no loaded rule defines/),
    });
    // A multi-document file: one line per document, the correlation resolved against the others.
    const example = byFile(rules, 'specification/example_failed_logins_followed_by_success.yml');
    expect(example.map((r) => [r.id, r.status])).toEqual([
      ['b180ead8-d58f-40b2-ae54-c8940995b9b6', 'unsupported'],
      ['a8418a5a-5fc4-46b5-b23b-6c73beb19d41', 'unsupported'],
      ['53ba33fd-3a50-4468-a5ef-c583635cfa92', 'unsupported'],
      ['4d0a2c83-c62c-4ed4-b475-c7e23a9269b8', 'unsupported'],
    ]);
    expect(example[1]!.reason).toMatch(/"failed_login", which is unsupported: .*windows/);
  });
  it('compiles every shipped rule (at least 100)', async () => {
    const { code, summary } = await check(join(REPO, 'policies/detections/sigma'));
    expect(code).toBe(0);
    expect(summary.unsupported).toBe(0);
    expect(summary.invalid).toBe(0);
    expect(summary.compiled).toBeGreaterThanOrEqual(100);
  });
  it('never stops at a broken file, and exits 1 only when DIR does not exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigma-check-'));
    try {
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'a-broken.yml'), 'title: [unclosed\n');
      writeFileSync(join(dir, 'b-binary.yaml'), Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]));
      writeFileSync(
        join(dir, 'sub', 'c-good.yml'),
        'title: ok\nid: good-1\nlogsource:\n  category: dns\ndetection:\n  s:\n    query: x\n  condition: s\n',
      );
      const { code, rules, summary } = await check(dir);
      expect(code).toBe(0);
      expect(rules.map((r) => [r.file, r.status])).toEqual([
        ['a-broken.yml', 'invalid'],
        ['b-binary.yaml', 'invalid'],
        ['sub/c-good.yml', 'compiled'],
      ]);
      expect(summary).toEqual({ compiled: 1, unsupported: 0, invalid: 2 });
      const missing = await check(join(dir, 'nope'));
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/not a directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
