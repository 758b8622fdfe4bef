import { describe, expect, it } from 'vitest';
import { canManage } from './auth.js';

describe('canManage', () => {
  it('offers write actions to admins and fleet operators only', () => {
    expect(canManage({ roles: ['admin'] })).toBe(true);
    expect(canManage({ roles: ['auditor', 'network-operator'] })).toBe(true);
    expect(canManage({ roles: ['cloud-admin'] })).toBe(true);
    expect(canManage({ roles: ['auditor', 'security-analyst'] })).toBe(false);
    expect(canManage({ roles: [] })).toBe(false);
    expect(canManage(undefined)).toBe(false);
  });
});
