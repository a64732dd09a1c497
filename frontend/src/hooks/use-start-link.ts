/** Whether a "Start run" entry belongs beside an orchestration: its active version is started by hand. */
import { useEffect, useState } from 'react';

import { getVersion } from '../lib/api';
import { isManual } from '../lib/trigger-words';

/** The Start run page of `key` when its active version (`activeVersion`) has a manual trigger, else null. */
export function useStartLink(key: string, activeVersion: number | null | undefined): string | null {
  const [manual, setManual] = useState<{ version: number; manual: boolean } | null>(null);
  useEffect(() => {
    if (activeVersion === null || activeVersion === undefined) return;
    let live = true;
    getVersion(key, activeVersion).then(
      (v) => live && setManual({ version: activeVersion, manual: isManual(v.document.trigger) }),
      () => live && setManual({ version: activeVersion, manual: false }),
    );
    return () => {
      live = false;
    };
  }, [key, activeVersion]);
  if (activeVersion === null || activeVersion === undefined || manual?.version !== activeVersion || !manual.manual)
    return null;
  return `/orchestrations/${encodeURIComponent(key)}/start`;
}
