import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { createClient, sessionStore, type Client } from '../shared/api';
import type { Club, Operator } from '../shared/types';

type OperatorSession = { token: string; operator: Operator; club: Club };
const store = sessionStore<{ operator: Operator; club: Club }>('vafa.admin.session');

type Ctx = {
  session: OperatorSession | null;
  client: Client;
  signIn: (s: OperatorSession) => void;
  signOut: () => void;
  setClub: (c: Club) => void;
  can: (action: 'write' | 'owner') => boolean;
};

const SessionContext = createContext<Ctx | null>(null);

export function AdminSessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<OperatorSession | null>(() => store.load());

  const signOut = useCallback(() => {
    store.clear();
    setSession(null);
  }, []);

  // The client reads the token at call time so a new sign-in takes effect without re-creating it.
  const client = useMemo(() => createClient(() => store.load()?.token ?? null, signOut), [signOut]);

  const value = useMemo<Ctx>(
    () => ({
      session,
      client,
      signIn: (s) => {
        store.save(s);
        setSession(s);
      },
      signOut: () => {
        client.post('/api/v1/auth/logout').catch(() => undefined);
        signOut();
      },
      setClub: (club) => {
        setSession((s) => {
          if (!s) return s;
          const next = { ...s, club };
          store.save(next);
          return next;
        });
      },
      can: (action) => {
        const role = session?.operator.role;
        if (action === 'owner') return role === 'owner';
        return role === 'owner' || role === 'manager';
      },
    }),
    [session, client, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useAdmin(): Ctx {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useAdmin outside AdminSessionProvider');
  return ctx;
}
