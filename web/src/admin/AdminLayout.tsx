import { Suspense, type ReactNode } from 'react';
import { NavLink as RouterNavLink, Outlet, useLocation } from 'react-router-dom';
import { AppShell, Avatar, Badge, Burger, Center, Group, Loader, Menu, NavLink, ScrollArea, Stack, Text, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useI18n, type MessageKey } from '../shared/i18n';
import { Logo } from '../shared/Logo';
import { LanguageToggle } from '../shared/ui';
import { useFormat } from '../shared/useFormat';
import {
  IconConfetti,
  IconDashboard,
  IconGift,
  IconHistory,
  IconKey,
  IconLogout,
  IconRules,
  IconSettings,
  IconShield,
  IconTicket,
  IconTiers,
  IconUser,
  IconUsers,
} from '../shared/icons';
import { useAdmin } from './session';

type Item = { to: string; label: MessageKey; icon: ReactNode; soon?: boolean; need?: 'owner' | 'write' };
const SECTIONS: { title: MessageKey; items: Item[] }[] = [
  {
    title: 'nav.section.overview',
    items: [
      { to: '/', label: 'nav.dashboard', icon: <IconDashboard /> },
      { to: '/members', label: 'nav.members', icon: <IconUsers /> },
    ],
  },
  {
    title: 'nav.section.program',
    items: [
      { to: '/rules', label: 'nav.rules', icon: <IconRules /> },
      { to: '/tiers', label: 'nav.tiers', icon: <IconTiers /> },
      { to: '/rewards', label: 'nav.rewards', icon: <IconGift /> },
      { to: '/festivals', label: 'nav.festivals', icon: <IconConfetti /> },
      { to: '/draws', label: 'nav.draws', icon: <IconTicket /> },
    ],
  },
  {
    title: 'nav.section.admin',
    items: [
      { to: '/operators', label: 'nav.operators', icon: <IconShield />, need: 'owner' },
      { to: '/api-keys', label: 'nav.apiKeys', icon: <IconKey />, need: 'owner' },
      { to: '/settings', label: 'nav.settings', icon: <IconSettings /> },
      { to: '/audit', label: 'nav.audit', icon: <IconHistory />, need: 'write' },
    ],
  },
];

const ROLE_KEYS: Record<string, MessageKey> = {
  owner: 'role.owner',
  manager: 'role.manager',
  analyst: 'role.analyst',
  support: 'role.support',
};

export function AdminLayout() {
  const { t } = useI18n();
  const f = useFormat();
  const { session, signOut, can } = useAdmin();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const clubName = f.name(session?.club.name);
  const operator = session?.operator;

  const isActive = (to: string) => (to === '/' ? location.pathname === '/' : location.pathname === to || location.pathname.startsWith(`${to}/`));

  return (
    <AppShell header={{ height: 64 }} navbar={{ width: 264, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding={{ base: 'md', md: 'xl' }}>
      <AppShell.Header withBorder>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('nav.toggle')} />
            <Logo label={t('brand.name')} sub={clubName} />
          </Group>
          <Group gap="sm" wrap="nowrap">
            <LanguageToggle />
            <Menu position="bottom-end" shadow="md" width={220}>
              <Menu.Target>
                <UnstyledButton aria-label={t('nav.account')}>
                  <Group gap="xs" wrap="nowrap">
                    <Avatar color="brand" radius="xl" size={36}>
                      <IconUser size={18} />
                    </Avatar>
                    <Stack gap={0} visibleFrom="sm">
                      <Text size="sm" fw={600} lh={1.2}>
                        {operator?.name}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {operator ? t(ROLE_KEYS[operator.role] ?? 'role.unknown') : ''}
                      </Text>
                    </Stack>
                  </Group>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{clubName}</Menu.Label>
                <Menu.Item leftSection={<IconLogout size={16} />} color="red" onClick={signOut}>
                  {t('auth.signOut')}
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="sm" aria-label={t('nav.main')}>
        <ScrollArea type="never">
          <Stack gap="lg" py="xs">
            {SECTIONS.map((section) => (
              <Stack gap={2} key={section.title}>
                <Text size="xs" fw={700} c="dimmed" px="sm" pb={4} tt="uppercase">
                  {t(section.title)}
                </Text>
                {section.items.filter((item) => !item.need || can(item.need)).map((item) => (
                  <NavLink
                    key={item.to}
                    component={RouterNavLink}
                    to={item.to}
                    end={item.to === '/'}
                    label={t(item.label)}
                    leftSection={item.icon}
                    active={isActive(item.to)}
                    onClick={close}
                    variant="light"
                    style={{ borderRadius: 8 }}
                    rightSection={
                      item.soon ? (
                        <Badge size="xs" variant="light" color="gray">
                          {t('common.soon')}
                        </Badge>
                      ) : undefined
                    }
                  />
                ))}
              </Stack>
            ))}
          </Stack>
        </ScrollArea>
      </AppShell.Navbar>

      <AppShell.Main>
        <div style={{ maxWidth: 1240, marginInline: 'auto' }}>
          <Suspense
            fallback={
              <Center h="50vh">
                <Loader />
              </Center>
            }
          >
            <Outlet />
          </Suspense>
        </div>
      </AppShell.Main>
    </AppShell>
  );
}
