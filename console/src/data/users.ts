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

export interface UserList {
  items: UserAccount[];
}

export const fetchUsers = (signal?: AbortSignal): Promise<UserList> =>
  apiFetch<UserList>('/api/v1/users', { signal });
