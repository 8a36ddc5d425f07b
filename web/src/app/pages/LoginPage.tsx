import { useEffect, useState, type FormEvent } from 'react';
import { Navigate, useNavigate } from 'react-router-dom';
import { Anchor, Box, Button, Card, Center, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { ApiError, createClient } from '../../shared/api';
import { useQuery } from '../../shared/hooks';
import { IconCheck } from '../../shared/icons';
import { normalizeDigits, normalizeMobile, prettyMobile } from '../../shared/digits';
import { isolate, useI18n } from '../../shared/i18n';
import { LogoMark } from '../../shared/Logo';
import { ErrorAlert, LanguageToggle, Ltr } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import type { LocalizedName, Member } from '../../shared/types';
import { rememberClubSlug, resolveClubSlug, useMemberSession } from '../session';

const RESEND_SECONDS = 60;
const publicClient = createClient(() => null, () => undefined);
type PublicClub = { slug: string; name: LocalizedName; currencyDisplay: string; timeZone: string };

export default function LoginPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { session, client, signIn } = useMemberSession();
  const navigate = useNavigate();
  const [clubSlug, setClubSlug] = useState(resolveClubSlug);
  const [askClub] = useState(() => !resolveClubSlug());
  const [mobile, setMobile] = useState('');
  const [code, setCode] = useState('');
  const [step, setStep] = useState<'mobile' | 'code'>('mobile');
  const [error, setError] = useState<unknown>(null);
  const [mobileError, setMobileError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [wait, setWait] = useState(0);
  // The club's public face (GET /api/v1/public/clubs/:slug): its name on the sign-in page.
  const [slugTyped] = useDebouncedValue(clubSlug.trim().toLowerCase(), 400);
  const publicClub = useQuery<PublicClub | null>(slugTyped ? `public-club|${slugTyped}` : null, (signal) =>
    publicClient.get<PublicClub>(`/api/v1/public/clubs/${encodeURIComponent(slugTyped)}`, signal).catch((e) => {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }),
  );
  const clubName = slugTyped && publicClub.data ? f.name(publicClub.data.name) : '';
  const unknownClub = Boolean(slugTyped) && !publicClub.loading && publicClub.data === null;

  useEffect(() => {
    if (wait <= 0) return;
    const id = setTimeout(() => setWait((w) => w - 1), 1000);
    return () => clearTimeout(id);
  }, [wait]);

  if (session) return <Navigate to="/" replace />;

  const normalized = normalizeMobile(mobile);

  const sendCode = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!normalized) {
      setMobileError(t('app.login.mobileInvalid'));
      return;
    }
    setMobileError(undefined);
    setBusy(true);
    setError(null);
    try {
      const slug = clubSlug.trim().toLowerCase();
      await client.post('/api/v1/auth/member/otp', { club: slug, mobile: normalized });
      rememberClubSlug(slug);
      setStep('code');
      setWait(RESEND_SECONDS);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const verify = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await client.post<{ token: string; member?: Member }>('/api/v1/auth/member/verify', {
        club: clubSlug.trim().toLowerCase(),
        mobile: normalized,
        code: normalizeDigits(code).trim(),
      });
      // The answer may carry the member or only the token: then ask who we are with it.
      const member = res.member ?? (await createClient(() => res.token, () => undefined).get<Member>('/api/v1/me'));
      signIn({ token: res.token, member, clubSlug: clubSlug.trim().toLowerCase() });
      navigate('/', { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box mih="100vh" style={{ background: 'linear-gradient(180deg, var(--mantine-color-brand-7) 0%, var(--mantine-color-brand-8) 240px, var(--vafa-page-bg) 240px)' }}>
      <Group justify="flex-end" p="md">
        <LanguageToggle variant="white" />
      </Group>
      <Center px="md">
        <Stack w="100%" maw={420} gap="lg">
          <Stack align="center" gap={4}>
            <LogoMark size={56} />
            <Title order={1} fz={24} c="white" mt="xs" ta="center" data-testid="login-title">
              {clubName ? t('app.login.titleClub', { club: isolate(clubName) }) : t('app.login.title')}
            </Title>
            <Text c="brand.1" size="sm" ta="center">
              {t('app.login.subtitle')}
            </Text>
          </Stack>
          <Card shadow="md" p="xl">
            {step === 'mobile' ? (
              <form onSubmit={sendCode} noValidate>
                <Stack gap="md">
                  {error ? <ErrorAlert error={error} /> : null}
                  {askClub && (
                    <TextInput
                      label={t('app.login.club')}
                      description={t('app.login.clubHint')}
                      value={clubSlug}
                      onChange={(e) => setClubSlug(e.currentTarget.value)}
                      error={unknownClub ? t('error.club_not_found') : undefined}
                      rightSection={clubName ? <IconCheck size={18} color="var(--mantine-color-teal-7)" /> : undefined}
                      dir="ltr"
                      autoCapitalize="none"
                      spellCheck={false}
                      required
                    />
                  )}
                  <TextInput
                    label={t('app.login.mobile')}
                    description={t('app.login.mobileHint')}
                    placeholder={f.digits('0912 345 6789')}
                    value={mobile}
                    onChange={(e) => setMobile(e.currentTarget.value)}
                    error={mobileError}
                    dir="ltr"
                    inputMode="tel"
                    autoComplete="tel"
                    size="md"
                    required
                    data-autofocus
                    styles={{ input: { textAlign: 'center', letterSpacing: 1 } }}
                  />
                  {askClub && clubName && (
                    <Text size="sm" c="teal" mt={-8}>
                      {t('app.login.clubFound', { club: isolate(clubName) })}
                    </Text>
                  )}
                  <Button type="submit" size="md" loading={busy} disabled={!mobile || !clubSlug || unknownClub} fullWidth>
                    {t('app.login.sendCode')}
                  </Button>
                </Stack>
              </form>
            ) : (
              <form onSubmit={verify} noValidate>
                <Stack gap="md">
                  {error ? <ErrorAlert error={error} /> : null}
                  <Text size="sm">
                    {t('app.login.codeSent')} <Ltr>{f.digits(prettyMobile(normalized ?? mobile))}</Ltr>
                  </Text>
                  <TextInput
                    label={t('app.login.code')}
                    value={f.digits(code)}
                    onChange={(e) => setCode(normalizeDigits(e.currentTarget.value).replace(/\D/g, '').slice(0, 8))}
                    dir="ltr"
                    inputMode="numeric"
                    autoComplete="one-time-code"
                    size="lg"
                    required
                    autoFocus
                    styles={{ input: { textAlign: 'center', letterSpacing: 8, fontWeight: 700 } }}
                  />
                  <Button type="submit" size="md" loading={busy} disabled={code.length < 4} fullWidth>
                    {t('app.login.verify')}
                  </Button>
                  <Group justify="space-between">
                    <Anchor component="button" type="button" size="sm" onClick={() => { setStep('mobile'); setCode(''); setError(null); }}>
                      {t('app.login.changeMobile')}
                    </Anchor>
                    {wait > 0 ? (
                      <Text size="sm" c="dimmed">
                        {t('app.login.resendIn', { s: f.num(wait) })}
                      </Text>
                    ) : (
                      <Anchor component="button" type="button" size="sm" onClick={() => sendCode()}>
                        {t('app.login.resend')}
                      </Anchor>
                    )}
                  </Group>
                </Stack>
              </form>
            )}
          </Card>
          <Text size="xs" c="dimmed" ta="center">
            {t('app.login.privacy')}
          </Text>
        </Stack>
      </Center>
    </Box>
  );
}
