import { Suspense, type ReactNode } from 'react';
import { NavLink, Outlet } from 'react-router-dom';
import { Box, Center, Group, Loader, Text, UnstyledButton } from '@mantine/core';
import { useI18n, type MessageKey } from '../shared/i18n';
import { IconConfetti, IconGift, IconHistory, IconHome, IconUser } from '../shared/icons';
import { LogoMark } from '../shared/Logo';
import { LanguageToggle } from '../shared/ui';
import { useFormat } from '../shared/useFormat';
import { useMemberSession } from './session';
import classes from './MemberLayout.module.css';

const TABS: { to: string; label: MessageKey; icon: ReactNode }[] = [
  { to: '/', label: 'app.nav.home', icon: <IconHome size={22} /> },
  { to: '/history', label: 'app.nav.history', icon: <IconHistory size={22} /> },
  { to: '/rewards', label: 'app.nav.rewards', icon: <IconGift size={22} /> },
  { to: '/festivals', label: 'app.nav.festivals', icon: <IconConfetti size={22} /> },
  { to: '/profile', label: 'app.nav.profile', icon: <IconUser size={22} /> },
];

export function MemberLayout() {
  const { t } = useI18n();
  const f = useFormat();
  const { club } = useMemberSession();
  return (
    <div className={classes.shell}>
      <header className={classes.header}>
        <Group justify="space-between" wrap="nowrap" className={classes.inner}>
          <Group gap="xs" wrap="nowrap">
            <LogoMark size={30} />
            <div>
              <Text fw={700} lh={1.1}>
                {f.name(club?.name) || t('brand.name')}
              </Text>
              <Text size="xs" c="dimmed" lh={1.1}>
                {t('app.tagline')}
              </Text>
            </div>
          </Group>
          <LanguageToggle variant="subtle" />
        </Group>
      </header>
      <main className={classes.main}>
        <Box className={classes.inner}>
          <Suspense
            fallback={
              <Center h="50vh">
                <Loader />
              </Center>
            }
          >
            <Outlet />
          </Suspense>
        </Box>
      </main>
      <nav className={classes.tabbar} aria-label={t('nav.main')}>
        <div className={classes.tabs}>
          {TABS.map((tab) => (
            <UnstyledButton key={tab.to} component={NavLink} to={tab.to} end={tab.to === '/'} className={classes.tab}>
              {tab.icon}
              <span>{t(tab.label)}</span>
            </UnstyledButton>
          ))}
        </div>
      </nav>
    </div>
  );
}
