import { describe, expect, it } from 'vitest';

import { may, navItems } from './permissions';

describe('may', () => {
  it('lets only admins design, import and administer', () => {
    expect(may('admin', 'design')).toBe(true);
    expect(may('ops', 'design')).toBe(false);
    expect(may('member', 'design')).toBe(false);
    expect(may('admin', 'administer')).toBe(true);
    expect(may('ops', 'administer')).toBe(false);
  });

  it('lets ops and admins open the builder, monitor and control runs; never a member', () => {
    for (const what of ['openBuilder', 'monitor', 'controlRuns', 'downloadRunScenario', 'reassign'] as const) {
      expect(may('admin', what)).toBe(true);
      expect(may('ops', what)).toBe(true);
      expect(may('member', what)).toBe(false);
    }
  });

  it('lets nobody signed in, or an unknown role, do anything', () => {
    expect(may(null, 'listRuns')).toBe(false);
    expect(may(undefined, 'listRuns')).toBe(false);
    expect(may('guest', 'listRuns')).toBe(false);
  });
});

describe('navItems', () => {
  const labels = (role: string) => navItems(role).map((i) => i.label);

  it('gives an admin every section, Admin last', () => {
    expect(labels('admin')).toEqual(['My work', 'Records', 'Orchestrations', 'Runs', 'Admin']);
  });

  it('gives ops the runs but not Admin', () => {
    expect(labels('ops')).toEqual(['My work', 'Records', 'Orchestrations', 'Runs']);
  });

  it('gives a member their own runs and no Admin', () => {
    expect(labels('member')).toEqual(['My work', 'Records', 'Orchestrations', 'My runs']);
    expect(navItems('member').find((i) => i.label === 'My runs')?.to).toBe('/runs');
  });

  it('marks the home link as exact, so it is not current on every page', () => {
    expect(navItems('admin').find((i) => i.to === '/')?.end).toBe(true);
  });
});
