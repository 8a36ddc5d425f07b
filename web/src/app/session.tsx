import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { createClient, sessionStore, type Client } from '../shared/api';
import type { Club, Member } from '../shared/types';

type MemberSession = { token: string; member: Member; clubSlug: string };
const store = sessionStore<{ member: Member; clubSlug: string }>('vafa.app.session');
const CLUB_KEY = 'vafa.app.club';

/** The club this app serves: ?club=slug in the link a club shares, remembered afterwards. */
export function resolveClubSlug(): string {
  const fromUrl = new URLSearchParams(window.location.search).get('club');
  if (fromUrl) {
    localStorage.setItem(CLUB_KEY, fromUrl.trim().toLowerCase());
    return fromUrl.trim().toLowerCase();
  }
  return localStorage.getItem(CLUB_KEY) ?? '';
}

export function rememberClubSlug(slug: string) {
  localStorage.setItem(CLUB_KEY, slug);
}

type Ctx = {
  session: MemberSession | null;
  club: Club | null;
  client: Client;
  signIn: (s: MemberSession) => void;
  signOut: () => void;
  setMember: (m: Member) => void;
};

const SessionContext = createContext<Ctx | null>(null);

export function MemberSessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<MemberSession | null>(() => store.load());
  const [club, setClub] = useState<Club | null>(null);

  const drop = useCallback(() => {
    store.clear();
    setSession(null);
    setClub(null);
  }, []);
  const client = useMemo(() => createClient(() => store.load()?.token ?? null, drop), [drop]);

  useEffect(() => {
    if (!session) return;
    const ctrl = new AbortController();
    client.get<Club>('/api/v1/club', ctrl.signal).then(setClub, () => undefined);
    return () => ctrl.abort();
  }, [session?.token, client]); // eslint-disable-line react-hooks/exhaustive-deps

  const value = useMemo<Ctx>(
    () => ({
      session,
      club,
      client,
      signIn: (s) => {
        store.save(s);
        setSession(s);
      },
      signOut: () => {
        client.post('/api/v1/auth/logout').catch(() => undefined);
        drop();
      },
      setMember: (member) =>
        setSession((s) => {
          if (!s) return s;
          const next = { ...s, member };
          store.save(next);
          return next;
        }),
    }),
    [session, club, client, drop],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useMemberSession(): Ctx {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useMemberSession outside MemberSessionProvider');
  return ctx;
}
