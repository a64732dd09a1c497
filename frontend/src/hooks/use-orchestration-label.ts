/** An orchestration's label for a person to read (its key until the list answers, or if it is not listed). */
import { useEffect, useState } from 'react';

import { listOrchestrations } from '../lib/api';

export function useOrchestrationLabel(key: string | null): string | null {
  const [label, setLabel] = useState<string | null>(null);
  useEffect(() => {
    if (!key) return undefined;
    let cancelled = false;
    listOrchestrations().then(
      (page) => !cancelled && setLabel(page.items.find((o) => o.key === key)?.label ?? key),
      () => !cancelled && setLabel(key),
    );
    return () => {
      cancelled = true;
    };
  }, [key]);
  return key ? (label ?? key) : null;
}
