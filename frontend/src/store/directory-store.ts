/**
 * What the inspector offers to pick from: people, groups and queues, registered
 * actions. Loaded once, when the inspector first needs them; a failure leaves the
 * pick lists empty and the fields still typeable.
 */
import { create } from 'zustand';

import { listActions, listGroups, listUsers } from '../lib/api';
import type { Action, Group, User } from '../lib/api-schemas';

type DirectoryState = {
  status: 'idle' | 'loading' | 'ready' | 'failed';
  users: User[];
  groups: Group[];
  actions: Action[];
  error: string | null;
  load: () => Promise<void>;
};

export const useDirectoryStore = create<DirectoryState>()((set, get) => ({
  status: 'idle',
  users: [],
  groups: [],
  actions: [],
  error: null,
  load: async () => {
    if (get().status !== 'idle') return;
    set({ status: 'loading' });
    const [users, groups, actions] = await Promise.allSettled([listUsers(), listGroups(), listActions()]);
    const failed = [users, groups, actions].find((r) => r.status === 'rejected');
    set({
      status: failed ? 'failed' : 'ready',
      users: users.status === 'fulfilled' ? users.value : [],
      groups: groups.status === 'fulfilled' ? groups.value : [],
      actions: actions.status === 'fulfilled' ? actions.value : [],
      error: failed ? String((failed as PromiseRejectedResult).reason) : null,
    });
  },
}));
