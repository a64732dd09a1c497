import { useEffect, useMemo, useState } from 'react';

import { listGroups } from '../lib/api';
import type { Group } from '../lib/api-schemas';
import { listPeople } from '../lib/profile-api';
import type { Person } from '../lib/profile-schemas';
import type { NameOf } from '../lib/run-events';

/** Loaded once per page load: people and groups rarely change while a page is open. */
let loading: Promise<Person[]> | null = null;
let loadingGroups: Promise<Group[]> | null = null;

/** Active people, loaded once per page load (a failure is not kept: the next call tries again). */
export function loadPeople(): Promise<Person[]> {
  loading ??= listPeople().catch(() => {
    loading = null;
    return [];
  });
  return loading;
}

/** Groups and queues, loaded once per page load (a failure is not kept). */
export function loadGroups(): Promise<Group[]> {
  loadingGroups ??= listGroups().catch(() => {
    loadingGroups = null;
    return [];
  });
  return loadingGroups;
}

/** Active people (user name and display name); empty until loaded or when the server fails. */
export function usePeople(): Person[] {
  const [people, setPeople] = useState<Person[]>([]);
  useEffect(() => {
    let live = true;
    void loadPeople().then((found) => {
      if (live) setPeople(found);
    });
    return () => {
      live = false;
    };
  }, []);
  return people;
}

/** Groups and queues (name, kind, label); empty until loaded or when the server fails. */
export function useGroups(): Group[] {
  const [groups, setGroups] = useState<Group[]>([]);
  useEffect(() => {
    let live = true;
    void loadGroups().then((found) => {
      if (live) setGroups(found);
    });
    return () => {
      live = false;
    };
  }, []);
  return groups;
}

/** A person's display name, or their user name when it is not known. */
export function displayName(people: Person[], username: string): string {
  return people.find((p) => p.username === username)?.display_name ?? username;
}

/** Names for people to read: a user's display name, a group's or queue's label; the id when unknown. */
export function namesFrom(people: Person[], groups: Group[]): NameOf {
  return (type, value) => {
    if (type === 'user') return displayName(people, value);
    return groups.find((g) => g.name === value && (g.kind ?? 'group') === type)?.label || value;
  };
}

/** `namesFrom` the people and groups of the directory, once they are loaded. */
export function useNameOf(): NameOf {
  const people = usePeople();
  const groups = useGroups();
  return useMemo(() => namesFrom(people, groups), [people, groups]);
}
