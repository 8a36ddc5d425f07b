import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { Center, Loader } from '@mantine/core';
import { ClubProvider } from '../shared/club';
import { useAdmin } from './session';
import { AdminLayout } from './AdminLayout';

const LoginPage = lazy(() => import('./pages/LoginPage'));
const DashboardPage = lazy(() => import('./pages/DashboardPage'));
const MembersPage = lazy(() => import('./pages/MembersPage'));
const MemberPage = lazy(() => import('./pages/MemberPage'));
const ApiKeysPage = lazy(() => import('./pages/ApiKeysPage'));
const SettingsPage = lazy(() => import('./pages/SettingsPage'));
const AuditPage = lazy(() => import('./pages/AuditPage'));
const OperatorsPage = lazy(() => import('./pages/OperatorsPage'));
const RewardsPage = lazy(() => import('./pages/RewardsPage'));
const RulesPage = lazy(() => import('./pages/RulesPage'));
const UpcomingPage = lazy(() => import('./pages/UpcomingPage'));

function PageLoader() {
  return (
    <Center h="60vh">
      <Loader />
    </Center>
  );
}

function RequireSession({ children }: { children: ReactNode }) {
  const { session } = useAdmin();
  const location = useLocation();
  if (!session) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <ClubProvider club={session.club}>{children}</ClubProvider>;
}

export function AdminApp() {
  return (
    <Suspense fallback={<PageLoader />}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route
          element={
            <RequireSession>
              <AdminLayout />
            </RequireSession>
          }
        >
          <Route index element={<DashboardPage />} />
          <Route path="members" element={<MembersPage />} />
          <Route path="members/:id" element={<MemberPage />} />
          <Route path="rules" element={<RulesPage />} />
          <Route path="tiers" element={<UpcomingPage section="tiers" />} />
          <Route path="rewards" element={<RewardsPage />} />
          <Route path="festivals" element={<UpcomingPage section="festivals" />} />
          <Route path="draws" element={<UpcomingPage section="draws" />} />
          <Route path="api-keys" element={<ApiKeysPage />} />
          <Route path="settings" element={<SettingsPage />} />
          <Route path="audit" element={<AuditPage />} />
          <Route path="operators" element={<OperatorsPage />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
