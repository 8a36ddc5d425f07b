import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { Providers } from '../shared/Providers';
import { MemberSessionProvider } from './session';
import { MemberApp } from './MemberApp';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Providers titleKey="app.docTitle">
      <MemberSessionProvider>
        <BrowserRouter basename="/app">
          <MemberApp />
        </BrowserRouter>
      </MemberSessionProvider>
    </Providers>
  </StrictMode>,
);

// Installable PWA: the worker only caches the shell and static assets, never API answers.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => undefined);
  });
}
