/**
 * The names the canvas shows for who works on a step: people's display names, groups' and
 * queues' labels ("group Legal", not "group: legal"). Loaded once per page load, when the
 * first step node asks; until then, and when the server fails, the ids show.
 */
import { create } from 'zustand';

import type { NameOf } from '../lib/run-events';
import { loadGroups, loadPeople, namesFrom } from '../hooks/use-people';

type NamesState = { nameOf: NameOf; status: 'idle' | 'loading' | 'ready'; load: () => void };

const asIs: NameOf = (_type, value) => value;

export const useNamesStore = create<NamesState>()((set, get) => ({
  nameOf: asIs,
  status: 'idle',
  load: () => {
    if (get().status !== 'idle') return;
    set({ status: 'loading' });
    // Everyone may read both lists (a member opens a run's read-only canvas too).
    void Promise.all([loadPeople(), loadGroups()]).then(([people, groups]) => {
      set({ nameOf: namesFrom(people, groups), status: 'ready' });
    });
  },
}));
