/**
 * The builder's Tests panel: its state (lib/tests-panel-state.ts) in a store that
 * outlives the panel (switching to the properties and back keeps the results), the
 * calls to the server's scenario API, and the coverage overlay it draws on the canvas.
 */
import { useCallback, useEffect } from 'react';
import { create } from 'zustand';

import {
  deleteScenario,
  generatePathTests,
  getInsights,
  listScenarios,
  runScenarios,
  saveScenario,
  scenarioProblems,
} from '../lib/api';
import type { GeneratedPath, ScenarioProblem, TestTarget } from '../lib/api-schemas';
import { buildCoverageOverlay, canvasShape } from '../lib/coverage';
import { INITIAL_TESTS_STATE, testsReducer, type TestsAction, type TestsState } from '../lib/tests-panel-state';
import { useCoverageStore } from '../store/coverage-store';
import { flowStore } from '../store/use-flow-store';
import { typingInto } from './use-keyboard-shortcuts';

type TestsStore = {
  /** The orchestration the state is about. */
  key: string | null;
  state: TestsState;
  /** The Tests panel is showing (in place of the properties and issues). */
  open: boolean;
  dispatch: (action: TestsAction) => void;
  reset: (key: string | null) => void;
  setOpen: (open: boolean) => void;
};

export const useTestsStore = create<TestsStore>()((set) => ({
  key: null,
  state: INITIAL_TESTS_STATE,
  open: false,
  dispatch: (action) => set((s) => ({ state: testsReducer(s.state, action) })),
  reset: (key) => set({ key, state: INITIAL_TESTS_STATE, open: false }),
  setOpen: (open) => set({ open }),
}));

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The panel's operations for orchestration `key`; `beforeRun` saves the draft first (the server tests what it stores). */
export function useTests(key: string, beforeRun: () => Promise<void>) {
  const dispatch = useTestsStore((s) => s.dispatch);

  const load = useCallback(async () => {
    try {
      dispatch({ type: 'loaded', items: await listScenarios(key) });
    } catch (error) {
      dispatch({ type: 'load-failed', message: message(error) });
    }
  }, [key, dispatch]);

  /** Runs the scenarios named, one request each (so the panel shows progress and can stop). */
  const run = useCallback(
    async (names: readonly string[]) => {
      const { state } = useTestsStore.getState();
      if (state.run || names.length === 0) return;
      const target = state.target;
      dispatch({ type: 'run-started', names, target });
      try {
        if (target === 'draft') await beforeRun();
        for (const name of names) {
          if (useTestsStore.getState().state.run?.stopping) break;
          dispatch({ type: 'scenario-ran', name, response: await runScenarios(key, target, [name]) });
        }
        dispatch({ type: 'run-finished' });
      } catch (error) {
        dispatch({ type: 'run-failed', message: message(error) });
      }
    },
    [key, dispatch, beforeRun],
  );

  const runAll = useCallback(() => run((useTestsStore.getState().state.scenarios ?? []).map((s) => s.name)), [run]);

  /**
   * Stores a scenario file; `previous` is the name it had (a rename deletes the old one).
   * The problems the server found (with lines), or null when it was saved.
   */
  const save = useCallback(
    async (name: string, source: string, previous: string | null): Promise<ScenarioProblem[] | null> => {
      try {
        const item = await saveScenario(key, name, source);
        if (previous !== null && previous !== name) await deleteScenario(key, previous);
        dispatch({ type: 'saved', item, replaces: previous ?? undefined });
        return null;
      } catch (error) {
        return scenarioProblems(error) ?? [{ line: null, path: '', message: message(error) }];
      }
    },
    [key, dispatch],
  );

  const remove = useCallback(
    async (name: string) => {
      await deleteScenario(key, name);
      dispatch({ type: 'deleted', name });
    },
    [key, dispatch],
  );

  const generate = useCallback(async (): Promise<GeneratedPath[]> => {
    const { target } = useTestsStore.getState().state;
    if (target === 'draft') await beforeRun();
    return generatePathTests(key, target);
  }, [key, beforeRun]);

  const setTarget = useCallback((target: TestTarget) => dispatch({ type: 'target', target }), [dispatch]);
  const stop = useCallback(() => dispatch({ type: 'stop' }), [dispatch]);

  const showCoverage = useCallback(
    async (show: boolean) => {
      dispatch({ type: 'show-coverage', show });
      if (!show || useTestsStore.getState().state.production.state === 'ready') return;
      dispatch({ type: 'production', production: { state: 'loading' } });
      try {
        dispatch({ type: 'production', production: { state: 'ready', figures: await getInsights(key) } });
      } catch (error) {
        dispatch({ type: 'production', production: { state: 'failed', message: message(error) } });
      }
    },
    [key, dispatch],
  );

  return { load, run, runAll, stop, save, remove, generate, setTarget, showCoverage };
}

/**
 * Keeps the Tests panel's state to one orchestration and draws the coverage overlay
 * while "Show coverage" is on. Mounted by the builder page (the overlay stays when the
 * panel is hidden); `T` shows or hides the panel.
 */
export function useTestsOverlay(key: string): void {
  const coverage = useTestsStore((s) => s.state.coverage);
  const show = useTestsStore((s) => s.state.showCoverage);
  const production = useTestsStore((s) => s.state.production);

  useEffect(() => {
    useTestsStore.getState().reset(key);
    return () => {
      useTestsStore.getState().reset(null);
      useCoverageStore.getState().setOverlay(null);
    };
  }, [key]);

  useEffect(() => {
    if (!show || !coverage) {
      useCoverageStore.getState().setOverlay(null);
      return;
    }
    const figures = production.state === 'ready' ? production.figures : null;
    // Ids, kinds and labels only: a drag does not redraw the overlay, adding a node does.
    let shapeKey = '';
    const draw = () => {
      const { nodes, edges } = flowStore.getState();
      const next =
        nodes.map((n) => `${n.id}:${n.type}:${n.data.label ?? ''}`).join(',') +
        '|' +
        edges.map((e) => `${e.id}:${e.source}:${e.sourceHandle}:${e.target}`).join(',');
      if (next === shapeKey) return;
      shapeKey = next;
      useCoverageStore.getState().setOverlay(buildCoverageOverlay(coverage, canvasShape(nodes, edges), figures));
    };
    draw();
    return flowStore.subscribe(draw);
  }, [show, coverage, production]);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (typingInto(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key !== 't' && event.key !== 'T') return;
      event.preventDefault();
      const { open, setOpen } = useTestsStore.getState();
      setOpen(!open);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);
}
