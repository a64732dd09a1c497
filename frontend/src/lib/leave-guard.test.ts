// @vitest-environment happy-dom
import { afterEach, beforeEach, expect, it, vi } from 'vitest';

import { guardLink, mayLeave, setLeaveGuard } from './leave-guard';

// happy-dom has no window.confirm: each test gives its own answer.
const confirm = vi.fn<(message?: string) => boolean>();

beforeEach(() => {
  confirm.mockReset();
  vi.stubGlobal('confirm', confirm);
});

afterEach(() => {
  setLeaveGuard(null);
  vi.unstubAllGlobals();
});

it('lets a link go when nothing would be lost, without asking', () => {
  setLeaveGuard(() => null);
  const event = { preventDefault: vi.fn() };
  guardLink(event);
  expect(event.preventDefault).not.toHaveBeenCalled();
  expect(confirm).not.toHaveBeenCalled();
});

it('asks when work would be lost, and stays unless the person confirms', () => {
  confirm.mockReturnValue(false);
  setLeaveGuard(() => 'The draft has unsaved changes. Leave without saving them?');
  const event = { preventDefault: vi.fn() };
  guardLink(event);
  expect(confirm).toHaveBeenCalledWith('The draft has unsaved changes. Leave without saving them?');
  expect(event.preventDefault).toHaveBeenCalled();
  confirm.mockReturnValue(true);
  expect(mayLeave()).toBe(true);
});
