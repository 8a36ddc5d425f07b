import { useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { Box, Button, Card, Center, Group, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useI18n } from '../../shared/i18n';
import { LogoMark } from '../../shared/Logo';
import { ErrorAlert, LanguageToggle } from '../../shared/ui';
import { normalizeDigits } from '../../shared/digits';
import type { Club, Operator } from '../../shared/types';
import { useAdmin } from '../session';

const CLUB_KEY = 'vafa.admin.lastClub';

export default function LoginPage() {
  const { t } = useI18n();
  const { session, client, signIn } = useAdmin();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const [club, setClub] = useState(() => localStorage.getItem(CLUB_KEY) ?? new URLSearchParams(location.search).get('club') ?? '');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (session) return <Navigate to={from} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const slug = normalizeDigits(club).trim().toLowerCase();
      const res = await client.post<{ token: string; operator: Operator; club: Club }>('/api/v1/auth/operator/login', {
        club: slug,
        username: normalizeDigits(username).trim(),
        password,
      });
      localStorage.setItem(CLUB_KEY, slug);
      signIn({ token: res.token, operator: res.operator, club: res.club });
      navigate(from, { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box mih="100vh" style={{ background: 'linear-gradient(160deg, var(--mantine-color-brand-0) 0%, #f6f8f9 55%)' }}>
      <Group justify="flex-end" p="md">
        <LanguageToggle />
      </Group>
      <Center px="md" pb={64} pt={24}>
        <Stack w="100%" maw={420} gap="lg">
          <Stack align="center" gap={6}>
            <LogoMark size={56} />
            <Title order={1} fz={26} mt="xs">
              {t('auth.console.title')}
            </Title>
            <Text c="dimmed" size="sm" ta="center">
              {t('auth.console.subtitle')}
            </Text>
          </Stack>
          <Card shadow="sm" p="xl">
            <form onSubmit={submit} noValidate>
              <Stack gap="md">
                {error ? <ErrorAlert error={error} /> : null}
                <TextInput
                  label={t('auth.club')}
                  description={t('auth.clubHint')}
                  value={club}
                  onChange={(e) => setClub(e.currentTarget.value)}
                  required
                  dir="ltr"
                  autoComplete="organization"
                  autoCapitalize="none"
                  spellCheck={false}
                  name="club"
                />
                <TextInput
                  label={t('auth.username')}
                  value={username}
                  onChange={(e) => setUsername(e.currentTarget.value)}
                  required
                  dir="ltr"
                  autoComplete="username"
                  autoCapitalize="none"
                  spellCheck={false}
                  name="username"
                />
                <PasswordInput
                  label={t('auth.password')}
                  value={password}
                  onChange={(e) => setPassword(e.currentTarget.value)}
                  required
                  dir="ltr"
                  autoComplete="current-password"
                  name="password"
                />
                <Button type="submit" size="md" loading={busy} disabled={!club || !username || !password} fullWidth mt="xs">
                  {t('auth.signIn')}
                </Button>
              </Stack>
            </form>
          </Card>
          <Text size="xs" c="dimmed" ta="center">
            {t('brand.tagline')}
          </Text>
        </Stack>
      </Center>
    </Box>
  );
}
