import { createContext, useContext, type ReactNode } from 'react';
import type { Club } from './types';

const ClubContext = createContext<Club | null>(null);

export function ClubProvider({ club, children }: { club: Club | null; children: ReactNode }) {
  return <ClubContext.Provider value={club}>{children}</ClubContext.Provider>;
}

export function useClub(): Club | null {
  return useContext(ClubContext);
}

export const DEFAULT_TIME_ZONE = 'Asia/Tehran';
