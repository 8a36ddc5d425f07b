import { useCallback } from 'react';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import type { TierProgram } from '../../shared/types';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';

/** The tier programme (null when the club has none), shared by the pages that name tiers. */
export function useTierProgram() {
  const { client } = useAdmin();
  return useQuery<TierProgram | null>('tier-program', (signal) => client.get<{ program: TierProgram | null }>('/api/v1/tiers', signal).then((r) => r.program));
}

/** A tier code as people read it: the level's name in the reader's language, else the code. */
export function useTierName() {
  const { t } = useI18n();
  const f = useFormat();
  const q = useTierProgram();
  const levels = q.data?.levels;
  return useCallback(
    (code: string | null | undefined): string => {
      if (!code) return t('tier.none');
      const level = levels?.find((l) => l.code === code);
      return level ? f.name({ fa: level.name.fa, en: level.name.en ?? '' }) : code;
    },
    [levels, t, f],
  );
}
