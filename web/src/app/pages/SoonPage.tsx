import { Stack, Title } from '@mantine/core';
import { useI18n } from '../../shared/i18n';
import { IconConfetti, IconGift } from '../../shared/icons';
import { ComingSoon } from '../../shared/ui';

export default function SoonPage({ section }: { section: 'rewards' | 'festivals' }) {
  const { t } = useI18n();
  const title = t(section === 'rewards' ? 'app.nav.rewards' : 'app.nav.festivals');
  return (
    <Stack gap="md">
      <Title order={1} fz={22}>
        {title}
      </Title>
      <ComingSoon
        icon={section === 'rewards' ? <IconGift size={28} /> : <IconConfetti size={28} />}
        title={section === 'rewards' ? t('app.soon.rewardsTitle') : t('app.soon.festivalsTitle')}
        description={section === 'rewards' ? t('app.soon.rewards') : t('app.soon.festivals')}
      />
    </Stack>
  );
}
