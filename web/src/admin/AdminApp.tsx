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
const TiersPage = lazy(() => import('./pages/TiersPage'));
const FestivalsPage = lazy(() => import('./pages/FestivalsPage'));
const FestivalNewPage = lazy(() => import('./pages/FestivalNewPage'));
const FestivalPage = lazy(() => import('./pages/FestivalPage'));
const DrawsPage = lazy(() => import('./pages/DrawsPage'));

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

function RequireWrite({ children }: { children: ReactNode }) {
  const { can } = useAdmin();
  return can('write') ? <>{children}</> : <Navigate to="/festivals" replace />;
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
          <Route path="tiers" element={<TiersPage />} />
          <Route path="rewards" element={<RewardsPage />} />
          <Route path="festivals" element={<FestivalsPage />} />
          <Route path="festivals/new" element={<RequireWrite><FestivalNewPage /></RequireWrite>} />
          <Route path="festivals/:id" element={<FestivalPage />} />
          <Route path="draws" element={<DrawsPage />} />
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
