/**
 * The builder's Test run panel: the steps played so far and the server's answer, in a
 * store that outlives the panel (switching tabs keeps the run), the calls to
 * `POST /api/orchestrations/<key>/test-run`, and the path drawn on the canvas.
 */
import { useCallback, useEffect } from 'react';
import { create } from 'zustand';

import { ApiError, saveScenario, testRun } from '../lib/api';
import { runPath } from '../lib/run-events';
import { refusalOf, scenarioSlug, withAnswer, type Refusal, type Trial, type TrialStep } from '../lib/test-run';
import { useRunPathStore } from '../store/run-path-store';
import { typingInto } from './use-keyboard-shortcuts';
import { useTestsStore } from './use-tests';

type TestRunStore = {
  key: string | null;
  open: boolean;
  /** Steps the server applied, in order. */
  steps: TrialStep[];
  trial: Trial | null;
  busy: boolean;
  /** The last step the server refused (not kept), and why. */
  refusal: (Refusal & { pending: TrialStep[] }) | null;
  problem: string | null;
  setOpen: (open: boolean) => void;
  reset: (key: string | null) => void;
};

export const useTestRunStore = create<TestRunStore>()((set) => ({
  key: null,
  open: false,
  steps: [],
  trial: null,
  busy: false,
  refusal: null,
  problem: null,
  setOpen: (open) => set({ open }),
  reset: (key) => set({ key, open: false, steps: [], trial: null, busy: false, refusal: null, problem: null }),
}));

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The panel's operations for `key`; `beforeRun` saves the draft first (the server plays what it stores). */
export function useTestRun(key: string, beforeRun: () => Promise<void>) {
  /** Plays `steps` (all of them, from a fresh engine); kept only when the server applies them. */
  const play = useCallback(
    async (steps: TrialStep[]): Promise<boolean> => {
      useTestRunStore.setState({ busy: true, problem: null });
      try {
        await beforeRun();
        const trial = await testRun(key, { source: 'draft', steps });
        useTestRunStore.setState({ steps, trial, refusal: null, busy: false });
        return true;
      } catch (error) {
        if (
          error instanceof ApiError &&
          error.status === 422 &&
          typeof error.details === 'object' &&
          error.details !== null &&
          'step' in error.details
        ) {
          useTestRunStore.setState({
            refusal: { ...refusalOf(error.message, error.details), pending: steps },
            busy: false,
          });
        } else {
          useTestRunStore.setState({ problem: message(error), busy: false });
        }
        return false;
      }
    },
    [key, beforeRun],
  );

  const act = useCallback((step: TrialStep) => play([...useTestRunStore.getState().steps, step]), [play]);

  /** Answers the background step the server asked about, just before the step that ran it, and plays on. */
  const answer = useCallback(
    async (mock: Record<string, unknown>) => {
      const { refusal } = useTestRunStore.getState();
      if (!refusal?.unanswered || refusal.step === null) return false;
      return play(withAnswer(refusal.pending, refusal.step, { step: refusal.unanswered.step, ...mock }));
    },
    [play],
  );

  const restart = useCallback(() => play([]), [play]);
  const dismiss = useCallback(() => useTestRunStore.setState({ refusal: null, problem: null }), []);

  /** Stores the steps as a scenario test (asserting the state reached); the Tests panel lists it. Its stored name. */
  const saveAs = useCallback(
    async (name: string): Promise<string> => {
      const { steps } = useTestRunStore.getState();
      const trial = await testRun(key, { source: 'draft', steps, name });
      if (!trial.scenario) throw new Error('Start the run before saving it as a scenario.');
      const slug = scenarioSlug(name);
      const item = await saveScenario(key, slug, trial.scenario);
      // A Tests panel not loaded yet reads the whole list when it opens.
      if (useTestsStore.getState().state.scenarios !== null) useTestsStore.getState().dispatch({ type: 'saved', item });
      return slug;
    },
    [key],
  );

  return { play, act, answer, restart, dismiss, saveAs };
}

/** Keeps the panel to one orchestration, draws the run's path on the canvas while it is open, and `R` opens or closes it. */
export function useTestRunOverlay(key: string): void {
  const open = useTestRunStore((s) => s.open);
  const trial = useTestRunStore((s) => s.trial);

  useEffect(() => {
    useTestRunStore.getState().reset(key);
    return () => useTestRunStore.getState().reset(null);
  }, [key]);

  useEffect(() => {
    useRunPathStore.getState().setPath(open && trial?.run ? runPath(trial.events) : null);
  }, [open, trial]);
  useEffect(() => () => useRunPathStore.getState().setPath(null), []);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (typingInto(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key !== 'r' && event.key !== 'R') return;
      event.preventDefault();
      const { open: shown, setOpen } = useTestRunStore.getState();
      if (!shown) useTestsStore.getState().setOpen(false);
      setOpen(!shown);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);
}
