import '@xyflow/react/dist/style.css';
import './styles.css';
// Some monitor.css rules (.modal, .status, .page--wide, …) serve pages in the main bundle too.
import './monitor.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';

import { App } from './app';
import { useSessionStore } from './store/session-store';

// Who is signed in, asked before the first render (index.html's early request answers it):
// a signed-in page then renders at once instead of "Loading…" first. RequireSession reports a failure.
void useSessionStore
  .getState()
  .check()
  .catch(() => undefined);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

createRoot(root).render(
  <StrictMode>
    <BrowserRouter>
      <App />
    </BrowserRouter>
  </StrictMode>,
);
