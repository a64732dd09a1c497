/**
 * What the inspector offers to pick from: people, groups and queues, registered
 * actions, record types (the trigger's pick list, the names of its fields). Loaded once, when the inspector first needs them; a failure leaves the
 * pick lists empty and the fields still typeable.
 */
import { create } from 'zustand';

import { listActions, listGroups, listRecordTypes, listUsers } from '../lib/api';
import type { Action, Group, User } from '../lib/api-schemas';
import type { RecordType } from '../lib/work-schemas';

type DirectoryState = {
  status: 'idle' | 'loading' | 'ready' | 'failed';
  users: User[];
  groups: Group[];
  actions: Action[];
  recordTypes: RecordType[];
  error: string | null;
  load: () => Promise<void>;
  /** Loads everything again the next time it is needed (after an admin changed it). */
  forget: () => void;
};

export const useDirectoryStore = create<DirectoryState>()((set, get) => ({
  status: 'idle',
  users: [],
  groups: [],
  actions: [],
  recordTypes: [],
  error: null,
  forget: () => set({ status: 'idle' }),
  load: async () => {
    if (get().status !== 'idle') return;
    set({ status: 'loading' });
    const [users, groups, actions, recordTypes] = await Promise.allSettled([
      listUsers(),
      listGroups(),
      listActions(),
      listRecordTypes(),
    ]);
    const failed = [users, groups, actions, recordTypes].find((r) => r.status === 'rejected');
    set({
      status: failed ? 'failed' : 'ready',
      users: users.status === 'fulfilled' ? users.value : [],
      groups: groups.status === 'fulfilled' ? groups.value : [],
      actions: actions.status === 'fulfilled' ? actions.value : [],
      recordTypes: recordTypes.status === 'fulfilled' ? recordTypes.value : [],
      error: failed ? String(failed.reason) : null,
    });
  },
}));
