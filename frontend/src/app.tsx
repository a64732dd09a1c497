import { lazy } from 'react';
import { Route, Routes } from 'react-router';

import { AppShell } from './components/app-shell';
import { BuilderPage } from './pages/builder-page';
import { HomePage } from './pages/home-page';
import { LoginPage } from './pages/login-page';
import { NotFoundPage } from './pages/not-found-page';
import { RequireSession } from './pages/require-session';

// The builder, home and sign-in pages are in the main bundle; the other views load their
// script when first visited, so opening the builder evaluates less (bench/canvas_speed.py).
const MonitorPage = lazy(() => import('./pages/monitor-page').then((m) => ({ default: m.MonitorPage })));
const RunsPage = lazy(() => import('./pages/runs-page').then((m) => ({ default: m.RunsPage })));
const RunPage = lazy(() => import('./pages/run-page').then((m) => ({ default: m.RunPage })));
const WorkPage = lazy(() => import('./pages/work-page').then((m) => ({ default: m.WorkPage })));
const RecordTypesPage = lazy(() => import('./pages/record-types-page').then((m) => ({ default: m.RecordTypesPage })));
const ItemPage = lazy(() => import('./pages/item-page').then((m) => ({ default: m.ItemPage })));
const RecordsPage = lazy(() => import('./pages/records-page').then((m) => ({ default: m.RecordsPage })));
const StartRunPage = lazy(() => import('./pages/start-run-page').then((m) => ({ default: m.StartRunPage })));
const RecordPage = lazy(() => import('./pages/record-page').then((m) => ({ default: m.RecordPage })));
const ProfilePage = lazy(() => import('./pages/profile-page').then((m) => ({ default: m.ProfilePage })));
const MigratePage = lazy(() => import('./pages/migrate-page').then((m) => ({ default: m.MigratePage })));
const AdminPage = lazy(() => import('./pages/admin-page').then((m) => ({ default: m.AdminPage })));

/**
 * The app's views; builder/spa.py answers each path with this app (an unknown one with
 * status 404). Every signed-in view renders inside the shell (components/app-shell.tsx).
 */
export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireSession>
            <AppShell />
          </RequireSession>
        }
      >
        <Route path="/" element={<HomePage />} />
        <Route path="/builder/:key" element={<BuilderPage />} />
        <Route path="/monitor/:key" element={<MonitorPage />} />
        <Route path="/orchestrations/:key/start" element={<StartRunPage />} />
        <Route path="/orchestrations/:key/migrate" element={<MigratePage />} />
        <Route path="/runs" element={<RunsPage />} />
        <Route path="/runs/:runId" element={<RunPage />} />
        <Route path="/work" element={<WorkPage />} />
        <Route path="/work/:itemId" element={<ItemPage />} />
        <Route path="/records" element={<RecordTypesPage />} />
        <Route path="/records/:object" element={<RecordsPage />} />
        <Route path="/records/:object/:recordId" element={<RecordPage />} />
        <Route path="/profile" element={<ProfilePage />} />
        <Route path="/admin" element={<AdminPage />} />
        <Route path="/admin/:section" element={<AdminPage />} />
      </Route>
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
