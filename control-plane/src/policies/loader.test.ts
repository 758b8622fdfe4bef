import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { PolicyError, PolicyStore, ROLES_POLICY, checkPolicies, parsePolicy } from './index.js';
import { allPolicyRefs } from '../modules.js';

const REPO_POLICIES = new URL('../../../policies', import.meta.url).pathname;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const copy = () => {
  const d = mkdtempSync(join(tmpdir(), 'tianshu-policies-'));
  dirs.push(d);
  cpSync(REPO_POLICIES, d, { recursive: true });
  return d;
};

describe('policy files', () => {
  it('the shipped policies are valid', () => {
    expect(checkPolicies(REPO_POLICIES, allPolicyRefs()).every((r) => r.ok)).toBe(true);
  });

  it('names unknown fields, unknown permissions and YAML errors', () => {
    const good = readFileSync(join(REPO_POLICIES, 'roles.yaml'), 'utf8');
    expect(() =>
      parsePolicy(
        ROLES_POLICY,
        good.replace(
          'roles:',
          'roles:\n  extra:\n    description: x\n    permissions: [audit:read]\n    colour: red',
        ),
      ),
    ).toThrow(/roles\.extra: unknown field\(s\) "colour"/);
    expect(() => parsePolicy(ROLES_POLICY, good + '\nowner: me\n')).toThrow(/unknown field\(s\) "owner"/);
    expect(() =>
      parsePolicy(ROLES_POLICY, 'roles:\n  admin:\n    description: a\n    permissions: [fly:away]\n'),
    ).toThrow(/roles\.admin\.permissions\.0/);
    expect(() => parsePolicy(ROLES_POLICY, 'roles: [unclosed')).toThrow(/not valid YAML at line 1/);
    expect(() =>
      parsePolicy(ROLES_POLICY, 'roles:\n  auditor:\n    description: a\n    permissions: [audit:read]\n'),
    ).toThrow(/"admin" must be defined/);
    try {
      parsePolicy(
        ROLES_POLICY,
        'roles:\n  admin:\n    description: a\n    permissions: ["*"]\n  admin:\n    description: b\n    permissions: ["*"]\n',
      );
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      expect((err as PolicyError).problems[0]).toMatch(/not valid YAML/);
    }
  });

  it('reloads a valid change and keeps the previous version when a change is invalid', () => {
    const dir = copy();
    const store = PolicyStore.load(dir, createLogger('silent'), allPolicyRefs());
    const file = join(dir, 'roles.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('Read-only access', 'Read-only view'));
    expect(store.reload()).toBe(true);
    expect(store.get(ROLES_POLICY).roles.auditor!.description).toMatch(/^Read-only view/);
    writeFileSync(file, original + '\nbogus: 1\n');
    expect(store.reload()).toBe(false);
    expect(store.lastError?.message).toMatch(/bogus/);
    expect(store.get(ROLES_POLICY).roles.auditor!.description).toMatch(/^Read-only view/);
    store.close();
  });

  it('refuses to start on an invalid file', () => {
    const dir = copy();
    writeFileSync(join(dir, 'roles.yaml'), 'roles: {}\n');
    expect(() => PolicyStore.load(dir, createLogger('silent'), allPolicyRefs())).toThrow(PolicyError);
  });
});
