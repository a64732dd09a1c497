import { useCallback, useEffect, useState } from 'react';

import { getRunProgress, getVersion } from '../lib/api';
import type { OrchestrationDocument } from '../lib/document-schema';
import type { RunEvent } from '../lib/run-events';
import { progressOf, type Progress } from '../lib/work-guide';
import type { Run } from '../lib/work-schemas';
import { useOnChange } from './use-on-change';
import { useRunUpdates } from './use-run-updates';

/** Versions never change once active: each is read once while the app is open. */
const documents = new Map<string, Promise<OrchestrationDocument | null>>();

function documentOf(run: Run): Promise<OrchestrationDocument | null> {
  const key = `${run.orchestration}/${run.version}`;
  let found = documents.get(key);
  if (!found) {
    // Without it the progress shows no "next"; a failed read is tried again next time.
    found = getVersion(run.orchestration, run.version).then(
      (v) => v.document,
      () => {
        documents.delete(key);
        return null;
      },
    );
    documents.set(key, found);
  }
  return found;
}

export type RunProgressState = {
  run: Run | null;
  /** The version the run follows (for "next" stages and outcome labels), once read. */
  document: OrchestrationDocument | null;
  progress: Progress | null;
};

/**
 * A run and where it stands, read again whenever its events arrive (`/ws/runs/<id>`);
 * `onEvents` gets those events too, so a page watches each run through one socket.
 */
export function useRunProgress(runId: string | null, onEvents?: (events: RunEvent[]) => void): RunProgressState {
  const [run, setRun] = useState<Run | null>(null);
  const [document, setDocument] = useState<OrchestrationDocument | null>(null);

  const load = useCallback(async () => {
    if (!runId) return;
    try {
      const found = await getRunProgress(runId);
      setRun(found);
      setDocument(await documentOf(found));
    } catch {
      setRun(null); // a run the person may no longer see: no progress to show
    }
  }, [runId]);

  // Another run: nothing of the last one shows while its own loads.
  useOnChange(runId, () => setRun(null));
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- load sets state only once its request answers (after an await), which the rule cannot see
    void load();
  }, [load]);
  useRunUpdates(runId, (events) => {
    onEvents?.(events);
    void load();
  });

  return { run, document, progress: run ? progressOf(run, document) : null };
}
