/** A version's document as a read-only canvas (the monitor and the run detail). */
import { useEffect, useState } from 'react';

import { getVersion } from '../lib/api';
import { readOnlyFlow, type ReadOnlyFlow } from '../lib/read-only-flow';
import { useOnChange } from './use-on-change';

export function useVersionFlow(key: string | null, version: number | null) {
  const [flow, setFlow] = useState<ReadOnlyFlow | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Each version read starts without the last one's error.
  useOnChange(key && version !== null ? `${key}\u0000${version}` : null, (reading) => {
    if (reading !== null) setError(null);
  });

  useEffect(() => {
    if (!key || version === null) return;
    let cancelled = false;
    getVersion(key, version)
      .then((v) => readOnlyFlow(v.document))
      .then((f) => !cancelled && setFlow(f))
      .catch(
        (failure: unknown) => !cancelled && setError(failure instanceof Error ? failure.message : String(failure)),
      );
    return () => {
      cancelled = true;
    };
  }, [key, version]);
  return { flow, error };
}

/** Node id -> label of a flow's stages. */
export function stageLabels(flow: ReadOnlyFlow | null): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const node of flow?.nodes ?? []) if (node.type === 'stage') labels[node.id] = node.data.label || node.id;
  return labels;
}

/** Node id -> label of every node. */
export function nodeLabels(flow: ReadOnlyFlow | null): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const node of flow?.nodes ?? [])
    labels[node.id] = ('label' in node.data && typeof node.data.label === 'string' && node.data.label) || node.id;
  return labels;
}
