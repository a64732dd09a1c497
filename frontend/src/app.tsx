import { lazy, Suspense, type ReactNode } from 'react';
import { Route, Routes } from 'react-router';

import { AppNav } from './components/app-nav';
import { Loading } from './components/loading';
import { BuilderPage } from './pages/builder-page';
import { ComingPage } from './pages/coming-page';
import { HomePage } from './pages/home-page';
import { LoginPage } from './pages/login-page';
import { RequireSession } from './pages/require-session';

// The builder, home and sign-in pages are in the main bundle; the other views load their
// script when first visited, so opening the builder evaluates less (bench/canvas_speed.py).
const MonitorPage = lazy(() => import('./pages/monitor-page').then((m) => ({ default: m.MonitorPage })));
const RunsPage = lazy(() => import('./pages/runs-page').then((m) => ({ default: m.RunsPage })));
const RunPage = lazy(() => import('./pages/run-page').then((m) => ({ default: m.RunPage })));
const WorkPage = lazy(() => import('./pages/work-page').then((m) => ({ default: m.WorkPage })));
const ItemPage = lazy(() => import('./pages/item-page').then((m) => ({ default: m.ItemPage })));
const RecordsPage = lazy(() => import('./pages/records-page').then((m) => ({ default: m.RecordsPage })));
const RecordPage = lazy(() => import('./pages/record-page').then((m) => ({ default: m.RecordPage })));

/** The views of DESIGN §6; builder/spa.py answers each path with this app. */
export function App() {
  const signedIn = (page: ReactNode) => (
    <RequireSession>
      <Suspense fallback={<Loading />}>{page}</Suspense>
    </RequireSession>
  );
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/" element={signedIn(<><AppNav /><HomePage /></>)} />
      <Route path="/builder/:key" element={signedIn(<BuilderPage />)} />
      <Route path="/monitor/:key" element={signedIn(<MonitorPage />)} />
      <Route path="/runs" element={signedIn(<RunsPage />)} />
      <Route path="/runs/:runId" element={signedIn(<RunPage />)} />
      <Route path="/work" element={signedIn(<WorkPage />)} />
      <Route path="/work/:itemId" element={signedIn(<><AppNav /><ItemPage /></>)} />
      <Route path="/records/:object" element={signedIn(<RecordsPage />)} />
      <Route path="/records/:object/:recordId" element={signedIn(<RecordPage />)} />
      <Route path="/admin" element={signedIn(<ComingPage title="Administration" />)} />
      <Route path="*" element={<ComingPage title="Page not found" />} />
    </Routes>
  );
}
