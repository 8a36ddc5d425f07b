import type { ReactNode } from 'react';
import { useI18n, type MessageKey } from '../../shared/i18n';
import { IconConfetti, IconGift, IconRules, IconTicket, IconTiers } from '../../shared/icons';
import { ComingSoon, PageHeader } from '../../shared/ui';

type Section = 'rules' | 'tiers' | 'rewards' | 'festivals' | 'draws';

const SECTIONS: Record<Section, { title: MessageKey; body: MessageKey; icon: ReactNode }> = {
  rules: { title: 'nav.rules', body: 'upcoming.rules', icon: <IconRules size={28} /> },
  tiers: { title: 'nav.tiers', body: 'upcoming.tiers', icon: <IconTiers size={28} /> },
  rewards: { title: 'nav.rewards', body: 'upcoming.rewards', icon: <IconGift size={28} /> },
  festivals: { title: 'nav.festivals', body: 'upcoming.festivals', icon: <IconConfetti size={28} /> },
  draws: { title: 'nav.draws', body: 'upcoming.draws', icon: <IconTicket size={28} /> },
};

/** Sections of the programme whose API has not landed yet: present in the navigation, honest about it. */
export default function UpcomingPage({ section }: { section: Section }) {
  const { t } = useI18n();
  const s = SECTIONS[section];
  return (
    <>
      <PageHeader title={t(s.title)} />
      <ComingSoon icon={s.icon} title={t(s.title)} description={t(s.body)} />
    </>
  );
}
