/**
 * Light or dark: the system's preference unless the admin chose one (kept in
 * localStorage). `data-theme` on <html> drives the CSS variables; React Flow gets
 * the same choice as its `colorMode`.
 */
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
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches;
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

/** Whether the page is dark now. */
export function useIsDark(): boolean {
  const theme = useThemeStore((s) => s.theme);
  return theme === 'dark' || (theme === 'system' && systemPrefersDark());
}
