import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { Providers } from '../shared/Providers';
import { AdminSessionProvider } from './session';
import { AdminApp } from './AdminApp';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Providers titleKey="admin.docTitle">
      <AdminSessionProvider>
        <BrowserRouter basename="/admin">
          <AdminApp />
        </BrowserRouter>
      </AdminSessionProvider>
    </Providers>
  </StrictMode>,
);
