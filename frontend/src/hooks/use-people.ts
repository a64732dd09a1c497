import { useEffect, useState } from 'react';

import { listPeople } from '../lib/profile-api';
import type { Person } from '../lib/profile-schemas';

/** Loaded once per page load: people rarely change while a page is open. */
let loading: Promise<Person[]> | null = null;

/** Active people (user name and display name); empty until loaded or when the server fails. */
export function usePeople(): Person[] {
  const [people, setPeople] = useState<Person[]>([]);
  useEffect(() => {
    let live = true;
    loading ??= listPeople().catch(() => { loading = null; return []; });
    void loading.then((found) => { if (live) setPeople(found); });
    return () => { live = false; };
  }, []);
  return people;
}

/** A person's display name, or their user name when it is not known. */
export function displayName(people: Person[], username: string): string {
  return people.find((p) => p.username === username)?.display_name ?? username;
}
