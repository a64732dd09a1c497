import type { ReactNode } from 'react';
import { Route, Routes } from 'react-router';

import { AppNav } from './components/app-nav';
import { BuilderPage } from './pages/builder-page';
import { ComingPage } from './pages/coming-page';
import { HomePage } from './pages/home-page';
import { LoginPage } from './pages/login-page';
import { MonitorPage } from './pages/monitor-page';
import { RecordPage } from './pages/record-page';
import { RecordsPage } from './pages/records-page';
import { RequireSession } from './pages/require-session';
import { RunPage } from './pages/run-page';
import { RunsPage } from './pages/runs-page';
import { WorkPage } from './pages/work-page';

/** The views of DESIGN §6; builder/spa.py answers each path with this app. */
export function App() {
  const signedIn = (page: ReactNode) => <RequireSession>{page}</RequireSession>;
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/" element={signedIn(<><AppNav /><HomePage /></>)} />
      <Route path="/builder/:key" element={signedIn(<BuilderPage />)} />
      <Route path="/monitor/:key" element={signedIn(<MonitorPage />)} />
      <Route path="/runs" element={signedIn(<RunsPage />)} />
      <Route path="/runs/:runId" element={signedIn(<RunPage />)} />
      <Route path="/work" element={signedIn(<WorkPage />)} />
      <Route path="/records/:object" element={signedIn(<RecordsPage />)} />
      <Route path="/records/:object/:recordId" element={signedIn(<RecordPage />)} />
      <Route path="/admin" element={signedIn(<ComingPage title="Administration" />)} />
      <Route path="*" element={<ComingPage title="Page not found" />} />
    </Routes>
  );
}
