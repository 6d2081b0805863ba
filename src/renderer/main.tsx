import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { startSync } from './state/sync.ts';
import './styles.css';

// Browser mode: the page is opened once with ?token=…; the web host answers with an HttpOnly
// cookie, which is what authenticates from then on. Drop the token from the address bar so it
// does not linger in history, bookmarks or screenshots. It is never stored by this code.
{
  const url = new URL(window.location.href);
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }
}

startSync();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
