/**
 * The draft of one orchestration on the canvas: loads it (laying it out when it has
 * no positions yet), saves it with the revision it was loaded at, asks the server to
 * validate it; the server's issues go to the issues store.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';

import { ApiError, activate, getOrchestration, saveDraft, validateDocument } from '../lib/api';
import { issueSchema } from '../lib/api-schemas';
import { canonicalJson, needsLayout } from '../lib/document';
import { DocumentShapeError, parseDocument } from '../lib/document-schema';
import { layout } from '../lib/layout';
import { useIssuesStore } from '../store/issues-store';
import { flowStore } from '../store/use-flow-store';

export type DraftStatus =
  | { state: 'loading' }
  | { state: 'failed'; message: string; problems: string[] }
  | { state: 'ready' };

export type SaveStatus = {
  revision: number;
  /** The document as last loaded or saved (JSON), to tell whether the canvas has changes. */
  savedJson: string;
  busy: 'saving' | 'validating' | 'activating' | null;
  savedAt: string | null;
  error: string | null;
  /** The version the last activation made. */
  activated: number | null;
};

function messageOf(error: unknown): string {
  if (error instanceof ApiError && error.status === 409) {
    return 'Someone else saved this draft meanwhile. Reload the page to get their version (your unsaved changes will be lost).';
  }
  return error instanceof Error ? error.message : String(error);
}

export function useDraft(key: string) {
  const navigate = useNavigate();
  const setIssues = useIssuesStore((s) => s.setIssues);
  const [status, setStatus] = useState<DraftStatus>({ state: 'loading' });
  const [save, setSave] = useState<SaveStatus>({ revision: 0, savedJson: '', busy: null, savedAt: null, error: null, activated: null });
  const revision = useRef(0);
  const savedJson = useRef('');

  const signInAgain = useCallback(
    (error: unknown) => {
      if (!(error instanceof ApiError) || error.status !== 401) return false;
      navigate(`/login?next=${encodeURIComponent(`/builder/${key}`)}`);
      return true;
    },
    [key, navigate],
  );

  useEffect(() => {
    let cancelled = false;
    setStatus({ state: 'loading' });
    (async () => {
      try {
        const orchestration = await getOrchestration(key);
        const document = parseDocument(orchestration.draft.document);
        flowStore.getState().load(document);
        if (needsLayout(document)) {
          const { nodes, edges } = flowStore.getState();
          flowStore.getState().applyLayout(await layout(nodes, edges));
          flowStore.temporal.getState().clear();
        }
        if (cancelled) return;
        revision.current = orchestration.draft.revision;
        savedJson.current = canonicalJson(document);
        setIssues(orchestration.draft.issues);
        setSave({
          revision: orchestration.draft.revision,
          savedJson: savedJson.current,
          busy: null,
          savedAt: orchestration.draft.updated_at ?? null,
          error: null,
          activated: null,
        });
        setStatus({ state: 'ready' });
      } catch (error) {
        if (cancelled || signInAgain(error)) return;
        if (error instanceof DocumentShapeError) {
          const message = 'The saved draft is not shaped like an orchestration document, so the canvas cannot draw it:';
          setStatus({ state: 'failed', message, problems: error.problems });
        } else {
          setStatus({ state: 'failed', message: messageOf(error), problems: [] });
        }
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [key, setIssues, signInAgain]);

  const saveNow = useCallback(async () => {
    const document = flowStore.getState().toDocument();
    const json = canonicalJson(document);
    if (json === savedJson.current) return; // Ctrl+S with nothing to save
    setSave((s) => ({ ...s, busy: 'saving', error: null }));
    try {
      const draft = await saveDraft(key, document, revision.current);
      revision.current = draft.revision;
      savedJson.current = json;
      setIssues(draft.issues);
      setSave({ revision: draft.revision, savedJson: json, busy: null, savedAt: draft.updated_at ?? null, error: null, activated: null });
    } catch (error) {
      if (signInAgain(error)) return;
      setSave((s) => ({ ...s, busy: null, error: messageOf(error) }));
    }
  }, [key, setIssues, signInAgain]);

  const validateNow = useCallback(async () => {
    setSave((s) => ({ ...s, busy: 'validating', error: null }));
    try {
      const result = await validateDocument(key, flowStore.getState().toDocument());
      setIssues(result.issues);
      setSave((s) => ({ ...s, busy: null }));
    } catch (error) {
      if (signInAgain(error)) return;
      setSave((s) => ({ ...s, busy: null, error: messageOf(error) }));
    }
  }, [key, setIssues, signInAgain]);

  /** Deploys the saved draft as the new active version; a refusal lists the issues that block it. */
  const activateNow = useCallback(async () => {
    setSave((s) => ({ ...s, busy: 'activating', error: null }));
    try {
      const result = await activate(key, revision.current);
      setSave((s) => ({ ...s, busy: null, activated: result.version }));
    } catch (error) {
      if (signInAgain(error)) return;
      const issues = error instanceof ApiError ? issueSchema.array().safeParse(error.details) : null;
      if (issues?.success) setIssues(issues.data);
      setSave((s) => ({ ...s, busy: null, error: messageOf(error) }));
    }
  }, [key, setIssues, signInAgain]);

  return { status, save, saveNow, validateNow, activateNow };
}
