import { useState } from 'react';

/**
 * Calls `adjust` in the render in which `value` is no longer what it was: state that follows
 * a prop (a form's draft, a page's last load) is set right then, not one paint later in an
 * effect ("Adjusting some state when a prop changes" in React's docs). `adjust` only sets
 * state; React renders again at once, before anything is painted.
 */
export function useOnChange<T>(value: T, adjust: (value: T) => void): void {
  const [seen, setSeen] = useState(value);
  if (!Object.is(value, seen)) {
    setSeen(value);
    adjust(value);
  }
}
