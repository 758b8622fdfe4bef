import { msg } from '@lit/localize';
import { apiFetch } from './api.js';

/** A console user as listed for administrators. */
export interface UserAccount {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  orgUnitId: string;
  disabled: boolean;
  createdAt: string;
}

/** A user role (`policies/roles.yaml`) as the console's language calls it; others as they come. */
export function userRoleLabel(role: string): string {
  switch (role) {
    case 'admin':
      return msg('admin', { id: 'users.role.admin' });
    case 'network-operator':
      return msg('network-operator', { id: 'users.role.networkOperator' });
    case 'cloud-admin':
      return msg('cloud-admin', { id: 'users.role.cloudAdmin' });
    case 'security-analyst':
      return msg('security-analyst', { id: 'users.role.securityAnalyst' });
    case 'backup-operator':
      return msg('backup-operator', { id: 'users.role.backupOperator' });
    case 'auditor':
      return msg('auditor', { id: 'users.role.auditor' });
    default:
      return role;
  }
}

export interface UserList {
  items: UserAccount[];
}

export const fetchUsers = (signal?: AbortSignal): Promise<UserList> =>
  apiFetch<UserList>('/api/v1/users', { signal });
