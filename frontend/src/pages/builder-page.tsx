import '../tests-panel.css';

import { ReactFlowProvider } from '@xyflow/react';
import { lazy, Suspense, useCallback, useEffect, useMemo, useState, type MouseEvent } from 'react';
import { useLocation, useNavigate, useParams } from 'react-router';

import { BpmnReportPanel } from '../components/bpmn-report-panel';
import { BuilderToolbar } from '../components/builder-toolbar';
import { FlowCanvas } from '../components/flow-canvas';
import { Inspector } from '../components/inspector/inspector';
import { IssuesPanel } from '../components/issues-panel';
import { Loading } from '../components/loading';
import { Palette } from '../components/palette';
import { ShortcutsHelp } from '../components/shortcuts-help';
import { VersionsPanel } from '../components/versions-panel';
import { ViewBanner } from '../components/view-banner';
import { useBuilderView } from '../hooks/use-builder-view';
import { useDraft } from '../hooks/use-draft';
import { useHasChanges, useWarnBeforeLeaving } from '../hooks/use-has-changes';
import { useKeyboardShortcuts } from '../hooks/use-keyboard-shortcuts';
import { useStartLink } from '../hooks/use-start-link';
import { useTestRunOverlay, useTestRunStore } from '../hooks/use-test-run';
import { useTestsOverlay, useTestsStore } from '../hooks/use-tests';
import { fetchBpmn } from '../lib/api';
import { forgetImportReport, importReportOf, type KeptReport } from '../lib/bpmn';
import { needsLayout } from '../lib/document';
import { downloadBlob, downloadDocument, readDocumentFile } from '../lib/files';
import { layout, layoutAhead } from '../lib/layout';
import { setLeaveGuard } from '../lib/leave-guard';
import { useNoticeStore } from '../store/notice-store';
import { usePanelsStore, type Panel } from '../store/panels-store';
import { flowStore, useFlowStore } from '../store/use-flow-store';
import { useReadOnly, useViewStore } from '../store/view-store';

// Not needed at first paint: its script loads when the Tests tab is first opened.
const TestsPanel = lazy(() => import('../components/tests-panel').then((m) => ({ default: m.TestsPanel })));
const TestRunPanel = lazy(() => import('../components/test-run-panel').then((m) => ({ default: m.TestRunPanel })));

const PANEL_NAMES: Record<Panel, string> = { left: 'Palette and versions', right: 'Properties, tests and test run' };

/**
 * A side panel's collapse button: one accessible name, `aria-expanded` says which way it is.
 * Collapsed, the panel leaves a narrow rail whose button says what it holds.
 */
function PanelToggle({ panel, rail }: { panel: Panel; rail: string }) {
  const collapsed = usePanelsStore((s) => s.collapsed[panel]);
  const toggle = usePanelsStore((s) => s.toggle);
  const shortcut = panel === 'left' ? '[' : ']';
  const arrow = (panel === 'left') === collapsed ? '»' : '«';
  return (
    <button
      type="button"
      className={`panel-toggle panel-toggle--${panel}${collapsed ? ' panel-toggle--rail' : ''}`}
      aria-label={PANEL_NAMES[panel]}
      aria-expanded={!collapsed}
      aria-controls={`builder-panel-${panel}`}
      title={`${collapsed ? 'Show' : 'Hide'} ${PANEL_NAMES[panel].toLowerCase()} (${shortcut})`}
      onClick={() => toggle(panel)}
    >
      <span aria-hidden="true">{arrow}</span>
      {collapsed ? (
        <span aria-hidden="true" className="panel-toggle__rail">
          {rail}
        </span>
      ) : null}
    </button>
  );
}

/** /builder/<key>: the draft of one orchestration on the canvas (`?version=n`, `?compare=a..b`: read only). */
export function BuilderPage() {
  const { key = '' } = useParams();
  const { status, save, saveNow, validateNow, activateNow } = useDraft(key);
  const label = useFlowStore((s) => s.meta.label);
  const readOnly = useReadOnly();
  const changed = useHasChanges(save.savedJson);
  const show = useNoticeStore((s) => s.show);
  const [help, setHelp] = useState(false);
  const view = useBuilderView(key, status.state === 'ready', saveNow);
  const openHelp = useCallback(() => setHelp(true), []);
  const closeHelp = useCallback(() => setHelp(false), []);
  const saveShortcut = useCallback(() => void saveNow(), [saveNow]);
  useKeyboardShortcuts(saveShortcut, openHelp);
  // Nothing is lost leaving a canvas that cannot be saved (a version, a comparison, or ops reading the draft).
  const unsaved = !readOnly && (changed || save.busy === 'saving');
  useWarnBeforeLeaving(unsaved);
  useEffect(() => {
    setLeaveGuard(unsaved ? () => 'The draft has unsaved changes. Leave without saving them?' : null);
    return () => setLeaveGuard(null);
  }, [unsaved]);
  useTestsOverlay(key);
  useTestRunOverlay(key);
  const testsOpen = useTestsStore((s) => s.open);
  const setTestsOpen = useTestsStore((s) => s.setOpen);
  const runOpen = useTestRunStore((s) => s.open) && !testsOpen;
  const setRunOpen = useTestRunStore((s) => s.setOpen);
  const startLink = useStartLink(key, save.activeVersion);
  // A BPMN import's report (new-orchestration.tsx), shown first until it is dismissed.
  // Kept in the tab's session storage; the navigation's state carries it when storage is refused.
  const location = useLocation();
  const [dismissed, setDismissed] = useState<string | null>(null);
  const imported = useMemo<KeptReport | null>(
    () =>
      dismissed === key
        ? null
        : (importReportOf(key) ?? (location.state as { bpmnImport?: KeptReport } | null)?.bpmnImport ?? null),
    [key, dismissed, location.state],
  );
  const [reportOpen, setReportOpen] = useState(true);
  const showReport = reportOpen && imported !== null && !testsOpen && !runOpen;
  const navigate = useNavigate();
  const dismissReport = () => {
    forgetImportReport(key);
    setDismissed(key);
    // The browser keeps a history entry's state through a reload: it must not bring the report back.
    if (location.state) void navigate(`${location.pathname}${location.search}`, { replace: true, state: null });
  };
  const showPanel = (panel: 'properties' | 'tests' | 'run' | 'report') => {
    setTestsOpen(panel === 'tests');
    setRunOpen(panel === 'run');
    setReportOpen(panel === 'report');
  };
  const collapsed = usePanelsStore((s) => s.collapsed);
  const expand = usePanelsStore((s) => s.expand);
  // Double-clicking a node opens its properties, even when the right panel is collapsed.
  const openProperties = (event: MouseEvent) => {
    if (!(event.target instanceof Element) || !event.target.closest('.react-flow__node')) return;
    showPanel('properties');
    expand('right');
  };
  // T and R open their panels where they can be seen.
  useEffect(() => {
    if (testsOpen || runOpen) expand('right');
  }, [testsOpen, runOpen, expand]);
  const ready = status.state === 'ready';
  useEffect(() => (ready ? layoutAhead(() => flowStore.getState()) : undefined), [ready]); // a quick first "Tidy up"

  const importFile = async (file: File) => {
    try {
      const document = await readDocumentFile(file);
      flowStore.getState().replaceDocument({ ...document, key });
      if (needsLayout(document)) {
        const { nodes, edges, applyLayout } = flowStore.getState();
        applyLayout(await layout(nodes, edges));
      }
      show(
        `Imported ${file.name}${document.key !== key ? ` (its key ${document.key} became ${key})` : ''}. Undo puts the draft back.`,
        'info',
      );
    } catch (error) {
      show(`Cannot import ${file.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const exportDocument = () => {
    const v = useViewStore.getState().view;
    const suffix = v.mode === 'version' ? `-v${v.version}` : '';
    downloadDocument(flowStore.getState().toDocument(), `${key}${suffix}.json`);
  };

  // The server writes the file from what it keeps: the draft is saved first.
  const exportBpmn = async () => {
    const v = useViewStore.getState().view;
    const ref = v.mode === 'version' ? v.version : v.mode === 'diff' ? v.to : 'draft';
    try {
      if (ref === 'draft' && !readOnly) await saveNow();
      const filename = `${key}${ref === 'draft' ? '' : `-v${ref}`}.bpmn`;
      downloadBlob(await fetchBpmn(key, ref), filename);
      show(`Exported ${label || key}${ref === 'draft' ? '' : ` version ${ref}`} as BPMN 2.0: ${filename}.`, 'info');
    } catch (error) {
      show(`Cannot export BPMN: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  if (status.state === 'loading')
    return (
      <main className="page-message" aria-busy="true">
        Loading {key}…
      </main>
    );
  if (status.state === 'failed') {
    return (
      <main className="page-message">
        <h1>{key} cannot be opened</h1>
        <p role="alert">{status.message}</p>
        {status.problems.length > 0 ? (
          <ul>
            {status.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        ) : null}
      </main>
    );
  }
  const sidePanel = (
    <>
      <div className="sidebar-tabs" role="tablist" aria-label="Side panel">
        <button
          type="button"
          role="tab"
          aria-selected={!testsOpen && !runOpen && !showReport}
          onClick={() => showPanel('properties')}
        >
          Properties
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={testsOpen}
          onClick={() => showPanel('tests')}
          title="Scenario tests and coverage (T)"
        >
          Tests
        </button>
        {readOnly ? null : (
          <button
            type="button"
            role="tab"
            aria-selected={runOpen}
            onClick={() => showPanel('run')}
            title="Walk the draft as its personas (R)"
          >
            Test run
          </button>
        )}
        {imported ? (
          <button
            type="button"
            role="tab"
            aria-selected={showReport}
            onClick={() => showPanel('report')}
            title="What the BPMN import mapped, and what it did not"
          >
            Import report
          </button>
        ) : null}
      </div>
      {testsOpen ? (
        <Suspense fallback={<Loading />}>
          <TestsPanel
            orchestrationKey={key}
            versions={save.versions}
            activeVersion={save.activeVersion}
            beforeRun={saveNow}
          />
        </Suspense>
      ) : runOpen && !readOnly ? (
        <Suspense fallback={<Loading />}>
          <TestRunPanel orchestrationKey={key} beforeRun={saveNow} />
        </Suspense>
      ) : showReport && imported ? (
        <BpmnReportPanel kept={imported} onDismiss={dismissReport} />
      ) : (
        <>
          <Inspector />
          <IssuesPanel />
        </>
      )}
    </>
  );
  // React Flow starts with the loaded nodes: it draws them in its first render, not in one more after it.
  const { nodes: initialNodes, edges: initialEdges } = flowStore.getState();
  return (
    <ReactFlowProvider initialNodes={initialNodes} initialEdges={initialEdges}>
      <main
        className={`builder${readOnly ? ' builder--read-only' : ''}${collapsed.left ? ' builder--left-collapsed' : ''}${collapsed.right ? ' builder--right-collapsed' : ''}`}
      >
        <BuilderToolbar
          title={label || key}
          startLink={startLink}
          onTestRun={() => showPanel('run')}
          save={save}
          changed={changed}
          onSave={() => void saveNow()}
          onValidate={() => void validateNow()}
          onActivate={() => void activateNow()}
          onExport={exportDocument}
          onExportBpmn={() => void exportBpmn()}
          onImport={(file) => void importFile(file)}
          onHelp={openHelp}
        />
        <aside className="sidebar sidebar--left" id="builder-panel-left" aria-label={PANEL_NAMES.left}>
          <PanelToggle panel="left" rail={readOnly ? 'Versions' : 'Palette'} />
          {collapsed.left ? null : (
            <>
              {readOnly ? null : <Palette />}
              <VersionsPanel
                orchestration={key}
                versions={save.versions}
                activeVersion={save.activeVersion}
                onGo={view.go}
              />
            </>
          )}
        </aside>
        <div className="canvas-area" onDoubleClick={openProperties}>
          <ViewBanner loading={view.loading} error={view.error} onGo={view.go} />
          <FlowCanvas />
        </div>
        <aside className="sidebar sidebar--right" id="builder-panel-right" aria-label={PANEL_NAMES.right}>
          <PanelToggle
            panel="right"
            rail={testsOpen ? 'Tests' : runOpen ? 'Test run' : showReport ? 'Import report' : 'Properties'}
          />
          {collapsed.right ? null : sidePanel}
        </aside>
        {help ? <ShortcutsHelp onClose={closeHelp} /> : null}
      </main>
    </ReactFlowProvider>
  );
}
