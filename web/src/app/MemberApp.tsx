import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { Center, Loader } from '@mantine/core';
import { ClubProvider } from '../shared/club';
import { useMemberSession } from './session';
import { MemberLayout } from './MemberLayout';

const LoginPage = lazy(() => import('./pages/LoginPage'));
const HomePage = lazy(() => import('./pages/HomePage'));
const HistoryPage = lazy(() => import('./pages/HistoryPage'));
const ProfilePage = lazy(() => import('./pages/ProfilePage'));
const InvitePage = lazy(() => import('./pages/InvitePage'));
const FestivalsPage = lazy(() => import('./pages/FestivalsPage'));
const FestivalPage = lazy(() => import('./pages/FestivalPage'));
const DrawPage = lazy(() => import('./pages/DrawPage'));
const RewardsPage = lazy(() => import('./pages/RewardsPage'));

function Loading() {
  return (
    <Center h="60vh">
      <Loader />
    </Center>
  );
}

function RequireMember({ children }: { children: ReactNode }) {
  const { session, club } = useMemberSession();
  if (!session) return <Navigate to="/login" replace />;
  return <ClubProvider club={club}>{children}</ClubProvider>;
}

function PublicPage({ children }: { children: ReactNode }) {
  const { club } = useMemberSession();
  return <ClubProvider club={club}>{children}</ClubProvider>;
}

export function MemberApp() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        {/* A draw's public proof: anyone with the link, signed in or not. */}
        <Route path="/draws/:id" element={<PublicPage><DrawPage /></PublicPage>} />
        <Route
          element={
            <RequireMember>
              <MemberLayout />
            </RequireMember>
          }
        >
          <Route index element={<HomePage />} />
          <Route path="history" element={<HistoryPage />} />
          <Route path="profile" element={<ProfilePage />} />
          <Route path="rewards" element={<RewardsPage />} />
          <Route path="festivals" element={<FestivalsPage />} />
          <Route path="festivals/:id" element={<FestivalPage />} />
          <Route path="invite" element={<InvitePage />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
