/**
 * Light or dark: the system's preference unless the admin chose one (kept in
 * localStorage). `data-theme` on <html> drives the CSS variables; React Flow gets
 * the same choice as its `colorMode`.
 */
import { useSyncExternalStore } from 'react';
import { create } from 'zustand';

export type Theme = 'system' | 'light' | 'dark';

const KEY = 'overture.theme';

function stored(): Theme {
  try {
    const value = globalThis.localStorage?.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

function apply(theme: Theme): void {
  if (typeof document === 'undefined') return;
  if (theme === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', theme);
}

export function systemPrefersDark(): boolean {
  return (
    typeof window !== 'undefined' &&
    typeof window.matchMedia === 'function' &&
    window.matchMedia('(prefers-color-scheme: dark)').matches
  );
}

type ThemeState = { theme: Theme; setTheme: (theme: Theme) => void; toggle: () => void };

export const useThemeStore = create<ThemeState>()((set, get) => {
  const initial = stored();
  apply(initial);
  const setTheme = (theme: Theme) => {
    try {
      if (theme === 'system') globalThis.localStorage?.removeItem(KEY);
      else globalThis.localStorage?.setItem(KEY, theme);
    } catch {
      // private mode: the choice lasts for this page only
    }
    apply(theme);
    set({ theme });
  };
  return {
    theme: initial,
    setTheme,
    toggle: () => {
      const dark = get().theme === 'dark' || (get().theme === 'system' && systemPrefersDark());
      setTheme(dark ? 'light' : 'dark');
    },
  };
});

/** The system's preference, followed as it changes (a laptop going dark at night). */
function subscribeToSystem(onChange: () => void): () => void {
  if (typeof window === 'undefined' || typeof window.matchMedia !== 'function') return () => undefined;
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  query.addEventListener?.('change', onChange);
  return () => query.removeEventListener?.('change', onChange);
}

/** Whether the page is dark now: what draws on a canvas (charts, minimap) picks its colours by it. */
export function useIsDark(): boolean {
  const theme = useThemeStore((s) => s.theme);
  const systemDark = useSyncExternalStore(subscribeToSystem, systemPrefersDark, () => false);
  return theme === 'dark' || (theme === 'system' && systemDark);
}
