import type { ReactNode } from 'react';
import { Route, Routes } from 'react-router';

import { BuilderPage } from './pages/builder-page';
import { ComingPage } from './pages/coming-page';
import { HomePage } from './pages/home-page';
import { LoginPage } from './pages/login-page';
import { RequireSession } from './pages/require-session';

/** The views of DESIGN §6; builder/spa.py answers each path with this app. */
export function App() {
  const signedIn = (page: ReactNode) => <RequireSession>{page}</RequireSession>;
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/" element={signedIn(<HomePage />)} />
      <Route path="/builder/:key" element={signedIn(<BuilderPage />)} />
      <Route path="/monitor/:key" element={signedIn(<ComingPage title="Monitor" />)} />
      <Route path="/runs/:runId" element={signedIn(<ComingPage title="Run" />)} />
      <Route path="/work" element={signedIn(<ComingPage title="My work" />)} />
      <Route path="/records/:object" element={signedIn(<ComingPage title="Records" />)} />
      <Route path="/records/:object/:recordId" element={signedIn(<ComingPage title="Record" />)} />
      <Route path="/admin" element={signedIn(<ComingPage title="Administration" />)} />
      <Route path="*" element={<ComingPage title="Page not found" />} />
    </Routes>
  );
}
